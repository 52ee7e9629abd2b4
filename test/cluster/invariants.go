package cluster

import (
	"fmt"
	"slices"
	"testing"

	"github.com/sealhub/sealhub/trustlist"
)

// maxViolations caps the violations reported per check, so one lost push does not bury the log.
const maxViolations = 20

// CheckInvariants waits until every live node has converged, then checks on each of them:
//   - all nodes hold the same trust list at the same index (same digest);
//   - every acknowledged push is there: the registry's push record at that seq, with the same hash
//     and raft index, and every seal it filed;
//   - no registry has a sequence gap: a push record for each seq from 1 to the head, the head's
//     hash is the record's, and nothing past the head;
//   - no registry the harness pushes for is behind its acknowledged pushes.
func (c *Cluster) CheckInvariants(t testing.TB) {
	t.Helper()
	states := c.converged(t, nil)
	acks := c.Acks()
	nodes := make([]int, 0, len(states))
	for i := range states {
		nodes = append(nodes, i)
	}
	slices.Sort(nodes)
	var seals int
	for _, a := range acks {
		seals += len(a.Codes)
	}
	for _, i := range nodes {
		st := states[i]
		var bad []string
		bad = append(bad, CheckAcks(st, acks)...)
		bad = append(bad, CheckSequences(st)...)
		for _, r := range append([]*Registry{c.Admin}, c.Registries...) {
			seq, hash := r.Head()
			if rec, ok := st.Registry(r.ID); !ok || rec.Head.Seq < seq {
				bad = append(bad, fmt.Sprintf("registry %s is behind its acknowledged seq %d (%s)", r.ID, seq, hash))
			}
		}
		for k, v := range bad {
			if k == maxViolations {
				t.Errorf("node %d: … %d more violations", i, len(bad)-k)
				break
			}
			t.Errorf("node %d at index %d: %s", i, st.Index(), v)
		}
	}
	t.Logf("invariants checked on nodes %v at index %d: %d acknowledged pushes, %d seals", nodes, states[nodes[0]].Index(), len(acks), seals)
}

// CheckAcks finds the acknowledged pushes and seals st lacks: for each ack, the registry's push
// record at that seq must be there with the acknowledged hash and raft index, and every seal the push
// filed must be filed. It is a pure check of one state, so the harnesses outside this package (the
// chaos test) use it on snapshots; each violation is one line.
func CheckAcks(st *trustlist.State, acks []Ack) []string {
	var bad []string
	for _, a := range acks {
		rec, ok := st.Push(a.Registry, a.Seq)
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("acknowledged push %s seq %d (index %d, via node %d) is missing", a.Registry, a.Seq, a.Index, a.Node))
			continue
		case rec.Hash != a.Hash:
			bad = append(bad, fmt.Sprintf("push %s seq %d has hash %s, acknowledged %s", a.Registry, a.Seq, rec.Hash, a.Hash))
		case rec.Index != a.Index:
			bad = append(bad, fmt.Sprintf("push %s seq %d is at index %d, acknowledged at %d", a.Registry, a.Seq, rec.Index, a.Index))
		}
		for _, code := range a.Codes {
			if _, ok := st.Seal(code); !ok {
				bad = append(bad, fmt.Sprintf("seal %s of acknowledged push %s seq %d is missing", code, a.Registry, a.Seq))
			}
		}
	}
	return bad
}

// CheckSequences finds sequence gaps and heads that do not match their push records: every registry
// of st must hold a push record for each seq from 1 to its head, the head's hash must be that
// record's, and no record may lie past the head. Each violation is one line.
func CheckSequences(st *trustlist.State) []string {
	var bad []string
	for _, r := range st.Registries() {
		for seq := uint64(1); seq <= r.Head.Seq; seq++ {
			if _, ok := st.Push(r.ID, seq); !ok {
				bad = append(bad, fmt.Sprintf("registry %s has no push %d below its head %d", r.ID, seq, r.Head.Seq))
			}
		}
		if r.Head.Seq > 0 {
			if rec, ok := st.Push(r.ID, r.Head.Seq); ok && rec.Hash != r.Head.Hash {
				bad = append(bad, fmt.Sprintf("registry %s head hash %s differs from push %d's %s", r.ID, r.Head.Hash, r.Head.Seq, rec.Hash))
			}
		}
		if _, ok := st.Push(r.ID, r.Head.Seq+1); ok {
			bad = append(bad, fmt.Sprintf("registry %s has a push past its head %d", r.ID, r.Head.Seq))
		}
	}
	return bad
}
