package cluster

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"
)

// TestMain fails the package if goroutines the clusters started are still running after every
// test has cleaned up (the nodes, their connections, the loads and readers).
func TestMain(m *testing.M) {
	before := runtime.NumGoroutine()
	code := m.Run()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		fmt.Fprintf(os.Stderr, "%d goroutines left behind (%d at start):\n", n-before, before)
		_ = pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}
