package httpx

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

// generatedID matches an ID made by newRequestID.
var generatedID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// syncBuffer is a bytes.Buffer safe for a slog handler and the test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is an engine built by New with a JSON logger on a buffer and a
// private registry.
type harness struct {
	engine *gin.Engine
	logs   *syncBuffer
	reg    *prometheus.Registry
}

// newHarness builds the engine and mounts routes under /v1, as run does.
func newHarness(t *testing.T, routes func(g gin.IRouter)) *harness {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	reg := prometheus.NewRegistry()
	e, err := New(Options{Logger: log, Registry: reg})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if routes != nil {
		routes(e.Group("/v1"))
	}
	return &harness{engine: e, logs: logs, reg: reg}
}

// do serves one request in process.
func (h *harness) do(t *testing.T, method, target string, body io.Reader, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	return h.serve(req)
}

func (h *harness) serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.engine.ServeHTTP(rec, req)
	return rec
}

// logLines decodes every JSON log line written so far.
func (h *harness) logLines(t *testing.T) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(h.logs.String()))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, sc.Text())
		}
		lines = append(lines, m)
	}
	return lines
}

// logsWithMsg returns the log lines whose msg is msg.
func (h *harness) logsWithMsg(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range h.logLines(t) {
		if l["msg"] == msg {
			out = append(out, l)
		}
	}
	return out
}

// errorBody checks that rec carries the error envelope, with exactly the
// documented keys, and returns it.
func errorBody(t *testing.T, rec *httptest.ResponseRecorder) ErrorBody {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != contentTypeJSON {
		t.Errorf("Content-Type = %q, want %q", ct, contentTypeJSON)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatalf("body is not a JSON object: %v: %q", err, rec.Body.String())
	}
	for k := range raw {
		switch k {
		case "code", "message", "request_id", "details":
		default:
			t.Errorf("unexpected key %q in error body %s", k, rec.Body.String())
		}
	}
	var body ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("decode error body: %v", err)
	}
	if body.RequestID == "" || body.RequestID != rec.Header().Get(HeaderRequestID) {
		t.Errorf("request_id = %q, X-Request-Id = %q; want equal and non-empty",
			body.RequestID, rec.Header().Get(HeaderRequestID))
	}
	return body
}

// mustJSON encodes v compactly.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}
