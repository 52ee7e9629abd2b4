package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTLSInitConfigLines starts a node from the server configuration `sealhub tls init` prints for
// it ("Server configuration (JSON) of each node"), pasted into a config file as it is.
func TestTLSInitConfigLines(t *testing.T) {
	bin := sealhubBinary(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	c := newCluster(ctx, t, bin, 1)
	n := c.nodes[0]

	var printed string
	for line := range strings.Lines(c.tlsInit) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), n.id+": "); ok {
			printed = rest
		}
	}
	if printed == "" {
		t.Fatalf("no configuration line for %s in:\n%s", n.id, c.tlsInit)
	}
	cfg := filepath.Join(c.dir, "printed.json")
	if err := os.WriteFile(cfg, []byte("{"+printed+"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n.args = []string{"--config", cfg, "--node-id", n.id, "--data-dir", filepath.Join(c.dir, n.id),
		"--raft-addr", n.raftAddr, "--http-addr", n.httpAddr, "--bootstrap", "--log-format", "text"}
	must(t, n.start())
	if err := c.waitReady(ctx, n); err != nil {
		t.Fatalf("a node configured with the lines tls init printed (%s): %v", printed, err)
	}
	if code, err := n.terminate(15 * time.Second); err != nil || code != 0 {
		t.Errorf("SIGTERM: exit code %d, %v", code, err)
	}
}
