package crl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/trustlist"
)

// KindName is the adapter kind's name in a registry's adapter configuration.
const KindName = "crl"

// replicated is the signed-list adapter's part of a registry's adapter configuration, as the
// administrator sets it in the trust list. The public keys are not secrets; the API key is, and each
// node holds it in its credentials (field api_key, optional).
type replicated struct {
	adapters.Config
	Endpoint   string                      `json:"endpoint"`
	Issuer     string                      `json:"issuer"`
	PublicKeys map[string]string           `json:"public_keys"` // key id → PEM
	Statuses   map[string]trustlist.Status `json:"statuses"`
	Refresh    string                      `json:"refresh,omitempty"` // e.g. "30s"
	Grace      string                      `json:"grace,omitempty"`   // e.g. "10m"; default none
	UID        string                      `json:"uid,omitempty"`     // default 1234567812345678
}

// Kind builds a signed-list source from a registry's adapter configuration and the node's
// credentials; register it in adapters.Sources.Kinds under KindName. Unknown fields in the
// configuration are errors, so a misspelt one is not silently ignored.
func Kind(hc *http.Client) adapters.Kind {
	return func(config json.RawMessage, creds adapters.Credentials) (adapters.Source, error) {
		var r replicated
		dec := json.NewDecoder(bytes.NewReader(config))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			return nil, fmt.Errorf("crl: configuration: %v", err)
		}
		cfg := Config{
			Endpoint: r.Endpoint, Issuer: r.Issuer, PublicKeys: r.PublicKeys, Statuses: r.Statuses,
			APIKey: creds["api_key"], UID: r.UID,
		}
		var err error
		if cfg.Refresh, err = duration("refresh", r.Refresh, false); err != nil {
			return nil, err
		}
		if cfg.Grace, err = duration("grace", r.Grace, true); err != nil {
			return nil, err
		}
		return New(cfg, hc)
	}
}

// duration reads a duration of the configuration; "" is zero (the default).
func duration(name, v string, zeroOK bool) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil || d < 0:
		return 0, fmt.Errorf("crl: %s %q is not a duration of zero or more", name, v)
	case d == 0 && !zeroOK:
		return 0, fmt.Errorf("crl: %s %q must be more than zero", name, v)
	}
	return d, nil
}
