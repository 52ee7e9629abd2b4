package verifyapi

import (
	"testing"
	"time"

	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist"
)

// TestWhatTheHubDoesNotHold: a seal without a record is never valid, a seal whose CA is not held is
// indeterminate, and a seal presented under a filed code with other content is invalid.
func TestWhatTheHubDoesNotHold(t *testing.T) {
	t.Parallel()
	f := newHub(t, nil)
	p := newPKI(t, sm2ca.Options{})
	reg := f.createRegistry("37", trustlist.KindProvince, "37")
	f.trustPKI(reg, p)
	filedCode := code14("37", 1)
	filed := makeSeal(t, p, sm2ca.SealSpec{ESID: filedCode})
	f.push(reg.signer(), fileOp(filed))

	at := utc(2025, 5, 20, 9)
	data := []byte("申请表")
	unknown := want{result: resolver.Indeterminate, reason: resolver.ReasonSealUnknown,
		atSigning: resolver.StatusUnknown, now: resolver.StatusUnknown, status: resolver.Undetermined}

	for name, code := range map[string]string{
		"never filed, in registry 37's jurisdiction": code14("37", 99),
		"never filed, in no registry's jurisdiction": code14("11", 5),
		"never filed, a non-numeric code":            "TEST-UNFILED-SEAL",
	} {
		t.Run(name, func(t *testing.T) {
			seal := makeSeal(t, p, sm2ca.SealSpec{ESID: code})
			r := f.verifySignature(sign(t, p, seal, data, at), data, time.Time{})
			unknown.check(t, "signature", r.Report)
			// Every other check passed: only the missing record keeps it from being valid.
			for _, c := range []resolver.Check{r.Checks.Signature, r.Checks.SealSignature, r.Checks.SignerInSeal, r.Checks.MakerChain, r.Checks.SignerChain, r.Checks.SealValidity, r.Checks.DataHash} {
				if c.Result != resolver.Passed {
					t.Errorf("a check other than status did not pass: %+v", c)
				}
			}
			unknown.check(t, "seal", f.verifySeal(seal, at).Report)
		})
	}

	t.Run("CA not held", func(t *testing.T) {
		other := newPKI(t, sm2ca.Options{Province: "河南省"})
		seal := makeSeal(t, other, sm2ca.SealSpec{ESID: code14("37", 77)})
		caUnknown := unknown
		caUnknown.reason, caUnknown.statusCode = resolver.ReasonMakerCAUnknown, resolver.ReasonSealUnknown
		r := f.verifySignature(sign(t, other, seal, data, at), data, time.Time{})
		caUnknown.check(t, "signature", r.Report)
		if c := r.Checks.SignerChain; c.Result != resolver.Undetermined || c.Code != resolver.ReasonSignerCAUnknown {
			t.Errorf("signer_chain %+v", c)
		}
		caUnknown.check(t, "seal", f.verifySeal(seal, at).Report)
	})

	t.Run("CA not held, code filed by another seal", func(t *testing.T) {
		other := newPKI(t, sm2ca.Options{})
		seal := makeSeal(t, other, sm2ca.SealSpec{ESID: filedCode})
		w := want{result: resolver.Invalid, reason: resolver.ReasonSealMismatch, atSigning: trustlist.StatusValid,
			now: trustlist.StatusValid, status: resolver.Failed}
		r := f.verifySignature(sign(t, other, seal, data, at), data, time.Time{})
		w.check(t, "signature", r.Report)
		if c := r.Checks.MakerChain; c.Result != resolver.Undetermined || c.Code != resolver.ReasonMakerCAUnknown {
			t.Errorf("maker_chain %+v", c)
		}
	})

	mismatch := want{result: resolver.Invalid, reason: resolver.ReasonSealMismatch, atSigning: trustlist.StatusValid,
		now: trustlist.StatusValid, status: resolver.Failed}
	for name, spec := range map[string]sm2ca.SealSpec{
		"same code, other name":                          {ESID: filedCode, Name: "测试市自然资源局(合同专用章)"},
		"same code, same content re-signed by the maker": {ESID: filedCode},
		"same code, another registered maker": {ESID: filedCode, Maker: func() *sm2ca.Authority {
			m, err := p.Issue(p.Intermediate, sm2ca.CertSpec{Subject: p.Maker.Cert.SubjectName, NotBefore: p.Epoch, NotAfter: p.Epoch.AddDate(5, 0, 0)})
			if err != nil {
				t.Fatal(err)
			}
			f.push(reg.signer(), trustlist.Op{Op: trustlist.OpMakerAdd, Cert: m.DER})
			return m
		}()},
	} {
		t.Run("mismatch: "+name, func(t *testing.T) {
			seal := makeSeal(t, p, spec)
			r := f.verifySignature(sign(t, p, seal, data, at), data, time.Time{})
			mismatch.check(t, "signature", r.Report)
			mismatch.check(t, "seal", f.verifySeal(seal, at).Report)
		})
	}
	t.Run("the filed seal itself", func(t *testing.T) {
		valid(trustlist.StatusValid).check(t, "signature", f.verifySignature(sign(t, p, filed, data, at), data, time.Time{}).Report)
	})
}
