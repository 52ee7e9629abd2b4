package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

// secret stands for an internal detail that must never reach a client.
const secret = "dial tcp 10.0.0.7:5432: password authentication failed"

func TestErrorRendering(t *testing.T) {
	tests := map[string]struct {
		handler     gin.HandlerFunc
		wantStatus  int
		wantCode    string
		wantMessage string
		wantRetry   string
		wantDetails string // JSON of details, "" for absent
		wantBody    string // exact body when not an error envelope
	}{
		"typed error": {
			handler: func(c *gin.Context) {
				Fail(c, Errorf(http.StatusUnprocessableEntity, "PUSH_SIGNATURE_INVALID", "signature over %s does not verify", "payload"))
			},
			wantStatus:  http.StatusUnprocessableEntity,
			wantCode:    "PUSH_SIGNATURE_INVALID",
			wantMessage: "signature over payload does not verify",
		},
		"wrapped typed error with cause": {
			handler: func(c *gin.Context) {
				inner := Wrap(http.StatusConflict, "SEAL_CONFLICT", "seal already registered", errors.New(secret))
				Fail(c, fmt.Errorf("push: store seal: %w", inner))
			},
			wantStatus:  http.StatusConflict,
			wantCode:    "SEAL_CONFLICT",
			wantMessage: "seal already registered",
		},
		"plain error is internal": {
			handler:     func(c *gin.Context) { Fail(c, errors.New(secret)) },
			wantStatus:  http.StatusInternalServerError,
			wantCode:    "INTERNAL",
			wantMessage: "internal error",
		},
		"last error wins": {
			handler: func(c *gin.Context) {
				_ = c.Error(errors.New(secret))
				Fail(c, Errorf(http.StatusBadRequest, "BAD_INPUT", "bad input"))
			},
			wantStatus:  http.StatusBadRequest,
			wantCode:    "BAD_INPUT",
			wantMessage: "bad input",
		},
		"retry after rounds up": {
			handler: func(c *gin.Context) {
				Fail(c, &Error{Status: http.StatusServiceUnavailable, Code: "PEER_UNAVAILABLE",
					Message: "peer unavailable", RetryAfter: 1500 * time.Millisecond, Err: errors.New(secret)})
			},
			wantStatus:  http.StatusServiceUnavailable,
			wantCode:    "PEER_UNAVAILABLE",
			wantMessage: "peer unavailable",
			wantRetry:   "2",
		},
		"retry after whole seconds": {
			handler: func(c *gin.Context) {
				Fail(c, &Error{Status: http.StatusTooManyRequests, Code: "RATE_LIMITED",
					Message: "slow down", RetryAfter: 3 * time.Second})
			},
			wantStatus:  http.StatusTooManyRequests,
			wantCode:    "RATE_LIMITED",
			wantMessage: "slow down",
			wantRetry:   "3",
		},
		"details rendered": {
			handler: func(c *gin.Context) {
				Fail(c, &Error{Status: http.StatusBadRequest, Code: "FIELD_INVALID", Message: "field invalid",
					Details: map[string]string{"field": "seal_code"}})
			},
			wantStatus:  http.StatusBadRequest,
			wantCode:    "FIELD_INVALID",
			wantMessage: "field invalid",
			wantDetails: `{"field":"seal_code"}`,
		},
		"unencodable details dropped": {
			handler: func(c *gin.Context) {
				Fail(c, &Error{Status: http.StatusBadRequest, Code: "FIELD_INVALID", Message: "field invalid",
					Details: func() {}})
			},
			wantStatus:  http.StatusBadRequest,
			wantCode:    "FIELD_INVALID",
			wantMessage: "field invalid",
		},
		"missing status code and message filled in": {
			handler:     func(c *gin.Context) { Fail(c, &Error{Err: errors.New(secret)}) },
			wantStatus:  http.StatusInternalServerError,
			wantCode:    "INTERNAL",
			wantMessage: "internal server error",
		},
		"non-error status clamped to 500": {
			handler:     func(c *gin.Context) { Fail(c, &Error{Status: http.StatusOK, Code: "ODD", Message: "odd"}) },
			wantStatus:  http.StatusInternalServerError,
			wantCode:    "ODD",
			wantMessage: "odd",
		},
		"missing code derived from status": {
			handler:     func(c *gin.Context) { Fail(c, &Error{Status: http.StatusGone, Message: "gone"}) },
			wantStatus:  http.StatusGone,
			wantCode:    "GONE",
			wantMessage: "gone",
		},
		"Fail with nil": {
			handler:     func(c *gin.Context) { Fail(c, nil) },
			wantStatus:  http.StatusInternalServerError,
			wantCode:    "INTERNAL",
			wantMessage: "internal error",
		},
		"JSON encode failure": {
			handler:     func(c *gin.Context) { JSON(c, http.StatusOK, map[string]any{"ch": make(chan int)}) },
			wantStatus:  http.StatusInternalServerError,
			wantCode:    "INTERNAL",
			wantMessage: "internal error",
		},
		"JSON success without HTML escaping": {
			handler:    func(c *gin.Context) { JSON(c, http.StatusCreated, map[string]string{"q": "<a&b>"}) },
			wantStatus: http.StatusCreated,
			wantBody:   "{\"q\":\"<a&b>\"}\n",
		},
		"written response is kept": {
			handler: func(c *gin.Context) {
				JSON(c, http.StatusOK, map[string]bool{"ok": true})
				Fail(c, errors.New(secret))
			},
			wantStatus: http.StatusOK,
			wantBody:   "{\"ok\":true}\n",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, func(g gin.IRouter) { g.GET("/x", tt.handler) })
			rec := h.do(t, http.MethodGet, "/v1/x", nil, nil)

			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if strings.Contains(rec.Body.String(), "10.0.0.7") || strings.Contains(rec.Body.String(), "push:") {
				t.Errorf("body leaks the internal cause: %s", rec.Body)
			}
			if got := rec.Header().Get("Retry-After"); got != tt.wantRetry {
				t.Errorf("Retry-After = %q, want %q", got, tt.wantRetry)
			}
			if tt.wantBody != "" {
				if got := rec.Body.String(); got != tt.wantBody {
					t.Errorf("body = %q, want %q", got, tt.wantBody)
				}
				if ct := rec.Header().Get("Content-Type"); ct != contentTypeJSON {
					t.Errorf("Content-Type = %q, want %q", ct, contentTypeJSON)
				}
				return
			}
			body := errorBody(t, rec)
			if body.Code != tt.wantCode || body.Message != tt.wantMessage {
				t.Errorf("body = %+v, want code %q message %q", body, tt.wantCode, tt.wantMessage)
			}
			gotDetails := ""
			if body.Details != nil {
				gotDetails = mustJSON(t, body.Details)
			}
			if gotDetails != tt.wantDetails {
				t.Errorf("details = %s, want %s", gotDetails, tt.wantDetails)
			}
			if !strings.HasSuffix(rec.Body.String(), "}\n") {
				t.Errorf("body lacks trailing newline: %q", rec.Body)
			}
		})
	}
}

// TestErrorCauseLogged checks that the cause of a 500 is logged at Error with
// the request ID, while the client sees only the generic message.
func TestErrorCauseLogged(t *testing.T) {
	h := newHarness(t, func(g gin.IRouter) {
		g.GET("/x", func(c *gin.Context) { Fail(c, fmt.Errorf("lookup: %w", errors.New(secret))) })
	})
	rec := h.do(t, http.MethodGet, "/v1/x", nil, http.Header{HeaderRequestID: {"req-1"}})
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d", rec.Code)
	}
	lines := h.logsWithMsg(t, "request failed")
	if len(lines) != 1 {
		t.Fatalf("got %d 'request failed' lines, want 1: %s", len(lines), h.logs)
	}
	l := lines[0]
	if l["level"] != "ERROR" || l["request_id"] != "req-1" || l["code"] != "INTERNAL" || l["component"] != "http" {
		t.Errorf("log line = %v", l)
	}
	if msg, _ := l["error"].(string); !strings.Contains(msg, secret) {
		t.Errorf("logged error %q does not carry the cause", msg)
	}
}

// TestClientErrorCauseAtDebug checks that the cause of a 4xx is kept, but only
// at Debug: bad input is not an operator's fault.
func TestClientErrorCauseAtDebug(t *testing.T) {
	h := newHarness(t, func(g gin.IRouter) {
		g.GET("/x", func(c *gin.Context) {
			Fail(c, Wrap(http.StatusBadRequest, "SEAL_MALFORMED", "seal is malformed", errors.New("asn1: truncated")))
		})
	})
	h.do(t, http.MethodGet, "/v1/x", nil, nil)
	lines := h.logsWithMsg(t, "request failed")
	if len(lines) != 1 || lines[0]["level"] != "DEBUG" {
		t.Fatalf("want one DEBUG 'request failed' line, got %v", lines)
	}
}

func TestPanic(t *testing.T) {
	tests := map[string]struct {
		handler    gin.HandlerFunc
		wantStatus int
		wantBody   string // exact body if the response was already written
	}{
		"string panic": {
			handler:    func(*gin.Context) { panic("boom: " + secret) },
			wantStatus: http.StatusInternalServerError,
		},
		"error panic": {
			handler:    func(*gin.Context) { panic(errors.New(secret)) },
			wantStatus: http.StatusInternalServerError,
		},
		"typed *Error panic is still internal": {
			handler:    func(*gin.Context) { panic(Errorf(http.StatusBadRequest, "BAD_INPUT", "bad")) },
			wantStatus: http.StatusInternalServerError,
		},
		"panic after write keeps response": {
			handler: func(c *gin.Context) {
				JSON(c, http.StatusOK, map[string]int{"n": 1})
				panic("late: " + secret)
			},
			wantStatus: http.StatusOK,
			wantBody:   "{\"n\":1}\n",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, func(g gin.IRouter) { g.GET("/p", tt.handler) })
			rec := h.do(t, http.MethodGet, "/v1/p", nil, nil)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if tt.wantBody != "" {
				if rec.Body.String() != tt.wantBody {
					t.Errorf("body = %q, want %q", rec.Body, tt.wantBody)
				}
			} else {
				body := errorBody(t, rec)
				if body.Code != CodeInternal || body.Message != "internal error" {
					t.Errorf("body = %+v", body)
				}
				if strings.Contains(rec.Body.String(), "10.0.0.7") || strings.Contains(rec.Body.String(), "boom") {
					t.Errorf("body leaks panic value: %s", rec.Body)
				}
			}

			lines := h.logsWithMsg(t, "request failed")
			if len(lines) != 1 {
				t.Fatalf("got %d 'request failed' lines, want 1: %s", len(lines), h.logs)
			}
			l := lines[0]
			stack, _ := l["stack"].(string)
			if l["level"] != "ERROR" || l["request_id"] != rec.Header().Get(HeaderRequestID) || !strings.Contains(stack, "goroutine") {
				t.Errorf("panic log line = %v", l)
			}
		})
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	h := newHarness(t, func(g gin.IRouter) {
		g.GET("/seals/:code", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	})
	tests := map[string]struct {
		method, target string
		wantStatus     int
		wantCode       string
		wantAllow      string
	}{
		"unknown route":     {http.MethodGet, "/v1/nope", http.StatusNotFound, CodeNotFound, ""},
		"unversioned":       {http.MethodGet, "/seals/ABC", http.StatusNotFound, CodeNotFound, ""},
		"wrong method":      {http.MethodDelete, "/v1/seals/ABC", http.StatusMethodNotAllowed, CodeMethodNotAllowed, "GET"},
		"non-standard verb": {"PROPFIND", "/v1/seals/ABC", http.StatusMethodNotAllowed, CodeMethodNotAllowed, "GET"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			rec := h.do(t, tt.method, tt.target, nil, nil)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if body := errorBody(t, rec); body.Code != tt.wantCode || body.Message == "" {
				t.Errorf("body = %+v, want code %q", body, tt.wantCode)
			}
			if got := rec.Header().Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tt.wantAllow)
			}
		})
	}
}

// TestNotFoundWithoutErrorsMiddleware checks NotFound renders on its own.
func TestNotFoundWithoutErrorsMiddleware(t *testing.T) {
	_, _ = New(Options{}) // release mode
	e := gin.New()
	e.NoRoute(NotFound())
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/missing", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status = %d", rec.Code)
	}
	var body ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Code != CodeNotFound {
		t.Errorf("body = %s (%v)", rec.Body, err)
	}
}

func TestErrorType(t *testing.T) {
	cause := io.ErrUnexpectedEOF
	tests := map[string]struct {
		err        *Error
		wantString string
		wantCause  error
	}{
		"Errorf formats message": {
			err:        Errorf(http.StatusBadRequest, "BAD_INPUT", "field %q: %d", "x", 3),
			wantString: `BAD_INPUT: field "x": 3`,
		},
		"Wrap keeps cause": {
			err:        Wrap(http.StatusBadGateway, "PEER_FAILED", "peer failed", cause),
			wantString: "PEER_FAILED: peer failed: unexpected EOF",
			wantCause:  cause,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.wantString {
				t.Errorf("Error() = %q, want %q", got, tt.wantString)
			}
			if got := tt.err.Unwrap(); got != tt.wantCause {
				t.Errorf("Unwrap() = %v, want %v", got, tt.wantCause)
			}
			var target *Error
			if !errors.As(fmt.Errorf("ctx: %w", tt.err), &target) || target != tt.err {
				t.Errorf("errors.As through %%w failed")
			}
		})
	}
}
