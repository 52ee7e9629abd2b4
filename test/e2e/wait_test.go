package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// clusterStatus is the part of GET /v1/cluster (the leader's view) the tests read.
type clusterStatus struct {
	Leader     string `json:"leader"`
	AnsweredBy string `json:"answered_by"`
	Healthy    *bool  `json:"healthy"`
	StateIndex uint64 `json:"state_index"`
	Servers    []struct {
		ID      string `json:"id"`
		Voter   bool   `json:"voter"`
		Healthy *bool  `json:"healthy"`
	} `json:"servers"`
}

// leaderStatus is the leader's own view, asked through any running node (a follower forwards
// GET /v1/cluster to the leader; one that cannot reach it answers for itself, which is refused).
func (c *cluster) leaderStatus(ctx context.Context) (*clusterStatus, error) {
	var errs []error
	for _, n := range c.nodes {
		if !n.running() {
			continue
		}
		var st clusterStatus
		_, err := c.getJSON(ctx, n, "/v1/cluster", &st)
		switch {
		case err != nil:
			errs = append(errs, err)
		case st.Leader == "" || st.AnsweredBy != st.Leader:
			errs = append(errs, fmt.Errorf("%s: no leader answered (leader %q, answered by %s)", n.id, st.Leader, st.AnsweredBy))
		default:
			return &st, nil
		}
	}
	return nil, errors.Join(append(errs, errors.New("no running node reached a leader"))...)
}

func (c *cluster) node(id string) (*node, error) {
	for _, n := range c.nodes {
		if n.id == id {
			return n, nil
		}
	}
	return nil, fmt.Errorf("leader %q is not one of the test's nodes", id)
}

// startAll starts the nodes and waits until they all serve as healthy voters. n1 founds the
// cluster; the others, started once it serves, join on their first attempt.
func (c *cluster) startAll(ctx context.Context) error {
	for i, n := range c.nodes {
		if err := n.start(); err != nil {
			return err
		}
		if i == 0 {
			if err := c.waitReady(ctx, n); err != nil {
				return err
			}
		}
	}
	for _, n := range c.nodes[1:] {
		if err := c.waitReady(ctx, n); err != nil {
			return err
		}
	}
	_, err := c.waitHealthy(ctx, len(c.nodes))
	return err
}

// waitReady waits until n answers /readyz with 200 and has printed its "serving" line.
func (c *cluster) waitReady(ctx context.Context, n *node) error {
	return waitFor(ctx, n.id+" ready", func(ctx context.Context) error {
		if !n.running() {
			return permanent{fmt.Errorf("%s exited", n.id)}
		}
		a, err := c.get(ctx, n, "/readyz")
		if err != nil {
			return err
		}
		if a.status != http.StatusOK {
			return fmt.Errorf("/readyz: %d %s", a.status, a.body)
		}
		n.mu.Lock()
		starts := n.starts
		n.mu.Unlock()
		if got, err := n.servingLines(); err != nil || got < starts {
			return fmt.Errorf("stdout has %d serving lines for %d starts (%v)", got, starts, err)
		}
		return nil
	})
}

// waitHealthy waits until the leader reports exactly voters servers, all voters and all healthy.
func (c *cluster) waitHealthy(ctx context.Context, voters int) (*clusterStatus, error) {
	var out *clusterStatus
	err := waitFor(ctx, fmt.Sprintf("%d healthy voters", voters), func(ctx context.Context) error {
		st, err := c.leaderStatus(ctx)
		if err != nil {
			return err
		}
		if len(st.Servers) != voters || st.Healthy == nil || !*st.Healthy {
			return fmt.Errorf("%d servers, cluster healthy %v", len(st.Servers), ptrText(st.Healthy))
		}
		for _, s := range st.Servers {
			if !s.Voter || s.Healthy == nil || !*s.Healthy {
				return fmt.Errorf("%s: voter %v, healthy %s", s.ID, s.Voter, ptrText(s.Healthy))
			}
		}
		out = st
		return nil
	})
	return out, err
}

func ptrText(b *bool) string {
	if b == nil {
		return "unknown"
	}
	return strconv.FormatBool(*b)
}

// leader waits for a ready leader other than not (nil: any) and returns it.
func (c *cluster) leader(ctx context.Context, not *node) (*node, error) {
	var out *node
	err := waitFor(ctx, "a ready leader", func(ctx context.Context) error {
		st, err := c.leaderStatus(ctx)
		if err != nil {
			return err
		}
		n, err := c.node(st.Leader)
		switch {
		case err != nil:
			return err
		case n == not:
			return fmt.Errorf("%s is still reported as the leader", n.id)
		}
		if a, err := c.get(ctx, n, "/readyz"); err != nil || a.status != http.StatusOK {
			return fmt.Errorf("leader %s not ready yet (%v)", n.id, err)
		}
		out = n
		return nil
	})
	return out, err
}

// stateIndex is the index of the trust list a node answers from (a stale read: its local state).
func (c *cluster) stateIndex(ctx context.Context, n *node) (uint64, error) {
	a, err := c.get(ctx, n, "/v1/registries?consistency=stale")
	if err != nil {
		return 0, err
	}
	if a.status != http.StatusOK {
		return 0, fmt.Errorf("%s: GET /v1/registries: %d %s", n.id, a.status, a.body)
	}
	return strconv.ParseUint(a.header.Get("X-Sealhub-Index"), 10, 64)
}

// waitCaughtUp waits until n has applied what the leader had applied when the wait began.
func (c *cluster) waitCaughtUp(ctx context.Context, n *node) error {
	st, err := c.leaderStatus(ctx)
	if err != nil {
		return err
	}
	return waitFor(ctx, fmt.Sprintf("%s to reach index %d", n.id, st.StateIndex), func(ctx context.Context) error {
		idx, err := c.stateIndex(ctx, n)
		if err == nil && idx < st.StateIndex {
			err = fmt.Errorf("%s is at index %d", n.id, idx)
		}
		return err
	})
}

// waitConverged waits until every node answers from the same trust-list index, and returns it.
// It only means convergence once writes have stopped.
func (c *cluster) waitConverged(ctx context.Context) (uint64, error) {
	var out uint64
	err := waitFor(ctx, "all nodes at the same index", func(ctx context.Context) error {
		seen := map[uint64][]string{}
		for _, n := range c.nodes {
			idx, err := c.stateIndex(ctx, n)
			if err != nil {
				return err
			}
			seen[idx] = append(seen[idx], n.id)
			out = idx
		}
		if len(seen) != 1 {
			return fmt.Errorf("indexes differ: %v", seen)
		}
		return nil
	})
	return out, err
}

// terminateAll sends SIGTERM to every node at once and waits for each to exit; the error of a node
// is a non-zero exit code or a process still running after timeout.
//
// It first closes the test's idle keep-alive connections. The HTTP client may hold connections it
// dialled and never used, and http.Server.Shutdown waits up to 5 s for such a connection to send
// a request (Go issue 22682), which would only make the test slower.
func (c *cluster) terminateAll(timeout time.Duration) map[string]error {
	c.http.CloseIdleConnections() // the load's clients share the default transport too
	var mu sync.Mutex
	out := map[string]error{}
	var wg sync.WaitGroup
	for _, n := range c.nodes {
		wg.Go(func() {
			start := time.Now()
			code, err := n.terminate(timeout)
			if err == nil && code != 0 {
				err = fmt.Errorf("exit code %d", code)
			}
			if err == nil {
				c.t.Logf("%s exited 0 %v after SIGTERM", n.id, time.Since(start).Round(time.Millisecond))
			}
			mu.Lock()
			out[n.id] = err
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}
