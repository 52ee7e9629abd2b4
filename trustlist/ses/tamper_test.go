package ses_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/sealhub/sealhub/test/samples"
	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist/ses"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// outcome is what each check of a signature gives.
type outcome struct {
	parsed, signature, sealSignature, signerInSeal, dataHash bool
}

func (o outcome) allPass() bool {
	return o.parsed && o.signature && o.sealSignature && o.signerInSeal && o.dataHash
}

func check(der, original []byte) outcome {
	var o outcome
	sig, err := ses.ParseSignature(der)
	if err != nil {
		return o
	}
	o.parsed = true
	if signer, err := sig.SignerCertificate(); err == nil {
		_, err = sig.VerifySignature(signer)
		o.signature = err == nil
	}
	if maker, err := sig.Seal.MakerCertificate(); err == nil {
		_, err = sig.Seal.VerifySignature(maker)
		o.sealSignature = err == nil
	}
	o.signerInSeal, _ = sig.SignerInSeal()
	o.dataHash = sig.DataHashMatches(original)
	return o
}

type tamperCase struct {
	name          string
	der, original []byte
}

// tamperCases are the real samples whose every check passes, plus generated V4 and V5 signatures.
func tamperCases(t *testing.T) []tamperCase {
	t.Helper()
	var out []tamperCase
	for _, name := range []string{"ofdrw-v4", "shandong-cegn-zibo-Sign_1", "tax-zhejiang-gomain", "tax-zhejiang-antchain"} {
		out = append(out, tamperCase{name, samples.Read(t, "ses-signature", name, "SignedValue.dat"), samples.Read(t, "ses-signature", name, "Signature.xml")})
	}
	p := newPKI(t)
	for _, v := range []int{4, 5} {
		seal, err := p.Seal(sm2ca.SealSpec{Version: v})
		if err != nil {
			t.Fatal(err)
		}
		data := []byte("generated original")
		der, err := p.Sign(sm2ca.SignSpec{Seal: seal, Data: data})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tamperCase{map[int]string{4: "generated-V4", 5: "generated-V5"}[v], der, data})
	}
	return out
}

// TestNoSingleBitFlipPasses flips bits across the whole SES_Signature (every bit of short values,
// a stride through long ones) and asserts that no flip leaves every check passing.
func TestNoSingleBitFlipPasses(t *testing.T) {
	for _, tc := range tamperCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			if !check(tc.der, tc.original).allPass() {
				t.Fatal("the untouched signature does not pass every check")
			}
			stride := len(tc.der)*8/600 + 1
			if testing.Short() {
				stride *= 4
			}
			flips := 0
			for bit := 0; bit < len(tc.der)*8; bit += stride {
				der := bytes.Clone(tc.der)
				der[bit/8] ^= 1 << (bit % 8)
				if check(der, tc.original).allPass() {
					t.Fatalf("flipping bit %d (byte %d) went unnoticed", bit, bit/8)
				}
				flips++
			}
			t.Logf("%d flips, none unnoticed", flips)
		})
	}
}

// TestTamperCaughtByTheRightCheck flips one bit in each signed part and checks which checks fail.
func TestTamperCaughtByTheRightCheck(t *testing.T) {
	for _, tc := range tamperCases(t) {
		sig, err := ses.ParseSignature(tc.der)
		if err != nil {
			t.Fatal(err)
		}
		at := func(b []byte) int { return bytes.Index(tc.der, b) }
		timeLast := at([]byte(sig.TimeInfoRaw)) + len(sig.TimeInfoRaw) - 2 // a digit of the seconds
		parts := []struct {
			name   string
			offset int
			want   outcome // which checks still pass
		}{
			{"seal picture", at(sig.Seal.Picture.Data[:32]) + 40, outcome{parsed: true, signerInSeal: true, dataHash: true}},
			{"seal maker signature", at(sig.Seal.SignedValue) + len(sig.Seal.SignedValue) - 1, outcome{parsed: true, signerInSeal: true, dataHash: true}},
			{"TBS timeInfo", timeLast, outcome{parsed: true, sealSignature: true, signerInSeal: true, dataHash: true}},
			{"TBS dataHash", at(sig.DataHash) + 5, outcome{parsed: true, sealSignature: true, signerInSeal: true}},
			{"signature value", at(sig.SignatureValue) + len(sig.SignatureValue) - 1, outcome{parsed: true, sealSignature: true, signerInSeal: true, dataHash: true}},
		}
		for _, part := range parts {
			t.Run(tc.name+"/"+part.name, func(t *testing.T) {
				if part.offset < 0 {
					t.Fatal("part not found")
				}
				der := bytes.Clone(tc.der)
				der[part.offset] ^= 1
				if got := check(der, tc.original); got != part.want {
					t.Errorf("checks after the flip = %+v, want %+v", got, part.want)
				}
			})
		}
		t.Run(tc.name+"/original", func(t *testing.T) {
			orig := bytes.Clone(tc.original)
			orig[len(orig)/2] ^= 0x10
			want := outcome{parsed: true, signature: true, sealSignature: true, signerInSeal: true}
			if got := check(tc.der, orig); got != want {
				t.Errorf("checks after changing the original = %+v, want %+v", got, want)
			}
		})
	}
}

// TestTamperBareSeal flips bits through real and generated bare seals (V1, V4, V5). The V4 maker
// signature does not cover the maker certificate; a change there is caught by the chain check (the
// CA's signature over the certificate) or, when it hits the key, by the seal signature.
func TestTamperBareSeal(t *testing.T) {
	p := newPKI(t)
	gen, err := p.Seal(sm2ca.SealSpec{})
	if err != nil {
		t.Fatal(err)
	}
	type sealCase struct {
		der   []byte
		roots *smcrypto.Pool
		at    time.Time
	}
	cases := map[string]sealCase{"generated": {gen, p.Roots(), p.Epoch.AddDate(0, 1, 0)}}
	certs, err := smcrypto.ParseCertificates(samples.Read(t, "certs", "ofdrw-test-pki", "root_cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	ofdrwRoot := smcrypto.NewPool(certs...)
	for _, n := range []string{"ofdrw-UserV1.esl", "ofdrw-UserV4.esl", "ofdrw-UserV5.esl"} {
		cases[n] = sealCase{samples.Read(t, "ses-seal", n), ofdrwRoot, time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)}
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			der := tc.der
			ok := func(b []byte) bool {
				s, err := ses.ParseSeal(b)
				if err != nil {
					return false
				}
				maker, err := s.MakerCertificate()
				if err != nil {
					return false
				}
				if _, err = s.VerifySignature(maker); err != nil {
					return false
				}
				_, err = smcrypto.BuildChain(maker, smcrypto.ChainOptions{Roots: tc.roots, Intermediates: p.Intermediates(), At: tc.at})
				return err == nil
			}
			if !ok(der) {
				t.Fatal("untouched seal does not verify")
			}
			stride := len(der)*8/400 + 1
			for bit := 0; bit < len(der)*8; bit += stride {
				b := bytes.Clone(der)
				b[bit/8] ^= 1 << (bit % 8)
				if ok(b) {
					t.Fatalf("flipping bit %d went unnoticed", bit)
				}
			}
		})
	}
}
