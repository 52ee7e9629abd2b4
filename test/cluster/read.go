package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/sealhub/sealhub/internal/hub"
)

// Read is one answer of the read API, with the cluster headers decoded.
type Read struct {
	Status      int
	Code        string // the error code of an error answer
	Index       uint64 // X-Sealhub-Index
	LastContact int64  // X-Sealhub-Last-Contact, ms; -1 never
	Leader      string // X-Sealhub-Leader
	Stale       bool   // X-Sealhub-Stale: true
	Consistency string // X-Sealhub-Consistency
	Body        []byte
}

// Get reads path (with its query) from node n once, without retrying. A transport failure fails
// the test.
func (c *Cluster) Get(t testing.TB, n int, path string) Read {
	t.Helper()
	r, err := c.Fetch(n, path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Fetch is Get for goroutines other than the test's: it returns a transport failure.
func (c *Cluster) Fetch(n int, path string) (Read, error) {
	ctx, cancel := context.WithTimeout(context.Background(), AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL(n)+path, nil)
	if err != nil {
		return Read{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Read{}, fmt.Errorf("GET %s on node %d: %w", path, n, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Read{}, fmt.Errorf("GET %s on node %d: %w", path, n, err)
	}
	r := Read{Status: resp.StatusCode, Leader: resp.Header.Get(hub.HeaderLeader), Body: body,
		Stale: resp.Header.Get(hub.HeaderStale) == "true", Consistency: resp.Header.Get(hub.HeaderConsistency)}
	r.Index, _ = strconv.ParseUint(resp.Header.Get(hub.HeaderIndex), 10, 64)
	r.LastContact, _ = strconv.ParseInt(resp.Header.Get(hub.HeaderLastContact), 10, 64)
	if r.Status >= 300 {
		var e struct {
			Code string `json:"code"`
		}
		_ = json.Unmarshal(body, &e)
		r.Code = e.Code
	}
	return r, nil
}

// SealPath is the read path of a seal at a consistency level ("" for the default).
func SealPath(code, consistency string) string {
	path := "/v1/seals/" + url.PathEscape(code)
	if consistency != "" {
		path += "?consistency=" + consistency
	}
	return path
}

// ReadSeal reads a seal from node n at a consistency level ("" for the default).
func (c *Cluster) ReadSeal(t testing.TB, n int, code, consistency string) Read {
	t.Helper()
	return c.Get(t, n, SealPath(code, consistency))
}
