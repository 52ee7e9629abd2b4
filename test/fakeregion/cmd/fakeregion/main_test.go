package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/adapters/crl"
	"github.com/sealhub/sealhub/test/fakeregion"
	"github.com/sealhub/sealhub/trustlist"
)

// build compiles the command into a temporary directory.
func build(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH: cannot build the command")
	}
	bin := filepath.Join(t.TempDir(), "fakeregion")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// start runs the command and reads its ready line.
func start(t *testing.T, bin string, args ...string) (*exec.Cmd, fakeregion.Info, <-chan error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-done
		}
	})
	var r fakeregion.Info
	if err != nil || json.Unmarshal(line, &r) != nil {
		t.Fatalf("ready line %q: %v\nstderr: %s", line, err, stderr.String())
	}
	return cmd, r, done
}

// The command prints one JSON line with everything a sealhub node needs, serves the region and its
// control API with the seals of --seals, keeps its signing key in --key, and stops on SIGTERM.
func TestCommand(t *testing.T) {
	bin := build(t)
	dir := t.TempDir()
	seals := filepath.Join(dir, "seals.json")
	if err := os.WriteFile(seals, []byte(`[{"code":"32010200000001","status":"valid","name":"南京市玄武区人民政府","type":1,
		"valid_start":"2024-01-01T00:00:00+08:00","valid_end":"2029-01-01T00:00:00+08:00"},
		{"code":"32010200000002","status":"revoked","effective_at":"2025-02-01T10:00:00+08:00"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "region.key")
	cmd, r, done := start(t, bin, "--kind", "crl", "--region", "32", "--seed", "3", "--latency", "1ms", "--key", key, "--seals", seals)
	if r.Kind != "crl" || r.Region != "32" || r.CredentialsName != "32" || r.Credentials["api_key"] == "" {
		t.Fatalf("ready line %+v", r)
	}
	var cfg struct {
		Kind, Endpoint, Credentials string
		PublicKeys                  map[string]string `json:"public_keys"`
	}
	if err := json.Unmarshal(r.Adapter, &cfg); err != nil || cfg.Kind != "crl" || cfg.Endpoint != r.URL || cfg.Credentials != "32" || len(cfg.PublicKeys) != 1 {
		t.Fatalf("adapter %s: %v", r.Adapter, err)
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}

	// The adapter configuration and credentials read the region.
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	s := &adapters.Sources{Kinds: map[string]adapters.Kind{crl.KindName: crl.Kind(hc)},
		Credentials: map[string]adapters.Credentials{r.CredentialsName: r.Credentials}}
	src, err := s.Source(&trustlist.Registry{ID: "32", Mode: trustlist.ModeLive, Adapter: r.Adapter})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := src.Status(context.Background(), "32010200000002"); err != nil || rep.Status != trustlist.StatusRevoked {
		t.Fatalf("status: %+v %v", rep, err)
	}
	resp, err := http.Get(r.URL + "/_sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	var stats struct{ Calls, Seals int }
	err = json.NewDecoder(resp.Body).Decode(&stats)
	resp.Body.Close()
	if err != nil || stats.Seals != 2 || stats.Calls < 1 {
		t.Fatalf("stats %+v %v", stats, err)
	}

	// SIGTERM: a clean exit.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still running 10 s after SIGTERM")
	}

	// The key is kept: a second run signs with it.
	_, again, _ := start(t, bin, "--kind", "crl", "--region", "32", "--key", key, "--credentials-name", "jiangsu")
	var cfg2 struct {
		Credentials string
		PublicKeys  map[string]string `json:"public_keys"`
	}
	if err := json.Unmarshal(again.Adapter, &cfg2); err != nil || cfg2.Credentials != "jiangsu" || again.CredentialsName != "jiangsu" {
		t.Fatalf("second run: %s %v", again.Adapter, err)
	}
	for id := range cfg.PublicKeys {
		if cfg2.PublicKeys[id] != cfg.PublicKeys[id] {
			t.Errorf("the second run signs with another key: %v", cfg2.PublicKeys)
		}
	}
}

func TestCommandUsage(t *testing.T) {
	bin := build(t)
	for name, args := range map[string][]string{
		"no region":     {"--kind", "rest"},
		"unknown flag":  {"--kind", "rest", "--region", "44", "--frobnicate"},
		"rate above 1":  {"--kind", "rest", "--region", "44", "--error-rate", "2"},
		"an argument":   {"--kind", "rest", "--region", "44", "extra"},
		"unknown kind":  {"--kind", "fax", "--region", "44"},
		"missing seals": {"--kind", "rest", "--region", "44", "--seals", "/nonexistent/seals.json"},
	} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(bin, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() == 0 || stdout.Len() != 0 || stderr.Len() == 0 {
				t.Errorf("%v; stdout %q; stderr %q", err, stdout.String(), stderr.String())
			}
		})
	}
}
