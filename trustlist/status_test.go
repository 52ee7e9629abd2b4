package trustlist_test

import (
	"slices"
	"testing"
	"time"

	"github.com/sealhub/sealhub/trustlist"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// The history used below: a meta seal valid 2024-06-01 – 2025-06-01, suspended 2024-09-01, restored
// 2024-10-01, revoked 2025-01-01, each change in its own push (recorded in March 2025).
var (
	histCode     = "37010000000002"
	histSuspend  = day(2024, 9, 1)
	histRestore  = day(2024, 10, 1)
	histRevoke   = day(2025, 1, 1)
	histValidEnd = day(2025, 6, 1)
)

type history struct {
	w                               *world
	filed, suspend, restore, revoke uint64 // raft index of each push
}

func newHistory(t *testing.T) history {
	w := newWorld(t)
	h := history{w: w}
	h.filed = w.do("37", opFileMeta(meta(histCode))).Index
	h.suspend = w.do("37", opStatus(histCode, "suspend", histSuspend, "seal lost")).Index
	h.restore = w.do("37", opStatus(histCode, "restore", histRestore, "seal found")).Index
	h.revoke = w.do("37", opStatus(histCode, "revoke", histRevoke, "organisation dissolved")).Index
	return h
}

func TestStatusAt(t *testing.T) {
	h := newHistory(t)
	v := h.w.sealOf(histCode)
	if len(v.Events) != 4 || v.Latest().Status != trustlist.StatusRevoked || v.Latest().Reason != "organisation dissolved" {
		t.Fatalf("events %+v", v.Events)
	}
	for _, c := range []struct {
		at       time.Time
		want     trustlist.Status
		recorded trustlist.Status
		index    uint64 // deciding event's raft index; 0: none
	}{
		{day(2024, 5, 31), trustlist.StatusNotYetValid, "", 0},
		{day(2024, 6, 1).Add(-time.Nanosecond), trustlist.StatusNotYetValid, "", 0},
		{day(2024, 6, 1), trustlist.StatusValid, trustlist.StatusValid, h.filed},
		{day(2024, 8, 31), trustlist.StatusValid, trustlist.StatusValid, h.filed},
		{histSuspend.Add(-time.Nanosecond), trustlist.StatusValid, trustlist.StatusValid, h.filed},
		{histSuspend, trustlist.StatusSuspended, trustlist.StatusSuspended, h.suspend},
		{day(2024, 9, 15), trustlist.StatusSuspended, trustlist.StatusSuspended, h.suspend},
		{histRestore, trustlist.StatusValid, trustlist.StatusValid, h.restore},
		{day(2024, 12, 31), trustlist.StatusValid, trustlist.StatusValid, h.restore},
		{histRevoke, trustlist.StatusRevoked, trustlist.StatusRevoked, h.revoke},
		{day(2025, 5, 31), trustlist.StatusRevoked, trustlist.StatusRevoked, h.revoke},
		{histValidEnd, trustlist.StatusRevoked, trustlist.StatusRevoked, h.revoke}, // revoked stays revoked
		{day(2030, 1, 1), trustlist.StatusRevoked, trustlist.StatusRevoked, h.revoke},
	} {
		got := v.StatusAt(c.at)
		if got.Status != c.want || got.Recorded != c.recorded || !got.At.Equal(c.at) || got.AsOf != ^uint64(0) {
			t.Errorf("StatusAt(%s) = %s (recorded %q, as of %d), want %s (recorded %q)", c.at.Format(time.RFC3339Nano),
				got.Status, got.Recorded, got.AsOf, c.want, c.recorded)
		}
		switch {
		case c.index == 0 && got.Event != nil:
			t.Errorf("StatusAt(%s): deciding event %+v, want none", c.at, got.Event)
		case c.index != 0 && (got.Event == nil || got.Event.Index != c.index):
			t.Errorf("StatusAt(%s): deciding event %+v, want the one of index %d", c.at, got.Event, c.index)
		}
	}
}

// TestStatusExpires: outside its validity window a valid or suspended seal reads expired or
// not_yet_valid; the end is exclusive.
func TestStatusExpires(t *testing.T) {
	w := newWorld(t)
	w.do("37", opFileMeta(meta("37010000000003")), opFileMeta(meta("37010000000004")))
	w.do("37", opStatus("37010000000004", "suspend", histSuspend, ""))
	valid, suspended := w.sealOf("37010000000003"), w.sealOf("37010000000004")
	for _, c := range []struct {
		v        *trustlist.Seal
		at       time.Time
		want     trustlist.Status
		recorded trustlist.Status
	}{
		{valid, histValidEnd.Add(-time.Nanosecond), trustlist.StatusValid, trustlist.StatusValid},
		{valid, histValidEnd, trustlist.StatusExpired, trustlist.StatusValid},
		{valid, day(2026, 1, 1), trustlist.StatusExpired, trustlist.StatusValid},
		{suspended, day(2025, 5, 1), trustlist.StatusSuspended, trustlist.StatusSuspended},
		{suspended, histValidEnd, trustlist.StatusExpired, trustlist.StatusSuspended},
		{suspended, day(2024, 1, 1), trustlist.StatusNotYetValid, ""},
	} {
		if got := c.v.StatusAt(c.at); got.Status != c.want || got.Recorded != c.recorded {
			t.Errorf("%s at %s: %s (recorded %q), want %s (recorded %q)", c.v.Code, c.at, got.Status, got.Recorded, c.want, c.recorded)
		}
	}
	// A seal whose validity starts after it is filed reads not_yet_valid until then.
	m := meta("37010000000005")
	m.ValidStart, m.ValidEnd = t0.AddDate(0, 1, 0), t0.AddDate(2, 0, 0)
	w.do("37", opFileMeta(m))
	v := w.sealOf(m.Code)
	if got := v.StatusAt(t0); got.Status != trustlist.StatusNotYetValid || got.Event != nil {
		t.Errorf("before valid_start: %+v", got)
	}
	if got := v.StatusAt(m.ValidStart); got.Status != trustlist.StatusValid {
		t.Errorf("at valid_start: %+v", got)
	}
	// And cannot be suspended before it starts (its filing event takes effect at valid_start).
	w.mustReject(t, w.envelope("37", opStatus(m.Code, "suspend", time.Time{}, "")), trustlist.CodeEffectiveOrder)
}

// TestStatusAsOf: "as the hub knew it at index k" ignores the events recorded after k.
func TestStatusAsOf(t *testing.T) {
	h := newHistory(t)
	v := h.w.sealOf(histCode)
	mid := func(a, b time.Time) time.Time { return a.Add(b.Sub(a) / 2) }
	for _, c := range []struct {
		at   time.Time
		k    uint64
		want trustlist.Status
	}{
		// Mid-suspension, as known after each push.
		{mid(histSuspend, histRestore), h.filed, trustlist.StatusValid},
		{mid(histSuspend, histRestore), h.suspend, trustlist.StatusSuspended},
		{mid(histSuspend, histRestore), h.restore, trustlist.StatusSuspended},
		{mid(histSuspend, histRestore), h.revoke, trustlist.StatusSuspended},
		// After the restore date: before the restore was known it still read suspended.
		{mid(histRestore, histRevoke), h.suspend, trustlist.StatusSuspended},
		{mid(histRestore, histRevoke), h.restore, trustlist.StatusValid},
		// After the revocation date.
		{mid(histRevoke, histValidEnd), h.filed, trustlist.StatusValid},
		{mid(histRevoke, histValidEnd), h.restore, trustlist.StatusValid},
		{mid(histRevoke, histValidEnd), h.revoke, trustlist.StatusRevoked},
		{mid(histRevoke, histValidEnd), h.revoke + 100, trustlist.StatusRevoked},
		// After valid_end: expired until the revocation was known, revoked after.
		{day(2025, 7, 1), h.restore, trustlist.StatusExpired},
		{day(2025, 7, 1), h.revoke, trustlist.StatusRevoked},
	} {
		got, ok := v.StatusAsOf(c.at, c.k)
		if !ok || got.Status != c.want || got.AsOf != c.k {
			t.Errorf("StatusAsOf(%s, %d) = %s (as of %d, %v), want %s", c.at.Format(time.DateOnly), c.k, got.Status, got.AsOf, ok, c.want)
		}
		if got.Event != nil && got.Event.Index > c.k {
			t.Errorf("StatusAsOf(%s, %d) decided by an event of index %d", c.at, c.k, got.Event.Index)
		}
	}
	if _, ok := v.StatusAsOf(histRevoke, h.filed-1); ok {
		t.Error("StatusAsOf before the seal was filed")
	}
	// StatusAsOf at the last index is StatusAt.
	for _, at := range []time.Time{day(2024, 7, 1), histSuspend, histRestore, histRevoke, day(2026, 1, 1)} {
		a, _ := v.StatusAsOf(at, h.w.st.Index())
		if b := v.StatusAt(at); a.Status != b.Status || a.Event != b.Event {
			t.Errorf("at %s: StatusAsOf(last index) %s, StatusAt %s", at, a.Status, b.Status)
		}
	}
}

// TestSameEffectiveTime: two events with the same effective time are decided by raft index.
func TestSameEffectiveTime(t *testing.T) {
	w := newWorld(t)
	at := t0.AddDate(0, 0, -5)
	w.do("37", opStatus(sealCode, "suspend", at, ""))
	last := w.do("37", opStatus(sealCode, "restore", at, "")).Index
	got := w.sealOf(sealCode).StatusAt(at)
	if got.Status != trustlist.StatusValid || got.Event.Index != last {
		t.Errorf("StatusAt = %+v, want valid from the later event", got)
	}
	// In one push too.
	w.do("37", opStatus(sealCode, "suspend", at, ""), opStatus(sealCode, "revoke", at, ""))
	if got := w.sealOf(sealCode).StatusAt(at); got.Status != trustlist.StatusRevoked {
		t.Errorf("StatusAt = %s, want revoked", got.Status)
	}
}

// TestInvalidateAfterRevoke: revoked → invalidated is allowed; nothing follows invalidated.
func TestInvalidateAfterRevoke(t *testing.T) {
	h := newHistory(t)
	w := h.w
	inv := day(2025, 2, 1)
	idx := w.do("37", opStatus(histCode, "invalidate", inv, "Art. 30")).Index
	v := w.sealOf(histCode)
	for at, want := range map[time.Time]trustlist.Status{
		histRevoke:       trustlist.StatusRevoked,
		inv:              trustlist.StatusInvalidated,
		day(2030, 1, 1):  trustlist.StatusInvalidated,
		day(2024, 9, 15): trustlist.StatusSuspended,
	} {
		if got := v.StatusAt(at); got.Status != want {
			t.Errorf("StatusAt(%s) = %s, want %s", at, got.Status, want)
		}
	}
	if v.Latest().Index != idx || v.Latest().Reason != "Art. 30" {
		t.Errorf("latest %+v", v.Latest())
	}
	for _, action := range trustlist.Actions {
		t.Run(action, func(t *testing.T) {
			w.mustReject(t, w.envelope("37", opStatus(histCode, action, time.Time{}, "")), trustlist.CodeTransition)
		})
	}
}

// TestTransitions: every action from every recorded status.
func TestTransitions(t *testing.T) {
	if want := []string{"suspend", "restore", "revoke", "invalidate"}; !slices.Equal(trustlist.Actions, want) {
		t.Fatalf("Actions = %v, want %v", trustlist.Actions, want)
	}
	reach := map[trustlist.Status][]string{
		trustlist.StatusValid:       nil,
		trustlist.StatusSuspended:   {"suspend"},
		trustlist.StatusRevoked:     {"revoke"},
		trustlist.StatusInvalidated: {"invalidate"},
	}
	allowed := map[trustlist.Status]map[string]trustlist.Status{
		trustlist.StatusValid: {"suspend": trustlist.StatusSuspended, "revoke": trustlist.StatusRevoked,
			"invalidate": trustlist.StatusInvalidated},
		trustlist.StatusSuspended: {"restore": trustlist.StatusValid, "revoke": trustlist.StatusRevoked,
			"invalidate": trustlist.StatusInvalidated},
		trustlist.StatusRevoked:     {"invalidate": trustlist.StatusInvalidated},
		trustlist.StatusInvalidated: {},
	}
	base := newWorld(t)
	for from, steps := range reach {
		for _, action := range trustlist.Actions {
			t.Run(string(from)+"/"+action, func(t *testing.T) {
				w := base.fork(t)
				for _, s := range steps {
					w.do("37", opStatus(sealCode, s, time.Time{}, ""))
				}
				env := w.envelope("37", opStatus(sealCode, action, time.Time{}, ""))
				to, ok := allowed[from][action]
				if !ok {
					w.mustReject(t, env, trustlist.CodeTransition)
					return
				}
				w.mustApply(env)
				if got := w.sealOf(sealCode).Latest().Status; got != to {
					t.Errorf("%s → %s, want %s", from, got, to)
				}
			})
		}
	}
}
