package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
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

// TestDevRunsASeededHub runs `sealhub dev` in-process without its simulated regions (TestDevRegions
// runs them), checks the seeded hub over HTTP, and stops it by cancelling its context.
func TestDevRunsASeededHub(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"dev", "--http", "127.0.0.1:0", "--seals", "50", "--regions=false"}, func(string) string { return "" }, &out, &errOut)
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
		"a zero max age":    {"dev", "--region-max-age", "0s"},
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

var (
	devRegionRe = regexp.MustCompile(`(?m)^  (?:regions)? +(\d+) \S+  (\S+), (live|sync) +(http://\S+)  pid (\d+)  log `)
	devVerifyRe = regexp.MustCompile(`(?m)^  sealhub verify seal --server \S+ (\S+\.esl)   # region (\d+),`)
)

// devVerdict is what POST /v1/verify/seal answered, and how long it took.
type devVerdict struct {
	Result    string `json:"result"`
	Reason    string `json:"reason"`
	StatusNow *struct {
		Status string `json:"status"`
		Stale  bool   `json:"stale"`
	} `json:"status_now"`
	DataAge *struct {
		Millis int64 `json:"ms"`
	} `json:"data_age"`
	took time.Duration
}

// verifySealFile posts a seal file to the hub's online verification.
func verifySealFile(t *testing.T, url, path string) devVerdict {
	t.Helper()
	der, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp, err := http.Post(url+"/v1/verify/seal", "application/octet-stream", bytes.NewReader(der))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v devVerdict
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/verify/seal: %s %v", resp.Status, err)
	}
	v.took = time.Since(start)
	return v
}

// TestDevRegions runs `sealhub dev` with its simulated regions (the fakeregion command, built from
// this module): a seal of the live region 44 and, once its list is synced, of the sync region 32
// verify valid; when region 44 stops answering (faults) and region 32 is killed, their seals verify
// indeterminate REGION_UNAVAILABLE within the request deadline, with the last status stale and its
// age — never valid; on exit no region process is left.
func TestDevRegions(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go tool is not on PATH, so sealhub dev cannot build its region simulator")
	}
	const requestDeadline = 10 * time.Second // resolver/httpapi's default
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"dev", "--http", "127.0.0.1:0", "--seals", "20", "--region-max-age", "3s"}, func(string) string { return "" }, &out, &errOut)
	}()
	waitFor(t, "the summary", done, func() bool { return strings.Contains(out.String(), "Ctrl-C stops the hub.") })
	stdout := out.String()
	if strings.Contains(errOut.String(), "WARNING") {
		t.Fatalf("dev ran without its regions:\n%s", errOut.String())
	}
	url := devURLRe.FindStringSubmatch(stdout)[1]
	type region struct {
		kind, mode, url, seal string
		pid                   int
	}
	regions := map[string]*region{}
	for _, m := range devRegionRe.FindAllStringSubmatch(stdout, -1) {
		pid, _ := strconv.Atoi(m[5])
		regions[m[1]] = &region{kind: m[2], mode: m[3], url: m[4], pid: pid}
	}
	for _, m := range devVerifyRe.FindAllStringSubmatch(stdout, -1) {
		if r := regions[m[2]]; r != nil {
			r.seal = m[1]
		}
	}
	r44, r32 := regions["44"], regions["32"]
	if r44 == nil || r32 == nil || r44.kind != "rest" || r44.mode != "live" || r32.kind != "crl" || r32.mode != "sync" || r44.seal == "" || r32.seal == "" {
		t.Fatalf("regions %+v %+v in:\n%s", r44, r32, stdout)
	}
	if !strings.Contains(stdout, url+"/v1/registries/44") || !strings.Contains(stdout, r44.url+"/_sim/faults") {
		t.Errorf("the summary lacks the registry or the way to stop a region:\n%s", stdout)
	}

	if v := verifySealFile(t, url, r44.seal); v.Result != "valid" {
		t.Fatalf("region 44's seal: %+v", v)
	}
	waitFor(t, "region 32's seal valid once its list is synced", done, func() bool { return verifySealFile(t, url, r32.seal).Result == "valid" })

	// A region that stops: indeterminate within the deadline, the last status stale, never valid.
	stopped := func(what, seal string) {
		t.Helper()
		var v devVerdict
		waitFor(t, what, done, func() bool {
			v = verifySealFile(t, url, seal)
			if v.took > requestDeadline {
				t.Fatalf("%s: answered in %s, beyond the request deadline", what, v.took)
			}
			return v.Result != "valid"
		})
		for i := 0; ; i++ {
			if v.Result != "indeterminate" || v.Reason != "REGION_UNAVAILABLE" || v.StatusNow == nil || !v.StatusNow.Stale ||
				v.StatusNow.Status != "valid" || v.DataAge == nil || v.DataAge.Millis <= 0 {
				t.Fatalf("%s: %+v (status_now %+v, data_age %+v)", what, v, v.StatusNow, v.DataAge)
			}
			if i == 2 {
				break
			}
			v = verifySealFile(t, url, seal)
		}
	}
	req, _ := http.NewRequest(http.MethodPut, r44.url+"/_sim/faults", strings.NewReader(`{"error_rate":1}`))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT faults: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	stopped("region 44 failing", r44.seal)
	if p, err := os.FindProcess(r32.pid); err != nil || p.Kill() != nil {
		t.Fatalf("killing region 32 (pid %d): %v", r32.pid, err)
	}
	stopped("region 32 killed, past its max_age", r32.seal)

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("dev ended with %v\nstderr: %s", err, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("dev did not stop within 30 s of the cancel")
	}
	for id, r := range regions {
		if p, err := os.FindProcess(r.pid); err == nil && p.Signal(syscall.Signal(0)) == nil {
			t.Errorf("region %s (pid %d) is still running", id, r.pid)
		}
	}
}
