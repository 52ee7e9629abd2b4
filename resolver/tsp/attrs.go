package tsp

import (
	"encoding/asn1"
)

// Limits on lists in hostile input. Real tokens have three or four signed attributes, one to four
// certificates and a handful of extensions per certificate.
const (
	maxAttributes = 32
	maxCerts      = 16
	maxExtensions = 64
)

// signedAttrs is what Verify needs of SignerInfo.signedAttrs.
type signedAttrs struct {
	// der is the SET OF Attribute as signed: the received [0] IMPLICIT bytes with the tag turned
	// back into a universal SET (RFC 5652 §5.4).
	der           []byte
	contentType   asn1.ObjectIdentifier
	messageDigest []byte
	// essHash and essCertHash come from the first ESSCertID(v2) of a signing-certificate
	// attribute, which names the TSA certificate; essHash is nil when the attribute is absent or
	// uses a hash this package does not know.
	essHash     asn1.ObjectIdentifier
	essCertHash []byte
}

// parseSignedAttrs reads SignerInfo.signedAttrs. content-type and message-digest must each be present
// exactly once (RFC 5652 §5.3, §11); every attribute type may appear only once.
func (t *Token) parseSignedAttrs(v asn1.RawValue) (*signedAttrs, error) {
	const f = "SignerInfo.signedAttrs"
	list, err := elements(f, v, maxAttributes)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, malformed(f, "empty")
	}
	a := &signedAttrs{der: append([]byte{0x31}, v.FullBytes[1:]...)}
	seen := make(map[string]bool, len(list))
	for _, attr := range list {
		el, err := sequence(f+".Attribute", attr, 2, 2)
		if err != nil {
			return nil, err
		}
		id, err := readOID(f+".attrType", el[0])
		if err != nil {
			return nil, err
		}
		if seen[id.String()] {
			return nil, malformed(f, "attribute %s twice", id)
		}
		seen[id.String()] = true
		if !is(el[1], classUniversal, asn1.TagSet, true) {
			return nil, malformed(f+".attrValues", "not a SET")
		}
		values, err := elements(f+".attrValues", el[1], maxAttributes)
		if err != nil {
			return nil, err
		}
		if err := a.read(id, values); err != nil {
			return nil, err
		}
	}
	if a.contentType == nil {
		return nil, malformed(f, "no content-type attribute")
	}
	if a.messageDigest == nil {
		return nil, malformed(f, "no message-digest attribute")
	}
	return a, nil
}

// read takes the attributes Verify checks and ignores the rest (signing-time and the like say
// nothing the TSTInfo does not say better).
func (a *signedAttrs) read(id asn1.ObjectIdentifier, values []asn1.RawValue) error {
	const f = "SignerInfo.signedAttrs"
	one := func(name string) error {
		if len(values) != 1 {
			return malformed(f+"."+name, "%d values, want 1", len(values))
		}
		return nil
	}
	var err error
	switch {
	case id.Equal(OIDAttrContentType):
		if err = one("content-type"); err == nil {
			a.contentType, err = readOID(f+".content-type", values[0])
		}
	case id.Equal(OIDAttrMessageDigest):
		if err = one("message-digest"); err == nil {
			a.messageDigest, err = readOctets(f+".message-digest", values[0])
		}
		if err == nil && a.messageDigest == nil {
			a.messageDigest = []byte{}
		}
	case id.Equal(OIDAttrSigningCert):
		if err = one("signing-certificate"); err == nil {
			err = a.readSigningCert(values[0], false)
		}
	case id.Equal(OIDAttrSigningCertV2):
		if err = one("signing-certificate-v2"); err == nil {
			err = a.readSigningCert(values[0], true)
		}
	}
	return err
}

// readSigningCert reads the first ESSCertID of SigningCertificate (RFC 2634: SHA-1 certHash) or
// SigningCertificateV2 (RFC 5035: hashAlgorithm DEFAULT SHA-256). The first entry names the
// signer's certificate; the others (rarely present) name its issuers and are not checked.
func (a *signedAttrs) readSigningCert(v asn1.RawValue, v2 bool) error {
	const f = "SignerInfo.signedAttrs.signing-certificate"
	sc, err := sequence(f, v, 1, 2)
	if err != nil {
		return err
	}
	ids, err := sequence(f+".certs", sc[0], 1, maxCerts)
	if err != nil {
		return err
	}
	id, err := sequence(f+".certs[0]", ids[0], 1, 3)
	if err != nil {
		return err
	}
	alg := oidSHA1
	if v2 {
		alg = OIDSHA256
		if is(id[0], classUniversal, asn1.TagSequence, true) {
			if alg, err = readAlgorithm(f+".hashAlgorithm", id[0]); err != nil {
				return err
			}
			id = id[1:]
		}
	}
	if len(id) == 0 {
		return malformed(f, "no certHash")
	}
	if a.essCertHash, err = readOctets(f+".certHash", id[0]); err != nil {
		return err
	}
	if essHash(alg) != nil {
		a.essHash = alg
	}
	return nil
}
