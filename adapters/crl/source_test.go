package crl

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/adapters/adaptertest"
	"github.com/sealhub/sealhub/test/fakeregion"
	"github.com/sealhub/sealhub/trustlist"
)

var at = time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)

// entriesOf is the held list of src without the evidence, for comparing two sources.
func entriesOf(t *testing.T, src *Source) (uint64, map[string]status) {
	t.Helper()
	src.mu.Lock()
	h := src.cur
	src.mu.Unlock()
	if h == nil {
		t.Fatal("no list held")
	}
	out := map[string]status{}
	for code, e := range h.entries {
		e.evidence = ""
		out[code] = e
	}
	return h.seq, out
}

func mustStatus(t *testing.T, src *Source, code string, want trustlist.Status) adapters.Report {
	t.Helper()
	r, err := src.Status(context.Background(), code)
	if err != nil || r.Status != want {
		t.Fatalf("%s: got %+v, %v; want %s", code, r, err, want)
	}
	return r
}

// TestDeltasMatchAFullDownload: a held list kept up to date by deltas, over several rounds of
// changes (new seals, changed statuses, a seal changed twice), equals a fresh full download.
func TestDeltasMatchAFullDownload(t *testing.T) {
	noLeaks(t)
	fx := start(t, fakeregion.CRLOptions{}, nil)
	fx.fr.Set("A", trustlist.StatusValid, at)
	fx.fr.Set("B", trustlist.StatusValid, time.Time{})
	fx.fr.Set("C", trustlist.StatusSuspended, at)
	mustStatus(t, fx.src, "A", trustlist.StatusValid)
	rounds := []struct {
		change func()
		wantA  trustlist.Status
	}{
		{func() {
			fx.fr.Set("A", trustlist.StatusSuspended, at.Add(time.Hour))
			fx.fr.Set("D", trustlist.StatusValid, at)
		}, trustlist.StatusSuspended},
		{func() {}, trustlist.StatusSuspended}, // nothing changed: an empty delta
		{func() {
			fx.fr.Set("B", trustlist.StatusRevoked, at.Add(2*time.Hour))
			fx.fr.Set("A", trustlist.StatusValid, at.Add(3*time.Hour))
			fx.fr.Set("C", trustlist.StatusInvalidated, at.Add(4*time.Hour))
		}, trustlist.StatusValid},
	}
	for _, r := range rounds {
		r.change()
		fx.clock.Advance(DefaultRefresh)
		mustStatus(t, fx.src, "A", r.wantA)
	}
	if got, want := fx.requests(), []string{"/crl/full", "/crl/delta?base=3", "/crl/delta?base=5", "/crl/delta?base=5"}; !slices.Equal(got, want) {
		t.Fatalf("requests %q, want %q", got, want)
	}
	fresh := fx.source(t)
	mustStatus(t, fresh, "D", trustlist.StatusValid)
	seq, byDelta := entriesOf(t, fx.src)
	freshSeq, byFull := entriesOf(t, fresh)
	if seq != 8 || seq != freshSeq || !maps.Equal(byDelta, byFull) {
		t.Fatalf("by deltas (seq %d): %+v\nby a full list (seq %d): %+v", seq, byDelta, freshSeq, byFull)
	}
}

// TestPrunedDeltaTakesTheFullList: a delta whose base the region has pruned (HTTP 410) is replaced
// by the full list; a later delta from a kept base is a delta again.
func TestPrunedDeltaTakesTheFullList(t *testing.T) {
	fx := start(t, fakeregion.CRLOptions{KeepDeltas: 2}, nil)
	fx.fr.Set("A", trustlist.StatusValid, at)
	mustStatus(t, fx.src, "A", trustlist.StatusValid)
	for _, st := range []trustlist.Status{trustlist.StatusSuspended, trustlist.StatusValid, trustlist.StatusRevoked} {
		fx.fr.Set("A", st, at)
	}
	fx.clock.Advance(DefaultRefresh)
	mustStatus(t, fx.src, "A", trustlist.StatusRevoked)
	fx.fr.Set("B", trustlist.StatusInvalidated, at)
	fx.clock.Advance(DefaultRefresh)
	mustStatus(t, fx.src, "B", trustlist.StatusInvalidated)
	if got, want := fx.requests(), []string{"/crl/full", "/crl/delta?base=1", "/crl/full", "/crl/delta?base=4"}; !slices.Equal(got, want) {
		t.Fatalf("requests %q, want %q", got, want)
	}
}

// TestRollbackRefused: a region restored from an older backup serves a list older than the one
// held. It is refused, the held list keeps answering while it is good, and once it has expired
// the rollback is the error; the feed refuses it too.
func TestRollbackRefused(t *testing.T) {
	fx := start(t, fakeregion.CRLOptions{}, nil)
	for _, st := range []trustlist.Status{trustlist.StatusValid, trustlist.StatusSuspended, trustlist.StatusValid, trustlist.StatusRevoked} {
		fx.fr.Set("A", st, at)
	}
	mustStatus(t, fx.src, "A", trustlist.StatusRevoked)
	restored := fakeregion.NewCRL(fakeregion.CRLOptions{Key: testKey(t), KeyID: testKeyID, Now: fx.clock.Now})
	restored.Set("A", trustlist.StatusValid, at)
	restored.Set("A", trustlist.StatusSuspended, at)
	fx.swap(restored)

	fx.clock.Advance(DefaultRefresh)
	mustStatus(t, fx.src, "A", trustlist.StatusRevoked)
	if seq, _ := entriesOf(t, fx.src); seq != 4 {
		t.Fatalf("held seq %d after a rollback, want 4", seq)
	}
	if got, want := fx.requests(), []string{"/crl/full", "/crl/delta?base=4", "/crl/full"}; !slices.Equal(got, want) {
		t.Fatalf("requests %q, want %q", got, want)
	}
	fx.clock.Advance(2 * time.Hour)
	r, err := fx.src.Status(context.Background(), "A")
	if !errors.Is(err, adapters.ErrMalformed) || !strings.Contains(err.Error(), "rollback") || r != (adapters.Report{}) {
		t.Fatalf("expired list and a rollback: %+v, %v", r, err)
	}
	if _, err := fx.src.Changes(context.Background(), 4); !errors.Is(err, adapters.ErrMalformed) {
		t.Fatalf("feed from 4 after a rollback to 2: %v", err)
	}
}

// TestColdSourceDownloadsOnce: 100 concurrent queries on a source holding no list cause one
// download.
func TestColdSourceDownloadsOnce(t *testing.T) {
	noLeaks(t)
	fx := start(t, fakeregion.CRLOptions{Faults: fakeregion.Faults{Latency: 100 * time.Millisecond}}, nil)
	fx.fr.Set("A", trustlist.StatusSuspended, at)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Go(func() {
			r, err := fx.src.Status(context.Background(), "A")
			if err == nil && r.Status != trustlist.StatusSuspended {
				err = errors.New("status " + string(r.Status))
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := fx.fr.Calls(); n != 1 {
		t.Fatalf("%d downloads, want 1", n)
	}
}

// TestRegionDown: while the region is down, the held list answers until nextUpdate (+ grace),
// without asking again before the next refresh interval; past it, the error and never a status.
func TestRegionDown(t *testing.T) {
	cases := map[string]struct {
		grace   time.Duration
		fault   adaptertest.Fault
		wantErr error
	}{
		"server error":       {fault: adaptertest.FaultServerError, wantErr: adapters.ErrUnavailable},
		"malformed list":     {fault: adaptertest.FaultMalformed, wantErr: adapters.ErrMalformed},
		"with an hour grace": {grace: time.Hour, fault: adaptertest.FaultServerError, wantErr: adapters.ErrUnavailable},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			fx := start(t, fakeregion.CRLOptions{NextUpdate: time.Hour}, func(c *Config) { c.Grace = tc.grace })
			fx.fr.Set("A", trustlist.StatusValid, at)
			first := mustStatus(t, fx.src, "A", trustlist.StatusValid)
			fx.fr.Force(tc.fault)

			fx.clock.Advance(DefaultRefresh)
			if r := mustStatus(t, fx.src, "A", trustlist.StatusValid); r != first {
				t.Fatalf("from the held list: %+v, want %+v", r, first)
			}
			calls := fx.fr.Calls()
			mustStatus(t, fx.src, "A", trustlist.StatusValid)
			if fx.fr.Calls() != calls {
				t.Fatal("asked the region again within the refresh interval after a failure")
			}
			fx.clock.Advance(time.Hour + tc.grace/2) // past nextUpdate, within the grace if any
			if tc.grace > 0 {
				mustStatus(t, fx.src, "A", trustlist.StatusValid)
			}
			fx.clock.Advance(tc.grace)
			r, err := fx.src.Status(context.Background(), "A")
			if !errors.Is(err, tc.wantErr) || r != (adapters.Report{}) {
				t.Fatalf("expired list, region down: %+v, %v; want %v", r, err, tc.wantErr)
			}
			fx.fr.Force(adaptertest.FaultNone)
			mustStatus(t, fx.src, "A", trustlist.StatusValid)
		})
	}
}

// TestOneCallerGivingUp: a caller cancelling does not fail the refresh others wait for.
func TestOneCallerGivingUp(t *testing.T) {
	noLeaks(t)
	fx := start(t, fakeregion.CRLOptions{Faults: fakeregion.Faults{Latency: 300 * time.Millisecond}}, nil)
	fx.fr.Set("A", trustlist.StatusRevoked, at)
	ctx, cancel := context.WithCancel(context.Background())
	quitter := make(chan error, 1)
	go func() {
		_, err := fx.src.Status(ctx, "A")
		quitter <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); fx.fr.Calls() == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	waiter := make(chan error, 1)
	go func() {
		_, err := fx.src.Status(context.Background(), "A")
		waiter <- err
	}()
	cancel()
	if err := <-quitter; !errors.Is(err, context.Canceled) || !errors.Is(err, adapters.ErrUnavailable) {
		t.Fatalf("the caller who gave up: %v", err)
	}
	if err := <-waiter; err != nil {
		t.Fatalf("the caller who waited: %v", err)
	}
	if n := fx.fr.Calls(); n != 1 {
		t.Fatalf("%d downloads, want 1", n)
	}
}

// TestCloseStopsTheRefresh: Close ends a refresh nobody waits for any more, promptly.
func TestCloseStopsTheRefresh(t *testing.T) {
	noLeaks(t)
	fx := start(t, fakeregion.CRLOptions{Faults: fakeregion.Faults{Latency: time.Minute}}, nil)
	fx.fr.Set("A", trustlist.StatusValid, at)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := fx.src.Status(ctx, "A"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	start := time.Now()
	if err := fx.src.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("Close took %s", took)
	}
	if _, err := fx.src.Status(context.Background(), "A"); !errors.Is(err, adapters.ErrUnavailable) {
		t.Fatalf("after Close: %v", err)
	}
}

func TestStatusBatch(t *testing.T) {
	fx := start(t, fakeregion.CRLOptions{}, nil)
	fx.fr.Set("A", trustlist.StatusValid, at)
	fx.fr.Set("B", trustlist.StatusRevoked, at)
	got, err := fx.src.StatusBatch(context.Background(), []string{"A", "B", "nobody"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["A"].Status != trustlist.StatusValid || got["B"].Status != trustlist.StatusRevoked || !got["B"].EffectiveAt.Equal(at) {
		t.Fatalf("got %+v", got)
	}
	if fx.fr.Calls() != 1 {
		t.Fatalf("%d downloads for one batch", fx.fr.Calls())
	}
}

func TestAPIKey(t *testing.T) {
	const secret = "k3y-of-sealhub-at-37"
	cases := map[string]struct {
		key      string
		wantAuth bool
	}{
		"right key": {key: secret},
		"wrong key": {key: "not-the-key", wantAuth: true},
		"no key":    {wantAuth: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			fx := start(t, fakeregion.CRLOptions{APIKey: secret}, func(c *Config) { c.APIKey = tc.key })
			fx.fr.Set("A", trustlist.StatusValid, at)
			r, err := fx.src.Status(context.Background(), "A")
			var auth *AuthError
			if errors.As(err, &auth) != tc.wantAuth {
				t.Fatalf("got %+v, %v", r, err)
			}
			switch {
			case !tc.wantAuth && (err != nil || r.Status != trustlist.StatusValid):
				t.Fatalf("got %+v, %v", r, err)
			case tc.wantAuth && !errors.Is(err, adapters.ErrUnavailable):
				t.Fatalf("%v does not wrap ErrUnavailable", err)
			case tc.wantAuth && tc.key != "" && strings.Contains(err.Error(), tc.key):
				t.Fatalf("the key is in the message %q", err)
			}
		})
	}
}

// TestFeed: from 0 the full list, from N the delta after N, from a pruned N the full list again.
func TestFeed(t *testing.T) {
	fx := start(t, fakeregion.CRLOptions{KeepDeltas: 3}, nil)
	fx.fr.Describe("A", adapters.SealInfo{Name: "合同专用章", Type: 2, OwnerName: "某某有限公司", OwnerUSCC: "91370000MA0000000X",
		ValidStart: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), ValidEnd: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
	fx.fr.Set("A", trustlist.StatusValid, at)
	fx.fr.Set("B", trustlist.StatusValid, at)
	fx.fr.Set("A", trustlist.StatusSuspended, at.Add(time.Hour))
	ctx := context.Background()

	all, err := fx.src.Changes(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !all.Full || all.Through != 3 || len(all.Changes) != 2 || all.Changes[0].Code != "B" || all.Changes[1].Code != "A" ||
		all.Changes[1].Status != trustlist.StatusSuspended || all.Changes[1].Seal == nil || all.Changes[1].Seal.Name != "合同专用章" || len(all.Evidence) != 64 {
		t.Fatalf("from 0: %+v", all)
	}
	delta, err := fx.src.Changes(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if delta.Full || delta.Through != 3 || len(delta.Changes) != 2 || delta.Changes[0].Seq != 2 || delta.Changes[0].Seal == nil ||
		delta.Changes[1].Seq != 3 || delta.Changes[1].Seal != nil {
		t.Fatalf("from 1: %+v", delta)
	}
	if none, err := fx.src.Changes(ctx, 3); err != nil || none.Full || none.Through != 3 || len(none.Changes) != 0 {
		t.Fatalf("from 3: %+v, %v", none, err)
	}
	for range 3 {
		fx.fr.Set("B", trustlist.StatusRevoked, at)
	}
	pruned, err := fx.src.Changes(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !pruned.Full || pruned.Through != 6 || len(pruned.Changes) != 2 || pruned.Changes[1].Code != "B" || pruned.Changes[1].Status != trustlist.StatusRevoked {
		t.Fatalf("from a pruned 1: %+v", pruned)
	}
	if got, want := fx.requests(), []string{"/crl/full", "/crl/delta?base=1", "/crl/delta?base=3", "/crl/delta?base=1", "/crl/full"}; !slices.Equal(got, want) {
		t.Fatalf("requests %q, want %q", got, want)
	}
	if fx.src.cur != nil {
		t.Fatal("the feed changed the held list")
	}
}

func TestOversizedList(t *testing.T) {
	fx := start(t, fakeregion.CRLOptions{}, func(c *Config) { c.MaxBody = 256 })
	for _, code := range []string{"A", "B", "C", "D"} {
		fx.fr.Set(code, trustlist.StatusValid, at)
	}
	if _, err := fx.src.Status(context.Background(), "A"); !errors.Is(err, adapters.ErrMalformed) || !strings.Contains(err.Error(), "larger") {
		t.Fatalf("got %v", err)
	}
}
