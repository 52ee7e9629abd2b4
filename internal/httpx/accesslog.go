package httpx

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// unmatchedRoute labels requests that matched no route template (404 and
// 405), so raw paths never reach logs' route field or metric labels.
const unmatchedRoute = "unmatched"

// AccessLog writes one structured line per request with request_id, method,
// route (the template, or "unmatched"), path, status, bytes, duration,
// client_ip and, if the request failed, error_code.
//
// Levels follow the house policy: Debug below 400, Info for 4xx (bad input),
// Error for 5xx. A request that panicked before writing is logged as 500
// with error_code INTERNAL and bytes 0: Recovery renders it after this
// middleware has unwound.
//
// Place it after [RequestID] and outside [Errors], so it sees the ID and the
// rendered status.
func AccessLog(log *slog.Logger) gin.HandlerFunc {
	log = orDiscard(log)
	return func(c *gin.Context) {
		start := time.Now()
		panicked := true
		defer func() {
			status := finalStatus(c, panicked)
			level := levelForStatus(status)
			ctx := c.Request.Context()
			if !log.Enabled(ctx, level) {
				return
			}
			attrs := []slog.Attr{
				slog.String("request_id", RequestIDFrom(c)),
				slog.String("method", c.Request.Method),
				slog.String("route", routeOf(c)),
				slog.String("path", c.Request.URL.Path),
				slog.Int("status", status),
				slog.Int("bytes", max(c.Writer.Size(), 0)),
				slog.Duration("duration", time.Since(start)),
				slog.String("client_ip", c.ClientIP()),
			}
			code := errorCode(c)
			if panicked && code == "" {
				code = CodeInternal
			}
			if code != "" {
				attrs = append(attrs, slog.String("error_code", code))
			}
			log.LogAttrs(ctx, level, "http request", attrs...)
		}()
		c.Next()
		panicked = false
	}
}

// finalStatus is the status the client receives: what was written, or 500
// when the chain panicked before writing (Recovery renders that 500 later).
func finalStatus(c *gin.Context, panicked bool) int {
	if panicked && !c.Writer.Written() {
		return http.StatusInternalServerError
	}
	return c.Writer.Status()
}

func levelForStatus(status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case status >= 400:
		return slog.LevelInfo
	default:
		return slog.LevelDebug
	}
}

// routeOf returns the matched route template, or "unmatched".
func routeOf(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return unmatchedRoute
}

// orDiscard returns log, or a logger that discards everything if log is nil.
func orDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}
