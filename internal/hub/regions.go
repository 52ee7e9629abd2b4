package hub

import (
	"net"
	"net/http"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/adapters/crl"
	"github.com/sealhub/sealhub/adapters/rest"
	"github.com/sealhub/sealhub/adapters/signedjson"
	"github.com/sealhub/sealhub/adapters/soap"
)

// AdapterConfig is the node-local side of the regional adapters: the credentials the replicated
// adapter configurations name, and the wrapper's settings for every live region (zero values take
// the adapters defaults; a registry's own timeout and ttl win).
type AdapterConfig struct {
	Credentials map[string]adapters.Credentials
	Options     adapters.Options
}

// adapterClient is the HTTP client every adapter kind of a node shares: bounded dials and
// handshakes (each call also has its own deadline), a few idle connections per region.
func adapterClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}}
}

// redialEvery bounds how long a pooled connection to a region outlives a change of the address its
// name resolves to.
const redialEvery = 30 * time.Second

// redialRegions closes the adapters' idle connections every period until the hub stops, so the next
// call to each region dials anew and resolves its name again. A kept-alive connection is otherwise
// reused for as long as it is used often — a sync region polled every second is idle between polls
// but never for IdleConnTimeout — and keeps talking to whatever now holds the old address: seen in the
// compose cluster, where a replaced region container's address went to another region, which
// answered the first one's feed requests with 404 until the node restarted.
func (h *Hub) redialRegions(period time.Duration) {
	defer h.wg.Done()
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
			h.adapterHC.CloseIdleConnections()
		}
	}
}

// newSources is the node's directory over every adapter kind this build runs.
func newSources(hc *http.Client, cfg AdapterConfig, m *adapters.Metrics) *adapters.Sources {
	o := cfg.Options
	o.Metrics = m
	return &adapters.Sources{
		Kinds: map[string]adapters.Kind{
			rest.KindName:       rest.Kind(hc),
			soap.KindName:       soap.Kind(hc),
			signedjson.KindName: signedjson.Kind(hc),
			crl.KindName:        crl.Kind(hc),
		},
		Credentials: cfg.Credentials,
		Options:     o,
	}
}
