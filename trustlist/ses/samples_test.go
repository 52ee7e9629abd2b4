package ses_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/test/samples"
	"github.com/sealhub/sealhub/trustlist/ses"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// sealRefTime is the time expected-results.json judged bare seals' maker chains at.
var sealRefTime = time.Date(2026, 11, 22, 11, 39, 11, 0, time.UTC)

// encodings maps expected-results.json's names of signature encodings.
var encodings = map[string]smcrypto.SigEncoding{"DER-SEQUENCE{r,s}": smcrypto.SigDER, "raw-r||s-64": smcrypto.SigRaw64}

type nationalPools struct{ roots, inter *smcrypto.Pool }

func loadNational(t *testing.T) nationalPools {
	t.Helper()
	roots, err := smcrypto.LoadPool(samples.Path(t, "certs", "national-sm2-roots"))
	if err != nil {
		t.Fatal(err)
	}
	inter, err := smcrypto.LoadPool(samples.Path(t, "certs", "national-sm2-ca-operating"))
	if err != nil {
		t.Fatal(err)
	}
	return nationalPools{roots, inter}
}

func TestSampleSeals(t *testing.T) {
	exp := samples.LoadExpected(t)
	pools := loadNational(t)
	if len(exp.Seals) == 0 {
		t.Fatal("expected-results.json lists no seals")
	}
	for path, want := range exp.Seals {
		t.Run(path, func(t *testing.T) {
			s, err := ses.ParseSeal(samples.Read(t, path))
			if err != nil {
				t.Fatalf("ParseSeal: %v", err)
			}
			checkSeal(t, s, want)
			checkCertChain(t, "maker", s.MakerCert, want.MakerCert, pools, sealRefTime)
		})
	}
}

func TestSampleSignatures(t *testing.T) {
	exp := samples.LoadExpected(t)
	pools := loadNational(t)
	for path, want := range exp.Signatures {
		t.Run(path, func(t *testing.T) {
			der := samples.Read(t, path, "SignedValue.dat")
			sig, err := ses.ParseSignature(der)
			if strings.HasPrefix(want.Kind, "not SES") {
				if !errors.Is(err, ses.ErrNotSES) {
					t.Fatalf("ParseSignature of a non-SES value: err = %v, want ErrNotSES", err)
				}
				if k := ses.Detect(der); k != ses.KindPKCS7 {
					t.Fatalf("Detect = %v, want pkcs7", k)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSignature: %v", err)
			}
			if k := ses.Detect(der); k != ses.KindSignature {
				t.Errorf("Detect = %v, want signature", k)
			}
			wantVersion := map[string]ses.Version{"SES_Signature V1 (GM/T 0031-2014)": ses.V1, "SES_Signature V4 (GB/T 38540-2020)": ses.V4}[want.Kind]
			if sig.Version != wantVersion || sig.TBSVersion != want.TBSVersion {
				t.Errorf("version = %v/tbs %d, want %v/%d", sig.Version, sig.TBSVersion, wantVersion, want.TBSVersion)
			}
			if sig.TimeInfoRaw != want.TimeInfo || sig.TimeInfo.IsZero() {
				t.Errorf("timeInfo = %q (%v), want %q", sig.TimeInfoRaw, sig.TimeInfo, want.TimeInfo)
			}
			if sig.PropertyInfo != want.PropertyInfo {
				t.Errorf("propertyInfo = %q, want %q", sig.PropertyInfo, want.PropertyInfo)
			}
			if got := len(sig.ExtDatas) > 0; got != want.TBSExtDatas {
				t.Errorf("TBS extDatas present = %v, want %v", got, want.TBSExtDatas)
			}
			if got := sig.DataHashMatches(samples.Read(t, path, "Signature.xml")); got != want.DataHashMatches {
				t.Errorf("dataHash matches = %v, want %v", got, want.DataHashMatches)
			}
			if in, err := sig.SignerInSeal(); err != nil || in != want.SignerCertInSealCertList {
				t.Errorf("signer in seal = %v (%v), want %v", in, err, want.SignerCertInSealCertList)
			}
			signer, err := sig.SignerCertificate()
			if err != nil {
				t.Fatalf("signer certificate: %v", err)
			}
			enc, err := sig.VerifySignature(signer)
			if verifies := want.SignatureVerifiesOver != "NONE"; verifies != (err == nil) {
				t.Errorf("signature verifies = %v (%v), want %v", err == nil, err, verifies)
			}
			if err == nil && enc != encodings[want.SignatureEncoding] {
				t.Errorf("signature encoding = %v, want %s", enc, want.SignatureEncoding)
			}
			checkSeal(t, sig.Seal, want.Seal)
			checkCertChain(t, "signer", sig.SignerCert, want.SignerCert, pools, sig.TimeInfo)
			checkCertChain(t, "maker", sig.Seal.MakerCert, want.Seal.MakerCert, pools, sig.TimeInfo)
		})
	}
}

func checkSeal(t *testing.T, s *ses.Seal, want samples.SealInfo) {
	t.Helper()
	wantVersion := ses.V4
	switch {
	case strings.HasPrefix(want.Layout, "V1"):
		wantVersion = ses.V1
	case want.HeaderVersion == 5:
		wantVersion = ses.V5
	}
	if s.Version != wantVersion {
		t.Errorf("seal version = %v, want %v", s.Version, wantVersion)
	}
	if s.Header.Version != want.HeaderVersion || s.Header.Vid != want.Vid || s.ESID != want.ESID ||
		s.Name != want.Name || s.Type != want.Type || s.TimeTag != want.TimeTag || s.Picture.Type != want.PictureType {
		t.Errorf("seal fields = {v%d %q %q %q %d %s %s}, want {v%d %q %q %q %d %s %s}",
			s.Header.Version, s.Header.Vid, s.ESID, s.Name, s.Type, s.TimeTag, s.Picture.Type,
			want.HeaderVersion, want.Vid, want.ESID, want.Name, want.Type, want.TimeTag, want.PictureType)
	}
	if want.CertListType != 0 && s.CertListType != want.CertListType {
		t.Errorf("certListType = %d, want %d", s.CertListType, want.CertListType)
	}
	for _, tc := range []struct {
		name string
		got  time.Time
		want string
	}{{"createDate", s.CreateDate, want.CreateDate}, {"validStart", s.ValidStart, want.ValidStart}, {"validEnd", s.ValidEnd, want.ValidEnd}} {
		parse := smcrypto.ParseGeneralizedTime
		if want.TimeTag == "UTCTime" {
			parse = smcrypto.ParseUTCTime
		}
		w, err := parse(tc.want)
		if err != nil || !w.Equal(tc.got) {
			t.Errorf("%s = %v, want %s", tc.name, tc.got, tc.want)
		}
	}
	maker, err := s.MakerCertificate()
	if err != nil {
		t.Fatalf("maker certificate: %v", err)
	}
	enc, err := s.VerifySignature(maker)
	if verifies := want.SealSignatureVerifiesOver != "NONE"; verifies != (err == nil) {
		t.Errorf("seal signature verifies = %v (%v), want %v", err == nil, err, verifies)
	}
	if err == nil && enc != encodings[want.SealSignatureEncoding] {
		t.Errorf("seal signature encoding = %v, want DER", enc)
	}
}

// checkCertChain compares strict parsing and the chain at the reference time with the expected text.
func checkCertChain(t *testing.T, role string, der []byte, want samples.CertInfo, pools nationalPools, at time.Time) {
	t.Helper()
	c, err := smcrypto.ParseCertificate(der)
	if err != nil {
		t.Fatalf("%s certificate: %v", role, err)
	}
	if strictFails := strings.HasPrefix(want.SMX509Parse, "FAIL"); strictFails != c.Lenient {
		t.Errorf("%s certificate lenient = %v, want strict parse %q", role, c.Lenient, want.SMX509Parse)
	}
	if want.Subject != "" && c.Subject != want.Subject {
		t.Errorf("%s subject = %q, want %q", role, c.Subject, want.Subject)
	}
	if want.ChainAtRefTime == "" {
		return
	}
	_, err = smcrypto.BuildChain(c, smcrypto.ChainOptions{Roots: pools.roots, Intermediates: pools.inter, At: at})
	var ce *smcrypto.ChainError
	switch {
	case want.ChainAtRefTime == "ok":
		if err != nil {
			t.Errorf("%s chain: %v, want ok", role, err)
		}
	case strings.Contains(want.ChainAtRefTime, "unknown authority"):
		if !errors.As(err, &ce) || ce.Reason != smcrypto.ReasonUnknownAuthority {
			t.Errorf("%s chain: %v, want unknown authority", role, err)
		}
	case strings.Contains(want.ChainAtRefTime, "expired"):
		if !errors.As(err, &ce) || ce.Reason != smcrypto.ReasonExpired {
			t.Errorf("%s chain: %v, want expired", role, err)
		}
	default:
		t.Fatalf("unrecognised expectation %q", want.ChainAtRefTime)
	}
}

// TestSealEslEqualsEmbedded: where the OFD carried a Seal.esl, it is the seal embedded in TBS_Sign.
func TestSealEslEqualsEmbedded(t *testing.T) {
	exp := samples.LoadExpected(t)
	for path, want := range exp.Signatures {
		if !want.SealEslEqualsEmbeddedSeal {
			continue
		}
		t.Run(path, func(t *testing.T) {
			sig, err := ses.ParseSignature(samples.Read(t, path, "SignedValue.dat"))
			if err != nil {
				t.Fatal(err)
			}
			if esl := samples.Read(t, path, "Seal.esl"); string(esl) != string(sig.Seal.Raw) {
				t.Error("Seal.esl differs from the embedded seal")
			}
		})
	}
}
