package trustlist_test

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/sealhub/sealhub/trustlist"
)

// toSync makes registry 37 a sync-mode registry (an administrator push).
func toSync(w *world) {
	w.do(trustlist.AdminID, opUpdate(trustlist.RegistrySpec{ID: "37", Mode: trustlist.ModeSync,
		Adapter: []byte(`{"kind":"crl","endpoint":"https://crl.sd.example"}`)}))
}

// syncEnv is the leader's next sync push for 37, reading the feed up to source, unsigned.
func syncEnv(w *world, source uint64, ops ...trustlist.Op) trustlist.Envelope {
	w.tb.Helper()
	p := w.push("37", ops...)
	p.SourceSeq = source
	return trustlist.Envelope{Body: marshal(w.tb, p), RecordedAt: w.now.Add(recordDelay), Sync: true}
}

func TestSyncPushes(t *testing.T) {
	w := newWorld(t)
	toSync(w)
	code := "37010000000077"
	eff := w.now.Add(-time.Hour)

	// A seal the hub has no record of is filed from the feed's description, then changed.
	res := w.mustApply(syncEnv(w, 5, opFileMeta(meta(code)), opStatus(code, "suspend", eff, "feed seq 5")))
	reg, _ := w.st.Registry("37")
	if reg.Head.SourceSeq != 5 || reg.Head.Seq != res.Seq || res.KeyID != "" {
		t.Fatalf("head %+v after a sync push (result %+v)", reg.Head, res)
	}
	if s := w.sealOf(code); len(s.Events) != 2 || s.Events[1].Status != trustlist.StatusSuspended {
		t.Fatalf("seal events %+v", s.Events)
	}

	// A checkpoint: the feed was read to 9 and nothing changed.
	w.mustApply(syncEnv(w, 9))
	reg, _ = w.st.Registry("37")
	if reg.Head.SourceSeq != 9 || reg.Head.RecordedAt.IsZero() {
		t.Fatalf("head %+v after a checkpoint", reg.Head)
	}

	// Exactly once: two leaders building on the same head write one push; the other is refused.
	a := syncEnv(w, 12, opStatus(code, "restore", w.now, ""))
	b := syncEnv(w, 12, opStatus(code, "revoke", w.now, ""))
	w.mustApply(a)
	w.mustReject(t, b, trustlist.CodeReplayConflict)
	if res, err := w.apply(a); err != nil || !res.Replay {
		t.Fatalf("the same sync push again: %+v, %v", res, err)
	}
	if s := w.sealOf(code); s.Latest().Status != trustlist.StatusValid {
		t.Fatalf("latest %+v", s.Latest())
	}

	// The feed never goes back.
	w.mustReject(t, syncEnv(w, 11), trustlist.CodeSyncRollback)

	// The registry's own signed pushes are refused while the hub syncs it.
	w.mustReject(t, w.envelope("37", opStatus(code, "revoke", w.now, "")), trustlist.CodeNotPermitted)
	// A signed push may not pose as a sync push.
	w.mustReject(t, w.envelopeWith("37", nil, func(p *trustlist.Push) { p.SourceSeq = 99 }, opStatus(code, "revoke", w.now, "")), trustlist.CodeMalformed)
	// Sync pushes carry filings and status changes only.
	w.mustReject(t, syncEnv(w, 13, opMakerRemove(fp(w.pki.Maker.DER), "x")), trustlist.CodeNotPermitted)
	w.mustReject(t, syncEnv(w, 13, opFileDER(w.sealDER)), trustlist.CodeNotPermitted)

	// Snapshots keep the feed position.
	var buf bytes.Buffer
	if _, err := w.st.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := trustlist.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := back.Registry("37"); r.Head.SourceSeq != 12 || back.Digest() != w.st.Digest() {
		t.Fatalf("decoded head %+v", r.Head)
	}
}

func TestSyncPushRefusedForOtherModes(t *testing.T) {
	w := newWorld(t)
	env := syncEnv(w, 1, opStatus(sealCode, "suspend", w.now, ""))
	w.mustReject(t, env, trustlist.CodeNotPermitted)
	env.Body = bytes.Replace(env.Body, []byte(`"37"`), []byte(`"nobody"`), 1)
	w.mustReject(t, env, trustlist.CodeRegistryUnknown)
	// A push without ops is malformed unless it is a sync checkpoint.
	w.mustReject(t, w.envelope("37"), trustlist.CodeMalformed)
}

// A state encoded by the build before sync mode (codec version 1, testdata/state-v1.bin: the base
// world) still decodes, and re-encodes in the current version to the same content.
func TestDecodeVersion1(t *testing.T) {
	raw, err := os.ReadFile("testdata/state-v1.bin")
	if err != nil {
		t.Fatal(err)
	}
	st, err := trustlist.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	r, ok := st.Registry("37")
	if !ok || r.Head.Seq == 0 || r.Head.SourceSeq != 0 || st.SealCount() != 1 {
		t.Fatalf("decoded %+v, %d seals", r, st.SealCount())
	}
	var buf bytes.Buffer
	if _, err := st.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	again, err := trustlist.Decode(&buf)
	if err != nil || again.Digest() != st.Digest() || again.Index() != st.Index() {
		t.Fatalf("re-encoded: %v", err)
	}
}
