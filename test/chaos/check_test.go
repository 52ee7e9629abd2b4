package chaos

import (
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// applier applies pushes to a trust list the way the FSM does, for the checks' tests.
type applier struct {
	t     *testing.T
	st    *trustlist.State
	index uint64
}

func (a *applier) apply(reg string, key any, body []byte) {
	a.t.Helper()
	signer := client.Signer{Registry: reg}
	switch k := key.(type) {
	case *Writer:
		signer.Key = k.Key
	default:
		signer.Key = key.(*client.Signer).Key
	}
	keyID, sig, err := signer.Sign(body)
	if err != nil {
		a.t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(sig)
	a.index++
	st, _, err := a.st.Apply(trustlist.Envelope{Body: body, KeyID: keyID, Signature: raw, RecordedAt: time.Now()}, a.index)
	if err != nil {
		a.t.Fatalf("apply %s: %v", body, err)
	}
	a.st = st
}

// chaosPushes makes a state with two writers' registries and n acknowledged pushes each, built by
// the writers themselves, and returns it with the pushes.
func chaosPushes(t *testing.T, n int) (*applier, []*Writer, []*PushOp) {
	t.Helper()
	adminKey, err := smcrypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := smcrypto.MarshalPublicKeyPEM(&adminKey.PublicKey)
	st, err := trustlist.New().Init([]trustlist.KeySpec{{PublicKey: string(pub)}}, time.Now(), 1)
	if err != nil {
		t.Fatal(err)
	}
	a := &applier{t: t, st: st, index: 1}
	writers, err := NewWriters(2)
	if err != nil {
		t.Fatal(err)
	}
	var ops []trustlist.Op
	for _, w := range writers {
		p, _ := smcrypto.MarshalPublicKeyPEM(&w.Key.PublicKey)
		ops = append(ops, trustlist.Op{Op: trustlist.OpRegistryCreate, RegistrySpec: &trustlist.RegistrySpec{
			ID: w.Registry, Name: "x", Kind: trustlist.KindDepartment, Jurisdiction: []string{"*"},
			Keys: []trustlist.KeySpec{{PublicKey: string(p)}}}})
	}
	body, _ := client.MarshalPush(trustlist.Push{Registry: trustlist.AdminID, Seq: 1, IssuedAt: time.Now().UTC().Truncate(time.Second).Add(-time.Hour), Ops: ops})
	a.apply(trustlist.AdminID, &client.Signer{Key: adminKey}, body)
	var pushes []*PushOp
	for i, w := range writers {
		w.client, w.rnd, w.statuses = i, rand.New(rand.NewPCG(uint64(i), 9)), map[string]string{}
		for range n {
			p, err := w.next()
			if err != nil {
				t.Fatal(err)
			}
			a.apply(w.Registry, w, p.Body)
			rec, _ := a.st.Push(w.Registry, p.Seq)
			p.Outcome, p.Index = Acked, rec.Index
			w.advance(p)
			pushes = append(pushes, p)
		}
	}
	return a, writers, pushes
}

func TestCheckStates(t *testing.T) {
	a, writers, pushes := chaosPushes(t, 30)
	good := a.st
	changes := 0
	for _, p := range pushes {
		changes += len(p.Changes) - len(p.Codes)
	}
	if changes == 0 {
		t.Fatal("the writers changed no status: the final status check would not be tested")
	}

	t.Run("equal states holding every acknowledged push", func(t *testing.T) {
		f := CheckStates(map[string]*trustlist.State{"hub-1": good, "hub-2": good, "hub-3": good}, pushes)
		if f.Lost != 0 || !f.DigestsEqual || f.Gaps != 0 || len(f.Problems) != 0 || f.Acked != len(pushes) {
			t.Fatalf("%+v", f)
		}
	})

	t.Run("a node lacks the last acknowledged push", func(t *testing.T) {
		w := writers[1]
		p, err := w.next()
		if err != nil {
			t.Fatal(err)
		}
		before := a.st
		a.apply(w.Registry, w, p.Body)
		p.Outcome = Acked
		rec, _ := a.st.Push(w.Registry, p.Seq)
		p.Index = rec.Index
		f := CheckStates(map[string]*trustlist.State{"hub-1": a.st, "hub-2": before, "hub-3": a.st}, append(pushes, p))
		if f.Lost != 1 || f.DigestsEqual || !has(f.Problems, "hub-2: acknowledged push "+w.Registry) {
			t.Fatalf("lost %d, digests equal %v, problems %q", f.Lost, f.DigestsEqual, f.Problems)
		}
		// The same push with an unknown outcome is no loss; on the nodes that hold it, it was applied.
		p.Outcome = Unknown
		f = CheckStates(map[string]*trustlist.State{"hub-1": a.st, "hub-2": a.st, "hub-3": a.st}, append(pushes, p))
		if f.Lost != 0 || f.UnknownApplied != 1 || len(f.Problems) != 0 {
			t.Fatalf("%+v", f)
		}
		f = CheckStates(map[string]*trustlist.State{"hub-1": before, "hub-2": before, "hub-3": before}, append(pushes, p))
		if f.Lost != 0 || f.UnknownDropped != 1 || len(f.Problems) != 0 {
			t.Fatalf("%+v", f)
		}
		// A push refused on every attempt must not be there.
		p.Outcome = Failed
		f = CheckStates(map[string]*trustlist.State{"hub-1": a.st, "hub-2": a.st, "hub-3": a.st}, append(pushes, p))
		if !has(f.Problems, "refused on every attempt") {
			t.Fatalf("%q", f.Problems)
		}
	})

	t.Run("a status the ledger does not give", func(t *testing.T) {
		bad := append([]*PushOp(nil), pushes...)
		last := *bad[len(bad)-1]
		last.Changes = append(append([]Change(nil), last.Changes...), Change{Code: last.Codes[0], Status: "revoked"})
		bad[len(bad)-1] = &last
		f := CheckStates(map[string]*trustlist.State{"hub-1": good}, bad)
		if !has(f.Problems, "must be revoked") {
			t.Fatalf("%q", f.Problems)
		}
	})

	t.Run("the writers' history passes the checker", func(t *testing.T) {
		var reads []ReadOp
		end := time.Duration(0)
		for i, p := range pushes {
			p.Call, p.Return = time.Duration(2*i)*time.Millisecond, time.Duration(2*i+1)*time.Millisecond
			end = p.Return
		}
		for _, w := range writers {
			for _, code := range w.codes {
				status := Absent // filed by the push the subtest above kept out of good
				if v, ok := good.Seal(code); ok {
					status = string(v.StatusAt(time.Now()).Status)
				}
				reads = append(reads, ReadOp{Kind: OpReadSeal, Registry: w.Registry, Code: code, Status: status, Call: end + 1, Return: end + 2})
			}
		}
		if res := porcupine.CheckOperations(Model(), Operations(pushes, reads)); !res {
			t.Fatal("the final statuses of the writers' pushes are not linearizable")
		}
	})
}

func has(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

func TestReportFailures(t *testing.T) {
	ok := func() *Report {
		c := &Counters{}
		c.Inc("read.ok.head")
		return &Report{Counters: c, Pushes: []*PushOp{{Outcome: Acked}}, Final: &Final{DigestsEqual: true}, Checker: porcupine.Ok}
	}
	if f := ok().Failures(); len(f) != 0 {
		t.Fatalf("a clean run fails: %q", f)
	}
	for name, c := range map[string]struct {
		spoil func(*Report)
		want  string
	}{
		"lost":         {func(r *Report) { r.Final.Lost = 2 }, "2 acknowledged pushes lost"},
		"digests":      {func(r *Report) { r.Final.DigestsEqual = false }, "digests differ"},
		"gap":          {func(r *Report) { r.Final.Gaps = 1 }, "1 sequence gaps"},
		"illegal":      {func(r *Report) { r.Checker = porcupine.Illegal }, "checker: Illegal"},
		"unknown":      {func(r *Report) { r.Checker = porcupine.Unknown }, "checker: Unknown"},
		"violation":    {func(r *Report) { r.Counters.Inc("violations") }, "1 answers broke a rule"},
		"no ack":       {func(r *Report) { r.Pushes[0].Outcome = Unknown }, "no push was acknowledged"},
		"no read":      {func(r *Report) { r.Counters = &Counters{} }, "no linearizable read"},
		"fault failed": {func(r *Report) { r.Faults = []Fault{{Err: "heal: x"}} }, "1 faults failed"},
		"no converge":  {func(r *Report) { r.Final, r.ConvergeEr = nil, "timeout" }, "did not converge"},
	} {
		r := ok()
		c.spoil(r)
		if f := r.Failures(); !has(f, c.want) {
			t.Errorf("%s: failures %q, want %q", name, f, c.want)
		}
		if !strings.Contains(r.String(), "verdict: FAIL") {
			t.Errorf("%s: the report does not say FAIL", name)
		}
	}
}
