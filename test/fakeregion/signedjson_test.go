package fakeregion

import (
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// sjOpen checks a signed reply with the region's published key and returns its payload.
func sjOpen(t *testing.T, r *SignedJSON, body []byte) map[string]any {
	t.Helper()
	var env struct{ Data, KeyID, Sign string }
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	block, _ := pem.Decode([]byte(r.PublicKeyPEM()))
	pub, err := smx509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := base64.StdEncoding.DecodeString(env.Sign)
	if env.KeyID != r.KeyID() || len(env.KeyID) != 16 || !sm2.VerifyASN1WithSM2(pub.(*ecdsa.PublicKey), nil, []byte(env.Data), sig) {
		t.Fatalf("reply does not verify with key %s: %s", r.KeyID(), body)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(env.Data), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSignedJSONRoutes(t *testing.T) {
	r := NewSignedJSON(SignedJSONOptions{APIKey: "k"})
	r.Set("A/1", "revoked", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	do := func(method, target, body string, key bool) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if key {
			req.Header.Set("X-Api-Key", "k")
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w
	}
	cases := map[string]struct {
		method, target, body string
		key                  bool
		want                 int
	}{
		"no API key":      {"GET", "/api/v2/seals/A%2F1/status?nonce=01", "", false, http.StatusUnauthorized},
		"wrong path":      {"GET", "/api/v1/other", "", true, http.StatusNotFound},
		"no nonce":        {"GET", "/api/v2/seals/A%2F1/status", "", true, http.StatusBadRequest},
		"too many codes":  {"POST", "/api/v2/seals:batchStatus", `{"nonce":"01","codes":[` + strings.Repeat(`"x",`, 100) + `"x"]}`, true, http.StatusBadRequest},
		"feed bad after":  {"GET", "/api/v2/changes?after=-1&nonce=01", "", true, http.StatusBadRequest},
		"status":          {"GET", "/api/v2/seals/A%2F1/status?nonce=01", "", true, http.StatusOK},
		"unknown, signed": {"GET", "/api/v2/seals/B/status?nonce=01", "", true, http.StatusNotFound},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if w := do(tc.method, tc.target, tc.body, tc.key); w.Code != tc.want {
				t.Fatalf("HTTP %d, want %d: %s", w.Code, tc.want, w.Body)
			}
		})
	}
	p := sjOpen(t, r, do("GET", "/api/v2/seals/A%2F1/status?nonce=0a0b", "", true).Body.Bytes())
	if p["code"] != "A/1" || p["status"] != "revoked" || p["nonce"] != "0a0b" || p["effectiveAt"] != "2026-02-01T08:00:00+08:00" {
		t.Fatalf("status payload %v", p)
	}
	p = sjOpen(t, r, do("POST", "/api/v2/seals:batchStatus", `{"nonce":"0c","codes":["A/1","B"]}`, true).Body.Bytes())
	if res, _ := p["results"].([]any); p["nonce"] != "0c" || len(res) != 2 || res[1].(map[string]any)["error"] != "NOT_FOUND" {
		t.Fatalf("batch payload %v", p)
	}
	if n := r.Calls(); n != len(cases)+2 {
		t.Fatalf("%d calls counted", n)
	}
}

func TestSignedJSONFeedPages(t *testing.T) {
	r := NewSignedJSON(SignedJSONOptions{})
	for _, c := range []string{"A", "B", "A"} {
		r.Set(c, "valid", time.Time{})
	}
	page := func(target string) map[string]any {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
		return sjOpen(t, r, w.Body.Bytes())
	}
	p := page("/api/v2/changes?after=0&limit=2&nonce=01")
	ch, _ := p["changes"].([]any)
	if p["through"] != 2.0 || p["more"] != true || len(ch) != 2 || ch[0].(map[string]any)["seal"] == nil {
		t.Fatalf("first page %v", p)
	}
	p = page("/api/v2/changes?after=2&limit=2&nonce=01")
	ch, _ = p["changes"].([]any)
	if p["through"] != 3.0 || p["more"] != false || len(ch) != 1 || ch[0].(map[string]any)["seal"] != nil {
		t.Fatalf("second page %v", p)
	}
}
