// Package hubtest opens sealhub nodes for tests: each is closed when its test ends and ready when
// returned, so a test starts from a node that serves.
package hubtest

import (
	"context"
	"testing"
	"time"

	"github.com/sealhub/sealhub/internal/hub"
)

// Open opens a node with cfg (a temporary data dir when cfg has none; hub.Open already picks
// loopback ports), closes it when the test ends (within 10 s, an error otherwise) and waits up to
// ready for it to serve.
func Open(tb testing.TB, cfg hub.Config, ready time.Duration) *hub.Hub {
	tb.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = tb.TempDir()
	}
	h, err := hub.Open(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Close(ctx); err != nil {
			tb.Errorf("close node %s: %v", h.ID(), err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), ready)
	defer cancel()
	if err := h.WaitReady(ctx); err != nil {
		tb.Fatal(err)
	}
	return h
}
