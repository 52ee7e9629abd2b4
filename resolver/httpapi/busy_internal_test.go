package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sealhub/sealhub/internal/httpx"
	"github.com/sealhub/sealhub/resolver"
)

// With every verification slot taken, a document waits out the request timeout and gets 503 BUSY
// with Retry-After; the slot freed, the same request is answered.
func TestBusyWhenEverySlotIsTaken(t *testing.T) {
	st := emptyState{}
	a, err := New(Config{State: st, Resolver: &resolver.Resolver{Trust: st}, Limits: Limits{MaxDocuments: 1, RequestTimeout: 100 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := httpx.New(httpx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a.Register(e.Group("/v1"))
	send := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/v1/verify/ofd", bytes.NewReader([]byte("PK not an ofd")))
		r.Header.Set("Content-Type", "application/ofd")
		e.ServeHTTP(rec, r)
		return rec
	}
	a.docs <- struct{}{} // every slot taken
	rec := send()
	var body httpx.ErrorBody
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	if rec.Code != http.StatusServiceUnavailable || body.Code != codeBusy || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("%d %s (Retry-After %q), want 503 BUSY with Retry-After", rec.Code, rec.Body, rec.Header().Get("Retry-After"))
	}
	<-a.docs
	if rec := send(); rec.Code != http.StatusOK {
		t.Fatalf("with a free slot: %d %s", rec.Code, rec.Body)
	}
}
