package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/internal/hub"
	"github.com/sealhub/sealhub/test/fakeregion"
	"github.com/sealhub/sealhub/test/hubtest"
)

// `sealhub dev seed` against a running node and one simulated region of each kind: the demo data
// and the regions' registries are filed, the seals of every region verify valid through the node
// (live ones asked, sync ones read into the log), and a second run changes nothing.
func TestDevSeed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a hub and four regions")
	}
	dir := t.TempDir()
	prefix := filepath.Join(dir, "admin")
	if code, _, errOut := runCLI(t, "keygen", "--out", prefix); code != 0 {
		t.Fatal(errOut)
	}
	adminPub, err := os.ReadFile(prefix + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	creds := map[string]adapters.Credentials{}
	var regionURLs []string
	for _, r := range []struct{ kind, id string }{{"rest", "44"}, {"soap", "35"}, {"signed-json", "33"}, {"crl", "32"}} {
		sim, err := fakeregion.NewSimulator(fakeregion.Spec{Kind: r.kind, Region: r.id, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		creds[r.id] = sim.Credentials()
		regionURLs = append(regionURLs, "--region", srv.URL)
	}
	h := hubtest.Open(t, hub.Config{NodeID: "n1", Bootstrap: true, AdminKeys: []string{string(adminPub)},
		Adapters: hub.AdapterConfig{Credentials: creds}}, 20*time.Second)
	out := filepath.Join(dir, "demo")
	args := append([]string{"dev", "seed", "--server", h.URL(), "--admin-key", prefix + ".key", "--out", out, "--seals", "40",
		"--region-max-age", "1m", "--wait", "30s"}, regionURLs...)
	code, stdout, stderr := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"filed 40 demo seals", "region 44 广东省: rest, live", "region 35 福建省: soap, live",
		"region 33 浙江省: signed-json, sync", "region 32 江苏省: crl, sync", "sealhub push --server"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	for _, id := range []string{"44", "35", "33", "32"} {
		code := id[:2] + map[string]string{"44": "0106", "35": "0102", "33": "0106", "32": "0102"}[id] + "90000001"
		esl := filepath.Join(out, "seals", code+".esl")
		waitValid(t, h.URL(), esl)
	}
	var marker map[string]any
	if data, err := os.ReadFile(filepath.Join(out, devSeedMarker)); err != nil || json.Unmarshal(data, &marker) != nil || marker["seals"] != float64(40) {
		t.Fatalf("marker: %v %v", err, marker)
	}
	head := registryHead(t, h.URL(), "37")
	if head < 1 {
		t.Fatalf("registry 37 head %v after seeding", head)
	}
	if code, stdout, _ := runCLI(t, args...); code != 0 || !strings.Contains(stdout, "already seeded") {
		t.Fatalf("second run: exit %d, %q", code, stdout)
	}
	if got := registryHead(t, h.URL(), "37"); got != head {
		t.Errorf("the second run pushed: head %v, was %v", got, head)
	}
	for _, id := range []string{"33", "32"} { // --region-max-age reached the sync regions' adapters
		if got := registryField(t, h.URL(), id, "adapter", "max_age"); got != "1m0s" {
			t.Errorf("registry %s: max_age %v, want 1m0s", id, got)
		}
	}
	if err := os.Remove(filepath.Join(out, devSeedMarker)); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, args...); code != exitUsage || !strings.Contains(errOut, "already holds registry 37") {
		t.Errorf("a seeded cluster without the marker: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "dev", "seed", "--server", h.URL(), "--admin-key", prefix+".key", "--out", filepath.Join(dir, "other"),
		"--region", "http://127.0.0.1:1", "--wait", "1s"); code == 0 || !strings.Contains(errOut, "does not answer") {
		t.Errorf("a region that does not answer: exit %d, %q", code, errOut)
	}
}

// waitValid verifies a seal file through the node until it is valid (a sync region's seals reach
// the log within its poll), failing after 10 s.
func waitValid(t *testing.T, url, esl string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, out, errOut := runCLI(t, "verify", "seal", "--server", url, esl)
		if code == exitValid {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: exit %d\n%s%s", filepath.Base(esl), code, out, errOut)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func registryHead(t *testing.T, url, id string) float64 {
	t.Helper()
	seq, _ := registryField(t, url, id, "head", "seq").(float64)
	return seq
}

// registryField reads GET /v1/registries/{id} and returns the value at path.
func registryField(t *testing.T, url, id string, path ...string) any {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url+"/v1/registries/"+id, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}
