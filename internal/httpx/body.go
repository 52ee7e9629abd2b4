package httpx

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
)

// LimitBody caps the request body at limit bytes. A request whose
// Content-Length already exceeds limit is rejected with 413 BODY_TOO_LARGE
// before anything is read; otherwise the body is wrapped so that reading past
// limit fails, which [ReadBody] reports as 413. Chunked bodies of unknown
// length are therefore limited as well.
func LimitBody(limit int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > limit {
			Fail(c, bodyTooLarge(limit, nil))
			return
		}
		if c.Request.Body != nil && c.Request.Body != http.NoBody {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		}
		c.Next()
	}
}

// ReadBody reads the whole request body. Reading past the [LimitBody] limit
// returns an *Error 413 BODY_TOO_LARGE; any other read failure returns 400
// BODY_UNREADABLE. Without LimitBody in the chain the body is not limited.
func ReadBody(c *gin.Context) ([]byte, error) {
	if c.Request.Body == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	if n := c.Request.ContentLength; n > 0 && n <= 64<<20 {
		buf.Grow(int(n) + 1) // one allocation when the length is announced (+1 to see EOF)
	}
	_, err := buf.ReadFrom(c.Request.Body)
	if err == nil {
		return buf.Bytes(), nil
	}
	if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return nil, bodyTooLarge(mbe.Limit, err)
	}
	return nil, Wrap(http.StatusBadRequest, CodeBodyUnreadable, "request body could not be read",
		fmt.Errorf("httpx: read body: %w", err))
}

// bodyTooLarge is the 413 error; details carry the limit so clients can adapt.
func bodyTooLarge(limit int64, cause error) *Error {
	return &Error{
		Status:  http.StatusRequestEntityTooLarge,
		Code:    CodeBodyTooLarge,
		Message: fmt.Sprintf("request body exceeds %d bytes", limit),
		Err:     cause,
		Details: map[string]int64{"max_bytes": limit},
	}
}
