package httpx

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

// Options configures [New].
type Options struct {
	// Logger receives access log lines and internal error causes. Nil
	// discards them.
	Logger *slog.Logger
	// Registry receives the HTTP metrics. Nil means no metrics.
	Registry prometheus.Registerer
	// TrustedProxies are the proxy addresses or CIDRs whose
	// X-Forwarded-For / X-Real-IP headers are believed for client_ip. Nil
	// trusts none, so client_ip is the peer address.
	TrustedProxies []string
}

// setModeOnce guards gin's process-wide mode, which New sets to release.
var setModeOnce sync.Once

// New returns a gin engine with the sealhub middleware chain, outermost
// first: Recovery, RequestID, AccessLog, Metrics (if opts.Registry is set),
// Errors. Unknown routes answer 404 NOT_FOUND and known routes with the wrong
// method 405 METHOD_NOT_ALLOWED, both in the error envelope.
// ContextWithFallback is on, so c.Request.Context() values (the request ID)
// are reachable through the *gin.Context.
//
// API packages mount their routes with Register(engine.Group("/v1")).
func New(opts Options) (*gin.Engine, error) {
	setModeOnce.Do(func() { gin.SetMode(gin.ReleaseMode) })

	log := orDiscard(opts.Logger).With("component", "http")

	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	if err := e.SetTrustedProxies(opts.TrustedProxies); err != nil {
		return nil, fmt.Errorf("httpx: trusted proxies: %w", err)
	}

	chain := []gin.HandlerFunc{Recovery(log), RequestID(), AccessLog(log)}
	if opts.Registry != nil {
		m, err := Metrics(opts.Registry)
		if err != nil {
			return nil, err
		}
		chain = append(chain, m)
	}
	chain = append(chain, Errors(log))
	e.Use(chain...)
	e.NoRoute(NotFound())
	e.NoMethod(MethodNotAllowed())
	return e, nil
}
