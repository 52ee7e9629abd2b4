package smcrypto_test

import (
	"crypto"
	"crypto/rand"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// t0 is the time every generated PKI is checked at. Tests never read the clock.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// testCert is a certificate made in the test, with its key and both parses.
type testCert struct {
	der  []byte
	cert *smcrypto.Certificate
	x509 *smx509.Certificate
	key  crypto.Signer // *sm2.PrivateKey, or an ECDSA key for the unsupported-algorithm case
}

func (tc *testCert) sm2Key() *sm2.PrivateKey { return tc.key.(*sm2.PrivateKey) }

// caTemplate is a CA certificate template valid from a year before t0 to ten years after it.
func caTemplate(cn string) *smx509.Certificate {
	return &smx509.Certificate{
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"sealhub test PKI"}, Country: []string{"CN"}},
		NotBefore:             t0.AddDate(-1, 0, 0),
		NotAfter:              t0.AddDate(10, 0, 0),
		KeyUsage:              smx509.KeyUsageCertSign | smx509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
}

// leafTemplate is a seal-signer certificate template valid from a month before t0 to a year after it.
func leafTemplate(cn string) *smx509.Certificate {
	return &smx509.Certificate{
		Subject:   pkix.Name{CommonName: cn, Organization: []string{"sealhub test PKI"}, Country: []string{"CN"}},
		NotBefore: t0.AddDate(0, -1, 0),
		NotAfter:  t0.AddDate(1, 0, 0),
		KeyUsage:  smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment,
	}
}

// issue creates a certificate from tmpl for key (a fresh SM2 key when nil), signed by parent (self-signed
// when parent is nil), and parses it with ParseCertificate.
func issue(tb testing.TB, tmpl *smx509.Certificate, parent *testCert, key crypto.Signer) *testCert {
	tb.Helper()
	if key == nil {
		k, err := sm2.GenerateKey(rand.Reader)
		if err != nil {
			tb.Fatal(err)
		}
		key = k
	}
	if tmpl.SerialNumber == nil {
		serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 80))
		if err != nil {
			tb.Fatal(err)
		}
		tmpl.SerialNumber = serial.Add(serial, big.NewInt(1))
	}
	parentX509, signer := tmpl, key
	if parent != nil {
		parentX509, signer = parent.x509, parent.key
	}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, parentX509, key.Public(), signer)
	if err != nil {
		tb.Fatalf("CreateCertificate(%s): %v", tmpl.Subject.CommonName, err)
	}
	x, err := smx509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("smx509.ParseCertificate(%s): %v", tmpl.Subject.CommonName, err)
	}
	c, err := smcrypto.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("smcrypto.ParseCertificate(%s): %v", tmpl.Subject.CommonName, err)
	}
	return &testCert{der: der, cert: c, x509: x, key: key}
}

// testPKI is root → intermediate → leaf.
type testPKI struct{ root, inter, leaf *testCert }

func newTestPKI(tb testing.TB) testPKI {
	tb.Helper()
	root := issue(tb, caTemplate("Test Root"), nil, nil)
	inter := issue(tb, caTemplate("Test Intermediate"), root, nil)
	leaf := issue(tb, leafTemplate("Test Seal Signer"), inter, nil)
	return testPKI{root: root, inter: inter, leaf: leaf}
}

func (p testPKI) opts(at time.Time) smcrypto.ChainOptions {
	return smcrypto.ChainOptions{
		Roots:         smcrypto.NewPool(p.root.cert),
		Intermediates: smcrypto.NewPool(p.inter.cert),
		At:            at,
	}
}

// certParts splits a DER certificate into its TBSCertificate and signatureAlgorithm elements (each
// with tag and length) and the signature bytes.
func certParts(tb testing.TB, der []byte) (tbs, alg, sig []byte) {
	tb.Helper()
	in := cryptobyte.String(der)
	var body, t, a cryptobyte.String
	if !in.ReadASN1(&body, cbasn1.SEQUENCE) || !body.ReadASN1Element(&t, cbasn1.SEQUENCE) ||
		!body.ReadASN1Element(&a, cbasn1.SEQUENCE) || !body.ReadASN1BitStringAsBytes(&sig) || !body.Empty() {
		tb.Fatal("certParts: not a certificate")
	}
	return t, a, sig
}

// assembleCert builds Certificate ::= SEQUENCE { tbs, alg, BIT STRING sig } from raw elements.
func assembleCert(tbs, alg, sig []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(c *cryptobyte.Builder) {
		c.AddBytes(tbs)
		c.AddBytes(alg)
		c.AddASN1BitString(sig)
	})
	return b.BytesOrPanic()
}

// resign signs tbs with the issuer's SM2 key (smcrypto.Sign: SM2-with-SM3, default UID) and returns
// the certificate, keeping the signatureAlgorithm element of orig.
func resign(tb testing.TB, orig, tbs []byte, issuer *sm2.PrivateKey) []byte {
	tb.Helper()
	_, alg, _ := certParts(tb, orig)
	sig, err := smcrypto.Sign(issuer, tbs)
	if err != nil {
		tb.Fatal(err)
	}
	return assembleCert(tbs, alg, sig)
}

// chainError asserts that err is a *smcrypto.ChainError and returns it.
func chainError(tb testing.TB, err error) *smcrypto.ChainError {
	tb.Helper()
	var ce *smcrypto.ChainError
	if !errors.As(err, &ce) || ce == nil {
		tb.Fatalf("error %v (%T) is not a *ChainError", err, err)
	}
	return ce
}
