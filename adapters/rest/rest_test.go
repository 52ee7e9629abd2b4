package rest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/test/fakeregion"
	"github.com/sealhub/sealhub/trustlist"
)

func TestSigningRefused(t *testing.T) {
	cases := map[string]struct {
		opts fakeregion.RESTOptions
		edit func(*Config)
	}{
		"wrong secret":  {edit: func(c *Config) { c.AppSecret = "not-the-secret" }},
		"wrong app key": {edit: func(c *Config) { c.AppKey = "someone-else" }},
		"clock skew": {edit: func(c *Config) {
			c.Now = func() time.Time { return time.Now().Add(-6 * time.Minute) }
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			noLeaks(t)
			fr, src := region(t, tc.opts, tc.edit)
			fr.Set("A", "valid", time.Time{})
			r, err := src.Status(context.Background(), "A")
			var auth *AuthError
			if !errors.As(err, &auth) || !errors.Is(err, adapters.ErrUnavailable) || r != (adapters.Report{}) {
				t.Fatalf("got %+v, %v; want an AuthError", r, err)
			}
			if !strings.Contains(err.Error(), "refused the credentials") {
				t.Fatalf("message %q does not say the credentials were refused", err)
			}
		})
	}
}

func TestSignatureIsFreshPerRequest(t *testing.T) {
	// A second query must carry a new nonce, or the region refuses it as a replay.
	fr, src := region(t, fakeregion.RESTOptions{}, nil)
	fr.Set("A", "revoked", time.Time{})
	for range 3 {
		if r, err := src.Status(context.Background(), "A"); err != nil || r.Status != trustlist.StatusRevoked {
			t.Fatalf("got %+v, %v", r, err)
		}
	}
}

func TestNonceReplayRefused(t *testing.T) {
	fr := fakeregion.NewREST(fakeregion.RESTOptions{AppKey: testKey, AppSecret: testSecret})
	fr.Set("A", "valid", time.Time{})
	ts := time.Now().UnixMilli()
	send := func() int {
		req := httptest.NewRequest(http.MethodGet, "/api/seal/status?sealCode=A", nil)
		ms := strconv.FormatInt(ts, 10)
		req.Header.Set(HeaderAppKey, testKey)
		req.Header.Set(HeaderTimestamp, ms)
		req.Header.Set(HeaderNonce, "00ff")
		req.Header.Set(HeaderSignature, Signature(testSecret, http.MethodGet, "/api/seal/status?sealCode=A", ms, "00ff"))
		w := httptest.NewRecorder()
		fr.ServeHTTP(w, req)
		return w.Code
	}
	if c := send(); c != http.StatusOK {
		t.Fatalf("first: HTTP %d", c)
	}
	if c := send(); c != http.StatusUnauthorized {
		t.Fatalf("replay: HTTP %d, want 401", c)
	}
}

func TestFaults(t *testing.T) {
	cases := map[string]struct {
		faults fakeregion.Faults
		want   error
	}{
		"server error": {fakeregion.Faults{ErrorRate: 1}, adapters.ErrUnavailable},
		"auth failure": {fakeregion.Faults{AuthRate: 1}, adapters.ErrUnavailable},
		"malformed":    {fakeregion.Faults{MalformedRate: 1}, adapters.ErrMalformed},
		"truncated":    {fakeregion.Faults{TruncatedRate: 1}, adapters.ErrMalformed},
		"html page":    {fakeregion.Faults{HTMLRate: 1}, adapters.ErrMalformed},
		"slow drip":    {fakeregion.Faults{DripRate: 1, DripEvery: 20 * time.Millisecond}, adapters.ErrUnavailable},
		"latency":      {fakeregion.Faults{Latency: 5 * time.Second}, adapters.ErrUnavailable},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			noLeaks(t)
			fr, src := region(t, fakeregion.RESTOptions{Faults: tc.faults}, nil)
			fr.Set("A", "valid", time.Now())
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			r, err := src.Status(ctx, "A")
			if took := time.Since(start); took > time.Second {
				t.Fatalf("took %s past a 300ms deadline", took)
			}
			if !errors.Is(err, tc.want) || r != (adapters.Report{}) {
				t.Fatalf("got %+v, %v; want no report and %v", r, err, tc.want)
			}
			var auth *AuthError
			if errors.As(err, &auth) != (name == "auth failure") {
				t.Fatalf("AuthError mismatch: %v", err)
			}
		})
	}
}

func TestCancellationReturnsPromptly(t *testing.T) {
	noLeaks(t)
	fr, src := region(t, fakeregion.RESTOptions{Faults: fakeregion.Faults{Latency: 10 * time.Second}}, nil)
	fr.Set("A", "valid", time.Time{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := src.Status(ctx, "A")
	if !errors.Is(err, adapters.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("took %s after cancel", took)
	}
}

func TestOversizedReply(t *testing.T) {
	fr, src := region(t, fakeregion.RESTOptions{}, func(c *Config) { c.MaxBody = 64 })
	fr.SetRaw("A", []byte(`{"code":"0000","data":{"sealStatus":"01","pad":"`+strings.Repeat("x", 100)+`"}}`))
	if _, err := src.Status(context.Background(), "A"); !errors.Is(err, adapters.ErrMalformed) {
		t.Fatalf("got %v", err)
	}
}

func TestFaultsAreSeeded(t *testing.T) {
	run := func() []bool {
		fr, src := region(t, fakeregion.RESTOptions{Seed: 7, Faults: fakeregion.Faults{ErrorRate: 0.5}}, nil)
		fr.Set("A", "valid", time.Time{})
		var out []bool
		for range 20 {
			_, err := src.Status(context.Background(), "A")
			out = append(out, err == nil)
		}
		return out
	}
	a, b := run(), run()
	ok := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("run differs at %d: %v vs %v", i, a, b)
		}
		if a[i] {
			ok++
		}
	}
	if ok == 0 || ok == len(a) {
		t.Fatalf("error rate 0.5 gave %d/%d successes", ok, len(a))
	}
}

// TestBehindWrap: 100 concurrent identical queries through the wrapper reach the region once.
func TestBehindWrap(t *testing.T) {
	noLeaks(t)
	fr, src := region(t, fakeregion.RESTOptions{Faults: fakeregion.Faults{Latency: 100 * time.Millisecond}}, nil)
	fr.Set("A", "suspended", time.Time{})
	w := adapters.Wrap(src, adapters.Options{Region: "37"})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Go(func() {
			r, err := w.Status(context.Background(), "A")
			if err == nil && r.Status != trustlist.StatusSuspended {
				err = errors.New("status " + string(r.Status))
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := fr.Calls(); n != 1 {
		t.Fatalf("%d upstream calls, want 1", n)
	}
}

func TestConfigValidate(t *testing.T) {
	cases := map[string]struct {
		edit func(*Config)
		want string
	}{
		"no endpoint":     {func(c *Config) { c.Endpoint = "" }, "endpoint"},
		"ftp endpoint":    {func(c *Config) { c.Endpoint = "ftp://x" }, "endpoint"},
		"no key":          {func(c *Config) { c.AppKey = "" }, "app key"},
		"no secret":       {func(c *Config) { c.AppSecret = "" }, "app secret"},
		"no placeholder":  {func(c *Config) { c.Path = "/api/status" }, "{code}"},
		"no status field": {func(c *Config) { c.Fields.Status = "" }, "fields"},
		"bad status":      {func(c *Config) { c.Statuses["05"] = trustlist.StatusExpired }, `"05"`},
		"no success code": {func(c *Config) { c.SuccessCodes = nil }, "success"},
		"overlap":         {func(c *Config) { c.NotFoundCodes = []string{"0000"} }, "both"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := config("http://127.0.0.1:1")
			tc.edit(&c)
			_, err := New(c, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error about %s", err, tc.want)
			}
		})
	}
	if _, err := New(config("https://seal.example.gov.cn/gw"), nil); err != nil {
		t.Fatal(err)
	}
}

func TestUnreachableRegion(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	src, err := New(config(url), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Status(context.Background(), "A"); !errors.Is(err, adapters.ErrUnavailable) {
		t.Fatalf("got %v", err)
	}
}
