package smcrypto_test

import (
	"bytes"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/sealhub/sealhub/trustlist/ses"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// certSeeds are the seed inputs of the certificate fuzzers: every certificate of the sample folder
// (read now, never committed), including the dms360 ones the strict parser refuses, plus a generated
// PKI. Without the sample folder only the generated certificates are used.
func certSeeds(f *testing.F) [][]byte {
	f.Helper()
	pki := newTestPKI(f)
	seeds := [][]byte{pki.root.der, pki.inter.der, pki.leaf.der}
	samples, ok := findSamples()
	if !ok {
		f.Logf("samples not found at %s; set %s to seed with real certificates", samples, samplesEnv)
		return seeds
	}
	for _, d := range sampleCertDirs {
		for _, c := range sampleCertFiles(f, samples, d.dir) {
			seeds = append(seeds, c.der)
		}
	}
	for _, c := range sesCertificates(f, samples) {
		seeds = append(seeds, c.der)
	}
	signer, maker := dms360Certs(f)
	return append(seeds, signer, maker)
}

// isSubslice reports whether inner lies within outer's memory (not merely equal bytes).
func isSubslice(outer, inner []byte) bool {
	if len(inner) == 0 {
		return true
	}
	if len(outer) == 0 {
		return false
	}
	o := uintptr(unsafe.Pointer(unsafe.SliceData(outer)))
	i := uintptr(unsafe.Pointer(unsafe.SliceData(inner)))
	return i >= o && i+uintptr(len(inner)) <= o+uintptr(len(outer))
}

// checkParsed holds for every certificate that any of the parsers accepts.
func checkParsed(t *testing.T, in []byte, c *smcrypto.Certificate) {
	t.Helper()
	if !bytes.Equal(c.Raw, in) {
		t.Fatalf("Raw (%d bytes) is not the input (%d bytes)", len(c.Raw), len(in))
	}
	for name, part := range map[string][]byte{"RawTBSCertificate": c.RawTBSCertificate} {
		if len(part) == 0 || !isSubslice(c.Raw, part) {
			t.Fatalf("%s is not a sub-slice of Raw", name)
		}
	}
	for name, part := range map[string][]byte{"RawSubject": c.RawSubject, "RawIssuer": c.RawIssuer} {
		if len(part) == 0 || !isSubslice(c.RawTBSCertificate, part) {
			t.Fatalf("%s is not a sub-slice of RawTBSCertificate", name)
		}
	}
	if c.NotBefore.IsZero() || c.NotAfter.IsZero() {
		t.Fatalf("zero validity time: %v – %v", c.NotBefore, c.NotAfter)
	}
	if c.SerialNumber == nil {
		t.Fatal("nil SerialNumber")
	}
	// Everything a caller does with a certificate must not panic on it.
	if err := c.CheckSignatureFrom(c); err != nil && !errors.Is(err, smcrypto.ErrUnsupportedAlgorithm) &&
		!errors.Is(err, smcrypto.ErrNotSM2Key) && !errors.Is(err, smcrypto.ErrBadSignature) && !errors.Is(err, smcrypto.ErrMalformedSignature) {
		t.Fatalf("CheckSignatureFrom(self): error %v wraps no sentinel", err)
	}
	_, _, _ = c.Fingerprint(), c.SHA256Fingerprint(), c.ValidAt(t0)
	_ = c.SelfIssued()
	for _, opts := range []smcrypto.ChainOptions{
		{Roots: smcrypto.NewPool(c), At: c.NotBefore},
		{Intermediates: smcrypto.NewPool(c), At: c.NotAfter},
		{Roots: smcrypto.NewPool(), Intermediates: smcrypto.NewPool(c), At: t0, StrictAnchorKeyUsage: true, RequireLeafSigning: true},
	} {
		chain, err := smcrypto.BuildChain(c, opts)
		if (chain == nil) == (err == nil) {
			t.Fatalf("BuildChain = %v, %v", chain, err)
		}
		if err != nil {
			var ce *smcrypto.ChainError
			if !errors.As(err, &ce) || ce == nil {
				t.Fatalf("BuildChain error %v is not a *ChainError", err)
			}
			_ = err.Error()
		}
	}
}

func FuzzParseCertificateStrict(f *testing.F) {
	for _, s := range certSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := smcrypto.ParseCertificateStrict(in)
		if err != nil {
			if c != nil {
				t.Fatal("certificate returned with an error")
			}
			return
		}
		if c.Lenient || c.X509 == nil || c.StrictError != nil {
			t.Fatalf("strict parse marked Lenient=%v X509=%v", c.Lenient, c.X509)
		}
		checkParsed(t, in, c)
		// What smx509 read and what our own reader read must agree.
		x := c.X509
		switch {
		case !bytes.Equal(x.Raw, c.Raw), !bytes.Equal(x.RawTBSCertificate, c.RawTBSCertificate),
			!bytes.Equal(x.RawSubject, c.RawSubject), !bytes.Equal(x.RawIssuer, c.RawIssuer):
			t.Fatal("raw fields differ from smx509's")
		case !x.NotBefore.Equal(c.NotBefore), !x.NotAfter.Equal(c.NotAfter):
			t.Fatalf("validity %v – %v, smx509 %v – %v", c.NotBefore, c.NotAfter, x.NotBefore, x.NotAfter)
		case x.SerialNumber.Cmp(c.SerialNumber) != 0:
			t.Fatal("serial number differs from smx509's")
		case x.IsCA != c.IsCA, x.BasicConstraintsValid != c.BasicConstraintsValid:
			t.Fatalf("basic constraints %v/%v, smx509 %v/%v", c.BasicConstraintsValid, c.IsCA, x.BasicConstraintsValid, x.IsCA)
		case int(x.KeyUsage) != int(c.KeyUsage):
			t.Fatalf("key usage %b, smx509 %b", c.KeyUsage, x.KeyUsage)
		case !bytes.Equal(x.SubjectKeyId, c.SubjectKeyID), !bytes.Equal(x.AuthorityKeyId, c.AuthorityKeyID):
			t.Fatal("key identifiers differ from smx509's")
		case !bytes.Equal(x.Signature, c.Signature):
			t.Fatal("signature differs from smx509's")
		case c.PublicKey != nil && !c.PublicKey.Equal(x.PublicKey):
			t.Fatal("public key differs from smx509's")
		}
	})
}

func FuzzParseCertificateLenient(f *testing.F) {
	for _, s := range certSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := smcrypto.ParseCertificateLenient(in)
		if err != nil {
			if c != nil {
				t.Fatal("certificate returned with an error")
			}
			return
		}
		if !c.Lenient || c.X509 != nil {
			t.Fatalf("lenient parse marked Lenient=%v X509=%v", c.Lenient, c.X509)
		}
		checkParsed(t, in, c)
		if c.PublicKey != nil && !c.PublicKey.Curve.IsOnCurve(c.PublicKey.X, c.PublicKey.Y) {
			t.Fatal("public key is not on the SM2 curve")
		}
	})
}

func FuzzParseCertificate(f *testing.F) {
	for _, s := range certSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := smcrypto.ParseCertificate(in)
		_, strictErr := smcrypto.ParseCertificateStrict(in)
		lenient, lenientErr := smcrypto.ParseCertificateLenient(in)
		if err != nil {
			if c != nil || !errors.Is(err, smcrypto.ErrMalformedCertificate) {
				t.Fatalf("ParseCertificate = %v, %v; want nil, ErrMalformedCertificate", c, err)
			}
			if lenientErr == nil {
				t.Fatal("ParseCertificate fails where the lenient parser succeeds")
			}
			return
		}
		if strictErr == nil && lenientErr != nil {
			t.Fatalf("strict parse succeeds, lenient fails: %v", lenientErr)
		}
		if (strictErr == nil) == c.Lenient || (strictErr == nil) != (c.StrictError == nil) || (c.X509 == nil) != c.Lenient {
			t.Fatalf("Lenient=%v StrictError=%v X509=%v, strict error %v", c.Lenient, c.StrictError, c.X509 != nil, strictErr)
		}
		checkParsed(t, in, c)
		// Both readings agree on everything verification uses.
		switch {
		case !bytes.Equal(c.RawTBSCertificate, lenient.RawTBSCertificate), !bytes.Equal(c.RawSubject, lenient.RawSubject),
			!bytes.Equal(c.RawIssuer, lenient.RawIssuer), !bytes.Equal(c.Signature, lenient.Signature):
			t.Fatal("raw fields differ between ParseCertificate and ParseCertificateLenient")
		case !c.NotBefore.Equal(lenient.NotBefore), !c.NotAfter.Equal(lenient.NotAfter):
			t.Fatal("validity differs")
		case (c.PublicKey == nil) != (lenient.PublicKey == nil), c.PublicKey != nil && !c.PublicKey.Equal(lenient.PublicKey):
			t.Fatal("public key differs")
		case c.IsCA != lenient.IsCA, c.KeyUsage != lenient.KeyUsage, c.KeyUsagePresent != lenient.KeyUsagePresent,
			!bytes.Equal(c.SubjectKeyID, lenient.SubjectKeyID), !bytes.Equal(c.AuthorityKeyID, lenient.AuthorityKeyID):
			t.Fatal("extensions differ")
		}
	})
}

// signatureSeeds: real certificate signatures (DER) and their raw forms, the raw r‖s signature of the
// Shandong sample, the gmsm #560 signature, and edge cases.
func signatureSeeds(f *testing.F) [][]byte {
	f.Helper()
	k := mustKey(f)
	good := mustSign(f, k, []byte("fuzz"))
	n := sm2N.Bytes()
	seeds := [][]byte{
		good, mustRaw(f, good), nil, {0x30, 0x00}, make([]byte, 64), bytes.Repeat([]byte{0xff}, 64),
		append(append([]byte{}, n...), n...), derSig(f, big.NewInt(1), big.NewInt(1)),
		mustHex(f, "3046022100BE0EA64E1EC06F0D247093F3CCBBADCFB6260224272F86DDB78326E7CD6C7560022100E9F6AB2FCC48A2CEF94838E66B5C7E21FD8E4DE25990DD98CA5243F4966F2853"),
	}
	for _, der := range certSeeds(f) {
		if c, err := smcrypto.ParseCertificate(der); err == nil {
			seeds = append(seeds, c.Signature)
			if raw, err := smcrypto.RawSignature(c.Signature); err == nil {
				seeds = append(seeds, raw)
			}
		}
	}
	if samples, ok := findSamples(); ok {
		data, err := os.ReadFile(filepath.Join(samples, "ses-signature", "shandong-cegn-zibo-Sign_1", "SignedValue.dat"))
		if err == nil {
			if sig, err := ses.ParseSignature(data); err == nil {
				seeds = append(seeds, sig.SignatureValue, sig.Seal.SignedValue)
			}
		}
	}
	return seeds
}

func FuzzNormalizeSignature(f *testing.F) {
	for _, s := range signatureSeeds(f) {
		f.Add(s)
	}
	key := mustKey(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		der, enc, err := smcrypto.NormalizeSignature(in)
		if _, verr := smcrypto.Verify(&key.PublicKey, []byte("fuzz"), in); verr != nil &&
			!errors.Is(verr, smcrypto.ErrBadSignature) && !errors.Is(verr, smcrypto.ErrMalformedSignature) {
			t.Fatalf("Verify: error %v wraps no sentinel", verr)
		} else if (err != nil) != errors.Is(verr, smcrypto.ErrMalformedSignature) {
			t.Fatalf("NormalizeSignature error %v, Verify error %v", err, verr)
		}
		if err != nil {
			if der != nil || !errors.Is(err, smcrypto.ErrMalformedSignature) {
				t.Fatalf("NormalizeSignature = %x, %v; want nil, ErrMalformedSignature", der, err)
			}
			return
		}
		raw, rerr := smcrypto.RawSignature(der)
		if rerr != nil || len(raw) != 64 {
			t.Fatalf("RawSignature(normalised) = %x, %v", raw, rerr)
		}
		switch enc {
		case smcrypto.SigDER:
			if !bytes.Equal(der, in) {
				t.Fatal("a DER signature was rewritten")
			}
		case smcrypto.SigRaw64:
			if len(in) != 64 || !bytes.Equal(raw, in) {
				t.Fatalf("raw %x → DER %x → raw %x", in, der, raw)
			}
		default:
			t.Fatalf("encoding %v without an error", enc)
		}
		// Raw back to DER gives the same DER, unless those 64 bytes happen to be DER themselves.
		again, enc2, err := smcrypto.NormalizeSignature(raw)
		if err != nil || (enc2 == smcrypto.SigRaw64 && !bytes.Equal(again, der)) {
			t.Fatalf("NormalizeSignature(RawSignature(x)) = %x, %v, %v; want %x", again, enc2, err, der)
		}
	})
}
