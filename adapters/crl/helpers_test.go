package crl

import (
	"encoding/base64"
	"encoding/json"
	"github.com/sealhub/sealhub/adapters/adaptertest"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/test/fakeregion"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

const (
	testIssuer = "37"
	testKeyID  = "37-crl-2026"
	keyFile    = "testdata/key/region.pem"
)

// testStatuses maps the simulated region's codes (fakeregion.CRLCodes) to sealhub's.
var testStatuses = map[string]trustlist.Status{
	"normal": trustlist.StatusValid, "frozen": trustlist.StatusSuspended,
	"revoked": trustlist.StatusRevoked, "void": trustlist.StatusInvalidated,
}

// testKey is the fixed SM2 key the golden lists are signed with.
func testKey(t testing.TB) *sm2.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatalf("the golden signing key: %v (go test -run TestGolden -update makes one)", err)
	}
	k, err := smcrypto.ParsePrivateKeyPEM(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func publicPEM(t testing.TB, k *sm2.PrivateKey) string {
	t.Helper()
	b, err := smcrypto.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// clock is the time both the region and the source read: fixed until advanced.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(at time.Time) *clock { return &clock{now: at} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is a simulated region behind an HTTP server, and a Source pointed at it.
type fixture struct {
	fr      *fakeregion.CRL
	src     *Source
	clock   *clock
	cfg     Config
	hc      *http.Client
	handler atomic.Pointer[http.Handler] // what the server runs: fr unless swapped
	mu      sync.Mutex
	paths   []string // the requests that reached the server, path and query
}

// start starts a simulated region (signing with the golden key, on a clock at goldenNow) and a
// Source for it; both stop with the test.
func start(t *testing.T, o fakeregion.CRLOptions, edit func(*Config)) *fixture {
	t.Helper()
	key := testKey(t)
	fx := &fixture{clock: newClock(goldenNow)}
	if o.Key == nil {
		o.Key, o.KeyID = key, testKeyID
	}
	if o.Now == nil {
		o.Now = fx.clock.Now
	}
	fx.fr = fakeregion.NewCRL(o)
	fx.swap(fx.fr)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fx.mu.Lock()
		fx.paths = append(fx.paths, r.URL.RequestURI())
		fx.mu.Unlock()
		(*fx.handler.Load()).ServeHTTP(w, r)
	}))
	fx.hc = &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() {
		fx.hc.CloseIdleConnections()
		srv.Close()
	})
	fx.cfg = Config{
		Endpoint: srv.URL, Issuer: testIssuer, PublicKeys: map[string]string{testKeyID: publicPEM(t, key)},
		Statuses: testStatuses, APIKey: o.APIKey, Now: fx.clock.Now,
	}
	if edit != nil {
		edit(&fx.cfg)
	}
	fx.src = fx.source(t)
	return fx
}

// source is another Source on the fixture's region and configuration, closed with the test.
func (fx *fixture) source(t *testing.T) *Source {
	t.Helper()
	src, err := New(fx.cfg, fx.hc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() }) // before the server closes: cleanups run last first
	return src
}

// swap makes the server run h.
func (fx *fixture) swap(h http.Handler) { fx.handler.Store(&h) }

// requests returns the requests seen since the last call.
func (fx *fixture) requests() []string {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	p := fx.paths
	fx.paths = nil
	return p
}

// noLeaks is adaptertest.NoLeaks.
func noLeaks(t *testing.T) {
	t.Helper()
	adaptertest.NoLeaks(t)
}

// signed is list signed with key into a document, as the region sends it.
func signed(t testing.TB, key *sm2.PrivateKey, list []byte) []byte {
	t.Helper()
	sig, err := sm2.SignDeterministic(key, list, sm2.NewSM2SignerOption(true, []byte(DefaultUID)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(document{List: base64.StdEncoding.EncodeToString(list), KeyID: testKeyID, Sign: base64.StdEncoding.EncodeToString(sig)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
