package tsp

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"fmt"

	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// Verify checks that the token is a TSA's signature over a TSTInfo for message — in a seal
// signature, message is the SES_Signature signature value. In order:
//
//  1. the signature: with signed attributes, content-type must be id-ct-TSTInfo, message-digest
//     must be SM3(TSTInfo), a signing-certificate attribute (if any) must name Signer, and the SM2
//     signature (default user ID) must verify over the DER SET OF attributes; without them, the SM2
//     signature must verify over the TSTInfo itself (ErrSignatureInvalid);
//  2. the certificate: Signer must be a time-stamping certificate (ErrNotTSA);
//  3. the imprint: messageImprint must be the hash of message (ErrImprintMismatch).
//
// The signature comes first so that a forged token is reported as forged, whatever it claims to
// stamp. Signer's chain, validity and revocation at GenTime are the caller's to check.
//
// The form without signed attributes is safe to accept: the signature then covers the TSTInfo bytes
// themselves, so nothing the TSA did not sign is read, and only the eContentType (which Parse
// requires to be id-ct-TSTInfo) goes unsigned. A key certified for id-kp-timeStamping signs nothing
// but TSTInfos, so the bytes cannot be another protocol's message passed off as one.
func (t *Token) Verify(message []byte) error {
	if err := t.verifySignature(); err != nil {
		return err
	}
	if t.tsaErr != nil {
		return t.tsaErr
	}
	if got := digest(imprintHash(t.HashAlg), message); !bytes.Equal(got, t.Imprint) {
		return fmt.Errorf("%w: the token stamps %x (%s), the message hashes to %x", ErrImprintMismatch, t.Imprint, t.HashAlg, got)
	}
	return nil
}

func (t *Token) verifySignature() error {
	if t.Signer == nil || len(t.eContent) == 0 {
		return fmt.Errorf("%w: the token was not made by Parse", ErrMalformed)
	}
	signed := t.eContent
	if a := t.attrs; a != nil {
		if !a.contentType.Equal(OIDTSTInfo) {
			return fmt.Errorf("%w: content-type attribute is %s, not id-ct-TSTInfo", ErrSignatureInvalid, a.contentType)
		}
		if d := digest(imprintHash(OIDSM3), t.eContent); !bytes.Equal(d, a.messageDigest) {
			return fmt.Errorf("%w: message-digest attribute does not match the TSTInfo (tampered content)", ErrSignatureInvalid)
		}
		if a.essHash != nil && !bytes.Equal(digest(essHash(a.essHash), t.Signer.Raw), a.essCertHash) {
			return fmt.Errorf("%w: signing-certificate attribute names another certificate than the signer's", ErrSignatureInvalid)
		}
		signed = a.der
	}
	if _, err := t.Signer.VerifySignature(signed, t.signature); err != nil {
		return fmt.Errorf("%w: SM2 signature of %s: %w", ErrSignatureInvalid, t.Signer.Subject, err)
	}
	return nil
}

// errNoEKU says a certificate has no extended key usage at all.
var errNoEKU = errors.New("no extendedKeyUsage extension")

// checkTSACertificate says whether c may sign timestamps. RFC 3161 §2.3 wants extendedKeyUsage with
// id-kp-timeStamping as its only purpose, marked critical; GB/T 38540 asks for the purpose. The
// purpose is required; a non-critical extension or further purposes are tolerated as quirks, since
// refusing them would reject working national TSAs for a formality. A KeyUsage extension, when
// present, must allow digitalSignature or nonRepudiation.
func checkTSACertificate(c *smcrypto.Certificate, quirks *[]string) error {
	if c.KeyUsagePresent && c.KeyUsage&(smcrypto.KeyUsageDigitalSignature|smcrypto.KeyUsageContentCommit) == 0 {
		return fmt.Errorf("%w: %s: keyUsage allows neither digitalSignature nor nonRepudiation", ErrNotTSA, c.Subject)
	}
	purposes, critical, err := extKeyUsage(c)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrNotTSA, c.Subject, err) // one sentinel only: not ErrMalformed too
	}
	found := false
	for _, p := range purposes {
		found = found || p.Equal(OIDKPTimeStamping)
	}
	if !found {
		return fmt.Errorf("%w: %s: extendedKeyUsage lacks id-kp-timeStamping", ErrNotTSA, c.Subject)
	}
	if !critical {
		*quirks = append(*quirks, "the TSA certificate's extendedKeyUsage is not critical")
	}
	if len(purposes) > 1 {
		*quirks = append(*quirks, "the TSA certificate has purposes besides id-kp-timeStamping")
	}
	return nil
}

// extKeyUsage reads the extendedKeyUsage extension from the raw TBSCertificate. smcrypto's
// certificate model does not carry it, and reading it here keeps strict and lenient certificates
// under one rule.
func extKeyUsage(c *smcrypto.Certificate) (purposes []asn1.ObjectIdentifier, critical bool, err error) {
	const f = "TBSCertificate"
	var tbs asn1.RawValue
	if _, err := asn1.Unmarshal(c.RawTBSCertificate, &tbs); err != nil {
		return nil, false, malformed(f, "%v", err)
	}
	fields, err := sequence(f, tbs, 6, 10)
	if err != nil {
		return nil, false, err
	}
	for _, fld := range fields {
		if !is(fld, classContext, 3, true) {
			continue
		}
		wrapped, err := elements(f+".extensions", fld, 1)
		if err != nil || len(wrapped) != 1 {
			return nil, false, malformed(f+".extensions", "not one SEQUENCE")
		}
		exts, err := sequence(f+".extensions", wrapped[0], 0, maxExtensions)
		if err != nil {
			return nil, false, err
		}
		for _, e := range exts {
			id, crit, value, err := readExtension(f+".extension", e)
			if err != nil {
				return nil, false, err
			}
			if !id.Equal(oidExtKeyUsage) {
				continue
			}
			var list asn1.RawValue
			if rest, err := asn1.Unmarshal(value, &list); err != nil || len(rest) > 0 {
				return nil, false, malformed("extendedKeyUsage", "not one DER value")
			}
			oids, err := sequence("extendedKeyUsage", list, 1, maxExtensions)
			if err != nil {
				return nil, false, err
			}
			for _, o := range oids {
				p, err := readOID("extendedKeyUsage.keyPurposeId", o)
				if err != nil {
					return nil, false, err
				}
				purposes = append(purposes, p)
			}
			return purposes, crit, nil
		}
	}
	return nil, false, errNoEKU
}
