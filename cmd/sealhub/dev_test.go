package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealhub/sealhub/internal/demo/seed"
	"github.com/sealhub/sealhub/trustlist"
)

// syncBuffer is an output buffer the command writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls cond every 20 ms until it holds, the command ends or the deadline passes.
func waitFor(t *testing.T, what string, done <-chan error, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case err := <-done:
			t.Fatalf("waiting for %s: the command ended: %v", what, err)
		case <-deadline.C:
			t.Fatalf("waiting for %s: deadline passed", what)
		case <-tick.C:
		}
	}
}

var (
	devURLRe = regexp.MustCompile(`(?m)^  URL +(http://\S+)$`)
	devDirRe = regexp.MustCompile(`(?m)^  data dir +(\S+)  \(removed on exit`)
	devAtRe  = regexp.MustCompile(`curl -s '(http://\S+)/v1/seals/(\d+)\?at=(\S+)'`)
)

// getSeal reads GET /v1/seals/{code}[?at=] into its status.
func getSeal(t *testing.T, url, code, at string) trustlist.Status {
	t.Helper()
	path := url + "/v1/seals/" + code
	if at != "" {
		path += "?at=" + at
	}
	resp, err := http.Get(path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Status trustlist.StatusView `json:"status"`
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body.Status.Status
}

// TestDevRunsASeededHub runs `sealhub dev` in-process, checks the seeded hub over HTTP, and stops
// it by cancelling its context.
func TestDevRunsASeededHub(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"dev", "--http", "127.0.0.1:0", "--seals", "50"}, func(string) string { return "" }, &out, &errOut)
	}()
	var url string
	waitFor(t, "the summary with the URL", done, func() bool {
		stdout := out.String()
		m := devURLRe.FindStringSubmatch(stdout)
		if m != nil {
			url = m[1]
		}
		return m != nil && strings.Contains(stdout, "Ctrl-C stops the hub.")
	})
	waitFor(t, "/readyz", done, func() bool {
		resp, err := http.Get(url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	stdout := out.String()
	dir := devDirRe.FindStringSubmatch(stdout)
	if dir == nil {
		t.Fatalf("no temporary data dir in:\n%s", stdout)
	}

	// The example: a suspended seal, valid at the printed time before its suspension.
	m := devAtRe.FindStringSubmatch(stdout)
	if m == nil || m[1] != url {
		t.Fatalf("no curl example in:\n%s", stdout)
	}
	if got := getSeal(t, url, m[2], m[3]); got != trustlist.StatusValid {
		t.Errorf("seal %s at %s: %s, want valid", m[2], m[3], got)
	}
	if got := getSeal(t, url, m[2], ""); got != trustlist.StatusSuspended {
		t.Errorf("seal %s now: %s, want suspended", m[2], got)
	}

	// One seal of every state, as the same plan gives them.
	plan, err := seed.Plan(seed.Options{Seals: 50})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Codes(seed.StateSuspended)[0] != m[2] {
		t.Errorf("the example seal %s is not the plan's first suspended seal", m[2])
	}
	for _, st := range seed.States {
		v := plan.Seal(plan.Codes(st)[0])
		if got, want := getSeal(t, url, v.Code, ""), v.StatusAt(time.Now()); got != want {
			t.Errorf("%s seal %s: %s, want %s", st, v.Code, got, want)
		}
	}

	// The files: keys, and a seal file that verifies offline against the written CA certificates.
	for _, name := range []string{"admin.key", "admin.pub", "registry-37.key", "registry-37.pub", "registry-tax.key", "registry-tax.pub", "dev-ledger.csv"} {
		if _, err := os.Stat(filepath.Join(dir[1], name)); err != nil {
			t.Error(err)
		}
	}
	if v := validDERSeal(plan); v == nil {
		t.Error("no valid seal filed from DER")
	} else {
		esl := filepath.Join(dir[1], "seals", v.Code+".esl")
		if code, vout, verr := runCLI(t, "verify", "seal", "--roots", filepath.Join(dir[1], "roots"), "--intermediates", filepath.Join(dir[1], "intermediates"),
			"--makers", filepath.Join(dir[1], "makers"), esl); code != exitValid {
			t.Errorf("verify %s: exit %d\n%s%s", esl, code, vout, verr)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("dev ended with %v\nstderr: %s", err, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("dev did not stop within 30 s of the cancel")
	}
	if _, err := os.Stat(dir[1]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the temporary data dir %s is still there: %v", dir[1], err)
	}
	if !strings.Contains(out.String(), "sealhub dev: stopped") {
		t.Errorf("no stop notice in:\n%s", out.String())
	}
}

func TestDevUsageErrors(t *testing.T) {
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]string{
		"too few seals":     {"dev", "--seals", "5"},
		"too many seals":    {"dev", "--seals", "2000000"},
		"a non-empty --dir": {"dev", "--http", "127.0.0.1:0", "--dir", full},
		"a bad --http":      {"dev", "--http", "nonsense"},
		"an argument":       {"dev", "extra"},
		"an unknown flag":   {"dev", "--frobnicate"},
		"--seals not a num": {"dev", "--seals", "many"},
		"--dir is a file":   {"dev", "--http", "127.0.0.1:0", "--dir", filepath.Join(full, "x")},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := runCLI(t, args...)
			if code != exitUsage || errOut == "" {
				t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
			}
		})
	}
}

func TestDevHTTPAddr(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr, busy, err := devHTTPAddr(ln.Addr().String())
	if err != nil || !busy || addr != "127.0.0.1:0" {
		t.Errorf("busy port: %q %v %v, want 127.0.0.1:0 and busy", addr, busy, err)
	}
	addr, busy, err = devHTTPAddr("127.0.0.1:0")
	if err != nil || busy || addr != "127.0.0.1:0" {
		t.Errorf("free port: %q %v %v", addr, busy, err)
	}
	if _, _, err := devHTTPAddr("nonsense"); err == nil {
		t.Error("a bad address is accepted")
	}
}

func TestDevDataDir(t *testing.T) {
	base := t.TempDir()
	fresh := filepath.Join(base, "new", "data")
	if dir, temp, err := devDataDir(fresh); err != nil || temp || dir != fresh {
		t.Errorf("a new dir: %q %v %v", dir, temp, err)
	}
	if fi, err := os.Stat(fresh); err != nil || !fi.IsDir() {
		t.Errorf("the new dir was not made: %v", err)
	}
	if _, _, err := devDataDir(fresh); err != nil {
		t.Errorf("an empty dir is refused: %v", err)
	}
	if _, _, err := devDataDir(base); err == nil {
		t.Error("a non-empty dir is accepted")
	}
	dir, temp, err := devDataDir("")
	if err != nil || !temp {
		t.Fatalf("a temporary dir: %q %v %v", dir, temp, err)
	}
	os.RemoveAll(dir)
}
