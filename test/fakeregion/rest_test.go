package fakeregion

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestRESTRefusesUnsigned(t *testing.T) {
	r := NewREST(RESTOptions{AppKey: "k", AppSecret: "s"})
	r.Set("A", "valid", time.Time{})
	cases := map[string]struct {
		target string
		want   int
	}{
		"unsigned":   {"/api/seal/status?sealCode=A", http.StatusUnauthorized},
		"wrong path": {"/api/other", http.StatusNotFound},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tc.target, nil))
			if w.Code != tc.want {
				t.Fatalf("HTTP %d, want %d", w.Code, tc.want)
			}
		})
	}
	if r.Calls() != 2 {
		t.Fatalf("%d calls counted", r.Calls())
	}
}
