package chaos

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

// Report is what a run prints at its end and writes to -chaos.report.
type Report struct {
	Seed     uint64
	Project  string
	Planned  time.Duration // -chaos.duration
	Ran      time.Duration // the workload, from its start to its last push
	Total    time.Duration // the whole test, with start-up and checks
	Writers  int
	Readers  int
	Seals    int // demo seals the verifier sends
	Pushes   []*PushOp
	Counters *Counters
	Faults   []Fault

	Final      *Final // nil when the nodes did not converge
	ConvergeEr string // why they did not

	Checker       porcupine.CheckResult
	CheckerTook   time.Duration
	Operations    int
	Visualization string // HTML of the history, written when the checker did not say Ok

	Violations []string
}

// Failures are the reasons the run fails; none means it passed.
func (r *Report) Failures() []string {
	var out []string
	if r.ConvergeEr != "" {
		out = append(out, "the nodes did not converge: "+r.ConvergeEr)
	}
	if f := r.Final; f != nil {
		if f.Lost > 0 {
			out = append(out, fmt.Sprintf("%d acknowledged pushes lost", f.Lost))
		}
		if !f.DigestsEqual {
			out = append(out, "the nodes' digests differ")
		}
		if f.Gaps > 0 {
			out = append(out, fmt.Sprintf("%d sequence gaps", f.Gaps))
		}
		if n := len(f.Problems); n > 0 {
			out = append(out, fmt.Sprintf("%d problems in the final trust lists", n))
		}
	}
	if r.Checker != porcupine.Ok {
		out = append(out, fmt.Sprintf("linearizability checker: %s", r.Checker))
	}
	if n := r.Counters.Get("violations"); n > 0 {
		out = append(out, fmt.Sprintf("%d answers broke a rule", n))
	}
	if r.Acked() == 0 {
		out = append(out, "no push was acknowledged")
	}
	if r.Counters.Sum("read.ok.") == 0 {
		out = append(out, "no linearizable read was answered")
	}
	bad := 0
	for _, f := range r.Faults {
		if f.Err != "" {
			bad++
		}
	}
	if bad > 0 {
		out = append(out, fmt.Sprintf("%d faults failed to inject or heal (the run is not the one planned)", bad))
	}
	return out
}

// Acked is the number of acknowledged pushes.
func (r *Report) Acked() int { return r.outcomes()[Acked] }

func (r *Report) outcomes() map[Outcome]int {
	out := map[Outcome]int{}
	for _, p := range r.Pushes {
		out[p.Outcome]++
	}
	return out
}

// String formats the report.
func (r *Report) String() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	c := r.Counters
	w("sealhub chaos report")
	w("  project %s, seed %d, 3 nodes, %d writers (one per registry), %d linearizable readers, verifier on %d demo seals",
		r.Project, r.Seed, r.Writers, r.Readers, r.Seals)
	w("  duration: %s planned, workload ran %s, whole test %s", r.Planned, r.Ran.Round(time.Second), r.Total.Round(time.Second))
	w("operations")
	o := r.outcomes()
	w("  pushes: %d sent in %d attempts: acknowledged %d (%d answered as replays), unknown %d, failed %d",
		len(r.Pushes), c.Get("push.attempts"), o[Acked], c.Get("push.acked-as-replay"), o[Unknown], o[Failed])
	w("    attempts retried by cause: %s", counts(c.Prefixed("push.retried.")))
	w("    attempts rejected by code: %s", counts(c.Prefixed("push.rejected.")))
	w("  linearizable reads: %d answered (heads %d, seal statuses %d), refused by cause: %s, unexpected: %s",
		c.Sum("read.ok."), c.Get("read.ok.head"), c.Get("read.ok.seal"), counts(c.Prefixed("read.refused.")), counts(c.Prefixed("read.unexpected.")))
	w("    reads sent to a node partitioned throughout: %d refused, %d answered",
		c.Get("read.partitioned.refused"), c.Get("read.partitioned.answered"))
	w("  verifications: valid %d, invalid %d, indeterminate %d; refused by cause: %s, unexpected: %s",
		c.Get("verify.valid"), c.Get("verify.invalid"), c.Get("verify.indeterminate"), counts(c.Prefixed("verify.refused.")), counts(c.Prefixed("verify.unexpected.")))
	w("    answered from an empty trust list (index 0, a node not yet loaded): %s", counts(c.Prefixed("verify-empty.")))
	r.writeFaults(w)
	w("results")
	w("  acknowledged: %d", o[Acked])
	if f := r.Final; f != nil {
		w("  lost: %d", f.Lost)
		w("  digests equal: %v (index %d, digest %s)", f.DigestsEqual, f.Index, f.Digest)
		w("  sequence gaps: %d", f.Gaps)
		w("  pushes of unknown outcome: %d applied, %d not applied", f.UnknownApplied, f.UnknownDropped)
		w("  problems in the final trust lists: %d", len(f.Problems))
		for _, p := range f.Problems {
			w("    %s", p)
		}
	} else {
		w("  lost, digests, gaps: not checked: %s", r.ConvergeEr)
	}
	w("  checker (porcupine, per registry): %s in %s over %d operations", verdictName(r.Checker), r.CheckerTook.Round(time.Millisecond), r.Operations)
	if r.Visualization != "" {
		w("    visualization: %s", r.Visualization)
	}
	w("  rule-breaking answers: %d", c.Get("violations"))
	for _, v := range r.Violations {
		w("    %s", v)
	}
	if fails := r.Failures(); len(fails) > 0 {
		w("verdict: FAIL: %s", strings.Join(fails, "; "))
	} else {
		w("verdict: PASS")
	}
	return b.String()
}

func (r *Report) writeFaults(w func(string, ...any)) {
	kinds := map[string]int{}
	events := map[int]int{}
	errs := 0
	for _, f := range r.Faults {
		kinds[f.Kind]++
		events[f.Event]++
		if f.Err != "" {
			errs++
		}
	}
	killed, leader := 0, 0
	for _, f := range r.Faults {
		if strings.Contains(f.Note, "exit 137") {
			killed++
		}
		if f.OnLeader {
			leader++
		}
	}
	doubles := 0
	for _, n := range events {
		if n > 1 {
			doubles++
		}
	}
	w("faults injected: %d in %d events (%d on two nodes at once: quorum lost): %s; failed to inject or heal: %d",
		len(r.Faults), len(events), doubles, counts(kinds), errs)
	w("  faults on the leader (as the workload last heard): %d", leader)
	if kinds[FaultRestart] > 0 {
		w("  graceful restarts that docker had to end with SIGKILL (not stopped 10 s after SIGTERM): %d of %d", killed, kinds[FaultRestart])
	}
	for _, f := range r.Faults {
		w("  %s %-9s %s%s for %s%s%s", fmtOffset(f.At), f.Kind, f.Node, leaderMark(f.OnLeader), f.Held.Round(100*time.Millisecond), errNote(f.Note), errNote(f.Err))
	}
}

func errNote(s string) string {
	if s == "" {
		return ""
	}
	return " — " + s
}

func verdictName(r porcupine.CheckResult) string {
	switch r {
	case porcupine.Ok:
		return "Ok"
	case porcupine.Illegal:
		return "Illegal"
	}
	return "Unknown (timed out)"
}

// counts formats a count map as "a 3, b 1", largest first; "none" when empty.
func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
