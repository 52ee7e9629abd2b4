package trustlist

import (
	"maps"
	"time"

	iradix "github.com/hashicorp/go-immutable-radix/v2"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// CheckOptions are the checks only the node that receives a push makes, because they read the
// clock or cost too much to repeat on every node.
type CheckOptions struct {
	Now       time.Time     // the receiving node's clock; zero skips the issued_at skew check
	MaxAge    time.Duration // how old issued_at may be (0: no bound)
	MaxFuture time.Duration // how far ahead issued_at may be (0: MaxClockSkew)
	// SkipSealSignatures leaves out the maker signature check of filed SES_Seals (benchmarks of
	// raw apply only).
	SkipSealSignatures bool
	// Cache, when set, keeps the parsed push for the FSM of this node (see ParseCache).
	Cache *ParseCache
}

// Apply applies one push at raft index index and returns the new state. It is deterministic: the
// same state, envelope and index give the same result on every node. A push is all or nothing: on a
// rejection the returned state is nil and s is unchanged. A retry of an accepted push (same seq, same
// bytes) returns s itself and the original result with Replay set.
func (s *State) Apply(env Envelope, index uint64) (*State, *Result, error) {
	return s.run(env, index, nil, nil)
}

// ApplyWith is Apply reading the push through a parse cache (see ParseCache); the result is the
// same.
func (s *State) ApplyWith(env Envelope, index uint64, cache *ParseCache) (*State, *Result, error) {
	return s.run(env, index, nil, cache)
}

// Check runs every check Apply would, at the next index, plus those of opts, and changes nothing.
// Set env.RecordedAt to the time that will be proposed. A nil error with Result.Replay set means the
// push was accepted before and need not be proposed again.
func (s *State) Check(env Envelope, opts CheckOptions) (*Result, error) {
	_, res, err := s.run(env, s.index+1, &opts, opts.Cache)
	return res, err
}

func (s *State) run(env Envelope, index uint64, opts *CheckOptions, cache *ParseCache) (*State, *Result, error) {
	env.RecordedAt = env.RecordedAt.UTC()
	if len(env.Body) > MaxPushBytes {
		return nil, nil, reject(CodeTooLarge, "push is %d bytes; the limit is %d", len(env.Body), MaxPushBytes)
	}
	hash := PushHash(env.Body)
	push, err := cache.parse(env.Body, hash)
	if err != nil {
		return nil, nil, err
	}
	// The exact bytes of an accepted push are answered with its original result before anything
	// else: they were authenticated when accepted, and a key retired since must not turn a client's
	// harmless retry into an error.
	if r, ok := s.registries[push.Registry]; ok && push.Seq <= r.Head.Seq {
		if rec, ok := s.Push(r.ID, push.Seq); ok && rec.Hash == hash {
			return s, &Result{PushRecord: *rec, Replay: true}, nil
		}
	}
	var reg *Registry
	if env.Sync {
		reg, err = s.syncRegistry(push)
	} else {
		reg, err = s.authenticate(push, env)
	}
	if err != nil {
		return nil, nil, err
	}
	if push.Seq <= reg.Head.Seq {
		return nil, nil, reject(CodeReplayConflict, "%s seq %d was accepted before with different bytes; the head is %d", reg.ID, push.Seq, reg.Head.Seq)
	}
	if opts != nil {
		if err := checkSkew(push.IssuedAt, *opts); err != nil {
			return nil, nil, err
		}
	}
	if push.Seq != reg.Head.Seq+1 {
		return nil, nil, reject(CodeSeqGap, "seq %d does not follow %s's head %d", push.Seq, reg.ID, reg.Head.Seq)
	}
	if push.Prev != reg.Head.Hash {
		return nil, nil, reject(CodePrevMismatch, "prev does not match the SM3 of %s's push %d", reg.ID, reg.Head.Seq)
	}
	// issued_at never goes back within a registry's chain, so retiring a key at or after a push's
	// issued_at keeps every accepted push verifiable and no later push can be dated before it.
	if push.IssuedAt.Before(reg.Head.IssuedAt) {
		return nil, nil, reject(CodeIssuedBeforeHead, "issued_at %s is before the issued_at of %s's push %d (%s)",
			push.IssuedAt.Format(time.RFC3339), reg.ID, reg.Head.Seq, reg.Head.IssuedAt.Format(time.RFC3339))
	}
	t := newTx(s, push, env, reg, index, opts)
	for i := range push.Ops {
		if err := t.apply(i, &push.Ops[i]); err != nil {
			return nil, nil, err
		}
	}
	rec := &PushRecord{
		Registry: reg.ID, Seq: push.Seq, Hash: hash, KeyID: env.KeyID,
		Index: index, RecordedAt: env.RecordedAt, Ops: len(push.Ops),
	}
	source := reg.Head.SourceSeq
	if env.Sync {
		source = push.SourceSeq
	}
	t.reg.Head = Head{Seq: push.Seq, Hash: hash, Index: index, RecordedAt: env.RecordedAt, IssuedAt: push.IssuedAt.UTC(), SourceSeq: source}
	return t.commit(rec), &Result{PushRecord: *rec}, nil
}

func checkSkew(issued time.Time, o CheckOptions) error {
	if o.Now.IsZero() {
		return nil
	}
	future := o.MaxFuture
	if future <= 0 {
		future = MaxClockSkew
	}
	if issued.After(o.Now.Add(future)) {
		return reject(CodeIssuedAtSkew, "issued_at %s is more than %s ahead of the hub's clock", issued.Format(time.RFC3339), future)
	}
	if o.MaxAge > 0 && issued.Before(o.Now.Add(-o.MaxAge)) {
		return reject(CodeIssuedAtSkew, "issued_at %s is older than %s", issued.Format(time.RFC3339), o.MaxAge)
	}
	return nil
}

// authenticate finds the registry and its key and verifies the signature over the exact body.
func (s *State) authenticate(p *Push, env Envelope) (*Registry, error) {
	if env.KeyID == "" || len(env.Signature) == 0 {
		return nil, reject(CodeSignatureMissing, "the push carries no key id or no signature")
	}
	if !keyIDRe.MatchString(env.KeyID) {
		return nil, reject(CodeSignatureMissing, "key id %q: want 16 hex digits", env.KeyID)
	}
	reg, ok := s.registries[p.Registry]
	if !ok {
		if p.Registry == AdminID {
			return nil, reject(CodeNotInitialized, "the hub has no administrator key yet")
		}
		return nil, reject(CodeRegistryUnknown, "no registry %q", p.Registry)
	}
	if p.SourceSeq != 0 {
		return nil, reject(CodeMalformed, "source_seq belongs to sync pushes, which the hub writes itself")
	}
	if reg.Mode == ModeSync && reg.Kind != KindAdmin {
		return nil, reject(CodeNotPermitted, "registry %s is in sync mode: the hub writes its updates from the region's feed", reg.ID)
	}
	key, ok := reg.Key(env.KeyID)
	if !ok {
		return nil, reject(CodeKeyUnknown, "key %s is not a key of %s", env.KeyID, reg.ID)
	}
	if !key.ValidAt(p.IssuedAt) {
		return nil, reject(CodeKeyNotValid, "key %s of %s was not valid at issued_at %s", key.ID, reg.ID, p.IssuedAt.Format(time.RFC3339))
	}
	pub, err := smcrypto.PublicKeyFromBytes(key.Public)
	if err != nil {
		return nil, reject(CodeKeyNotValid, "key %s: %v", key.ID, err)
	}
	if _, err := smcrypto.Verify(pub, env.Body, env.Signature); err != nil {
		return nil, reject(CodeSignatureInvalid, "signature by key %s does not verify over the body", key.ID)
	}
	return reg, nil
}

// syncRegistry admits a sync push: written by the leader for a sync-mode registry from its region's
// feed, unsigned (the log is its authority), carrying only filings from metadata and status
// changes, and never reading the feed back from an earlier source sequence. With seq and prev
// checked as for any push, each part of the feed is written exactly once.
func (s *State) syncRegistry(p *Push) (*Registry, error) {
	reg, ok := s.registries[p.Registry]
	switch {
	case !ok:
		return nil, reject(CodeRegistryUnknown, "no registry %q", p.Registry)
	case reg.Mode != ModeSync:
		return nil, reject(CodeNotPermitted, "registry %s is in %s mode, not sync", reg.ID, reg.Mode)
	case p.SourceSeq < reg.Head.SourceSeq:
		return nil, reject(CodeSyncRollback, "source_seq %d is before %s's feed position %d", p.SourceSeq, reg.ID, reg.Head.SourceSeq)
	}
	for i, op := range p.Ops {
		if op.Op != OpSealStatus && (op.Op != OpSealFile || op.Meta == nil) {
			return nil, rejectOp(i, CodeNotPermitted, "a sync push carries only seal.status and seal.file with meta, not %s", op.Op)
		}
	}
	return reg, nil
}

// tx collects the changes of one push. Maps are copied on first write; seals and pushes go through
// radix transactions, so the state it started from is never touched.
type tx struct {
	s      *State
	push   *Push
	env    Envelope
	index  uint64
	opts   *CheckOptions
	reg    *Registry            // the pushing registry, a private copy
	regs   map[string]*Registry // other registries changed (admin ops)
	anch   map[string]*Anchor   // nil until the first anchor change
	makers map[string]string    // nil until the first maker change
	seals  *iradix.Txn[*Seal]
	owned  map[*Seal]bool     // seals created or copied by this push, which it may change in place
	chains map[chainKey]error // chain results within this push
}

func newTx(s *State, p *Push, env Envelope, reg *Registry, index uint64, opts *CheckOptions) *tx {
	r := *reg
	return &tx{s: s, push: p, env: env, index: index, opts: opts, reg: &r, regs: map[string]*Registry{}}
}

func (t *tx) registry(id string) (*Registry, bool) {
	if id == t.reg.ID {
		return t.reg, true
	}
	if r, ok := t.regs[id]; ok {
		return r, true
	}
	return t.s.Registry(id)
}

func (t *tx) anchors() map[string]*Anchor {
	if t.anch == nil {
		return t.s.anchors
	}
	return t.anch
}

func (t *tx) writeAnchor(a *Anchor) {
	if t.anch == nil {
		t.anch = maps.Clone(t.s.anchors)
	}
	t.anch[a.Fingerprint] = a
	t.chains = nil // chains built earlier in this push may have used the anchor as it was
}

func (t *tx) makerOwner(fp string) (string, bool) {
	m := t.makers
	if m == nil {
		m = t.s.makers
	}
	id, ok := m[fp]
	return id, ok
}

func (t *tx) setMakerOwner(fp, id string) {
	if t.makers == nil {
		t.makers = maps.Clone(t.s.makers)
	}
	t.makers[fp] = id
}

func (t *tx) seal(code string) (*Seal, bool) {
	if t.seals != nil {
		return t.seals.Get([]byte(code))
	}
	return t.s.Seal(code)
}

func (t *tx) putSeal(v *Seal) {
	if t.seals == nil {
		t.seals = t.s.seals.Txn()
		t.owned = map[*Seal]bool{}
	}
	t.seals.Insert([]byte(v.Code), v)
	t.owned[v] = true
}

func (t *tx) ref() PushRef { return PushRef{Registry: t.push.Registry, Seq: t.push.Seq} }

func (t *tx) apply(i int, op *Op) error {
	switch op.Op {
	case OpSealFile:
		return t.sealFile(i, op)
	case OpSealStatus:
		return t.sealStatus(i, op)
	case OpAnchorAdd:
		return t.anchorAdd(i, op)
	case OpAnchorDistrust:
		return t.anchorDistrust(i, op)
	case OpMakerAdd:
		return t.makerAdd(i, op)
	case OpMakerRemove:
		return t.makerRemove(i, op)
	case OpKeyRotate:
		return t.keyRotate(i, op)
	case OpRegistryCreate:
		return t.registryCreate(i, op)
	case OpRegistryUpdate:
		return t.registryUpdate(i, op)
	}
	return rejectOp(i, CodeMalformed, "unknown op %q", op.Op)
}

// commit builds the new state.
func (t *tx) commit(rec *PushRecord) *State {
	n := &State{
		index:      t.index,
		registries: maps.Clone(t.s.registries),
		anchors:    t.anchors(),
		anchorsID:  t.s.anchorsID,
		makers:     t.s.makers,
		seals:      t.s.seals,
		pushes:     t.s.pushes,
	}
	for id, r := range t.regs {
		n.registries[id] = r
	}
	n.registries[t.reg.ID] = t.reg
	if t.anch != nil {
		n.anchorsID = anchorsIDs.Add(1)
	}
	if t.makers != nil {
		n.makers = t.makers
	}
	if t.seals != nil {
		n.seals = t.seals.Commit()
	}
	n.pushes, _, _ = n.pushes.Insert(pushKey(rec.Registry, rec.Seq), rec)
	return n
}

// effective is an op's effective_at, defaulting to the push's issued_at.
func (t *tx) effective(op *Op) time.Time {
	if op.EffectiveAt != nil {
		return *op.EffectiveAt
	}
	return t.push.IssuedAt
}

func (t *tx) isAdmin() bool { return t.reg.Kind == KindAdmin }
