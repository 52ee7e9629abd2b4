package httpx

import (
	"fmt"
	"strings"
	"time"
)

// Codes used by this package. API packages define their own codes next to
// their handlers; these are the ones any endpoint may return.
const (
	CodeInternal         = "INTERNAL"
	CodeNotFound         = "NOT_FOUND"
	CodeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	CodeBodyTooLarge     = "BODY_TOO_LARGE"
	CodeBodyUnreadable   = "BODY_UNREADABLE"
)

// internalMessage is the only message a client sees for an unexpected error.
const internalMessage = "internal error"

// Error is an API error: a stable machine code, an HTTP status, a user-safe
// message, and the internal cause (never shown to clients).
type Error struct {
	Status     int
	Code       string        // stable, UPPER_SNAKE, e.g. "PUSH_SIGNATURE_INVALID"
	Message    string        // English, user-safe
	Err        error         // cause, logged not rendered
	RetryAfter time.Duration // if > 0, render Retry-After (seconds, rounded up)
	Details    any           // optional extra JSON rendered under "details"
}

// Error returns "CODE: message" followed by ": cause" when there is one. It is
// meant for logs; clients only ever see Code and Message.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Code)
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// StatusCode returns the HTTP status the error is rendered with.
func (e *Error) StatusCode() int { return e.Status }

// Errorf returns an *Error whose Message is fmt.Sprintf(format, args...). The
// message is shown to clients, so do not format causes into it; use [Wrap] to
// attach a cause.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with a fixed user-safe message and err as its
// internal cause.
func Wrap(status int, code, message string, err error) *Error {
	return &Error{Status: status, Code: code, Message: message, Err: err}
}

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
	Details   any    `json:"details,omitempty"`
}
