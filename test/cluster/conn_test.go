package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestClosedNodeReleasesConnections closes a follower, then the leader, with Hub.Close (the
// harness's Stop and Kill also close the node's connections, as an exiting process would; this
// test does not) and checks that every connection the node opened to another node's cluster port
// is closed with it. Connections left open keep goroutines and sockets on both sides, in every
// process that opens and closes hubs (tests, `sealhub dev`).
//
// It fails on the product as of this writing: federation.Node.Close closes the raft transport with
// NetworkTransport.Close, which leaves its pooled outgoing connections open (CloseStreams closes
// them), and Hub.Close never closes the idle keep-alive connections of its internal RPC client.
func TestClosedNodeReleasesConnections(t *testing.T) {
	c := New(t, 3, Options{})
	leader := c.WaitLeader(t)
	follower := c.Others(leader)[0]
	c.Push(t, follower, c.Registries[0], 5) // forwarded: the follower dials the leader's RPC side
	for _, i := range []int{follower, leader} {
		h := c.take(t, i)
		c.http.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err := h.Close(ctx)
		cancel()
		if err != nil {
			t.Fatalf("close node %d: %v", i, err)
		}
		Eventually(t, 5*time.Second, fmt.Sprintf("node %d's connections to close with it", i), func() (bool, string) {
			open := c.Net.Open(i)
			return len(open) == 0, fmt.Sprintf("still open (dialer→dialed): %v", open)
		})
	}
}
