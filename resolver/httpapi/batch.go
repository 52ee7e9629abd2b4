package httpapi

import (
	"context"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/sealhub/sealhub/internal/httpx"
	"github.com/sealhub/sealhub/trustlist"
)

type batchBody struct {
	Codes []string   `json:"codes"`
	At    *time.Time `json:"at,omitzero"`
}

// BatchResponse answers POST /v1/seals:batchGet.
type BatchResponse struct {
	Index   uint64        `json:"index"` // the trust-list index every result reflects
	At      time.Time     `json:"at"`    // the effective time of every status
	Results []BatchResult `json:"results"`
}

// BatchResult is one code's answer, in request order.
type BatchResult struct {
	Code   string                `json:"code"`
	Found  bool                  `json:"found"`
	Seal   *trustlist.Seal       `json:"seal,omitempty"`
	Status *trustlist.StatusView `json:"status,omitempty"`
}

// batchGet looks up to MaxBatch seals in one state: every answer reflects the same index.
func (a *API) batchGet(c *gin.Context) {
	at, mt, _, ok := postParams(c)
	if !ok {
		return
	}
	if mt != "application/json" && mt != "" {
		httpx.Fail(c, unsupported(mt, `application/json {"codes": [...]}`))
		return
	}
	body, err := httpx.ReadBody(c)
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	var b batchBody
	if err := decodeJSON(body, &b); err != nil {
		httpx.Fail(c, err)
		return
	}
	switch {
	case len(b.Codes) == 0:
		httpx.Fail(c, httpx.Errorf(400, "CODES_INVALID", "codes: give 1 to %d seal codes", a.limits.MaxBatch))
		return
	case len(b.Codes) > a.limits.MaxBatch:
		httpx.Fail(c, httpx.Errorf(400, "CODES_INVALID", "codes: %d codes; at most %d per request", len(b.Codes), a.limits.MaxBatch))
		return
	case b.At != nil && !timeInRange(*b.At):
		httpx.Fail(c, httpx.Errorf(400, codeTimeInvalid, "at is not a time from year 1 to 9999 (UTC)"))
		return
	case b.At != nil && !at.IsZero() && !b.At.Equal(at):
		httpx.Fail(c, httpx.Errorf(400, codeTimeInvalid, "at is given twice (query and body) with different times"))
		return
	}
	for i, code := range b.Codes {
		if code == "" || len(code) > 64 || !utf8.ValidString(code) {
			httpx.Fail(c, httpx.Errorf(400, "CODES_INVALID", "codes[%d]: a seal code is 1-64 characters", i))
			return
		}
	}
	if b.At != nil {
		at = b.At.UTC()
	}
	if at.IsZero() {
		at = a.cfg.Now().UTC()
	}
	st := trustlist.StateFor(c.Request.Context(), a.cfg.State)
	out := BatchResponse{Index: st.Index(), At: at, Results: make([]BatchResult, len(b.Codes))}
	for i, code := range b.Codes {
		r := BatchResult{Code: code}
		if v, ok := st.Seal(code); ok {
			view, _ := v.StatusAsOf(at, st.Index())
			r.Found, r.Seal, r.Status = true, v, &view
		}
		out.Results[i] = r
	}
	httpx.JSON(c, http.StatusOK, out)
}

// NodeInfo is one node of the cluster and the key its receipts are signed with.
type NodeInfo struct {
	ID           string `json:"id"`
	KeyID        string `json:"key_id,omitempty"`
	PublicKey    []byte `json:"public_key,omitempty"` // uncompressed SM2 point 04‖X‖Y
	PublicKeyPEM string `json:"public_key_pem,omitempty"`
	ClusterAddr  string `json:"cluster_addr"`
	Leader       bool   `json:"leader"`
	Voter        bool   `json:"voter"`
	Self         bool   `json:"self"`
	Reachable    bool   `json:"reachable"`
	Error        string `json:"error,omitempty"` // why the node's key could not be fetched
}

func (a *API) nodes(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), a.limits.RequestTimeout)
	defer cancel()
	nodes, err := a.cfg.Nodes(ctx)
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	httpx.JSON(c, http.StatusOK, gin.H{"nodes": nodes})
}
