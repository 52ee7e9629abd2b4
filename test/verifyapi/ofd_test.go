package verifyapi

import (
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist"
)

// TestOFDDocument verifies a demo OFD document carrying two signatures of filed seals, one of them
// suspended at its signing time, sent raw and as a multipart upload: the document is invalid for
// that signature's reason, and the other signature is reported valid on its own.
func TestOFDDocument(t *testing.T) {
	t.Parallel()
	f := newHub(t, nil)
	p := newPKI(t, sm2ca.Options{})
	reg := f.createRegistry("37", trustlist.KindProvince, "37")
	f.trustPKI(reg, p)
	goodCode, suspendedCode := code14("37", 1), code14("37", 2)
	good := makeSeal(t, p, sm2ca.SealSpec{ESID: goodCode})
	suspended := makeSeal(t, p, sm2ca.SealSpec{ESID: suspendedCode, Name: "测试市自然资源局(合同专用章)"})
	f.push(reg.signer(), fileOp(good), fileOp(suspended))
	f.push(reg.signer(), statusOp(suspendedCode, "suspend", utc(2025, 3, 1, 0), "印章遗失"))

	signedAt := utc(2025, 5, 1, 9)
	doc, err := p.OFD(sm2ca.OFDSignature{Seal: good, TimeInfo: signedAt}, sm2ca.OFDSignature{Seal: suspended, TimeInfo: signedAt.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for _, asMultipart := range []bool{false, true} {
		name := "raw"
		if asMultipart {
			name = "multipart"
		}
		t.Run(name, func(t *testing.T) {
			r, _ := f.with(t).verifyOFD(doc, asMultipart, time.Time{})
			if r.Result != resolver.Invalid || r.Reason != resolver.ReasonSealSuspended {
				t.Fatalf("document %s/%s (%s), want invalid/SEAL_SUSPENDED", r.Result, r.Reason, r.Message)
			}
			if len(r.Signatures) != 2 {
				t.Fatalf("%d signatures", len(r.Signatures))
			}
			first, second := r.Signatures[0], r.Signatures[1]
			if !strings.HasPrefix(r.Message, second.SignaturePath) {
				t.Errorf("the document's message does not name %s: %s", second.SignaturePath, r.Message)
			}
			valid(trustlist.StatusValid).check(t, first.SignaturePath, first.Report)
			invalid(resolver.ReasonSealSuspended, trustlist.StatusSuspended, trustlist.StatusSuspended).check(t, second.SignaturePath, second.Report)
			for i, s := range r.Signatures {
				if s.Kind != "ses" || s.Type != "Seal" || s.Checks.DataHash.Result != resolver.Passed || len(s.References) == 0 {
					t.Errorf("signature %d: kind %s type %s data_hash %+v references %d", i, s.Kind, s.Type, s.Checks.DataHash, len(s.References))
				}
				for _, ref := range s.References {
					if ref.Result != "ok" {
						t.Errorf("signature %d reference %s: %s %s", i, ref.File, ref.Result, ref.Detail)
					}
				}
			}
			if first.Seal.Code != goodCode || second.Seal.Code != suspendedCode {
				t.Errorf("codes %s, %s", first.Seal.Code, second.Seal.Code)
			}
			if _, ok := r.RegistryHeads["37"]; !ok {
				t.Errorf("registry_heads %+v lack registry 37", r.RegistryHeads)
			}
		})
	}
	t.Run("at before the suspension", func(t *testing.T) {
		r, _ := f.with(t).verifyOFD(doc, false, utc(2025, 2, 1, 0))
		if r.Result != resolver.Valid || r.Reason != resolver.ReasonOK {
			t.Fatalf("document %s/%s (%s), want valid", r.Result, r.Reason, r.Message)
		}
		for _, s := range r.Signatures {
			if s.StatusAtSigning == nil || s.StatusAtSigning.Status != trustlist.StatusValid || !s.CheckedAt.Equal(utc(2025, 2, 1, 0)) {
				t.Errorf("%s: %+v at %v", s.SignaturePath, s.StatusAtSigning, s.CheckedAt)
			}
		}
	})
	t.Run("both seals in force", func(t *testing.T) {
		both, err := p.OFD(sm2ca.OFDSignature{Seal: good, TimeInfo: signedAt}, sm2ca.OFDSignature{Seal: good, TimeInfo: signedAt.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := f.with(t).verifyOFD(both, true, time.Time{})
		if r.Result != resolver.Valid || len(r.Signatures) != 2 {
			t.Fatalf("document %s/%s (%s) with %d signatures, want valid with 2", r.Result, r.Reason, r.Message, len(r.Signatures))
		}
	})
	t.Run("a broken data hash in the first signature", func(t *testing.T) {
		broken, err := p.OFD(sm2ca.OFDSignature{Seal: good, TimeInfo: signedAt, BadDataHash: true}, sm2ca.OFDSignature{Seal: suspended, TimeInfo: signedAt})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := f.with(t).verifyOFD(broken, false, time.Time{})
		if r.Result != resolver.Invalid || r.Reason != resolver.ReasonDataHashMismatch {
			t.Fatalf("document %s/%s (%s), want invalid/DATA_HASH_MISMATCH (the first invalid signature)", r.Result, r.Reason, r.Message)
		}
		if s := r.Signatures[1]; s.Reason != resolver.ReasonSealSuspended {
			t.Errorf("second signature %s/%s", s.Result, s.Reason)
		}
	})
}
