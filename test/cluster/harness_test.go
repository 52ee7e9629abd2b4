package cluster

import "testing"

// TestHarness checks the harness itself: a 3-node cluster, a short load, converged invariants.
func TestHarness(t *testing.T) {
	c := New(t, 3, Options{})
	l := c.StartLoad(t, LoadOptions{Pushes: 10})
	l.Wait(t)
	c.CheckInvariants(t)
}
