package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"

	"github.com/sealhub/sealhub/internal/hub"
)

// ErrPartitioned is what a dial across a partition fails with.
var ErrPartitioned = errors.New("cluster: link cut by a partition")

// Network sits between the nodes' cluster ports. Every connection a node opens to another node's
// cluster port — raft and internal RPC alike — is dialed through the node's DialHook, so the
// Network sees them all: it refuses dials across a partition and closes the connections already
// open across one. Closing the dialed end of a connection closes it for both nodes, so cutting the
// connections each side dialed cuts the link. The public API is not part of the Network: clients
// still reach a partitioned node.
//
// Its methods are safe for concurrent use.
type Network struct {
	mu     sync.Mutex
	owner  map[string]int // cluster address → node number
	group  map[int]int    // node number → partition group; a node not in it is in group 0
	conns  map[*linkConn]struct{}
	denied int // dials refused
	cut    int // open connections closed by partitions and kills
}

// NewNetwork makes a Network without partitions.
func NewNetwork() *Network {
	return &Network{owner: map[string]int{}, group: map[int]int{}, conns: map[*linkConn]struct{}{}}
}

// Register records that node owns the cluster address addr.
func (nw *Network) Register(node int, addr string) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	nw.owner[addr] = node
}

// Hook is node from's DialHook.
func (nw *Network) Hook(from int) hub.DialHook {
	return func(ctx context.Context, addr string, dial func(context.Context) (net.Conn, error)) (net.Conn, error) {
		if nw.blocked(from, addr) {
			return nil, fmt.Errorf("dial %s from node %d: %w", addr, from, ErrPartitioned)
		}
		conn, err := dial(ctx)
		if err != nil {
			return nil, err
		}
		nw.mu.Lock()
		defer nw.mu.Unlock()
		if nw.blockedLocked(from, addr) { // a partition came while dialing
			nw.denied++
			_ = conn.Close()
			return nil, fmt.Errorf("dial %s from node %d: %w", addr, from, ErrPartitioned)
		}
		lc := &linkConn{Conn: conn, nw: nw, from: from, addr: addr}
		nw.conns[lc] = struct{}{}
		return lc, nil
	}
}

func (nw *Network) blocked(from int, addr string) bool {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if nw.blockedLocked(from, addr) {
		nw.denied++
		return true
	}
	return false
}

// blockedLocked reports whether from and the owner of addr are on different sides. An address no
// node has registered yet (a node still opening) is never blocked.
func (nw *Network) blockedLocked(from int, addr string) bool {
	to, ok := nw.owner[addr]
	return ok && nw.group[from] != nw.group[to]
}

// Partition splits the nodes: each group given is cut off from every other node; the nodes not
// named in any group stay together. It replaces any earlier partition, then closes every open
// connection that now crosses it.
func (nw *Network) Partition(groups ...[]int) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	nw.group = map[int]int{}
	for g, nodes := range groups {
		for _, n := range nodes {
			nw.group[n] = g + 1
		}
	}
	nw.closeLocked(func(c *linkConn) bool { return nw.blockedLocked(c.from, c.addr) })
}

// Isolate cuts node n off from all the others.
func (nw *Network) Isolate(n int) { nw.Partition([]int{n}) }

// Heal removes every partition. Nodes reconnect by dialing again.
func (nw *Network) Heal() {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	nw.group = map[int]int{}
}

// Drop closes every connection node n dialed or was dialed on, as the operating system does when
// a process dies.
func (nw *Network) Drop(n int) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	nw.closeLocked(func(c *linkConn) bool { return c.from == n || nw.owner[c.addr] == n })
}

func (nw *Network) closeLocked(match func(*linkConn) bool) {
	for c := range nw.conns {
		if match(c) {
			delete(nw.conns, c)
			nw.cut++
			_ = c.Conn.Close()
		}
	}
}

// DropAll closes every connection the Network tracks.
func (nw *Network) DropAll() {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	nw.closeLocked(func(*linkConn) bool { return true })
}

// Open lists the open connections node n dialed or was dialed on, as "from→to" pairs.
func (nw *Network) Open(n int) []string {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	var out []string
	for c := range nw.conns {
		if to := nw.owner[c.addr]; c.from == n || to == n {
			out = append(out, fmt.Sprintf("%d→%d", c.from, to))
		}
	}
	slices.Sort(out)
	return out
}

// Stats reports how many dials the partitions refused, how many open connections were cut, and
// how many connections are open now.
func (nw *Network) Stats() (denied, cut, open int) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	return nw.denied, nw.cut, len(nw.conns)
}

// linkConn is a connection the Network tracks until it is closed.
type linkConn struct {
	net.Conn
	nw   *Network
	from int
	addr string
}

func (c *linkConn) Close() error {
	c.nw.mu.Lock()
	delete(c.nw.conns, c)
	c.nw.mu.Unlock()
	return c.Conn.Close()
}
