package soap

import (
	"github.com/sealhub/sealhub/adapters/adaptertest"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sealhub/sealhub/test/fakeregion"
	"github.com/sealhub/sealhub/trustlist"
)

const (
	testUser     = "sealhub-44"
	testPassword = "p@ss-of-region-44"
)

// config is the adapter configuration of the simulated SOAP region at base (its server's URL).
func config(base string) Config {
	return Config{
		Endpoint:  base + fakeregion.SOAPPath,
		Username:  testUser,
		Password:  testPassword,
		Namespace: fakeregion.SOAPNamespace,
		Operation: fakeregion.SOAPOperation,
		Fields: Fields{
			Code: "return/resultCode", Message: "return/resultMsg",
			Status: "return/sealStatus", EffectiveAt: "return/statusTime",
		},
		Statuses: map[string]trustlist.Status{
			"1": trustlist.StatusValid, "2": trustlist.StatusSuspended,
			"3": trustlist.StatusRevoked, "4": trustlist.StatusInvalidated,
		},
		SuccessCodes:  []string{fakeregion.SOAPCodeOK},
		NotFoundCodes: []string{fakeregion.SOAPCodeNotFound},
		AuthCodes:     []string{fakeregion.SOAPCodeAuth},
	}
}

// region starts a simulated region and a Source for it; both stop with the test.
func region(t *testing.T, o fakeregion.SOAPOptions, edit func(*Config)) (*fakeregion.SOAP, *Source) {
	t.Helper()
	if o.Username == "" {
		o.Username, o.Password = testUser, testPassword
	}
	fr := fakeregion.NewSOAP(o)
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

// cst reads a time in China Standard Time, the region's default.
func cst(s string) time.Time {
	t, err := time.ParseInLocation(DefaultTimeLayout, s, chinaTime)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// noLeaks is adaptertest.NoLeaks.
func noLeaks(t *testing.T) {
	t.Helper()
	adaptertest.NoLeaks(t)
}
