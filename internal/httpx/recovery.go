package httpx

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/gin-gonic/gin"
)

// panicError carries a recovered panic value and the stack it was raised on.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// Unwrap exposes the panic value when it was an error.
func (p *panicError) Unwrap() error {
	err, _ := p.value.(error)
	return err
}

// Recovery recovers panics from the rest of the chain and renders them as
// 500 INTERNAL through the same path as [Errors]; the panic value and stack
// are logged at Error with the request ID. If the response was already
// started, the stack is still logged but nothing more is written.
//
// A panic with http.ErrAbortHandler is re-raised so net/http aborts the
// connection quietly, as it would without gin.
//
// Recovery must be the outermost middleware.
func Recovery(log *slog.Logger) gin.HandlerFunc {
	log = orDiscard(log)
	return func(c *gin.Context) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			perr := &panicError{value: v, stack: debug.Stack()}
			// A typed *Error panic is still an internal fault: render
			// 500 INTERNAL rather than whatever it claims.
			_ = c.Error(Wrap(http.StatusInternalServerError, CodeInternal, internalMessage, perr))
			c.Abort()
			renderLast(c, log)
		}()
		c.Next()
	}
}
