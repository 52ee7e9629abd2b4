package ses_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist/ses"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

func newPKI(t testing.TB) *sm2ca.PKI {
	t.Helper()
	p, err := sm2ca.New(sm2ca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEncodeRoundTrip(t *testing.T) {
	p := newPKI(t)
	for _, version := range []int{4, 5} {
		for _, raw64 := range []bool{false, true} {
			name := map[int]string{4: "V4", 5: "V5"}[version] + map[bool]string{false: "/DER", true: "/raw64"}[raw64]
			t.Run(name, func(t *testing.T) {
				sealDER, err := p.Seal(sm2ca.SealSpec{Version: version, Raw64: raw64})
				if err != nil {
					t.Fatal(err)
				}
				seal, err := ses.ParseSeal(sealDER)
				if err != nil {
					t.Fatal(err)
				}
				if seal.Version != ses.Version(version) || len(seal.Quirks) != 0 {
					t.Errorf("version %v quirks %v", seal.Version, seal.Quirks)
				}
				wantEnc := map[bool]smcrypto.SigEncoding{false: smcrypto.SigDER, true: smcrypto.SigRaw64}[raw64]
				if enc, err := seal.VerifySignature(p.Maker.Cert); err != nil || enc != wantEnc {
					t.Fatalf("seal signature: %v %v", enc, err)
				}
				if !bytes.Equal(seal.SignedBytes, seal.RawSealInfo) {
					t.Error("V4/V5 maker signs SES_SealInfo")
				}
				data := []byte("<Signature>original</Signature>")
				at := p.Epoch.AddDate(0, 2, 0)
				sigDER, err := p.Sign(sm2ca.SignSpec{Seal: sealDER, Data: data, TimeInfo: at, Raw64: raw64})
				if err != nil {
					t.Fatal(err)
				}
				sig, err := ses.ParseSignature(sigDER)
				if err != nil {
					t.Fatal(err)
				}
				if sig.Version != ses.Version(version) || sig.TBSVersion != version || !sig.TimeInfo.Equal(at) {
					t.Errorf("signature version %v/%d time %v", sig.Version, sig.TBSVersion, sig.TimeInfo)
				}
				if !bytes.Equal(sig.Seal.Raw, sealDER) {
					t.Error("the embedded seal is not byte-identical to the seal")
				}
				if enc, err := sig.VerifySignature(p.Signer.Cert); err != nil || enc != wantEnc {
					t.Fatalf("signature: %v %v", enc, err)
				}
				if in, err := sig.SignerInSeal(); !in || err != nil {
					t.Errorf("signer in seal: %v %v", in, err)
				}
				if !sig.DataHashMatches(data) || sig.DataHashMatches(append(data, ' ')) {
					t.Error("dataHash check")
				}
			})
		}
	}
}

func TestBrokenOnPurpose(t *testing.T) {
	p := newPKI(t)
	badSeal, err := p.Seal(sm2ca.SealSpec{BadMakerSignature: true})
	if err != nil {
		t.Fatal(err)
	}
	s, err := ses.ParseSeal(badSeal)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.VerifySignature(p.Maker.Cert); !errors.Is(err, smcrypto.ErrBadSignature) {
		t.Errorf("bad maker signature: %v", err)
	}
	if _, err := s.VerifySignature(p.Signer.Cert); err == nil {
		t.Error("seal verified under the wrong key")
	}
	other, err := p.Leaf("other signer", p.Epoch, p.Epoch.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	sigDER, err := p.Sign(sm2ca.SignSpec{Signer: other, Data: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := ses.ParseSignature(sigDER)
	if in, _ := sig.SignerInSeal(); in {
		t.Error("a signer the seal does not list is reported in the seal")
	}
	badSig, _ := p.Sign(sm2ca.SignSpec{BadSignature: true, Data: []byte("x")})
	sig, _ = ses.ParseSignature(badSig)
	if _, err := sig.VerifySignature(p.Signer.Cert); !errors.Is(err, smcrypto.ErrBadSignature) {
		t.Errorf("bad signature: %v", err)
	}
}

func TestEncodeRefusesV1(t *testing.T) {
	_, err := ses.EncodeSeal(ses.SealTemplate{Version: 1}, nil)
	if err == nil {
		t.Fatal("EncodeSeal wrote V1")
	}
	_, err = ses.EncodeSeal(ses.SealTemplate{}, nil)
	if err == nil {
		t.Fatal("EncodeSeal without certificates")
	}
}

func TestMalformedInputs(t *testing.T) {
	p := newPKI(t)
	seal, _ := p.Seal(sm2ca.SealSpec{})
	cases := map[string][]byte{
		"empty":          nil,
		"not DER":        []byte("hello"),
		"trailing bytes": append(append([]byte(nil), seal...), 0),
		"truncated":      seal[:len(seal)-1],
		"3 elements":     {0x30, 0x09, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01},
		"integer":        {0x02, 0x01, 0x01},
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := ses.ParseSeal(in); !errors.Is(err, ses.ErrMalformed) {
				t.Errorf("ParseSeal: %v, want ErrMalformed", err)
			}
			if _, err := ses.ParseSignature(in); !errors.Is(err, ses.ErrMalformed) {
				t.Errorf("ParseSignature: %v, want ErrMalformed", err)
			}
		})
	}
	var fe *ses.FormatError
	if _, err := ses.ParseSeal(cases["3 elements"]); !errors.As(err, &fe) || fe.Field != "SESeal" {
		t.Errorf("FormatError names the field: %v", err)
	}
}
