package httpapi

import (
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/gin-gonic/gin"
	"github.com/sealhub/sealhub/internal/httpx"
	"golang.org/x/time/rate"
)

// APIKey is a verifier's key as the configuration holds it: a name for logs and limits, and the SM3
// of the key (hex), so that a configuration file never holds the key itself.
type APIKey struct {
	Name string `json:"name"`
	SM3  string `json:"sm3"`
}

// HashAPIKey is the SM3 (hex) of an API key, as APIKey.SM3 wants it.
func HashAPIKey(key string) string {
	d := sm3.Sum([]byte(key))
	return hex.EncodeToString(d[:])
}

// RateLimit is a token bucket per client: PerSecond requests per second on average, bursts of
// Burst. Zero PerSecond means no limit.
type RateLimit struct {
	PerSecond float64 `json:"per_second"`
	Burst     int     `json:"burst"`
}

// HeaderAPIKey carries a verifier's API key (Authorization: Bearer KEY works too).
const HeaderAPIKey = "X-API-Key"

// guard authenticates verifiers by API key and limits each client's rate.
type guard struct {
	keys [][32]byte // SM3 of each key
	name []string
	rate RateLimit
	now  func() time.Time

	mu      sync.Mutex
	clients map[string]*client
}

type client struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxClients bounds the rate limiter's memory; idle clients are dropped first.
const maxClients = 100_000

func newGuard(keys []APIKey, rl RateLimit, now func() time.Time) (*guard, error) {
	g := &guard{rate: rl, now: now, clients: map[string]*client{}}
	if rl.PerSecond < 0 || rl.Burst < 0 {
		return nil, fmt.Errorf("rate limit: per_second and burst must not be negative")
	}
	if rl.PerSecond > 0 && rl.Burst == 0 {
		g.rate.Burst = max(1, int(math.Ceil(rl.PerSecond)))
	}
	seen := map[string]bool{}
	for i, k := range keys {
		d, err := hex.DecodeString(k.SM3)
		if err != nil || len(d) != 32 {
			return nil, fmt.Errorf("api key %d (%q): sm3 must be 64 hex digits (sealhub apikey prints it)", i+1, k.Name)
		}
		sum := "sm3:" + hex.EncodeToString(d)
		if k.Name == "" || seen[k.Name] || seen[sum] {
			return nil, fmt.Errorf("api key %d: every key needs a distinct name and a distinct key", i+1)
		}
		seen[k.Name], seen[sum] = true, true
		g.keys = append(g.keys, [32]byte(d))
		g.name = append(g.name, k.Name)
	}
	return g, nil
}

// ContextKeyClient is the gin context key under which the guard leaves the client's name.
const ContextKeyClient = "httpapi.client"

func (g *guard) handle(c *gin.Context) {
	who := "addr:" + c.ClientIP()
	if len(g.keys) > 0 {
		key := c.GetHeader(HeaderAPIKey)
		if key == "" {
			if auth := c.GetHeader("Authorization"); len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
				key = strings.TrimSpace(auth[7:])
			}
		}
		if key == "" {
			c.Header("WWW-Authenticate", `Bearer realm="sealhub"`)
			httpx.Fail(c, httpx.Errorf(http.StatusUnauthorized, "API_KEY_REQUIRED", "this hub requires an API key: send it as %s or Authorization: Bearer", HeaderAPIKey))
			c.Abort()
			return
		}
		name, ok := g.match(key)
		if !ok {
			c.Header("WWW-Authenticate", `Bearer realm="sealhub", error="invalid_token"`)
			httpx.Fail(c, httpx.Errorf(http.StatusUnauthorized, "API_KEY_INVALID", "the API key is not one this hub knows"))
			c.Abort()
			return
		}
		who = "key:" + name
	}
	c.Set(ContextKeyClient, who)
	if g.rate.PerSecond > 0 && !g.allow(who) {
		e := httpx.Errorf(http.StatusTooManyRequests, "RATE_LIMITED", "client %s is over its limit of %g requests/s (burst %d)", who, g.rate.PerSecond, g.rate.Burst)
		e.RetryAfter = time.Duration(math.Ceil(1/g.rate.PerSecond)) * time.Second
		httpx.Fail(c, e)
		c.Abort()
		return
	}
	c.Next()
}

// match compares the key's SM3 with every configured one in constant time.
func (g *guard) match(key string) (string, bool) {
	d := sm3.Sum([]byte(key))
	found := -1
	for i, k := range g.keys {
		if subtle.ConstantTimeCompare(d[:], k[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	return g.name[found], true
}

func (g *guard) allow(who string) bool {
	now := g.now()
	g.mu.Lock()
	cl, ok := g.clients[who]
	if !ok {
		if len(g.clients) >= maxClients {
			g.sweep(now)
		}
		cl = &client{lim: rate.NewLimiter(rate.Limit(g.rate.PerSecond), g.rate.Burst)}
		g.clients[who] = cl
	}
	cl.seen = now
	g.mu.Unlock()
	return cl.lim.AllowN(now, 1)
}

// sweep drops clients idle long enough for their bucket to be full again (they lose nothing); if
// that frees too little (a flood of distinct clients), those seen in the older half of the span
// since the oldest; and if all were seen at once, arbitrary ones, down to 90% of the bound. Dropped
// clients start again with a full bucket.
func (g *guard) sweep(now time.Time) {
	full := time.Duration(float64(g.rate.Burst)/g.rate.PerSecond*float64(time.Second)) + time.Second
	oldest := now
	for k, cl := range g.clients {
		if now.Sub(cl.seen) > full {
			delete(g.clients, k)
		} else if cl.seen.Before(oldest) {
			oldest = cl.seen
		}
	}
	target := maxClients * 9 / 10
	if len(g.clients) < target {
		return
	}
	mid := oldest.Add(now.Sub(oldest) / 2)
	for k, cl := range g.clients {
		if cl.seen.Before(mid) {
			delete(g.clients, k)
		}
	}
	for k := range g.clients {
		if len(g.clients) < target {
			break
		}
		delete(g.clients, k)
	}
}
