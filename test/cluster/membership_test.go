package cluster

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/sealhub/sealhub/internal/rpc"
)

// TestMembershipChangeUnderLoad grows a 3-node cluster to 5 while registries push through random
// nodes (the new ones included as soon as they run): autopilot promotes the new nodes to voters
// once both have caught up. Then a follower and afterwards the leader itself are removed. Every
// remaining node holds every acknowledged push, and GET /v1/cluster reports the membership.
func TestMembershipChangeUnderLoad(t *testing.T) {
	c := New(t, 3, Options{})
	load := c.StartLoad(t, LoadOptions{})
	load.WaitAcked(t, 10)

	n4 := c.Add(t)
	n5 := c.Add(t)
	c.WaitVoters(t, 1, 2, 3, n4, n5)
	load.WaitProgress(t, 10)

	leader := c.WaitLeader(t)
	follower := c.Others(leader)[0]
	c.Remove(t, follower)
	c.WaitVoters(t, c.Live()...)
	load.WaitProgress(t, 10)

	c.Remove(t, leader)
	c.WaitVoters(t, c.Live()...)
	if l := c.WaitLeader(t); l == leader {
		t.Fatalf("the removed node %d still leads", leader)
	}
	load.WaitProgress(t, 10)
	load.Stop(t)
	c.CheckInvariants(t)

	var want []string
	for _, i := range c.Live() {
		want = append(want, c.ID(i))
	}
	for _, i := range c.Live() {
		r := c.Get(t, i, "/v1/cluster")
		if r.Status != http.StatusOK {
			t.Fatalf("GET /v1/cluster on node %d: %d %s", i, r.Status, r.Code)
		}
		var st rpc.ClusterStatus
		if err := json.Unmarshal(r.Body, &st); err != nil {
			t.Fatal(err)
		}
		var got []string
		leaders := 0
		for _, s := range st.Servers {
			got = append(got, s.ID)
			if !s.Voter {
				t.Errorf("node %d reports %s as a non-voter", i, s.ID)
			}
			if s.Leader {
				leaders++
				if s.ID != st.Leader {
					t.Errorf("node %d flags %s as leader, names %s", i, s.ID, st.Leader)
				}
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) || leaders != 1 {
			t.Errorf("node %d reports servers %v with %d leaders, want %v with one", i, got, leaders, want)
		}
	}
}
