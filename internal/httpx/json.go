package httpx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
)

const contentTypeJSON = "application/json; charset=utf-8"

// JSON writes v as JSON with status. The body is encoded without HTML
// escaping and ends with a newline. If v cannot be encoded nothing is
// written; the failure is recorded with [Fail] as 500 INTERNAL.
func JSON(c *gin.Context, status int, v any) {
	b, err := encodeJSON(v)
	if err != nil {
		Fail(c, Wrap(http.StatusInternalServerError, CodeInternal, internalMessage,
			fmt.Errorf("httpx: encode %T response: %w", v, err)))
		return
	}
	c.Data(status, contentTypeJSON, b)
}

// encodeJSON encodes v without HTML escaping, with a trailing newline.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
