package smcrypto_test

import (
	"errors"
	"testing"

	"github.com/sealhub/sealhub/trustlist/smcrypto"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// TestPathLenConstraint: Root → Inter0 (pathLen 0) → SubCA → leaf must fail; with pathLen 1 it passes.
func TestPathLenConstraint(t *testing.T) {
	for _, tc := range []struct {
		pathLen int
		ok      bool
	}{{0, false}, {1, true}} {
		root := issue(t, caTemplate("Root"), nil, nil)
		tmpl := caTemplate("Inter0")
		tmpl.MaxPathLen, tmpl.MaxPathLenZero = tc.pathLen, tc.pathLen == 0
		inter := issue(t, tmpl, root, nil)
		sub := issue(t, caTemplate("SubCA"), inter, nil)
		leaf := issue(t, leafTemplate("leaf"), sub, nil)
		if inter.cert.MaxPathLen != tc.pathLen {
			t.Fatalf("MaxPathLen = %d, want %d", inter.cert.MaxPathLen, tc.pathLen)
		}
		_, err := smcrypto.BuildChain(leaf.cert, smcrypto.ChainOptions{Roots: smcrypto.NewPool(root.cert), Intermediates: smcrypto.NewPool(inter.cert, sub.cert), At: t0})
		if (err == nil) != tc.ok {
			t.Errorf("pathLen %d: err = %v, want ok=%v", tc.pathLen, err, tc.ok)
		}
		if err != nil && chainError(t, err).Reason != smcrypto.ReasonNotAuthorizedToSign {
			t.Errorf("reason %v", chainError(t, err).Reason)
		}
	}
}

// TestDuplicateBasicConstraintsNeverGrant: [BC CA=FALSE, BC CA=TRUE] is refused strictly and must not
// read as a CA leniently; and a lenient certificate is never accepted as an intermediate.
func TestDuplicateBasicConstraintsNeverGrant(t *testing.T) {
	p := newTestPKI(t)
	tmpl := leafTemplate("Mallory")
	tmpl.BasicConstraintsValid, tmpl.IsCA = true, false
	mallory := issue(t, tmpl, p.inter, nil)
	tbs, _, _ := certParts(t, mallory.der)
	// Append a second basicConstraints extension, CA=TRUE, and have the intermediate re-sign.
	extra := []byte{0x30, 0x0c, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x04, 0x05, 0x30, 0x03, 0x01, 0x01, 0xff}
	der := resign(t, mallory.der, appendExtension(t, tbs, extra), p.inter.sm2Key())
	c, err := smcrypto.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Lenient || c.IsCA {
		t.Fatalf("lenient %v IsCA %v: a duplicate basicConstraints must not make a CA", c.Lenient, c.IsCA)
	}
	// Even if it read as a CA, a certificate only the lenient parser reads cannot issue.
	c.IsCA = true
	victim := issue(t, leafTemplate("victim"), &testCert{der: der, x509: mallory.x509, key: mallory.key}, nil)
	_, err = smcrypto.BuildChain(victim.cert, smcrypto.ChainOptions{Roots: smcrypto.NewPool(p.root.cert), Intermediates: smcrypto.NewPool(p.inter.cert, c), At: t0})
	if err == nil || chainError(t, err).Reason != smcrypto.ReasonNotAuthorizedToSign {
		t.Fatalf("a lenient certificate issued a chain: %v", err)
	}
}

// appendExtension adds ext (a DER Extension) at the end of a TBSCertificate's extensions.
func appendExtension(t *testing.T, tbs, ext []byte) []byte {
	t.Helper()
	in := cryptobyte.String(tbs)
	var body cryptobyte.String
	if !in.ReadASN1(&body, cbasn1.SEQUENCE) {
		t.Fatal("not a TBSCertificate")
	}
	var out []byte
	for !body.Empty() {
		var el cryptobyte.String
		var tag cbasn1.Tag
		if !body.ReadAnyASN1Element(&el, &tag) {
			t.Fatal("bad TBS element")
		}
		if tag != cbasn1.Tag(3).Constructed().ContextSpecific() {
			out = append(out, el...)
			continue
		}
		var ctx, seq cryptobyte.String
		if !el.ReadASN1(&ctx, tag) || !ctx.ReadASN1(&seq, cbasn1.SEQUENCE) {
			t.Fatal("bad extensions")
		}
		out = append(out, wrap(0xa3, wrap(0x30, append(append([]byte(nil), seq...), ext...)))...)
	}
	return wrap(0x30, out)
}

func wrap(tag byte, content []byte) []byte {
	n := len(content)
	switch {
	case n < 0x80:
		return append([]byte{tag, byte(n)}, content...)
	case n < 0x100:
		return append([]byte{tag, 0x81, byte(n)}, content...)
	default:
		return append([]byte{tag, 0x82, byte(n >> 8), byte(n)}, content...)
	}
}

// TestCertificateReencodingRefused: a certificate whose outer algorithm differs from the inner one,
// that carries data after the signature, or whose signature is raw r‖s, is not the same certificate.
func TestCertificateReencodingRefused(t *testing.T) {
	p := newTestPKI(t)
	tbs, alg, sig := certParts(t, p.leaf.der)
	raw, err := smcrypto.RawSignature(sig)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"outer algorithm with parameters": assembleCert(tbs, wrap(0x30, append(append([]byte(nil), alg[2:]...), 0x05, 0x00)), sig),
		"trailing element":                append(assembleCert(tbs, alg, sig)[:0:0], wrap(0x30, append(append(append([]byte(nil), tbs...), alg...), append(wrap(0x03, append([]byte{0}, sig...)), 0x04, 0x00)...))...),
	}
	for name, der := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := smcrypto.ParseCertificateLenient(der); err == nil {
				t.Error("lenient parser accepted a re-encoded certificate")
			}
		})
	}
	t.Run("raw r||s certificate signature", func(t *testing.T) {
		c, err := smcrypto.ParseCertificate(assembleCert(tbs, alg, raw))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.CheckSignatureFrom(p.inter.cert); !errors.Is(err, smcrypto.ErrMalformedSignature) {
			t.Errorf("raw r||s accepted on a certificate: %v", err)
		}
	})
}
