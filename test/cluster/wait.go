package cluster

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sealhub/sealhub/trustlist"
)

// PollInterval is how often the Wait helpers look again.
const PollInterval = 20 * time.Millisecond

// WaitTimeout bounds each Wait helper. It is an upper bound on a failure, not a pause: the helpers
// return as soon as their condition holds.
const WaitTimeout = 45 * time.Second

// Eventually polls cond until it holds, and fails the test with cond's last reason once timeout
// has passed.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() (ok bool, why string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %s", what, timeout, why)
		}
		time.Sleep(PollInterval)
	}
}

// WaitLeader waits until exactly one of the given nodes (every live node when none is given)
// leads and has established its term (it is ready: the post-election barrier ran), and all the
// others of them name it as their leader. It returns the leader's number.
func (c *Cluster) WaitLeader(t testing.TB, among ...int) int {
	t.Helper()
	leader := 0
	Eventually(t, WaitTimeout, "a leader", func() (bool, string) {
		nodes := among
		if len(nodes) == 0 {
			nodes = c.Live()
		}
		leader = 0
		for _, i := range nodes {
			h := c.Hub(i)
			if h == nil {
				return false, fmt.Sprintf("node %d is down", i)
			}
			if h.Node.IsLeader() {
				if leader != 0 {
					return false, fmt.Sprintf("nodes %d and %d both lead", leader, i)
				}
				leader = i
			}
		}
		if leader == 0 {
			return false, fmt.Sprintf("none of %v leads", nodes)
		}
		if ok, why := c.Hub(leader).Ready(); !ok {
			return false, fmt.Sprintf("leader %d: %s", leader, why)
		}
		for _, i := range nodes {
			if _, id := c.Hub(i).Node.Leader(); id != c.ID(leader) {
				return false, fmt.Sprintf("node %d names %q as leader, not %s", i, id, c.ID(leader))
			}
		}
		return true, ""
	})
	return leader
}

// WaitVoters waits until the leader's configuration holds exactly the given nodes, all voters.
func (c *Cluster) WaitVoters(t testing.TB, nodes ...int) {
	t.Helper()
	c.waitConfig(t, nodes, true)
}

// WaitMembers waits until the leader's configuration holds exactly the given nodes, voters or not.
func (c *Cluster) WaitMembers(t testing.TB, nodes ...int) {
	t.Helper()
	c.waitConfig(t, nodes, false)
}

func (c *Cluster) waitConfig(t testing.TB, nodes []int, voters bool) {
	t.Helper()
	want := make([]string, 0, len(nodes))
	for _, i := range nodes {
		want = append(want, c.ID(i))
	}
	slices.Sort(want)
	Eventually(t, WaitTimeout, fmt.Sprintf("configuration %v (voters: %v)", want, voters), func() (bool, string) {
		l := c.leader()
		if l == 0 {
			return false, "no leader"
		}
		servers, _, err := c.Hub(l).Node.Servers()
		if err != nil {
			return false, err.Error()
		}
		var got []string
		for _, s := range servers {
			if voters && !s.Voter {
				return false, fmt.Sprintf("%s is not a voter yet: %+v", s.ID, servers)
			}
			got = append(got, s.ID)
		}
		slices.Sort(got)
		return slices.Equal(got, want), fmt.Sprintf("servers %+v", servers)
	})
}

// WaitConverged waits until the given nodes (every live node when none is given) have applied
// everything the leader has committed and hold the same trust list: the same index and the same
// digest. It returns that index and digest.
func (c *Cluster) WaitConverged(t testing.TB, nodes ...int) (index uint64, digest string) {
	t.Helper()
	states := c.converged(t, nodes)
	for _, st := range states {
		return st.Index(), st.Digest()
	}
	return 0, ""
}

// converged is WaitConverged returning the nodes' states it found equal.
func (c *Cluster) converged(t testing.TB, nodes []int) map[int]*trustlist.State {
	t.Helper()
	var states map[int]*trustlist.State
	Eventually(t, WaitTimeout, "convergence", func() (bool, string) {
		which := nodes
		if len(which) == 0 {
			which = c.Live()
		}
		l := c.leader()
		if l == 0 {
			return false, "no leader"
		}
		commit := c.Hub(l).Node.CommitIndex()
		states = map[int]*trustlist.State{}
		var first *trustlist.State
		for _, i := range which {
			h := c.Hub(i)
			if h == nil {
				return false, fmt.Sprintf("node %d is down", i)
			}
			if a := h.Node.AppliedIndex(); a < commit {
				return false, fmt.Sprintf("node %d applied %d of %d committed", i, a, commit)
			}
			st := h.State()
			if first == nil {
				first = st
			} else if st.Index() != first.Index() {
				return false, fmt.Sprintf("node %d at state index %d, node %d at %d", i, st.Index(), which[0], first.Index())
			}
			states[i] = st
		}
		digest := first.Digest()
		for i, st := range states {
			if st != first && st.Digest() != digest {
				return false, fmt.Sprintf("node %d's digest differs at index %d", i, first.Index())
			}
		}
		return true, ""
	})
	return states
}

// WaitIndex waits until node i's trust list is at index or later.
func (c *Cluster) WaitIndex(t testing.TB, i int, index uint64) {
	t.Helper()
	Eventually(t, WaitTimeout, fmt.Sprintf("node %d at index %d", i, index), func() (bool, string) {
		h := c.Hub(i)
		if h == nil {
			return false, "down"
		}
		got := h.State().Index()
		return got >= index, fmt.Sprintf("at %d", got)
	})
}
