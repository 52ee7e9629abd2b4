// Package httpapi serves sealhub's read and verification routes under /v1 for the national platform
// and verifiers. It reads the replicated trust list through a StateSource and never writes.
//
// Routes: GET /v1/seals/{code} — a seal's record, its status now (or at ?at=RFC3339, effective time;
// or as the hub knew it at ?as_of_index=K) and its full status history; POST /v1/seals:batchGet —
// up to 1,000 of them at once; POST /v1/verify/seal|signature|ofd — online verification against the
// trust list with a signed receipt (resolver.Resolver); GET /v1/nodes — the nodes' receipt keys;
// GET /v1/openapi.json — the OpenAPI 3 document of every public route.
package httpapi

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sealhub/sealhub/internal/httpx"
	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/trustlist"
)

// StateSource gives the current trust list.
type StateSource interface {
	State() *trustlist.State
}

// Config configures the API.
type Config struct {
	State StateSource
	// Resolver verifies seals, signatures and documents; nil leaves the /verify routes out.
	Resolver *resolver.Resolver
	// Nodes lists the cluster's nodes and their receipt keys for GET /v1/nodes; nil leaves it out.
	Nodes  func(ctx context.Context) ([]NodeInfo, error)
	Limits Limits
	// Keys, when not empty, are the API keys verifiers must present on every route but
	// /v1/openapi.json.
	Keys []APIKey
	// Rate limits each client (its API key, or its address without keys); zero: no limit.
	Rate    RateLimit
	Now     func() time.Time // nil: time.Now
	Metrics prometheus.Registerer
	// TempDir holds uploaded documents larger than 1 MiB while they are verified ("": the system's).
	TempDir string
}

// Limits bound what one request may ask. Zero values take the defaults.
type Limits struct {
	MaxRequestBytes  int64         // JSON and raw seal/signature bodies (default 8 MiB)
	MaxDocumentBytes int64         // OFD documents and multipart uploads (default 64 MiB)
	MaxBatch         int           // codes per seals:batchGet (default 1,000)
	RequestTimeout   time.Duration // one verification (default 10 s)
	// MaxDocuments bounds OFD verifications running at once (default 2 × GOMAXPROCS); more wait
	// up to the request timeout, then get 503 BUSY. Uploads are read before a slot is taken.
	MaxDocuments int
}

// Defaults of Limits.
const (
	DefaultMaxRequestBytes  = 8 << 20
	DefaultMaxDocumentBytes = 64 << 20
	DefaultMaxBatch         = 1000
	DefaultRequestTimeout   = 10 * time.Second
)

func (l Limits) withDefaults() Limits {
	if l.MaxRequestBytes <= 0 {
		l.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if l.MaxDocumentBytes <= 0 {
		l.MaxDocumentBytes = DefaultMaxDocumentBytes
	}
	if l.MaxBatch <= 0 {
		l.MaxBatch = DefaultMaxBatch
	}
	if l.RequestTimeout <= 0 {
		l.RequestTimeout = DefaultRequestTimeout
	}
	if l.MaxDocuments <= 0 {
		l.MaxDocuments = 2 * runtime.GOMAXPROCS(0)
	}
	return l
}

// API serves the routes.
type API struct {
	cfg      Config
	sealJSON sealCache
	limits   Limits
	guard    *guard
	docs     chan struct{} // OFD verification slots
	verifs   *prometheus.CounterVec
}

// New makes the API.
func New(cfg Config) (*API, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	g, err := newGuard(cfg.Keys, cfg.Rate, cfg.Now)
	if err != nil {
		return nil, err
	}
	a := &API{cfg: cfg, limits: cfg.Limits.withDefaults(), guard: g}
	a.docs = make(chan struct{}, a.limits.MaxDocuments)
	a.verifs = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "sealhub", Subsystem: "verify", Name: "results_total",
		Help: "Verifications answered, by kind (seal, signature, ofd), result and reason."}, []string{"kind", "result", "reason"})
	if cfg.Metrics != nil {
		if err := cfg.Metrics.Register(a.verifs); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// Register mounts the routes on g (the /v1 group). Every route passes the API-key and rate-limit
// guard first, then the handlers given in after (the node's read-consistency rules), so a request
// without a valid key costs nothing more. GET /v1/openapi.json (ServeOpenAPI) is mounted by the
// caller, outside the guard.
func (a *API) Register(g gin.IRouter, after ...gin.HandlerFunc) {
	r := g.Group("", append([]gin.HandlerFunc{a.guard.handle}, after...)...)
	r.GET("/seals/:code", a.getSeal)
	r.POST("/seals\\:batchGet", httpx.LimitBody(a.limits.MaxRequestBytes), a.batchGet)
	if a.cfg.Resolver != nil {
		r.POST("/verify/seal", httpx.LimitBody(a.limits.MaxRequestBytes), a.verifySeal)
		r.POST("/verify/signature", httpx.LimitBody(a.limits.MaxDocumentBytes), a.verifySignature)
		r.POST("/verify/ofd", httpx.LimitBody(a.limits.MaxDocumentBytes), a.verifyOFD)
	}
	if a.cfg.Nodes != nil {
		r.GET("/nodes", a.nodes)
	}
}

// SealResponse is a seal's record and status.
type SealResponse struct {
	*trustlist.Seal
	Status trustlist.StatusView `json:"status"`
	Index  uint64               `json:"index"` // the trust-list index the answer reflects
}

func (a *API) getSeal(c *gin.Context) {
	code := c.Param("code")
	if code == "" || len(code) > 64 || !utf8.ValidString(code) {
		httpx.Fail(c, httpx.Errorf(400, "SEAL_CODE_INVALID", "a seal code is 1-64 characters"))
		return
	}
	at, ok := atParam(c)
	if !ok {
		return
	}
	if at.IsZero() {
		at = a.cfg.Now().UTC()
	}
	st := trustlist.StateFor(c.Request.Context(), a.cfg.State)
	asOf := st.Index()
	if q := c.Query("as_of_index"); q != "" {
		k, err := strconv.ParseUint(q, 10, 64)
		if err != nil {
			httpx.Fail(c, httpx.Errorf(400, "INDEX_INVALID", "as_of_index=%q is not an index", q))
			return
		}
		asOf = min(k, asOf)
	}
	v, ok := st.Seal(code)
	if !ok {
		httpx.Fail(c, httpx.Errorf(404, "SEAL_NOT_FOUND", "the hub holds no seal %q", code))
		return
	}
	view, known := v.StatusAsOf(at, asOf)
	if !known {
		httpx.Fail(c, httpx.Errorf(404, "SEAL_NOT_FOUND", "seal %q was filed after index %d", code, asOf))
		return
	}
	if asOf != st.Index() {
		httpx.JSON(c, 200, SealResponse{Seal: filtered(v, asOf), Status: view, Index: st.Index()})
		return
	}
	b, err := a.sealJSON.response(v, view, st.Index())
	if err != nil {
		httpx.Fail(c, fmt.Errorf("encode seal %s: %w", code, err))
		return
	}
	httpx.JSONBytes(c, 200, b)
}

// sealCache keeps the JSON of recently answered seal records. A *trustlist.Seal never changes (a
// status change makes a new one), so its encoding can be kept and only the status and index
// encoded per answer: the record is most of a lookup's work.
type sealCache struct {
	mu sync.Mutex
	m  map[*trustlist.Seal][]byte
}

// sealCacheMax bounds the cache; when full it starts again.
const sealCacheMax = 1 << 16

// response is SealResponse{v, view, index} encoded as httpx.JSON would.
func (sc *sealCache) response(v *trustlist.Seal, view trustlist.StatusView, index uint64) ([]byte, error) {
	sc.mu.Lock()
	rec, ok := sc.m[v]
	sc.mu.Unlock()
	if !ok {
		var err error
		if rec, err = httpx.Marshal(v); err != nil {
			return nil, err
		}
		sc.mu.Lock()
		if sc.m == nil || len(sc.m) >= sealCacheMax {
			sc.m = map[*trustlist.Seal][]byte{}
		}
		sc.m[v] = rec
		sc.mu.Unlock()
	}
	status, err := httpx.Marshal(view)
	if err != nil {
		return nil, err
	}
	// The record's members, then status and index: the order of SealResponse's fields.
	out := make([]byte, 0, len(rec)+len(status)+40)
	out = append(out, rec[:len(rec)-1]...)
	out = append(out, `,"status":`...)
	out = append(out, status...)
	out = append(out, `,"index":`...)
	out = strconv.AppendUint(out, index, 10)
	return append(out, '}'), nil
}

// filtered is the seal with only the events recorded at or before index k.
func filtered(v *trustlist.Seal, k uint64) *trustlist.Seal {
	n := *v
	n.Events = nil
	for _, e := range v.Events {
		if e.Index <= k {
			n.Events = append(n.Events, e)
		}
	}
	return &n
}
