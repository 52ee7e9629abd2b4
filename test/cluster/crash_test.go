package cluster

import "testing"

// TestLeaderCrashUnderLoad kills the leader of a 3-node cluster while three registries push
// through random nodes: the two others elect a new leader, the load goes on (every push is retried
// with the same bytes until acknowledged), the old leader restarts as a follower and catches up,
// and every acknowledged push is on every node.
func TestLeaderCrashUnderLoad(t *testing.T) {
	c := New(t, 3, Options{})
	load := c.StartLoad(t, LoadOptions{})
	load.WaitAcked(t, 15)

	old := c.WaitLeader(t)
	c.Kill(t, old)
	c.Logf(t, "leader %d killed", old)
	next := c.WaitLeader(t, c.Others(old)...)
	c.Logf(t, "node %d leads", next)
	load.WaitProgress(t, 15)
	c.Logf(t, "load went on")

	c.Restart(t, old)
	c.Logf(t, "node %d restarted", old)
	load.WaitProgress(t, 15)
	load.Stop(t)
	c.CheckInvariants(t)
}
