package main

import (
	"bytes"
	"context"
	"github.com/sealhub/sealhub/federation/transport"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lineWriter is an io.Writer safe for concurrent use that also hands every complete line to a
// channel, so a test can wait for a line without polling.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	part  []byte
	lines chan string
}

func newLineWriter() *lineWriter { return &lineWriter{lines: make(chan string, 1024)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.part = append(w.part, p...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		select {
		case w.lines <- string(w.part[:i]):
		default:
		}
		w.part = w.part[i+1:]
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// waitLine waits for a line matching re.
func (w *lineWriter) waitLine(t *testing.T, re *regexp.Regexp, timeout time.Duration, done <-chan error) []string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l := <-w.lines:
			if m := re.FindStringSubmatch(l); m != nil {
				return m
			}
		case err := <-done:
			t.Fatalf("the command ended: %v", err)
		case <-deadline:
			t.Fatalf("no line matching %s within %s", re, timeout)
		}
	}
}

var servingRe = regexp.MustCompile(`node (\S+) serving the API at (http://\S+)`)

func TestServerCommandRunsAndStops(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if code, out, errOut := runEnv(context.Background(), nil, "keygen", filepath.Join(dir, "admin")); code != 0 {
		t.Fatalf("keygen: %s %s", out, errOut)
	}
	cfg := filepath.Join(dir, "server.json")
	if err := os.WriteFile(cfg, []byte(`{
  "node_id": "hub-file",
  "data_dir": "data",
  "raft_addr": "127.0.0.1:0",
  "http_addr": "127.0.0.1:0",
  "bootstrap": true,
  "admin_keys": ["admin.pub"],
  "log_format": "json",
  "raft": {"heartbeat_timeout": "500ms", "election_timeout": "500ms", "leader_lease_timeout": "250ms"}
}`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := newLineWriter(), newLineWriter()
	done := make(chan error, 1)
	go func() {
		// Flags override the file: the node id and the log format.
		done <- run(ctx, []string{"server", "--config", cfg, "--node-id", "hub-flag", "--log-format", "text"},
			func(string) string { return "" }, stdout, stderr)
	}()
	m := stdout.waitLine(t, servingRe, 30*time.Second, done)
	if m[1] != "hub-flag" {
		t.Errorf("node id %s, want the flag's", m[1])
	}
	url := m[2]
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("readyz %d", resp.StatusCode)
	}
	// The administrator key from the file (a path relative to it) was written into the trust list.
	vars := map[string]string{envServer: url}
	if code, out, errOut := runEnv(context.Background(), vars, "admin", "--key", filepath.Join(dir, "admin.key"), "registry", "create",
		"--id", "37", "--name", "山东省", "--kind", "province", "--jurisdiction", "37", "--add-key", filepath.Join(dir, "admin.pub")); code != 0 {
		t.Fatalf("admin: exit %d %s %s", code, out, errOut)
	}
	if code, _, _ := runEnv(context.Background(), vars, "status", "37010200000001"); code != exitRejected {
		t.Errorf("status of an unknown seal: exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "raft")); err != nil {
		t.Errorf("data_dir is not relative to the config file: %v", err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("server: %v\n%s", err, stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop")
	}
	logs := stderr.String()
	for _, want := range []string{"level=INFO", "shutting down", "msg=stopped"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

func TestServerExampleConfig(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "server.example.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "server.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// It names admin.pub beside it.
	if code, _, errOut := runEnv(context.Background(), nil, "keygen", filepath.Join(dir, "admin")); code != 0 {
		t.Fatal(errOut)
	}
	// And the cluster TLS files under tls/.
	caCert, caKey, err := transport.NewCA("test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	nodeCert, nodeKey, err := transport.IssueNode(caCert, caKey, "hub-1", []string{"127.0.0.1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_ = os.MkdirAll(filepath.Join(dir, "tls"), 0o700)
	for name, data := range map[string][]byte{"ca.crt": caCert, "hub-1.crt": nodeCert, "hub-1.key": nodeKey} {
		if err := os.WriteFile(filepath.Join(dir, "tls", name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// And the adapters' secrets, in a file and in the environment.
	_ = os.MkdirAll(filepath.Join(dir, "secrets"), 0o700)
	if err := os.WriteFile(filepath.Join(dir, "secrets", "shandong.secret"), []byte("s3cr3t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := defaultServerConfig()
	if err := loadServerConfig(path, &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "adapters.credentials.jiangsu-soap.password: environment variable SEALHUB_JIANGSU_PASSWORD is not set") {
		t.Fatalf("without the environment variable: %v", err)
	}
	t.Setenv("SEALHUB_JIANGSU_PASSWORD", "pw")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	hc, err := cfg.hubConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c := hc.Adapters.Credentials; c["shandong-rest"]["app_secret"] != "s3cr3t" || c["jiangsu-soap"]["password"] != "pw" ||
		c["shandong-rest"]["app_key"] != "sealhub-hub-1" || hc.Adapters.Options.TTL != 30*time.Second || hc.Adapters.Options.Failures != 5 {
		t.Errorf("adapters %+v", hc.Adapters)
	}
	if hc.NodeID != "hub-1" || len(hc.AdminKeys) != 1 || hc.MaxPushAge != 24*time.Hour || hc.Raft.SnapshotThreshold != 8192 ||
		hc.Raft.LeaderLeaseTimeout != 500*time.Millisecond || !hc.Bootstrap || hc.TLS == nil || len(hc.Join) != 2 ||
		hc.MaxStale != 5*time.Second || hc.StaleReads != "refuse" || hc.Autopilot.StabilizationTime != 10*time.Second {
		t.Errorf("%+v", hc)
	}
}

func TestServerConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := map[string]struct {
		config string
		flags  []string
		want   []string
	}{
		"unknown field":        {`{"node_id":"a","dta_dir":"x"}`, nil, []string{`unknown field "dta_dir"`}},
		"unknown raft field":   {`{"raft":{"snapshots":1}}`, nil, []string{`unknown field "snapshots"`}},
		"wrong type":           {`{"node_id":"a","data_dir":5}`, nil, []string{"field data_dir", "want string"}},
		"syntax":               {"{\n\"node_id\": \"a\",\n}", nil, []string{"line 3"}},
		"trailing data":        {`{"node_id":"a"} {}`, nil, []string{"trailing data"}},
		"not an object":        {`[]`, nil, []string{"want a JSON object, got JSON array"}},
		"every problem listed": {`{"max_push_age":"1 day","log_format":"xml","http_addr":"localhost","raft":{"election_timeout":"soon","max_pool":-1}}`, nil, []string{"node_id is required", "data_dir is required", "max_push_age", "log_format", "http_addr", "raft.election_timeout", "raft.max_pool"}},
		"missing admin key":    {`{"node_id":"a","data_dir":"d","admin_keys":["nope.pub"]}`, nil, []string{"admin_keys[0]", "nope.pub"}},
		"raft rules":           {`{"node_id":"a","data_dir":"d","raft_addr":"0.0.0.0:7000"}`, nil, []string{"raft:", "AdvertiseAddr"}},
		"flags override":       {`{"node_id":"a","max_push_age":"1h"}`, []string{"--data-dir", dir, "--max-push-age", "bogus", "--log-level", "loud"}, []string{"max_push_age: \"bogus\"", "log_level"}},
		"no config, no flags":  {"", nil, []string{"node_id is required", "data_dir is required"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			args := []string{"server"}
			if tc.config != "" {
				args = append(args, "--config", write(strings.ReplaceAll(name, " ", "_")+".json", tc.config))
			}
			code, out, errOut := runEnv(context.Background(), nil, append(args, tc.flags...)...)
			if code != exitUsage {
				t.Fatalf("exit %d: %s %s", code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if name == "flags override" && strings.Contains(errOut, "data_dir") {
				t.Errorf("--data-dir did not count:\n%s", errOut)
			}
		})
	}
}
