package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The provisioning flags a compose file or an init container runs on every start: the first run
// writes, later runs keep every byte, half a pair is an error, and --force contradicts them.
func TestKeepExisting(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "admin")
	if code, _, errOut := runCLI(t, "keygen", "--out", prefix, "--keep-existing"); code != 0 {
		t.Fatalf("first keygen: exit %d: %s", code, errOut)
	}
	key := tlsMustRead(t, prefix+".key")
	code, out, _ := runCLI(t, "keygen", "--out", prefix, "--keep-existing")
	if code != 0 || !strings.Contains(out, "kept") || !bytes.Equal(key, tlsMustRead(t, prefix+".key")) {
		t.Fatalf("second keygen: exit %d, %q; the key must be kept", code, out)
	}
	if code, _, _ := runCLI(t, "keygen", "--out", prefix, "--keep-existing", "--force"); code != exitUsage {
		t.Errorf("--force with --keep-existing: exit %d", code)
	}
	if err := os.Remove(prefix + ".pub"); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "keygen", "--out", prefix, "--keep-existing"); code != exitUsage || !strings.Contains(errOut, "only one of") {
		t.Errorf("half a pair: exit %d, %q", code, errOut)
	}

	tlsDir := filepath.Join(dir, "tls")
	args := []string{"tls", "init", "--dir", tlsDir, "--keep-existing", "--node", "hub-1=hub-1.cluster", "--node", "hub-2"}
	if code, _, errOut := runCLI(t, args...); code != 0 {
		t.Fatalf("first tls init: exit %d: %s", code, errOut)
	}
	ca, node := tlsMustRead(t, filepath.Join(tlsDir, "ca.crt")), tlsMustRead(t, filepath.Join(tlsDir, "hub-1.key"))
	code, out, errOut := runCLI(t, append(args, "--node", "hub-3")...)
	if code != 0 || !strings.Contains(out, "kept") || !strings.Contains(out, "hub-3.crt") {
		t.Fatalf("second tls init with a new node: exit %d: %s %s", code, out, errOut)
	}
	if !bytes.Equal(ca, tlsMustRead(t, filepath.Join(tlsDir, "ca.crt"))) || !bytes.Equal(node, tlsMustRead(t, filepath.Join(tlsDir, "hub-1.key"))) {
		t.Fatal("--keep-existing replaced the CA or a node's key")
	}
	if got := tlsReadCert(t, filepath.Join(tlsDir, "hub-3.crt")); got.CheckSignatureFrom(tlsReadCert(t, filepath.Join(tlsDir, "ca.crt"))) != nil {
		t.Error("the added node's certificate is not from the kept CA")
	}
	if code, out, _ := runCLI(t, args...); code != 0 || strings.Contains(out, "wrote") {
		t.Errorf("third run: exit %d, %q: nothing to write", code, out)
	}
	if err := os.Remove(filepath.Join(tlsDir, "hub-2.key")); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, args...); code != exitUsage || !strings.Contains(errOut, "only one of") {
		t.Errorf("half a pair: exit %d, %q", code, errOut)
	}
	if code, _, _ := runCLI(t, append(args, "--force")...); code != exitUsage {
		t.Errorf("--force with --keep-existing: exit %d", code)
	}
}

func TestHealth(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"ready":true}`))
	}))
	defer srv.Close()
	if code, out, _ := runCLI(t, "health", "--url", srv.URL); code != 0 || !strings.Contains(out, "healthy: 200") {
		t.Errorf("200: exit %d, %q", code, out)
	}
	status = http.StatusServiceUnavailable
	if code, _, errOut := runCLI(t, "health", "--url", srv.URL); code != 1 || !strings.Contains(errOut, "unhealthy: 503") {
		t.Errorf("503: exit %d, %q", code, errOut)
	}
	url := srv.URL
	srv.Close()
	if code, _, errOut := runCLI(t, "health", "--url", url, "--timeout", "1s"); code != 1 || !strings.Contains(errOut, "unhealthy") {
		t.Errorf("no server: exit %d, %q", code, errOut)
	}
	for _, bad := range [][]string{{"--url", "ftp://x"}, {"--url", "http://"}, {"--timeout", "0s"}} {
		if code, _, _ := runCLI(t, append([]string{"health"}, bad...)...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", bad, code, exitUsage)
		}
	}
}

// bootstrap_node makes the same settings bootstrap one node only; with bootstrap it is refused.
func TestBootstrapNode(t *testing.T) {
	for id, want := range map[string]bool{"hub-1": true, "hub-2": false} {
		cfg := defaultServerConfig()
		cfg.NodeID, cfg.DataDir, cfg.BootstrapNode = id, t.TempDir(), "hub-1"
		hc, err := cfg.hubConfig()
		if err != nil {
			t.Fatal(err)
		}
		if hc.Bootstrap != want {
			t.Errorf("%s: bootstrap %v, want %v", id, hc.Bootstrap, want)
		}
	}
	cfg := defaultServerConfig()
	cfg.NodeID, cfg.DataDir, cfg.BootstrapNode, cfg.Bootstrap = "hub-1", t.TempDir(), "hub-1", true
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "bootstrap_node") {
		t.Errorf("bootstrap and bootstrap_node together: %v", err)
	}
}

// The compose file's server configuration is one `sealhub server` accepts (strictly decoded, so a
// misspelt field fails here rather than in a container).
func TestComposeServerConfig(t *testing.T) {
	cfg := defaultServerConfig()
	if err := loadServerConfig(filepath.Join("..", "..", "deploy", "compose", "sealhub.json"), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.BootstrapNode != "hub-1" || len(cfg.Join) != 3 || len(cfg.Adapters.Credentials) != 4 {
		t.Errorf("%+v", cfg)
	}
}
