package ses_test

import (
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/test/samples"
	"github.com/sealhub/sealhub/trustlist/ses"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// The three benchmarks below run in one go test invocation so their ratio is meaningful:
// seal verification (decode + maker signature, certificate already parsed as a cache would hold it)
// against one raw SM2 verification of the same bytes.

func benchSeal(b *testing.B) ([]byte, *smcrypto.Certificate) {
	der := samples.Read(b, "ses-signature", "tax-zhejiang-gomain", "SignedValue.dat")
	sig, err := ses.ParseSignature(der)
	if err != nil {
		b.Fatal(err)
	}
	maker, err := sig.Seal.MakerCertificate()
	if err != nil {
		b.Fatal(err)
	}
	return sig.Seal.Raw, maker
}

func BenchmarkDecodeSeal(b *testing.B) {
	der, _ := benchSeal(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(der)))
	for b.Loop() {
		if _, err := ses.ParseSeal(der); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeSignature(b *testing.B) {
	der := samples.Read(b, "ses-signature", "tax-zhejiang-gomain", "SignedValue.dat")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ses.ParseSignature(der); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifySeal(b *testing.B) {
	der, maker := benchSeal(b)
	b.ReportAllocs()
	for b.Loop() {
		s, err := ses.ParseSeal(der)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.VerifySignature(maker); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawSM2Verify is the baseline: gmsm's SM2 verification over the same signed bytes.
func BenchmarkRawSM2Verify(b *testing.B) {
	der, maker := benchSeal(b)
	s, _ := ses.ParseSeal(der)
	msg, sig := s.SignedBytes, s.SignedValue
	b.ReportAllocs()
	for b.Loop() {
		if !sm2.VerifyASN1WithSM2(maker.PublicKey, nil, msg, sig) {
			b.Fatal("does not verify")
		}
	}
}
