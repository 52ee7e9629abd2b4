package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sealhub/sealhub/federation"
	"github.com/sealhub/sealhub/internal/hub"
)

// addSlot adds a member slot, not started yet.
func (c *Cluster) addSlot(bootstrap bool, join []string) *Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	num := len(c.nodes) + 1
	nd := &Node{Num: num, ID: fmt.Sprintf("n%d", num), Dir: filepath.Join(c.dir, fmt.Sprintf("n%d", num)),
		RaftAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", bootstrap: bootstrap, join: join}
	c.nodes = append(c.nodes, nd)
	return nd
}

func (c *Cluster) config(nd *Node) hub.Config {
	o := c.opts
	return hub.Config{
		NodeID: nd.ID, DataDir: nd.Dir, RaftAddr: nd.RaftAddr, HTTPAddr: nd.HTTPAddr,
		Bootstrap: nd.bootstrap, Join: nd.join, AdminKeys: []string{c.adminPEM},
		Autopilot: o.Autopilot, MaxStale: o.MaxStale, StaleReads: o.StaleReads, ReadTimeout: o.ReadTimeout,
		// Close never hands leadership over: Kill is a crash; Stop transfers leadership itself.
		NoLeaderTransfer: true,
		DialHook:         c.Net.Hook(nd.Num),
		Regions:          o.Regions,
		Raft: federation.Config{
			HeartbeatTimeout: o.HeartbeatTimeout, ElectionTimeout: o.ElectionTimeout, LeaderLeaseTimeout: o.LeaderLeaseTimeout,
			SnapshotThreshold: o.SnapshotThreshold, TrailingLogs: o.TrailingLogs,
		},
		Logger: c.logger.With("node", nd.ID),
	}
}

// start opens node i on its data directory and addresses. A restart reuses the concrete ports; if
// another socket took one in between, it retries for a while.
func (c *Cluster) start(t testing.TB, i int) {
	t.Helper()
	nd := c.node(i)
	if c.Hub(i) != nil {
		t.Fatalf("node %d is already running", i)
	}
	var h *hub.Hub
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; {
		h, err = hub.Open(c.config(nd))
		if err == nil || !addrInUse(err) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("open node %d: %v", i, err)
	}
	u, err := url.Parse(h.URL())
	if err != nil {
		t.Fatal(err)
	}
	c.Net.Register(i, h.ClusterAddr())
	c.mu.Lock()
	nd.RaftAddr, nd.HTTPAddr, nd.hub = h.ClusterAddr(), u.Host, h
	c.mu.Unlock()
}

func addrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) || strings.Contains(err.Error(), "address already in use")
}

func (c *Cluster) waitReady(t testing.TB, i int) {
	t.Helper()
	h := c.Hub(i)
	if h == nil {
		t.Fatalf("node %d is down", i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.WaitReady(ctx); err != nil {
		t.Fatalf("node %d: %v", i, err)
	}
}

// Kill crashes node i: it closes without handing leadership over and without waiting for requests
// in flight, and every connection it had to other nodes is closed.
func (c *Cluster) Kill(t testing.TB, i int) {
	t.Helper()
	h := c.take(t, i)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = h.Close(ctx) // the cancelled context only reports that requests were cut off
	c.Net.Drop(i)
}

// Stop shuts node i down gracefully: a leader first hands leadership to another voter.
func (c *Cluster) Stop(t testing.TB, i int) {
	t.Helper()
	h := c.take(t, i)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if h.Node.IsLeader() && h.Node.OtherVoters() > 0 {
		if err := h.Node.TransferLeadership(ctx, ""); err != nil {
			t.Logf("node %d: leadership transfer before stop: %v", i, err)
		}
	}
	c.http.CloseIdleConnections() // see Close
	if err := h.Close(ctx); err != nil {
		t.Errorf("stop node %d: %v", i, err)
	}
	c.Net.Drop(i)
}

// Restart starts a stopped or killed node again on its data directory and addresses, and waits
// until it is ready (it knows a leader and has loaded its state).
func (c *Cluster) Restart(t testing.TB, i int) {
	t.Helper()
	c.start(t, i)
	c.waitReady(t, i)
}

// Add starts a new node that joins through every live member, waits until it is ready, and
// returns its number. Autopilot promotes it once it is caught up (WaitVoters).
func (c *Cluster) Add(t testing.TB) int {
	t.Helper()
	var join []string
	for _, i := range c.Live() {
		join = append(join, c.node(i).RaftAddr)
	}
	nd := c.addSlot(false, join)
	c.start(t, nd.Num)
	c.waitReady(t, nd.Num)
	return nd.Num
}

// Remove takes node i out of the configuration through the leader, then stops it.
func (c *Cluster) Remove(t testing.TB, i int) {
	t.Helper()
	id := c.node(i).ID
	Eventually(t, 30*time.Second, fmt.Sprintf("remove node %d", i), func() (bool, string) {
		l := c.leader()
		if l == 0 {
			return false, "no leader"
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Hub(l).Node.Remove(ctx, id); err != nil {
			return false, err.Error()
		}
		return true, ""
	})
	if c.Hub(i) != nil {
		h := c.take(t, i)
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		c.http.CloseIdleConnections() // see Close
		if err := h.Close(ctx); err != nil {
			t.Errorf("close removed node %d: %v", i, err)
		}
		c.Net.Drop(i)
	}
	nd := c.node(i)
	c.mu.Lock()
	nd.removed = true
	c.mu.Unlock()
}

// take marks node i down and returns its hub.
func (c *Cluster) take(t testing.TB, i int) *hub.Hub {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	nd := c.nodes[i-1]
	if nd.hub == nil {
		t.Fatalf("node %d is not running", i)
	}
	h := nd.hub
	nd.hub = nil
	return h
}

// Close closes every running node (at test cleanup).
func (c *Cluster) Close() {
	c.mu.Lock()
	var hubs []*hub.Hub
	for _, nd := range c.nodes {
		if nd.hub != nil {
			hubs = append(hubs, nd.hub)
			nd.hub = nil
		}
	}
	c.mu.Unlock()
	// Idle client connections first: a server's Shutdown waits up to 5s for an accepted connection
	// that never sent a request (the client transport may dial one and then not use it).
	c.http.CloseIdleConnections()
	var wg sync.WaitGroup
	for _, h := range hubs {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = h.Close(ctx)
		})
	}
	wg.Wait()
	c.Net.DropAll() // what a closed node left open (see TestClosedNodeReleasesConnections)
	c.http.CloseIdleConnections()
}
