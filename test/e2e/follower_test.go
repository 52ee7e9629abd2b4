package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/trustlist"
)

// TestSequentialPushesThroughEachNode is one writer sending pushes back to back, each through the
// next node, with the client library `sealhub push`, `import` and `admin` use. client.Push builds
// each push on the registry head the node it talks to reads, so a node that has not applied the
// writer's previous push yet (a follower a few milliseconds behind) must not make it fail: the
// writer did nothing wrong, and nothing else writes to the registry.
func TestSequentialPushesThroughEachNode(t *testing.T) {
	bin := sealhubBinary(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	c := newCluster(ctx, t, bin, 3)
	must(t, c.startAll(ctx))
	regs, err := c.createRegistries(ctx, c.nodes[0], []registrySpec{{"32", "江苏省", "320102"}})
	must(t, err)
	r, l := regs[0], newLoad(c, regs)

	// Small pushes, sent as fast as possible: the window is the few milliseconds a follower takes
	// to apply what the leader acknowledged.
	const pushes = 300
	for i := range pushes {
		n := c.nodes[i%len(c.nodes)]
		op := l.op(fmt.Sprintf("%s%08d", r.division, i+1))
		if _, err := client.New(n.url()).Push(ctx, client.Signer{Registry: r.id, Key: r.key}, []trustlist.Op{op}); err != nil {
			t.Fatalf("push %d of a single writer, through %s: %v", i+1, n.id, err)
		}
	}
	var v registryView
	_, err = c.getJSON(ctx, c.nodes[0], "/v1/registries/"+r.id+"?consistency=linearizable", &v)
	must(t, err)
	if v.Head.Seq != pushes {
		t.Errorf("registry %s head seq %d; want %d", r.id, v.Head.Seq, pushes)
	}
}
