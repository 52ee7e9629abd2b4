// Package httpapi serves sealhub's read and verification routes under /v1 for the national platform
// and verifiers. It reads the replicated trust list through a StateSource and never writes.
//
// Routes (this issue): GET /v1/seals/{code} — a seal's record, its status now (or at ?at=RFC3339,
// effective time; or as the hub knew it at ?as_of_index=K) and its full status history.
package httpapi

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/sealhub/sealhub/internal/httpx"
	"github.com/sealhub/sealhub/trustlist"
)

// StateSource gives the current trust list.
type StateSource interface {
	State() *trustlist.State
}

// Config configures the API.
type Config struct {
	State StateSource
	Now   func() time.Time // nil: time.Now
}

// API serves the routes.
type API struct{ cfg Config }

// New makes the API.
func New(cfg Config) *API {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &API{cfg: cfg}
}

// Register mounts the routes on g (the /v1 group).
func (a *API) Register(g gin.IRouter) {
	g.GET("/seals/:code", a.getSeal)
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
	at := a.cfg.Now().UTC()
	if q := c.Query("at"); q != "" {
		t, err := time.Parse(time.RFC3339Nano, q)
		if err != nil {
			httpx.Fail(c, httpx.Errorf(400, "TIME_INVALID", "at=%q is not an RFC 3339 time", q))
			return
		}
		at = t.UTC()
	}
	st := trustlist.StateFor(c.Request.Context(), a.cfg.State)
	v, ok := st.Seal(code)
	if !ok {
		httpx.Fail(c, httpx.Errorf(404, "SEAL_NOT_FOUND", "the hub holds no seal %q", code))
		return
	}
	asOf := st.Index()
	if q := c.Query("as_of_index"); q != "" {
		k, err := strconv.ParseUint(q, 10, 64)
		if err != nil {
			httpx.Fail(c, httpx.Errorf(400, "INDEX_INVALID", "as_of_index=%q is not an index", q))
			return
		}
		asOf = min(k, asOf)
	}
	view, known := v.StatusAsOf(at, asOf)
	if !known {
		httpx.Fail(c, httpx.Errorf(404, "SEAL_NOT_FOUND", "seal %q was filed after index %d", code, asOf))
		return
	}
	if asOf != st.Index() {
		v = filtered(v, asOf)
	}
	httpx.JSON(c, 200, SealResponse{Seal: v, Status: view, Index: st.Index()})
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
