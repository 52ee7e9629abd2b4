package e2e

import (
	"context"
	"testing"
	"time"
)

// TestKillLeaderUnderLoad runs three sealhub processes, pushes to three registries and reads
// acknowledged seals through random nodes, kills the leader with SIGKILL, restarts it on its data
// directory, and then checks that nothing acknowledged was lost or duplicated: every node holds
// every acknowledged push and its seals, no registry has a sequence gap, and all nodes hold the
// same trust list (same index, same digest). A linearizable read of an acknowledged seal must
// never miss it, whichever node answers. Every node must then stop cleanly on SIGTERM.
func TestKillLeaderUnderLoad(t *testing.T) {
	bin := sealhubBinary(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	p := newPhases(t)

	c := newCluster(ctx, t, bin, 3)
	must(t, c.startAll(ctx))
	p.done("3 nodes serving, 3 healthy voters")

	// Through the leader: the CLI builds each push on the head it reads, and a follower may not
	// have applied the previous one yet (see TestSequentialPushesThroughEachNode).
	first, err := c.leader(ctx, nil)
	must(t, err)
	regs, err := c.createRegistries(ctx, first, []registrySpec{
		{"37", "山东省", "370102"}, {"44", "广东省", "440103"}, {"11", "北京市", "110105"},
	})
	must(t, err)
	p.done("3 registries created with `sealhub admin`")

	l := newLoad(c, regs)
	l.run(ctx)
	defer func() { cancel(); _ = l.halt() }() // on an early failure: give up the push in flight
	must(t, l.waitPushes(ctx, 5))
	p.done("load running")

	old, err := c.leader(ctx, nil)
	must(t, err)
	must(t, old.kill(10*time.Second))
	p.done("leader " + old.id + " killed (SIGKILL)")
	nl, err := c.leader(ctx, old)
	must(t, err)
	toLeader := p.done("new leader " + nl.id + " ready")
	must(t, l.waitPushes(ctx, 5))
	p.done("pushes acknowledged without " + old.id)

	must(t, old.start())
	must(t, c.waitReady(ctx, old))
	toReady := p.done(old.id + " restarted and ready")
	must(t, c.waitCaughtUp(ctx, old))
	_, err = c.waitHealthy(ctx, 3)
	must(t, err)
	p.done(old.id + " caught up; 3 healthy voters")
	must(t, l.waitPushes(ctx, 5))
	must(t, l.halt())
	p.done("load stopped")

	seals := l.check(ctx, t)
	p.done("invariants checked")
	for id, err := range c.terminateAll(15 * time.Second) {
		if err != nil {
			t.Errorf("%s after SIGTERM: %v", id, err)
		}
	}
	p.done("all nodes stopped with SIGTERM")

	t.Logf("summary: %d pushes (%d seals) acknowledged %v, %d reads during the load; new leader %v after the kill; "+
		"restarted node ready in %v; %d seal reads in the final check\n%s",
		len(l.flat), l.sealCount(), l.acked(), l.stats.total("read "), toLeader, toReady, seals, l.stats.report())
}

// phases logs how long each step of a test took.
type phases struct {
	t     *testing.T
	start time.Time
	last  time.Time
}

func newPhases(t *testing.T) *phases {
	now := time.Now()
	return &phases{t: t, start: now, last: now}
}

// done logs the end of a step and returns how long it took.
func (p *phases) done(what string) time.Duration {
	now := time.Now()
	d := now.Sub(p.last)
	p.last = now
	p.t.Logf("%6.2fs  +%5.2fs  %s", now.Sub(p.start).Seconds(), d.Seconds(), what)
	return d.Round(time.Millisecond)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
