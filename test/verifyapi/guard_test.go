package verifyapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/sealhub/sealhub/internal/hub"
	"github.com/sealhub/sealhub/resolver/httpapi"
	"github.com/sealhub/sealhub/test/sm2ca"
)

// route is one verifier route with a well-formed request and the status that request gets.
type route struct {
	name, method, path, contentType string
	body                            []byte
	status                          int
}

func verifierRoutes(t *testing.T) []route {
	t.Helper()
	p := newPKI(t, sm2ca.Options{})
	seal := makeSeal(t, p, sm2ca.SealSpec{})
	sigJSON, err := json.Marshal(map[string][]byte{"signature": sign(t, p, seal, []byte("x"), utc(2025, 1, 1, 0)), "data": []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := p.OFD()
	if err != nil {
		t.Fatal(err)
	}
	return []route{
		{"verify seal", http.MethodPost, "/v1/verify/seal", "application/octet-stream", seal, http.StatusOK},
		{"verify signature", http.MethodPost, "/v1/verify/signature", "application/json", sigJSON, http.StatusOK},
		{"verify ofd", http.MethodPost, "/v1/verify/ofd", "application/ofd", doc, http.StatusOK},
		{"batch", http.MethodPost, "/v1/seals:batchGet", "application/json", []byte(`{"codes":["37030000000001"]}`), http.StatusOK},
		{"seal", http.MethodGet, "/v1/seals/37030000000001", "", nil, http.StatusNotFound},
		{"nodes", http.MethodGet, "/v1/nodes", "", nil, http.StatusOK},
	}
}

// TestAPIKeys: with API keys configured every verifier route wants one, as X-API-Key or a bearer
// token; the OpenAPI document does not.
func TestAPIKeys(t *testing.T) {
	t.Parallel()
	const key = "alice-secret-key-0001"
	f := newHub(t, func(c *hub.Config) {
		c.APIKeys = []httpapi.APIKey{{Name: "alice", SM3: httpapi.HashAPIKey(key)}, {Name: "bob", SM3: httpapi.HashAPIKey("bob-key")}}
	})
	for _, r := range verifierRoutes(t) {
		t.Run(r.name, func(t *testing.T) {
			for _, tc := range []struct {
				name   string
				hdr    http.Header
				status int
				code   string
			}{
				{"no key", nil, http.StatusUnauthorized, "API_KEY_REQUIRED"},
				{"empty bearer", http.Header{"Authorization": {"Bearer "}}, http.StatusUnauthorized, "API_KEY_REQUIRED"},
				{"basic auth", http.Header{"Authorization": {"Basic YWxpY2U6eA=="}}, http.StatusUnauthorized, "API_KEY_REQUIRED"},
				{"wrong key", http.Header{httpapi.HeaderAPIKey: {key + "x"}}, http.StatusUnauthorized, "API_KEY_INVALID"},
				{"wrong bearer", http.Header{"Authorization": {"Bearer " + key[:len(key)-1]}}, http.StatusUnauthorized, "API_KEY_INVALID"},
				{"X-API-Key", http.Header{httpapi.HeaderAPIKey: {key}}, r.status, ""},
				{"Authorization: Bearer", http.Header{"Authorization": {"Bearer " + key}}, r.status, ""},
				{"authorization: bearer", http.Header{"Authorization": {"bearer " + key}}, r.status, ""},
			} {
				s := f.do(r.method, r.path, r.contentType, r.body, tc.hdr)
				if s.status != tc.status {
					t.Errorf("%s: %d %.200s, want %d", tc.name, s.status, s.body, tc.status)
					continue
				}
				if tc.code == "" {
					continue
				}
				if e := s.errorBody(t); e.Code != tc.code {
					t.Errorf("%s: code %s, want %s", tc.name, e.Code, tc.code)
				}
				if s.hdr.Get("WWW-Authenticate") == "" {
					t.Errorf("%s: no WWW-Authenticate", tc.name)
				}
			}
		})
	}
	t.Run("a served report by key", func(t *testing.T) {
		g := f.with(t)
		g.apiKey = key
		g.verifySeal(makeSeal(t, newPKI(t, sm2ca.Options{}), sm2ca.SealSpec{}), time.Time{})
	})
	t.Run("openapi.json without a key", func(t *testing.T) {
		s := f.do(http.MethodGet, "/v1/openapi.json", "", nil, nil)
		var doc map[string]any
		if s.status != http.StatusOK || json.Unmarshal(s.body, &doc) != nil || doc["openapi"] == nil {
			t.Fatalf("%d %.200s", s.status, s.body)
		}
	})
}

// TestRateLimit: each client has its own token bucket. A burst passes, the next request gets 429
// RATE_LIMITED with Retry-After, another client is unaffected, and the bucket refills.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	keys := map[string]string{"bob": "bob-key-0002", "carol": "carol-key-0003"}
	// One token a second: the burst of five and the sixth request need far less than a second, even
	// under the race detector, so no token comes back in between (the test skips if they did not).
	const perSecond, burst = 1, 5
	f := newHub(t, func(c *hub.Config) {
		for name, k := range keys {
			c.APIKeys = append(c.APIKeys, httpapi.APIKey{Name: name, SM3: httpapi.HashAPIKey(k)})
		}
		c.RateLimit = httpapi.RateLimit{PerSecond: perSecond, Burst: burst}
	})
	p := newPKI(t, sm2ca.Options{})
	seal := makeSeal(t, p, sm2ca.SealSpec{})
	verify := func(key string) served {
		return f.do(http.MethodPost, "/v1/verify/seal", "application/octet-stream", seal, http.Header{httpapi.HeaderAPIKey: {key}})
	}
	// The burst on a cheap route (a seal the hub does not hold: 404 behind the guard); the bucket is
	// the client's, whatever the route.
	start := time.Now()
	for i := range burst {
		if s := f.do(http.MethodGet, "/v1/seals/37030000000001", "", nil, http.Header{httpapi.HeaderAPIKey: {keys["bob"]}}); s.status != http.StatusNotFound {
			t.Fatalf("request %d of the burst: %d %s", i+1, s.status, s.body)
		}
	}
	s := verify(keys["bob"])
	if took := time.Since(start); took >= time.Second/perSecond {
		t.Skipf("the burst took %s, longer than one token's refill: the limit cannot be observed exactly", took)
	}
	if s.status != http.StatusTooManyRequests {
		t.Fatalf("request %d: %d %s, want 429", burst+1, s.status, s.body)
	}
	if e := s.errorBody(t); e.Code != "RATE_LIMITED" {
		t.Errorf("code %s", e.Code)
	}
	if ra, err := strconv.Atoi(s.hdr.Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After %q", s.hdr.Get("Retry-After"))
	}
	if s := verify(keys["carol"]); s.status != http.StatusOK {
		t.Errorf("another client: %d %s", s.status, s.body)
	}
	if s := f.do(http.MethodGet, "/v1/openapi.json", "", nil, nil); s.status != http.StatusOK {
		t.Errorf("openapi.json: %d", s.status)
	}
	// A refused request takes no token: the bucket refills at its rate. Poll against a deadline.
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		s := verify(keys["bob"])
		if s.status == http.StatusOK {
			break
		}
		if s.status != http.StatusTooManyRequests || time.Now().After(deadline) {
			t.Fatalf("after the refill time: %d %s", s.status, s.body)
		}
		<-tick.C
	}
}
