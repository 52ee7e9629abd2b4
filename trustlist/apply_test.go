package trustlist_test

import (
	"bytes"
	"errors"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

func TestBaseWorld(t *testing.T) {
	w := newWorld(t)
	if !w.st.Initialized() {
		t.Fatal("not initialised")
	}
	if got := w.st.Index(); got != w.marks["seal"] || got != 4 {
		t.Fatalf("index %d, want 4", got)
	}
	var ids []string
	for _, r := range w.st.Registries() {
		ids = append(ids, r.ID)
	}
	if want := []string{"37", trustlist.AdminID, "tax"}; !slices.Equal(ids, want) {
		t.Errorf("registries %v, want %v (sorted by id)", ids, want)
	}
	r37, _ := w.st.Registry("37")
	if r37.Head.Seq != 2 || r37.Head.Index != 4 || r37.Head.RecordedAt.IsZero() || r37.Head.Hash == "" {
		t.Errorf("37's head %+v", r37.Head)
	}
	if r37.Kind != trustlist.KindProvince || r37.Mode != trustlist.ModePush || r37.CreatedIndex != 2 || len(r37.Keys) != 1 {
		t.Errorf("37: %+v", r37)
	}
	anchors := w.st.Anchors()
	if len(anchors) != 2 || !anchors[0].Root || anchors[1].Root {
		t.Fatalf("anchors: want the root first, then the intermediate: %+v", anchors)
	}
	if anchors[0].Owner != trustlist.AdminID || anchors[1].Owner != "37" {
		t.Errorf("anchor owners %s, %s", anchors[0].Owner, anchors[1].Owner)
	}
	if anchors[0].Fingerprint != fp(w.pki.Root.DER) || anchors[0].Cert() == nil || !anchors[0].TrustedNow() {
		t.Errorf("root anchor %+v", anchors[0])
	}
	if id, ok := w.st.MakerRegistry(fp(w.pki.Maker.DER)); !ok || id != "37" {
		t.Errorf("MakerRegistry = %q, %v", id, ok)
	}
	if m, ok := r37.Maker(fp(w.pki.Maker.DER)); !ok || m.RemovedIndex != 0 || m.AddedIndex != 3 {
		t.Errorf("maker %+v %v", m, ok)
	}
	if w.st.SealCount() != 1 {
		t.Errorf("SealCount %d", w.st.SealCount())
	}
	rec, ok := w.st.Push("37", 2)
	if !ok || rec.Index != 4 || rec.Ops != 1 || rec.KeyID != keyID(w.keys["37"]) || rec.Hash != r37.Head.Hash {
		t.Errorf("push record %+v %v", rec, ok)
	}
	if _, ok := w.st.Push("37", 3); ok {
		t.Error("a record of a push never made")
	}
}

// TestIdempotentReplay: the same envelope again is answered with the original record, and nothing
// changes, through Apply and Check alike.
func TestIdempotentReplay(t *testing.T) {
	w := newWorld(t)
	env := w.envelope("37", opFileMeta(meta("37010000000002")))
	first := w.mustApply(env)
	if first.Replay {
		t.Fatal("first application marked as a replay")
	}
	st := w.st

	check := func(t *testing.T, st *trustlist.State, env trustlist.Envelope) {
		t.Helper()
		digest := st.Digest()
		next, res, err := st.Apply(env, st.Index()+1)
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		if next != st {
			t.Error("a replay returned a new state")
		}
		if !res.Replay || res.PushRecord != first.PushRecord {
			t.Errorf("replay result %+v, want the original %+v with Replay", res, first)
		}
		// Check answers the same, even where the push would now be too old for a new one.
		cres, err := st.Check(env, trustlist.CheckOptions{Now: w.now.Add(48 * time.Hour), MaxAge: time.Hour})
		if err != nil || !cres.Replay || cres.PushRecord != first.PushRecord {
			t.Errorf("Check of a replay: %+v, %v", cres, err)
		}
		if st.Digest() != digest {
			t.Error("the digest changed")
		}
	}
	t.Run("same envelope", func(t *testing.T) { check(t, st, env) })
	t.Run("same bytes, new signature", func(t *testing.T) { check(t, st, w.sign(w.keys["37"], env.Body)) })
	t.Run("later recorded_at", func(t *testing.T) {
		again := env
		again.RecordedAt = env.RecordedAt.Add(time.Hour)
		check(t, st, again)
	})
	t.Run("after later pushes", func(t *testing.T) {
		w.do("37", opStatus("37010000000002", "suspend", time.Time{}, ""))
		w.do("37", opStatus("37010000000002", "restore", time.Time{}, ""))
		check(t, w.st, env)
	})
	if rec, ok := w.st.Push("37", first.Seq); !ok || *rec != first.PushRecord {
		t.Errorf("stored record %+v, want %+v", rec, first.PushRecord)
	}
}

// TestCheckAgreesWithApply: an accepted push gets the same result from Check and from Apply at the
// next index, and Check changes nothing.
func TestCheckAgreesWithApply(t *testing.T) {
	w := newWorld(t)
	env := w.envelope("37", opFileMeta(meta("37010000000002")), opStatus(sealCode, "suspend", time.Time{}, "audit"))
	digest := w.st.Digest()
	cres, err := w.st.Check(env, trustlist.CheckOptions{Now: w.now, MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if w.st.Digest() != digest {
		t.Fatal("Check changed the state")
	}
	ares := w.mustApply(env)
	if *cres != *ares {
		t.Errorf("Check %+v, Apply %+v", cres, ares)
	}
	if ares.Index != w.st.Index() || ares.Ops != 2 || ares.Registry != "37" || !ares.RecordedAt.Equal(env.RecordedAt) {
		t.Errorf("result %+v", ares)
	}
}

// TestApplyLeavesOldStateAlone: states are values; applying a push never changes the one it
// started from, which readers may still hold.
func TestApplyLeavesOldStateAlone(t *testing.T) {
	w := newWorld(t)
	old := w.st
	digest, index := old.Digest(), old.Index()
	oldSeal := jsonOf(t, w.sealOf(sealCode))
	oldReg, _ := old.Registry("37")
	oldRegJSON := jsonOf(t, oldReg)

	w.do("37", opStatus(sealCode, "suspend", time.Time{}, ""), opFileMeta(meta("37010000000002")),
		opRotate(ptr(keySpec(t, w.spare[0])), "", time.Time{}), opMakerAdd(w.maker2.DER),
		opDistrust(fp(w.pki.Intermediate.DER), time.Time{}, ""))
	w.do(trustlist.AdminID, opUpdate(trustlist.RegistrySpec{ID: "37", Name: "renamed"}))

	if old.Digest() != digest || old.Index() != index {
		t.Error("the old state's digest or index changed")
	}
	if got := jsonOf(t, func() *trustlist.Seal { v, _ := old.Seal(sealCode); return v }()); got != oldSeal {
		t.Errorf("the old state's seal changed:\n%s\n%s", got, oldSeal)
	}
	if r, _ := old.Registry("37"); jsonOf(t, r) != oldRegJSON {
		t.Error("the old state's registry changed")
	}
	if _, ok := old.Seal("37010000000002"); ok {
		t.Error("the old state sees a seal filed later")
	}
	if a, _ := old.Anchor(fp(w.pki.Intermediate.DER)); !a.TrustedNow() || len(a.Events) != 1 {
		t.Error("the old state's anchor changed")
	}
	if v := w.sealOf(sealCode); v.Latest().Status != trustlist.StatusSuspended {
		t.Errorf("the new state's seal is %s", v.Latest().Status)
	}
}

// TestPushIsAtomic: when one op fails, none of the push is applied.
func TestPushIsAtomic(t *testing.T) {
	w := newWorld(t)
	env := w.envelope("37",
		opFileMeta(meta("37010000000002")),
		opRotate(ptr(keySpec(t, w.spare[0])), "", time.Time{}),
		opMakerRemove(fp(w.pki.Maker.DER), ""),
		opDistrust(fp(w.pki.Intermediate.DER), time.Time{}, ""),
		opStatus(sealCode, "suspend", time.Time{}, ""),
		opStatus("37010000009999", "suspend", time.Time{}, ""), // SEAL_UNKNOWN
	)
	r := w.mustReject(t, env, trustlist.CodeSealUnknown)
	if r.Op != 5 {
		t.Errorf("op %d, want 5", r.Op)
	}
	if _, ok := w.st.Seal("37010000000002"); ok {
		t.Error("the seal of a rejected push was filed")
	}
	r37, _ := w.st.Registry("37")
	if len(r37.Keys) != 1 || r37.Head.Seq != 2 || r37.Makers[0].RemovedIndex != 0 {
		t.Errorf("the rejected push changed 37: %+v", r37)
	}
}

// TestApplyIsDeterministic: the log of a world applied to a fresh state gives the same digest; so
// does a second world that applies the same envelopes.
func TestApplyIsDeterministic(t *testing.T) {
	w := newWorld(t)
	w.do("tax", opFileMeta(meta("37010000000077")), opFileMeta(meta("11010000000001")))
	w.do("37", opStatus(sealCode, "suspend", t0.AddDate(0, 0, -3), "lost"))
	w.do(trustlist.AdminID, opDistrust(fp(w.pki.Root.DER), t0.AddDate(0, 0, -1), "compromised"))

	st, err := trustlist.New().Init(w.initKeys, t0, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, env := range w.log {
		next, res, err := st.Apply(env, st.Index()+1)
		if err != nil || res.Replay {
			t.Fatalf("entry %d: %v", i, err)
		}
		st = next
	}
	if st.Digest() != w.st.Digest() {
		t.Error("replaying the log gave another digest")
	}
}

// TestRegistryCannotTouchAnothersSeals: neither a status change nor a re-filing reaches a seal
// another registry filed, whatever the jurisdictions.
func TestRegistryCannotTouchAnothersSeals(t *testing.T) {
	w := newWorld(t)
	const taxSeal = "37010000000077" // inside 37's jurisdiction, filed by tax ("*")
	w.do("tax", opFileMeta(meta(taxSeal)))
	before := map[string]string{sealCode: jsonOf(t, w.sealOf(sealCode)), taxSeal: jsonOf(t, w.sealOf(taxSeal))}

	for name, c := range map[string]struct {
		reg string
		op  trustlist.Op
	}{
		"37 suspends tax's seal":     {"37", opStatus(taxSeal, "suspend", time.Time{}, "")},
		"37 revokes tax's seal":      {"37", opStatus(taxSeal, "revoke", time.Time{}, "")},
		"37 invalidates tax's seal":  {"37", opStatus(taxSeal, "invalidate", time.Time{}, "")},
		"37 re-files tax's seal":     {"37", opFileMeta(meta(taxSeal))},
		"tax suspends 37's seal":     {"tax", opStatus(sealCode, "suspend", time.Time{}, "")},
		"tax re-files 37's seal":     {"tax", opFileMeta(meta(sealCode))},
		"tax re-files 37's seal DER": {"tax", opFileDER(w.sealDER)},
	} {
		t.Run(name, func(t *testing.T) {
			w.mustReject(t, w.envelope(c.reg, c.op), trustlist.CodeNotPermitted)
		})
	}
	for code, want := range before {
		if got := jsonOf(t, w.sealOf(code)); got != want {
			t.Errorf("seal %s changed", code)
		}
	}
	// The owner still can.
	w.do("tax", opStatus(taxSeal, "suspend", time.Time{}, ""))
	if got := w.sealOf(taxSeal).Latest(); got.Status != trustlist.StatusSuspended || got.Push.Registry != "tax" {
		t.Errorf("tax's own change: %+v", got)
	}
}

// TestKeyRotationKeepsOldPushesVerifiable: a push signed with key A stays a valid replay after A
// is retired for B; a new push signed with A is refused.
func TestKeyRotationKeepsOldPushesVerifiable(t *testing.T) {
	w := newWorld(t)
	a, b := w.keys["37"], w.spare[0]

	p1 := w.envelope("37", opFileMeta(meta("37010000000002")))
	r1 := w.mustApply(p1)
	rotateAt := w.now
	p2 := w.envelope("37", opRotate(ptr(keySpec(t, b)), keyID(a), rotateAt))
	r2 := w.mustApply(p2)
	w.keys["37"] = b
	p3 := w.envelope("37", opStatus("37010000000002", "suspend", time.Time{}, ""))
	w.mustApply(p3)

	r37, _ := w.st.Registry("37")
	ka, _ := r37.Key(keyID(a))
	kb, _ := r37.Key(keyID(b))
	if !ka.NotAfter.Equal(rotateAt) || !kb.NotBefore.Equal(rotateAt) || !kb.NotAfter.IsZero() || kb.AddedIndex != r2.Index {
		t.Errorf("keys after rotation: A %+v, B %+v", ka, kb)
	}
	if !ka.ValidAt(rotateAt) || ka.ValidAt(rotateAt.Add(time.Nanosecond)) || !kb.ValidAt(rotateAt) || kb.ValidAt(rotateAt.Add(-time.Nanosecond)) {
		t.Error("Key.ValidAt around the rotation")
	}

	for name, c := range map[string]struct {
		env trustlist.Envelope
		rec *trustlist.Result
	}{"push before the rotation": {p1, r1}, "the rotation push": {p2, r2}} {
		t.Run(name, func(t *testing.T) {
			next, res, err := w.st.Apply(c.env, w.st.Index()+1)
			if err != nil {
				t.Fatalf("replay of an old push signed with the retired key: %v", err)
			}
			if next != w.st || !res.Replay || res.PushRecord != c.rec.PushRecord {
				t.Errorf("replay %+v", res)
			}
			if res, err := w.st.Check(c.env, trustlist.CheckOptions{}); err != nil || !res.Replay {
				t.Errorf("Check of the replay: %v", err)
			}
		})
	}
	t.Run("new push signed with the retired key", func(t *testing.T) {
		w.mustReject(t, w.envelopeWith("37", a, nil, opStatus("37010000000002", "restore", time.Time{}, "")), trustlist.CodeKeyNotValid)
	})
	t.Run("new push signed with the new key", func(t *testing.T) {
		w.do("37", opStatus("37010000000002", "restore", time.Time{}, ""))
	})
}

// TestKeyRetirementKeepsLaterIssuedPushesVerifiable: pushes are ordered by seq, not by issued_at,
// and a registry's clock may run a few minutes ahead of the administrator's (Check allows
// MaxClockSkew). Retiring a key must not strand a push it signed that was already accepted with an
// issued_at after the retirement time: that push must stay verifiable (DESIGN: "old keys stay, so
// old pushes stay verifiable").
func TestKeyRetirementKeepsLaterIssuedPushesVerifiable(t *testing.T) {
	t.Run("administrator retires the key", func(t *testing.T) {
		w := newWorld(t)
		a, b := w.keys["37"], w.spare[0]
		adminClock := w.now
		// 37's clock is four minutes ahead: its push is issued at adminClock+4m.
		p1 := w.envelopeWith("37", nil, func(p *trustlist.Push) { p.IssuedAt = adminClock.Add(4 * time.Minute) },
			opFileMeta(meta("37010000000002")))
		if _, err := w.st.Check(p1, trustlist.CheckOptions{Now: adminClock, MaxAge: time.Hour}); err != nil {
			t.Fatalf("Check: %v", err)
		}
		r1 := w.mustApply(p1)
		// A minute later (by the administrator's clock) the administrator replaces 37's key.
		up := w.envelopeWith(trustlist.AdminID, nil, func(p *trustlist.Push) { p.IssuedAt = adminClock.Add(time.Minute) },
			opUpdate(trustlist.RegistrySpec{ID: "37", Keys: []trustlist.KeySpec{keySpec(t, b)}, RetireKeys: []string{keyID(a)}}))
		w.mustApply(up)
		p1Key(t, w, p1)
		res, err := w.st.Check(p1, trustlist.CheckOptions{})
		if err != nil || !res.Replay || res.PushRecord != r1.PushRecord {
			t.Errorf("BUG: an accepted push signed with key A (issued_at %s) is no longer verifiable after the "+
				"administrator retired A at %s: %v", p1IssuedAt(t, p1), adminClock.Add(time.Minute).Format(time.RFC3339), err)
		}
	})
	t.Run("registry rotates with an earlier issued_at", func(t *testing.T) {
		w := newWorld(t)
		a, b := w.keys["37"], w.spare[0]
		clock := w.now
		p1 := w.envelopeWith("37", nil, func(p *trustlist.Push) { p.IssuedAt = clock.Add(4 * time.Minute) },
			opFileMeta(meta("37010000000002")))
		r1 := w.mustApply(p1)
		// The next push (another client of the same registry, clock not ahead) rotates the key.
		p2 := w.envelopeWith("37", nil, func(p *trustlist.Push) { p.IssuedAt = clock.Add(time.Minute) },
			opRotate(ptr(keySpec(t, b)), keyID(a), time.Time{}))
		if _, err := w.apply(p2); err != nil {
			return // refusing the out-of-order issued_at is a correct fix too
		}
		p1Key(t, w, p1)
		res, err := w.st.Check(p1, trustlist.CheckOptions{})
		if err != nil || !res.Replay || res.PushRecord != r1.PushRecord {
			t.Errorf("BUG: push 1 (issued_at %s) is no longer verifiable after push 2 retired its key at an earlier "+
				"issued_at: %v", p1IssuedAt(t, p1), err)
		}
	})
}

// p1Key checks that the key that signed env is still valid at its issued_at: the push can be
// verified again, not only answered as a replay.
func p1Key(t *testing.T, w *world, env trustlist.Envelope) {
	t.Helper()
	p, err := trustlist.ParsePush(env.Body)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := w.st.Registry(p.Registry)
	k, ok := r.Key(env.KeyID)
	if !ok || !k.ValidAt(p.IssuedAt) {
		t.Errorf("BUG: key %s (not_after %s) no longer covers the accepted push issued at %s",
			env.KeyID, k.NotAfter.Format(time.RFC3339), p.IssuedAt.Format(time.RFC3339))
	}
	pub, err := smcrypto.PublicKeyFromBytes(k.Public)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := smcrypto.Verify(pub, env.Body, env.Signature); err != nil {
		t.Errorf("the signature no longer verifies: %v", err)
	}
}

func p1IssuedAt(t *testing.T, env trustlist.Envelope) string {
	p, err := trustlist.ParsePush(env.Body)
	if err != nil {
		t.Fatal(err)
	}
	return p.IssuedAt.Format(time.RFC3339)
}

// TestRetiredKeyCannotSignBackdatedPush: retiring a key is what a registry does when the key is
// compromised. Whoever holds the retired key must not be able to make new pushes by dating them
// before the retirement: issued_at is chosen by the signer. Check's MaxAge (24 h by default in
// ingest) narrows the window but does not close it, and Apply does not bound it at all.
func TestRetiredKeyCannotSignBackdatedPush(t *testing.T) {
	w := newWorld(t)
	a, b := w.keys["37"], w.spare[0]
	retiredAt := w.now
	w.do("37", opRotate(ptr(keySpec(t, b)), keyID(a), time.Time{}))
	w.keys["37"] = b
	w.do("37", opFileMeta(meta("37010000000002")))

	forged := w.envelopeWith("37", a, func(p *trustlist.Push) { p.IssuedAt = retiredAt.Add(-time.Minute) },
		opStatus(sealCode, "revoke", time.Time{}, "forged"))
	opts := trustlist.CheckOptions{Now: w.now, MaxAge: 24 * time.Hour} // ingest's default
	_, cerr := w.st.Check(forged, opts)
	_, _, aerr := w.st.Apply(forged, w.st.Index()+1)
	if cerr == nil || aerr == nil {
		t.Errorf("BUG: a push signed with key A, retired at %s, dated a minute before the retirement and "+
			"sent after it, is accepted (Check: %v; Apply: %v)", retiredAt.Format(time.RFC3339), cerr, aerr)
	}
}

// TestCADistrust: distrusting a CA at D keeps its history; chains that need it after D fail;
// seals filed before keep theirs.
func TestCADistrust(t *testing.T) {
	for name, c := range map[string]struct {
		reg  string
		cert func(w *world) []byte
	}{
		"root by the administrator":     {trustlist.AdminID, func(w *world) []byte { return w.pki.Root.DER }},
		"intermediate by its registry":  {"37", func(w *world) []byte { return w.pki.Intermediate.DER }},
		"intermediate by administrator": {trustlist.AdminID, func(w *world) []byte { return w.pki.Intermediate.DER }},
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			d := t0.AddDate(0, 0, -30)
			caFP := fp(c.cert(w))
			sealBefore := jsonOf(t, w.sealOf(sealCode))
			statusBefore := w.sealOf(sealCode).StatusAt(t0)
			w.do(c.reg, opDistrust(caFP, d, "key compromise"))

			a, ok := w.st.Anchor(caFP)
			if !ok {
				t.Fatal("anchor gone")
			}
			if !a.TrustedAt(d.Add(-time.Nanosecond)) || a.TrustedAt(d) || a.TrustedAt(t0) || a.TrustedNow() {
				t.Error("TrustedAt around D")
			}
			if a.TrustedAt(a.NotBefore.Add(-time.Second)) {
				t.Error("trusted before its first event")
			}
			if from, ok := a.DistrustedFrom(t0); !ok || !from.Equal(d) {
				t.Errorf("DistrustedFrom(t0) = %v, %v", from, ok)
			}
			if _, ok := a.DistrustedFrom(d.Add(-time.Second)); ok {
				t.Error("distrusted before D")
			}
			if len(a.Events) != 2 || a.Events[1].Trusted || a.Events[1].Reason != "key compromise" ||
				a.Events[1].Push.Registry != c.reg || a.Events[1].Index != w.st.Index() {
				t.Errorf("events %+v", a.Events)
			}

			// Seals filed before keep their history and status.
			if got := jsonOf(t, w.sealOf(sealCode)); got != sealBefore {
				t.Error("the distrust changed a filed seal")
			}
			if got := w.sealOf(sealCode).StatusAt(t0); got.Status != statusBefore.Status {
				t.Errorf("status %s, was %s", got.Status, statusBefore.Status)
			}
			// A seal made after D from the same maker no longer chains.
			w.mustReject(t, w.envelope("37", opFileDER(w.mustSeal(madeAfterDistrust))), trustlist.CodeChainInvalid)
			// Nor does a maker registered now.
			w.mustReject(t, w.envelope("37", opMakerAdd(w.maker2.DER)), trustlist.CodeChainInvalid)
			// A seal made before D still does: the chain is judged when the seal was made.
			w.do("37", opFileDER(w.mustSeal(sm2ca.SealSpec{ESID: "37010000000006", CreateDate: d.AddDate(0, 0, -10), ValidEnd: t0.AddDate(1, 0, 0)})))

			// Trust again from t0: the history keeps the gap.
			w.do(c.reg, trustlist.Op{Op: trustlist.OpAnchorAdd, Cert: c.cert(w), EffectiveAt: ptr(t0), Reason: "re-issued"})
			a, _ = w.st.Anchor(caFP)
			if !a.TrustedNow() || !a.TrustedAt(t0) || a.TrustedAt(d.AddDate(0, 0, 1)) || !a.TrustedAt(d.Add(-time.Hour)) || len(a.Events) != 3 {
				t.Errorf("after re-trust: %+v", a.Events)
			}
			w.do("37", opFileDER(w.mustSeal(sm2ca.SealSpec{ESID: "37010000000007", CreateDate: t0.Add(time.Hour), ValidEnd: t0.AddDate(1, 0, 0)})))
		})
	}
}

// TestChainSeesAnchorChangesWithinPush: chains are built "over the anchors trusted at that time (as
// the push so far leaves them)". A distrust earlier in the same push must count for later ops, even
// when an op before it already built the same chain at the same time.
func TestChainSeesAnchorChangesWithinPush(t *testing.T) {
	w := newWorld(t)
	sealA := w.mustSeal(sm2ca.SealSpec{ESID: "37010000000005"})
	sealB := w.mustSeal(sm2ca.SealSpec{ESID: "37010000000006"}) // same maker, same creation time
	distrust := opDistrust(fp(w.pki.Intermediate.DER), w.pki.Epoch, "compromised")

	t.Run("distrust first", func(t *testing.T) {
		w.fork(t).mustReject(t, w.envelope("37", distrust, opFileDER(sealB)), trustlist.CodeChainInvalid)
	})
	t.Run("chain built before the distrust", func(t *testing.T) {
		env := w.envelope("37", opFileDER(sealA), distrust, opFileDER(sealB))
		_, _, err := w.st.Apply(env, w.st.Index()+1)
		var r *trustlist.Rejection
		if !errors.As(err, &r) || r.Code != trustlist.CodeChainInvalid || r.Op != 2 {
			t.Errorf("BUG: seal B, whose maker chains only through an intermediate distrusted by op 1 of the same push, "+
				"was judged with the chain cached by op 0: got %v, want CHAIN_INVALID at op 2", err)
		}
	})
}

// TestSealFiledFromMeta: every field of the metadata is kept.
func TestSealFiledFromMeta(t *testing.T) {
	w := newWorld(t)
	m := trustlist.SealMeta{
		Code: "37030000000042", Name: "淄博市周村区自然资源局", Type: 2,
		OwnerName: orgName, OwnerUSCC: orgUSCC,
		MakerCert:   fp(w.pki.Maker.DER),
		SignerCerts: []string{fp(w.pki.Signer.DER)},
		ValidStart:  time.Date(2024, 6, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600)),
		ValidEnd:    time.Date(2027, 6, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600)),
		SealSM3:     smcrypto.SM3Hex([]byte("seal")), PictureSM3: smcrypto.SM3Hex([]byte("picture")),
	}
	res := w.do("37", opFileMeta(m))
	v := w.sealOf(m.Code)
	want := &trustlist.Seal{
		Code: m.Code, Registry: "37", Name: m.Name, Type: 2, OwnerName: orgName, OwnerUSCC: orgUSCC,
		MakerCert: m.MakerCert, SignerCerts: m.SignerCerts, ValidStart: m.ValidStart.UTC(), ValidEnd: m.ValidEnd.UTC(),
		SealSM3: m.SealSM3, PictureSM3: m.PictureSM3, FromDER: false, FiledIndex: res.Index,
		Events: []trustlist.Event{{Status: trustlist.StatusValid, EffectiveAt: m.ValidStart.UTC(), RecordedAt: res.RecordedAt,
			Index: res.Index, Push: trustlist.PushRef{Registry: "37", Seq: res.Seq}}},
	}
	if got, w := jsonOf(t, v), jsonOf(t, want); got != w {
		t.Errorf("seal\n got %s\nwant %s", got, w)
	}
	if v.ValidStart.Location() != time.UTC {
		t.Error("valid_start not kept in UTC")
	}
	// A non-numeric code is filed by a registry whose jurisdiction is "*".
	w.do("tax", opFileMeta(meta("ZhelibanTaxSeal")))
	if v := w.sealOf("ZhelibanTaxSeal"); v.Registry != "tax" {
		t.Errorf("registry %s", v.Registry)
	}
}

// TestSealFiledFromDER: the fields come from the SES_Seal and its certificates.
func TestSealFiledFromDER(t *testing.T) {
	w := newWorld(t)
	for name, spec := range map[string]sm2ca.SealSpec{
		"V4": {ESID: "37010000000011", Name: "测试印章甲", Type: 3},
		"V5": {ESID: "37010000000012", Name: "测试印章乙", Version: 5,
			ValidStart: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), ValidEnd: time.Date(2028, 12, 31, 0, 0, 0, 0, time.UTC)},
		"raw r‖s maker signature": {ESID: "37010000000013", Raw64: true},
	} {
		t.Run(name, func(t *testing.T) {
			der := w.mustSeal(spec)
			env := w.envelope("37", opFileDER(der))
			if _, err := w.st.Check(env, trustlist.CheckOptions{Now: w.now}); err != nil {
				t.Fatalf("Check: %v", err)
			}
			res := w.mustApply(env)
			v := w.sealOf(spec.ESID)
			start := spec.ValidStart
			if start.IsZero() {
				start = w.pki.Epoch.Add(24 * time.Hour)
			}
			end := spec.ValidEnd
			if end.IsZero() {
				end = start.AddDate(3, 0, 0)
			}
			wantName := spec.Name
			if wantName == "" {
				wantName = "测试市自然资源局(不动产登记专用章)"
			}
			wantType := max(spec.Type, 1)
			switch {
			case v.Code != spec.ESID || v.Registry != "37" || v.Name != wantName || v.Type != wantType:
				t.Errorf("code/registry/name/type: %+v", v)
			case v.MakerCert != fp(w.pki.Maker.DER):
				t.Errorf("maker %s", v.MakerCert)
			case !slices.Equal(v.SignerCerts, []string{fp(w.pki.Signer.DER)}):
				t.Errorf("signers %v", v.SignerCerts)
			case v.SealSM3 != smcrypto.SM3Hex(der) || v.PictureSM3 != smcrypto.SM3Hex(sm2ca.Picture()):
				t.Errorf("SM3s %s %s", v.SealSM3, v.PictureSM3)
			case v.OwnerName != orgName || v.OwnerUSCC != orgUSCC:
				t.Errorf("owner %q %q (from the signer certificate's O)", v.OwnerName, v.OwnerUSCC)
			case !v.ValidStart.Equal(start) || !v.ValidEnd.Equal(end):
				t.Errorf("validity %s – %s, want %s – %s", v.ValidStart, v.ValidEnd, start, end)
			case !v.FromDER || v.FiledIndex != res.Index || len(v.Events) != 1:
				t.Errorf("from_der/filed_index/events: %+v", v)
			case v.Events[0].Status != trustlist.StatusValid || !v.Events[0].EffectiveAt.Equal(start):
				t.Errorf("filing event %+v", v.Events[0])
			}
		})
	}
	t.Run("several signer certificates", func(t *testing.T) {
		other, err := w.pki.Leaf("37010000000014", w.pki.Epoch, w.pki.Epoch.AddDate(4, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		spec := sm2ca.SealSpec{ESID: "37010000000014", Signers: []*sm2ca.Authority{w.pki.Signer, other}}
		w.do("37", opFileDER(w.mustSeal(spec)))
		v := w.sealOf(spec.ESID)
		if !slices.Equal(v.SignerCerts, []string{fp(w.pki.Signer.DER), fp(other.DER)}) || v.OwnerUSCC != orgUSCC {
			t.Errorf("signers %v owner %q", v.SignerCerts, v.OwnerUSCC)
		}
		// Art. 16 holds against every signer: a seal past the second one's end is refused.
		spec = sm2ca.SealSpec{ESID: "37010000000015", Signers: []*sm2ca.Authority{w.pki.Signer, other},
			ValidEnd: w.pki.Epoch.AddDate(4, 6, 0)}
		w.mustReject(t, w.envelope("37", opFileDER(w.mustSeal(spec))), trustlist.CodeSealOutlives)
	})
	t.Run("Art. 16 boundary: ending with the signer", func(t *testing.T) {
		w.do("37", opFileDER(w.mustSeal(sm2ca.SealSpec{ESID: "37010000000016", ValidEnd: w.pki.Signer.Cert.NotAfter})))
	})
}

// TestMakerRemove: a removed maker files no new seal, stays on record, and its seals stay.
func TestMakerRemove(t *testing.T) {
	w := newWorld(t)
	makerFP := fp(w.pki.Maker.DER)
	res := w.do("37", opMakerRemove(makerFP, "system replaced"))
	r37, _ := w.st.Registry("37")
	m, ok := r37.Maker(makerFP)
	if !ok || m.RemovedIndex != res.Index || !m.RemovedAt.Equal(res.RecordedAt) || m.Reason != "system replaced" {
		t.Errorf("removed maker %+v", m)
	}
	if id, ok := w.st.MakerRegistry(makerFP); !ok || id != "37" {
		t.Error("a removed maker is forgotten")
	}
	if _, ok := w.st.Seal(sealCode); !ok {
		t.Error("the maker's seal is gone")
	}
	w.mustReject(t, w.envelope("37", opMakerRemove(makerFP, "")), trustlist.CodeMakerUnknown)
	w.mustReject(t, w.envelope("37", opMakerAdd(w.pki.Maker.DER)), trustlist.CodeMakerExists)
	// The other maker takes over.
	w.do("37", opMakerAdd(w.maker2.DER))
	w.do("37", opFileDER(w.mustSeal(sm2ca.SealSpec{ESID: "37010000000002", Maker: w.maker2})))
}

// TestRegistryUpdate: the administrator renames, widens, re-keys and re-modes a registry.
func TestRegistryUpdate(t *testing.T) {
	w := newWorld(t)
	a, b := w.keys["37"], w.spare[0]
	res := w.do(trustlist.AdminID, opUpdate(trustlist.RegistrySpec{ID: "37", Name: "山东省电子印章公共服务平台",
		Jurisdiction: []string{"37", "3201"}, Keys: []trustlist.KeySpec{keySpec(t, b)}, RetireKeys: []string{keyID(a)}}))
	r, _ := w.st.Registry("37")
	if r.Name != "山东省电子印章公共服务平台" || !slices.Equal(r.Jurisdiction, []string{"37", "3201"}) || r.UpdatedIndex != res.Index ||
		r.CreatedIndex != 2 || r.Kind != trustlist.KindProvince || r.Head.Seq != 2 {
		t.Errorf("updated registry %+v", r)
	}
	if k, _ := r.Key(keyID(a)); k.NotAfter.IsZero() {
		t.Error("key A not retired")
	}
	w.mustReject(t, w.envelope("37", opFileMeta(meta("32010000000001"))), trustlist.CodeKeyNotValid)
	w.keys["37"] = b
	w.do("37", opFileMeta(meta("32010000000001")))
	w.mustReject(t, w.envelope("37", opFileMeta(meta("32020000000001"))), trustlist.CodeOutsideJuris)

	w.do(trustlist.AdminID, opUpdate(trustlist.RegistrySpec{ID: "37", Mode: trustlist.ModeLive, Adapter: []byte(`{"kind":"rest","endpoint":"https://seal.sd.gov.cn"}`)}))
	r, _ = w.st.Registry("37")
	if r.Mode != trustlist.ModeLive || string(r.Adapter) != `{"kind":"rest","endpoint":"https://seal.sd.gov.cn"}` || r.Name != "山东省电子印章公共服务平台" {
		t.Errorf("mode/adapter %+v", r)
	}
	// A new registry pushes at once; a live registry without keys is allowed.
	w.do(trustlist.AdminID, opCreate(regSpec(w, "32")), opCreate(trustlist.RegistrySpec{ID: "customs", Name: "海关", Kind: trustlist.KindDepartment,
		Jurisdiction: []string{"*"}, Mode: trustlist.ModeLive}))
	w.keys["32"] = w.spare[0]
	w.do("32", opFileMeta(meta("32010000000002")))
	if r, _ := w.st.Registry("customs"); len(r.Keys) != 0 || r.Mode != trustlist.ModeLive {
		t.Errorf("customs %+v", r)
	}
}

// TestAdminKeyRotation: the administrator's own keys change with key.rotate.
func TestAdminKeyRotation(t *testing.T) {
	w := newWorld(t)
	old := w.keys[trustlist.AdminID]
	w.do(trustlist.AdminID, opRotate(ptr(keySpec(t, w.spare[2])), keyID(old), time.Time{}))
	w.keys[trustlist.AdminID] = w.spare[2]
	w.do(trustlist.AdminID, opCreate(regSpec(w, "32")))
	w.mustReject(t, w.envelopeWith(trustlist.AdminID, old, nil, opCreate(regSpec(w, "33"))), trustlist.CodeKeyNotValid)
}

func TestInit(t *testing.T) {
	k := keySpec(t, mustKey(t))
	t.Run("no key", func(t *testing.T) {
		_, err := trustlist.New().Init(nil, t0, 1)
		if r := rejection(t, err, trustlist.CodeKeyInvalid); r.Kind().HTTPStatus() != 422 {
			t.Error(r.Kind())
		}
	})
	t.Run("unreadable key", func(t *testing.T) {
		_, err := trustlist.New().Init([]trustlist.KeySpec{{PublicKey: "nope"}}, t0, 1)
		rejection(t, err, trustlist.CodeKeyInvalid)
	})
	t.Run("twice", func(t *testing.T) {
		empty := trustlist.New()
		if empty.Initialized() || empty.Index() != 0 || empty.SealCount() != 0 {
			t.Fatal("New is not empty")
		}
		s1, err := empty.Init([]trustlist.KeySpec{k}, t0, 1)
		if err != nil || !s1.Initialized() || s1.Index() != 1 || empty.Initialized() {
			t.Fatalf("Init: %v", err)
		}
		admin, _ := s1.Registry(trustlist.AdminID)
		if admin.Kind != trustlist.KindAdmin || len(admin.Keys) != 1 || !slices.Equal(admin.Jurisdiction, []string{"*"}) {
			t.Errorf("admin %+v", admin)
		}
		s2, err := s1.Init([]trustlist.KeySpec{keySpec(t, mustKey(t))}, t0.Add(time.Hour), 7)
		if err != nil || s2.Index() != 7 {
			t.Fatalf("second Init: %v", err)
		}
		a2, _ := s2.Registry(trustlist.AdminID)
		if jsonOf(t, a2) != jsonOf(t, admin) {
			t.Error("a second Init changed the administrator")
		}
		if s2.WithIndex(1).Digest() != s1.Digest() {
			t.Error("a second Init changed more than the index")
		}
	})
}

func TestWalkSeals(t *testing.T) {
	w := newWorld(t)
	codes := []string{"37010000000009", "37010000000003", "37020000000001"}
	var ops []trustlist.Op
	for _, c := range codes {
		ops = append(ops, opFileMeta(meta(c)))
	}
	w.do("37", ops...)
	var got []string
	w.st.WalkSeals(func(v *trustlist.Seal) bool { got = append(got, v.Code); return true })
	want := append(slices.Clone(codes), sealCode)
	slices.Sort(want)
	if !slices.Equal(got, want) || w.st.SealCount() != len(want) {
		t.Errorf("WalkSeals %v, want %v", got, want)
	}
	got = got[:0]
	w.st.WalkSeals(func(v *trustlist.Seal) bool { got = append(got, v.Code); return len(got) < 2 })
	if len(got) != 2 {
		t.Errorf("WalkSeals did not stop: %v", got)
	}
}

// TestDERSealCodeCheckedLikeMeta: a seal code read from an SES_Seal must pass the same rules as one
// given in metadata. sealcode.Parse refuses white space and format characters because "they could
// make two different codes look alike"; the metadata path applies it, the DER path must too, or a
// registry with jurisdiction "*" can file "37010000000001 " beside Shandong's 37010000000001.
func TestDERSealCodeCheckedLikeMeta(t *testing.T) {
	base := newWorld(t)
	base.do("tax", opMakerAdd(base.maker2.DER))
	for name, code := range map[string]string{
		"trailing space":      sealCode + " ",
		"inner space":         "3701 0000000001",
		"zero-width space":    sealCode + "\u200b",
		"right-to-left mark":  "\u200f" + sealCode,
		"byte order mark":     "\ufeff" + sealCode,
		"unknown province 38": "38010000000001", // meta accepts this one too: both must agree
	} {
		t.Run(name, func(t *testing.T) {
			w := base.fork(t)
			metaEnv := w.envelope("tax", opFileMeta(meta(code)))
			_, metaErr := w.st.Check(metaEnv, trustlist.CheckOptions{})
			der, err := w.pki.Seal(sm2ca.SealSpec{ESID: code, Maker: w.maker2})
			if err != nil {
				t.Skipf("sm2ca cannot encode %q: %v", code, err)
			}
			_, derErr := w.st.Check(w.envelope("tax", opFileDER(der)), trustlist.CheckOptions{})
			var r *trustlist.Rejection
			if errors.As(derErr, &r) && r.Code != trustlist.CodeSealInvalid {
				t.Skipf("the SES_Seal is refused for another reason: %v", derErr)
			}
			if (metaErr == nil) != (derErr == nil) {
				t.Errorf("BUG: code %q: from metadata %v; from the SES_Seal %v", code, metaErr, derErr)
			}
		})
	}
}

// TestConcurrentReadsDuringApply: readers use a state while the next ones are built from it (run
// with -race).
func TestConcurrentReadsDuringApply(t *testing.T) {
	w := newWorld(t)
	w.do("37", metaOps(0, 50)...)
	old := w.st
	want := old.Digest()
	var envs []trustlist.Envelope
	x := w.fork(t)
	envs = append(envs, x.envelope("37", opStatus(sealCode, "suspend", time.Time{}, ""), opFileMeta(meta("37010000000002"))))
	x.mustApply(envs[0])
	envs = append(envs, x.envelope("37", opStatus(benchCode(7), "revoke", time.Time{}, ""), opMakerAdd(w.maker2.DER),
		opDistrust(fp(w.pki.Intermediate.DER), time.Time{}, "")))
	x.mustApply(envs[1])
	envs = append(envs, x.envelope(trustlist.AdminID, opUpdate(trustlist.RegistrySpec{ID: "37", Name: "renamed"}),
		opDistrust(fp(w.pki.Root.DER), time.Time{}, "")))

	done := make(chan struct{})
	errs := make(chan string, 4)
	for range 2 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 20 {
				n := 0
				old.WalkSeals(func(v *trustlist.Seal) bool { _ = v.StatusAt(t0); n++; return true })
				for _, a := range old.Anchors() {
					_ = a.TrustedAt(t0)
				}
				if r, _ := old.Registry("37"); r.Name == "renamed" || n != 51 {
					errs <- "a reader saw a later state"
				}
				if old.Digest() != want {
					errs <- "the digest of a published state changed"
				}
			}
		}()
	}
	for range 10 {
		st := old
		for _, env := range envs {
			next, _, err := st.Apply(env, st.Index()+1)
			if err != nil {
				t.Fatal(err)
			}
			st = next
		}
	}
	<-done
	<-done
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// toggles is n status ops on one seal, alternately suspend and restore, effective at issued_at.
func toggles(code string, n int) []trustlist.Op {
	ops := make([]trustlist.Op, n)
	for i := range ops {
		action := "suspend"
		if i%2 == 1 {
			action = "restore"
		}
		ops[i] = trustlist.Op{Op: trustlist.OpSealStatus, Code: code, Action: action}
	}
	return ops
}

// allocated is the number of bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestStatusOpsCostDoesNotGrowWithHistory: n status changes of one seal in one push must cost
// about what n changes of n seals cost. Copying the whole event history for every op makes one
// push of a few thousand ops (well under MaxPushBytes) take seconds on every node, and the next
// such push tens of seconds: any registry key holder can stall the FSM.
func TestStatusOpsCostDoesNotGrowWithHistory(t *testing.T) {
	const n = 1000
	w := newWorld(t)
	w.do("37", metaOps(0, n)...)
	spread := make([]trustlist.Op, n)
	for i := range spread {
		spread[i] = opStatus(benchCode(i), "suspend", time.Time{}, "")
	}
	apply := func(env trustlist.Envelope) func() {
		return func() {
			if _, _, err := w.st.Apply(env, w.st.Index()+1); err != nil {
				t.Fatal(err)
			}
		}
	}
	many := allocated(apply(w.envelope("37", spread...)))
	one := allocated(apply(w.envelope("37", toggles(sealCode, n)...)))
	t.Logf("%d status ops: on %d seals %d KiB, on one seal %d KiB", n, n, many>>10, one>>10)
	if one > 2*many+1<<20 {
		t.Errorf("BUG: %d status ops on one seal allocate %d MiB, %d× what the same number on %d seals do: "+
			"each op copies the seal's whole history (quadratic)", n, one>>20, one/max(many, 1), n)
	}
}

// TestLongHistorySnapshotDecodes: whatever Apply accepts, a snapshot must restore. Decode refuses
// more than 65,536 events in one seal (maxSmall), but Apply sets no such bound.
func TestLongHistorySnapshotDecodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a history of 65,537 events")
	}
	w := newWorld(t)
	const perPush = 8000 // 64 bytes an op: just under MaxPushBytes
	probe := allocated(func() { w.do("37", toggles(sealCode, 2000)...) })
	if probe > 64<<20 {
		t.Skipf("BUG: blocked by the quadratic cost of status ops (2,000 ops on one seal allocate %d MiB; "+
			"see TestStatusOpsCostDoesNotGrowWithHistory)", probe>>20)
	}
	// Either fix will do: Apply bounds a seal's history (a rejection ends the loop), or Decode reads
	// what Apply builds.
	for len(w.sealOf(sealCode).Events) <= 1<<16 {
		if _, err := w.apply(w.envelope("37", toggles(sealCode, perPush)...)); err != nil {
			t.Logf("history bounded at %d events: %v", len(w.sealOf(sealCode).Events), err)
			break
		}
	}
	enc := encode(t, w.st)
	if _, err := trustlist.Decode(bytes.NewReader(enc)); err != nil {
		t.Errorf("BUG: a state Apply built (a seal with %d events) encodes to a snapshot Decode refuses: %v",
			len(w.sealOf(sealCode).Events), err)
	}
}

// TestManyChangesInOnePushStayPrivate: a push may change a seal it filed or already changed in
// place, but never a seal a published state holds.
func TestManyChangesInOnePushStayPrivate(t *testing.T) {
	w := newWorld(t)
	const code = "37010000000002"
	first := w.st
	w.do("37", append([]trustlist.Op{opFileMeta(meta(code))}, toggles(code, 3)...)...)
	second := w.st
	if got := len(w.sealOf(code).Events); got != 4 {
		t.Fatalf("%d events, want 4", got)
	}
	secondJSON := jsonOf(t, w.sealOf(code))
	secondDigest := second.Digest()
	w.do("37", append(toggles(code, 3)[1:], toggles(sealCode, 5)...)...) // restore, suspend; 5 on sealCode
	w.do("37", toggles(code, 4)[1:]...)                                  // restore, suspend, restore
	if _, ok := first.Seal(code); ok {
		t.Error("the state before the filing sees the seal")
	}
	if v, _ := second.Seal(code); jsonOf(t, v) != secondJSON || second.Digest() != secondDigest {
		t.Error("a later push changed the seal of a published state")
	}
	if v, _ := first.Seal(sealCode); len(v.Events) != 1 {
		t.Errorf("the base seal of the first state has %d events", len(v.Events))
	}
	v := w.sealOf(code)
	if len(v.Events) != 9 || v.Latest().Status != trustlist.StatusValid {
		t.Errorf("%d events, latest %s", len(v.Events), v.Latest().Status)
	}
	for i := 1; i < len(v.Events); i++ {
		if v.Events[i].Index < v.Events[i-1].Index || v.Events[i].EffectiveAt.Before(v.Events[i-1].EffectiveAt) {
			t.Fatalf("events out of order at %d", i)
		}
	}
	if got := w.sealOf(sealCode).Latest().Status; got != trustlist.StatusSuspended {
		t.Errorf("base seal %s after 5 toggles", got)
	}
}
