package soap

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/test/fakeregion"
	"github.com/sealhub/sealhub/trustlist"
)

// TestUsernameTokenRefused: the simulated region checks the token's SM3 digest, the account and
// the clock; each refusal reaches the caller as an *AuthError.
func TestUsernameTokenRefused(t *testing.T) {
	cases := map[string]struct {
		edit  func(*Config)
		fault string // the faultcode, or "" when the region answers with its auth result code
	}{
		"wrong password": {func(c *Config) { c.Password = "not-the-password" }, "wsse:FailedAuthentication"},
		"wrong username": {func(c *Config) { c.Username = "someone-else" }, ""},
		"clock skew": {func(c *Config) {
			c.Now = func() time.Time { return time.Now().Add(-6 * time.Minute) }
		}, "wsse:MessageExpired"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			noLeaks(t)
			fr, src := region(t, fakeregion.SOAPOptions{}, tc.edit)
			fr.Set("A", "valid", time.Time{})
			r, err := src.Status(context.Background(), "A")
			var auth *AuthError
			if !errors.As(err, &auth) || !errors.Is(err, adapters.ErrUnavailable) || r != (adapters.Report{}) {
				t.Fatalf("got %+v, %v; want an AuthError", r, err)
			}
			if auth.FaultCode != tc.fault || (tc.fault == "" && auth.Code != fakeregion.SOAPCodeAuth) {
				t.Fatalf("refusal %+v, want fault %q", auth, tc.fault)
			}
			if !strings.Contains(err.Error(), "refused the account") || strings.Contains(err.Error(), testPassword) {
				t.Fatalf("message %q does not say the account was refused, or shows the password", err)
			}
		})
	}
}

// TestRequestWire checks what goes on the wire: POST, text/xml, the quoted SOAPAction, and an
// envelope whose UsernameToken digest is Base64(SM3(nonce ‖ created ‖ password)).
func TestRequestWire(t *testing.T) {
	var got struct {
		method, contentType, action string
		body                        []byte
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		got.method, got.contentType, got.action = req.Method, req.Header.Get("Content-Type"), req.Header.Get("SOAPAction")
		got.body, _ = io.ReadAll(req.Body)
		http.Error(w, "no", http.StatusTeapot)
	}))
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() { hc.CloseIdleConnections(); srv.Close() })
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))
	src, err := New(func() Config { c := config(srv.URL); c.Now = func() time.Time { return now }; return c }(), hc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Status(context.Background(), "37&01"); !errors.Is(err, adapters.ErrUnavailable) {
		t.Fatalf("HTTP 418: %v", err)
	}
	if got.method != http.MethodPost || got.contentType != "text/xml; charset=utf-8" || got.action != `"`+fakeregion.SOAPAction+`"` {
		t.Fatalf("method %s, content type %q, SOAPAction %q", got.method, got.contentType, got.action)
	}
	var env struct {
		Header struct {
			Security struct {
				Token struct {
					Username string `xml:"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd Username"`
					Password string `xml:"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd Password"`
					Nonce    string `xml:"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd Nonce"`
					Created  string `xml:"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd Created"`
				} `xml:"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd UsernameToken"`
			} `xml:"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd Security"`
		} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Header"`
		Body struct {
			Code string `xml:"http://seal.example.gov.cn/ws QuerySealStatus>sealCode"`
		} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
	}
	if err := xml.Unmarshal(got.body, &env); err != nil {
		t.Fatalf("%v in %s", err, got.body)
	}
	tok := env.Header.Security.Token
	if tok.Username != testUser || env.Body.Code != "37&01" || tok.Created != "2026-03-01T00:00:00Z" {
		t.Fatalf("token %+v, code %q in %s", tok, env.Body.Code, got.body)
	}
	nonce, err := base64.StdEncoding.DecodeString(tok.Nonce)
	if err != nil || len(nonce) != 16 {
		t.Fatalf("nonce %q", tok.Nonce)
	}
	sum := sm3.Sum([]byte(string(nonce) + tok.Created + testPassword))
	if tok.Password != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Fatalf("digest %q is not Base64(SM3(nonce + created + password))", tok.Password)
	}
	if bytes.Contains(got.body, []byte(testPassword)) {
		t.Fatal("the password is on the wire")
	}
}

// TestNonceReplayRefused: the same envelope sent twice is refused the second time.
func TestNonceReplayRefused(t *testing.T) {
	fr := fakeregion.NewSOAP(fakeregion.SOAPOptions{Username: testUser, Password: testPassword})
	fr.Set("A", "valid", time.Time{})
	src, err := New(config("http://region.invalid"), nil)
	if err != nil {
		t.Fatal(err)
	}
	env := src.envelope("A", time.Now())
	send := func() (int, string) {
		req := httptest.NewRequest(http.MethodPost, fakeregion.SOAPPath, bytes.NewReader(env))
		req.Header.Set("Content-Type", "text/xml; charset=utf-8")
		req.Header.Set("SOAPAction", `"`+fakeregion.SOAPAction+`"`)
		w := httptest.NewRecorder()
		fr.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	if c, body := send(); c != http.StatusOK {
		t.Fatalf("first: HTTP %d %s", c, body)
	}
	c, body := send()
	if r, err := src.decode(c, []byte(body)); !errors.As(err, new(*AuthError)) {
		t.Fatalf("replay: HTTP %d, %+v, %v; want an AuthError", c, r, err)
	}
}

// TestTokenIsFreshPerRequest: every call carries a new nonce, or the region would refuse the
// second as a replay.
func TestTokenIsFreshPerRequest(t *testing.T) {
	fr, src := region(t, fakeregion.SOAPOptions{}, nil)
	fr.Set("A", "revoked", time.Time{})
	for range 3 {
		if r, err := src.Status(context.Background(), "A"); err != nil || r.Status != trustlist.StatusRevoked {
			t.Fatalf("got %+v, %v", r, err)
		}
	}
}

func TestFaults(t *testing.T) {
	cases := map[string]struct {
		faults fakeregion.Faults
		want   error
		auth   bool
	}{
		"server error": {faults: fakeregion.Faults{ErrorRate: 1}, want: adapters.ErrUnavailable},
		"auth failure": {faults: fakeregion.Faults{AuthRate: 1}, want: adapters.ErrUnavailable, auth: true},
		"malformed":    {faults: fakeregion.Faults{MalformedRate: 1}, want: adapters.ErrMalformed},
		"truncated":    {faults: fakeregion.Faults{TruncatedRate: 1}, want: adapters.ErrMalformed},
		"html page":    {faults: fakeregion.Faults{HTMLRate: 1}, want: adapters.ErrMalformed},
		"slow drip":    {faults: fakeregion.Faults{DripRate: 1, DripEvery: 20 * time.Millisecond}, want: adapters.ErrUnavailable},
		"latency":      {faults: fakeregion.Faults{Latency: 5 * time.Second}, want: adapters.ErrUnavailable},
	}
	for name, tc := range cases {
		for _, gbk := range []bool{false, true} {
			t.Run(name+map[bool]string{false: "", true: " gbk"}[gbk], func(t *testing.T) {
				noLeaks(t)
				fr, src := region(t, fakeregion.SOAPOptions{Faults: tc.faults, GBK: gbk}, nil)
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
				if errors.As(err, new(*AuthError)) != tc.auth {
					t.Fatalf("AuthError mismatch: %v", err)
				}
			})
		}
	}
}

func TestCancellationReturnsPromptly(t *testing.T) {
	noLeaks(t)
	fr, src := region(t, fakeregion.SOAPOptions{Faults: fakeregion.Faults{Latency: 10 * time.Second}}, nil)
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
	fr, src := region(t, fakeregion.SOAPOptions{}, func(c *Config) { c.MaxBody = 512 })
	fr.Set("A", "valid", time.Time{})
	if r, err := src.Status(context.Background(), "A"); err != nil {
		t.Fatalf("a reply under the bound: %+v, %v", r, err)
	}
	fr.SetRaw("B", []byte(`<soap:Envelope xmlns:soap="`+NamespaceEnvelope+`"><!--`+strings.Repeat("x", 600)+`--></soap:Envelope>`))
	if _, err := src.Status(context.Background(), "B"); !errors.Is(err, adapters.ErrMalformed) {
		t.Fatalf("got %v", err)
	}
}

// TestBehindWrap: 100 concurrent identical queries through the wrapper reach the region once.
func TestBehindWrap(t *testing.T) {
	noLeaks(t)
	fr, src := region(t, fakeregion.SOAPOptions{Faults: fakeregion.Faults{Latency: 100 * time.Millisecond}}, nil)
	fr.Set("A", "suspended", time.Time{})
	w := adapters.Wrap(src, adapters.Options{Region: "44"})
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

// TestDecode covers replies the simulated region does not send: the HTTP status, faults and
// documents that are XML but not a usable SOAP reply.
func TestDecode(t *testing.T) {
	env := func(body string) string {
		return `<soap:Envelope xmlns:soap="` + NamespaceEnvelope + `"><soap:Body>` + body + `</soap:Body></soap:Envelope>`
	}
	resp := func(ret string) string {
		return env(`<r:QuerySealStatusResponse xmlns:r="` + fakeregion.SOAPNamespace + `">` + ret + `</r:QuerySealStatusResponse>`)
	}
	ok := `<return><resultCode>0</resultCode><sealStatus>1</sealStatus></return>`
	fault := func(code string) string {
		return env(`<soap:Fault><faultcode>` + code + `</faultcode><faultstring>refused</faultstring></soap:Fault>`)
	}
	cases := map[string]struct {
		status int
		body   string
		want   error // nil: a valid report
		auth   bool
	}{
		"ok":                        {status: 200, body: resp(ok)},
		"byte order mark":           {status: 200, body: "\xef\xbb\xbf" + resp(ok)},
		"HTTP 401":                  {status: 401, body: "", want: adapters.ErrUnavailable, auth: true},
		"HTTP 403 with a reply":     {status: 403, body: resp(ok), want: adapters.ErrUnavailable, auth: true},
		"HTTP 500 fault":            {status: 500, body: fault("soap:Server"), want: adapters.ErrUnavailable},
		"HTTP 500 security fault":   {status: 500, body: fault("wsse:InvalidSecurity"), want: adapters.ErrUnavailable, auth: true},
		"HTTP 500 expired":          {status: 500, body: fault("wsse:MessageExpired"), want: adapters.ErrUnavailable, auth: true},
		"HTTP 500 client fault":     {status: 500, body: fault("soap:Client"), want: adapters.ErrUnavailable},
		"HTTP 502 HTML":             {status: 502, body: "<html><body>bad gateway</body></html>", want: adapters.ErrUnavailable},
		"HTTP 500 good reply":       {status: 500, body: resp(ok), want: adapters.ErrUnavailable},
		"empty":                     {status: 200, body: "", want: adapters.ErrMalformed},
		"JSON":                      {status: 200, body: `{"code":"0"}`, want: adapters.ErrMalformed},
		"empty Body":                {status: 200, body: env(""), want: adapters.ErrMalformed},
		"two Bodies":                {status: 200, body: `<soap:Envelope xmlns:soap="` + NamespaceEnvelope + `"><soap:Body/><soap:Body/></soap:Envelope>`, want: adapters.ErrMalformed},
		"unprefixed wrong envelope": {status: 200, body: `<Envelope><Body><QuerySealStatusResponse>` + ok + `</QuerySealStatusResponse></Body></Envelope>`, want: adapters.ErrMalformed},
		"unknown encoding":          {status: 200, body: `<?xml version="1.0" encoding="x-klingon"?>` + resp(ok), want: adapters.ErrMalformed},
		"too deep":                  {status: 200, body: resp(strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100)), want: adapters.ErrMalformed},
		"second root":               {status: 200, body: resp(ok) + resp(ok), want: adapters.ErrMalformed},
		"status with children":      {status: 200, body: resp(`<return><resultCode>0</resultCode><sealStatus><v>1</v></sealStatus></return>`), want: adapters.ErrMalformed},
		"status in another ns":      {status: 200, body: resp(`<return><resultCode>0</resultCode><x:sealStatus xmlns:x="urn:x">1</x:sealStatus></return>`), want: adapters.ErrMalformed},
		"no result code":            {status: 200, body: resp(`<return><sealStatus>1</sealStatus></return>`), want: adapters.ErrMalformed},
		"invalid UTF-8":             {status: 200, body: resp("<return><resultCode>0</resultCode><resultMsg>\xff</resultMsg><sealStatus>1</sealStatus></return>"), want: adapters.ErrMalformed},
	}
	src, err := New(config("http://region.invalid"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := src.decode(tc.status, []byte(tc.body))
			if tc.want == nil {
				if err != nil || r.Status != trustlist.StatusValid {
					t.Fatalf("got %+v, %v", r, err)
				}
				return
			}
			if !errors.Is(err, tc.want) || r != (adapters.Report{}) {
				t.Fatalf("got %+v, %v; want %v", r, err, tc.want)
			}
			if errors.As(err, new(*AuthError)) != tc.auth {
				t.Fatalf("AuthError mismatch: %v", err)
			}
		})
	}
}

func TestUnsendableCode(t *testing.T) {
	src, err := New(config("http://region.invalid"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"", "37\x0001", "37\xff"} {
		if _, err := src.Status(context.Background(), code); !errors.Is(err, adapters.ErrNotFound) {
			t.Errorf("code %q: %v, want ErrNotFound without asking", code, err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	cases := map[string]struct {
		edit func(*Config)
		want string
	}{
		"no endpoint":      {func(c *Config) { c.Endpoint = "" }, "endpoint"},
		"ftp endpoint":     {func(c *Config) { c.Endpoint = "ftp://x/ws" }, "endpoint"},
		"no username":      {func(c *Config) { c.Username = "" }, "username"},
		"no password":      {func(c *Config) { c.Password = "" }, "password"},
		"no namespace":     {func(c *Config) { c.Namespace = "" }, "namespace"},
		"no operation":     {func(c *Config) { c.Operation = "" }, "operation"},
		"prefixed op":      {func(c *Config) { c.Operation = "ns:QuerySealStatus" }, "operation"},
		"bad response":     {func(c *Config) { c.Response = "1Response" }, "response"},
		"bad code element": {func(c *Config) { c.CodeElement = "seal code" }, "code element"},
		"quoted action":    {func(c *Config) { c.SOAPAction = `"urn:x"` }, "SOAPAction"},
		"no status field":  {func(c *Config) { c.Fields.Status = "" }, "fields"},
		"prefixed path":    {func(c *Config) { c.Fields.Status = "ns2:return/sealStatus" }, "field path"},
		"empty step":       {func(c *Config) { c.Fields.EffectiveAt = "return//statusTime" }, "field path"},
		"bad status":       {func(c *Config) { c.Statuses["5"] = trustlist.StatusExpired }, `"5"`},
		"no statuses":      {func(c *Config) { c.Statuses = nil }, "status-code"},
		"no success code":  {func(c *Config) { c.SuccessCodes = nil }, "success"},
		"overlap":          {func(c *Config) { c.AuthCodes = []string{"0"} }, "both"},
		"negative body":    {func(c *Config) { c.MaxBody = -1 }, "max body"},
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
	if _, err := New(config("https://seal.example.gov.cn"), nil); err != nil {
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
