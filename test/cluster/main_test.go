package cluster

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"
)

// TestMain fails the package if goroutines the clusters started are still running after every
// test has cleaned up (the nodes, their connections, the loads and readers).
//
// One kind is expected and not counted: federation.Node.wait's helper blocked on a raft future that
// was queued (Apply, Barrier) when raft shut down. hashicorp/raft never answers futures still in its
// buffered queues at shutdown; Node.wait itself returns on close, and the helper only holds the
// future.
func TestMain(m *testing.M) {
	before := len(liveGoroutines())
	code := m.Run()
	deadline := time.Now().Add(10 * time.Second)
	left := liveGoroutines()
	for len(left) > before && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		left = liveGoroutines()
	}
	if len(left) > before {
		fmt.Fprintf(os.Stderr, "%d goroutines left behind (%d at start):\n\n%s\n", len(left)-before, before, bytes.Join(left, []byte("\n\n")))
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// liveGoroutines are the stacks of every goroutine but the expected raft-future waiters.
func liveGoroutines() [][]byte {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out [][]byte
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("federation.(*Node).wait.func1")) && bytes.Contains(g, []byte("hashicorp/raft.(*deferError).Error")) {
			continue
		}
		out = append(out, g)
	}
	return out
}
