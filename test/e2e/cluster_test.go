package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// serverConfig is the JSON file every node gets with --config: promotion after 1 s of stability
// instead of 10 s, and one round of --join before the bootstrap node founds the cluster.
const serverConfig = `{"join_attempts": 1, "autopilot": {"stabilization_time": "1s"}}`

// cluster is a set of sealhub server processes on loopback, sharing a TLS directory (cluster CA,
// node and operator certificates) and an administrator key.
type cluster struct {
	t        *testing.T
	bin      string
	dir      string
	tlsDir   string
	adminKey string // PEM private key file of the administrator
	tlsInit  string // what `sealhub tls init` printed
	nodes    []*node
	http     *http.Client
}

// newCluster prepares size nodes n1…nN with free ports, certificates and an administrator key.
// n1 may bootstrap; every node lists all the others in --join, so any of them can be restarted
// (on existing raft state --join and --bootstrap are ignored). The processes are killed when the
// test ends, and their output printed if it failed.
func newCluster(ctx context.Context, t *testing.T, bin string, size int) *cluster {
	t.Helper()
	dir := t.TempDir()
	c := &cluster{t: t, bin: bin, dir: dir, tlsDir: filepath.Join(dir, "tls"), adminKey: filepath.Join(dir, "admin.key"),
		http: &http.Client{Timeout: 5 * time.Second}}
	t.Cleanup(c.cleanup)
	addrs, err := freeAddrs(2 * size)
	if err != nil {
		t.Fatal(err)
	}
	tlsArgs := []string{"tls", "init", "--dir", c.tlsDir}
	for i := range size {
		tlsArgs = append(tlsArgs, "--node", fmt.Sprintf("n%d=127.0.0.1", i+1))
	}
	cfg := filepath.Join(dir, "server.json")
	if err := os.WriteFile(cfg, []byte(serverConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	if c.tlsInit, err = c.cli(ctx, tlsArgs...); err != nil {
		t.Fatal(err)
	}
	if _, err := c.cli(ctx, "keygen", "--out", filepath.Join(dir, "admin")); err != nil {
		t.Fatal(err)
	}
	for i := range size {
		n := &node{id: fmt.Sprintf("n%d", i+1), raftAddr: addrs[2*i], httpAddr: addrs[2*i+1], bin: bin, logDir: dir}
		n.args = []string{"--config", cfg, "--node-id", n.id, "--data-dir", filepath.Join(dir, n.id),
			"--raft-addr", n.raftAddr, "--http-addr", n.httpAddr, "--admin-key", filepath.Join(dir, "admin.pub"),
			"--tls-ca", filepath.Join(c.tlsDir, "ca.crt"), "--tls-cert", filepath.Join(c.tlsDir, n.id+".crt"),
			"--tls-key", filepath.Join(c.tlsDir, n.id+".key"), "--log-format", "text"}
		if i == 0 {
			n.args = append(n.args, "--bootstrap")
		}
		for j := range size {
			if j != i {
				n.args = append(n.args, "--join", addrs[2*j])
			}
		}
		c.nodes = append(c.nodes, n)
	}
	return c
}

// cleanup kills what is still running and, if the test failed (or SEALHUB_E2E_LOGS=1), prints
// every node's output.
func (c *cluster) cleanup() {
	for _, n := range c.nodes {
		if n.running() {
			_ = n.kill(10 * time.Second)
		}
	}
	if c.t.Failed() || os.Getenv("SEALHUB_E2E_LOGS") == "1" {
		for _, n := range c.nodes {
			c.t.Logf("===== node %s (%s, cluster port %s)\n%s", n.id, n.url(), n.raftAddr, n.logs(150))
		}
	}
}

// cli runs a sealhub command and returns its stdout; the error carries its stderr.
func (c *cluster) cli(ctx context.Context, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("sealhub %s: %w\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// operatorTLS are the CLI flags that reach a cluster port with the operator certificate.
func (c *cluster) operatorTLS() []string {
	return []string{"--tls-ca", filepath.Join(c.tlsDir, "ca.crt"),
		"--tls-cert", filepath.Join(c.tlsDir, "operator.crt"), "--tls-key", filepath.Join(c.tlsDir, "operator.key")}
}

// registrySpec is a province registry to create: ID (also its jurisdiction), name, and the
// division of the seal codes the load files.
type registrySpec struct{ id, name, division string }

// createRegistries makes a key pair per registry with `sealhub keygen` and creates the registry
// with `sealhub admin registry create` through node via.
func (c *cluster) createRegistries(ctx context.Context, via *node, specs []registrySpec) ([]*registry, error) {
	var regs []*registry
	for _, s := range specs {
		prefix := filepath.Join(c.dir, "reg"+s.id)
		if _, err := c.cli(ctx, "keygen", "--out", prefix); err != nil {
			return nil, err
		}
		if _, err := c.cli(ctx, "admin", "--key", c.adminKey, "--server", via.url(), "registry", "create",
			"--id", s.id, "--name", s.name, "--kind", "province", "--jurisdiction", s.id, "--add-key", prefix+".pub"); err != nil {
			return nil, err
		}
		pem, err := os.ReadFile(prefix + ".key")
		if err != nil {
			return nil, err
		}
		key, err := smcrypto.ParsePrivateKeyPEM(pem)
		if err != nil {
			return nil, err
		}
		regs = append(regs, &registry{id: s.id, name: s.name, division: s.division, key: key})
	}
	return regs, nil
}

// randomNode is any node, running or not: callers find out and move on, as real clients do.
func (c *cluster) randomNode() *node { return c.nodes[rand.IntN(len(c.nodes))] }

// otherNode is a random node other than n.
func (c *cluster) otherNode(n *node) *node {
	for {
		if o := c.randomNode(); o != n || len(c.nodes) == 1 {
			return o
		}
	}
}

// answer is an HTTP answer, read to the end.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// get sends one GET (no retries) to the node's API.
func (c *cluster) get(ctx context.Context, n *node, path string) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.url()+path, nil)
	if err != nil {
		return answer{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, fmt.Errorf("GET %s%s: %w", n.url(), path, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// getJSON GETs path and decodes a 200 answer into out.
func (c *cluster) getJSON(ctx context.Context, n *node, path string, out any) (answer, error) {
	a, err := c.get(ctx, n, path)
	switch {
	case err != nil:
		return a, err
	case a.status != http.StatusOK:
		return a, fmt.Errorf("GET %s%s: %d %s", n.url(), path, a.status, bytes.TrimSpace(a.body))
	}
	if err := json.Unmarshal(a.body, out); err != nil {
		return a, fmt.Errorf("GET %s%s: %w", n.url(), path, err)
	}
	return a, nil
}

// permanent wraps an error that ends a wait at once: polling further cannot help.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// waitFor polls cond every 50 ms until it returns nil or a permanent error, or ctx ends; the error
// then names what was awaited and cond's last complaint.
func waitFor(ctx context.Context, what string, cond func(context.Context) error) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := cond(ctx)
		var p permanent
		switch {
		case err == nil:
			return nil
		case errors.As(err, &p):
			return fmt.Errorf("waiting for %s: %w", what, p.error)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last: %v)", what, ctx.Err(), err)
		case <-tick.C:
		}
	}
}
