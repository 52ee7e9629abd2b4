package verifyapi

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/test/samples"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/ses"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// sampleRefTime is the reference time of the bare seals in expected-results.json.
var sampleRefTime = time.Date(2026, 11, 22, 11, 39, 11, 0, time.UTC)

// sampleAnchors are the sample CAs the hub is given: the three national SM2 roots and the ofdrw test
// root, and the operating CAs the samples' certificates chain to.
type sampleAnchors struct {
	roots, inters []*smcrypto.Certificate
}

func loadSampleAnchors(t *testing.T, dir string, leaves []*smcrypto.Certificate) sampleAnchors {
	t.Helper()
	roots, err := smcrypto.LoadDir(filepath.Join(dir, "certs", "national-sm2-roots"))
	if err != nil {
		t.Fatal(err)
	}
	ofdrw, err := smcrypto.LoadFile(filepath.Join(dir, "certs", "ofdrw-test-pki", "root_cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots = append(roots, ofdrw...)
	operating, err := smcrypto.LoadDir(filepath.Join(dir, "certs", "national-sm2-ca-operating"))
	if err != nil {
		t.Fatal(err)
	}
	a := sampleAnchors{roots: roots}
	rp, ip := smcrypto.NewPool(roots...), smcrypto.NewPool(operating...)
	for _, leaf := range leaves {
		chain, err := smcrypto.BuildChain(leaf, smcrypto.ChainOptions{Roots: rp, Intermediates: ip, At: leaf.NotBefore.Add(time.Hour)})
		if err != nil {
			continue
		}
		for _, c := range chain.Certs[1 : len(chain.Certs)-1] {
			if !slices.ContainsFunc(a.inters, func(o *smcrypto.Certificate) bool { return o.Fingerprint() == c.Fingerprint() }) {
				a.inters = append(a.inters, c)
			}
		}
	}
	return a
}

// sampleLeaves are the maker and signer certificates of the sample seals and signatures.
func sampleLeaves(t *testing.T, dir string, exp samples.Expected) []*smcrypto.Certificate {
	t.Helper()
	var out []*smcrypto.Certificate
	add := func(c *smcrypto.Certificate, err error) {
		if err == nil {
			out = append(out, c)
		}
	}
	for name := range exp.Seals {
		if s, err := ses.ParseSeal(readSample(t, dir, name)); err == nil {
			add(s.MakerCertificate())
		}
	}
	for name := range exp.Signatures {
		if s, err := ses.ParseSignature(readSample(t, dir, name, "SignedValue.dat")); err == nil {
			add(s.Seal.MakerCertificate())
			add(s.SignerCertificate())
		}
	}
	return out
}

func readSample(t *testing.T, dir string, rel ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{dir}, rel...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// verdict is a result and reason.
type verdict struct {
	result resolver.Verdict
	reason resolver.Reason
}

// The verdict each real sample gets online, unfiled, with its CAs loaded (facts from
// samples/README.md and expected-results.json). None is valid: the hub holds no record of any.
var (
	sampleSignatureVerdicts = map[string]verdict{
		// Signed in 2026 with certificates that expired in 2022.
		"ses-signature/ofdrw-v4": {resolver.Invalid, resolver.ReasonSignerCertExpired},
		// Reformatted after signing: the signature over TBS_Sign does not verify.
		"ses-signature/dms360-v1": {resolver.Invalid, resolver.ReasonSignatureInvalid},
		// The maker chains to Civil Servant ROOT; the signer's CA (CEGN_SEAL_CA) is not held.
		"ses-signature/shandong-cegn-zibo-Sign_1": {resolver.Indeterminate, resolver.ReasonSignerCAUnknown},
		// GM/T 0010 PKCS#7, not SES.
		"ses-signature/shandong-cegn-zibo-Sign_3": {resolver.Indeterminate, resolver.ReasonNotSES},
		// The tax CAs are not among the samples' certificates.
		"ses-signature/tax-chongqing-test-kinggrid": {resolver.Indeterminate, resolver.ReasonMakerCAUnknown},
		"ses-signature/tax-gomain-bw":               {resolver.Indeterminate, resolver.ReasonMakerCAUnknown},
		"ses-signature/tax-zhejiang-antchain":       {resolver.Indeterminate, resolver.ReasonMakerCAUnknown},
		"ses-signature/tax-zhejiang-gomain":         {resolver.Indeterminate, resolver.ReasonMakerCAUnknown},
	}
	// Bare seals at the reference time (2026-11-22).
	sampleSealVerdicts = map[string]verdict{
		"ses-seal/hebei-gede-SESealData.der": {resolver.Invalid, resolver.ReasonSealSignatureInvalid},
		"ses-seal/ofdrw-UserV1.esl":          {resolver.Invalid, resolver.ReasonSealExpired},
		"ses-seal/ofdrw-UserV4.esl":          {resolver.Invalid, resolver.ReasonSealExpired},
		// Made in 2026 by a maker certificate that expired in 2022.
		"ses-seal/ofdrw-UserV5.esl": {resolver.Invalid, resolver.ReasonMakerCertExpired},
	}
	sampleOFDVerdicts = map[string]verdict{
		"ofdrw-v4.ofd":  {resolver.Invalid, resolver.ReasonSignerCertExpired},
		"dms360-v1.ofd": {resolver.Invalid, resolver.ReasonSignatureInvalid},
		// Rewritten after signing: the References of both signatures fail.
		"shandong-cegn-zibo.ofd":          {resolver.Invalid, resolver.ReasonReferenceMismatch},
		"tax-chongqing-test-kinggrid.ofd": {resolver.Indeterminate, resolver.ReasonMakerCAUnknown},
		"tax-gomain-bw.ofd":               {resolver.Indeterminate, resolver.ReasonMakerCAUnknown},
		"tax-zhejiang-antchain.ofd":       {resolver.Indeterminate, resolver.ReasonMakerCAUnknown},
		"tax-zhejiang-gomain.ofd":         {resolver.Indeterminate, resolver.ReasonMakerCAUnknown},
	}
)

// passedIff checks that a check passed exactly when expected-results.json says it should.
func passedIff(t *testing.T, name string, c resolver.Check, should bool) {
	t.Helper()
	if (c.Result == resolver.Passed) != should {
		t.Errorf("%s: %s/%s (%s); expected-results.json implies passed=%v", name, c.Result, c.Code, c.Detail, should)
	}
}

func parseSampleTime(s string) time.Time {
	for _, layout := range []string{"20060102150405Z", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// TestRealSamples sends every public real sample through the API with the CAs they chain to loaded
// as trust anchors: the checks expected-results.json vouches for pass, and no sample is valid while
// the hub holds no record of it.
func TestRealSamples(t *testing.T) {
	t.Parallel()
	dir := samples.Dir(t)
	exp := samples.LoadExpected(t)
	f := newHub(t, nil)
	anchors := loadSampleAnchors(t, dir, sampleLeaves(t, dir, exp))
	early := utc(2010, 1, 1, 0)
	var ops []trustlist.Op
	for _, c := range append(slices.Clone(anchors.roots), anchors.inters...) {
		ops = append(ops, trustlist.Op{Op: trustlist.OpAnchorAdd, Cert: c.Raw, EffectiveAt: &early, Reason: "sample CA"})
	}
	f.push(f.admin, ops...)
	if len(anchors.inters) == 0 {
		t.Fatal("no operating CA found on the samples' chains (CEGN SM2 Class 2 CA expected)")
	}

	for _, name := range sortedKeys(exp.Signatures) {
		e := exp.Signatures[name]
		t.Run(name, func(t *testing.T) {
			want, ok := sampleSignatureVerdicts[name]
			if !ok {
				t.Fatalf("no expectation for %s", name)
			}
			s := f.postSignature(readSample(t, dir, name, "SignedValue.dat"), readSample(t, dir, name, "Signature.xml"), time.Time{})
			if s.status != 200 {
				t.Fatalf("BUG: a signature the API cannot decode gets %d %s instead of a report %s/%s", s.status, s.body, want.result, want.reason)
			}
			r := f.with(t).served(s, "signature")
			checkSampleSignature(t, r.Report, want, e)
		})
	}
	for _, name := range sortedKeys(exp.Seals) {
		e := exp.Seals[name]
		t.Run(name, func(t *testing.T) {
			r := f.with(t).verifySeal(readSample(t, dir, name), sampleRefTime)
			want := sampleSealVerdicts[name]
			if r.Result != want.result || r.Reason != want.reason {
				t.Errorf("%s/%s (%s), want %s/%s", r.Result, r.Reason, r.Message, want.result, want.reason)
			}
			if r.Seal.Code != e.ESID {
				t.Errorf("code %q, want %q", r.Seal.Code, e.ESID)
			}
			passedIff(t, "seal_signature", r.Checks.SealSignature, e.SealSignatureVerifiesOver != "NONE")
			passedIff(t, "maker_chain", r.Checks.MakerChain, e.MakerCert.ChainAtRefTime == "ok")
			unfiledStatus(t, r.Report)
		})
	}
	// The ofdrw seals within their validity: the ofdrw root is held and the maker chain passes, but
	// the hub holds no record, so the seals are not valid.
	for _, name := range []string{"ses-seal/ofdrw-UserV1.esl", "ses-seal/ofdrw-UserV4.esl"} {
		t.Run(name+" in its validity", func(t *testing.T) {
			r := f.with(t).verifySeal(readSample(t, dir, name), utc(2021, 6, 1, 0))
			want{result: resolver.Indeterminate, reason: resolver.ReasonSealUnknown, atSigning: resolver.StatusUnknown,
				now: resolver.StatusUnknown, status: resolver.Undetermined}.check(t, "seal", r.Report)
			passedIff(t, "maker_chain", r.Checks.MakerChain, true)
		})
	}
	ofds, _ := filepath.Glob(filepath.Join(dir, "ofd", "*.ofd"))
	for _, path := range ofds {
		name := filepath.Base(path)
		t.Run("ofd/"+name, func(t *testing.T) {
			want, ok := sampleOFDVerdicts[name]
			if !ok {
				t.Fatalf("no expectation for %s", name)
			}
			for _, asMultipart := range []bool{false, true} {
				r, _ := f.with(t).verifyOFD(readSample(t, dir, "ofd", name), asMultipart, time.Time{})
				if r.Result != want.result || r.Reason != want.reason {
					t.Errorf("multipart=%v: %s/%s (%s), want %s/%s", asMultipart, r.Result, r.Reason, r.Message, want.result, want.reason)
				}
				for _, s := range r.Signatures {
					if s.Result == resolver.Valid {
						t.Errorf("%s is valid, but the hub holds no record of its seal", s.SignaturePath)
					}
					if s.Seal != nil && s.Checks.Status.Code != resolver.ReasonSealUnknown {
						t.Errorf("%s: checks.status %+v, want SEAL_UNKNOWN", s.SignaturePath, s.Checks.Status)
					}
				}
			}
		})
	}
	// Signatures among the samples that expected-results.json does not list: never valid either.
	dirs, _ := filepath.Glob(filepath.Join(dir, "ses-signature", "*"))
	for _, d := range dirs {
		name := "ses-signature/" + filepath.Base(d)
		if _, listed := exp.Signatures[name]; listed {
			continue
		}
		t.Run(name+" (unlisted)", func(t *testing.T) {
			r := f.with(t).verifySignature(readSample(t, d, "SignedValue.dat"), readSample(t, d, "Signature.xml"), time.Time{})
			if r.Seal != nil {
				unfiledStatus(t, r.Report)
			} else if r.Result == resolver.Valid {
				t.Error("valid")
			}
		})
	}
	t.Run("filing the ofdrw samples", func(t *testing.T) { fileOFDRWSamples(t, f.with(t), dir) })
}

// checkSampleSignature checks a sample signature's report against its verdict and what
// expected-results.json says of it.
func checkSampleSignature(t *testing.T, r *resolver.Report, want verdict, e samples.SignatureInfo) {
	t.Helper()
	if r.Result != want.result || r.Reason != want.reason {
		t.Errorf("%s/%s (%s), want %s/%s", r.Result, r.Reason, r.Message, want.result, want.reason)
	}
	if strings.HasPrefix(e.Kind, "not SES") {
		if r.Seal != nil || r.Checks.Status.Result != resolver.Skipped {
			t.Errorf("not an SES, yet seal %+v and status %+v", r.Seal, r.Checks.Status)
		}
		return
	}
	if r.Seal.Code != e.Seal.ESID {
		t.Errorf("code %q, want %q", r.Seal.Code, e.Seal.ESID)
	}
	if at := parseSampleTime(e.TimeInfo); r.SigningTime == nil || !r.SigningTime.Equal(at) {
		t.Errorf("signing_time %v, want timeInfo %v", r.SigningTime, at)
	}
	passedIff(t, "signature", r.Checks.Signature, e.SignatureVerifiesOver != "NONE")
	passedIff(t, "signer_in_seal", r.Checks.SignerInSeal, e.SignerCertInSealCertList)
	passedIff(t, "seal_signature", r.Checks.SealSignature, e.Seal.SealSignatureVerifiesOver != "NONE")
	passedIff(t, "data_hash", r.Checks.DataHash, e.DataHashMatches)
	passedIff(t, "maker_chain", r.Checks.MakerChain, e.Seal.MakerCert.ChainAtRefTime == "ok")
	passedIff(t, "signer_chain", r.Checks.SignerChain, e.SignerCert.ChainAtRefTime == "ok")
	unfiledStatus(t, r)
}

// unfiledStatus checks the status lines of a decoded sample the hub has no record of.
func unfiledStatus(t *testing.T, r *resolver.Report) {
	t.Helper()
	if r.Result == resolver.Valid {
		t.Error("a sample the hub holds no record of is valid")
	}
	if c := r.Checks.Status; c.Result != resolver.Undetermined || c.Code != resolver.ReasonSealUnknown ||
		statusOf(r.StatusAtSigning) != resolver.StatusUnknown || statusOf(r.StatusNow) != resolver.StatusUnknown {
		t.Errorf("status %s/%s, at signing %q, now %q; want SEAL_UNKNOWN, unknown, unknown", c.Result, c.Code, statusOf(r.StatusAtSigning), statusOf(r.StatusNow))
	}
}
