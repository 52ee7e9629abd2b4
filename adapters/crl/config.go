package crl

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"time"

	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// Defaults of the zero Config fields.
const (
	DefaultRefresh      = 30 * time.Second
	DefaultSkew         = 5 * time.Minute
	DefaultFetchTimeout = 30 * time.Second
	// DefaultMaxBody bounds one list document: a complete list of 100,000 seals is about 30 MB once
	// base64-encoded.
	DefaultMaxBody = 64 << 20
	// DefaultUID is the SM2 user ID of the list signature, the GM/T 0009 default.
	DefaultUID = smcrypto.DefaultUID
)

// Config is one region's signed status list.
type Config struct {
	// Endpoint is the base URL; the lists are at {Endpoint}/crl/full and {Endpoint}/crl/delta.
	Endpoint string
	// Issuer is the region id the lists must name as their issuer.
	Issuer string
	// PublicKeys are the region's list-signing keys by key id, each an SM2 public key as PEM
	// ("PUBLIC KEY") or the base64 of its uncompressed point.
	PublicKeys map[string]string
	// Statuses maps the region's status codes to sealhub's: valid, suspended, revoked, invalidated.
	Statuses map[string]trustlist.Status
	// APIKey is sent as X-Api-Key when set (a node-local secret).
	APIKey string
	// UID is the SM2 user ID of the signatures (default DefaultUID).
	UID string
	// Refresh is how old the last refresh may be before a query triggers the next (default
	// DefaultRefresh).
	Refresh time.Duration
	// Grace is how long past its nextUpdate a held list still answers when no newer one can be had
	// (default 0: none).
	Grace time.Duration
	// Skew is how far a list's thisUpdate may be ahead of this node's clock (default DefaultSkew).
	Skew time.Duration
	// FetchTimeout bounds one refresh, however long its callers wait (default DefaultFetchTimeout).
	FetchTimeout time.Duration
	// MaxBody bounds one list document (default DefaultMaxBody).
	MaxBody int64
	// Now is the clock of the time checks and of CheckedAt (default time.Now).
	Now func() time.Time
}

// regionStatuses are the statuses a region may report; expiry and not-yet-valid come from the
// seal's validity period, never from a region.
var regionStatuses = map[trustlist.Status]bool{
	trustlist.StatusValid: true, trustlist.StatusSuspended: true,
	trustlist.StatusRevoked: true, trustlist.StatusInvalidated: true,
}

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	_, err := c.keys()
	return err
}

// keys validates the configuration and parses its public keys.
func (c Config) keys() (map[string]*ecdsa.PublicKey, error) {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("crl: "+format, a...)) }
	if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("endpoint %q is not an http(s) URL with a host", c.Endpoint)
	} else if u.RawQuery != "" || u.Fragment != "" {
		bad("endpoint %q must not have a query or fragment", c.Endpoint)
	}
	if c.Issuer == "" {
		bad("issuer is empty")
	}
	if len(c.PublicKeys) == 0 {
		bad("no public key")
	}
	keys := make(map[string]*ecdsa.PublicKey, len(c.PublicKeys))
	for _, id := range slices.Sorted(maps.Keys(c.PublicKeys)) {
		if id == "" {
			bad("a public key has an empty key id")
			continue
		}
		pub, err := smcrypto.ParsePublicKey(c.PublicKeys[id])
		if err != nil {
			bad("public key %q: %v", id, err)
			continue
		}
		keys[id] = pub
	}
	if len(c.Statuses) == 0 {
		bad("no status-code mapping")
	}
	for _, code := range slices.Sorted(maps.Keys(c.Statuses)) {
		if s := c.Statuses[code]; !regionStatuses[s] {
			bad("status code %q maps to %q; want valid, suspended, revoked or invalidated", code, s)
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"refresh", c.Refresh}, {"grace", c.Grace}, {"skew", c.Skew}, {"fetch timeout", c.FetchTimeout}} {
		if d.v < 0 {
			bad("%s %s is negative", d.name, d.v)
		}
	}
	if c.MaxBody < 0 {
		bad("max body %d is negative", c.MaxBody)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return keys, nil
}

func (c Config) withDefaults() Config {
	if c.UID == "" {
		c.UID = DefaultUID
	}
	if c.Refresh == 0 {
		c.Refresh = DefaultRefresh
	}
	if c.Skew == 0 {
		c.Skew = DefaultSkew
	}
	if c.FetchTimeout == 0 {
		c.FetchTimeout = DefaultFetchTimeout
	}
	if c.MaxBody == 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}
