package hub

import (
	"fmt"
	"testing"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/trustlist"
)

func info() *adapters.SealInfo {
	return &adapters.SealInfo{Name: "合同专用章", Type: 2, ValidStart: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), ValidEnd: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// planSync on an empty trust list: filings then status changes, no-ops dropped, effective times
// kept in order, chunks bounded without splitting a change, each chunk's position that of its last
// change (the last chunk's the answer's through).
func TestPlanSync(t *testing.T) {
	st := trustlist.New()
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	ch := adapters.Changes{Through: 9, Changes: []adapters.Change{
		{Seq: 2, Code: "A", Status: trustlist.StatusValid, Seal: info()},
		{Seq: 3, Code: "A", Status: trustlist.StatusValid},                                                               // no change
		{Seq: 4, Code: "A", Status: trustlist.StatusSuspended, EffectiveAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}, // before the filing: clamped
		{Seq: 5, Code: "B", Status: trustlist.StatusRevoked},                                                             // not described
		{Seq: 6, Code: "C", Status: trustlist.StatusRevoked, Seal: info()},                                               // effective unsaid: now
		{Seq: 7, Code: "D", Status: "stolen", Seal: info()},
		{Seq: 8, Code: "A", Status: trustlist.StatusValid, EffectiveAt: now.Add(time.Hour)}, // in the future: now
	}}
	chunks, skips := planSync(st, "44", 1, ch, now)
	if len(chunks) != 1 || chunks[0].source != 9 {
		t.Fatalf("chunks %+v", chunks)
	}
	var got []string
	for _, op := range chunks[0].ops {
		s := op.Op
		if op.Meta != nil {
			s += " " + op.Meta.Code
		} else {
			s += fmt.Sprintf(" %s %s %s", op.Code, op.Action, op.EffectiveAt.Format(time.RFC3339))
		}
		got = append(got, s)
	}
	want := []string{
		"seal.file A",
		"seal.status A suspend 2025-01-01T00:00:00Z",
		"seal.file C",
		"seal.status C revoke 2026-11-22T08:00:00Z",
		"seal.status A restore 2026-11-22T08:00:00Z",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ops\n%q\nwant\n%q", got, want)
	}
	if len(skips) != 2 || skips[0].Code != "B" || skips[1].Code != "D" {
		t.Fatalf("skips %+v", skips)
	}

	// Chunking: 1,500 new seals, two ops each.
	var many adapters.Changes
	for i := range 1500 {
		many.Changes = append(many.Changes, adapters.Change{Seq: uint64(i + 1), Code: fmt.Sprintf("S%d", i), Status: trustlist.StatusSuspended, Seal: info()})
	}
	many.Through = 1500
	chunks, _ = planSync(st, "44", 0, many, now)
	if len(chunks) != 3 || len(chunks[0].ops) != 1000 || chunks[0].source != 500 || chunks[1].source != 1000 || chunks[2].source != 1500 {
		t.Fatalf("%d chunks: %d ops to %d, …", len(chunks), len(chunks[0].ops), chunks[0].source)
	}
	// A full listing moves the position only with its last chunk.
	many.Full = true
	chunks, _ = planSync(st, "44", 7, many, now)
	if chunks[0].source != 7 || chunks[1].source != 7 || chunks[2].source != 1500 {
		t.Fatalf("full listing positions %d %d %d", chunks[0].source, chunks[1].source, chunks[2].source)
	}
	// Nothing new, nothing planned.
	if chunks, _ := planSync(st, "44", 9, adapters.Changes{Through: 9}, now); len(chunks) != 0 {
		t.Fatalf("planned %+v from an empty answer", chunks)
	}
}

func TestCheckChanges(t *testing.T) {
	ok := adapters.Changes{Through: 5, Changes: []adapters.Change{{Seq: 3}, {Seq: 5}}}
	if err := checkChanges(ok, 2); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]adapters.Changes{
		"back":         {Through: 1},
		"not after":    {Through: 5, Changes: []adapters.Change{{Seq: 2}}},
		"out of order": {Through: 5, Changes: []adapters.Change{{Seq: 4}, {Seq: 3}}},
		"past through": {Through: 5, Changes: []adapters.Change{{Seq: 6}}},
	} {
		if err := checkChanges(c, 2); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
