package ses

import (
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Kind is what a blob of DER looks like.
type Kind int

// Kinds Detect tells apart.
const (
	KindUnknown   Kind = iota
	KindSeal           // SES_Seal
	KindSignature      // SES_Signature
	KindPKCS7          // a ContentInfo (GM/T 0010 or RFC 5652 SignedData): not SES
)

func (k Kind) String() string {
	return [...]string{"unknown", "seal", "signature", "pkcs7"}[k]
}

// Detect tells a seal from a signature by structure: a seal's first element is SES_SealInfo, which
// starts with the SES_Header SEQUENCE; a signature's first element is TBS_Sign, which starts with the
// version INTEGER; a PKCS#7 ContentInfo starts with an OID. It does not validate anything further.
func Detect(der []byte) Kind {
	in := cryptobyte.String(der)
	var outer, first cryptobyte.String
	if !in.ReadASN1(&outer, cbasn1.SEQUENCE) {
		return KindUnknown
	}
	if outer.PeekASN1Tag(cbasn1.OBJECT_IDENTIFIER) {
		return KindPKCS7
	}
	if !outer.ReadASN1(&first, cbasn1.SEQUENCE) {
		return KindUnknown
	}
	switch {
	case first.PeekASN1Tag(cbasn1.SEQUENCE):
		return KindSeal
	case first.PeekASN1Tag(cbasn1.INTEGER):
		return KindSignature
	}
	return KindUnknown
}
