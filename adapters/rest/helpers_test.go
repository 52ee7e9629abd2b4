package rest

import (
	"github.com/sealhub/sealhub/adapters/adaptertest"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sealhub/sealhub/test/fakeregion"
	"github.com/sealhub/sealhub/trustlist"
)

const (
	testKey    = "sealhub-37"
	testSecret = "s3cr3t-of-region-37"
)

// config is the adapter configuration of the simulated REST region at endpoint.
func config(endpoint string) Config {
	return Config{
		Endpoint:  endpoint,
		AppKey:    testKey,
		AppSecret: testSecret,
		Path:      "/api/seal/status?sealCode={code}",
		Fields:    Fields{Code: "code", Message: "msg", Status: "data.sealStatus", EffectiveAt: "data.statusTime"},
		Statuses: map[string]trustlist.Status{
			"01": trustlist.StatusValid, "02": trustlist.StatusSuspended,
			"03": trustlist.StatusRevoked, "04": trustlist.StatusInvalidated,
		},
		SuccessCodes:  []string{fakeregion.CodeOK},
		NotFoundCodes: []string{fakeregion.CodeNotFound},
		AuthCodes:     []string{fakeregion.CodeBadSign, fakeregion.CodeReplay},
	}
}

// region starts a simulated region and a Source for it; both stop with the test.
func region(t *testing.T, o fakeregion.RESTOptions, edit func(*Config)) (*fakeregion.REST, *Source) {
	t.Helper()
	if o.AppKey == "" {
		o.AppKey, o.AppSecret = testKey, testSecret
	}
	fr := fakeregion.NewREST(o)
	srv := httptest.NewServer(fr)
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() {
		hc.CloseIdleConnections()
		srv.Close()
	})
	cfg := config(srv.URL)
	if edit != nil {
		edit(&cfg)
	}
	src, err := New(cfg, hc)
	if err != nil {
		t.Fatal(err)
	}
	return fr, src
}

// noLeaks is adaptertest.NoLeaks.
func noLeaks(t *testing.T) {
	t.Helper()
	adaptertest.NoLeaks(t)
}
