package tsp_test

import (
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/sealhub/sealhub/resolver/tsp"
	"github.com/sealhub/sealhub/resolver/tsp/tsptest"
)

// FuzzParse feeds Parse, then Verify, arbitrary bytes, seeded with valid tokens in every form the
// builder writes and a few broken ones. Neither may panic, every error must wrap one of the
// package's sentinels, and a parsed token always has its signer.
func FuzzParse(f *testing.F) {
	fx := newFixture(f)
	for _, s := range []tsptest.Spec{
		{},
		{BER: true},
		{Response: true, ContentType: tsp.OIDGMSignedData, SignatureAlg: tsp.OIDSM2Sign},
		{NoSignedAttrs: true, Raw64: true, SubjectKeyID: true},
		{HashAlg: tsp.OIDSHA256, Accuracy: 1500 * time.Millisecond, Nonce: big.NewInt(99), Ordering: true},
		{TamperTSTInfo: true},
		{OmitCerts: true},
	} {
		f.Add(stamp(f, fx.tsa, message, s))
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		tok, err := tsp.Parse(der)
		if err != nil {
			if tok != nil {
				t.Fatal("a token with an error")
			}
			if !errors.Is(err, tsp.ErrMalformed) && !errors.Is(err, tsp.ErrUnsupported) {
				t.Fatalf("Parse error wraps no Parse sentinel: %v", err)
			}
			return
		}
		if tok.Signer == nil || tok.Signer.PublicKey == nil || tok.Serial == nil || len(tok.Certs) == 0 {
			t.Fatal("a parsed token without signer, key, serial or certificates")
		}
		tok.Bounds()
		if err := tok.Verify(message); err != nil {
			for _, s := range sentinels {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("Verify error wraps no sentinel: %v", err)
		}
	})
}
