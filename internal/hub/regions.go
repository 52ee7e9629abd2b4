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
