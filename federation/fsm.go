package federation

import (
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sealhub/sealhub/federation/command"
	"github.com/sealhub/sealhub/trustlist"
)

// FSM applies the raft log to the trust list. The current *trustlist.State sits behind an atomic
// pointer: Apply builds the next state and swaps it in; readers call State and never lock.
//
// Apply is deterministic: each command's handler decodes its payload (a corrupt entry panics, since
// going on would fork the replicas), applies it at the entry's index and returns either a
// *trustlist.Result or the business rejection as an error value. Consensus errors never come from
// here.
type FSM struct {
	state    atomic.Pointer[trustlist.State]
	log      *slog.Logger
	applyDur *prometheus.HistogramVec
	outcomes *prometheus.CounterVec
	onApply  func(*trustlist.State) // optional observer, called on the FSM goroutine
	cache    *trustlist.ParseCache  // pushes this node checked before proposing them
	metrics  *raftMetrics           // set by Open; nil until then

	applied   atomic.Uint64                 // index of the last entry given to the FSM
	appliedCh atomic.Pointer[chan struct{}] // closed and replaced at every apply
}

// applyFunc handles one command type.
type applyFunc func(f *FSM, version uint8, payload []byte, index uint64) any

// handlers is the dispatch table, by command type.
var handlers = map[command.Type]applyFunc{
	command.TypeInit: applyInit,
	command.TypePush: applyPush,
	command.TypeMark: applyMark,
	command.TypeSync: applySync,
}

// NewFSM makes an FSM holding the empty state. reg may be nil.
func NewFSM(log *slog.Logger, reg prometheus.Registerer) (*FSM, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &FSM{
		log: log.With("component", "fsm"),
		applyDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "sealhub", Subsystem: "fsm", Name: "apply_duration_seconds",
			Help:    "Time to apply one raft log entry to the trust list, by command type.",
			Buckets: prometheus.ExponentialBuckets(0.00005, 2.5, 12),
		}, []string{"type"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "sealhub", Subsystem: "fsm", Name: "entries_total",
			Help: "Raft entries applied, by command type and outcome (applied, replay, rejected, skipped).",
		}, []string{"type", "outcome"}),
	}
	f.state.Store(trustlist.New())
	ch := make(chan struct{})
	f.appliedCh.Store(&ch)
	f.cache = trustlist.NewParseCache(8)
	if reg != nil {
		for _, c := range []prometheus.Collector{f.applyDur, f.outcomes} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return f, nil
}

// State is the current trust list. It is immutable; callers may keep it as long as they like.
func (f *FSM) State() *trustlist.State { return f.state.Load() }

// ParseCache is shared with the push intake of this node: a push it parsed to check is not parsed
// again when applied.
func (f *FSM) ParseCache() *trustlist.ParseCache { return f.cache }

// OnApply sets a function called with each new state, on the FSM goroutine (it must be quick). Set it
// before the node starts.
func (f *FSM) OnApply(fn func(*trustlist.State)) { f.onApply = fn }

func (f *FSM) store(s *trustlist.State) {
	f.state.Store(s)
	f.markApplied(s.Index())
	if f.onApply != nil {
		f.onApply(s)
	}
}

// markApplied records index as applied and wakes WaitApplied callers.
func (f *FSM) markApplied(index uint64) {
	f.applied.Store(index)
	next := make(chan struct{})
	close(*f.appliedCh.Swap(&next))
}

// LastApplied is the index of the last log entry (command or configuration) the FSM was given, or
// the state's index after a restore.
func (f *FSM) LastApplied() uint64 { return f.applied.Load() }

// AppliedCh is closed at the next apply.
func (f *FSM) AppliedCh() <-chan struct{} { return *f.appliedCh.Load() }

// StoreConfiguration implements raft.ConfigurationStore: a configuration entry changes nothing in
// the trust list, but the FSM records its index so that read-index waits see it applied.
func (f *FSM) StoreConfiguration(index uint64, _ raft.Configuration) {
	if index > f.applied.Load() {
		f.markApplied(index)
	}
}

// Apply implements raft.FSM.
func (f *FSM) Apply(l *raft.Log) any {
	typ, ignorable, version, payload, err := command.Split(l.Data)
	if err != nil {
		panic(fmt.Sprintf("federation: entry %d: %v", l.Index, err))
	}
	h, ok := handlers[typ]
	if !ok {
		if ignorable {
			f.log.Warn("skipping an unknown ignorable command; upgrade this node", "type", uint8(typ), "index", l.Index)
			f.outcomes.WithLabelValues(typ.String(), "skipped").Inc()
			f.store(f.State().WithIndex(l.Index))
			return nil
		}
		panic(fmt.Sprintf("federation: entry %d has unknown command type %d; this node is older than the cluster", l.Index, typ))
	}
	start := time.Now()
	resp := h(f, version, payload, l.Index)
	f.applyDur.WithLabelValues(typ.String()).Observe(time.Since(start).Seconds())
	return resp
}

func applyMark(f *FSM, _ uint8, payload []byte, index uint64) any {
	f.log.Info("mark", "index", index, "why", string(payload))
	f.outcomes.WithLabelValues("mark", "applied").Inc()
	f.store(f.State().WithIndex(index))
	return nil
}

func applyInit(f *FSM, version uint8, payload []byte, index uint64) any {
	in, err := command.DecodeInit(version, payload)
	if err != nil {
		panic(fmt.Sprintf("federation: entry %d: %v", index, err))
	}
	cur := f.State()
	next, err := cur.Init(in.Keys, in.RecordedAt, index)
	if err != nil {
		f.outcomes.WithLabelValues("init", "rejected").Inc()
		f.store(cur.WithIndex(index))
		return err
	}
	f.outcomes.WithLabelValues("init", "applied").Inc()
	f.store(next)
	return nil
}

func applyPush(f *FSM, version uint8, payload []byte, index uint64) any {
	env, err := command.DecodePush(version, payload)
	if err != nil {
		panic(fmt.Sprintf("federation: entry %d: %v", index, err))
	}
	return f.applyEnvelope("push", env, index)
}

func applySync(f *FSM, version uint8, payload []byte, index uint64) any {
	env, err := command.DecodeSync(version, payload)
	if err != nil {
		panic(fmt.Sprintf("federation: entry %d: %v", index, err))
	}
	return f.applyEnvelope("sync", env, index)
}

// applyEnvelope applies a push or sync entry; kind labels the metrics.
func (f *FSM) applyEnvelope(kind string, env trustlist.Envelope, index uint64) any {
	cur := f.State()
	next, res, err := cur.ApplyWith(env, index, f.cache)
	switch {
	case err != nil:
		f.outcomes.WithLabelValues(kind, "rejected").Inc()
		f.store(cur.WithIndex(index))
		return err
	case res.Replay:
		f.outcomes.WithLabelValues(kind, "replay").Inc()
		f.store(cur.WithIndex(index))
	default:
		f.outcomes.WithLabelValues(kind, "applied").Inc()
		f.store(next)
	}
	return res
}

// Snapshot implements raft.FSM: O(1), it captures the current immutable state.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	return &fsmSnapshot{state: f.State(), log: f.log, metrics: f.metrics}, nil
}

// Restore implements raft.FSM: it decodes a snapshot into a fresh state and swaps it in.
func (f *FSM) Restore(rc io.ReadCloser) error {
	start := time.Now()
	defer rc.Close()
	s, err := ReadSnapshot(rc)
	if err != nil {
		return err
	}
	f.store(s)
	f.metrics.ObserveRestore(time.Since(start))
	f.log.Info("restored the trust list from a snapshot", "index", s.Index(), "seals", s.SealCount())
	return nil
}

var (
	_ raft.FSM                = (*FSM)(nil)
	_ raft.ConfigurationStore = (*FSM)(nil)
	_ AppliedFSM              = (*FSM)(nil)
)
