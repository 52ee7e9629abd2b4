package resolver

// Reason is a stable result code. The table below is the single source: docs/result-codes.md is kept
// identical to it by a test, and codes are only ever added, never renamed or reused.
type Reason string

// Result codes, in the order checks run. The first failed check gives the reason of an invalid result;
// when nothing failed, the first indeterminate check gives the reason of an indeterminate result.
const (
	ReasonOK Reason = "OK" // every check passed

	// The input.
	ReasonFormatInvalid Reason = "FORMAT_INVALID" // not a seal/signature in any known layout (V1, V4, V5)
	ReasonNotSES        Reason = "NOT_SES"        // a GM/T 0010 / PKCS#7 signature, not an SES seal signature
	ReasonCertMalformed Reason = "CERT_MALFORMED" // a maker or signer certificate that cannot be read
	ReasonNoSignatures  Reason = "NO_SIGNATURES"  // an OFD document without any signature

	// The signer's signature (电子签章).
	ReasonSignatureInvalid Reason = "SIGNATURE_INVALID"    // the signature over TBS_Sign does not verify
	ReasonSignerNotInSeal  Reason = "SIGNER_NOT_IN_SEAL"   // the signer's certificate is not one the seal lists
	ReasonSigningTimeUnkn  Reason = "SIGNING_TIME_UNKNOWN" // no usable signing time, and none given

	// The seal (电子印章) and its maker (制章者).
	ReasonSealSignatureInvalid Reason = "SEAL_SIGNATURE_INVALID" // the maker's signature over the seal does not verify
	ReasonMakerCertExpired     Reason = "MAKER_CERT_EXPIRED"     // maker certificate expired at the time of the check
	ReasonMakerCertNotYetValid Reason = "MAKER_CERT_NOT_YET_VALID"
	ReasonMakerChainInvalid    Reason = "MAKER_CHAIN_INVALID" // a bad issuer signature or an issuer not allowed to sign
	ReasonMakerCAUnknown       Reason = "MAKER_CA_UNKNOWN"    // the maker's CA is not held: indeterminate

	// The signer's certificate (签章者证书).
	ReasonSignerCertExpired     Reason = "SIGNER_CERT_EXPIRED"
	ReasonSignerCertNotYetValid Reason = "SIGNER_CERT_NOT_YET_VALID"
	ReasonSignerChainInvalid    Reason = "SIGNER_CHAIN_INVALID"
	ReasonSignerCAUnknown       Reason = "SIGNER_CA_UNKNOWN" // the signer's CA is not held: indeterminate

	// The seal's own validity window and the 《电子印章管理办法》 Art. 16 rule.
	ReasonSealExpired        Reason = "SEAL_EXPIRED"         // the time of the check is after validEnd
	ReasonSealNotYetValid    Reason = "SEAL_NOT_YET_VALID"   // the time of the check is before validStart
	ReasonSealOutlivesSigner Reason = "SEAL_OUTLIVES_SIGNER" // validEnd after the signer certificate's end (Art. 16)

	// The signed data.
	ReasonDataHashMismatch  Reason = "DATA_HASH_MISMATCH" // dataHash is not the SM3 of the signed original
	ReasonReferenceMismatch Reason = "REFERENCE_MISMATCH" // an OFD Reference CheckValue does not match its file
	ReasonDataMissing       Reason = "DATA_MISSING"       // the signed original was not supplied: indeterminate

	// Seal status from the trust list or the registry (used online).
	ReasonSealSuspended     Reason = "SEAL_SUSPENDED"     // 停用 at the time of the check
	ReasonSealRevoked       Reason = "SEAL_REVOKED"       // 注销 at the time of the check
	ReasonSealInvalidated   Reason = "SEAL_INVALIDATED"   // 无效 at the time of the check
	ReasonSealUnknown       Reason = "SEAL_UNKNOWN"       // the hub holds no record of the seal: indeterminate
	ReasonCADistrusted      Reason = "CA_DISTRUSTED"      // a CA on the path was distrusted before the time of the check
	ReasonRegionUnavailable Reason = "REGION_UNAVAILABLE" // the registry's own status service did not answer: indeterminate

	// Added after the first release of the table.
	ReasonMakerNotRegistered     Reason = "MAKER_NOT_REGISTERED"
	ReasonMakerExpiredSince      Reason = "MAKER_EXPIRED_SINCE_CREATION"
	ReasonSigningTimeInFuture    Reason = "SIGNING_TIME_IN_FUTURE"
	ReasonAlgorithmUnsupported   Reason = "ALGORITHM_UNSUPPORTED"
	ReasonCertDigestUnsupported  Reason = "CERT_DIGEST_UNSUPPORTED"
	ReasonNoReferences           Reason = "NO_REFERENCES"
	ReasonCheckMethodUnsupported Reason = "CHECK_METHOD_UNSUPPORTED"
	ReasonLimitExceeded          Reason = "LIMIT_EXCEEDED"

	// Added with the online verification API.
	ReasonSealMismatch             Reason = "SEAL_MISMATCH"
	ReasonStatusHistoryUnavailable Reason = "STATUS_HISTORY_UNAVAILABLE"
	ReasonTimestampInvalid         Reason = "TIMESTAMP_INVALID"
	ReasonTimestampUnverified      Reason = "TIMESTAMP_UNVERIFIED"
)

// ReasonInfo documents one code.
type ReasonInfo struct {
	Code    Reason
	Result  Verdict // the verdict a report with this reason has
	Meaning string
}

// Reasons is the documented table, in a stable order.
var Reasons = []ReasonInfo{
	{ReasonOK, Valid, "every check passed"},
	{ReasonFormatInvalid, Invalid, "not a seal or seal signature in any known layout (V1, V4, V5)"},
	{ReasonNotSES, Indeterminate, "a GM/T 0010 / PKCS#7 signature, not an SES seal signature; not verified here"},
	{ReasonCertMalformed, Invalid, "a maker or signer certificate cannot be read even leniently"},
	{ReasonNoSignatures, Indeterminate, "the OFD document carries no signature"},
	{ReasonSignatureInvalid, Invalid, "the signer's signature over TBS_Sign does not verify"},
	{ReasonSignerNotInSeal, Invalid, "the signer's certificate is not one the seal lists (certList)"},
	{ReasonSigningTimeUnkn, Indeterminate, "the signature carries no readable signing time and none was given"},
	{ReasonSealSignatureInvalid, Invalid, "the seal maker's signature does not verify"},
	{ReasonMakerCertExpired, Invalid, "the maker certificate had expired at the time of the check (and at the seal's creation)"},
	{ReasonMakerCertNotYetValid, Invalid, "the maker certificate was not yet valid at the time of the check"},
	{ReasonMakerChainInvalid, Invalid, "the maker certificate's chain has a bad signature or an issuer not allowed to sign"},
	{ReasonMakerCAUnknown, Indeterminate, "the maker certificate's CA is not held, so its chain cannot be completed"},
	{ReasonSignerCertExpired, Invalid, "the signer certificate had expired at the signing time"},
	{ReasonSignerCertNotYetValid, Invalid, "the signer certificate was not yet valid at the signing time"},
	{ReasonSignerChainInvalid, Invalid, "the signer certificate's chain has a bad signature or an issuer not allowed to sign"},
	{ReasonSignerCAUnknown, Indeterminate, "the signer certificate's CA is not held, so its chain cannot be completed"},
	{ReasonSealExpired, Invalid, "the seal's validity window (validEnd) had ended at the time of the check"},
	{ReasonSealNotYetValid, Invalid, "the seal's validity window (validStart) had not begun at the time of the check"},
	{ReasonSealOutlivesSigner, Invalid, "the seal's validEnd is after its signer certificate's end (《电子印章管理办法》 Art. 16); seals made before the rule took effect get a warning instead"},
	{ReasonDataHashMismatch, Invalid, "dataHash is not the SM3 of the signed original (the document was changed)"},
	{ReasonReferenceMismatch, Invalid, "an OFD Reference CheckValue does not match the file it names, or the file is missing"},
	{ReasonDataMissing, Indeterminate, "the signed original (or its SM3) was not supplied, so the data hash was not checked"},
	{ReasonSealSuspended, Invalid, "the seal was suspended (停用) at the time of the check"},
	{ReasonSealRevoked, Invalid, "the seal was revoked (注销) at the time of the check"},
	{ReasonSealInvalidated, Invalid, "the seal was declared invalid (无效) at the time of the check"},
	{ReasonSealUnknown, Indeterminate, "the trust list holds no record of the seal"},
	{ReasonCADistrusted, Invalid, "a CA on the certificate path was distrusted before the time of the check"},
	{ReasonRegionUnavailable, Indeterminate, "the registry's own status service did not answer within the deadline, this node has no adapter for it, or (sync mode) its feed was last read longer ago than its max_age"},
	{ReasonMakerNotRegistered, Invalid, "the maker certificate is not one of the registered seal-making systems (制章系统) the verifier was given"},
	{ReasonMakerExpiredSince, Indeterminate, "the maker certificate was not valid at the time of the check, only at the seal's claimed createDate, and nothing proves when a V1/V4 seal was made"},
	{ReasonSigningTimeInFuture, Invalid, "the claimed signing time (timeInfo) is later than the time of verification"},
	{ReasonAlgorithmUnsupported, Indeterminate, "a signature algorithm other than SM2-with-SM3"},
	{ReasonCertDigestUnsupported, Indeterminate, "the seal lists certificate digests (certListType 2) of a type that cannot be computed"},
	{ReasonNoReferences, Indeterminate, "the OFD signature has no References, so no document content is bound to it"},
	{ReasonCheckMethodUnsupported, Indeterminate, "an OFD Reference uses a CheckMethod other than SM3"},
	{ReasonLimitExceeded, Indeterminate, "a size or count limit stopped a check before it could finish"},
	{ReasonSealMismatch, Invalid, "the seal presented is not the one its registry filed under its code (different SM3 or maker certificate)"},
	{ReasonStatusHistoryUnavailable, Indeterminate, "a live-mode region reports only the current status, which took effect after the time of the check"},
	{ReasonTimestampInvalid, Invalid, "the signature's timeStamp (GB/T 20520) is malformed, does not cover the signature value, is not signed by its TSA certificate, or that certificate is not a TSA's or had expired"},
	{ReasonTimestampUnverified, Indeterminate, "the signature's timeStamp could not be checked: its TSA's CA is not held, or it uses an algorithm other than SM2/SM3"},
}

// Info returns the documented entry of a code.
func (r Reason) Info() (ReasonInfo, bool) {
	for _, i := range Reasons {
		if i.Code == r {
			return i, true
		}
	}
	return ReasonInfo{}, false
}
