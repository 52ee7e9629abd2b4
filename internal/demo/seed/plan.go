package seed

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/sealhub/sealhub/internal/demo"
	"github.com/sealhub/sealhub/internal/ledger"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// cst is the zone of the demo's dates: seals start at midnight and end at 23:59:59, China time,
// and status changes happen in office hours.
var cst = ledger.Zone

// Plan makes the demo data without touching a node.
func Plan(o Options) (*Seeded, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o.setDefaults()
	s := &Seeded{Now: o.Now().UTC().Truncate(time.Second), Admin: o.Admin, byCode: map[string]*Seal{}, batchOps: o.BatchOps}
	if s.Admin == nil {
		var err error
		if s.Admin, err = smcrypto.GenerateKey(); err != nil {
			return nil, err
		}
	}
	if err := s.makeRegistries(); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	r := rand.New(rand.NewPCG(o.Seed, 0x5ea1_4ab))
	p := &planner{s: s, r: r, codes: newCodes(r), province: newOwners(r, shandong, provinceKinds)}
	if err := p.seals(o.Seals); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	if err := p.ledger(max(o.LedgerRows, 0)); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	return s, nil
}

// makeRegistries makes the demo PKI (valid from six years back, so older seals chain) and the two
// registries, each with a key and a seal-maker certificate.
func (s *Seeded) makeRegistries() error {
	epoch := time.Date(s.Now.Year()-6, 1, 1, 0, 0, 0, 0, time.UTC)
	pki, err := demo.New(demo.Options{Epoch: epoch, Province: "山东省", ChainYears: 30, LeafYears: 20})
	if err != nil {
		return err
	}
	taxMaker, err := pki.Issue(pki.Intermediate, demo.CertSpec{
		Subject:   demo.Subject("国家税务总局电子印章制作系统", "国家税务总局", ""),
		NotBefore: epoch, NotAfter: epoch.AddDate(20, 0, 0),
	})
	if err != nil {
		return err
	}
	s.PKI = pki
	s.Registries = []*Registry{
		{ID: "37", Name: "山东省", Kind: trustlist.KindProvince, Jurisdiction: []string{"37"}, Maker: pki.Maker},
		{ID: "tax", Name: "国家税务总局", Kind: trustlist.KindDepartment, Jurisdiction: []string{"*"}, Maker: taxMaker},
	}
	for _, r := range s.Registries {
		if r.Key, err = smcrypto.GenerateKey(); err != nil {
			return err
		}
	}
	return nil
}

// planner makes seals from one random source, in a fixed order, so a seed gives the same data.
type planner struct {
	s        *Seeded
	r        *rand.Rand
	codes    *codes
	province *owners // organisations of registry 37, for its seals and its ledger
	ders     int     // SES_Seals made so far: they alternate V4, V5
}

// stateCounts says how many seals of n end in each state.
func stateCounts(n int) map[State]int {
	c := map[State]int{
		StateExpired:     max(1, n*5/100),
		StateInvalidated: 1,
		StateRevoked:     max(1, n*6/100),
		StateRestored:    max(1, n*4/100),
		StateSuspended:   max(1, n*8/100),
	}
	if n >= 150 {
		c[StateInvalidated] = 2
	}
	rest := n
	for _, k := range c {
		rest -= k
	}
	c[StateValid] = rest
	return c
}

// seals plans n seals: a sixth (at least two) by the tax registry, the rest by registry 37, in
// shuffled states; a handful of each registry's are made as SES_Seal DER.
func (p *planner) seals(n int) error {
	var states []State
	counts := stateCounts(n)
	for _, st := range States {
		for range counts[st] {
			states = append(states, st)
		}
	}
	p.r.Shuffle(len(states), func(i, j int) { states[i], states[j] = states[j], states[i] })
	nTax := max(2, n/6)
	nDER := min(max(n/50, 2), 8)
	province, tax := p.s.Registries[0], p.s.Registries[1]
	if err := p.sealsOf(province, p.province, states[:n-nTax], nDER-nDER/2); err != nil {
		return err
	}
	return p.sealsOf(tax, newOwners(p.r, taxPlaces, taxKinds), states[n-nTax:], nDER/2)
}

// sealsOf plans one registry's seals, nDER of them from DER.
func (p *planner) sealsOf(reg *Registry, orgs *owners, states []State, nDER int) error {
	der := p.derPositions(states, nDER)
	for i, st := range states {
		o, kind, err := orgs.next()
		if err != nil {
			return err
		}
		v := &Seal{
			Code: p.codes.code(o.place.code), Registry: reg.ID, Name: o.name + kind.suffix, Type: kind.typ,
			OwnerName: o.name, OwnerUSCC: o.uscc, MakerCert: reg.Maker.Cert.Fingerprint(), State: st,
		}
		p.window(v)
		p.changes(v)
		if slices.Contains(der, i) {
			if v.DER, err = p.makeDER(reg, v, 4+p.ders%2); err != nil {
				return err
			}
			p.ders++
		}
		p.s.Seals = append(p.s.Seals, v)
		p.s.byCode[v.Code] = v
	}
	return nil
}

// derPositions picks n of the seals to make as DER: one valid seal first (so each registry has a
// valid seal to verify offline), then any others.
func (p *planner) derPositions(states []State, n int) []int {
	perm := p.r.Perm(len(states))
	var out []int
	if i := slices.IndexFunc(perm, func(i int) bool { return states[i] == StateValid }); i >= 0 && n > 0 {
		out = append(out, perm[i])
	}
	for _, i := range perm {
		if len(out) >= n {
			break
		}
		if !slices.Contains(out, i) {
			out = append(out, i)
		}
	}
	return out
}

// makeDER makes the seal's SES_Seal (V4 or V5) with a signer certificate of its own carrying the
// code in CN and the owner in O, as provincial certificates do.
func (p *planner) makeDER(reg *Registry, v *Seal, version int) ([]byte, error) {
	signer, err := p.s.PKI.Issue(p.s.PKI.Intermediate, demo.CertSpec{
		Subject:   demo.Subject(v.Code, v.OwnerUSCC+v.OwnerName, ""),
		NotBefore: v.ValidStart.Add(-time.Hour), NotAfter: v.ValidEnd.AddDate(0, 0, 30),
	})
	if err != nil {
		return nil, err
	}
	return p.s.PKI.Seal(demo.SealSpec{
		Version: version, ESID: v.Code, Name: v.Name, Type: v.Type, Vid: "SEALHUB.DEMO",
		CreateDate: v.ValidStart, ValidStart: v.ValidStart, ValidEnd: v.ValidEnd,
		Maker: reg.Maker, Signers: []*demo.Authority{signer},
	})
}

// daysAgo is midnight (China time) d days before now, d drawn from [lo, hi].
func (p *planner) daysAgo(lo, hi int) time.Time {
	d := lo + p.r.IntN(hi-lo+1)
	t := p.s.Now.In(cst)
	return time.Date(t.Year(), t.Month(), t.Day()-d, 0, 0, 0, 0, cst)
}

// window sets the validity window: three or five years from a start within the last four years,
// or, for an expired seal, three years ending in the last sixteen months.
func (p *planner) window(v *Seal) {
	if v.State == StateExpired {
		end := p.daysAgo(5, 500).AddDate(0, 0, 1)
		v.ValidStart, v.ValidEnd = end.AddDate(-3, 0, 0), end.Add(-time.Second)
		return
	}
	v.ValidStart = p.daysAgo(20, 1400)
	years := 5
	if v.ValidStart.After(p.s.Now.AddDate(0, 0, -900)) && p.r.IntN(2) == 0 {
		years = 3
	}
	v.ValidEnd = v.ValidStart.AddDate(years, 0, 0).Add(-time.Second)
}

var reasons = map[string][]string{
	"suspend":    {"单位申请暂停使用", "印章保管人员变更，暂停使用", "涉嫌违规使用，暂停使用待核查"},
	"restore":    {"核查完毕，恢复使用", "保管人员交接完成，恢复使用"},
	"revoke":     {"单位注销", "印章遗失，申请注销", "机构改革撤并，注销印章"},
	"invalidate": {"以欺骗手段取得备案，依《电子印章管理办法》第三十条认定无效", "制作过程不符合规定，认定无效"},
}

// changes plans the status changes of the seal's state, in office hours on distinct days between a
// week after its start and yesterday.
func (p *planner) changes(v *Seal) {
	var actions []string
	switch v.State {
	case StateSuspended:
		actions = []string{"suspend"}
	case StateRestored:
		actions = []string{"suspend", "restore"}
	case StateRevoked:
		actions = []string{"revoke"}
		if p.r.IntN(2) == 0 {
			actions = []string{"suspend", "revoke"}
		}
	case StateInvalidated:
		actions = []string{"invalidate"}
		if p.r.IntN(2) == 0 {
			actions = []string{"suspend", "invalidate"}
		}
	}
	for i, at := range p.times(v.ValidStart.AddDate(0, 0, 7), len(actions)) {
		v.Changes = append(v.Changes, Change{Action: actions[i], At: at, Reason: pick(p.r, reasons[actions[i]])})
	}
}

// times picks n times on distinct days from the day of from to yesterday, in office hours, in order.
func (p *planner) times(from time.Time, n int) []time.Time {
	from = from.In(cst)
	t := p.s.Now.In(cst)
	days := int(time.Date(t.Year(), t.Month(), t.Day()-1, 0, 0, 0, 0, cst).Sub(from).Hours()/24) + 1
	picked := map[int]bool{}
	for len(picked) < min(n, days) {
		picked[p.r.IntN(days)] = true
	}
	var out []time.Time
	for d := range days {
		if picked[d] {
			day := time.Date(from.Year(), from.Month(), from.Day()+d, 9, 0, 0, 0, cst)
			out = append(out, day.Add(time.Duration(p.r.IntN(8*60))*time.Minute))
		}
	}
	return out
}

// ledger plans n further seals of registry 37 as ledger rows: not filed, for `sealhub import`.
// Most are valid; some suspended, some revoked.
func (p *planner) ledger(n int) error {
	reg := p.s.Registries[0]
	for i := range n {
		o, kind, err := p.province.next()
		if err != nil {
			return err
		}
		v := &Seal{State: StateValid}
		p.window(v)
		row := ledger.Row{
			Code: p.codes.code(o.place.code), Name: o.name + kind.suffix, Type: kind.typ, OwnerName: o.name,
			OwnerUSCC: o.uscc, ValidStart: v.ValidStart, ValidEnd: v.ValidEnd, Status: ledger.StatusValid,
			MakerCert: reg.Maker.Cert.Fingerprint(),
		}
		action := map[int]string{3: "suspend", 7: "revoke"}[i%10]
		if action != "" {
			row.Status = string(statusOf[action])
			row.StatusAt = p.times(v.ValidStart.AddDate(0, 0, 7), 1)[0]
			row.StatusReason = pick(p.r, reasons[action])
		}
		p.s.Ledger = append(p.s.Ledger, row)
	}
	return nil
}
