package tsp

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math"

	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// Parse reads a TimeStampToken (RFC 3161 §2.4.2, GB/T 20520): a ContentInfo of type signedData —
// PKCS#7 or GM/T 0010 — whose SignedData encapsulates a TSTInfo and is signed by one TSA.
//
// Tolerated, and listed in Token.Quirks: BER encoding (indefinite lengths, chunked OCTET STRINGs),
// a whole TimeStampResp instead of the bare token, the SM2 signature as raw r‖s, a SignerInfo
// without signed attributes, and an issuer name in the sid encoded differently from the
// certificate's. Errors wrap ErrMalformed or ErrUnsupported.
//
// The work is bounded: at most MaxSize bytes, a fixed nesting depth, and fixed limits on the number
// of certificates, attributes and extensions read.
func Parse(der []byte) (*Token, error) {
	if len(der) == 0 {
		return nil, malformed("TimeStampToken", "empty")
	}
	if len(der) > MaxSize {
		return nil, malformed("TimeStampToken", "%d bytes, more than the %d accepted", len(der), MaxSize)
	}
	norm, rest, err := toDER(der)
	if err != nil {
		return nil, malformed("TimeStampToken", "%v", err)
	}
	if len(rest) > 0 {
		return nil, malformed("TimeStampToken", "%d bytes of trailing data", len(rest))
	}
	t := &Token{}
	if !bytes.Equal(norm, der) {
		t.Quirks = append(t.Quirks, "BER encoding (indefinite lengths or constructed strings), read as DER")
	}
	var top asn1.RawValue
	if _, err := asn1.Unmarshal(norm, &top); err != nil {
		return nil, malformed("TimeStampToken", "%v", err)
	}
	el, err := sequence("ContentInfo", top, 1, 3)
	if err != nil {
		return nil, err
	}
	if is(el[0], classUniversal, asn1.TagSequence, true) {
		if top, err = t.unwrapResponse(el); err != nil {
			return nil, err
		}
		if el, err = sequence("ContentInfo", top, 1, 3); err != nil {
			return nil, err
		}
	}
	if err := t.parseContentInfo(el); err != nil {
		return nil, err
	}
	return t, nil
}

// unwrapResponse takes the token out of a TimeStampResp { status PKIStatusInfo, timeStampToken
// OPTIONAL }: some signing software stores the TSA's whole answer in the timeStamp field.
func (t *Token) unwrapResponse(el []asn1.RawValue) (asn1.RawValue, error) {
	const f = "TimeStampResp"
	status, err := sequence(f+".status", el[0], 1, 3)
	if err != nil {
		return asn1.RawValue{}, err
	}
	code, err := readSmallInt(f+".status.status", status[0], math.MinInt64, math.MaxInt64)
	if err != nil {
		return asn1.RawValue{}, err
	}
	if code != 0 && code != 1 { // granted, grantedWithMods
		return asn1.RawValue{}, malformed(f+".status", "status %d: the TSA refused", code)
	}
	if len(el) != 2 {
		return asn1.RawValue{}, malformed(f, "%d elements, want status and timeStampToken", len(el))
	}
	t.Quirks = append(t.Quirks, "the timeStamp holds a whole TimeStampResp, not the bare TimeStampToken")
	return el[1], nil
}

// parseContentInfo: ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY }.
func (t *Token) parseContentInfo(el []asn1.RawValue) error {
	const f = "ContentInfo"
	var err error
	if t.ContentType, err = readOID(f+".contentType", el[0]); err != nil {
		return err
	}
	if !t.ContentType.Equal(OIDSignedData) && !t.ContentType.Equal(OIDGMSignedData) {
		return unsupported(f+".contentType", "%s is not signedData (PKCS#7 or GM/T 0010)", t.ContentType)
	}
	if len(el) != 2 || !is(el[1], classContext, 0, true) {
		return malformed(f, "want contentType and [0] content")
	}
	inner, err := elements(f+".content", el[1], 1)
	if err != nil {
		return err
	}
	if len(inner) != 1 {
		return malformed(f+".content", "empty")
	}
	return t.parseSignedData(inner[0])
}

// parseSignedData: SignedData ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo,
// certificates [0] IMPLICIT OPTIONAL, crls [1] IMPLICIT OPTIONAL, signerInfos SET }.
func (t *Token) parseSignedData(v asn1.RawValue) error {
	const f = "SignedData"
	el, err := sequence(f, v, 4, 6)
	if err != nil {
		return err
	}
	if _, err := readInt(f+".version", el[0]); err != nil {
		return err
	}
	if !is(el[1], classUniversal, asn1.TagSet, true) {
		return malformed(f+".digestAlgorithms", "not a SET")
	}
	if err := t.parseEncap(el[2]); err != nil {
		return err
	}
	rest := el[3:]
	if is(rest[0], classContext, 0, true) {
		if err := t.parseCerts(rest[0]); err != nil {
			return err
		}
		rest = rest[1:]
	}
	if len(rest) > 0 && is(rest[0], classContext, 1, true) {
		rest = rest[1:] // crls: revocation is the verifier's business, through its own sources
	}
	if len(rest) != 1 || !is(rest[0], classUniversal, asn1.TagSet, true) {
		return malformed(f+".signerInfos", "missing, or followed by other elements")
	}
	infos, err := elements(f+".signerInfos", rest[0], 2)
	if err != nil || len(infos) != 1 {
		// RFC 3161 §2.4.2: the token MUST NOT contain any signature other than the TSA's.
		return malformed(f+".signerInfos", "a timestamp token has exactly one SignerInfo")
	}
	return t.parseSignerInfo(infos[0])
}

// parseEncap: EncapsulatedContentInfo ::= SEQUENCE { eContentType OID, eContent [0] EXPLICIT
// OCTET STRING OPTIONAL }. The content must be a TSTInfo and must be present: a detached TSTInfo
// would leave nothing to read the time from.
func (t *Token) parseEncap(v asn1.RawValue) error {
	const f = "SignedData.encapContentInfo"
	el, err := sequence(f, v, 1, 2)
	if err != nil {
		return err
	}
	ct, err := readOID(f+".eContentType", el[0])
	if err != nil {
		return err
	}
	if !ct.Equal(OIDTSTInfo) {
		return malformed(f+".eContentType", "%s, not id-ct-TSTInfo: not a timestamp token", ct)
	}
	if len(el) != 2 || !is(el[1], classContext, 0, true) {
		return malformed(f+".eContent", "absent")
	}
	inner, err := elements(f+".eContent", el[1], 1)
	if err != nil {
		return err
	}
	if len(inner) != 1 {
		return malformed(f+".eContent", "empty")
	}
	if t.eContent, err = readOctets(f+".eContent", inner[0]); err != nil {
		return err
	}
	return t.parseTSTInfo(t.eContent)
}

// parseCerts reads the X.509 certificates of CertificateChoices; the other choices (attribute and
// PKCS#6 certificates) are skipped. A certificate that neither smcrypto parser reads makes the
// token malformed: it came from the TSA, and a verifier cannot tell whether it mattered.
func (t *Token) parseCerts(v asn1.RawValue) error {
	const f = "SignedData.certificates"
	list, err := elements(f, v, maxCerts)
	if err != nil {
		return err
	}
	for _, c := range list {
		if !is(c, classUniversal, asn1.TagSequence, true) {
			t.Quirks = append(t.Quirks, "a certificate choice other than X.509 was skipped")
			continue
		}
		cert, err := smcrypto.ParseCertificate(c.FullBytes)
		if err != nil {
			return malformed(f, "%v", err)
		}
		if cert.Lenient {
			t.Quirks = append(t.Quirks, "certificate "+cert.Subject+" read by the lenient parser")
		}
		t.Certs = append(t.Certs, cert)
	}
	return nil
}

// parseSignerInfo: SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm, signedAttrs [0]
// IMPLICIT OPTIONAL, signatureAlgorithm, signature OCTET STRING, unsignedAttrs [1] IMPLICIT
// OPTIONAL }.
func (t *Token) parseSignerInfo(v asn1.RawValue) error {
	const f = "SignerInfo"
	el, err := sequence(f, v, 5, 7)
	if err != nil {
		return err
	}
	if _, err := readInt(f+".version", el[0]); err != nil {
		return err
	}
	sid := el[1]
	dig, err := readAlgorithm(f+".digestAlgorithm", el[2])
	if err != nil {
		return err
	}
	if !isSM3(dig) {
		return unsupported(f+".digestAlgorithm", "%s; SM2 signatures use SM3", dig)
	}
	rest := el[3:]
	if is(rest[0], classContext, 0, true) {
		if t.attrs, err = t.parseSignedAttrs(rest[0]); err != nil {
			return err
		}
		rest = rest[1:]
	} else {
		t.Quirks = append(t.Quirks, "SignerInfo has no signed attributes: the signature is over the TSTInfo itself")
	}
	if len(rest) < 2 {
		return malformed(f, "missing signatureAlgorithm or signature")
	}
	if err := t.checkSignatureAlgorithm(rest[0]); err != nil {
		return err
	}
	if t.signature, err = readOctets(f+".signature", rest[1]); err != nil {
		return err
	}
	if _, enc, err := smcrypto.NormalizeSignature(t.signature); err != nil {
		return malformed(f+".signature", "%v", err)
	} else if enc == smcrypto.SigRaw64 {
		t.Quirks = append(t.Quirks, "SignerInfo.signature is raw r||s, not DER")
	}
	switch rest = rest[2:]; {
	case len(rest) == 1 && !is(rest[0], classContext, 1, true), len(rest) > 1:
		return malformed(f, "unexpected elements after the signature")
	}
	if t.attrs != nil && t.attrs.essCertHash != nil && t.attrs.essHash == nil {
		t.Quirks = append(t.Quirks, "signing-certificate attribute uses an unknown hash; not checked")
	}
	if err := t.findSigner(sid); err != nil {
		return err
	}
	t.tsaErr = checkTSACertificate(t.Signer, &t.Quirks)
	return nil
}

// checkSignatureAlgorithm accepts the names real SM2 tokens give the signature: SM2-with-SM3
// (GM/T 0006), sm2-1 (GM/T 0010), the SM2 curve OID, and ecPublicKey (OpenSSL-style writers name
// the key type). With an SM3 digest and an SM2 key, all of them mean SM2-with-SM3.
func (t *Token) checkSignatureAlgorithm(v asn1.RawValue) error {
	const f = "SignerInfo.signatureAlgorithm"
	alg, err := readAlgorithm(f, v)
	if err != nil {
		return err
	}
	switch {
	case alg.Equal(OIDSM2WithSM3), alg.Equal(OIDSM2Sign):
		return nil
	case alg.Equal(oidSM2Curve), alg.Equal(oidECPublicKey):
		t.Quirks = append(t.Quirks, "SignerInfo.signatureAlgorithm names the key type ("+alg.String()+"), read as SM2-with-SM3")
		return nil
	}
	return unsupported(f, "%s; SM2-with-SM3 expected", alg)
}

// findSigner finds the certificate the sid names: IssuerAndSerialNumber, or [0] SubjectKeyIdentifier.
// Two different certificates answering to one sid are refused rather than guessed between.
func (t *Token) findSigner(sid asn1.RawValue) error {
	const f = "SignerInfo.sid"
	match, err := t.sidMatcher(sid)
	if err != nil {
		return err
	}
	for _, c := range t.Certs {
		if !match(c) {
			continue
		}
		if t.Signer != nil && !bytes.Equal(t.Signer.Raw, c.Raw) {
			return malformed(f, "two different certificates match the signer identifier")
		}
		t.Signer = c
	}
	if t.Signer == nil {
		return unsupported(f, "the token carries no certificate matching the signer identifier (%d certificates); the TSA certificate must travel in the token", len(t.Certs))
	}
	if t.Signer.PublicKey == nil {
		return unsupported(f, "the TSA certificate's key is not SM2 (%s)", t.Signer.PublicKeyAlgorithm)
	}
	return nil
}

func (t *Token) sidMatcher(sid asn1.RawValue) (func(*smcrypto.Certificate) bool, error) {
	const f = "SignerInfo.sid"
	if sid.Class == classContext && sid.Tag == 0 && !sid.IsCompound {
		ski := sid.Bytes
		return func(c *smcrypto.Certificate) bool {
			return len(ski) > 0 && bytes.Equal(c.SubjectKeyID, ski)
		}, nil
	}
	el, err := sequence(f+".issuerAndSerialNumber", sid, 2, 2)
	if err != nil {
		return nil, err
	}
	if !is(el[0], classUniversal, asn1.TagSequence, true) {
		return nil, malformed(f+".issuer", "not a Name")
	}
	serial, err := readInt(f+".serialNumber", el[1])
	if err != nil {
		return nil, err
	}
	issuer := el[0].FullBytes
	// Some writers re-encode the issuer name (another string type, say) instead of copying the
	// certificate's bytes. The names are then compared as text, which is what such a writer meant.
	var issuerText string
	var rdn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(issuer, &rdn); err == nil && len(rest) == 0 {
		var n pkix.Name
		n.FillFromRDNSequence(&rdn)
		issuerText = n.String()
	}
	return func(c *smcrypto.Certificate) bool {
		if c.SerialNumber == nil || c.SerialNumber.Cmp(serial) != 0 {
			return false
		}
		if bytes.Equal(c.RawIssuer, issuer) {
			return true
		}
		if issuerText != "" && issuerText == c.Issuer {
			t.Quirks = append(t.Quirks, "SignerInfo.sid issuer is encoded differently from the certificate's issuer")
			return true
		}
		return false
	}, nil
}
