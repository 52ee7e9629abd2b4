package cluster

import (
	"slices"
	"testing"
)

// TestHealConverges runs a 5-node cluster under load through a series of partitions — the leader
// and one follower cut off from the three others, then one node alone, then a different split —
// waiting each time for the majority side to lead and make progress. After the last heal every
// node must converge on the same trust list with every acknowledged push.
func TestHealConverges(t *testing.T) {
	c := New(t, 5, Options{})
	load := c.StartLoad(t, LoadOptions{})
	load.WaitAcked(t, 10)

	// The leader in the minority: the majority elects a new one.
	old := c.WaitLeader(t)
	minority := []int{old, c.Others(old)[0]}
	c.Net.Partition(minority)
	majority := c.Others(minority...)
	if l := c.WaitLeader(t, majority...); slices.Contains(minority, l) {
		t.Fatalf("node %d of the minority leads", l)
	}
	load.WaitProgress(t, 10)

	// A single node cut off, while the earlier minority is back.
	c.Net.Heal()
	lone := c.Others(old)[1]
	c.Net.Isolate(lone)
	c.WaitLeader(t, c.Others(lone)...)
	load.WaitProgress(t, 10)

	// Another split: two nodes that were on the majority side both times.
	c.Net.Partition([]int{majority[1], majority[2]})
	c.WaitLeader(t, c.Others(majority[1], majority[2])...)
	load.WaitProgress(t, 10)

	c.Net.Heal()
	c.WaitLeader(t)
	load.WaitProgress(t, 5)
	load.Stop(t)
	c.CheckInvariants(t)
}
