package httpx

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

func TestRequestID(t *testing.T) {
	valid64 := strings.Repeat("a", 64)
	tests := map[string]struct {
		header   []string // X-Request-Id values sent; nil sends none
		wantEcho string   // "" means a fresh ID must be generated
	}{
		"absent":              {header: nil},
		"empty":               {header: []string{""}},
		"accepted":            {header: []string{"req-42"}, wantEcho: "req-42"},
		"full alphabet":       {header: []string{"AZaz09._:-"}, wantEcho: "AZaz09._:-"},
		"uuid":                {header: []string{"5f1d7c2e-8b5a-4a55-9d0f-1b2c3d4e5f60"}, wantEcho: "5f1d7c2e-8b5a-4a55-9d0f-1b2c3d4e5f60"},
		"64 chars":            {header: []string{valid64}, wantEcho: valid64},
		"65 chars rejected":   {header: []string{valid64 + "a"}},
		"space rejected":      {header: []string{"req 42"}},
		"slash rejected":      {header: []string{"a/b"}},
		"quote rejected":      {header: []string{`a"b`}},
		"newline rejected":    {header: []string{"a\nlevel=ERROR"}},
		"non-ASCII rejected":  {header: []string{"请求-1"}},
		"first of two values": {header: []string{"first", "second"}, wantEcho: "first"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var fromGin, fromReq, fromDerived string
			h := newHarness(t, func(g gin.IRouter) {
				g.GET("/id", func(c *gin.Context) {
					fromGin = RequestIDFrom(c)
					fromReq = RequestIDFrom(c.Request.Context())
					// A context derived from the gin context reaches the
					// request context only with ContextWithFallback.
					ctx, cancel := context.WithTimeout(c, time.Second)
					defer cancel()
					fromDerived = RequestIDFrom(ctx)
					c.Status(http.StatusNoContent)
				})
			})
			req := httptest.NewRequest(http.MethodGet, "/v1/id", nil)
			for _, v := range tt.header {
				req.Header.Add(HeaderRequestID, v)
			}
			rec := h.serve(req)

			got := rec.Header().Get(HeaderRequestID)
			if tt.wantEcho != "" {
				if got != tt.wantEcho {
					t.Errorf("X-Request-Id = %q, want echo %q", got, tt.wantEcho)
				}
			} else if !generatedID.MatchString(got) {
				t.Errorf("X-Request-Id = %q, want a generated 32-hex ID", got)
			}
			for what, v := range map[string]string{"gin context": fromGin, "request context": fromReq, "derived context": fromDerived} {
				if v != got {
					t.Errorf("RequestIDFrom(%s) = %q, want %q", what, v, got)
				}
			}
		})
	}
}

func TestRequestIDGeneratedIsFresh(t *testing.T) {
	h := newHarness(t, nil)
	seen := map[string]bool{}
	for range 50 {
		id := h.do(t, http.MethodGet, "/v1/none", nil, nil).Header().Get(HeaderRequestID)
		if seen[id] {
			t.Fatalf("request ID %q generated twice", id)
		}
		seen[id] = true
	}
}

func TestRequestIDFromEmpty(t *testing.T) {
	if got := RequestIDFrom(context.Background()); got != "" {
		t.Errorf("RequestIDFrom(Background) = %q", got)
	}
	if got := RequestIDFrom(WithRequestID(context.Background(), "job-7")); got != "job-7" {
		t.Errorf("RequestIDFrom(WithRequestID) = %q", got)
	}
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	if got := RequestIDFrom(c); got != "" {
		t.Errorf("RequestIDFrom(bare gin context) = %q", got)
	}
}

// requestIDOracle is the accepted syntax, written independently of
// validRequestID.
var requestIDOracle = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// FuzzRequestID feeds arbitrary X-Request-Id values, which are outside input,
// through the middleware: the response ID must always be log-safe, must be
// the caller's value exactly when that value is acceptable, and must
// otherwise be freshly generated.
func FuzzRequestID(f *testing.F) {
	for _, seed := range []string{
		"", "req-42", "AZaz09._:-", strings.Repeat("x", 64), strings.Repeat("x", 65),
		"a b", "a\r\nb", "\x00", "请求", "ab\xff", "../../etc/passwd", "%0a",
	} {
		f.Add(seed)
	}
	e, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	e.GET("/", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	f.Fuzz(func(t *testing.T, in string) {
		if got, want := validRequestID(in), requestIDOracle.MatchString(in); got != want {
			t.Fatalf("validRequestID(%q) = %v, oracle says %v", in, got, want)
		}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header[HeaderRequestID] = []string{in}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		got := rec.Header().Get(HeaderRequestID)
		switch {
		case !requestIDOracle.MatchString(got):
			t.Fatalf("response X-Request-Id %q is not log-safe (input %q)", got, in)
		case requestIDOracle.MatchString(in) && got != in:
			t.Fatalf("valid input %q not echoed, got %q", in, got)
		case !requestIDOracle.MatchString(in) && !generatedID.MatchString(got):
			t.Fatalf("invalid input %q: got %q, want a generated ID", in, got)
		}
	})
}
