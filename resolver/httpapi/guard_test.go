package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/sealhub/sealhub/internal/httpx"
	"github.com/sealhub/sealhub/trustlist"
	"golang.org/x/time/rate"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type emptyState struct{}

func (emptyState) State() *trustlist.State { return trustlist.New() }

// guarded is the API over an empty trust list with the routes mounted, plus GET /v1/whoami behind
// the same guard, which answers the client name the guard left in the context.
func guarded(t *testing.T, keys []APIKey, rl RateLimit, now func() time.Time) *gin.Engine {
	t.Helper()
	a, err := New(Config{State: emptyState{}, Keys: keys, Rate: rl, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	e, err := httpx.New(httpx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v1 := e.Group("/v1")
	a.Register(v1)
	v1.GET("/whoami", a.guard.handle, func(c *gin.Context) { c.String(http.StatusOK, c.GetString(ContextKeyClient)) })
	return e
}

// call sends GET path from addr with the headers (name, value pairs).
func call(h http.Handler, path, addr string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.RemoteAddr = addr + ":40000"
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// errorCode is the code of an error answer, or what is wrong with its envelope.
func errorCode(rec *httptest.ResponseRecorder) string {
	var b httpx.ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || b.Code == "" || b.Message == "" {
		return fmt.Sprintf("no error envelope: %q", rec.Body.String())
	}
	return b.Code
}

var testKeys = []APIKey{{Name: "alice", SM3: HashAPIKey("alice-key")}, {Name: "bob", SM3: strings.ToUpper(HashAPIKey("bob-key"))}}

func TestGuardConfig(t *testing.T) {
	good := HashAPIKey("k")
	bad := map[string]struct {
		keys []APIKey
		rate RateLimit
	}{
		"sm3 not hex":          {keys: []APIKey{{Name: "a", SM3: strings.Repeat("z", 64)}}},
		"sm3 short":            {keys: []APIKey{{Name: "a", SM3: good[:62]}}},
		"sm3 long":             {keys: []APIKey{{Name: "a", SM3: good + "00"}}},
		"sm3 odd":              {keys: []APIKey{{Name: "a", SM3: good[:63]}}},
		"sm3 empty":            {keys: []APIKey{{Name: "a"}}},
		"sm3 the key itself":   {keys: []APIKey{{Name: "a", SM3: "alice-key"}}},
		"no name":              {keys: []APIKey{{SM3: good}}},
		"duplicate names":      {keys: []APIKey{{Name: "a", SM3: good}, {Name: "a", SM3: HashAPIKey("other")}}},
		"one key twice":        {keys: []APIKey{{Name: "a", SM3: good}, {Name: "b", SM3: good}}},
		"one key, other case":  {keys: []APIKey{{Name: "a", SM3: good}, {Name: "b", SM3: strings.ToUpper(good)}}},
		"per_second negative":  {rate: RateLimit{PerSecond: -1}},
		"burst negative":       {rate: RateLimit{PerSecond: 1, Burst: -1}},
		"burst negative alone": {rate: RateLimit{Burst: -1}},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := New(Config{State: emptyState{}, Keys: tc.keys, Rate: tc.rate}); err == nil {
				t.Fatal("New accepted the configuration")
			}
		})
	}
	ok := map[string]struct {
		keys      []APIKey
		rate      RateLimit
		wantBurst int
	}{
		"no keys, no limit":      {},
		"keys in either case":    {keys: testKeys},
		"burst given":            {rate: RateLimit{PerSecond: 2, Burst: 5}, wantBurst: 5},
		"burst from the rate":    {rate: RateLimit{PerSecond: 2.5}, wantBurst: 3},
		"burst at least one":     {rate: RateLimit{PerSecond: 0.2}, wantBurst: 1},
		"burst without a rate":   {rate: RateLimit{Burst: 3}, wantBurst: 3},
		"a thousand per second":  {rate: RateLimit{PerSecond: 1000}, wantBurst: 1000},
		"a key and a rate limit": {keys: testKeys[:1], rate: RateLimit{PerSecond: 1, Burst: 1}, wantBurst: 1},
	}
	for name, tc := range ok {
		t.Run(name, func(t *testing.T) {
			a, err := New(Config{State: emptyState{}, Keys: tc.keys, Rate: tc.rate})
			if err != nil {
				t.Fatal(err)
			}
			if a.guard.rate.Burst != tc.wantBurst || len(a.guard.keys) != len(tc.keys) {
				t.Errorf("burst %d, %d keys; want %d, %d", a.guard.rate.Burst, len(a.guard.keys), tc.wantBurst, len(tc.keys))
			}
		})
	}
}

func TestAPIKeys(t *testing.T) {
	h := guarded(t, testKeys, RateLimit{}, nil)
	const (
		required = `Bearer realm="sealhub"`
		invalid  = `Bearer realm="sealhub", error="invalid_token"`
	)
	cases := map[string]struct {
		header []string
		status int
		who    string // 200: the client name
		code   string // 401: the code
		auth   string // 401: WWW-Authenticate
	}{
		"no key":                     {status: 401, code: "API_KEY_REQUIRED", auth: required},
		"X-API-Key":                  {header: []string{"X-API-Key", "alice-key"}, status: 200, who: "key:alice"},
		"X-API-Key in another case":  {header: []string{"x-api-key", "bob-key"}, status: 200, who: "key:bob"},
		"Bearer":                     {header: []string{"Authorization", "Bearer alice-key"}, status: 200, who: "key:alice"},
		"bearer":                     {header: []string{"Authorization", "bearer bob-key"}, status: 200, who: "key:bob"},
		"BEARER":                     {header: []string{"Authorization", "BEARER alice-key"}, status: 200, who: "key:alice"},
		"Bearer, spaced":             {header: []string{"Authorization", "Bearer   alice-key  "}, status: 200, who: "key:alice"},
		"both, the same key":         {header: []string{"X-API-Key", "alice-key", "Authorization", "Bearer alice-key"}, status: 200, who: "key:alice"},
		"X-API-Key wins":             {header: []string{"X-API-Key", "bob-key", "Authorization", "Bearer alice-key"}, status: 200, who: "key:bob"},
		"wrong X-API-Key":            {header: []string{"X-API-Key", "mallory"}, status: 401, code: "API_KEY_INVALID", auth: invalid},
		"wrong Bearer":               {header: []string{"Authorization", "Bearer mallory"}, status: 401, code: "API_KEY_INVALID", auth: invalid},
		"key in another case":        {header: []string{"X-API-Key", "Alice-key"}, status: 401, code: "API_KEY_INVALID", auth: invalid},
		"the key's SM3":              {header: []string{"X-API-Key", HashAPIKey("alice-key")}, status: 401, code: "API_KEY_INVALID", auth: invalid},
		"wrong X-API-Key, right one": {header: []string{"X-API-Key", "mallory", "Authorization", "Bearer alice-key"}, status: 401, code: "API_KEY_INVALID", auth: invalid},
		"Basic":                      {header: []string{"Authorization", "Basic YWxpY2U6a2V5"}, status: 401, code: "API_KEY_REQUIRED", auth: required},
		"a bare key":                 {header: []string{"Authorization", "alice-key"}, status: 401, code: "API_KEY_REQUIRED", auth: required},
		"Bearer alone":               {header: []string{"Authorization", "Bearer"}, status: 401, code: "API_KEY_REQUIRED", auth: required},
		"Bearer and a space":         {header: []string{"Authorization", "Bearer "}, status: 401, code: "API_KEY_REQUIRED", auth: required},
		"Bearer and spaces":          {header: []string{"Authorization", "Bearer    "}, status: 401, code: "API_KEY_REQUIRED", auth: required},
		"Bearer without a space":     {header: []string{"Authorization", "Beareralice-key"}, status: 401, code: "API_KEY_REQUIRED", auth: required},
		"empty X-API-Key":            {header: []string{"X-API-Key", ""}, status: 401, code: "API_KEY_REQUIRED", auth: required},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rec := call(h, "/v1/whoami", "192.0.2.1", tc.header...)
			if rec.Code != tc.status {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body.String(), tc.status)
			}
			if tc.status == 200 {
				if rec.Body.String() != tc.who {
					t.Errorf("client %q, want %q", rec.Body.String(), tc.who)
				}
				return
			}
			if code := errorCode(rec); code != tc.code {
				t.Errorf("code %s, want %s", code, tc.code)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tc.auth {
				t.Errorf("WWW-Authenticate %q, want %q", got, tc.auth)
			}
		})
	}
}

// TestAPIKeysGuardEveryRoute: the API's own routes are behind the guard.
func TestAPIKeysGuardEveryRoute(t *testing.T) {
	h := guarded(t, testKeys, RateLimit{}, nil)
	post := func(path string, header ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(`{"codes":["37010000000001"]}`))
		r.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	if rec := call(h, "/v1/seals/37010000000001", "192.0.2.1"); rec.Code != 401 || errorCode(rec) != "API_KEY_REQUIRED" {
		t.Errorf("GET seal without a key: %d %s", rec.Code, rec.Body.String())
	}
	if rec := call(h, "/v1/seals/37010000000001", "192.0.2.1", "X-API-Key", "alice-key"); rec.Code != 404 || errorCode(rec) != "SEAL_NOT_FOUND" {
		t.Errorf("GET seal with a key: %d %s", rec.Code, rec.Body.String())
	}
	if rec := post("/v1/seals:batchGet"); rec.Code != 401 || errorCode(rec) != "API_KEY_REQUIRED" {
		t.Errorf("batchGet without a key: %d %s", rec.Code, rec.Body.String())
	}
	if rec := post("/v1/seals:batchGet", "Authorization", "Bearer bob-key"); rec.Code != 200 {
		t.Errorf("batchGet with a key: %d %s", rec.Code, rec.Body.String())
	}
}

func TestNoKeysNamesTheAddress(t *testing.T) {
	h := guarded(t, nil, RateLimit{}, nil)
	rec := call(h, "/v1/whoami", "198.51.100.7", "X-API-Key", "anything", "X-Forwarded-For", "203.0.113.9")
	if rec.Code != 200 || rec.Body.String() != "addr:198.51.100.7" {
		t.Fatalf("%d %q, want the peer address (no proxy is trusted)", rec.Code, rec.Body.String())
	}
}

func TestRateLimit(t *testing.T) {
	clock := newFakeClock()
	h := guarded(t, nil, RateLimit{PerSecond: 1, Burst: 3}, clock.Now)
	get := func(addr string, header ...string) *httptest.ResponseRecorder {
		return call(h, "/v1/whoami", addr, header...)
	}
	// want sends n requests that must pass, then one that must be limited.
	want := func(t *testing.T, addr string, n int, header ...string) {
		t.Helper()
		for i := range n {
			if rec := get(addr, header...); rec.Code != 200 {
				t.Fatalf("request %d from %s: %d %s", i+1, addr, rec.Code, rec.Body.String())
			}
		}
		rec := get(addr, header...)
		if rec.Code != 429 || errorCode(rec) != "RATE_LIMITED" {
			t.Fatalf("request %d from %s: %d %s, want 429 RATE_LIMITED", n+1, addr, rec.Code, rec.Body.String())
		}
		if got := rec.Header().Get("Retry-After"); got != "1" {
			t.Errorf("Retry-After %q, want 1", got)
		}
	}
	want(t, "192.0.2.1", 3)
	want(t, "192.0.2.2", 3)                                   // another address has its own bucket
	want(t, "192.0.2.1", 0, "X-Forwarded-For", "203.0.113.1") // a forged proxy header changes nothing
	clock.Advance(500 * time.Millisecond)
	want(t, "192.0.2.1", 0)
	clock.Advance(500 * time.Millisecond)
	want(t, "192.0.2.1", 1) // a token a second
	clock.Advance(2 * time.Second)
	want(t, "192.0.2.1", 2)
	clock.Advance(time.Hour)
	want(t, "192.0.2.1", 3) // never more than the burst
	want(t, "192.0.2.2", 3)
}

func TestRateLimitByKey(t *testing.T) {
	clock := newFakeClock()
	h := guarded(t, testKeys, RateLimit{PerSecond: 0.25, Burst: 2}, clock.Now)
	alice, bob := []string{"X-API-Key", "alice-key"}, []string{"Authorization", "Bearer bob-key"}
	for i, addr := range []string{"192.0.2.1", "192.0.2.2"} { // one bucket for alice, wherever she calls from
		if rec := call(h, "/v1/whoami", addr, alice...); rec.Code != 200 {
			t.Fatalf("alice's request %d: %d", i+1, rec.Code)
		}
	}
	rec := call(h, "/v1/whoami", "192.0.2.3", alice...)
	if rec.Code != 429 || errorCode(rec) != "RATE_LIMITED" || rec.Header().Get("Retry-After") != "4" {
		t.Fatalf("alice's third request: %d %s, Retry-After %q; want 429 RATE_LIMITED, 4", rec.Code, rec.Body.String(), rec.Header().Get("Retry-After"))
	}
	for i := range 2 { // bob has his own, from alice's address
		if rec := call(h, "/v1/whoami", "192.0.2.1", bob...); rec.Code != 200 {
			t.Fatalf("bob's request %d: %d", i+1, rec.Code)
		}
	}
	// Requests without a valid key are refused before they count.
	for range 5 {
		if rec := call(h, "/v1/whoami", "192.0.2.9"); rec.Code != 401 {
			t.Fatalf("no key: %d", rec.Code)
		}
	}
	clock.Advance(4 * time.Second)
	if rec := call(h, "/v1/whoami", "192.0.2.1", alice...); rec.Code != 200 {
		t.Fatalf("alice after 4 s: %d", rec.Code)
	}
	if rec := call(h, "/v1/whoami", "192.0.2.1", alice...); rec.Code != 429 {
		t.Fatalf("alice again: %d", rec.Code)
	}
}

// fill gives g n clients, client i last seen at seen(i).
func fill(g *guard, n int, seen func(i int) time.Time) {
	for i := range n {
		g.clients[fmt.Sprintf("addr:%d", i)] = &client{lim: rate.NewLimiter(rate.Limit(g.rate.PerSecond), g.rate.Burst), seen: seen(i)}
	}
}

// TestSweep: the limiter never holds more than maxClients clients; idle ones go first.
func TestSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("fills the limiter with 100,000 clients")
	}
	rl := RateLimit{PerSecond: 1, Burst: 1} // a bucket is full again after 1 s
	t.Run("idle clients", func(t *testing.T) {
		clock := newFakeClock()
		g, _ := newGuard(nil, rl, clock.Now)
		fill(g, maxClients, func(i int) time.Time { return clock.Now().Add(-time.Minute) })
		g.clients["addr:busy"] = &client{lim: rate.NewLimiter(1, 1), seen: clock.Now()}
		if !g.allow("addr:new") {
			t.Fatal("a new client was refused")
		}
		if n := len(g.clients); n != 2 || g.clients["addr:busy"] == nil {
			t.Fatalf("%d clients after the sweep, want the busy one and the new one", n)
		}
	})
	t.Run("busy clients", func(t *testing.T) {
		clock := newFakeClock()
		g, _ := newGuard(nil, rl, clock.Now)
		// Seen over the last second, client 0 most recently: none idle.
		fill(g, maxClients, func(i int) time.Time { return clock.Now().Add(-time.Duration(i) * 10 * time.Microsecond) })
		g.allow("addr:new")
		n := len(g.clients)
		if n > maxClients*9/10 || n < maxClients/4 {
			t.Fatalf("%d clients after the sweep, want about half of %d", n, maxClients)
		}
		if g.clients["addr:0"] == nil || g.clients["addr:new"] == nil || g.clients[fmt.Sprintf("addr:%d", maxClients-1)] != nil {
			t.Error("the sweep did not keep the most recent clients")
		}
	})
	t.Run("churn", func(t *testing.T) {
		clock := newFakeClock()
		g, _ := newGuard(nil, rl, clock.Now)
		most := 0
		for i := range 2*maxClients + 100 {
			clock.Advance(time.Microsecond)
			g.allow(fmt.Sprintf("addr:%d", i))
			most = max(most, len(g.clients))
		}
		if most > maxClients {
			t.Fatalf("the limiter held %d clients, more than %d", most, maxClients)
		}
	})
	t.Run("one instant", func(t *testing.T) {
		// Every client seen at the same instant as now: a coarse clock, or a burst of new addresses
		// within one tick of it.
		clock := newFakeClock()
		g, _ := newGuard(nil, rl, clock.Now)
		fill(g, maxClients, func(int) time.Time { return clock.Now() })
		for i := range 10 {
			g.allow(fmt.Sprintf("addr:new-%d", i))
		}
		if n := len(g.clients); n > maxClients {
			t.Fatalf("%d clients after 10 new ones within one clock tick, more than maxClients (%d)", n, maxClients)
		}
	})
}
