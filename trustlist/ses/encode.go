package ses

import (
	"encoding/asn1"
	"errors"
	"fmt"
	"time"

	"github.com/sealhub/sealhub/trustlist/smcrypto"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// SignFunc signs msg (SM2-with-SM3, default user ID) and returns the signature value to embed: DER, or
// raw r‖s if the caller wants to reproduce that form.
type SignFunc func(msg []byte) ([]byte, error)

// SealTemplate is what EncodeSeal writes. Version is 4 (default) or 5.
type SealTemplate struct {
	Version    int
	Vid        string
	ESID       string
	Type       int
	Name       string
	CertList   [][]byte // DER signer certificates (certListType 1)
	CreateDate time.Time
	ValidStart time.Time
	ValidEnd   time.Time
	Picture    Picture
	ExtDatas   []ExtData
	MakerCert  []byte // DER
	TimeStamp  []byte // V5 only: written as [0] EXPLICIT BIT STRING
}

// EncodeSeal writes a V4 (or V5) SES_Seal and has sign make the maker's signature over DER(SES_SealInfo).
func EncodeSeal(t SealTemplate, sign SignFunc) ([]byte, error) {
	v := t.Version
	if v == 0 {
		v = 4
	}
	if v != 4 && v != 5 {
		return nil, fmt.Errorf("ses: EncodeSeal writes V4 or V5, not %d", v)
	}
	if len(t.MakerCert) == 0 || len(t.CertList) == 0 {
		return nil, errors.New("ses: EncodeSeal needs a maker certificate and at least one signer certificate")
	}
	var info cryptobyte.Builder
	info.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(h *cryptobyte.Builder) {
			addString(h, tagIA5String, "ES")
			h.AddASN1Int64(int64(v))
			addString(h, tagIA5String, t.Vid)
		})
		addString(b, tagIA5String, t.ESID)
		b.AddASN1(cbasn1.SEQUENCE, func(p *cryptobyte.Builder) {
			p.AddASN1Int64(int64(t.Type))
			addString(p, tagUTF8String, t.Name)
			p.AddASN1Int64(CertListCerts)
			p.AddASN1(cbasn1.SEQUENCE, func(l *cryptobyte.Builder) {
				for _, c := range t.CertList {
					l.AddASN1OctetString(c)
				}
			})
			addGeneralizedTime(p, t.CreateDate)
			addGeneralizedTime(p, t.ValidStart)
			addGeneralizedTime(p, t.ValidEnd)
		})
		b.AddASN1(cbasn1.SEQUENCE, func(p *cryptobyte.Builder) {
			addString(p, tagIA5String, t.Picture.Type)
			p.AddASN1OctetString(t.Picture.Data)
			p.AddASN1Int64(int64(t.Picture.Width))
			p.AddASN1Int64(int64(t.Picture.Height))
		})
		if len(t.ExtDatas) > 0 {
			addExtDatas(b, t.ExtDatas)
		}
	})
	sealInfo, err := info.Bytes()
	if err != nil {
		return nil, fmt.Errorf("ses: encode SES_SealInfo: %w", err)
	}
	sig, err := sign(sealInfo)
	if err != nil {
		return nil, fmt.Errorf("ses: maker signature: %w", err)
	}
	var out cryptobyte.Builder
	out.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(sealInfo)
		b.AddASN1OctetString(t.MakerCert)
		b.AddASN1ObjectIdentifier(smcrypto.OIDSM2WithSM3)
		b.AddASN1BitString(sig)
		if v == 5 && len(t.TimeStamp) > 0 {
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(ts *cryptobyte.Builder) {
				ts.AddASN1BitString(t.TimeStamp)
			})
		}
	})
	return out.Bytes()
}

// TimeStampFunc returns a GB/T 20520 TimeStampToken over signature, the signature value just made.
// The token can only be asked for once the signature exists, hence a function, not bytes.
type TimeStampFunc func(signature []byte) ([]byte, error)

// SignatureTemplate is what EncodeSignature writes. The version follows the embedded seal (4 or 5).
type SignatureTemplate struct {
	Seal         []byte // a DER SES_Seal, embedded byte for byte
	TimeInfo     time.Time
	DataHash     []byte // SM3 of the signed original
	PropertyInfo string
	ExtDatas     []ExtData // written as [0] EXPLICIT
	SignerCert   []byte    // DER
	// TimeStamp, when set, is asked for a token over the signature value; the token is written as
	// timeStamp, [0] EXPLICIT BIT STRING (as ofdrw writes it).
	TimeStamp TimeStampFunc
}

// EncodeSignature writes a V4/V5 SES_Signature and has sign make the signature over DER(TBS_Sign).
func EncodeSignature(t SignatureTemplate, sign SignFunc) ([]byte, error) {
	seal, err := ParseSeal(t.Seal)
	if err != nil {
		return nil, fmt.Errorf("ses: EncodeSignature: embedded seal: %w", err)
	}
	if seal.Version == V1 {
		return nil, errors.New("ses: EncodeSignature writes V4/V5; the seal is V1")
	}
	var tb cryptobyte.Builder
	tb.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(int64(seal.Version))
		b.AddBytes(seal.Raw)
		addGeneralizedTime(b, t.TimeInfo)
		b.AddASN1BitString(t.DataHash)
		addString(b, tagIA5String, t.PropertyInfo)
		if len(t.ExtDatas) > 0 {
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(e *cryptobyte.Builder) {
				addExtDatas(e, t.ExtDatas)
			})
		}
	})
	tbs, err := tb.Bytes()
	if err != nil {
		return nil, fmt.Errorf("ses: encode TBS_Sign: %w", err)
	}
	sig, err := sign(tbs)
	if err != nil {
		return nil, fmt.Errorf("ses: signer signature: %w", err)
	}
	var token []byte
	if t.TimeStamp != nil {
		if token, err = t.TimeStamp(sig); err != nil {
			return nil, fmt.Errorf("ses: timestamp: %w", err)
		}
	}
	var out cryptobyte.Builder
	out.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbs)
		b.AddASN1OctetString(t.SignerCert)
		b.AddASN1ObjectIdentifier(smcrypto.OIDSM2WithSM3)
		b.AddASN1BitString(sig)
		if len(token) > 0 {
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(ts *cryptobyte.Builder) {
				ts.AddASN1BitString(token)
			})
		}
	})
	return out.Bytes()
}

func addString(b *cryptobyte.Builder, tag cbasn1.Tag, s string) {
	b.AddASN1(tag, func(c *cryptobyte.Builder) { c.AddBytes([]byte(s)) })
}

func addGeneralizedTime(b *cryptobyte.Builder, t time.Time) {
	b.AddASN1(cbasn1.GeneralizedTime, func(c *cryptobyte.Builder) {
		c.AddBytes([]byte(t.UTC().Format("20060102150405Z")))
	})
}

func addExtDatas(b *cryptobyte.Builder, exts []ExtData) {
	b.AddASN1(cbasn1.SEQUENCE, func(s *cryptobyte.Builder) {
		for _, e := range exts {
			s.AddASN1(cbasn1.SEQUENCE, func(d *cryptobyte.Builder) {
				d.AddASN1ObjectIdentifier(asn1.ObjectIdentifier(e.ID))
				if e.Critical {
					d.AddASN1Boolean(true)
				}
				d.AddASN1OctetString(e.Value)
			})
		}
	})
}
