// Package adaptertest is the conformance suite every adapter kind runs against its simulated region
// (test/fakeregion): status mapping, golden payloads, deadlines, cancellation, typed errors,
// malformed answers never cached, and no goroutine left behind.
//
// A kind's test calls Run with a Target that starts its simulated region and a Source pointed at
// it. The package imports nothing of test/..., so the Region interface is what the simulators
// offer.
package adaptertest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/trustlist"
)

// Fault is a way a simulated region misbehaves on every request, once forced.
type Fault int

// Faults.
const (
	FaultNone        Fault = iota
	FaultServerError       // HTTP 5xx with the region's error body
	FaultAuth              // the region refuses the caller's credentials or signature
	FaultMalformed         // HTTP 200 with a body that does not parse
	FaultTruncated         // the body stops short of its Content-Length, then the connection closes
	FaultHTML              // HTTP 200 with a gateway's HTML error page
	FaultDrip              // the body one byte at a time, slower than any deadline
)

func (f Fault) String() string {
	return [...]string{"none", "server-error", "auth", "malformed", "truncated", "html", "drip"}[f]
}

// Region is a simulated region as the suite drives it.
type Region interface {
	// Set stores a seal with its status (sealhub's name) and when it took effect (zero: unsaid).
	Set(code string, status trustlist.Status, effective time.Time)
	// SetRaw makes the region answer with body as is (HTTP 200, after its usual authentication)
	// when asked about code; a region that serves one document for every code (a list) serves
	// body whatever the code.
	SetRaw(code string, body []byte)
	// Force makes every following request fail the way f says (FaultNone: none).
	Force(f Fault)
	// SetLatency delays every following answer by d.
	SetLatency(d time.Duration)
	// Calls is how many requests reached the region.
	Calls() int
}

// Want is the expected outcome of a golden payload.
type Want struct {
	Status    trustlist.Status
	Effective time.Time // zero: the payload does not say
	Err       error     // adapters.ErrNotFound, ErrUnavailable, ErrMalformed; nil for a status
}

// Target is one adapter kind under test.
type Target struct {
	// Start starts a fresh simulated region and a Source for it; both stop when t ends.
	Start func(t *testing.T) (Region, adapters.Source)
	// GoldenDir holds the kind's golden payloads: each file is one reply of the simulated region,
	// served with SetRaw for the code GoldenCode.
	GoldenDir  string
	GoldenCode string
	// Golden gives the outcome of every file in GoldenDir, by file name; a file without an entry,
	// or an entry without a file, fails the suite.
	Golden map[string]Want
	// Slow is how long a call may take beyond its deadline before the suite calls it stuck
	// (default 1 s: generous, as CI machines stall).
	Slow time.Duration
}

// Run runs the whole suite.
func Run(t *testing.T, tg Target) {
	if tg.Slow <= 0 {
		tg.Slow = time.Second
	}
	NoLeaks(t)
	t.Run("status mapping", func(t *testing.T) { statusMapping(t, tg) })
	t.Run("unknown seal", func(t *testing.T) { unknownSeal(t, tg) })
	t.Run("golden payloads", func(t *testing.T) { golden(t, tg) })
	t.Run("deadline", func(t *testing.T) { deadline(t, tg) })
	t.Run("cancellation", func(t *testing.T) { cancellation(t, tg) })
	t.Run("typed errors", func(t *testing.T) { typedErrors(t, tg) })
	t.Run("malformed never cached", func(t *testing.T) { malformedNeverCached(t, tg) })
}

var statuses = []trustlist.Status{trustlist.StatusValid, trustlist.StatusSuspended, trustlist.StatusRevoked, trustlist.StatusInvalidated}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func statusMapping(t *testing.T, tg Target) {
	r, src := tg.Start(t)
	eff := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	for i, st := range statuses {
		code := "3701000000" + string(rune('1'+i)) + "001"
		r.Set(code, st, eff.Add(time.Duration(i)*time.Hour))
	}
	r.Set("37010000009001", trustlist.StatusValid, time.Time{})
	for i, st := range statuses {
		code := "3701000000" + string(rune('1'+i)) + "001"
		got, err := src.Status(ctxFor(t, 5*time.Second), code)
		if err != nil {
			t.Fatalf("%s (%s): %v", code, st, err)
		}
		want := eff.Add(time.Duration(i) * time.Hour)
		if got.Status != st || !got.EffectiveAt.Equal(want) {
			t.Errorf("%s: got %s effective %s, want %s effective %s", code, got.Status, got.EffectiveAt, st, want)
		}
		if got.CheckedAt.IsZero() || got.Stale {
			t.Errorf("%s: checked_at %s, stale %v", code, got.CheckedAt, got.Stale)
		}
		if len(got.Evidence) != 64 {
			t.Errorf("%s: evidence %q is not an SM3 in hex", code, got.Evidence)
		}
	}
	got, err := src.Status(ctxFor(t, 5*time.Second), "37010000009001")
	if err != nil || got.Status != trustlist.StatusValid || !got.EffectiveAt.IsZero() {
		t.Errorf("a status without its time: %+v, %v", got, err)
	}
}

func unknownSeal(t *testing.T, tg Target) {
	r, src := tg.Start(t)
	r.Set("37010000000001", trustlist.StatusValid, time.Time{})
	_, err := src.Status(ctxFor(t, 5*time.Second), "37010000000002")
	if !errors.Is(err, adapters.ErrNotFound) {
		t.Fatalf("unknown seal: %v, want ErrNotFound", err)
	}
}

func golden(t *testing.T, tg Target) {
	if tg.GoldenDir == "" {
		t.Fatal("the target has no golden payloads")
	}
	entries, err := os.ReadDir(tg.GoldenDir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() {
			files = append(files, e.Name())
		}
	}
	for name := range tg.Golden {
		if !slices.Contains(files, name) {
			t.Errorf("golden case %s has no file", name)
		}
	}
	for _, name := range files {
		want, ok := tg.Golden[name]
		if !ok {
			t.Errorf("golden file %s has no case", name)
			continue
		}
		t.Run(strings.TrimSuffix(name, filepath.Ext(name)), func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(tg.GoldenDir, name))
			if err != nil {
				t.Fatal(err)
			}
			r, src := tg.Start(t)
			r.SetRaw(tg.GoldenCode, body)
			got, err := src.Status(ctxFor(t, 5*time.Second), tg.GoldenCode)
			if want.Err != nil {
				if !errors.Is(err, want.Err) {
					t.Fatalf("got %+v, %v; want an error wrapping %v", got, err, want.Err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != want.Status || !got.EffectiveAt.Equal(want.Effective) {
				t.Fatalf("got %s effective %s, want %s effective %s", got.Status, got.EffectiveAt, want.Status, want.Effective)
			}
		})
	}
}

func deadline(t *testing.T, tg Target) {
	r, src := tg.Start(t)
	r.Set("37010000000001", trustlist.StatusValid, time.Time{})
	r.SetLatency(time.Minute)
	const d = 150 * time.Millisecond
	start := time.Now()
	_, err := src.Status(ctxFor(t, d), "37010000000001")
	took := time.Since(start)
	if err == nil {
		t.Fatal("a region slower than the deadline answered")
	}
	if !errors.Is(err, adapters.ErrUnavailable) && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v wraps neither ErrUnavailable nor context.DeadlineExceeded", err)
	}
	if took > d+tg.Slow {
		t.Errorf("returned after %s; the deadline was %s", took, d)
	}
}

func cancellation(t *testing.T, tg Target) {
	r, src := tg.Start(t)
	r.Set("37010000000001", trustlist.StatusValid, time.Time{})
	r.SetLatency(time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := src.Status(ctx, "37010000000001")
		done <- err
	}()
	// Cancel once the request has reached the region, so the cancellation interrupts a call.
	deadline := time.Now().Add(10 * time.Second)
	for r.Calls() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) && !errors.Is(err, adapters.ErrUnavailable) {
			t.Errorf("cancelled call: %v, want context.Canceled or ErrUnavailable", err)
		}
	case <-time.After(tg.Slow + 5*time.Second):
		t.Fatal("a cancelled call did not return")
	}
	if took := time.Since(start); took > tg.Slow {
		t.Errorf("a cancelled call took %s to return", took)
	}
}

func typedErrors(t *testing.T, tg Target) {
	cases := []struct {
		f    Fault
		want error
	}{
		{FaultServerError, adapters.ErrUnavailable},
		{FaultAuth, adapters.ErrUnavailable},
		{FaultMalformed, adapters.ErrMalformed},
		{FaultTruncated, adapters.ErrMalformed},
		{FaultHTML, adapters.ErrMalformed},
		{FaultDrip, adapters.ErrUnavailable},
	}
	for _, c := range cases {
		t.Run(c.f.String(), func(t *testing.T) {
			r, src := tg.Start(t)
			r.Set("37010000000001", trustlist.StatusValid, time.Time{})
			r.Force(c.f)
			d := 5 * time.Second
			if c.f == FaultDrip {
				d = 300 * time.Millisecond
			}
			got, err := src.Status(ctxFor(t, d), "37010000000001")
			if c.f == FaultDrip && errors.Is(err, context.DeadlineExceeded) {
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("%s: got %+v, %v; want an error wrapping %v", c.f, got, err, c.want)
			}
		})
	}
}

func malformedNeverCached(t *testing.T, tg Target) {
	r, src := tg.Start(t)
	r.Set("37010000000001", trustlist.StatusRevoked, time.Time{})
	w := adapters.Wrap(src, adapters.Options{Region: "conformance", TTL: time.Hour, Failures: 100})
	for _, f := range []Fault{FaultMalformed, FaultTruncated, FaultHTML} {
		r.Force(f)
		before := r.Calls()
		if got, err := w.Status(ctxFor(t, 5*time.Second), "37010000000001"); err == nil {
			t.Fatalf("%s answer accepted: %+v", f, got)
		}
		r.Force(FaultNone)
		got, err := w.Status(ctxFor(t, 5*time.Second), "37010000000001")
		if err != nil || got.Status != trustlist.StatusRevoked || got.Stale {
			t.Fatalf("after a %s answer: %+v, %v", f, got, err)
		}
		if r.Calls() <= before+1 {
			t.Fatalf("after a %s answer the good answer did not come from the region (%d calls)", f, r.Calls()-before)
		}
		// Expire the good answer for the next round: a fresh wrapper.
		w = adapters.Wrap(src, adapters.Options{Region: "conformance", TTL: time.Hour, Failures: 100})
	}
}

// NoLeaks fails t if goroutines started during it still run at its end, after its cleanups.
func NoLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines left behind (%d before):\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
	})
}
