package httpx

import (
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// errNilFail is recorded when Fail is called with a nil error, which is a bug
// in the caller but must still produce a response.
var errNilFail = errors.New("httpx: Fail called with nil error")

// Fail records err on the request and aborts the handler chain. The [Errors]
// middleware renders it once the handler returns.
func Fail(c *gin.Context, err error) {
	if err == nil {
		err = errNilFail
	}
	_ = c.Error(err)
	c.Abort()
}

// Errors renders the last error recorded with [Fail] (or c.Error) if the
// handler has not written a response. An *Error anywhere in the chain
// supplies status, code and message; anything else becomes 500 INTERNAL and
// its cause is logged at Error with the request ID.
func Errors(log *slog.Logger) gin.HandlerFunc {
	log = orDiscard(log)
	return func(c *gin.Context) {
		c.Next()
		renderLast(c, log)
	}
}

// renderLast logs the last error on c and renders it unless a response has
// already been written. It is the single place error bodies are produced,
// used by Errors and Recovery.
func renderLast(c *gin.Context, log *slog.Logger) {
	last := c.Errors.Last()
	if last == nil {
		return
	}
	e := classify(last.Err)
	logCause(c, log, e, last.Err)
	c.Set(errorCodeKey, e.Code)
	if !c.Writer.Written() {
		writeError(c, e)
	}
}

// classify returns the *Error to render for err: the first *Error in its
// chain, or a generic 500 INTERNAL wrapping it.
func classify(err error) *Error {
	var e *Error
	if errors.As(err, &e) && e != nil {
		return normalize(e)
	}
	return Wrap(http.StatusInternalServerError, CodeInternal, internalMessage, err)
}

// normalize fills in a status, code and message if the producer left them
// out, without mutating e.
func normalize(e *Error) *Error {
	if e.Status >= 400 && e.Status <= 599 && e.Code != "" && e.Message != "" {
		return e
	}
	n := *e
	if n.Status < 400 || n.Status > 599 {
		n.Status = http.StatusInternalServerError
	}
	if n.Code == "" {
		n.Code = codeForStatus(n.Status)
	}
	if n.Message == "" {
		n.Message = strings.ToLower(http.StatusText(n.Status))
	}
	return &n
}

// codeForStatus derives a code from the status text, e.g. 404 → NOT_FOUND.
func codeForStatus(status int) string {
	if status >= 500 {
		return CodeInternal
	}
	text := http.StatusText(status)
	if text == "" {
		return "ERROR"
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		default:
			return '_'
		}
	}, text)
}

// logCause logs the internal side of an error: 5xx at Error (an operator may
// need to act), the cause of a 4xx at Debug (the access log line already
// records the bad request at Info).
func logCause(c *gin.Context, log *slog.Logger, e *Error, raw error) {
	ctx := c.Request.Context()
	level := slog.LevelDebug
	if e.Status >= 500 {
		level = slog.LevelError
	} else if e.Err == nil {
		return
	}
	if !log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("request_id", RequestIDFrom(c)),
		slog.Int("status", e.Status),
		slog.String("code", e.Code),
		slog.String("error", raw.Error()),
	}
	var p *panicError
	if errors.As(raw, &p) {
		attrs = append(attrs, slog.String("stack", string(p.stack)))
	}
	log.LogAttrs(ctx, level, "request failed", attrs...)
}

// writeError writes e as an ErrorBody, with Retry-After when set.
func writeError(c *gin.Context, e *Error) {
	if e.RetryAfter > 0 {
		secs := int64(math.Ceil(e.RetryAfter.Seconds()))
		c.Header("Retry-After", strconv.FormatInt(secs, 10))
	}
	body := ErrorBody{
		Code:      e.Code,
		Message:   e.Message,
		RequestID: RequestIDFrom(c),
		Details:   e.Details,
	}
	b, err := encodeJSON(body)
	if err != nil {
		// Details did not encode; the rest of the body always does.
		body.Details = nil
		b, _ = encodeJSON(body)
	}
	c.Data(e.Status, contentTypeJSON, b)
}

// errorCode returns the code of the error the request ended with, or "" if
// none. It prefers what renderLast recorded, and otherwise classifies the
// last recorded error the same way.
func errorCode(c *gin.Context) string {
	if code := c.GetString(errorCodeKey); code != "" {
		return code
	}
	if last := c.Errors.Last(); last != nil {
		return classify(last.Err).Code
	}
	return ""
}

// NotFound answers unmatched routes with 404 NOT_FOUND in the error envelope.
func NotFound() gin.HandlerFunc {
	return func(c *gin.Context) {
		failNow(c, &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "route not found"})
	}
}

// MethodNotAllowed answers a known path with the wrong method with 405
// METHOD_NOT_ALLOWED in the error envelope. gin sets the Allow header.
func MethodNotAllowed() gin.HandlerFunc {
	return func(c *gin.Context) {
		failNow(c, &Error{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed, Message: "method not allowed"})
	}
}

// failNow records e and renders it immediately, so the handler works even on
// an engine without the Errors middleware.
func failNow(c *gin.Context, e *Error) {
	Fail(c, e)
	c.Set(errorCodeKey, e.Code)
	writeError(c, e)
}
