package verifyapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/federation/ingest"
	"github.com/sealhub/sealhub/internal/hub"
	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/ses"
)

// fakeFeed is a region's change feed: a log of changes numbered from 1, served a page at a time;
// it can be made to fail.
type fakeFeed struct {
	mu     sync.Mutex
	log    []adapters.Change
	page   int
	failed error
	reads  int
}

func (f *fakeFeed) Status(context.Context, string) (adapters.Report, error) {
	return adapters.Report{}, errors.New("a sync-mode region is not asked per query")
}

func (f *fakeFeed) Changes(_ context.Context, after uint64) (adapters.Changes, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if f.failed != nil {
		return adapters.Changes{}, f.failed
	}
	last := uint64(len(f.log))
	if after >= last {
		return adapters.Changes{Through: last}, nil
	}
	end := min(last, after+uint64(f.page))
	return adapters.Changes{Changes: append([]adapters.Change(nil), f.log[after:end]...), Through: end, More: end < last}, nil
}

func (f *fakeFeed) add(c adapters.Change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c.Seq = uint64(len(f.log)) + 1
	f.log = append(f.log, c)
}

func (f *fakeFeed) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = err
}

// feedDirectory serves feeds by registry id.
type feedDirectory map[string]*fakeFeed

func (d feedDirectory) Source(reg *trustlist.Registry) (adapters.Source, error) {
	if f, ok := d[reg.ID]; ok {
		return f, nil
	}
	return nil, fmt.Errorf("%w: %s", adapters.ErrNoAdapter, reg.ID)
}

func (d feedDirectory) Feed(reg *trustlist.Registry) (adapters.Feed, error) {
	if f, ok := d[reg.ID]; ok {
		return f, nil
	}
	return nil, fmt.Errorf("%w: %s", adapters.ErrNoAdapter, reg.ID)
}

// describe is what the region says of a seal: its name and validity, read from the seal itself.
func describe(t *testing.T, der []byte) *adapters.SealInfo {
	t.Helper()
	s, err := ses.ParseSeal(der)
	if err != nil {
		t.Fatal(err)
	}
	return &adapters.SealInfo{Name: s.Name, Type: s.Type, OwnerName: "测试单位", ValidStart: s.ValidStart, ValidEnd: s.ValidEnd}
}

// waitFor polls cond until it holds, failing the test at the deadline.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSyncRegion runs a sync-mode registry: the leader reads its region's feed (paged) into the log,
// filing seals the trust list did not know from the feed's description and recording their status
// changes exactly once, so verifications are answered locally with the status at the signing time;
// the registry's own pushes are refused; changes the trust list cannot take are skipped and
// reported; and when the feed stops answering for longer than max_age, verifications become
// indeterminate with the age of the data, never valid. GET /v1/registries/{id} shows all of it.
func TestSyncRegion(t *testing.T) {
	t.Parallel()
	feed := &fakeFeed{page: 2}
	f := newHub(t, func(c *hub.Config) { c.Regions = feedDirectory{"44": feed} })
	p := newPKI(t, sm2ca.Options{Province: "广东省"})
	reg := f.createRegistry("44", trustlist.KindProvince, "44")
	f.trustPKI(reg, p)

	data := []byte("粤港澳合作协议")
	sealA := makeSeal(t, p, sm2ca.SealSpec{ESID: code14("44", 1)})
	sealB := makeSeal(t, p, sm2ca.SealSpec{ESID: code14("44", 2)})
	signed := utc(2025, 6, 1, 9)
	suspendedAt := utc(2025, 7, 1, 0)
	feed.add(adapters.Change{Code: code14("44", 1), Status: trustlist.StatusValid, EffectiveAt: utc(2025, 1, 1, 0), Seal: describe(t, sealA)})
	feed.add(adapters.Change{Code: code14("44", 2), Status: trustlist.StatusValid, Seal: describe(t, sealB)})
	feed.add(adapters.Change{Code: code14("44", 2), Status: trustlist.StatusSuspended, EffectiveAt: suspendedAt, Reason: "单位注销前停用"})
	feed.add(adapters.Change{Code: code14("44", 3), Status: trustlist.StatusRevoked})                         // not described: cannot be filed
	feed.add(adapters.Change{Code: code14("45", 4), Status: trustlist.StatusValid, Seal: describe(t, sealA)}) // outside 44's jurisdiction
	feed.add(adapters.Change{Code: code14("44", 1), Status: "lost"})                                          // not a status sealhub records

	f.push(f.admin, trustlist.Op{Op: trustlist.OpRegistryUpdate, RegistrySpec: &trustlist.RegistrySpec{ID: "44", Mode: trustlist.ModeSync,
		Adapter: []byte(`{"kind":"test-feed","poll":"50ms","max_age":"2s"}`)}})

	head := func() trustlist.Head { r, _ := f.h.State().Registry("44"); return r.Head }
	waitFor(t, "the feed written to seq 6", 20*time.Second, func() bool { return head().SourceSeq == 6 })
	a, _ := f.h.State().Seal(code14("44", 1))
	b, _ := f.h.State().Seal(code14("44", 2))
	if a == nil || b == nil || len(a.Events) != 1 || len(b.Events) != 2 || b.Events[1].Status != trustlist.StatusSuspended || !b.Events[1].EffectiveAt.Equal(suspendedAt) {
		t.Fatalf("synced records: %+v / %+v", a, b)
	}
	for _, code := range []string{code14("44", 3), code14("45", 4)} {
		if _, ok := f.h.State().Seal(code); ok {
			t.Errorf("seal %s was filed", code)
		}
	}

	// Verified locally, with the status at the signing time.
	valid(trustlist.StatusValid).check(t, "synced valid seal", f.verifySignature(sign(t, p, sealA, data, signed), data, time.Time{}).Report)
	valid(trustlist.StatusSuspended).check(t, "signed before the suspension", f.verifySignature(sign(t, p, sealB, data, signed), data, time.Time{}).Report)
	r := f.verifySignature(sign(t, p, sealB, data, suspendedAt.Add(time.Hour)), data, time.Time{})
	invalid(resolver.ReasonSealSuspended, trustlist.StatusSuspended, trustlist.StatusSuspended).check(t, "signed after the suspension", r.Report)
	if r.DataAge == nil || r.DataAge.Source != resolver.SourceSync {
		t.Errorf("data_age %+v, want source sync", r.DataAge)
	}

	// Exactly once: more rounds over a drained feed write nothing more (no checkpoint is due yet:
	// max_age/4 is 500 ms, so at most the checkpoints of that rhythm).
	seq := head().Seq
	reads := func() int { feed.mu.Lock(); defer feed.mu.Unlock(); return feed.reads }
	r0 := reads()
	waitFor(t, "ten more rounds", 20*time.Second, func() bool { return reads() >= r0+10 })
	if b, _ := f.h.State().Seal(code14("44", 2)); len(b.Events) != 2 {
		t.Fatalf("events written twice: %+v", b.Events)
	}
	if got := head(); got.SourceSeq != 6 || got.Seq > seq+3 {
		t.Fatalf("head %+v after idle rounds (was seq %d)", got, seq)
	}

	// A change appended later is written once.
	feed.add(adapters.Change{Code: code14("44", 2), Status: trustlist.StatusValid, EffectiveAt: suspendedAt.Add(24 * time.Hour), Reason: "恢复"})
	waitFor(t, "seq 7 written", 20*time.Second, func() bool { return head().SourceSeq == 7 })
	if b, _ := f.h.State().Seal(code14("44", 2)); len(b.Events) != 3 || b.Latest().Status != trustlist.StatusValid {
		t.Fatalf("after the restore: %+v", b.Events)
	}

	// The registry's own pushes are refused while the hub syncs it.
	f.pushRefused(reg.signer(), trustlist.CodeNotPermitted, statusOp(code14("44", 1), "revoke", time.Now(), ""))

	// Health, on the leader: the loop's counts and skips.
	var view ingest.RegistryView
	var health hub.RegistryHealth
	getView := func() {
		res := f.do(http.MethodGet, "/v1/registries/44", "", nil, nil)
		if res.status != http.StatusOK {
			t.Fatalf("GET /v1/registries/44: %d %s", res.status, res.body)
		}
		res.decode(t, &view)
		health = hub.RegistryHealth{}
		res.decode(t, &struct {
			Health *hub.RegistryHealth `json:"health"`
		}{&health})
	}
	getView()
	if view.Mode != trustlist.ModeSync || health.Kind != "test-feed" || health.Adapter != "ok" || health.Sync == nil || health.Sync.Loop == nil {
		t.Fatalf("registry view %+v, health %+v", view, health)
	}
	if l := health.Sync.Loop; l.Skipped < 3 || l.Changes < 7 || l.Ops < 4 || !health.Sync.Fresh || health.Sync.SourceSeq != 7 {
		t.Fatalf("sync health %+v, loop %+v", health.Sync, l)
	}

	// The region stops answering: past max_age, verifications are indeterminate with the age of the
	// data, never valid; the health says so.
	feed.fail(fmt.Errorf("%w: connection refused", adapters.ErrUnavailable))
	sig := sign(t, p, sealA, data, signed)
	var last report
	waitFor(t, "verifications indeterminate", 20*time.Second, func() bool {
		last = f.verifySignature(sig, data, time.Time{})
		return last.Result != resolver.Valid
	})
	want{result: resolver.Indeterminate, reason: resolver.ReasonRegionUnavailable, atSigning: resolver.StatusUnknown,
		now: trustlist.StatusValid, status: resolver.Undetermined}.check(t, "stale sync", last.Report)
	if last.DataAge == nil || last.DataAge.Source != resolver.SourceSync || last.DataAge.Millis < 2000 || !last.StatusNow.Stale {
		t.Errorf("data_age %+v, status_now %+v", last.DataAge, last.StatusNow)
	}
	if !strings.Contains(last.Checks.Status.Detail, "max_age") {
		t.Errorf("detail: %s", last.Checks.Status.Detail)
	}
	getView()
	if health.Sync.Fresh || health.Sync.Loop.Errors == 0 || !strings.Contains(health.Sync.Loop.LastError, "connection refused") {
		t.Fatalf("health of a failing feed: %+v, loop %+v", health.Sync, health.Sync.Loop)
	}

	// Back: fresh again.
	feed.fail(nil)
	waitFor(t, "verifications valid again", 20*time.Second, func() bool {
		return f.verifySignature(sig, data, time.Time{}).Result == resolver.Valid
	})
}
