package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/trustlist"
)

// feed is a region's change feed shared by every node (each asks it when it leads): a log of
// changes served three at a time.
type feed struct {
	mu  sync.Mutex
	log []adapters.Change
}

func (f *feed) Status(context.Context, string) (adapters.Report, error) {
	return adapters.Report{}, errors.New("not asked per query")
}

func (f *feed) Changes(_ context.Context, after uint64) (adapters.Changes, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	last := uint64(len(f.log))
	end := min(last, after+3)
	if after >= last {
		return adapters.Changes{Through: last}, nil
	}
	return adapters.Changes{Changes: append([]adapters.Change(nil), f.log[after:end]...), Through: end, More: end < last}, nil
}

func (f *feed) add(code string, st trustlist.Status, info *adapters.SealInfo) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, adapters.Change{Seq: uint64(len(f.log)) + 1, Code: code, Status: st, EffectiveAt: time.Now().UTC(), Seal: info})
}

func (f *feed) len() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return uint64(len(f.log))
}

type feedDir struct{ f *feed }

func (d feedDir) Source(*trustlist.Registry) (adapters.Source, error) { return d.f, nil }
func (d feedDir) Feed(*trustlist.Registry) (adapters.Feed, error)     { return d.f, nil }

// TestSyncAcrossLeaderCrash: a sync-mode registry's feed grows while the leader reading it is killed
// and later restarted. Every change of the feed ends up in the log exactly once, in order, on every
// node: each seal's history after its filing is the feed's changes for it, and the registry's head is
// at the feed's end.
func TestSyncAcrossLeaderCrash(t *testing.T) {
	f := &feed{}
	c := New(t, 3, Options{Registries: 1, Regions: feedDir{f}})
	reg := c.Registries[0]
	b, err := c.Admin.Next([]trustlist.Op{{Op: trustlist.OpRegistryUpdate, RegistrySpec: &trustlist.RegistrySpec{ID: reg.ID,
		Mode: trustlist.ModeSync, Adapter: []byte(`{"kind":"test","poll":"30ms"}`)}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.Deliver(ctx, b, nil); err != nil {
		t.Fatal(err)
	}

	const seals = 8
	start := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	info := &adapters.SealInfo{Name: "测试印章", Type: 1, ValidStart: start, ValidEnd: start.AddDate(3, 0, 0)}
	want := map[string][]trustlist.Status{}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // the region: a change every 10 ms, each seal alternating suspended / valid
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			code := fmt.Sprintf("3701020000%04d", i%seals)
			if i < seals {
				f.add(code, trustlist.StatusValid, info)
				continue
			}
			st := trustlist.StatusSuspended
			if n := len(want[code]); n%2 == 1 {
				st = trustlist.StatusValid
			}
			want[code] = append(want[code], st)
			f.add(code, st, nil)
		}
	}()
	head := func(i int) uint64 {
		r, _ := c.Hub(i).State().Registry(reg.ID)
		return r.Head.SourceSeq
	}
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("not within 30 s: %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	old := c.WaitLeader(t)
	waitUntil("30 changes written", func() bool { return head(old) >= 30 })
	c.Kill(t, old)
	c.Logf(t, "leader %d killed at source seq %d", old, f.len())
	next := c.WaitLeader(t, c.Others(old)...)
	mark := f.len()
	waitUntil("the new leader writes on", func() bool { return head(next) > mark })
	c.Restart(t, old)
	waitUntil("more changes", func() bool { return head(next) > mark+30 })
	close(stop)
	<-done
	end := f.len()
	for _, i := range c.Live() {
		waitUntil(fmt.Sprintf("node %d at the feed's end %d", i, end), func() bool { return head(i) == end })
	}
	for _, i := range c.Live() {
		st := c.Hub(i).State()
		for code, statuses := range want {
			s, ok := st.Seal(code)
			if !ok {
				t.Fatalf("node %d: seal %s not filed", i, code)
			}
			var got []trustlist.Status
			for _, e := range s.Events[1:] {
				got = append(got, e.Status)
			}
			if fmt.Sprint(got) != fmt.Sprint(statuses) {
				t.Fatalf("node %d: seal %s events %v, the feed %v", i, code, got, statuses)
			}
		}
	}
	c.CheckInvariants(t)
}
