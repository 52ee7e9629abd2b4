package demo

import (
	"bytes"
	"time"

	"github.com/sealhub/sealhub/resolver/ofd"
)

// OFDSignature describes one seal signature of an OFD made by OFD.
type OFDSignature struct {
	Seal     []byte     // default: p.Seal(SealSpec{})
	Signer   *Authority // default: the PKI's Signer
	TimeInfo time.Time  // default: Epoch + 30 days
	// BadSignature, BadDataHash and Raw64 break or vary the SES_Signature on purpose.
	BadSignature bool
	BadDataHash  bool
	Raw64        bool
	// Type "Sign" writes a value that is not an SES_Signature (a stand-in PKCS#7 ContentInfo).
	Type string
}

// OFD makes a signed OFD document with one SES seal signature per entry (one valid signature when
// sigs is empty). Each signature's dataHash is SM3 over its own Signature.xml, as GB/T 38540 binds it.
func (p *PKI) OFD(sigs ...OFDSignature) ([]byte, error) {
	if len(sigs) == 0 {
		sigs = []OFDSignature{{}}
	}
	spec := ofd.WriteSpec{}
	for i, s := range sigs {
		if s.Seal == nil {
			var err error
			if s.Seal, err = p.Seal(SealSpec{}); err != nil {
				return nil, err
			}
		}
		i, s := i, s
		sign := func(xml []byte) ([]byte, error) {
			spec := SignSpec{Seal: s.Seal, Signer: s.Signer, Data: xml, TimeInfo: s.TimeInfo,
				PropertyInfo: ofd.SignatureXMLPath(i), BadSignature: s.BadSignature, Raw64: s.Raw64}
			if s.BadDataHash {
				spec.Data = append(bytes.Clone(xml), ' ')
			}
			return p.Sign(spec)
		}
		if s.Type == "Sign" {
			sign = func([]byte) ([]byte, error) { return pkcs7Stub, nil }
		}
		spec.Signatures = append(spec.Signatures, ofd.SignSpec{Type: s.Type, Seal: s.Seal, Sign: sign})
	}
	var buf bytes.Buffer
	if err := ofd.Write(&buf, spec); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// pkcs7Stub is a ContentInfo header naming GM/T 0010 signedData (1.2.156.10197.6.1.4.2.2) with an
// empty body: enough to be recognised as "not SES".
var pkcs7Stub = []byte{0x30, 0x0e, 0x06, 0x0a, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x06, 0x01, 0x04, 0x02, 0x02, 0xa0, 0x00}
