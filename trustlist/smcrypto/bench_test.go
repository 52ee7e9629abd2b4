package smcrypto_test

import (
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// benchSig is one fixed key, message and signature, shared by the verification benchmarks so that
// they measure the same work (and the same *ecdsa.PublicKey pointer, which gmsm caches per key).
type benchSig struct {
	key      *sm2.PrivateKey
	msg      []byte
	der, raw []byte
}

func newBenchSig(b *testing.B) benchSig {
	b.Helper()
	k := mustKey(b)
	msg := make([]byte, 1024) // about a TBSCertificate or a TBS_Sign
	for i := range msg {
		msg[i] = byte(i)
	}
	der := mustSign(b, k, msg)
	return benchSig{key: k, msg: msg, der: der, raw: mustRaw(b, der)}
}

// BenchmarkSM2VerifyRaw is the baseline: gmsm's own verification of a DER signature (default UID).
func BenchmarkSM2VerifyRaw(b *testing.B) {
	s := newBenchSig(b)
	pub := &s.key.PublicKey
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if !sm2.VerifyASN1WithSM2(pub, nil, s.msg, s.der) {
			b.Fatal("signature does not verify")
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	s := newBenchSig(b)
	pub := &s.key.PublicKey
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := smcrypto.Verify(pub, s.msg, s.der); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyRaw64(b *testing.B) {
	s := newBenchSig(b)
	pub := &s.key.PublicKey
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if enc, err := smcrypto.Verify(pub, s.msg, s.raw); err != nil || enc != smcrypto.SigRaw64 {
			b.Fatal(enc, err)
		}
	}
}

// benchCertDER is a real certificate: the first of the 86 national operating CAs by file name.
func benchCertDER(b *testing.B) []byte {
	b.Helper()
	files := sampleCertFiles(b, samplesDir(b), "certs/national-sm2-ca-operating")
	return files[0].der
}

func BenchmarkParseCertificate(b *testing.B) {
	der := benchCertDER(b)
	b.SetBytes(int64(len(der)))
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := smcrypto.ParseCertificateStrict(der); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseCertificateLenient(b *testing.B) {
	der := benchCertDER(b)
	b.SetBytes(int64(len(der)))
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := smcrypto.ParseCertificateLenient(der); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildChain3 is leaf → intermediate → root: two SM2 verifications plus path building.
func BenchmarkBuildChain3(b *testing.B) {
	p := newTestPKI(b)
	opts := p.opts(t0)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		chain, err := smcrypto.BuildChain(p.leaf.cert, opts)
		if err != nil || len(chain.Certs) != 3 {
			b.Fatal(chain, err)
		}
	}
}
