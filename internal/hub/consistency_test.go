package hub

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A node still re-applying the log it had at start refuses default reads (and says so) however
// recent its contact with the leader, flags them in flag mode, and still answers stale reads.
func TestDefaultReadsWaitForTheLoadedState(t *testing.T) {
	for _, mode := range []string{StaleRefuse, StaleFlag} {
		t.Run(mode, func(t *testing.T) {
			h, err := Open(Config{NodeID: "n1", DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Bootstrap: true, StaleReads: mode})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = h.Close(context.Background()) })
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := h.WaitReady(ctx); err != nil {
				t.Fatal(err)
			}
			get := func(query string) (int, string, map[string]any) {
				resp, err := http.Get(h.URL() + "/v1/registries" + query)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var body map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&body)
				return resp.StatusCode, resp.Header.Get(HeaderStale), body
			}
			if code, stale, _ := get(""); code != 200 || stale != "" {
				t.Fatalf("loaded: %d, stale header %q", code, stale)
			}
			// As if the node had restarted with 1,000 entries still to re-apply, all committed.
			h.startIndex.Store(h.Node.AppliedIndex() + 1000)
			h.testCommit.Store(h.Node.AppliedIndex() + 1000)
			code, stale, body := get("")
			switch mode {
			case StaleRefuse:
				if msg, _ := body["message"].(string); code != 503 || body["code"] != "STALE_READ" || !containsAll(msg, "loading state", "consistency=stale") {
					t.Errorf("loading: %d %v", code, body)
				}
			case StaleFlag:
				if code != 200 || stale != "true" {
					t.Errorf("loading, flag mode: %d, stale header %q", code, stale)
				}
			}
			if ok, why := h.Ready(); ok || !containsAll(why, "loading state") {
				t.Errorf("ready while loading: %v %q", ok, why)
			}
			if code, _, _ := get("?consistency=stale"); code != 200 {
				t.Errorf("a stale read while loading: %d", code)
			}
			h.startIndex.Store(0)
			h.testCommit.Store(0)
			if code, stale, _ := get(""); code != 200 || stale != "" {
				t.Errorf("loaded again: %d, stale header %q", code, stale)
			}
		})
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

func TestLoadingState(t *testing.T) {
	for name, tc := range map[string]struct {
		applied, start, commit uint64
		loading                bool
	}{
		"fresh node":                             {0, 0, 0, false},
		"replaying, no leader heard yet":         {10, 100, 0, true},
		"replaying, leader's commit known":       {10, 100, 100, true},
		"caught up with its own log":             {100, 100, 100, false},
		"caught up, cluster moved on since":      {100, 100, 150, false},
		"uncommitted tail cut by the new leader": {95, 100, 95, false},
		"uncommitted tail, still replaying":      {90, 100, 95, true},
	} {
		if got, why := loadingState(tc.applied, tc.start, tc.commit); got != tc.loading {
			t.Errorf("%s: loading %v (%q), want %v", name, got, why, tc.loading)
		}
	}
}
