package verifyapi

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/internal/hub"
	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist"
)

// regionFunc answers one seal code's status the way a region's service would.
type regionFunc func(ctx context.Context) (adapters.Report, error)

// fakeRegion is a region's status service: an answer per seal code; codes it does not list are
// unknown to it.
type fakeRegion struct {
	mu     sync.Mutex
	byCode map[string]regionFunc
	asked  map[string]int
}

func (s *fakeRegion) Status(ctx context.Context, code string) (adapters.Report, error) {
	s.mu.Lock()
	fn, ok := s.byCode[code]
	s.asked[code]++
	s.mu.Unlock()
	if !ok {
		return adapters.Report{}, fmt.Errorf("region: %w: %s", adapters.ErrNotFound, code)
	}
	return fn(ctx)
}

func (s *fakeRegion) timesAsked(code string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.asked[code]
}

// fakeDirectory has a source for some registries and none for the others.
type fakeDirectory map[string]adapters.Source

func (d fakeDirectory) Source(reg *trustlist.Registry) (adapters.Source, error) {
	if s, ok := d[reg.ID]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("%w: registry %s", adapters.ErrNoAdapter, reg.ID)
}

var _ adapters.Directory = fakeDirectory(nil)

// liveProvince makes registry id a live-mode registry (created in push mode, its PKI trusted and
// its maker registered, then switched by the administrator's registry.update).
func (f *fixture) liveProvince(id string, p *sm2ca.PKI) {
	f.t.Helper()
	reg := f.createRegistry(id, trustlist.KindProvince, id)
	f.trustPKI(reg, p)
	f.push(f.admin, trustlist.Op{Op: trustlist.OpRegistryUpdate, RegistrySpec: &trustlist.RegistrySpec{ID: id, Mode: trustlist.ModeLive}})
	if r, ok := f.h.State().Registry(id); !ok || r.Mode != trustlist.ModeLive {
		f.t.Fatalf("registry %s is not live: %+v", id, r)
	}
}

// TestLiveRegion verifies seals of live-mode registries, whose status the hub asks the region for
// per query: without an adapter the answer is REGION_UNAVAILABLE; with one, a status that took effect
// before the signing time decides, one that took effect after it leaves the history unknown, and a
// region that fails or is slow past the request deadline gives REGION_UNAVAILABLE within it.
func TestLiveRegion(t *testing.T) {
	t.Parallel()
	p := newPKI(t, sm2ca.Options{Province: "河南省"})
	signedAt := utc(2025, 5, 1, 9)
	before, after := utc(2025, 1, 1, 0), utc(2025, 8, 1, 0)
	data := []byte("不动产登记申请")
	unavailable := want{result: resolver.Indeterminate, reason: resolver.ReasonRegionUnavailable,
		atSigning: resolver.StatusUnknown, now: resolver.StatusUnknown, status: resolver.Undetermined}

	t.Run("no adapter on the node", func(t *testing.T) {
		t.Parallel()
		f := newHub(t, nil) // Regions nil
		f.liveProvince("41", p)
		seal := makeSeal(t, p, sm2ca.SealSpec{ESID: code14("41", 1)})
		r := f.verifySignature(sign(t, p, seal, data, signedAt), data, time.Time{})
		unavailable.check(t, "signature", r.Report)
		if !strings.Contains(r.Checks.Status.Detail, "no adapter") {
			t.Errorf("status detail: %s", r.Checks.Status.Detail)
		}
		unavailable.check(t, "seal", f.verifySeal(seal, signedAt).Report)
	})

	t.Run("adapters", func(t *testing.T) {
		t.Parallel()
		const deadline = 1500 * time.Millisecond
		region := &fakeRegion{byCode: map[string]regionFunc{}, asked: map[string]int{}}
		f := newHub(t, func(c *hub.Config) {
			c.Regions = fakeDirectory{"41": region}
			c.Limits.RequestTimeout = deadline
		})
		f.liveProvince("41", p)
		p42 := newPKI(t, sm2ca.Options{Province: "湖北省"})
		f.liveProvince("42", p42) // live, but the directory has no source for it

		answer := func(st trustlist.Status, eff time.Time) regionFunc {
			return func(context.Context) (adapters.Report, error) {
				return adapters.Report{Status: st, EffectiveAt: eff, CheckedAt: time.Now().Add(-30 * time.Second), Evidence: strings.Repeat("ab", 32)}, nil
			}
		}
		release := make(chan struct{})
		t.Cleanup(func() { close(release) })
		historyUnknown := func(now trustlist.Status) want {
			return want{result: resolver.Indeterminate, reason: resolver.ReasonStatusHistoryUnavailable,
				atSigning: resolver.StatusUnknown, now: now, status: resolver.Undetermined}
		}
		cases := []struct {
			name   string
			answer regionFunc // nil: the region does not know the code
			want   want
			fast   bool // must answer well within the deadline
		}{
			{"in force since before the signing", answer(trustlist.StatusValid, before), valid(trustlist.StatusValid), true},
			{"suspended since before the signing", answer(trustlist.StatusSuspended, before),
				invalid(resolver.ReasonSealSuspended, trustlist.StatusSuspended, trustlist.StatusSuspended), true},
			{"revoked since before the signing", answer(trustlist.StatusRevoked, before),
				invalid(resolver.ReasonSealRevoked, trustlist.StatusRevoked, trustlist.StatusRevoked), true},
			{"invalidated since before the signing", answer(trustlist.StatusInvalidated, before),
				invalid(resolver.ReasonSealInvalidated, trustlist.StatusInvalidated, trustlist.StatusInvalidated), true},
			{"in force since exactly the signing", answer(trustlist.StatusValid, signedAt), valid(trustlist.StatusValid), true},
			{"in force only since after the signing", answer(trustlist.StatusValid, after), historyUnknown(trustlist.StatusValid), true},
			{"suspended since after the signing", answer(trustlist.StatusSuspended, after), historyUnknown(trustlist.StatusSuspended), true},
			{"the region errs", func(context.Context) (adapters.Report, error) {
				return adapters.Report{}, fmt.Errorf("%w: HTTP 502 from the region", adapters.ErrUnavailable)
			}, unavailable, true},
			{"only a stale answer", func(context.Context) (adapters.Report, error) {
				return adapters.Report{Status: trustlist.StatusValid, EffectiveAt: before, CheckedAt: time.Now().Add(-time.Hour), Stale: true}, nil
			}, want{result: resolver.Indeterminate, reason: resolver.ReasonRegionUnavailable,
				atSigning: resolver.StatusUnknown, now: trustlist.StatusValid, status: resolver.Undetermined}, true},
			{"the region knows no such seal", nil, want{result: resolver.Indeterminate, reason: resolver.ReasonSealUnknown,
				atSigning: resolver.StatusUnknown, now: resolver.StatusUnknown, status: resolver.Undetermined}, true},
			{"slow past the deadline", func(ctx context.Context) (adapters.Report, error) {
				select {
				case <-ctx.Done():
					return adapters.Report{}, fmt.Errorf("%w: %w", adapters.ErrUnavailable, ctx.Err())
				case <-release:
					return adapters.Report{}, fmt.Errorf("%w: released", adapters.ErrUnavailable)
				}
			}, unavailable, false},
			{"slow past the deadline, deaf to the context", func(context.Context) (adapters.Report, error) {
				select { // a broken adapter: answers long after the deadline, whatever the context says
				case <-release:
				case <-time.After(2 * deadline):
				}
				return adapters.Report{Status: trustlist.StatusValid, EffectiveAt: before, CheckedAt: time.Now()}, nil
			}, unavailable, false},
		}
		for i, tc := range cases {
			code := code14("41", 100+i)
			if tc.answer != nil {
				region.mu.Lock()
				region.byCode[code] = tc.answer
				region.mu.Unlock()
			}
			seal := makeSeal(t, p, sm2ca.SealSpec{ESID: code})
			sig := sign(t, p, seal, data, signedAt)
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				ff := f.with(t)
				start := time.Now()
				r := ff.verifySignature(sig, data, time.Time{})
				took := time.Since(start)
				if took > deadline+time.Second {
					t.Errorf("BUG: answered after %s, beyond the request deadline of %s", took.Round(time.Millisecond), deadline)
				}
				if tc.fast && took > deadline/2 {
					t.Errorf("a prompt region answered in %s", took)
				}
				if !tc.fast && (r.Result != resolver.Indeterminate || r.Reason != resolver.ReasonRegionUnavailable) {
					// A region that does not answer within the deadline must not decide the verdict.
					t.Errorf("BUG: a region answering after the %s deadline gave %s/%s (%s), want indeterminate/REGION_UNAVAILABLE",
						deadline, r.Result, r.Reason, r.Message)
				} else {
					tc.want.check(t, "signature", r.Report)
				}
				if got := region.timesAsked(code); got < 1 {
					t.Errorf("the region was asked %d times about %s", got, code)
				}
				if s := r.StatusNow; s == nil || s.Source != resolver.SourceRegion || s.Registry != "41" {
					t.Errorf("status_now %+v, want from region/41", s)
				}
				if tc.fast && r.Reason == resolver.ReasonSealRevoked {
					// The detail says since when the region holds the status, not only when it was asked.
					if d := r.Checks.Status.Detail; !strings.Contains(d, "effective "+before.UTC().Format(time.RFC3339)) {
						t.Errorf("status detail %q lacks the region's effective time %s", d, before.UTC().Format(time.RFC3339))
					}
				}
				if r.Result == resolver.Valid && tc.fast {
					if r.StatusAtSigning == nil || r.StatusAtSigning.EffectiveAt == nil || r.StatusAtSigning.Evidence == "" || r.StatusAtSigning.CheckedAt == nil {
						t.Errorf("status_at_signing lacks the region's effective_at, checked_at or evidence: %+v", r.StatusAtSigning)
					}
					if r.DataAge == nil || r.DataAge.Source != resolver.SourceRegion || r.DataAge.Millis < 29_000 {
						t.Errorf("data_age %+v, want the region's answer's age (about 30 s)", r.DataAge)
					}
				}
			})
		}
		t.Run("seal at a time, region answer in force since before", func(t *testing.T) {
			t.Parallel()
			ff := f.with(t)
			valid(trustlist.StatusValid).check(t, "seal", ff.verifySeal(makeSeal(t, p, sm2ca.SealSpec{ESID: code14("41", 100)}), signedAt).Report)
			historyUnknown(trustlist.StatusValid).check(t, "seal", ff.verifySeal(makeSeal(t, p, sm2ca.SealSpec{ESID: code14("41", 100)}), before.Add(-time.Hour)).Report)
		})
		t.Run("live registry without a source", func(t *testing.T) {
			t.Parallel()
			ff := f.with(t)
			seal := makeSeal(t, p42, sm2ca.SealSpec{ESID: code14("42", 1)})
			r := ff.verifySignature(sign(t, p42, seal, data, signedAt), data, time.Time{})
			unavailable.check(t, "signature", r.Report)
			if r.StatusNow == nil || r.StatusNow.Registry != "42" {
				t.Errorf("status_now %+v, want registry 42", r.StatusNow)
			}
		})
	})
}
