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
	Timeout     string `json:"timeout,omitempty"`     // per call, e.g. "2s" (default: the node's wrapper setting, 2 s; a sync feed read 10 s)
	TTL         string `json:"ttl,omitempty"`         // cache of good answers, e.g. "30s"
	// Sync mode: how often the leader reads the region's feed (default DefaultPoll), and how old
	// the last successful read may be before the hub stops vouching for the registry's statuses
	// (default DefaultMaxAge): beyond it, verifications are indeterminate.
	Poll   string `json:"poll,omitempty"`
	MaxAge string `json:"max_age,omitempty"`
}

// Sync-mode defaults.
const (
	DefaultPoll   = 5 * time.Second
	DefaultMaxAge = 10 * time.Minute
)

// ParseConfig reads the shared part of a registry's adapter configuration and checks its durations.
func ParseConfig(raw json.RawMessage) (Config, error) {
	var c Config
	if len(raw) == 0 {
		return c, fmt.Errorf("%w: no adapter configured", ErrNoAdapter)
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("%w: adapter configuration: %v", ErrNoAdapter, err)
	}
	for _, d := range []struct{ name, v string }{{"timeout", c.Timeout}, {"ttl", c.TTL}, {"poll", c.Poll}, {"max_age", c.MaxAge}} {
		if _, err := duration(d.name, d.v, 0); err != nil {
			return c, err
		}
	}
	return c, nil
}

// SyncTiming is a sync-mode registry's poll interval and maximum data age, defaults filled in; an
// unreadable configuration gives the defaults.
func SyncTiming(raw json.RawMessage) (poll, maxAge time.Duration) {
	c, _ := ParseConfig(raw)
	poll, err := duration("poll", c.Poll, DefaultPoll)
	if err != nil {
		poll = DefaultPoll
	}
	maxAge, err = duration("max_age", c.MaxAge, DefaultMaxAge)
	if err != nil {
		maxAge = DefaultMaxAge
	}
	return poll, maxAge
}

// duration reads a positive duration; "" is def.
func duration(name, v string, def time.Duration) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%w: adapter %s %q is not a positive duration", ErrNoAdapter, name, v)
	}
	return d, nil
}

// Credentials are one set of node-local secrets (an app key and secret, a client certificate's
// files …), by field name.
type Credentials map[string]string

// Kind builds a Source from a registry's adapter configuration and its credentials.
type Kind func(config json.RawMessage, creds Credentials) (Source, error)

// FeedDirectory finds the change feed of a sync-mode registry.
type FeedDirectory interface {
	// Feed returns the registry's feed, or an error wrapping ErrNoAdapter when its kind has none or
	// it is not configured on this node.
	Feed(registry *trustlist.Registry) (Feed, error)
}

// Sources is the Directory and FeedDirectory of a node: it builds each registry's source from its
// replicated adapter configuration with the kind named there and rebuilds it when the configuration
// changes. Live-mode sources run behind Wrap; feeds are the kind's own (the sync loop has its own
// deadline and retries).
type Sources struct {
	Kinds       map[string]Kind
	Credentials map[string]Credentials // by name
	Options     Options                // wrapper settings for every region (Region is filled in)

	mu    sync.Mutex
	built map[string]builtSource // by registry id
}

type builtSource struct {
	config  []byte
	raw     Source   // the kind's source
	wrapped *Wrapped // raw behind the wrapper
	err     error
}

// Source returns the registry's wrapped source, building it on first use or after its adapter
// configuration changed. A configuration that cannot be used is an error wrapping ErrNoAdapter.
func (s *Sources) Source(reg *trustlist.Registry) (Source, error) {
	b := s.get(reg)
	if b.err != nil {
		return nil, b.err
	}
	return b.wrapped, nil
}

// Feed returns the registry's change feed: its kind's source, which must implement Feed.
func (s *Sources) Feed(reg *trustlist.Registry) (Feed, error) {
	b := s.get(reg)
	if b.err != nil {
		return nil, b.err
	}
	f, ok := b.raw.(Feed)
	if !ok {
		return nil, fmt.Errorf("%w: registry %s: its adapter kind has no change feed, so it cannot run in sync mode", ErrNoAdapter, reg.ID)
	}
	return f, nil
}

// Health is the health of the registry's live source on this node, if one was built.
func (s *Sources) Health(id string) (Health, bool) {
	s.mu.Lock()
	b, ok := s.built[id]
	s.mu.Unlock()
	if !ok || b.wrapped == nil {
		return Health{}, false
	}
	return b.wrapped.Health(), true
}

func (s *Sources) get(reg *trustlist.Registry) builtSource {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.built[reg.ID]; ok && bytes.Equal(b.config, reg.Adapter) {
		return b
	}
	b := builtSource{config: bytes.Clone(reg.Adapter)}
	b.raw, b.err = s.build(reg)
	if b.err == nil {
		o := s.Options
		o.Region = reg.ID
		c, _ := ParseConfig(reg.Adapter)
		o.Timeout, _ = duration("timeout", c.Timeout, o.Timeout)
		o.TTL, _ = duration("ttl", c.TTL, o.TTL)
		b.wrapped = Wrap(b.raw, o)
	}
	if s.built == nil {
		s.built = map[string]builtSource{}
	}
	s.built[reg.ID] = b
	return b
}

func (s *Sources) build(reg *trustlist.Registry) (Source, error) {
	c, err := ParseConfig(reg.Adapter)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", reg.ID, err)
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
	src, err := kind(reg.Adapter, creds)
	if err != nil {
		return nil, fmt.Errorf("%w: registry %s: %s adapter: %v", ErrNoAdapter, reg.ID, c.Kind, err)
	}
	return src, nil
}

// ParseZone reads a time zone as a region's configuration gives it: an IANA name ("Asia/Shanghai")
// or a fixed offset such as "+08:00".
func ParseZone(s string) (*time.Location, error) {
	if t, err := time.Parse("-07:00", s); err == nil {
		_, off := t.Zone()
		return time.FixedZone(s, off), nil
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, fmt.Errorf("time_zone %q: want an IANA name or an offset such as +08:00", s)
	}
	return loc, nil
}
