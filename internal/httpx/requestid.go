package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/gin-gonic/gin"
)

// HeaderRequestID is the request and response header carrying the request ID.
const HeaderRequestID = "X-Request-Id"

// RequestIDKey is the gin context key (c.Get / c.GetString) under which
// [RequestID] stores the request ID. Prefer [RequestIDFrom].
const RequestIDKey = "httpx.request_id"

// errorCodeKey is the gin context key under which the rendered error code is
// recorded for the access log.
const errorCodeKey = "httpx.error_code"

// maxRequestIDLen bounds an accepted X-Request-Id.
const maxRequestIDLen = 64

// requestIDCtxKey is the context.Context key of the request ID.
type requestIDCtxKey struct{}

// RequestID accepts the caller's X-Request-Id if it is 1–64 characters of
// [A-Za-z0-9._:-] and otherwise generates one (16 random bytes, hex). The ID
// is echoed in the X-Request-Id response header, stored in the gin context
// and in c.Request.Context(), where [RequestIDFrom] finds it.
func RequestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(HeaderRequestID)
		if !validRequestID(id) {
			id = newRequestID()
		}
		c.Header(HeaderRequestID, id)
		c.Set(RequestIDKey, id)
		c.Request = c.Request.WithContext(WithRequestID(c.Request.Context(), id))
		c.Next()
	}
}

// WithRequestID returns a copy of ctx carrying id, for work started outside
// an HTTP request (or in tests) that should log under a request ID.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDCtxKey{}, id)
}

// RequestIDFrom returns the request ID stored in ctx, or "" if there is none.
// ctx may be a request context or a *gin.Context.
func RequestIDFrom(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	if c, ok := ctx.(*gin.Context); ok {
		if id := c.GetString(RequestIDKey); id != "" {
			return id
		}
		if c.Request == nil {
			return ""
		}
		ctx = c.Request.Context()
	}
	id, _ := ctx.Value(requestIDCtxKey{}).(string)
	return id
}

// validRequestID reports whether s is an acceptable caller-supplied request
// ID. The header is outside input that ends up in logs and responses, so only
// a small, log-safe alphabet is accepted.
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
		case b == '.', b == '_', b == ':', b == '-':
		default:
			return false
		}
	}
	return true
}

// newRequestID returns 16 random bytes, hex encoded (32 characters).
func newRequestID() string {
	var b [16]byte
	// crypto/rand.Read never returns an error (Go 1.24+); it crashes the
	// program if the system source fails.
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
