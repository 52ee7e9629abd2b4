package resolver_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/test/samples"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// sampleVerifier trusts the three national SM2 roots and the ofdrw test root, with the 86 national
// operating CAs as intermediates.
func sampleVerifier(t *testing.T) *resolver.Verifier {
	t.Helper()
	roots, err := smcrypto.LoadPool(samples.Path(t, "certs", "national-sm2-roots"))
	if err != nil {
		t.Fatal(err)
	}
	ofdrw, err := smcrypto.LoadFile(samples.Path(t, "certs", "ofdrw-test-pki", "root_cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots.Add(ofdrw[0])
	inter, err := smcrypto.LoadPool(samples.Path(t, "certs", "national-sm2-ca-operating"))
	if err != nil {
		t.Fatal(err)
	}
	return &resolver.Verifier{Roots: roots, Intermediates: inter, Now: func() time.Time { return time.Date(2026, 11, 22, 11, 39, 11, 0, time.UTC) }}
}

// The verdict each real sample must get, and why (facts from samples/README.md and
// expected-results.json).
var sampleVerdicts = map[string]struct {
	result resolver.Verdict
	reason resolver.Reason
}{
	// ofdrw signed in 2026 with certificates that expired in 2022.
	"ofdrw-v4": {resolver.Invalid, resolver.ReasonSignerCertExpired},
	// The document was reformatted after signing: the signature over TBS_Sign does not verify.
	"dms360-v1": {resolver.Invalid, resolver.ReasonSignatureInvalid},
	// Maker chain OK to Civil Servant ROOT; the signer's CA (CEGN_SEAL_CA) is not held.
	"shandong-cegn-zibo-Sign_1": {resolver.Indeterminate, resolver.ReasonSignerCAUnknown},
	// GM/T 0010 PKCS#7, not SES.
	"shandong-cegn-zibo-Sign_3": {resolver.Indeterminate, resolver.ReasonNotSES},
	// Tax CAs (税务电子证书管理中心(SM2), 税务测试CA2(SM2)) are not held.
	"tax-chongqing-test-kinggrid": {resolver.Indeterminate, resolver.ReasonMakerCAUnknown},
	"tax-gomain-bw":               {resolver.Indeterminate, resolver.ReasonMakerCAUnknown},
	"tax-jiangsu-gomain":          {resolver.Indeterminate, resolver.ReasonMakerCAUnknown},
	"tax-zhejiang-antchain":       {resolver.Indeterminate, resolver.ReasonMakerCAUnknown},
	"tax-zhejiang-gomain":         {resolver.Indeterminate, resolver.ReasonMakerCAUnknown},
}

func TestSampleSignatureVerdicts(t *testing.T) {
	v := sampleVerifier(t)
	dirs, _ := filepath.Glob(samples.Path(t, "ses-signature", "*"))
	if len(dirs) != len(sampleVerdicts) {
		t.Fatalf("%d sample signatures, %d expectations", len(dirs), len(sampleVerdicts))
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			want, ok := sampleVerdicts[name]
			if !ok {
				t.Fatalf("no expectation for %s", name)
			}
			der, _ := os.ReadFile(filepath.Join(dir, "SignedValue.dat"))
			data, _ := os.ReadFile(filepath.Join(dir, "Signature.xml"))
			r := v.VerifySignature(resolver.SignatureRequest{DER: der, Data: data})
			if r.Result != want.result || r.Reason != want.reason {
				t.Fatalf("%s/%s (%s), want %s/%s", r.Result, r.Reason, r.Message, want.result, want.reason)
			}
			if r.Result == resolver.Valid {
				t.Fatal("no real sample can be valid: none has every CA and a current certificate")
			}
		})
	}
}

func TestSampleSeals(t *testing.T) {
	v := sampleVerifier(t)
	cases := map[string]struct {
		at     time.Time
		result resolver.Verdict
		reason resolver.Reason
	}{
		"hebei-gede-SESealData.der": {time.Time{}, resolver.Invalid, resolver.ReasonSealSignatureInvalid},
		// During the seal's window, with the ofdrw root (which lacks keyCertSign: a warning).
		"ofdrw-UserV1.esl": {time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC), resolver.Valid, resolver.ReasonOK},
		"ofdrw-UserV4.esl": {time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC), resolver.Valid, resolver.ReasonOK},
		// Made in 2026 with a maker certificate that expired in 2022: no createDate allowance.
		"ofdrw-UserV5.esl": {time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), resolver.Invalid, resolver.ReasonMakerCertExpired},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := v.VerifySeal(resolver.SealRequest{DER: samples.Read(t, "ses-seal", name), At: tc.at})
			if r.Result != tc.result || r.Reason != tc.reason {
				t.Fatalf("%s/%s (%s), want %s/%s", r.Result, r.Reason, r.Message, tc.result, tc.reason)
			}
			if r.Result == resolver.Valid && !strings.Contains(r.Checks.MakerChain.Detail, "keyCertSign") {
				t.Errorf("the anchor's missing keyCertSign is not reported: %s", r.Checks.MakerChain.Detail)
			}
		})
	}
}

func TestSampleOFDVerdicts(t *testing.T) {
	v := sampleVerifier(t)
	cases := map[string]struct {
		result resolver.Verdict
		reason resolver.Reason
		kinds  []string
	}{
		"ofdrw-v4.ofd":  {resolver.Invalid, resolver.ReasonSignerCertExpired, []string{"ses"}},
		"dms360-v1.ofd": {resolver.Invalid, resolver.ReasonSignatureInvalid, []string{"ses"}},
		// The sample was rewritten after signing: OFD.xml, Document.xml and the page changed, so
		// the References of both signatures fail. The PKCS#7 signature is reported as such.
		"shandong-cegn-zibo.ofd":          {resolver.Invalid, resolver.ReasonReferenceMismatch, []string{"ses", "pkcs7"}},
		"tax-chongqing-test-kinggrid.ofd": {resolver.Indeterminate, resolver.ReasonMakerCAUnknown, []string{"ses"}},
		"tax-gomain-bw.ofd":               {resolver.Indeterminate, resolver.ReasonMakerCAUnknown, []string{"ses"}},
		"tax-zhejiang-antchain.ofd":       {resolver.Indeterminate, resolver.ReasonMakerCAUnknown, []string{"ses"}},
		"tax-zhejiang-gomain.ofd":         {resolver.Indeterminate, resolver.ReasonMakerCAUnknown, []string{"ses"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := v.VerifyOFDFile(samples.Path(t, "ofd", name), time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Result != tc.result || r.Reason != tc.reason {
				t.Fatalf("%s/%s (%s), want %s/%s", r.Result, r.Reason, r.Message, tc.result, tc.reason)
			}
			var kinds []string
			for _, s := range r.Signatures {
				kinds = append(kinds, s.Kind)
				if s.Kind == "ses" && s.Reason != resolver.ReasonReferenceMismatch && s.Checks.DataHash.Result != resolver.Passed && name != "dms360-v1.ofd" {
					t.Errorf("%s: data_hash %s %s", s.SignaturePath, s.Checks.DataHash.Result, s.Checks.DataHash.Detail)
				}
			}
			if strings.Join(kinds, ",") != strings.Join(tc.kinds, ",") {
				t.Errorf("signature kinds %v, want %v", kinds, tc.kinds)
			}
		})
	}
}
