package ofd

import (
	"github.com/sealhub/sealhub/trustlist/ses"
)

// Kind is what SignedValue.dat holds. The values are stable.
type Kind string

// Kinds of signature value.
const (
	// KindSES: an SES_Signature (GB/T 38540 V4, GM/T 0031 V1 or V5); the binding checks apply.
	KindSES Kind = "ses"
	// KindPKCS7: a GM/T 0010 / PKCS#7 SignedData ContentInfo, typical of Type="Sign". Not SES: no
	// dataHash, no seal. Reported, not failed as malformed.
	KindPKCS7 Kind = "pkcs7"
	// KindUnknown: anything else (a bare SM2 signature, a damaged SES_Signature), or SignedValue.dat
	// could not be read (SignatureReport.Err then says why).
	KindUnknown Kind = "unknown"
)

// Status is the outcome of one check. The values are stable; doc.go lists them.
type Status string

// Check outcomes.
const (
	StatusOK            Status = "ok"             // the digest or bytes match
	StatusMismatch      Status = "mismatch"       // the digest or bytes differ
	StatusMissing       Status = "missing"        // the file named is not in the archive
	StatusUnsupported   Status = "unsupported"    // the CheckMethod is not SM3
	StatusMalformed     Status = "malformed"      // a CheckValue is not base64, or a path is unusable
	StatusError         Status = "error"          // the file could not be read (too large, corrupt)
	StatusAbsent        Status = "absent"         // nothing to check: no Seal/BaseLoc
	StatusNotApplicable Status = "not_applicable" // the check needs an SES signature value
)

// SignatureReport is what Check found about one signature. This package checks the container, the
// XML and the digests; it does not verify SM2 signatures or certificate chains: callers do, over
// SES.RawTBSSign (or the PKCS#7 in SignedValue) with the certificates it carries.
type SignatureReport struct {
	// Signature is where the signature is listed, its Signature.xml bytes and its parsed SignedInfo.
	Signature *Signature

	SignedValuePath string // archive path of SignedValue.dat
	SignedValue     []byte // its exact bytes; nil when it could not be read

	Kind Kind
	// KindDetail says why the value is not an SES_Signature (the decoder's message); empty for SES.
	KindDetail string
	// SES is the decoded SES_Signature when Kind is KindSES. Its byte slices alias SignedValue.
	SES *ses.Signature

	DataHash   DataHashCheck
	References []ReferenceCheck
	Seal       SealCheck

	// Notes lists what was unusual but not a failure by itself: a Type attribute that was absent or
	// disagrees with the value, a dataHash that binds another file, a signature without References.
	Notes []string
	// Err is the first error that kept a check from running: Signature.xml or SignedValue.dat
	// unreadable (wraps a sentinel). The checks that could run are still reported.
	Err error
}

// DataHashCheck is the check of TBS_Sign.dataHash against SM3 over the exact bytes of the file the
// signature's propertyInfo names.
type DataHashCheck struct {
	Status       Status
	PropertyInfo string // TBS_Sign.propertyInfo as written
	// Path is the archive file the digest was computed over: the one propertyInfo names, or the
	// signature's own Signature.xml when propertyInfo names no file in the archive (FellBack).
	Path     string
	FellBack bool
	Detail   string
	Err      error // behind StatusError; wraps a sentinel
}

// ReferenceCheck is the check of one Reference: base64(digest of the file) against CheckValue.
type ReferenceCheck struct {
	FileRef     string // as written
	Path        string // archive path it resolves to; empty when it is not a usable path
	CheckMethod string // as written on References
	CheckValue  string // as written
	// Digest is base64(SM3(file)) when the file could be read, whatever the CheckMethod.
	Digest string
	Status Status
	Detail string
	Err    error // behind StatusMissing, StatusMalformed (a bad path) and StatusError; wraps a sentinel
}

// SealCheck compares Seal.esl, when Signature.xml names one, with the seal embedded in TBS_Sign.
type SealCheck struct {
	BaseLoc string // Seal/BaseLoc as written; empty when absent
	Path    string // archive path it resolves to
	Status  Status
	Detail  string
	Err     error // behind StatusMissing, StatusMalformed and StatusError; wraps a sentinel
}

// OK reports whether every check of the binding passed: the value is an SES_Signature, its dataHash
// is SM3 over this signature's own Signature.xml, there is at least one Reference and every
// Reference matches, and Seal.esl (when named) is the embedded seal. It says nothing about the SM2
// signatures or the certificates.
func (r *SignatureReport) OK() bool {
	if r.Err != nil || r.Kind != KindSES || len(r.References) == 0 {
		return false
	}
	if r.DataHash.Status != StatusOK || r.DataHash.Path != r.Signature.Path {
		return false
	}
	for _, ref := range r.References {
		if ref.Status != StatusOK {
			return false
		}
	}
	return r.Seal.Status == StatusOK || r.Seal.Status == StatusAbsent
}

// ReferencesOK reports whether the signature has References and all of them match: the container
// part of the binding, meaningful for every Kind.
func (r *SignatureReport) ReferencesOK() bool {
	if len(r.References) == 0 {
		return false
	}
	for _, ref := range r.References {
		if ref.Status != StatusOK {
			return false
		}
	}
	return true
}

func (r *SignatureReport) note(s string) { r.Notes = append(r.Notes, s) }
