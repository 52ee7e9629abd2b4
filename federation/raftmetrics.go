package federation

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
	"go.etcd.io/bbolt"
)

// Raft metrics, all named sealhub_raft_* and without a node label (one
// registry per node; Prometheus adds instance). Three sources feed them:
//
//   - at scrape time, raft's own accessors and Stats, the configuration and
//     the bolt statistics; none of these waits for raft's main loop, so a
//     scrape still answers while raft is stuck;
//   - a watcher goroutine, started by Register and stopped when the node
//     closes, which counts leadership changes and candidacies from raft's
//     observations and notes, every second, when the snapshot index moves;
//   - timings reported through ObserveApply, ObserveSnapshot and
//     ObserveRestore.
//
// The alert rules in deploy/prometheus/alerts.yml use these names; the test
// in test/alerts checks that every name they use is exported.

// Register adds a collector of this node's raft and log-store state to reg
// and starts the watcher. Register each node on its own registry: the
// metrics carry no node label.
func (n *Node) Register(reg prometheus.Registerer) error {
	_, err := n.register(reg)
	return err
}

func (n *Node) register(reg prometheus.Registerer) (*raftCollector, error) {
	c := newRaftCollector(n)
	if err := reg.Register(c); err != nil {
		return nil, fmt.Errorf("federation: register metrics: %w", err)
	}
	c.m.start(n)
	return c, nil
}

const (
	metricPrefix = "sealhub_raft_"
	// metricsPollInterval is how often the watcher reads the snapshot index.
	metricsPollInterval = time.Second
	// observationBuffer is the watcher's channel capacity; raft drops
	// observations rather than wait when it is full.
	observationBuffer = 64
)

// raftMetrics is what a scrape cannot read from raft: timings reported by
// the node and the FSM, counts of election events, and when the snapshot
// index last moved. Its Observe methods do nothing on a nil *raftMetrics.
type raftMetrics struct {
	apply         prometheus.Histogram
	snapshot      prometheus.Histogram
	restore       prometheus.Histogram
	leaderChanges prometheus.Counter
	candidacies   prometheus.Counter

	once sync.Once
	done chan struct{} // closed when the watcher has stopped

	mu        sync.Mutex
	snapIndex uint64
	snapAt    time.Time // when snapIndex was first seen; zero before start

	// Owned by the watcher (and by start before the watcher runs).
	lastLeader raft.ServerID
	lastState  raft.RaftState
}

func newRaftMetrics() *raftMetrics {
	hist := func(name, help string, buckets []float64) prometheus.Histogram {
		return prometheus.NewHistogram(prometheus.HistogramOpts{Name: metricPrefix + name, Help: help, Buckets: buckets})
	}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: metricPrefix + name, Help: help})
	}
	// Snapshot and restore buckets include 30 s, the alert threshold.
	slow := []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}
	return &raftMetrics{
		apply: hist("apply_duration_seconds",
			"Time from Node.Apply submitting a command on the leader to the leader's FSM having applied it.",
			prometheus.ExponentialBuckets(0.0005, 2, 15)), // 0.5 ms to 8 s
		snapshot: hist("snapshot_duration_seconds", "Time the FSM took to persist a snapshot.", slow),
		restore:  hist("restore_duration_seconds", "Time the FSM took to restore a snapshot.", slow),
		leaderChanges: counter("leader_changes_total",
			"Times this node saw a leader become known: a new leader, or the same one after a time without."),
		candidacies: counter("candidacies_total",
			"Times this node became a candidate (one count per candidacy, however many election rounds it lasts)."),
		done: make(chan struct{}),
	}
}

// ObserveApply records how long a successful Node.Apply took.
func (m *raftMetrics) ObserveApply(d time.Duration) {
	if m != nil {
		m.apply.Observe(d.Seconds())
	}
}

// ObserveSnapshot records how long FSMSnapshot.Persist took.
func (m *raftMetrics) ObserveSnapshot(d time.Duration) {
	if m != nil {
		m.snapshot.Observe(d.Seconds())
	}
}

// ObserveRestore records how long FSM.Restore took.
func (m *raftMetrics) ObserveRestore(d time.Duration) {
	if m != nil {
		m.restore.Observe(d.Seconds())
	}
}

// start registers an observer on n's raft and starts the watcher, once.
// Events before start are not seen, except that a leader already known
// counts as one leadership change, and a node already leader or candidate
// as one candidacy (a node opens as a follower without a leader).
func (m *raftMetrics) start(n *Node) {
	m.once.Do(func() {
		ch := make(chan raft.Observation, observationBuffer)
		obs := raft.NewObserver(ch, false, isElectionEvent)
		n.raft.RegisterObserver(obs)
		_, id := n.raft.LeaderWithID()
		m.sawLeader(id)
		if s := n.raft.State(); s == raft.Leader {
			m.candidacies.Inc()
			m.lastState = s
		} else {
			m.sawState(s)
		}
		m.sawSnapshot(lastSnapshotIndex(n.raft), time.Now())
		go m.watch(n, ch, obs)
	})
}

func isElectionEvent(o *raft.Observation) bool {
	switch o.Data.(type) {
	case raft.LeaderObservation, raft.RaftState:
		return true
	}
	return false
}

// watch runs until the node closes.
func (m *raftMetrics) watch(n *Node, ch <-chan raft.Observation, obs *raft.Observer) {
	defer close(m.done)
	defer n.raft.DeregisterObserver(obs)
	tick := time.NewTicker(metricsPollInterval)
	defer tick.Stop()
	for {
		select {
		case <-n.closing:
			return
		case o := <-ch:
			switch d := o.Data.(type) {
			case raft.LeaderObservation:
				m.sawLeader(d.LeaderID)
			case raft.RaftState:
				m.sawState(d)
			}
		case now := <-tick.C:
			m.sawSnapshot(lastSnapshotIndex(n.raft), now)
		}
	}
}

// sawLeader counts a leader that differs from the last one seen. raft
// reports a lost leader as an empty ID, so A, none, A counts twice.
func (m *raftMetrics) sawLeader(id raft.ServerID) {
	if id != "" && id != m.lastLeader {
		m.leaderChanges.Inc()
	}
	m.lastLeader = id
}

// sawState counts each move into the candidate state.
func (m *raftMetrics) sawState(s raft.RaftState) {
	if s == raft.Candidate && m.lastState != raft.Candidate {
		m.candidacies.Inc()
	}
	m.lastState = s
}

// sawSnapshot notes the time at which the snapshot index was first seen at
// its current value.
func (m *raftMetrics) sawSnapshot(index uint64, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.snapAt.IsZero() || index != m.snapIndex {
		m.snapIndex, m.snapAt = index, now
	}
}

// snapshotAge is the time since the watcher saw the snapshot index move, or
// since it started if it has not; ok is false before start.
func (m *raftMetrics) snapshotAge(now time.Time) (age time.Duration, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.snapAt.IsZero() {
		return 0, false
	}
	return now.Sub(m.snapAt), true
}

func lastSnapshotIndex(r *raft.Raft) uint64 {
	v, _ := strconv.ParseUint(r.Stats()["last_snapshot_index"], 10, 64)
	return v
}

// raftStates are the values of the state label of sealhub_raft_state.
var raftStates = []raft.RaftState{raft.Follower, raft.Candidate, raft.Leader, raft.Shutdown}

// raftCollector reads a Node at scrape time and adds its raftMetrics.
type raftCollector struct {
	n *Node
	m *raftMetrics

	state, leaderKnown, lastContact          *prometheus.Desc
	term, commitIndex, appliedIndex          *prometheus.Desc
	fsmPending                               *prometheus.Desc
	voters, nonvoters                        *prometheus.Desc
	snapInterval, snapThreshold, snapshotAge *prometheus.Desc
	fromStats                                []statGauge
	bolt                                     []boltMetric
}

// statGauge is a gauge copied from a numeric raft.Stats key; it is left out
// when raft leaves the key out or it does not parse.
type statGauge struct {
	key  string
	desc *prometheus.Desc
}

// boltMetric is computed from the bolt store's statistics.
type boltMetric struct {
	desc  *prometheus.Desc
	typ   prometheus.ValueType
	value func(s bbolt.Stats) float64
}

func newRaftCollector(n *Node) *raftCollector {
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(metricPrefix+name, help, labels, nil)
	}
	stat := func(key, name, help string) statGauge {
		return statGauge{key: key, desc: desc(name, help)}
	}
	bolt := func(name, help string, typ prometheus.ValueType, value func(s bbolt.Stats) float64) boltMetric {
		return boltMetric{desc: desc("boltdb_"+name, help), typ: typ, value: value}
	}
	return &raftCollector{
		n:            n,
		m:            n.metrics,
		state:        desc("state", "1 for the raft state this node is in, 0 for the others.", "state"),
		leaderKnown:  desc("leader_known", "1 if this node knows a leader (possibly itself), else 0."),
		lastContact:  desc("last_contact_seconds", "Seconds since the leader was last heard from; 0 on the leader, +Inf if never since the node opened."),
		term:         desc("term", "Current raft term."),
		commitIndex:  desc("commit_index", "Index of the last committed log entry."),
		appliedIndex: desc("applied_index", "Index of the last log entry handed to the FSM."),
		fsmPending:   desc("fsm_pending", "Committed log entries not yet handed to the FSM: commit_index - applied_index."),
		voters:       desc("voters", "Voters in the latest raft configuration this node knows."),
		nonvoters:    desc("nonvoters", "Non-voters in the latest raft configuration this node knows."),
		snapInterval: desc("snapshot_interval_seconds", "How often raft checks whether to snapshot (it waits between one and two intervals)."),
		snapThreshold: desc("snapshot_threshold",
			"Log entries since the last snapshot that make raft take one at its next check."),
		snapshotAge: desc("last_snapshot_age_seconds",
			"Seconds since this node saw last_snapshot_index move, or since its metrics started if it has not."),
		fromStats: []statGauge{
			stat("last_log_index", "last_log_index", "Index of the last entry in the log store."),
			stat("last_snapshot_index", "last_snapshot_index", "Log index covered by the latest snapshot."),
			stat("last_snapshot_term", "last_snapshot_term", "Term of the last entry covered by the latest snapshot."),
			stat("fsm_pending", "fsm_pending_batches", "Batches of entries raft has queued for the FSM goroutine."),
			stat("num_peers", "peers", "Other voters in the configuration (0 if this node is not a voter)."),
		},
		bolt: []boltMetric{
			bolt("free_pages", "Free pages in the raft log store.", prometheus.GaugeValue,
				func(s bbolt.Stats) float64 { return float64(s.FreePageN) }),
			bolt("pending_pages", "Pages of the raft log store pending release.", prometheus.GaugeValue,
				func(s bbolt.Stats) float64 { return float64(s.PendingPageN) }),
			bolt("free_alloc_bytes", "Bytes in free and pending pages of the raft log store.", prometheus.GaugeValue,
				func(s bbolt.Stats) float64 { return float64(s.FreeAlloc) }),
			bolt("freelist_bytes", "Bytes the raft log store's freelist takes.", prometheus.GaugeValue,
				func(s bbolt.Stats) float64 { return float64(s.FreelistInuse) }),
			bolt("open_read_tx", "Read transactions open on the raft log store.", prometheus.GaugeValue,
				func(s bbolt.Stats) float64 { return float64(s.OpenTxN) }),
			bolt("read_tx_total", "Read transactions started on the raft log store.", prometheus.CounterValue,
				func(s bbolt.Stats) float64 { return float64(s.TxN) }),
			bolt("writes_total", "Page writes to the raft log store.", prometheus.CounterValue,
				func(s bbolt.Stats) float64 { return float64(s.TxStats.GetWrite()) }),
			bolt("write_seconds_total", "Time spent writing the raft log store's pages.", prometheus.CounterValue,
				func(s bbolt.Stats) float64 { return s.TxStats.GetWriteTime().Seconds() }),
		},
	}
}

// collectors are the raftMetrics parts exported as they are.
func (c *raftCollector) collectors() []prometheus.Collector {
	return []prometheus.Collector{c.m.apply, c.m.snapshot, c.m.restore, c.m.leaderChanges, c.m.candidacies}
}

// Describe implements prometheus.Collector.
func (c *raftCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.state, c.leaderKnown, c.lastContact, c.term, c.commitIndex,
		c.appliedIndex, c.fsmPending, c.voters, c.nonvoters, c.snapInterval, c.snapThreshold, c.snapshotAge} {
		ch <- d
	}
	for _, g := range c.fromStats {
		ch <- g.desc
	}
	for _, g := range c.bolt {
		ch <- g.desc
	}
	for _, col := range c.collectors() {
		col.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (c *raftCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	r := c.n.raft
	current := r.State()
	for _, s := range raftStates {
		gauge(c.state, boolValue(s == current), lower(s))
	}
	addr, id := c.n.Leader()
	gauge(c.leaderKnown, boolValue(addr != "" && id != ""))
	contact := math.Inf(1)
	if d := c.n.LastContact(); d != NeverContacted {
		contact = d.Seconds()
	}
	gauge(c.lastContact, contact)

	gauge(c.term, float64(r.CurrentTerm()))
	applied := r.AppliedIndex() // before the commit index, which is never behind it
	commit := r.CommitIndex()
	gauge(c.appliedIndex, float64(applied))
	gauge(c.commitIndex, float64(commit))
	gauge(c.fsmPending, float64(commit-min(applied, commit))) // a restarted follower's commit index starts at 0

	if f := r.GetConfiguration(); f.Error() == nil {
		var voters, nonvoters int
		for _, s := range f.Configuration().Servers {
			if s.Suffrage == raft.Voter {
				voters++
			} else {
				nonvoters++
			}
		}
		gauge(c.voters, float64(voters))
		gauge(c.nonvoters, float64(nonvoters))
	}
	rc := r.ReloadableConfig()
	gauge(c.snapInterval, rc.SnapshotInterval.Seconds())
	gauge(c.snapThreshold, float64(rc.SnapshotThreshold))
	if age, ok := c.m.snapshotAge(time.Now()); ok {
		gauge(c.snapshotAge, age.Seconds())
	}

	stats := r.Stats()
	for _, g := range c.fromStats {
		if v, err := strconv.ParseUint(stats[g.key], 10, 64); err == nil {
			gauge(g.desc, float64(v))
		}
	}
	for _, col := range c.collectors() {
		col.Collect(ch)
	}
	if c.n.isClosing() {
		return // the bolt file is closed
	}
	bs := c.n.bolt.Stats()
	for _, g := range c.bolt {
		ch <- prometheus.MustNewConstMetric(g.desc, g.typ, g.value(bs))
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// lower names a raft state for the state label.
func lower(s raft.RaftState) string {
	switch s {
	case raft.Follower:
		return "follower"
	case raft.Candidate:
		return "candidate"
	case raft.Leader:
		return "leader"
	default:
		return "shutdown"
	}
}

var _ prometheus.Collector = (*raftCollector)(nil)
