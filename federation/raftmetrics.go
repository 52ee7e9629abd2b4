package federation

import (
	"fmt"
	"math"
	"strconv"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
	"go.etcd.io/bbolt"
)

// Register adds a collector of this node's raft and log-store state to reg.
// It reads raft on every scrape, so nothing runs between scrapes. Register
// each node on its own registry: the metrics carry no node label.
func (n *Node) Register(reg prometheus.Registerer) error {
	if err := reg.Register(newRaftCollector(n)); err != nil {
		return fmt.Errorf("federation: register metrics: %w", err)
	}
	return nil
}

const metricPrefix = "sealhub_raft_"

// raftStates are the values of the state label of sealhub_raft_state.
var raftStates = []raft.RaftState{raft.Follower, raft.Candidate, raft.Leader, raft.Shutdown}

// raftCollector polls a Node. Gauges read from raft.Stats are skipped when
// raft leaves them out or they do not parse.
type raftCollector struct {
	n           *Node
	state       *prometheus.Desc
	leaderKnown *prometheus.Desc
	lastContact *prometheus.Desc
	fromStats   []statGauge
	bolt        []boltGauge
}

// statGauge is a gauge copied from a numeric raft.Stats key.
type statGauge struct {
	key  string
	desc *prometheus.Desc
}

// boltGauge is a gauge computed from the bolt store's statistics.
type boltGauge struct {
	desc  *prometheus.Desc
	value func(s bbolt.Stats) int
}

func newRaftCollector(n *Node) *raftCollector {
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(metricPrefix+name, help, labels, nil)
	}
	stat := func(key, name, help string) statGauge {
		return statGauge{key: key, desc: desc(name, help)}
	}
	return &raftCollector{
		n:           n,
		state:       desc("state", "1 for the raft state this node is in, 0 for the others.", "state"),
		leaderKnown: desc("leader_known", "1 if this node knows a leader (possibly itself), else 0."),
		lastContact: desc("last_contact_seconds", "Seconds since the leader was last heard from; 0 on the leader, +Inf if never."),
		fromStats: []statGauge{
			stat("term", "term", "Current raft term."),
			stat("commit_index", "commit_index", "Index of the last committed log entry."),
			stat("applied_index", "applied_index", "Index of the last log entry handed to the FSM."),
			stat("last_log_index", "last_log_index", "Index of the last entry in the log store."),
			stat("last_snapshot_index", "last_snapshot_index", "Log index covered by the latest snapshot."),
			stat("fsm_pending", "fsm_pending", "Batches of committed entries waiting for the FSM."),
			stat("num_peers", "peers", "Other voters in the configuration (0 if this node is not a voter)."),
		},
		bolt: []boltGauge{
			{desc("boltdb_free_pages", "Free pages in the raft log store."),
				func(s bbolt.Stats) int { return s.FreePageN }},
			{desc("boltdb_pending_pages", "Pages of the raft log store pending release."),
				func(s bbolt.Stats) int { return s.PendingPageN }},
			{desc("boltdb_free_alloc_bytes", "Bytes in free and pending pages of the raft log store."),
				func(s bbolt.Stats) int { return s.FreeAlloc }},
			{desc("boltdb_freelist_bytes", "Bytes the raft log store's freelist takes."),
				func(s bbolt.Stats) int { return s.FreelistInuse }},
		},
	}
}

// Describe implements prometheus.Collector.
func (c *raftCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.state
	ch <- c.leaderKnown
	ch <- c.lastContact
	for _, g := range c.fromStats {
		ch <- g.desc
	}
	for _, g := range c.bolt {
		ch <- g.desc
	}
}

// Collect implements prometheus.Collector.
func (c *raftCollector) Collect(ch chan<- prometheus.Metric) {
	r := c.n.raft
	current := r.State()
	for _, s := range raftStates {
		ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, boolValue(s == current), lower(s))
	}
	addr, id := c.n.Leader()
	ch <- prometheus.MustNewConstMetric(c.leaderKnown, prometheus.GaugeValue, boolValue(addr != "" && id != ""))
	contact := math.Inf(1)
	if d := c.n.LastContact(); d != NeverContacted {
		contact = d.Seconds()
	}
	ch <- prometheus.MustNewConstMetric(c.lastContact, prometheus.GaugeValue, contact)

	stats := r.Stats()
	for _, g := range c.fromStats {
		if v, err := strconv.ParseUint(stats[g.key], 10, 64); err == nil {
			ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(v))
		}
	}
	if c.n.isClosing() {
		return // the bolt file is closed
	}
	bs := c.n.bolt.Stats()
	for _, g := range c.bolt {
		ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(g.value(bs)))
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
