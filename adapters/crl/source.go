package crl

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/trustlist"
)

// Source answers the status of one region's seals from its signed list, held in memory and
// refreshed on demand. It is safe for concurrent use.
type Source struct {
	cfg      Config
	hc       *http.Client
	keys     map[string]*ecdsa.PublicKey
	uid      []byte
	fullURL  string
	deltaURL string // ends with "base="

	base context.Context // every refresh runs under it; Close cancels it
	stop context.CancelFunc
	wg   sync.WaitGroup // the refresh running

	mu        sync.Mutex
	cur       *held     // nil until the first list is had
	attempted time.Time // when the last refresh started
	flight    *flight   // the refresh running, if any
	closed    bool
}

// held is a verified list as applied: never changed once built (a refresh builds a new one).
type held struct {
	seq        uint64
	thisUpdate time.Time
	nextUpdate time.Time
	fetched    time.Time         // when the region last sent a list this one is built from
	entries    map[string]status // by code
}

// status is one seal's entry in the held list.
type status struct {
	status    trustlist.Status
	effective time.Time
	evidence  string // SM3 (hex) of the document the entry came from
}

// flight is one refresh, shared by the queries that wait for it.
type flight struct {
	done chan struct{}
	h    *held // the new list; nil on error
	err  error
}

// New checks cfg and returns its Source; hc nil is http.DefaultClient. Call Close to stop a
// refresh still running when the source is no longer used.
func New(cfg Config, hc *http.Client) (*Source, error) {
	keys, err := cfg.keys()
	if err != nil {
		return nil, err
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	cfg = cfg.withDefaults()
	base, stop := context.WithCancel(context.Background())
	endpoint := strings.TrimSuffix(cfg.Endpoint, "/")
	return &Source{
		cfg: cfg, hc: hc, keys: keys, uid: []byte(cfg.UID),
		fullURL: endpoint + "/crl/full", deltaURL: endpoint + "/crl/delta?base=",
		base: base, stop: stop,
	}, nil
}

// Close stops a refresh still running and waits for it; later refreshes fail, and queries are
// answered from the held list while it is usable.
func (s *Source) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.stop()
	s.wg.Wait()
	return nil
}

// Status answers from the held list, refreshing it first when due.
func (s *Source) Status(ctx context.Context, code string) (adapters.Report, error) {
	h, err := s.current(ctx)
	if err != nil {
		return adapters.Report{}, err
	}
	return s.report(h, code)
}

// StatusBatch answers many codes from one held list; codes the region does not list are absent.
func (s *Source) StatusBatch(ctx context.Context, codes []string) (map[string]adapters.Report, error) {
	h, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]adapters.Report, len(codes))
	for _, code := range codes {
		if r, err := s.report(h, code); err == nil {
			out[code] = r
		}
	}
	return out, nil
}

func (s *Source) report(h *held, code string) (adapters.Report, error) {
	e, ok := h.entries[code]
	if !ok {
		return adapters.Report{}, fmt.Errorf("%w: crl: region %s does not list %q (list seq %d)", adapters.ErrNotFound, s.cfg.Issuer, short(code), h.seq)
	}
	return adapters.Report{Status: e.status, EffectiveAt: e.effective, CheckedAt: h.fetched, Evidence: e.evidence}, nil
}

// current is the held list, refreshed first when due; an error when no usable list can be had.
func (s *Source) current(ctx context.Context) (*held, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: crl: region %s: %w", adapters.ErrUnavailable, s.cfg.Issuer, err)
	}
	s.mu.Lock()
	h, due := s.cur, s.dueLocked(s.cfg.Now())
	var f *flight
	if due {
		f = s.startLocked()
	}
	s.mu.Unlock()
	if !due {
		return h, nil
	}
	var err error
	select {
	case <-f.done:
		if f.err == nil {
			h = f.h
		}
		err = f.err
	case <-ctx.Done():
		err = fmt.Errorf("%w: crl: region %s: waiting for the list: %w", adapters.ErrUnavailable, s.cfg.Issuer, ctx.Err())
	}
	if h == nil {
		return nil, err
	}
	if now := s.cfg.Now(); now.After(h.nextUpdate.Add(s.cfg.Grace)) {
		if err == nil {
			err = fmt.Errorf("%w: crl: region %s: its newest list (seq %d) expired at %s", adapters.ErrUnavailable,
				s.cfg.Issuer, h.seq, h.nextUpdate.Format(time.RFC3339))
		}
		return nil, err
	}
	return h, nil
}

// dueLocked says whether a query must wait for a refresh: when no list is held or the held one is
// past use, always; otherwise when the last attempt is older than Refresh, or the list is past its
// nextUpdate and no attempt was made since.
func (s *Source) dueLocked(now time.Time) bool {
	h := s.cur
	switch {
	case s.flight != nil:
		return true // join it
	case h == nil, now.After(h.nextUpdate.Add(s.cfg.Grace)):
		return true
	case now.Sub(s.attempted) >= s.cfg.Refresh:
		return true
	default:
		return now.After(h.nextUpdate) && !s.attempted.After(h.nextUpdate)
	}
}

// startLocked returns the refresh running, starting one if none is.
func (s *Source) startLocked() *flight {
	if s.flight != nil {
		return s.flight
	}
	f := &flight{done: make(chan struct{})}
	if s.closed {
		f.err = fmt.Errorf("%w: crl: region %s: the source is closed", adapters.ErrUnavailable, s.cfg.Issuer)
		close(f.done)
		return f
	}
	s.flight = f
	s.attempted = s.cfg.Now()
	cur := s.cur
	s.wg.Add(1)
	go s.refresh(f, cur)
	return f
}

// refresh brings cur up to date, under its own deadline, and publishes the result.
func (s *Source) refresh(f *flight, cur *held) {
	defer s.wg.Done()
	ctx, cancel := context.WithTimeout(s.base, s.cfg.FetchTimeout)
	defer cancel()
	var l *list
	var err error
	if cur == nil {
		l, err = s.fetchFull(ctx, 0)
	} else {
		l, err = s.fetchFrom(ctx, cur.seq)
	}
	if err == nil {
		f.h = apply(cur, l, s.cfg.Now())
	}
	f.err = err
	s.mu.Lock()
	if f.h != nil {
		s.cur = f.h
	}
	s.flight = nil
	s.mu.Unlock()
	close(f.done)
}

// apply builds the held list from cur and a verified list: a full list replaces it, a delta
// updates a copy.
func apply(cur *held, l *list, now time.Time) *held {
	h := &held{seq: l.seq, thisUpdate: l.thisUpdate, nextUpdate: l.nextUpdate, fetched: now}
	switch {
	case l.full || cur == nil:
		h.entries = make(map[string]status, len(l.entries))
	case len(l.entries) == 0:
		h.entries = cur.entries // nothing changed, and a held map is never written to
		return h
	default:
		h.entries = maps.Clone(cur.entries)
	}
	for _, c := range l.entries {
		h.entries[c.Code] = status{status: c.Status, effective: c.EffectiveAt, evidence: l.evidence}
	}
	return h
}

var (
	_ adapters.Source = (*Source)(nil)
	_ adapters.Batch  = (*Source)(nil)
	_ adapters.Feed   = (*Source)(nil)
)
