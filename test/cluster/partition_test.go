package cluster

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/internal/hub"
)

// TestIsolatedFollower cuts one follower of a 3-node cluster off while the two others take
// writes. The isolated node refuses writes with a 503 (and they are not applied anywhere), refuses
// or flags default reads once it has not heard from the leader within MaxStale, answers stale
// reads, and refuses linearizable ones; the majority keeps acknowledging writes and answering
// linearizable reads. After the heal the refused push, sent again with the same bytes, is accepted
// once, and the invariants hold.
func TestIsolatedFollower(t *testing.T) {
	for name, mode := range map[string]string{"refuse": hub.StaleRefuse, "flag": hub.StaleFlag} {
		t.Run(name, func(t *testing.T) {
			const maxStale = time.Second
			c := New(t, 3, Options{StaleReads: mode, MaxStale: maxStale, ReadTimeout: 2 * time.Second, Registries: 4})
			loaded, probe := c.Registries[:3], c.Registries[3]
			leader := c.WaitLeader(t)
			f := c.Others(leader)[0]
			seal := c.Push(t, leader, probe, 1)
			c.WaitIndex(t, f, seal.Index)
			load := c.StartLoad(t, LoadOptions{Registries: loaded, Nodes: c.Others(f)})
			load.WaitAcked(t, 5)

			c.Net.Isolate(f)
			refused := refusedPush(t, c, f, probe)

			Eventually(t, WaitTimeout, "the isolated node's leader contact to age past MaxStale", func() (bool, string) {
				lc := c.Hub(f).Node.LastContact()
				return lc > maxStale, lc.String()
			})
			code := seal.Codes[0]
			switch r := c.ReadSeal(t, f, code, ""); mode {
			case hub.StaleRefuse:
				if r.Status != http.StatusServiceUnavailable || r.Code != "STALE_READ" {
					t.Errorf("default read on the isolated node: %d %s, want 503 STALE_READ", r.Status, r.Code)
				}
				if r := c.Get(t, f, "/v1/seals/"+code+"?max_stale=1h"); r.Status != http.StatusOK {
					t.Errorf("default read with max_stale=1h on the isolated node: %d %s", r.Status, r.Code)
				}
			case hub.StaleFlag:
				if r.Status != http.StatusOK || !r.Stale {
					t.Errorf("default read on the isolated node: %d %s stale=%v, want 200 flagged stale", r.Status, r.Code, r.Stale)
				}
			}
			if r := c.ReadSeal(t, f, code, "stale"); r.Status != http.StatusOK || r.Stale || r.Consistency != "stale" {
				t.Errorf("stale read on the isolated node: %d %s stale=%v consistency=%q", r.Status, r.Code, r.Stale, r.Consistency)
			}
			if r := c.ReadSeal(t, f, code, "linearizable"); r.Status != http.StatusServiceUnavailable {
				t.Errorf("linearizable read on the isolated node: %d %s, want 503", r.Status, r.Code)
			}

			// The majority keeps acknowledging writes and serving linearizable reads.
			load.WaitProgress(t, 10)
			majority := c.Others(f)
			ack := lastAck(t, c, loaded[0].ID)
			for _, m := range majority {
				r := c.ReadSeal(t, m, ack.Codes[0], "linearizable")
				if r.Status != http.StatusOK || r.Index < ack.Index || r.Stale {
					t.Errorf("linearizable read on majority node %d: %d %s at index %d, write at %d", m, r.Status, r.Code, r.Index, ack.Index)
				}
				if r := c.ReadSeal(t, m, ack.Codes[0], ""); r.Status != http.StatusOK || r.Stale {
					t.Errorf("default read on majority node %d: %d %s stale=%v", m, r.Status, r.Code, r.Stale)
				}
			}
			if _, ok := c.Hub(c.WaitLeader(t, majority...)).State().Push(probe.ID, refused.Seq); ok {
				t.Fatalf("the push refused by the isolated node was applied")
			}

			c.Net.Heal()
			resend(t, c, refused, f)
			load.WaitProgress(t, 5)
			load.Stop(t)
			c.CheckInvariants(t)
		})
	}
}

// TestIsolatedLeader cuts the leader of a 3-node cluster off under load. The old leader must stop
// acknowledging writes (a push sent to it gets a 503) and step down; the two others elect a new
// leader and the load goes on through them. After the heal the refused push, sent again, is
// accepted once, the old leader's unreplicated entries are gone, and the invariants hold.
func TestIsolatedLeader(t *testing.T) {
	c := New(t, 3, Options{ReadTimeout: 2 * time.Second, Registries: 4})
	loaded, probe := c.Registries[:3], c.Registries[3]
	load := c.StartLoad(t, LoadOptions{Registries: loaded})
	load.WaitAcked(t, 10)

	old := c.WaitLeader(t)
	c.Net.Isolate(old)
	refused := refusedPush(t, c, old, probe)
	majority := c.Others(old)
	next := c.WaitLeader(t, majority...)
	Eventually(t, WaitTimeout, "the isolated leader to step down", func() (bool, string) {
		return !c.Hub(old).Node.IsLeader(), "still leader"
	})
	t.Logf("node %d isolated; node %d leads the majority", old, next)
	again, err := refused.Reg.Next(refused.Reg.SealOps(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendOnce(context.Background(), old, again); !is503(err) {
		t.Fatalf("a push sent to the deposed leader: %v, want a 503", err)
	}
	if r := c.ReadSeal(t, old, lastAck(t, c, loaded[0].ID).Codes[0], "linearizable"); r.Status != http.StatusServiceUnavailable {
		t.Errorf("linearizable read on the deposed leader: %d %s, want 503", r.Status, r.Code)
	}
	load.WaitProgress(t, 15)

	c.Net.Heal()
	c.WaitLeader(t)
	resend(t, c, refused, 0)
	load.WaitProgress(t, 5)
	load.Stop(t)
	c.CheckInvariants(t)
}

// refusedPush sends a new push of reg to node n, which is cut off from the majority, and checks
// that it is not acknowledged: a 503, whatever its code, and never a 200.
func refusedPush(t *testing.T, c *Cluster, n int, reg *Registry) *Body {
	t.Helper()
	b, err := reg.Next(reg.SealOps(1))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SendOnce(context.Background(), n, b)
	if !is503(err) {
		t.Fatalf("a push sent to node %d, cut off from the majority: %v, want a 503", n, err)
	}
	t.Logf("a push sent to the cut-off node %d: %s", n, ErrorCode(err))
	return b
}

// resend delivers a refused push again, with the same bytes, to node n (0: any node), and checks
// it is accepted as new: the refusal left nothing behind.
func resend(t *testing.T, c *Cluster, b *Body, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), WaitTimeout)
	defer cancel()
	var pick func() int
	if n != 0 {
		pick = func() int { return n }
	}
	a, err := c.Deliver(ctx, b, pick)
	if err != nil {
		t.Fatalf("the refused push, sent again after the heal: %v", err)
	}
	if a.Replay {
		t.Errorf("the refused push was answered as a replay: it had been applied (index %d)", a.Index)
	}
}

func is503(err error) bool {
	var ae *client.Error
	return errors.As(err, &ae) && ae.Status == http.StatusServiceUnavailable
}

// lastAck is the newest acknowledged push of a registry.
func lastAck(t *testing.T, c *Cluster, registry string) Ack {
	t.Helper()
	var last Ack
	for _, a := range c.Acks() {
		if a.Registry == registry && a.Seq > last.Seq {
			last = a
		}
	}
	if last.Seq == 0 {
		t.Fatalf("no acknowledged push of %s", registry)
	}
	return last
}
