package verifyapi

import (
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist"
)

// TestCADistrust distrusts a CA effective at D without touching any seal (Art. 30): signatures made
// before D stay valid, signatures made at or after D are invalid with CA_DISTRUSTED, while the seal's
// own status stays in force. One province has its intermediate distrusted by the registry that added
// it, another its root by the administrator; both PKIs use the same CA names, so only signatures tell
// their anchors apart.
func TestCADistrust(t *testing.T) {
	t.Parallel()
	f := newHub(t, nil)
	d := utc(2025, 6, 1, 0)
	data := []byte("合同正文")

	type province struct {
		name string
		reg  registry
		pki  *sm2ca.PKI
		seal []byte
	}
	var provinces []province
	for _, id := range []string{"37", "41"} {
		pr := province{name: id, reg: f.createRegistry(id, trustlist.KindProvince, id), pki: newPKI(t, sm2ca.Options{})}
		f.trustPKI(pr.reg, pr.pki)
		pr.seal = makeSeal(t, pr.pki, sm2ca.SealSpec{ESID: code14(id, 1)})
		f.push(pr.reg.signer(), fileOp(pr.seal))
		provinces = append(provinces, pr)
	}
	// 37: the registry distrusts the intermediate it added; 41: the administrator distrusts the root.
	f.push(provinces[0].reg.signer(), trustlist.Op{Op: trustlist.OpAnchorDistrust,
		Fingerprint: provinces[0].pki.Intermediate.Cert.Fingerprint(), EffectiveAt: &d, Reason: "私钥泄露"})
	f.push(f.admin, trustlist.Op{Op: trustlist.OpAnchorDistrust,
		Fingerprint: provinces[1].pki.Root.Cert.Fingerprint(), EffectiveAt: &d, Reason: "根证书停用"})

	distrusted := want{result: resolver.Invalid, reason: resolver.ReasonCADistrusted,
		atSigning: trustlist.StatusValid, now: trustlist.StatusValid, status: resolver.Passed}
	for _, pr := range provinces {
		cases := []struct {
			name string
			at   time.Time
			want want
		}{
			{"a year before D", d.AddDate(-1, 0, 0), valid(trustlist.StatusValid)},
			{"a second before D", d.Add(-time.Second), valid(trustlist.StatusValid)},
			{"at D", d, distrusted},
			{"after D", d.AddDate(0, 3, 0), distrusted},
		}
		for _, tc := range cases {
			t.Run(pr.name+" signature "+tc.name, func(t *testing.T) {
				r := f.verifySignature(sign(t, pr.pki, pr.seal, data, tc.at), data, time.Time{})
				tc.want.check(t, "signature", r.Report)
				if tc.want.result == resolver.Invalid {
					for name, c := range map[string]resolver.Check{"maker_chain": r.Checks.MakerChain, "signer_chain": r.Checks.SignerChain} {
						if c.Result != resolver.Failed || c.Code != resolver.ReasonCADistrusted || !strings.Contains(c.Detail, "distrusted from 2025-06-01T00:00:00Z") {
							t.Errorf("%s: %s/%s %s", name, c.Result, c.Code, c.Detail)
						}
					}
				}
			})
			t.Run(pr.name+" seal at "+tc.name, func(t *testing.T) {
				tc.want.check(t, "seal", f.verifySeal(pr.seal, tc.at).Report)
			})
		}
		t.Run(pr.name+" seal now", func(t *testing.T) {
			distrusted.check(t, "seal now", f.verifySeal(pr.seal, time.Time{}).Report)
		})
	}
}
