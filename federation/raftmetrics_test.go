package federation

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// metricValue reads the unlabelled metric name from reg: a gauge's or a
// counter's value, or a histogram's sample count. ok is false when reg does
// not export it.
func metricValue(t *testing.T, reg prometheus.Gatherer, name string) (v float64, ok bool) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	for _, f := range families {
		if f.GetName() != name || len(f.GetMetric()) != 1 {
			continue
		}
		m := f.GetMetric()[0]
		switch f.GetType() {
		case dto.MetricType_GAUGE:
			return m.GetGauge().GetValue(), true
		case dto.MetricType_COUNTER:
			return m.GetCounter().GetValue(), true
		case dto.MetricType_HISTOGRAM:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

// waitMetric polls reg until name satisfies cond.
func waitMetric(t *testing.T, reg prometheus.Gatherer, name, what string, cond func(float64) bool) {
	t.Helper()
	eventually(t, 10*time.Second, name+" "+what, func() bool {
		v, ok := metricValue(t, reg, name)
		return ok && cond(v)
	})
}

func atLeast(lo float64) func(float64) bool   { return func(v float64) bool { return v >= lo } }
func equalTo(want float64) func(float64) bool { return func(v float64) bool { return v == want } }

// TestRaftMetricsOneNode registers before the election, so the watcher
// sees the node's first candidacy and leader.
func TestRaftMetricsOneNode(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	n := openNode(t, cfg, &counterFSM{})
	reg := prometheus.NewPedanticRegistry()
	c, err := n.register(reg)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	eventually(t, 10*time.Second, "node to become leader", n.IsLeader)

	// One node: one candidacy, one leader, each counted once.
	waitMetric(t, reg, metricPrefix+"leader_changes_total", "= 1", equalTo(1))
	waitMetric(t, reg, metricPrefix+"candidacies_total", "= 1", equalTo(1))
	waitMetric(t, reg, metricPrefix+"voters", "= 1", equalTo(1))
	waitMetric(t, reg, metricPrefix+"term", "≥ 1", atLeast(1))

	indexes := applyValues(t, n, 1, 2, 3)
	last := float64(indexes[len(indexes)-1])
	waitMetric(t, reg, metricPrefix+"applied_index", "to reach the last Apply", atLeast(last))
	waitMetric(t, reg, metricPrefix+"fsm_pending", "= 0", equalTo(0))

	want := fmt.Sprintf(`
# HELP sealhub_raft_last_contact_seconds Seconds since the leader was last heard from; 0 on the leader, +Inf if never since the node opened.
# TYPE sealhub_raft_last_contact_seconds gauge
sealhub_raft_last_contact_seconds 0
# HELP sealhub_raft_nonvoters Non-voters in the latest raft configuration this node knows.
# TYPE sealhub_raft_nonvoters gauge
sealhub_raft_nonvoters 0
# HELP sealhub_raft_peers Other voters in the configuration (0 if this node is not a voter).
# TYPE sealhub_raft_peers gauge
sealhub_raft_peers 0
# HELP sealhub_raft_snapshot_interval_seconds How often raft checks whether to snapshot (it waits between one and two intervals).
# TYPE sealhub_raft_snapshot_interval_seconds gauge
sealhub_raft_snapshot_interval_seconds %g
# HELP sealhub_raft_snapshot_threshold Log entries since the last snapshot that make raft take one at its next check.
# TYPE sealhub_raft_snapshot_threshold gauge
sealhub_raft_snapshot_threshold %d
# HELP sealhub_raft_voters Voters in the latest raft configuration this node knows.
# TYPE sealhub_raft_voters gauge
sealhub_raft_voters 1
`, DefaultSnapshotInterval.Seconds(), DefaultSnapshotThreshold)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		metricPrefix+"last_contact_seconds", metricPrefix+"nonvoters", metricPrefix+"peers",
		metricPrefix+"snapshot_interval_seconds", metricPrefix+"snapshot_threshold", metricPrefix+"voters"); err != nil {
		t.Error(err)
	}

	if v, _ := metricValue(t, reg, metricPrefix+"last_snapshot_index"); v != 0 {
		t.Errorf("last_snapshot_index before any snapshot = %g, want 0", v)
	}
	if err := n.Snapshot(); err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	waitMetric(t, reg, metricPrefix+"last_snapshot_index", "to reach the last Apply", atLeast(last))
	waitMetric(t, reg, metricPrefix+"last_snapshot_term", "≥ 1", atLeast(1))
	snap := lastSnapshotIndex(n.raft)
	eventually(t, 10*time.Second, "the watcher to see the snapshot", func() bool {
		c.m.mu.Lock()
		defer c.m.mu.Unlock()
		return c.m.snapIndex == snap
	})
	if age, ok := metricValue(t, reg, metricPrefix+"last_snapshot_age_seconds"); !ok || age < 0 || age > 5 {
		t.Errorf("last_snapshot_age_seconds = %g, %v; want a few seconds at most", age, ok)
	}

	for _, name := range []string{"boltdb_freelist_bytes", "boltdb_writes_total", "boltdb_read_tx_total", "fsm_pending_batches"} {
		if _, ok := metricValue(t, reg, metricPrefix+name); !ok {
			t.Errorf("%s%s missing", metricPrefix, name)
		}
	}
	for name, want := range map[string]float64{"leader_changes_total": 1, "candidacies_total": 1} {
		if v, _ := metricValue(t, reg, metricPrefix+name); v != want {
			t.Errorf("%s%s = %g at the end, want %g", metricPrefix, name, v, want)
		}
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

func TestRaftMetricsFollower(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Bootstrap = false // no configuration and no leader
	n := openNode(t, cfg, &counterFSM{})
	reg := prometheus.NewPedanticRegistry()
	if err := n.Register(reg); err != nil {
		t.Fatalf("Register: %v", err)
	}
	want := `
# HELP sealhub_raft_last_contact_seconds Seconds since the leader was last heard from; 0 on the leader, +Inf if never since the node opened.
# TYPE sealhub_raft_last_contact_seconds gauge
sealhub_raft_last_contact_seconds +Inf
# HELP sealhub_raft_leader_changes_total Times this node saw a leader become known: a new leader, or the same one after a time without.
# TYPE sealhub_raft_leader_changes_total counter
sealhub_raft_leader_changes_total 0
# HELP sealhub_raft_voters Voters in the latest raft configuration this node knows.
# TYPE sealhub_raft_voters gauge
sealhub_raft_voters 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		metricPrefix+"last_contact_seconds", metricPrefix+"leader_changes_total", metricPrefix+"voters"); err != nil {
		t.Error(err)
	}
}

func TestRaftMetricsWatcherStopsWithNode(t *testing.T) {
	n := openLeader(t, testConfig(t, t.TempDir()), &counterFSM{})
	c, err := n.register(prometheus.NewRegistry())
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	c.m.start(n) // a second start is a no-op
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-c.m.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the metrics watcher still runs after Close")
	}
}

func TestRaftMetricsCountElectionEvents(t *testing.T) {
	type event struct {
		leader raft.ServerID
		state  raft.RaftState
		isLead bool // a LeaderObservation; otherwise a RaftState
	}
	lead := func(id raft.ServerID) event { return event{leader: id, isLead: true} }
	state := func(s raft.RaftState) event { return event{state: s} }
	tests := map[string]struct {
		events                  []event
		wantLeaders, wantCandid float64
	}{
		"nothing":                 {nil, 0, 0},
		"follower sees a leader":  {[]event{lead("a")}, 1, 0},
		"repeated leader":         {[]event{lead("a"), lead("a")}, 1, 0},
		"leader lost and back":    {[]event{lead("a"), lead(""), lead("a")}, 2, 0},
		"leader replaced":         {[]event{lead("a"), lead("b")}, 2, 0},
		"wins an election":        {[]event{state(raft.Candidate), state(raft.Leader), lead("self")}, 1, 1},
		"two candidacies":         {[]event{state(raft.Candidate), state(raft.Follower), state(raft.Candidate)}, 0, 2},
		"candidate seen twice":    {[]event{state(raft.Candidate), state(raft.Candidate)}, 0, 1},
		"steps down, re-elected":  {[]event{lead("self"), state(raft.Follower), lead(""), state(raft.Candidate), state(raft.Leader), lead("self")}, 2, 1},
		"lost leader is no count": {[]event{lead(""), lead("")}, 0, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := newRaftMetrics()
			for _, e := range tc.events {
				if e.isLead {
					m.sawLeader(e.leader)
				} else {
					m.sawState(e.state)
				}
			}
			if got := testutil.ToFloat64(m.leaderChanges); got != tc.wantLeaders {
				t.Errorf("leader changes = %g, want %g", got, tc.wantLeaders)
			}
			if got := testutil.ToFloat64(m.candidacies); got != tc.wantCandid {
				t.Errorf("candidacies = %g, want %g", got, tc.wantCandid)
			}
		})
	}
}

func TestRaftMetricsSnapshotAge(t *testing.T) {
	m := newRaftMetrics()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, ok := m.snapshotAge(t0); ok {
		t.Error("snapshotAge before the first look: ok = true")
	}
	steps := []struct {
		index   uint64
		at, ask time.Duration // since t0: when the index is seen, when the age is read
		wantAge time.Duration
	}{
		{0, 0, 10 * time.Second, 10 * time.Second},                 // no snapshot yet: age since start
		{0, 20 * time.Second, 30 * time.Second, 30 * time.Second},  // unchanged index keeps the old time
		{40, 40 * time.Second, 45 * time.Second, 5 * time.Second},  // a snapshot
		{40, 50 * time.Second, 60 * time.Second, 20 * time.Second}, // none since
		{90, 70 * time.Second, 70 * time.Second, 0},                // another
	}
	for _, s := range steps {
		m.sawSnapshot(s.index, t0.Add(s.at))
		if got, ok := m.snapshotAge(t0.Add(s.ask)); !ok || got != s.wantAge {
			t.Errorf("index %d seen at %s: age at %s = %s, %v; want %s", s.index, s.at, s.ask, got, ok, s.wantAge)
		}
	}
}

func TestRaftMetricsObserve(t *testing.T) {
	var nilMetrics *raftMetrics // what callers hold before Register
	nilMetrics.ObserveApply(time.Second)
	nilMetrics.ObserveSnapshot(time.Second)
	nilMetrics.ObserveRestore(time.Second)

	m := newRaftMetrics()
	m.ObserveApply(3 * time.Millisecond)
	m.ObserveApply(4 * time.Millisecond)
	m.ObserveSnapshot(40 * time.Second)
	m.ObserveRestore(time.Second)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m.apply, m.snapshot, m.restore)
	for name, want := range map[string]float64{"apply_duration_seconds": 2, "snapshot_duration_seconds": 1, "restore_duration_seconds": 1} {
		if got, ok := metricValue(t, reg, metricPrefix+name); !ok || got != want {
			t.Errorf("%s count = %g, %v; want %g", name, got, ok, want)
		}
	}
}
