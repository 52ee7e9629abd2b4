package verifyapi

import (
	"testing"
	"time"

	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist"
)

// TestStatusHistory files seals from DER and changes their status with effective_at in the past:
// each signature is judged by the status in force at its signing time, and every report also
// states the status now.
func TestStatusHistory(t *testing.T) {
	t.Parallel()
	f := newHub(t, nil)
	p := newPKI(t, sm2ca.Options{})
	reg := f.createRegistry("37", trustlist.KindProvince, "37")
	f.trustPKI(reg, p)

	// The seals are in force 2024-01-02 – 2027-01-02 (demo defaults).
	revokedCode, invalidCode := code14("37", 11), code14("37", 12)
	revoked := makeSeal(t, p, sm2ca.SealSpec{ESID: revokedCode})
	invalidated := makeSeal(t, p, sm2ca.SealSpec{ESID: invalidCode})
	f.push(reg.signer(), fileOp(revoked), fileOp(invalidated))

	t1, t2, t3 := utc(2025, 3, 1, 8), utc(2025, 6, 1, 8), utc(2025, 9, 1, 8)
	f.push(reg.signer(), statusOp(revokedCode, "suspend", t1, "印章遗失"))
	f.push(reg.signer(), statusOp(revokedCode, "restore", t2, "找回"))
	f.push(reg.signer(), statusOp(revokedCode, "revoke", t3, "单位注销"))

	// 无效 (Art. 30) from suspended: valid → suspended at ti1 → invalidated at ti2.
	ti1, ti2 := utc(2025, 4, 1, 0), utc(2025, 8, 1, 0)
	f.push(reg.signer(), statusOp(invalidCode, "suspend", ti1, ""), statusOp(invalidCode, "invalidate", ti2, "伪造申请材料"))

	data := []byte("<ofd:Signature>原文</ofd:Signature>")
	revokedNow := trustlist.StatusRevoked
	cases := []struct {
		name string
		at   time.Time
		want want
	}{
		{"before the suspension", utc(2025, 1, 15, 10), valid(revokedNow)},
		{"at the suspension", t1, invalid(resolver.ReasonSealSuspended, trustlist.StatusSuspended, revokedNow)},
		{"while suspended", utc(2025, 4, 15, 10), invalid(resolver.ReasonSealSuspended, trustlist.StatusSuspended, revokedNow)},
		{"at the restoration", t2, valid(revokedNow)},
		{"after the restoration", utc(2025, 7, 15, 10), valid(revokedNow)},
		{"a second before the revocation", t3.Add(-time.Second), valid(revokedNow)},
		{"at the revocation", t3, invalid(resolver.ReasonSealRevoked, trustlist.StatusRevoked, revokedNow)},
		{"after the revocation", utc(2025, 10, 15, 10), invalid(resolver.ReasonSealRevoked, trustlist.StatusRevoked, revokedNow)},
	}
	for _, tc := range cases {
		t.Run("signature "+tc.name, func(t *testing.T) {
			r := f.verifySignature(sign(t, p, revoked, data, tc.at), data, time.Time{})
			tc.want.check(t, "signature", r.Report)
			if r.SigningTime == nil || !r.SigningTime.Equal(tc.at) || r.SigningTimeSource != "claimed" {
				t.Errorf("signing_time %v (%s), want %v claimed", r.SigningTime, r.SigningTimeSource, tc.at)
			}
			if r.StatusAtSigning != nil && !r.StatusAtSigning.At.Equal(tc.at) {
				t.Errorf("status_at_signing.at %v, want %v", r.StatusAtSigning.At, tc.at)
			}
			if r.StatusNow == nil || r.StatusNow.Event == nil || r.StatusNow.Event.Reason != "单位注销" || !r.StatusNow.Event.EffectiveAt.Equal(t3) {
				t.Errorf("status_now does not name the revocation: %+v", r.StatusNow)
			}
			if s := r.StatusAtSigning; s == nil || s.Source != resolver.SourceTrustList || s.Registry != "37" {
				t.Errorf("status_at_signing %+v, want from trustlist/37", s)
			}
			if h, ok := r.RegistryHeads["37"]; !ok || h.Seq == 0 {
				t.Errorf("registry_heads lack registry 37: %+v", r.RegistryHeads)
			}
		})
		t.Run("seal at "+tc.name, func(t *testing.T) {
			r := f.verifySeal(revoked, tc.at)
			tc.want.check(t, "seal", r.Report)
			if r.CheckedAt == nil || !r.CheckedAt.Equal(tc.at) {
				t.Errorf("checked_at %v, want %v", r.CheckedAt, tc.at)
			}
		})
	}
	t.Run("seal now", func(t *testing.T) {
		invalid(resolver.ReasonSealRevoked, trustlist.StatusRevoked, revokedNow).check(t, "seal now", f.verifySeal(revoked, time.Time{}).Report)
	})
	t.Run("signature with ?at= overriding timeInfo", func(t *testing.T) {
		// Signed while in force, asked about while suspended: ?at= decides.
		r := f.verifySignature(sign(t, p, revoked, data, utc(2025, 1, 15, 10)), data, utc(2025, 4, 15, 10))
		invalid(resolver.ReasonSealSuspended, trustlist.StatusSuspended, revokedNow).check(t, "signature ?at=", r.Report)
	})

	invalidNow := trustlist.StatusInvalidated
	for _, tc := range []struct {
		name string
		at   time.Time
		want want
	}{
		{"before", utc(2025, 2, 1, 0), valid(invalidNow)},
		{"suspended", utc(2025, 5, 1, 0), invalid(resolver.ReasonSealSuspended, trustlist.StatusSuspended, invalidNow)},
		{"at the invalidation", ti2, invalid(resolver.ReasonSealInvalidated, trustlist.StatusInvalidated, invalidNow)},
		{"after", utc(2025, 12, 1, 0), invalid(resolver.ReasonSealInvalidated, trustlist.StatusInvalidated, invalidNow)},
	} {
		t.Run("invalidated seal, signature "+tc.name, func(t *testing.T) {
			r := f.verifySignature(sign(t, p, invalidated, data, tc.at), data, time.Time{})
			tc.want.check(t, "signature", r.Report)
		})
		t.Run("invalidated seal at "+tc.name, func(t *testing.T) {
			tc.want.check(t, "seal", f.verifySeal(invalidated, tc.at).Report)
		})
	}
}
