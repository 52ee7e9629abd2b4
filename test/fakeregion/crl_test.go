package fakeregion

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

func crlGet(t *testing.T, c *CRL, target, apiKey string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if apiKey != "" {
		req.Header.Set("X-Api-Key", apiKey)
	}
	w := httptest.NewRecorder()
	c.ServeHTTP(w, req)
	return w
}

// crlRead checks a document's signature with the region's published key and returns its list.
func crlRead(t *testing.T, c *CRL, body []byte) crlList {
	t.Helper()
	var d crlDocument
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatalf("document: %v: %s", err, body)
	}
	pub, err := smcrypto.ParsePublicKey(c.PublicKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	list, err1 := base64.StdEncoding.DecodeString(d.List)
	sig, err2 := base64.StdEncoding.DecodeString(d.Sign)
	if err1 != nil || err2 != nil || d.KeyID != c.KeyID() || !sm2.VerifyASN1WithSM2(pub, []byte("1234567812345678"), list, sig) {
		t.Fatalf("document %s does not verify under key %s", body, c.KeyID())
	}
	var l crlList
	if err := json.Unmarshal(list, &l); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestCRLRefusals(t *testing.T) {
	c := NewCRL(CRLOptions{APIKey: "k", KeepDeltas: 1})
	c.Set("A", "valid", time.Time{})
	c.Set("A", "revoked", time.Time{})
	c.Set("A", "valid", time.Time{})
	cases := map[string]struct {
		target, key string
		want        int
	}{
		"no api key":    {"/crl/full", "", http.StatusUnauthorized},
		"wrong api key": {"/crl/full", "x", http.StatusUnauthorized},
		"wrong path":    {"/crl/other", "k", http.StatusNotFound},
		"bad base":      {"/crl/delta?base=x", "k", http.StatusBadRequest},
		"pruned base":   {"/crl/delta?base=1", "k", http.StatusGone},
		"future base":   {"/crl/delta?base=4", "k", http.StatusGone},
		"kept base":     {"/crl/delta?base=2", "k", http.StatusOK},
		"full list":     {"/crl/full", "k", http.StatusOK},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if w := crlGet(t, c, tc.target, tc.key); w.Code != tc.want {
				t.Fatalf("HTTP %d, want %d: %s", w.Code, tc.want, w.Body)
			}
		})
	}
	if c.Calls() != len(cases) {
		t.Fatalf("%d calls counted", c.Calls())
	}
}

func TestCRLLists(t *testing.T) {
	now := time.Date(2026, 3, 1, 8, 0, 0, 500, time.UTC)
	c := NewCRL(CRLOptions{Issuer: "44", NextUpdate: 10 * time.Minute, Now: func() time.Time { return now }})
	at := time.Date(2026, 2, 3, 4, 5, 6, 0, time.FixedZone("CST", 8*3600))
	c.Set("A", trustlist.StatusValid, at)
	c.Set("B", trustlist.StatusSuspended, time.Time{})
	c.Set("A", trustlist.StatusRevoked, at)
	c.Set("C", "99", at) // a code of the region's own passes through

	full := crlRead(t, c, crlGet(t, c, "/crl/full", "").Body.Bytes())
	if full.Issuer != "44" || full.Type != "full" || full.Seq != 4 || full.Base != nil ||
		full.ThisUpdate != "2026-03-01T08:00:00Z" || full.NextUpdate != "2026-03-01T08:10:00Z" || len(full.Entries) != 3 {
		t.Fatalf("full list %+v", full)
	}
	want := []struct {
		seq          uint64
		code, status string
	}{{2, "B", "frozen"}, {3, "A", "revoked"}, {4, "C", "99"}}
	for i, w := range want {
		e := full.Entries[i]
		if e.Seq != w.seq || e.Code != w.code || e.Status != w.status || e.Seal == nil {
			t.Fatalf("full entry %d: %+v, want %+v with its seal", i, e, w)
		}
	}
	if full.Entries[0].EffectiveAt != "" || full.Entries[1].EffectiveAt != "2026-02-02T20:05:06Z" {
		t.Fatalf("effective times %q, %q", full.Entries[0].EffectiveAt, full.Entries[1].EffectiveAt)
	}

	delta := crlRead(t, c, crlGet(t, c, "/crl/delta?base=1", "").Body.Bytes())
	if delta.Type != "delta" || delta.Base == nil || *delta.Base != 1 || delta.Seq != 4 || len(delta.Entries) != 3 {
		t.Fatalf("delta %+v", delta)
	}
	if delta.Entries[0].Code != "B" || delta.Entries[0].Seal == nil || delta.Entries[1].Code != "A" || delta.Entries[1].Seal != nil {
		t.Fatalf("a seal is described on its first appearance only: %+v", delta.Entries)
	}
	if empty := crlRead(t, c, crlGet(t, c, "/crl/delta?base=4", "").Body.Bytes()); empty.Seq != 4 || len(empty.Entries) != 0 {
		t.Fatalf("delta from the newest seq: %+v", empty)
	}
}

func TestCRLSetRaw(t *testing.T) {
	c := NewCRL(CRLOptions{KeepDeltas: 1})
	c.SetRaw("whatever", []byte(`{"raw":true}`))
	for _, target := range []string{"/crl/full", "/crl/delta?base=0", "/crl/delta?base=99"} {
		if w := crlGet(t, c, target, ""); w.Code != http.StatusOK || w.Body.String() != `{"raw":true}` {
			t.Fatalf("%s: HTTP %d %s", target, w.Code, w.Body)
		}
	}
	c.SetRaw("whatever", nil)
	if w := crlGet(t, c, "/crl/full", ""); w.Body.String() == `{"raw":true}` {
		t.Fatal("the raw body is still served")
	}
}
