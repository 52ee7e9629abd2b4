package adapters

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"
	"golang.org/x/sync/singleflight"
)

// ErrMalformed: the region answered something that is not a usable status (bad JSON or XML, a bad
// signature, an HTML error page, a truncated body). Adapters wrap it; such answers are never cached.
var ErrMalformed = errors.New("malformed answer from the region")

// Options tune the wrapper every adapter kind runs behind. Zero values take the defaults.
type Options struct {
	Region  string        // the registry id, for metrics and messages
	Timeout time.Duration // deadline of one upstream call (default 2 s)
	TTL     time.Duration // how long a good answer is served from the cache (default 30 s)
	// StaleFor is how long the last good answer is kept to be reported, marked stale with its age,
	// when the region does not answer (default 24 h). A stale answer never decides a verification.
	StaleFor time.Duration
	// Failures in a row that open the circuit breaker (default 5), and how long it stays open
	// before one trial call is let through (default 30 s).
	Failures uint32
	OpenFor  time.Duration
	// MaxEntries bounds the cache and the last-good store (default 100,000 codes each).
	MaxEntries int
	Now        func() time.Time
	Metrics    *Metrics // nil: none
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.TTL <= 0 {
		o.TTL = 30 * time.Second
	}
	if o.StaleFor <= 0 {
		o.StaleFor = 24 * time.Hour
	}
	if o.Failures == 0 {
		o.Failures = 5
	}
	if o.OpenFor <= 0 {
		o.OpenFor = 30 * time.Second
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = 100_000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Wrapped is a Source behind a deadline, a TTL cache, single-flight for identical concurrent
// queries, a circuit breaker and a last-known-good store. It is safe for concurrent use.
type Wrapped struct {
	src     Source
	o       Options
	flight  singleflight.Group
	breaker *gobreaker.CircuitBreaker[Report]

	mu     sync.Mutex
	fresh  map[string]fetched // good answers, served for TTL after they were fetched
	good   map[string]fetched // the last good answer per code, for stale reports
	health Health
}

// Health is how a region's service behaved as this node saw it, since the node started.
type Health struct {
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	Calls       uint64    `json:"calls"`      // upstream calls made
	Errors      uint64    `json:"errors"`     // upstream calls failed (a seal the region does not know is not a failure)
	CacheHits   uint64    `json:"cache_hits"` // queries answered from the cache
	Stale       uint64    `json:"stale"`      // queries answered with the last known answer, marked stale
	Breaker     string    `json:"breaker,omitempty"`
}

// Health is the wrapper's health record.
func (w *Wrapped) Health() Health {
	w.mu.Lock()
	h := w.health
	w.mu.Unlock()
	h.Breaker = w.breaker.State().String()
	return h
}

// record counts one upstream call.
func (w *Wrapped) record(err error) {
	now := w.o.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.health.Calls++
	if err == nil || errors.Is(err, ErrNotFound) {
		w.health.LastSuccess = now
		return
	}
	w.health.Errors++
	w.health.LastErrorAt, w.health.LastError = now, err.Error()
}

// fetched is a good answer and when this node got it (the region's CheckedAt may be its own clock).
type fetched struct {
	r  Report
	at time.Time
}

// Wrap puts src behind the wrapper.
func Wrap(src Source, o Options) *Wrapped {
	o = o.withDefaults()
	w := &Wrapped{src: src, o: o, fresh: map[string]fetched{}, good: map[string]fetched{}}
	w.breaker = gobreaker.NewCircuitBreaker[Report](gobreaker.Settings{
		Name:        o.Region,
		MaxRequests: 1,
		Timeout:     o.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= o.Failures },
		// The region answering "no such seal" is the region working.
		IsSuccessful: func(err error) bool { return err == nil || errors.Is(err, ErrNotFound) },
		OnStateChange: func(_ string, _, to gobreaker.State) {
			o.Metrics.breaker(o.Region, to)
		},
	})
	o.Metrics.breaker(o.Region, gobreaker.StateClosed)
	return w
}

// Status answers from the cache while fresh; otherwise asks the region once for all identical
// concurrent queries, under the deadline and the breaker. When the region fails, the last good
// answer (within StaleFor) comes back marked Stale, with a nil error; without one, the error wraps
// ErrUnavailable (or ErrNotFound, ErrMalformed …, as the source said).
func (w *Wrapped) Status(ctx context.Context, code string) (Report, error) {
	if r, ok := w.freshAnswer(code); ok {
		w.o.Metrics.cache(w.o.Region, "hit")
		w.mu.Lock()
		w.health.CacheHits++
		w.mu.Unlock()
		return r, nil
	}
	w.o.Metrics.cache(w.o.Region, "miss")
	ch := w.flight.DoChan(code, func() (any, error) {
		// A call that ended between our cache look-up and this flight has left a fresh answer.
		if r, ok := w.freshAnswer(code); ok {
			return r, nil
		}
		// The shared call runs on its own deadline: one caller giving up must not fail the others.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.o.Timeout)
		defer cancel()
		start := time.Now()
		r, err := w.breaker.Execute(func() (Report, error) { return w.src.Status(cctx, code) })
		w.o.Metrics.call(w.o.Region, time.Since(start), err)
		w.record(err)
		if err == nil {
			r = w.remember(code, r)
		}
		return r, err
	})
	select {
	case res := <-ch:
		if res.Err == nil {
			return res.Val.(Report), nil
		}
		return w.fallback(code, res.Err)
	case <-ctx.Done():
		return w.fallback(code, fmt.Errorf("%w: %v", ErrUnavailable, ctx.Err()))
	}
}

// freshAnswer is the cached answer for code, if still within its TTL.
func (w *Wrapped) freshAnswer(code string) (Report, bool) {
	w.mu.Lock()
	f, ok := w.fresh[code]
	w.mu.Unlock()
	return f.r, ok && w.o.Now().Sub(f.at) < w.o.TTL
}

// remember keeps a good answer, fresh and as the last good one.
func (w *Wrapped) remember(code string, r Report) Report {
	now := w.o.Now()
	if r.CheckedAt.IsZero() {
		r.CheckedAt = now
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.fresh) >= w.o.MaxEntries {
		clear(w.fresh)
	}
	if _, ok := w.good[code]; !ok && len(w.good) >= w.o.MaxEntries {
		clear(w.good)
	}
	w.fresh[code], w.good[code] = fetched{r, now}, fetched{r, now}
	return r
}

// fallback is the answer when the region failed: the last good one, stale, if recent enough.
func (w *Wrapped) fallback(code string, err error) (Report, error) {
	if errors.Is(err, ErrNotFound) {
		return Report{}, err
	}
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		err = fmt.Errorf("%w: region %s: circuit breaker open after repeated failures", ErrUnavailable, w.o.Region)
	} else if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w: region %s: no answer within %s", ErrUnavailable, w.o.Region, w.o.Timeout)
	} else if !errors.Is(err, ErrUnavailable) {
		err = fmt.Errorf("%w: region %s: %w", ErrUnavailable, w.o.Region, err)
	}
	w.mu.Lock()
	last, ok := w.good[code]
	ok = ok && w.o.Now().Sub(last.at) <= w.o.StaleFor
	if ok {
		w.health.Stale++
	}
	w.mu.Unlock()
	if ok {
		w.o.Metrics.cache(w.o.Region, "stale")
		last.r.Stale = true
		return last.r, nil
	}
	return Report{}, err
}

// Metrics are the wrapper's metrics, per region.
type Metrics struct {
	latency *prometheus.HistogramVec
	errs    *prometheus.CounterVec
	state   *prometheus.GaugeVec
	caches  *prometheus.CounterVec
}

// NewMetrics registers the adapter metrics on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "sealhub", Subsystem: "adapter", Name: "request_duration_seconds",
			Help: "Calls to a region's status service, by region.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}, []string{"region"}),
		errs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "sealhub", Subsystem: "adapter", Name: "errors_total",
			Help: "Failed calls to a region's status service, by region and type (timeout, breaker_open, malformed, unavailable, other)."}, []string{"region", "type"}),
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "sealhub", Subsystem: "adapter", Name: "breaker_state",
			Help: "A region's circuit breaker: 0 closed, 1 half-open, 2 open."}, []string{"region"}),
		caches: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "sealhub", Subsystem: "adapter", Name: "cache_total",
			Help: "Status queries by region and how the cache answered (hit, miss, stale)."}, []string{"region", "result"}),
	}
	for _, c := range []prometheus.Collector{m.latency, m.errs, m.state, m.caches} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) call(region string, took time.Duration, err error) {
	if m == nil {
		return
	}
	m.latency.WithLabelValues(region).Observe(took.Seconds())
	if err == nil || errors.Is(err, ErrNotFound) {
		return
	}
	kind := "other"
	switch {
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		kind = "breaker_open"
	case errors.Is(err, context.DeadlineExceeded):
		kind = "timeout"
	case errors.Is(err, ErrMalformed):
		kind = "malformed"
	case errors.Is(err, ErrUnavailable):
		kind = "unavailable"
	}
	m.errs.WithLabelValues(region, kind).Inc()
}

func (m *Metrics) breaker(region string, s gobreaker.State) {
	if m == nil {
		return
	}
	v := map[gobreaker.State]float64{gobreaker.StateClosed: 0, gobreaker.StateHalfOpen: 1, gobreaker.StateOpen: 2}[s]
	m.state.WithLabelValues(region).Set(v)
}

func (m *Metrics) cache(region, result string) {
	if m == nil {
		return
	}
	m.caches.WithLabelValues(region, result).Inc()
}
