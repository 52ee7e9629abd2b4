package httpx

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestAccessLog(t *testing.T) {
	routes := func(g gin.IRouter) {
		g.GET("/seals/:code", func(c *gin.Context) { JSON(c, http.StatusOK, map[string]string{"code": c.Param("code")}) })
		g.POST("/seals", func(c *gin.Context) { Fail(c, Errorf(http.StatusBadRequest, "SEAL_MALFORMED", "seal is malformed")) })
		g.GET("/fault", func(c *gin.Context) { Fail(c, errors.New(secret)) })
		g.GET("/panic", func(*gin.Context) { panic("boom") })
	}
	tests := map[string]struct {
		method, target string
		header         http.Header
		wantStatus     int
		wantLevel      string
		wantRoute      string
		wantCode       string // error_code; "" means the key is absent
	}{
		"ok at debug":          {http.MethodGet, "/v1/seals/ABC123", nil, 200, "DEBUG", "/v1/seals/:code", ""},
		"bad input at info":    {http.MethodPost, "/v1/seals", nil, 400, "INFO", "/v1/seals", "SEAL_MALFORMED"},
		"not found at info":    {http.MethodGet, "/v1/seals/ABC/extra", nil, 404, "INFO", "unmatched", CodeNotFound},
		"wrong method at info": {http.MethodPut, "/v1/seals/ABC", nil, 405, "INFO", "unmatched", CodeMethodNotAllowed},
		"fault at error":       {http.MethodGet, "/v1/fault", nil, 500, "ERROR", "/v1/fault", CodeInternal},
		"panic at error":       {http.MethodGet, "/v1/panic", nil, 500, "ERROR", "/v1/panic", CodeInternal},
		"forwarded ip ignored": {http.MethodGet, "/v1/seals/X", http.Header{"X-Forwarded-For": {"203.0.113.9"}}, 200, "DEBUG", "/v1/seals/:code", ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, routes)
			rec := h.do(t, tt.method, tt.target, strings.NewReader("{}"), tt.header)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			lines := h.logsWithMsg(t, "http request")
			if len(lines) != 1 {
				t.Fatalf("got %d access lines, want 1: %s", len(lines), h.logs)
			}
			l := lines[0]
			wantBytes := float64(rec.Body.Len())
			if tt.target == "/v1/panic" {
				// Logged while unwinding, before Recovery writes the body.
				wantBytes = 0
			}
			want := map[string]any{
				"level":      tt.wantLevel,
				"component":  "http",
				"request_id": rec.Header().Get(HeaderRequestID),
				"method":     tt.method,
				"route":      tt.wantRoute,
				"path":       strings.SplitN(tt.target, "?", 2)[0],
				"status":     float64(tt.wantStatus),
				"bytes":      wantBytes,
				"client_ip":  "192.0.2.1", // httptest's RemoteAddr; no proxy is trusted
			}
			for k, v := range want {
				if l[k] != v {
					t.Errorf("%s = %v (%T), want %v", k, l[k], l[k], v)
				}
			}
			if d, ok := l["duration"].(float64); !ok || d < 0 {
				t.Errorf("duration = %v, want a non-negative number", l["duration"])
			}
			code, has := l["error_code"]
			if tt.wantCode == "" && has {
				t.Errorf("error_code = %v, want absent", code)
			}
			if tt.wantCode != "" && code != tt.wantCode {
				t.Errorf("error_code = %v, want %q", code, tt.wantCode)
			}
		})
	}
}

// TestAccessLogLevelFiltered checks that a logger at Info drops the per-request
// Debug lines but keeps the 4xx ones.
func TestAccessLogLevelFiltered(t *testing.T) {
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	e, err := New(Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	e.GET("/ok", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	h := &harness{engine: e, logs: logs}
	h.do(t, http.MethodGet, "/ok", nil, nil)
	if n := len(h.logsWithMsg(t, "http request")); n != 0 {
		t.Fatalf("got %d access lines for a 204 at Info level, want 0", n)
	}
	h.do(t, http.MethodGet, "/missing", nil, nil)
	if n := len(h.logsWithMsg(t, "http request")); n != 1 {
		t.Fatalf("got %d access lines for a 404, want 1", n)
	}
}
