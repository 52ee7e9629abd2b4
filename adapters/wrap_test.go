package adapters

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/sealhub/sealhub/trustlist"
)

// fakeSource answers from a function and counts its calls; release, when set, holds every call
// until closed (or the call's context ends).
type fakeSource struct {
	calls   atomic.Int64
	answer  func(code string) (Report, error)
	release chan struct{}
}

func (f *fakeSource) Status(ctx context.Context, code string) (Report, error) {
	f.calls.Add(1)
	if f.release != nil {
		select {
		case <-f.release:
		case <-ctx.Done():
			return Report{}, ctx.Err()
		}
	}
	return f.answer(code)
}

// clock is a settable clock for TTL and staleness.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func valid(code string) (Report, error) {
	return Report{Status: trustlist.StatusValid, Evidence: "ev-" + code}, nil
}

func TestCacheServesFreshAnswersAndExpires(t *testing.T) {
	c := newClock()
	src := &fakeSource{answer: valid}
	w := Wrap(src, Options{Region: "37", TTL: 30 * time.Second, Now: c.Now})
	for i := 0; i < 3; i++ {
		r, err := w.Status(context.Background(), "A")
		if err != nil || r.Status != trustlist.StatusValid || r.Stale || r.CheckedAt.IsZero() {
			t.Fatalf("answer %d: %+v %v", i, r, err)
		}
	}
	if n := src.calls.Load(); n != 1 {
		t.Fatalf("%d upstream calls for three queries within the TTL, want 1", n)
	}
	c.add(31 * time.Second)
	if _, err := w.Status(context.Background(), "A"); err != nil || src.calls.Load() != 2 {
		t.Fatalf("after the TTL: %v, %d calls, want a second call", err, src.calls.Load())
	}
}

// 100 concurrent identical queries cause one upstream call; another code is asked separately.
func TestSingleFlight(t *testing.T) {
	src := &fakeSource{answer: valid, release: make(chan struct{})}
	w := Wrap(src, Options{Region: "37"})
	var wg sync.WaitGroup
	errs := make(chan error, 101)
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := w.Status(context.Background(), "A")
			if err == nil && r.Evidence != "ev-A" {
				err = fmt.Errorf("wrong answer %+v", r)
			}
			errs <- err
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for src.calls.Load() < 1 && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	close(src.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := src.calls.Load(); n != 1 {
		t.Fatalf("%d upstream calls for 100 identical concurrent queries, want 1", n)
	}
}

// A slow region: the caller gets an answer within the wrapper's deadline, never the region's delay.
func TestDeadline(t *testing.T) {
	src := &fakeSource{answer: valid, release: make(chan struct{})}
	defer close(src.release)
	w := Wrap(src, Options{Region: "37", Timeout: 50 * time.Millisecond})
	start := time.Now()
	_, err := w.Status(context.Background(), "A")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("a region slower than the deadline: %v, want ErrUnavailable", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("answered after %v", took)
	}
	// The caller's own, shorter deadline wins too.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := w.Status(ctx, "B"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("caller's deadline: %v", err)
	}
}

// Failures open the breaker: further queries fail at once without reaching the region, until the
// open period ends and one trial call succeeds.
func TestBreaker(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	src := &fakeSource{answer: func(code string) (Report, error) {
		if down.Load() {
			return Report{}, fmt.Errorf("%w: 502 from the region", ErrUnavailable)
		}
		return valid(code)
	}}
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	w := Wrap(src, Options{Region: "37", Failures: 3, OpenFor: 100 * time.Millisecond, Metrics: m})
	for i := 0; i < 3; i++ {
		if _, err := w.Status(context.Background(), fmt.Sprint("C", i)); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	before := src.calls.Load()
	if _, err := w.Status(context.Background(), "D"); !errors.Is(err, ErrUnavailable) || src.calls.Load() != before {
		t.Fatalf("with the breaker open: %v, %d calls (was %d): the region must not be asked", err, src.calls.Load(), before)
	}
	if v := testutil.ToFloat64(m.state.WithLabelValues("37")); v != 2 {
		t.Fatalf("breaker_state %v, want 2 (open)", v)
	}
	down.Store(false)
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, err := w.Status(context.Background(), "E")
		if err == nil && r.Status == trustlist.StatusValid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the breaker never let a trial call through: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if v := testutil.ToFloat64(m.state.WithLabelValues("37")); v != 0 {
		t.Fatalf("breaker_state %v after a good trial, want 0 (closed)", v)
	}
	if v := testutil.ToFloat64(m.errs.WithLabelValues("37", "unavailable")); v != 3 {
		t.Fatalf("errors_total{unavailable} %v, want 3", v)
	}
}

// When the region fails, the last good answer comes back marked stale, within StaleFor only; a
// malformed answer is never cached; "not found" is passed on, not replaced by a stale answer.
func TestLastKnownGoodAndMalformed(t *testing.T) {
	c := newClock()
	var mode atomic.Value
	mode.Store("ok")
	src := &fakeSource{answer: func(code string) (Report, error) {
		switch mode.Load() {
		case "down":
			return Report{}, fmt.Errorf("%w: connection refused", ErrUnavailable)
		case "malformed":
			return Report{}, fmt.Errorf("%w: <html>502 Bad Gateway</html>", ErrMalformed)
		case "gone":
			return Report{}, ErrNotFound
		}
		return valid(code)
	}}
	w := Wrap(src, Options{Region: "37", TTL: time.Second, StaleFor: time.Hour, Failures: 100, Now: c.Now})
	if _, err := w.Status(context.Background(), "A"); err != nil {
		t.Fatal(err)
	}
	c.add(2 * time.Second)
	mode.Store("down")
	r, err := w.Status(context.Background(), "A")
	if err != nil || !r.Stale || r.Status != trustlist.StatusValid {
		t.Fatalf("region down with a last good answer: %+v %v, want it stale", r, err)
	}
	if _, err := w.Status(context.Background(), "never-asked"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("region down, no last good answer: %v", err)
	}
	c.add(2 * time.Hour)
	if _, err := w.Status(context.Background(), "A"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("last good answer older than StaleFor: %v, want ErrUnavailable", err)
	}
	mode.Store("malformed")
	calls := src.calls.Load()
	for i := 0; i < 2; i++ {
		if _, err := w.Status(context.Background(), "M"); !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrMalformed) {
			t.Fatalf("malformed answer: %v", err)
		}
	}
	if src.calls.Load() != calls+2 {
		t.Fatal("a malformed answer was cached")
	}
	mode.Store("gone")
	if _, err := w.Status(context.Background(), "A"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("not found: %v", err)
	}
}

// No goroutine outlives a call, even when the caller gives up first.
func TestNoGoroutineLeft(t *testing.T) {
	before := runtime.NumGoroutine()
	src := &fakeSource{answer: valid, release: make(chan struct{})}
	w := Wrap(src, Options{Region: "37", Timeout: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _ = w.Status(ctx, "A")
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines left (%d before)", n, before)
	}
	close(src.release)
}

// Health counts calls, failures, cache hits and stale answers, and keeps the last success and error.
func TestHealth(t *testing.T) {
	clk := newClock()
	fail := atomic.Bool{}
	src := &fakeSource{answer: func(code string) (Report, error) {
		if fail.Load() {
			return Report{}, fmt.Errorf("%w: HTTP 502", ErrUnavailable)
		}
		if code == "gone" {
			return Report{}, ErrNotFound
		}
		return valid(code)
	}}
	w := Wrap(src, Options{Region: "37", TTL: time.Minute, Now: clk.Now})
	ctx := context.Background()
	w.Status(ctx, "A")    // call
	w.Status(ctx, "A")    // hit
	w.Status(ctx, "gone") // call, not a failure
	clk.add(2 * time.Minute)
	fail.Store(true)
	w.Status(ctx, "A") // call fails, stale answer
	w.Status(ctx, "B") // call fails, nothing known
	h := w.Health()
	if h.Calls != 4 || h.Errors != 2 || h.CacheHits != 1 || h.Stale != 1 || h.Breaker != "closed" {
		t.Fatalf("health %+v", h)
	}
	if !h.LastSuccess.Equal(clk.Now().Add(-2*time.Minute)) || !h.LastErrorAt.Equal(clk.Now()) || h.LastError == "" {
		t.Fatalf("health times %+v", h)
	}
}
