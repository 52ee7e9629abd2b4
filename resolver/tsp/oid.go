package tsp

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/asn1"
	"hash"

	"github.com/emmansun/gmsm/sm3"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// Object identifiers of the two families real tokens use: RFC 5652 / RFC 3161 (PKCS#7) and
// GM/T 0006 / GM/T 0010 (SM2). Both outer content types name the same SignedData syntax.
var (
	OIDSignedData   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}        // PKCS#7 signedData
	OIDGMSignedData = asn1.ObjectIdentifier{1, 2, 156, 10197, 6, 1, 4, 2, 2}   // GM/T 0010 signedData
	OIDTSTInfo      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4} // id-ct-TSTInfo

	OIDSM3        = smcrypto.OIDSM3                                    // 1.2.156.10197.1.401
	OIDSM3NoKey   = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 401, 1} // GM/T 0006 "SM3 without key"
	OIDSHA256     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	OIDSM2Sign    = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301, 1} // sm2-1, GM/T 0010's signature OID
	OIDSM2WithSM3 = smcrypto.OIDSM2WithSM3                             // 1.2.156.10197.1.501

	OIDAttrContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	OIDAttrMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	OIDAttrSigningCert   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12} // ESS SigningCertificate (SHA-1)
	OIDAttrSigningCertV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47} // ESS SigningCertificateV2

	OIDKPTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
)

var (
	oidSHA1        = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSM2Curve    = smcrypto.OIDSM2Curve // some GM/T 0010 writers name the key, not the scheme
	oidECPublicKey = smcrypto.OIDECPublicKey
	oidExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}
)

// imprintHash returns the hash a messageImprint may use: SM3 (either OID) or SHA-256. Nothing else:
// a timestamp in a Chinese seal signature is SM3 by GB/T 38540, and SHA-256 is what international
// TSAs answer when asked for something else. SHA-1 imprints are refused (second preimages are not
// yet practical, but collisions are, and a verifier has no reason to accept them now).
func imprintHash(oid asn1.ObjectIdentifier) func() hash.Hash {
	switch {
	case oid.Equal(OIDSM3), oid.Equal(OIDSM3NoKey):
		return sm3.New
	case oid.Equal(OIDSHA256):
		return sha256.New
	}
	return nil
}

// essHash returns the hash of an ESS certificate identifier. SHA-1 is allowed here: the identifier
// only names the certificate whose key must verify the signature anyway.
func essHash(oid asn1.ObjectIdentifier) func() hash.Hash {
	if oid.Equal(oidSHA1) {
		return sha1.New
	}
	return imprintHash(oid)
}

func digest(h func() hash.Hash, data []byte) []byte {
	d := h()
	d.Write(data)
	return d.Sum(nil)
}

// isSM3 reports whether a SignerInfo digestAlgorithm names SM3, the only digest an SM2 signature
// is made with.
func isSM3(oid asn1.ObjectIdentifier) bool { return oid.Equal(OIDSM3) || oid.Equal(OIDSM3NoKey) }
