package cluster

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestLinearizableReads checks that a linearizable read sees every write acknowledged before it
// was sent. Under background load (with a HeadReader checking registry heads read linearizably
// from random nodes throughout), a seal is written through node A and read through node B for
// every ordered pair of a 3-node cluster: the read must find it at an index at or past the
// write's. Then the leader is killed right after acknowledging a write: a linearizable read on a
// survivor may be refused while the new leader establishes itself, but once answered it must
// include the write.
func TestLinearizableReads(t *testing.T) {
	c := New(t, 3, Options{Registries: 4})
	loaded, reg := c.Registries[:3], c.Registries[3]
	load := c.StartLoad(t, LoadOptions{Registries: loaded})
	reader := c.StartHeadReader(t, loaded)
	load.WaitAcked(t, 5)

	for _, a := range c.Live() {
		for _, b := range c.Others(a) {
			t.Run(fmt.Sprintf("write %d read %d", a, b), func(t *testing.T) {
				for range 3 {
					ack := c.Push(t, a, reg, 1)
					r := c.ReadSeal(t, b, ack.Codes[0], "linearizable")
					if r.Status != http.StatusOK || r.Index < ack.Index || r.Consistency != "linearizable" {
						t.Fatalf("linearizable read: %d %s at index %d (consistency %q), write at %d", r.Status, r.Code, r.Index, r.Consistency, ack.Index)
					}
				}
			})
		}
	}

	leader := c.WaitLeader(t)
	ack := c.Push(t, leader, reg, 1)
	c.Kill(t, leader)
	for _, b := range c.Live() {
		Eventually(t, WaitTimeout, fmt.Sprintf("a linearizable read on node %d after the leader's crash", b), func() (bool, string) {
			r := c.ReadSeal(t, b, ack.Codes[0], "linearizable")
			switch {
			case r.Status == http.StatusServiceUnavailable:
				return false, r.Code
			case r.Status != http.StatusOK || r.Index < ack.Index:
				t.Fatalf("linearizable read on node %d after the crash: %d %s at index %d, write at %d", b, r.Status, r.Code, r.Index, ack.Index)
			}
			return true, ""
		})
	}
	load.WaitProgress(t, 5)
	c.Restart(t, leader)
	load.WaitProgress(t, 5)
	if reader.Stop(t) == 0 {
		t.Error("no linearizable head read was answered")
	}
	load.Stop(t)
	c.CheckInvariants(t)
}

// TestLinearizableReadAfterFailover kills the leader right after it acknowledged a write, while
// both survivors read the written seal linearizably in a tight loop until they get an answer. A
// refusal (503) is fine while the new leader establishes itself; an answer that misses the write
// is a stale read.
//
// It fails on the product as of this writing: a follower takes its read index from the new
// leader's commit index (rpc read-index → federation.Node.ReadIndex), which may still be below
// entries the old leader committed, because the new leader has not yet committed an entry of its
// own term. The hub only checks that on the leader's own linearizable reads (Hub.barrier).
func TestLinearizableReadAfterFailover(t *testing.T) {
	c := New(t, 3, Options{Registries: 1})
	reg := c.Registries[0]
	for round := 1; round <= 4; round++ {
		leader := c.WaitLeader(t)
		ack := c.Push(t, leader, reg, 1)
		c.Kill(t, leader)
		var wg sync.WaitGroup
		var mu sync.Mutex
		refused := map[string]int{}
		for _, b := range c.Live() {
			wg.Go(func() {
				for deadline := time.Now().Add(WaitTimeout); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
					r, err := c.Fetch(b, SealPath(ack.Codes[0], "linearizable"))
					switch {
					case err != nil:
						t.Errorf("round %d, node %d: %v", round, b, err)
						return
					case r.Status == http.StatusServiceUnavailable:
						mu.Lock()
						refused[r.Code]++
						mu.Unlock()
						continue
					case r.Status != http.StatusOK || r.Index < ack.Index:
						t.Errorf("round %d: stale linearizable read on node %d after the leader's crash: %d %s at index %d, the write was acknowledged at %d",
							round, b, r.Status, r.Code, r.Index, ack.Index)
					}
					return
				}
				t.Errorf("round %d: no linearizable read answered on node %d", round, b)
			})
		}
		wg.Wait()
		c.Logf(t, "round %d: refusals before the new leader answered: %v", round, refused)
		c.Restart(t, leader)
	}
}
