package adapters

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/sealhub/sealhub/trustlist"
)

// Config is the part of a registry's adapter configuration (trustlist.Registry.Adapter, set by the
// administrator and replicated) that every kind shares. The rest belongs to the kind. The
// replicated configuration never holds secrets: it names the credentials, and each node holds them
// in its own configuration.
type Config struct {
	Kind        string `json:"kind"`                  // rest | soap | signed-json | crl
	Credentials string `json:"credentials,omitempty"` // name of the node-local credentials to use
	Timeout     string `json:"timeout,omitempty"`     // per call, e.g. "2s" (wrapper default otherwise)
	TTL         string `json:"ttl,omitempty"`         // cache of good answers, e.g. "30s"
}

// Credentials are one set of node-local secrets (an app key and secret, a client certificate's
// files …), by field name.
type Credentials map[string]string

// Kind builds a Source from a registry's adapter configuration and its credentials.
type Kind func(config json.RawMessage, creds Credentials) (Source, error)

// Sources is the Directory of a node: it builds each live-mode registry's source from its
// replicated adapter configuration with the kind named there, behind Wrap, and rebuilds it when the
// configuration changes.
type Sources struct {
	Kinds       map[string]Kind
	Credentials map[string]Credentials // by name
	Options     Options                // wrapper settings for every region (Region is filled in)

	mu    sync.Mutex
	built map[string]builtSource // by registry id
}

type builtSource struct {
	config []byte
	src    Source
	err    error
}

// Source returns the registry's wrapped source, building it on first use or after its adapter
// configuration changed. A configuration that cannot be used is an error wrapping ErrNoAdapter.
func (s *Sources) Source(reg *trustlist.Registry) (Source, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.built[reg.ID]; ok && bytes.Equal(b.config, reg.Adapter) {
		return b.src, b.err
	}
	src, err := s.build(reg)
	if s.built == nil {
		s.built = map[string]builtSource{}
	}
	s.built[reg.ID] = builtSource{config: bytes.Clone(reg.Adapter), src: src, err: err}
	return src, err
}

func (s *Sources) build(reg *trustlist.Registry) (Source, error) {
	if len(reg.Adapter) == 0 {
		return nil, fmt.Errorf("%w: registry %s has no adapter configured", ErrNoAdapter, reg.ID)
	}
	var c Config
	if err := json.Unmarshal(reg.Adapter, &c); err != nil {
		return nil, fmt.Errorf("%w: registry %s: adapter configuration: %v", ErrNoAdapter, reg.ID, err)
	}
	kind, ok := s.Kinds[c.Kind]
	if !ok {
		return nil, fmt.Errorf("%w: registry %s: adapter kind %q is not one this node runs", ErrNoAdapter, reg.ID, c.Kind)
	}
	var creds Credentials
	if c.Credentials != "" {
		if creds, ok = s.Credentials[c.Credentials]; !ok {
			return nil, fmt.Errorf("%w: registry %s: this node holds no credentials %q", ErrNoAdapter, reg.ID, c.Credentials)
		}
	}
	o := s.Options
	o.Region = reg.ID
	for _, d := range []struct {
		name, v string
		to      *time.Duration
	}{{"timeout", c.Timeout, &o.Timeout}, {"ttl", c.TTL, &o.TTL}} {
		if d.v == "" {
			continue
		}
		v, err := time.ParseDuration(d.v)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%w: registry %s: adapter %s %q is not a positive duration", ErrNoAdapter, reg.ID, d.name, d.v)
		}
		*d.to = v
	}
	src, err := kind(reg.Adapter, creds)
	if err != nil {
		return nil, fmt.Errorf("%w: registry %s: %s adapter: %v", ErrNoAdapter, reg.ID, c.Kind, err)
	}
	return Wrap(src, o), nil
}
