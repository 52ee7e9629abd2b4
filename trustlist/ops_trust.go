package trustlist

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/sealhub/sealhub/trustlist/sealcode"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

type chainKey struct {
	fp string
	at int64
}

// chainOK builds the certificate's chain at time at, over the anchors trusted at that time (as the
// push so far leaves them). Results are cached per push.
func (t *tx) chainOK(c *smcrypto.Certificate, at time.Time) error {
	k := chainKey{c.Fingerprint(), at.UnixNano()}
	if err, ok := t.chains[k]; ok {
		return err
	}
	roots, inter := smcrypto.NewPool(), smcrypto.NewPool()
	for _, a := range t.anchors() {
		if a.cert == nil || !a.TrustedAt(at) {
			continue
		}
		if a.Root {
			roots.Add(a.cert)
		} else {
			inter.Add(a.cert)
		}
	}
	_, err := smcrypto.BuildChain(c, smcrypto.ChainOptions{Roots: roots, Intermediates: inter, At: at})
	if t.chains == nil {
		t.chains = map[chainKey]error{}
	}
	t.chains[k] = err
	return err
}

func parseCA(i int, der []byte) (*smcrypto.Certificate, error) {
	c, err := smcrypto.ParseCertificate(der)
	if err != nil {
		return nil, rejectOp(i, CodeCertInvalid, "certificate: %v", err)
	}
	if c.Lenient || !c.BasicConstraintsValid || !c.IsCA {
		return nil, rejectOp(i, CodeCertInvalid, "certificate %s is not a CA certificate", c.Subject)
	}
	return c, nil
}

func (t *tx) anchorAdd(i int, op *Op) error {
	c, err := parseCA(i, op.Cert)
	if err != nil {
		return err
	}
	fp := c.Fingerprint()
	root := c.SelfIssued() && c.CheckSignatureFrom(c) == nil
	if root && !t.isAdmin() {
		return rejectOp(i, CodeNotPermitted, "only the administrator adds root CAs; a registry adds intermediates that chain to one")
	}
	old, exists := t.anchors()[fp]
	if exists {
		if old.TrustedNow() {
			return rejectOp(i, CodeAnchorExists, "anchor %s is already trusted", short(fp))
		}
		if old.Owner != t.reg.ID && !t.isAdmin() {
			return rejectOp(i, CodeNotPermitted, "anchor %s belongs to %s", short(fp), old.Owner)
		}
	}
	if !root {
		if err := t.chainOK(c, t.env.RecordedAt); err != nil {
			return rejectOp(i, CodeChainInvalid, "intermediate %s does not chain to a trusted root: %v", c.Subject, err)
		}
	}
	from := c.NotBefore.UTC() // a new anchor vouches for its whole life
	if exists {
		from = t.push.IssuedAt.UTC() // a re-trust starts now, after the distrust
	}
	if op.EffectiveAt != nil {
		from = op.EffectiveAt.UTC()
	}
	ev := AnchorEvent{Trusted: true, EffectiveAt: from, RecordedAt: t.env.RecordedAt, Index: t.index, Reason: op.Reason, Push: t.ref()}
	if exists {
		return t.anchorEvent(i, old, ev)
	}
	t.writeAnchor(&Anchor{
		Fingerprint: fp, DER: c.Raw, Subject: c.Subject, Root: root, Owner: t.reg.ID,
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(), AddedIndex: t.index,
		Events: []AnchorEvent{ev}, cert: c,
	})
	return nil
}

func (t *tx) anchorDistrust(i int, op *Op) error {
	a, ok := t.anchors()[op.Fingerprint]
	if !ok {
		return rejectOp(i, CodeAnchorUnknown, "no trust anchor %s", short(op.Fingerprint))
	}
	if a.Owner != t.reg.ID && !t.isAdmin() {
		return rejectOp(i, CodeNotPermitted, "anchor %s belongs to %s", short(a.Fingerprint), a.Owner)
	}
	if !a.TrustedNow() {
		return rejectOp(i, CodeAnchorDistrusted, "anchor %s is already distrusted", short(a.Fingerprint))
	}
	at := t.effective(op).UTC()
	return t.anchorEvent(i, a, AnchorEvent{Trusted: false, EffectiveAt: at, RecordedAt: t.env.RecordedAt, Index: t.index, Reason: op.Reason, Push: t.ref()})
}

func (t *tx) anchorEvent(i int, a *Anchor, ev AnchorEvent) error {
	last := a.Events[len(a.Events)-1]
	if ev.EffectiveAt.Before(last.EffectiveAt) {
		return rejectOp(i, CodeEffectiveOrder, "effective_at %s is before the anchor's latest event (%s)",
			ev.EffectiveAt.Format(time.RFC3339), last.EffectiveAt.Format(time.RFC3339))
	}
	n := *a
	n.Events = append(slices.Clip(a.Events), ev)
	t.writeAnchor(&n)
	return nil
}

func (t *tx) makerAdd(i int, op *Op) error {
	if t.isAdmin() {
		return rejectOp(i, CodeNotPermitted, "seal-maker certificates are registered by their registry")
	}
	c, err := smcrypto.ParseCertificate(op.Cert)
	if err != nil {
		return rejectOp(i, CodeCertInvalid, "maker certificate: %v", err)
	}
	if c.IsCA {
		return rejectOp(i, CodeCertInvalid, "%s is a CA certificate, not a seal-maker certificate", c.Subject)
	}
	if len(t.reg.Makers) >= maxMakers {
		return rejectOp(i, CodeCertInvalid, "a registry holds at most %d seal-maker certificates (removed ones included)", maxMakers)
	}
	fp := c.Fingerprint()
	if owner, ok := t.makerOwner(fp); ok {
		return rejectOp(i, CodeMakerExists, "maker certificate %s is already registered by %s", short(fp), owner)
	}
	if err := t.chainOK(c, t.env.RecordedAt); err != nil {
		return rejectOp(i, CodeChainInvalid, "maker certificate %s: %v", c.Subject, err)
	}
	t.reg.Makers = append(slices.Clip(t.reg.Makers), Maker{
		Fingerprint: fp, DER: c.Raw, Subject: c.Subject, NotBefore: c.NotBefore.UTC(),
		NotAfter: c.NotAfter.UTC(), AddedIndex: t.index,
	})
	t.setMakerOwner(fp, t.reg.ID)
	return nil
}

func (t *tx) makerRemove(i int, op *Op) error {
	at := slices.IndexFunc(t.reg.Makers, func(m Maker) bool { return m.Fingerprint == op.Fingerprint })
	if at < 0 || t.reg.Makers[at].RemovedIndex != 0 {
		return rejectOp(i, CodeMakerUnknown, "maker certificate %s is not a current maker of %s", short(op.Fingerprint), t.reg.ID)
	}
	ms := slices.Clone(t.reg.Makers)
	ms[at].RemovedIndex, ms[at].RemovedAt, ms[at].Reason = t.index, t.env.RecordedAt, op.Reason
	t.reg.Makers = ms
	return nil
}

// Per-registry limits, so one registry cannot grow its own record without bound.
const (
	maxKeys   = 64
	maxMakers = 1024
)

func parseKey(ks KeySpec, from time.Time, index uint64) (Key, error) {
	pub, err := smcrypto.ParsePublicKey(ks.PublicKey)
	if err != nil {
		return Key{}, err
	}
	k := Key{ID: smcrypto.KeyID(pub), Public: smcrypto.PublicKeyBytes(pub), NotBefore: from.UTC(), AddedIndex: index}
	if ks.NotBefore != nil {
		k.NotBefore = ks.NotBefore.UTC()
	}
	if ks.NotAfter != nil {
		k.NotAfter = ks.NotAfter.UTC()
		if !k.NotAfter.After(k.NotBefore) {
			return Key{}, fmt.Errorf("not_after is not after not_before")
		}
	}
	return k, nil
}

// addKeys adds keys to r (a private copy).
func addKeys(i int, r *Registry, specs []KeySpec, from time.Time, index uint64) error {
	if len(r.Keys)+len(specs) > maxKeys {
		return rejectOp(i, CodeKeyInvalid, "a registry holds at most %d keys (retired ones included)", maxKeys)
	}
	keys := slices.Clone(r.Keys)
	for _, ks := range specs {
		k, err := parseKey(ks, from, index)
		if err != nil {
			return rejectOp(i, CodeKeyInvalid, "key: %v", err)
		}
		if slices.ContainsFunc(keys, func(o Key) bool { return o.ID == k.ID }) {
			return rejectOp(i, CodeKeyInvalid, "key %s is already held", k.ID)
		}
		keys = append(keys, k)
	}
	r.Keys = keys
	return nil
}

// retireKey ends a key at a time no earlier than the push's issued_at, so every push accepted
// before stays verifiable; at least one key must remain usable after it.
func retireKey(i int, r *Registry, id string, at, issued time.Time) error {
	if at.Before(issued) {
		return rejectOp(i, CodeKeyInvalid, "retire_at %s is before issued_at: accepted pushes must stay verifiable", at.Format(time.RFC3339))
	}
	j := slices.IndexFunc(r.Keys, func(k Key) bool { return k.ID == id })
	if j < 0 {
		return rejectOp(i, CodeKeyInvalid, "no key %s", id)
	}
	if !r.Keys[j].NotAfter.IsZero() && !r.Keys[j].NotAfter.After(at) {
		return rejectOp(i, CodeKeyInvalid, "key %s is already retired", id)
	}
	keys := slices.Clone(r.Keys)
	keys[j].NotAfter = at.UTC()
	if !slices.ContainsFunc(keys, func(k Key) bool { return k.NotAfter.IsZero() || k.NotAfter.After(at) }) {
		return rejectOp(i, CodeKeyInvalid, "retiring key %s leaves %s without a usable key", id, r.ID)
	}
	r.Keys = keys
	return nil
}

func (t *tx) keyRotate(i int, op *Op) error {
	if op.Key != nil {
		if err := addKeys(i, t.reg, []KeySpec{*op.Key}, t.push.IssuedAt, t.index); err != nil {
			return err
		}
	}
	if op.RetireKey != "" {
		at := t.push.IssuedAt
		if op.RetireAt != nil {
			at = *op.RetireAt
		}
		return retireKey(i, t.reg, op.RetireKey, at, t.push.IssuedAt)
	}
	return nil
}

func (t *tx) registryCreate(i int, op *Op) error {
	if !t.isAdmin() {
		return rejectOp(i, CodeNotPermitted, "registries are created by the administrator")
	}
	sp := op.RegistrySpec
	if sp.ID == AdminID {
		return rejectOp(i, CodeRegistryInvalid, "%q is reserved", AdminID)
	}
	if _, ok := t.registry(sp.ID); ok {
		return rejectOp(i, CodeRegistryExists, "registry %s exists", sp.ID)
	}
	if len(sp.RetireKeys) > 0 {
		return rejectOp(i, CodeRegistryInvalid, "retire_keys is for registry.update")
	}
	r := &Registry{ID: sp.ID, Name: sp.Name, Kind: sp.Kind, Jurisdiction: sp.Jurisdiction, Mode: sp.Mode,
		Adapter: sp.Adapter, CreatedIndex: t.index, UpdatedIndex: t.index, Keys: []Key{}, Makers: []Maker{}}
	if r.Mode == "" {
		r.Mode = ModePush
	}
	// A new registry's first keys have no start (it could push nothing before it existed), so a
	// registry whose clock runs slightly behind the administrator's is not refused.
	if err := addKeys(i, r, sp.Keys, time.Time{}, t.index); err != nil {
		return err
	}
	if err := validRegistry(i, r); err != nil {
		return err
	}
	t.regs[r.ID] = r
	return nil
}

func (t *tx) registryUpdate(i int, op *Op) error {
	if !t.isAdmin() {
		return rejectOp(i, CodeNotPermitted, "registries are changed by the administrator")
	}
	sp := op.RegistrySpec
	old, ok := t.registry(sp.ID)
	if !ok || sp.ID == AdminID {
		return rejectOp(i, CodeRegistryInvalid, "no registry %s to update (the administrator's own keys change with key.rotate)", sp.ID)
	}
	if sp.Kind != "" && sp.Kind != old.Kind {
		return rejectOp(i, CodeRegistryInvalid, "a registry's kind does not change")
	}
	r := *old
	if sp.Name != "" {
		r.Name = sp.Name
	}
	if sp.Jurisdiction != nil {
		r.Jurisdiction = sp.Jurisdiction
	}
	if sp.Mode != "" {
		r.Mode = sp.Mode
	}
	if sp.Adapter != nil {
		r.Adapter = sp.Adapter
	}
	if err := addKeys(i, &r, sp.Keys, t.push.IssuedAt, t.index); err != nil {
		return err
	}
	// The registry's own pushes may be dated after the administrator's: retire no earlier than the
	// later of the two, so none of them becomes unverifiable.
	retireAt := t.push.IssuedAt
	if r.Head.IssuedAt.After(retireAt) {
		retireAt = r.Head.IssuedAt
	}
	for _, id := range sp.RetireKeys {
		if err := retireKey(i, &r, id, retireAt, retireAt); err != nil {
			return err
		}
	}
	r.UpdatedIndex = t.index
	if err := validRegistry(i, &r); err != nil {
		return err
	}
	t.regs[r.ID] = &r
	return nil
}

func validRegistry(i int, r *Registry) error {
	bad := func(format string, args ...any) error {
		return rejectOp(i, CodeRegistryInvalid, "registry %s: %s", r.ID, fmt.Sprintf(format, args...))
	}
	switch {
	case r.Name == "" || !textOK(r.Name):
		return bad("a name is required")
	case r.Kind != KindProvince && r.Kind != KindDepartment:
		return bad("kind %q: want province or department", r.Kind)
	case r.Mode != ModePush && r.Mode != ModeLive && r.Mode != ModeSync:
		return bad("mode %q: want push, live or sync", r.Mode)
	case len(r.Jurisdiction) == 0 || len(r.Jurisdiction) > 64:
		return bad("jurisdiction needs 1 to 64 GB/T 2260 prefixes, or \"*\"")
	case r.Mode == ModePush && len(r.Keys) == 0:
		return bad("a push-mode registry needs at least one key")
	case r.Adapter != nil && (len(r.Adapter) > 16<<10 || !json.Valid(r.Adapter)):
		return bad("adapter must be a JSON value of at most 16 KiB")
	}
	for _, p := range r.Jurisdiction {
		if p == "*" {
			continue
		}
		if len(p) < 2 || len(p) > 6 || !allDigits(p) {
			return bad("jurisdiction %q: want a GB/T 2260 prefix of 2-6 digits, or \"*\"", p)
		}
		if _, ok := sealcode.LookupProvince(p[:2]); !ok {
			return bad("jurisdiction %q: no province %s", p, p[:2])
		}
	}
	if r.Kind == KindProvince && len(r.ID) == 2 && allDigits(r.ID) {
		if _, ok := sealcode.LookupProvince(r.ID); !ok {
			return bad("no province with code %s", r.ID)
		}
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
