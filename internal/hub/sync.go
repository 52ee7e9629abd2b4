package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/federation/command"
	"github.com/sealhub/sealhub/trustlist"
)

// Sync mode: the leader reads each sync-mode registry's feed every poll interval (adapters.Config
// poll) and writes what changed into the log as sync pushes (command.TypeSync), so every node
// answers locally. The feed is read from the registry head's source_seq, and each push carries the
// head's seq and hash: a push built on a head that moved (a new leader wrote first) is refused by the
// log, so every part of the feed is written exactly once. When nothing changed, a checkpoint (a sync
// push without ops) is written every max_age/4, so every node knows how fresh the registry's data
// is; the resolver stops vouching for it beyond max_age.

// syncMaxPages bounds the feed pages one round reads.
const syncMaxPages = 100

// syncHealth is the sync loop's record for one registry, on the node running it (the leader).
type syncHealth struct {
	Runner      string     `json:"runner"`
	LastSuccess time.Time  `json:"last_success,omitzero"`
	LastErrorAt time.Time  `json:"last_error_at,omitzero"`
	LastError   string     `json:"last_error,omitempty"`
	Rounds      uint64     `json:"rounds"`
	Errors      uint64     `json:"errors"`
	Pushes      uint64     `json:"pushes"`  // sync pushes written, checkpoints included
	Changes     uint64     `json:"changes"` // feed entries read
	Ops         uint64     `json:"ops"`     // filings and status changes written
	Skipped     uint64     `json:"skipped"`
	LastSkipped []syncSkip `json:"last_skipped,omitempty"` // the latest few
	next        time.Time
}

// syncer runs the sync loop on the leader.
type syncer struct {
	h       *Hub
	feeds   adapters.FeedDirectory
	lag     *prometheus.GaugeVec
	written *prometheus.CounterVec
	fails   *prometheus.CounterVec

	mu     sync.Mutex
	health map[string]*syncHealth
}

func newSyncer(h *Hub) (*syncer, error) {
	s := &syncer{h: h, health: map[string]*syncHealth{}}
	s.feeds, _ = h.cfg.Regions.(adapters.FeedDirectory)
	s.lag = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "sealhub", Subsystem: "sync", Name: "data_age_seconds",
		Help: "Age of a sync-mode registry's data: time since its last sync push (checkpoints included) was recorded."}, []string{"registry"})
	s.written = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "sealhub", Subsystem: "sync", Name: "ops_total",
		Help: "Filings and status changes the leader wrote from sync-mode registries' feeds."}, []string{"registry"})
	s.fails = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "sealhub", Subsystem: "sync", Name: "errors_total",
		Help: "Sync rounds that failed, by registry."}, []string{"registry"})
	for _, c := range []prometheus.Collector{s.lag, s.written, s.fails} {
		if err := h.Metrics.Register(c); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// loop runs rounds for the registries that are due, while this node is the established leader.
func (s *syncer) loop() {
	defer s.h.wg.Done()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.h.stop
		cancel()
	}()
	for {
		select {
		case <-s.h.stop:
			return
		case <-tick.C:
		}
		st := s.h.State()
		now := s.h.cfg.Now()
		for _, reg := range st.Registries() {
			if reg.Mode != trustlist.ModeSync {
				continue
			}
			if !reg.Head.RecordedAt.IsZero() {
				s.lag.WithLabelValues(reg.ID).Set(now.Sub(reg.Head.RecordedAt).Seconds())
			}
			if !s.h.Node.IsLeader() || !s.h.barrier.Load() || !s.due(reg.ID, now) {
				continue
			}
			poll, _ := adapters.SyncTiming(reg.Adapter)
			err := s.round(ctx, reg.ID)
			s.finish(reg.ID, s.h.cfg.Now(), poll, err)
		}
	}
}

func (s *syncer) due(id string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.health[id]
	return !ok || !now.Before(h.next)
}

func (s *syncer) entry(id string) *syncHealth {
	h, ok := s.health[id]
	if !ok {
		h = &syncHealth{}
		s.health[id] = h
	}
	h.Runner = s.h.cfg.NodeID
	return h
}

func (s *syncer) finish(id string, now time.Time, poll time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.entry(id)
	h.Rounds++
	h.next = now.Add(poll)
	if err != nil {
		h.Errors++
		h.LastErrorAt, h.LastError = now, err.Error()
		s.fails.WithLabelValues(id).Inc()
		s.h.log.Warn("sync round failed", "registry", id, "err", err)
		return
	}
	h.LastSuccess = now
}

func (s *syncer) count(id string, changes, ops, pushes int, skips []syncSkip) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.entry(id)
	h.Changes += uint64(changes)
	h.Ops += uint64(ops)
	h.Pushes += uint64(pushes)
	h.Skipped += uint64(len(skips))
	h.LastSkipped = append(h.LastSkipped, skips...)
	if n := len(h.LastSkipped); n > 10 {
		h.LastSkipped = slices.Clone(h.LastSkipped[n-10:])
	}
	s.written.WithLabelValues(id).Add(float64(ops))
	for _, k := range skips {
		s.h.log.Warn("sync: a change of the region's feed is not written", "registry", id, "seq", k.Seq, "code", k.Code, "reason", k.Reason)
	}
}

// Health is the sync record for a registry, if this node ran its loop.
func (s *syncer) Health(id string) (syncHealth, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.health[id]
	if !ok {
		return syncHealth{}, false
	}
	c := *h
	c.LastSkipped = slices.Clone(h.LastSkipped)
	return c, true
}

// round reads the registry's feed from its head until the feed has no more, writing each answer.
func (s *syncer) round(ctx context.Context, id string) error {
	if s.feeds == nil {
		return fmt.Errorf("%w: this node runs no adapters", adapters.ErrNoAdapter)
	}
	for page := 0; page < syncMaxPages; page++ {
		st := s.h.State()
		reg, ok := st.Registry(id)
		if !ok || reg.Mode != trustlist.ModeSync {
			return nil
		}
		feed, err := s.feeds.Feed(reg)
		if err != nil {
			return err
		}
		_, maxAge := adapters.SyncTiming(reg.Adapter)
		timeout := 10 * time.Second
		if c, err := adapters.ParseConfig(reg.Adapter); err == nil && c.Timeout != "" {
			if d, err := time.ParseDuration(c.Timeout); err == nil && d > 0 {
				timeout = d
			}
		}
		after := reg.Head.SourceSeq
		cctx, cancel := context.WithTimeout(ctx, timeout)
		ch, err := feed.Changes(cctx, after)
		cancel()
		if err != nil {
			return fmt.Errorf("reading the feed after seq %d: %w", after, err)
		}
		if err := checkChanges(ch, after); err != nil {
			return err
		}
		now := s.h.cfg.Now().UTC()
		chunks, skips := planSync(st, id, after, ch, now)
		if len(chunks) == 0 && now.Sub(reg.Head.RecordedAt) >= maxAge/4 && ch.Through > 0 {
			chunks = []syncChunk{{source: ch.Through}} // a checkpoint: read now, nothing new
		}
		ops, pushes := 0, 0
		for _, c := range chunks {
			n, dropped, err := s.write(ctx, id, c)
			skips = append(skips, dropped...)
			if err != nil {
				s.count(id, len(ch.Changes), ops, pushes, skips)
				return err
			}
			ops += n
			if n > 0 || c.source > 0 {
				pushes++
			}
		}
		s.count(id, len(ch.Changes), ops, pushes, skips)
		if !ch.More {
			return nil
		}
	}
	return nil
}

// checkChanges refuses a feed answer that goes back or whose entries are out of order.
func checkChanges(ch adapters.Changes, after uint64) error {
	if ch.Through < after {
		return fmt.Errorf("%w: the feed answered up to seq %d, before the position %d already written", adapters.ErrMalformed, ch.Through, after)
	}
	if ch.Full {
		return nil
	}
	prev := after
	for _, c := range ch.Changes {
		if c.Seq <= prev || c.Seq > ch.Through {
			return fmt.Errorf("%w: feed entry seq %d out of order (after %d, through %d)", adapters.ErrMalformed, c.Seq, prev, ch.Through)
		}
		prev = c.Seq
	}
	return nil
}

// write proposes one chunk as a sync push built on the current head. An op the trust list refuses
// (a transition it does not allow, a seal outside the jurisdiction …) is dropped and reported, and
// the rest is written. It returns the ops written.
func (s *syncer) write(ctx context.Context, id string, c syncChunk) (int, []syncSkip, error) {
	var dropped []syncSkip
	ops := c.ops
	for {
		st := s.h.State()
		reg, ok := st.Registry(id)
		if !ok {
			return 0, dropped, fmt.Errorf("registry %s is gone", id)
		}
		if len(ops) == 0 && c.source <= reg.Head.SourceSeq && !s.checkpointDue(reg) {
			return 0, dropped, nil
		}
		if len(ops) == 0 && c.source == 0 {
			return 0, dropped, nil
		}
		now := s.h.cfg.Now().UTC()
		p := trustlist.Push{Registry: id, Seq: reg.Head.Seq + 1, Prev: reg.Head.Hash, IssuedAt: now, Ops: ops, SourceSeq: max(c.source, reg.Head.SourceSeq)}
		if p.IssuedAt.Before(reg.Head.IssuedAt) {
			p.IssuedAt = reg.Head.IssuedAt
		}
		if p.Ops == nil {
			p.Ops = []trustlist.Op{}
		}
		body, err := json.Marshal(p)
		if err != nil {
			return 0, dropped, err
		}
		env := trustlist.Envelope{Body: body, RecordedAt: now, Sync: true}
		if _, err := st.Check(env, trustlist.CheckOptions{}); err != nil {
			var r *trustlist.Rejection
			if errors.As(err, &r) && r.Op >= 0 && r.Op < len(ops) {
				op := ops[r.Op]
				dropped = append(dropped, syncSkip{Code: op.Code + metaCode(op), Reason: r.Error()})
				ops = slices.Delete(slices.Clone(ops), r.Op, r.Op+1)
				continue
			}
			return 0, dropped, fmt.Errorf("sync push refused: %w", err)
		}
		resp, _, err := s.h.Node.Apply(ctx, command.EncodeSync(env))
		if err != nil {
			return 0, dropped, err
		}
		if e, ok := resp.(error); ok {
			return 0, dropped, fmt.Errorf("sync push refused by the log: %w", e)
		}
		return len(ops), dropped, nil
	}
}

// checkpointDue reports whether the registry's last sync push is older than a quarter of its
// maximum data age.
func (s *syncer) checkpointDue(reg *trustlist.Registry) bool {
	_, maxAge := adapters.SyncTiming(reg.Adapter)
	return s.h.cfg.Now().Sub(reg.Head.RecordedAt) >= maxAge/4
}

func metaCode(op trustlist.Op) string {
	if op.Meta != nil {
		return op.Meta.Code
	}
	return ""
}
