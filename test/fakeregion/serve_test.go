package fakeregion_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/adapters/crl"
	"github.com/sealhub/sealhub/adapters/rest"
	"github.com/sealhub/sealhub/adapters/signedjson"
	"github.com/sealhub/sealhub/adapters/soap"
	"github.com/sealhub/sealhub/test/fakeregion"
	"github.com/sealhub/sealhub/trustlist"
)

// kinds are the adapter kinds that read each simulator, by the simulator's kind.
var kinds = map[string]func(*http.Client) adapters.Kind{
	fakeregion.KindREST: rest.Kind, fakeregion.KindSOAP: soap.Kind,
	fakeregion.KindSignedJSON: signedjson.Kind, fakeregion.KindCRL: crl.Kind,
}

var cst = time.FixedZone("CST", 8*3600)

// control sends one control API request and returns its status and decoded JSON body.
func control(t *testing.T, base, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: %d, not JSON: %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, out
}

// For every kind, the simulator's adapter configuration and credentials build a working source
// through adapters.Sources with that kind's Kind; seals set through the control API are answered,
// the feed kinds list them in their feed, faults set through it make the region fail, and the stats
// count the calls.
func TestSimulatorEveryKind(t *testing.T) {
	for _, kind := range fakeregion.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			sim, err := fakeregion.NewSimulator(fakeregion.Spec{Kind: kind, Region: "44", Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(sim)
			hc := &http.Client{Transport: &http.Transport{}}
			t.Cleanup(func() { hc.CloseIdleConnections(); srv.Close() })

			validCode, suspendedCode := "44010600000001", "44010600000002"
			start := time.Date(2024, 5, 1, 0, 0, 0, 0, cst)
			suspended := time.Date(2025, 3, 1, 9, 0, 0, 0, cst)
			seals := `[{"code":"` + validCode + `","status":"valid","effective_at":"2024-05-01T00:00:00+08:00","name":"广州市天河区市场监督管理局","type":1,
				"owner_name":"广州市天河区市场监督管理局","valid_start":"2024-05-01T00:00:00+08:00","valid_end":"2027-04-30T23:59:59+08:00"},
				{"code":"` + suspendedCode + `","status":"suspended","effective_at":"2025-03-01T09:00:00+08:00"}]`
			if code, body := control(t, srv.URL, http.MethodPost, "/_sim/seals", seals); code != http.StatusOK || body["set"] != 2.0 || body["seals"] != 2.0 {
				t.Fatalf("POST /_sim/seals: %d %v", code, body)
			}

			config := sim.AdapterConfig(srv.URL, "guangdong", map[string]any{"ttl": "1s", "timeout": "2s", "max_age": "1m"})
			reg := &trustlist.Registry{ID: "44", Mode: trustlist.ModeLive, Adapter: config}
			creds := map[string]adapters.Credentials{"guangdong": sim.Credentials()}
			s := &adapters.Sources{Kinds: map[string]adapters.Kind{kind: kinds[kind](hc)}, Credentials: creds}
			src, err := s.Source(reg)
			if err != nil {
				t.Fatalf("configuration %s: %v", config, err)
			}
			ctx := context.Background()
			for code, want := range map[string]struct {
				status trustlist.Status
				at     time.Time
			}{validCode: {trustlist.StatusValid, start}, suspendedCode: {trustlist.StatusSuspended, suspended}} {
				r, err := src.Status(ctx, code)
				if err != nil || r.Status != want.status || !r.EffectiveAt.Equal(want.at) {
					t.Errorf("%s: %+v %v, want %s since %s", code, r, err, want.status, want.at)
				}
			}
			if _, err := src.Status(ctx, "44010600000099"); !errors.Is(err, adapters.ErrNotFound) {
				t.Errorf("unknown seal: %v, want ErrNotFound", err)
			}

			if kind == fakeregion.KindSignedJSON || kind == fakeregion.KindCRL {
				feed, err := s.Feed(reg)
				if err != nil {
					t.Fatal(err)
				}
				ch, err := feed.Changes(ctx, 0)
				if err != nil || len(ch.Changes) != 2 || ch.Through != 2 {
					t.Fatalf("feed: %+v %v", ch, err)
				}
				first := ch.Changes[0]
				if first.Code != validCode || first.Seal == nil || first.Seal.Name != "广州市天河区市场监督管理局" || !first.Seal.ValidStart.Equal(start) ||
					ch.Changes[1].Code != suspendedCode || ch.Changes[1].Status != trustlist.StatusSuspended {
					t.Errorf("feed changes: %+v / %+v", first, ch.Changes[1])
				}
			}

			if code, body := control(t, srv.URL, http.MethodGet, "/_sim/stats", ""); code != http.StatusOK ||
				body["kind"] != kind || body["region"] != "44" || body["seals"] != 2.0 || body["calls"].(float64) < 1 {
				t.Errorf("stats: %d %v", code, body)
			}

			// Faults: a source that has never read the region gets its failure.
			if code, body := control(t, srv.URL, http.MethodPut, "/_sim/faults", `{"error_rate":1,"latency":"1ms"}`); code != http.StatusOK || body["error_rate"] != 1.0 {
				t.Fatalf("PUT /_sim/faults: %d %v", code, body)
			}
			if _, body := control(t, srv.URL, http.MethodGet, "/_sim/faults", ""); body["latency"] != "1ms" {
				t.Errorf("GET /_sim/faults: %v", body)
			}
			raw := func() adapters.Source {
				src, err := kinds[kind](hc)(config, sim.Credentials())
				if err != nil {
					t.Fatal(err)
				}
				if c, ok := src.(io.Closer); ok {
					t.Cleanup(func() { c.Close() })
				}
				return src
			}
			if _, err := raw().Status(ctx, validCode); !errors.Is(err, adapters.ErrUnavailable) {
				t.Errorf("with error_rate 1: %v, want ErrUnavailable", err)
			}
			control(t, srv.URL, http.MethodPut, "/_sim/faults", `{}`)
			if r, err := raw().Status(ctx, validCode); err != nil || r.Status != trustlist.StatusValid {
				t.Errorf("faults cleared: %+v %v", r, err)
			}
		})
	}
}

// The control API refuses bad input with 400 (unknown routes 404, wrong methods 405) and a JSON
// {"code","message"}, and changes nothing.
func TestControlAPIRefusals(t *testing.T) {
	sim, err := fakeregion.NewSimulator(fakeregion.Spec{Kind: fakeregion.KindCRL, Region: "32"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cases := map[string]struct {
		method, path, body string
		want               int
	}{
		"seals not JSON":           {"POST", "/_sim/seals", `[{`, 400},
		"seals not an array":       {"POST", "/_sim/seals", `{"code":"1"}`, 400},
		"seal unknown field":       {"POST", "/_sim/seals", `[{"code":"1","status":"valid","colour":"red"}]`, 400},
		"seal without code":        {"POST", "/_sim/seals", `[{"status":"valid"}]`, 400},
		"seal without status":      {"POST", "/_sim/seals", `[{"code":"32010200000001"}]`, 400},
		"seal code with a space":   {"POST", "/_sim/seals", `[{"code":"3201 02","status":"valid"}]`, 400},
		"seal bad effective_at":    {"POST", "/_sim/seals", `[{"code":"1","status":"valid","effective_at":"yesterday"}]`, 400},
		"description without name": {"POST", "/_sim/seals", `[{"code":"1","status":"valid","valid_start":"2024-01-01T00:00:00Z","valid_end":"2025-01-01T00:00:00Z"}]`, 400},
		"description without end":  {"POST", "/_sim/seals", `[{"code":"1","status":"valid","name":"章","valid_start":"2024-01-01T00:00:00Z"}]`, 400},
		"end before start":         {"POST", "/_sim/seals", `[{"code":"1","status":"valid","name":"章","valid_start":"2024-01-01T00:00:00Z","valid_end":"2023-01-01T00:00:00Z"}]`, 400},
		"one bad seal of two":      {"POST", "/_sim/seals", `[{"code":"1","status":"valid"},{"code":"","status":"valid"}]`, 400},
		"data after the array":     {"POST", "/_sim/seals", `[] []`, 400},
		"rate above 1":             {"PUT", "/_sim/faults", `{"error_rate":1.5}`, 400},
		"negative rate":            {"PUT", "/_sim/faults", `{"html_rate":-0.1}`, 400},
		"bad latency":              {"PUT", "/_sim/faults", `{"latency":"soon"}`, 400},
		"negative drip_every":      {"PUT", "/_sim/faults", `{"drip_every":"-1s"}`, 400},
		"faults unknown field":     {"PUT", "/_sim/faults", `{"error":1}`, 400},
		"faults not JSON":          {"PUT", "/_sim/faults", `error_rate=1`, 400},
		"unknown route":            {"GET", "/_sim/nothing", ``, 404},
		"wrong method":             {"GET", "/_sim/seals", ``, 405},
		"stats by POST":            {"POST", "/_sim/stats", `{}`, 405},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			code, body := control(t, srv.URL, tc.method, tc.path, tc.body)
			if code != tc.want || body["code"] == "" || body["code"] == nil || body["message"] == "" {
				t.Errorf("%d %v, want %d with a code and a message", code, body, tc.want)
			}
		})
	}
	if _, stats := control(t, srv.URL, http.MethodGet, "/_sim/stats", ""); stats["seals"] != 0.0 || stats["calls"] != 0.0 {
		t.Errorf("after refusals: %v", stats)
	}
	if _, faults := control(t, srv.URL, http.MethodGet, "/_sim/faults", ""); len(faults) != 0 {
		t.Errorf("faults after refusals: %v", faults)
	}
}

func TestNewSimulatorRefusals(t *testing.T) {
	for name, spec := range map[string]fakeregion.Spec{
		"unknown kind":            {Kind: "carrier-pigeon", Region: "44"},
		"no region":               {Kind: fakeregion.KindREST},
		"rest without app_secret": {Kind: fakeregion.KindREST, Region: "44", Credentials: map[string]string{"app_key": "k"}},
		"soap without password":   {Kind: fakeregion.KindSOAP, Region: "44", Credentials: map[string]string{"username": "u"}},
	} {
		if _, err := fakeregion.NewSimulator(spec); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	sim, err := fakeregion.NewSimulator(fakeregion.Spec{Kind: fakeregion.KindSignedJSON, Region: "33", Credentials: map[string]string{}})
	if err != nil || len(sim.Credentials()) != 0 {
		t.Fatalf("a signed-json region without an API key: %v %v", sim, err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(sim.AdapterConfig("http://x/", "", map[string]any{"path": "/s/{code}"}), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg["endpoint"] != "http://x" || cfg["path"] != "/s/{code}" || cfg["kind"] != "signed-json" || cfg["credentials"] != nil {
		t.Errorf("adapter configuration: %v", cfg)
	}
}
