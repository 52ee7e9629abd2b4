package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sealhub/sealhub/resolver/httpapi"
	"github.com/sealhub/sealhub/trustlist"
)

// The fuzz targets drive the whole engine (guard, body limits, parsers, resolver, error rendering)
// with outside input. Every answer must be one of two kinds: 200 with the route's answer, or a 4xx
// in the error envelope with a code. No input may get a 5xx.

// fuzzLimits keep the fuzzed bodies' limits within reach of the fuzzer.
var fuzzLimits = httpapi.Limits{MaxRequestBytes: 64 << 10, MaxDocumentBytes: 256 << 10, MaxBatch: 8}

// checkError checks a non-200 answer.
func checkError(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("answered %d (no outside input may get a 5xx): %s", rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	if rec.Code < 400 {
		t.Fatalf("answered %d: %s", rec.Code, rec.Body.String())
	}
	if _, bad := problem(rec); bad != "" {
		t.Fatalf("answered %d: %s", rec.Code, bad)
	}
}

// checkVerification checks an answer of a /verify route.
func checkVerification(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code != http.StatusOK {
		checkError(t, rec)
		return
	}
	if _, bad := answer(rec); bad != "" {
		t.Fatal(bad)
	}
}

// withAt is path with ?at= when at is not empty.
func withAt(path, at string) string {
	if at == "" {
		return path
	}
	return path + "?" + url.Values{"at": {at}}.Encode()
}

func FuzzVerifySealRequest(f *testing.F) {
	fx := newFixture(f)
	h := fx.server(f, limits(fuzzLimits))
	seal := jsonBody(f, map[string][]byte{"seal": fx.sealDER})
	for _, s := range []struct {
		at, contentType string
		body            []byte
	}{
		{"", "application/json", seal},
		{"2024-06-01T08:00:00+08:00", "application/json; charset=utf-8", seal},
		{"", "application/octet-stream", fx.sealDER},
		{"2030-01-01T00:00:00Z", "", fx.sealDER},
		{"", "application/x-ses-seal", fx.sealDER[:len(fx.sealDER)/2]},
		{"", "application/json", []byte(`{"seal":"MIIB"}`)},
		{"", "application/json", []byte(`{"seal":"","seal":""}`)},
		{"yesterday", "", fx.sealDER},
		{"", "text/plain", []byte("x")},
		{"", "application/json;;", seal},
		{"", "", nil},
	} {
		f.Add(s.at, s.contentType, s.body)
	}
	f.Fuzz(func(t *testing.T, at, contentType string, body []byte) {
		rec := req{path: withAt("/v1/verify/seal", at), contentType: contentType, body: body}.send(h)
		checkVerification(t, rec)
	})
}

func FuzzVerifySignatureRequest(f *testing.F) {
	fx := newFixture(f)
	h := fx.server(f, limits(fuzzLimits))
	hash := sm3Hex(signedData)
	sig := part{name: "signature", body: fx.signature}
	seed := func(contentType string, body []byte) { f.Add(contentType, body) }
	seed("application/json", jsonBody(f, map[string][]byte{"signature": fx.signature, "data": signedData}))
	seed("application/json", jsonBody(f, map[string]any{"signature": fx.signature, "data_sm3": hash}))
	seed("application/json", jsonBody(f, map[string]any{"signature": fx.signature, "data": signedData, "data_sm3": hash}))
	seed("application/json", []byte(`{"signature":"MAA=","data":null}`))
	seed(form(f, sig, part{name: "data", body: signedData}))
	seed(form(f, part{name: "data", body: []byte("other")}, sig))
	seed(form(f, sig, part{name: "data_sm3", body: []byte(hash + "\r\n")}))
	seed(form(f, sig, part{name: "data_sm3", body: []byte(hash)}, part{name: "data", body: signedData}))
	seed(form(f, sig, part{name: "seal", body: fx.sealDER}))
	seed(form(f, sig, sig))
	seed(form(f))
	seed("multipart/form-data; boundary=\"a b\"", []byte("--a b\r\nContent-Disposition: form-data; name=signature\r\n\r\n0\x00\r\n--a b--"))
	seed("multipart/form-data", nil)
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		rec := req{path: "/v1/verify/signature", contentType: contentType, body: body}.send(h)
		checkVerification(t, rec)
	})
}

func FuzzBatchGet(f *testing.F) {
	fx := newFixture(f)
	h := fx.server(f, limits(fuzzLimits))
	for _, s := range []struct {
		at, contentType, body string
	}{
		{"", "application/json", `{"codes":["` + sealCode + `","` + metaCode + `","` + sealOther + `"]}`},
		{"2024-06-01T00:00:00Z", "", `{"codes":["` + sealCode + `"],"at":"2024-06-01T08:00:00+08:00"}`},
		{"", "application/json", `{"codes":["` + metaCode + `"],"at":"2025-02-01T00:00:00Z"}`},
		{"2024-06-01T00:00:00Z", "application/json", `{"codes":["a"],"at":"2024-06-02T00:00:00Z"}`},
		{"", "application/json", `{"codes":[]}`},
		{"", "application/json", `{"codes":["` + strings.Repeat("章", 22) + `"]}`},
		{"", "application/json", `{"codes":["a","b","c","d","e","f","g","h","i"]}`},
		{"", "application/json", `{"codes":["\ud800"]}`},
		{"", "text/plain", `{"codes":["a"]}`},
		{"", "", ``},
	} {
		f.Add(s.at, s.contentType, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, at, contentType string, body []byte) {
		rec := req{path: withAt("/v1/seals:batchGet", at), contentType: contentType, body: body}.send(h)
		if rec.Code != http.StatusOK {
			checkError(t, rec)
			return
		}
		var b batchResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
			t.Fatalf("200 with %q: %v", rec.Body.String(), err)
		}
		if len(b.Results) == 0 || len(b.Results) > fuzzLimits.MaxBatch || b.Index != fx.st.Index() {
			t.Fatalf("200 with %d results at index %d", len(b.Results), b.Index)
		}
		for _, r := range b.Results {
			if r.Found != (r.Seal != nil) || r.Found != (r.Status != nil) || (r.Found && r.Seal.Code != r.Code) {
				t.Fatalf("result %+v", r)
			}
		}
	})
}

func FuzzGetSeal(f *testing.F) {
	fx := newFixture(f)
	h := fx.server(f, limits(fuzzLimits))
	for _, s := range []struct{ code, at, asOf string }{
		{sealCode, "", ""},
		{metaCode, "2024-07-01T08:00:00+08:00", ""},
		{revoked, "", fmt.Sprint(fx.filed)},
		{revoked, "2030-01-01T00:00:00Z", "1"},
		{revoked, "0000-01-01T00:00:00+01:00", "-1"},
		{sealOther, "", ""},
		{strings.Repeat("9", 65), "", ""},
		{"37\xff", "", ""},
		{"", "", ""},
	} {
		f.Add(s.code, s.at, s.asOf)
	}
	f.Fuzz(func(t *testing.T, code, at, asOf string) {
		q := url.Values{}
		if at != "" {
			q.Set("at", at)
		}
		if asOf != "" {
			q.Set("as_of_index", asOf)
		}
		path := "/v1/seals/" + url.PathEscape(code)
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
		rec := req{method: http.MethodGet, path: path}.send(h)
		switch {
		case rec.Code == http.StatusOK:
		case rec.Code >= 300 && rec.Code < 400 && rec.Header().Get("Location") != "":
			return // gin's trailing-slash and path-cleaning redirects (codes such as "a/" or "..")
		default:
			checkError(t, rec)
			return
		}
		var b struct {
			Code   string               `json:"code"`
			Status trustlist.StatusView `json:"status"`
			Index  uint64               `json:"index"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
			t.Fatalf("200 with %q: %v", rec.Body.String(), err)
		}
		if b.Code != code || b.Index != fx.st.Index() || b.Status.Status == "" {
			t.Fatalf("asked for %q, got %+v", code, b)
		}
	})
}
