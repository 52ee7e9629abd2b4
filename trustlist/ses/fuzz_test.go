package ses_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/sealhub/sealhub/test/samples"
	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist/ses"
)

// seedSamples adds every real seal and signature as a seed (read at run time, never committed).
func seedSamples(f *testing.F) {
	dir, err := samples.Locate()
	if err != nil {
		f.Logf("no sample seeds: %v", err)
		return
	}
	files, _ := filepath.Glob(filepath.Join(dir, "ses-seal", "*"))
	more, _ := filepath.Glob(filepath.Join(dir, "ses-signature", "*", "*"))
	for _, p := range append(files, more...) {
		if b, err := os.ReadFile(p); err == nil && (filepath.Ext(p) == ".esl" || filepath.Ext(p) == ".dat" || filepath.Ext(p) == ".der") {
			f.Add(b)
		}
	}
}

func seedGenerated(f *testing.F) {
	p := newPKI(f)
	seal, err := p.Seal(sm2ca.SealSpec{Version: 5, Raw64: true})
	if err != nil {
		f.Fatal(err)
	}
	sig, err := p.Sign(sm2ca.SignSpec{Seal: seal, Data: []byte("x")})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seal)
	f.Add(sig)
}

// subslice reports whether part lies inside whole's memory (the decoder must alias, never copy).
func subslice(part, whole []byte) bool {
	if len(part) == 0 {
		return true
	}
	i := bytes.Index(whole, part)
	return i >= 0
}

func FuzzParseSeal(f *testing.F) {
	seedSamples(f)
	seedGenerated(f)
	f.Fuzz(func(t *testing.T, der []byte) {
		s, err := ses.ParseSeal(der)
		if err != nil {
			if s != nil {
				t.Fatal("non-nil seal with an error")
			}
			return
		}
		if !bytes.Equal(s.Raw, der) {
			t.Fatal("Raw is not the input")
		}
		if s.Version != ses.V1 && s.Version != ses.V4 && s.Version != ses.V5 {
			t.Fatalf("version %v", s.Version)
		}
		if !subslice(s.RawSealInfo, der) || !subslice(s.MakerCert, der) || !subslice(s.SignedValue, der) {
			t.Fatal("signed parts are not the received bytes")
		}
		if s.Version != ses.V1 && !bytes.Equal(s.SignedBytes, s.RawSealInfo) {
			t.Fatal("V4/V5 signed bytes are not SES_SealInfo")
		}
		if maker, err := s.MakerCertificate(); err == nil {
			_, _ = s.VerifySignature(maker)
		}
	})
}

func FuzzParseSignature(f *testing.F) {
	seedSamples(f)
	seedGenerated(f)
	f.Fuzz(func(t *testing.T, der []byte) {
		s, err := ses.ParseSignature(der)
		if err != nil {
			return
		}
		if !bytes.Equal(s.Raw, der) || !subslice(s.RawTBSSign, der) || !subslice(s.Seal.Raw, der) {
			t.Fatal("raw parts are not the received bytes")
		}
		if s.Seal == nil {
			t.Fatal("signature without a seal")
		}
		_, _ = s.SignerInSeal()
		_ = s.DataHashMatches(der)
		if c, err := s.SignerCertificate(); err == nil {
			_, _ = s.VerifySignature(c)
		}
		if k := ses.Detect(der); k != ses.KindSignature {
			t.Fatalf("parsed as a signature but Detect says %v", k)
		}
	})
}

func FuzzDetect(f *testing.F) {
	seedSamples(f)
	f.Fuzz(func(t *testing.T, der []byte) {
		switch ses.Detect(der) {
		case ses.KindSeal, ses.KindSignature, ses.KindPKCS7, ses.KindUnknown:
		default:
			t.Fatal("unknown kind")
		}
	})
}
