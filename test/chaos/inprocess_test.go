package chaos

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/sealhub/sealhub/test/cluster"
	"github.com/sealhub/sealhub/trustlist"
)

// TestWorkloadInProcess runs the workload against an in-process cluster (test/cluster) for a few
// seconds, with a node killed and restarted and another cut off meanwhile, and then the same
// checks the chaos run makes: the workload's requests and answers, the history and the final checks
// are exercised without docker.
func TestWorkloadInProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node cluster; skipped with -short")
	}
	c := cluster.New(t, 3, cluster.Options{})
	ns := &Nodes{}
	for i := 1; i <= 3; i++ {
		ns.List = append(ns.List, &Node{Name: fmt.Sprintf("hub-%d", i), api: c.URL(i)})
	}
	writers, err := NewWriters(3)
	if err != nil {
		t.Fatal(err)
	}
	hc := NewHTTPClient()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := CreateRegistries(ctx, hc, c.URL(1), c.Admin.Key, writers); err != nil {
		t.Fatal(err)
	}
	w := &Workload{Nodes: ns, HTTP: hc, Writers: writers, Readers: 3, Seed: 1, History: NewHistory()}
	stop, stopNow := context.WithCancel(context.Background())
	giveUp, giveUpNow := context.WithCancel(context.Background())
	defer giveUpNow()
	w.Start(stop, giveUp)

	waitAcked(t, w, 20)
	c.Kill(t, 2)
	ns.List[1].setDown(true)
	waitAcked(t, w, 20)
	c.Restart(t, 2)
	ns.List[1].setDown(false)
	c.Net.Isolate(3)
	ns.List[2].setPartitioned(true)
	waitAcked(t, w, 20)
	c.Net.Heal()
	ns.List[2].setPartitioned(false)
	waitAcked(t, w, 20)
	stopNow()
	time.AfterFunc(30*time.Second, giveUpNow)
	w.Wait()

	for _, v := range w.Violations() {
		t.Error(v)
	}
	pushes := w.History.Pushes()
	res, _ := porcupine.CheckOperationsVerbose(Model(), w.History.Operations(), time.Minute)
	if res != porcupine.Ok {
		t.Errorf("checker: %s", res)
	}
	c.WaitConverged(t)
	states := map[string]*trustlist.State{}
	for i := 1; i <= 3; i++ {
		states[ns.List[i-1].Name] = c.Hub(i).State()
	}
	f := CheckStates(states, pushes)
	if f.Lost != 0 || !f.DigestsEqual || f.Gaps != 0 || len(f.Problems) > 0 {
		t.Errorf("final checks: %+v", f)
	}
	rep := &Report{Seed: 1, Project: "in-process", Writers: 3, Readers: 3, Pushes: pushes, Counters: &w.Counters,
		Final: f, Checker: res, Operations: len(w.History.Operations()), Violations: w.Violations()}
	t.Log("\n" + rep.String())
	if w.Counters.Get("read.ok.seal") == 0 || w.Counters.Get("read.ok.head") == 0 {
		t.Error("no seal or no head read answered")
	}
}

// waitAcked waits until n more pushes are acknowledged.
func waitAcked(t *testing.T, w *Workload, n int) {
	t.Helper()
	want := w.Counters.Get("push.acked") + n
	cluster.Eventually(t, cluster.WaitTimeout, fmt.Sprintf("%d pushes acknowledged", want), func() (bool, string) {
		got := w.Counters.Get("push.acked")
		return got >= want, fmt.Sprintf("%d; retried %v, rejected %v", got, w.Counters.Prefixed("push.retried."), w.Counters.Prefixed("push.rejected."))
	})
}
