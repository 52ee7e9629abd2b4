package federation

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// Commands of counterFSM besides an 8-byte big-endian value to append.
var (
	cmdReject = []byte("reject") // a business rejection, returned as a value
	cmdWait   = []byte("wait")   // blocks Apply until gate is closed, then appends 0
)

var errRejected = errors.New("counterFSM: rejected")

// counterFSM is an append-only list of uint64 values with snapshot and
// restore. Apply returns the new length, or errRejected as a value.
type counterFSM struct {
	gate chan struct{} // closed to release cmdWait; nil blocks forever

	mu       sync.Mutex
	values   []uint64
	restores int
}

func (f *counterFSM) Apply(l *raft.Log) any {
	switch {
	case bytes.Equal(l.Data, cmdReject):
		return errRejected
	case bytes.Equal(l.Data, cmdWait):
		<-f.gate
		return f.add(0)
	case len(l.Data) == 8:
		return f.add(binary.BigEndian.Uint64(l.Data))
	default:
		panic(fmt.Sprintf("counterFSM: bad command %q", l.Data))
	}
}

func (f *counterFSM) add(v uint64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.values = append(f.values, v)
	return len(f.values)
}

func (f *counterFSM) Snapshot() (raft.FSMSnapshot, error) {
	return counterSnapshot(f.state()), nil
}

func (f *counterFSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	var values []uint64
	if err := json.NewDecoder(rc).Decode(&values); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.values = values
	f.restores++
	return nil
}

func (f *counterFSM) state() []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.values)
}

func (f *counterFSM) restoreCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.restores
}

type counterSnapshot []uint64

func (s counterSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := json.NewEncoder(sink).Encode([]uint64(s)); err != nil {
		_ = sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s counterSnapshot) Release() {}

func value(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// syncBuffer collects a test's logs; they are printed if the test fails.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testLogger(t *testing.T) *slog.Logger {
	t.Helper()
	var buf syncBuffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testConfig is a one-node configuration with fast timeouts.
func testConfig(t *testing.T, dir string) Config {
	return Config{
		NodeID:             "n1",
		Dir:                dir,
		BindAddr:           "127.0.0.1:0",
		Bootstrap:          true,
		HeartbeatTimeout:   200 * time.Millisecond,
		ElectionTimeout:    200 * time.Millisecond,
		LeaderLeaseTimeout: 100 * time.Millisecond,
		CommitTimeout:      5 * time.Millisecond,
		ApplyTimeout:       5 * time.Second,
		Logger:             testLogger(t),
	}
}

func openNode(t *testing.T, cfg Config, fsm raft.FSM) *Node {
	t.Helper()
	n, err := Open(cfg, fsm)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

// openLeader opens a node and waits until it leads.
func openLeader(t *testing.T, cfg Config, fsm raft.FSM) *Node {
	t.Helper()
	n := openNode(t, cfg, fsm)
	eventually(t, 10*time.Second, "node to become leader", n.IsLeader)
	return n
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline:
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		case <-tick.C:
		}
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func applyValues(t *testing.T, n *Node, values ...uint64) (indexes []uint64) {
	t.Helper()
	for _, v := range values {
		_, idx, err := n.Apply(testContext(t), value(v))
		if err != nil {
			t.Fatalf("Apply(%d): %v", v, err)
		}
		indexes = append(indexes, idx)
	}
	return indexes
}

func TestNodeBootstrapBecomesLeader(t *testing.T) {
	n := openLeader(t, testConfig(t, t.TempDir()), &counterFSM{})

	if strings.HasSuffix(n.Addr(), ":0") {
		t.Errorf("Addr() = %q, want the bound port", n.Addr())
	}
	addr, id := n.Leader()
	if addr != n.Addr() || id != "n1" || n.ID() != "n1" {
		t.Errorf("Leader() = %q, %q; Addr() = %q, ID() = %q", addr, id, n.Addr(), n.ID())
	}
	if err := n.WaitForLeader(testContext(t)); err != nil {
		t.Errorf("WaitForLeader: %v", err)
	}
	if got := n.LastContact(); got != 0 {
		t.Errorf("LastContact() on the leader = %s, want 0", got)
	}
	stats := n.Stats()
	for key, want := range map[string]string{"state": "Leader", "num_peers": "0", "protocol_version": "3"} {
		if stats[key] != want {
			t.Errorf("Stats()[%q] = %q, want %q", key, stats[key], want)
		}
	}
	if n.Raft() == nil {
		t.Error("Raft() = nil")
	}
}

func TestNodeApply(t *testing.T) {
	fsm := &counterFSM{}
	n := openLeader(t, testConfig(t, t.TempDir()), fsm)

	var last uint64
	for i, v := range []uint64{10, 20, 30} {
		resp, idx, err := n.Apply(testContext(t), value(v))
		if err != nil {
			t.Fatalf("Apply(%d): %v", v, err)
		}
		if resp != i+1 {
			t.Errorf("Apply(%d) response = %v, want %d", v, resp, i+1)
		}
		if idx <= last {
			t.Errorf("Apply(%d) index = %d, want > %d", v, idx, last)
		}
		last = idx
	}
	if got := fsm.state(); !slices.Equal(got, []uint64{10, 20, 30}) {
		t.Errorf("FSM state = %v", got)
	}
	if n.CommitIndex() < last {
		t.Errorf("CommitIndex() = %d, want ≥ %d", n.CommitIndex(), last)
	}
	// raft sets its applied index after handing entries to the FSM, so it
	// may trail a resolved Apply for a moment.
	eventually(t, 5*time.Second, "AppliedIndex to reach the last Apply", func() bool { return n.AppliedIndex() >= last })
}

func TestNodeApplyBusinessRejection(t *testing.T) {
	fsm := &counterFSM{}
	n := openLeader(t, testConfig(t, t.TempDir()), fsm)

	resp, idx, err := n.Apply(testContext(t), cmdReject)
	if err != nil {
		t.Fatalf("Apply(reject) err = %v, want nil", err)
	}
	if rerr, ok := resp.(error); !ok || !errors.Is(rerr, errRejected) {
		t.Errorf("Apply(reject) response = %v, want errRejected", resp)
	}
	if idx == 0 {
		t.Error("Apply(reject) index = 0, want the committed entry's index")
	}
	if got := fsm.state(); len(got) != 0 {
		t.Errorf("FSM state after a rejection = %v, want empty", got)
	}
}

func TestNodeApplyContext(t *testing.T) {
	t.Run("ended before submit", func(t *testing.T) {
		fsm := &counterFSM{}
		n := openLeader(t, testConfig(t, t.TempDir()), fsm)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, _, err := n.Apply(ctx, value(1))
		if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnknownOutcome) {
			t.Errorf("Apply with a cancelled context: %v, want context.Canceled and not ErrUnknownOutcome", err)
		}
		if err := n.Barrier(testContext(t)); err != nil {
			t.Fatalf("Barrier: %v", err)
		}
		if got := fsm.state(); len(got) != 0 {
			t.Errorf("FSM state = %v, want empty", got)
		}
	})
	t.Run("ended while waiting", func(t *testing.T) {
		fsm := &counterFSM{gate: make(chan struct{})}
		n := openLeader(t, testConfig(t, t.TempDir()), fsm)
		release := sync.OnceFunc(func() { close(fsm.gate) })
		t.Cleanup(release) // before Close, which waits for the FSM
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		_, _, err := n.Apply(ctx, cmdWait)
		if !errors.Is(err, ErrUnknownOutcome) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Apply past its deadline: %v, want ErrUnknownOutcome and DeadlineExceeded", err)
		}
		release() // the "unknown" command does get applied
		eventually(t, 5*time.Second, "the waiting command to be applied", func() bool { return len(fsm.state()) == 1 })
	})
}

func TestNodeNotLeader(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Bootstrap = false // no state and no peers: never a leader
	n := openNode(t, cfg, &counterFSM{})

	if _, _, err := n.Apply(testContext(t), value(1)); !errors.Is(err, ErrNotLeader) || !errors.Is(err, raft.ErrNotLeader) {
		t.Errorf("Apply on a follower: %v, want ErrNotLeader wrapping raft.ErrNotLeader", err)
	}
	if err := n.Barrier(testContext(t)); !errors.Is(err, ErrNotLeader) {
		t.Errorf("Barrier on a follower: %v, want ErrNotLeader", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := n.WaitForLeader(ctx); !errors.Is(err, ErrNoLeader) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitForLeader: %v, want ErrNoLeader and DeadlineExceeded", err)
	}
	if n.IsLeader() {
		t.Error("IsLeader() = true")
	}
	if got := n.LastContact(); got != NeverContacted {
		t.Errorf("LastContact() = %s, want NeverContacted", got)
	}
	if addr, id := n.Leader(); addr != "" || id != "" {
		t.Errorf("Leader() = %q, %q, want none", addr, id)
	}
}

func TestNodeReopenRecoversFromLog(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	n := openLeader(t, cfg, &counterFSM{})
	applyValues(t, n, 1, 2, 3, 4, 5)
	confIndex := n.Stats()["latest_configuration_index"]
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	cfg.BindAddr = n.Addr() // same address, as after a real restart; Bootstrap stays on
	fsm := &counterFSM{}
	n = openLeader(t, cfg, fsm)
	if err := n.Barrier(testContext(t)); err != nil {
		t.Fatalf("Barrier: %v", err)
	}
	if got := fsm.state(); !slices.Equal(got, []uint64{1, 2, 3, 4, 5}) {
		t.Errorf("recovered state = %v", got)
	}
	if fsm.restoreCount() != 0 {
		t.Errorf("restores = %d, want 0 (no snapshot was taken)", fsm.restoreCount())
	}
	if got := n.Stats()["latest_configuration_index"]; got != confIndex {
		t.Errorf("latest_configuration_index = %s, want %s (bootstrap must not run again)", got, confIndex)
	}
}

func TestNodeReopenRecoversFromSnapshot(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.TrailingLogs = 2
	n := openLeader(t, cfg, &counterFSM{})
	applyValues(t, n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	if err := n.Snapshot(); err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	if err := n.Snapshot(); err != nil {
		t.Fatalf("second Snapshot with nothing new: %v", err)
	}
	applyValues(t, n, 11, 12, 13)
	first, err := n.bolt.FirstIndex()
	if err != nil || first <= 1 {
		t.Fatalf("log FirstIndex() = %d, %v; want the log compacted", first, err)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	cfg.BindAddr = n.Addr()
	fsm := &counterFSM{}
	n = openLeader(t, cfg, fsm)
	if fsm.restoreCount() != 1 {
		t.Errorf("restores = %d, want 1", fsm.restoreCount())
	}
	if err := n.Barrier(testContext(t)); err != nil {
		t.Fatalf("Barrier: %v", err)
	}
	want := []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}
	if got := fsm.state(); !slices.Equal(got, want) {
		t.Errorf("recovered state = %v, want %v", got, want)
	}
}

func TestNodeSettingsReachRaft(t *testing.T) {
	t.Run("configured", func(t *testing.T) {
		cfg := testConfig(t, t.TempDir())
		cfg.Bootstrap = false
		cfg.SnapshotInterval = 3 * time.Second
		cfg.SnapshotThreshold = 77
		cfg.TrailingLogs = 99
		cfg.MaxRPCsInFlight = 1
		cfg.CommitTimeout = 7 * time.Millisecond
		n := openNode(t, cfg, &counterFSM{})

		rc := n.RaftConfig()
		if rc.SnapshotInterval != 3*time.Second || rc.SnapshotThreshold != 77 || rc.TrailingLogs != 99 {
			t.Errorf("RaftConfig snapshot settings = %s, %d, %d", rc.SnapshotInterval, rc.SnapshotThreshold, rc.TrailingLogs)
		}
		if rc.HeartbeatTimeout != 200*time.Millisecond || rc.ElectionTimeout != 200*time.Millisecond ||
			rc.LeaderLeaseTimeout != 100*time.Millisecond || rc.CommitTimeout != 7*time.Millisecond {
			t.Errorf("RaftConfig timeouts = %s, %s, %s, %s", rc.HeartbeatTimeout, rc.ElectionTimeout, rc.LeaderLeaseTimeout, rc.CommitTimeout)
		}
		if rc.ProtocolVersion != 3 || rc.ShutdownOnRemove || rc.LocalID != "n1" || rc.Logger == nil {
			t.Errorf("RaftConfig = version %d, ShutdownOnRemove %v, LocalID %q, Logger %v", rc.ProtocolVersion, rc.ShutdownOnRemove, rc.LocalID, rc.Logger)
		}
		// What the running raft uses, not just what it was given.
		live := n.Raft().ReloadableConfig()
		if live.SnapshotInterval != 3*time.Second || live.SnapshotThreshold != 77 || live.TrailingLogs != 99 ||
			live.HeartbeatTimeout != 200*time.Millisecond || live.ElectionTimeout != 200*time.Millisecond {
			t.Errorf("raft ReloadableConfig() = %+v", live)
		}
		if n.Stats()["protocol_version"] != "3" {
			t.Errorf("Stats protocol_version = %q", n.Stats()["protocol_version"])
		}
		// MaxRPCsInFlight lives in the transport: 1 turns pipelining off.
		if _, err := n.transport.AppendEntriesPipeline("n1", raft.ServerAddress(n.Addr())); !errors.Is(err, raft.ErrPipelineReplicationNotSupported) {
			t.Errorf("AppendEntriesPipeline with MaxRPCsInFlight=1: %v, want ErrPipelineReplicationNotSupported", err)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		cfg := Config{NodeID: "n1", Dir: t.TempDir(), BindAddr: "127.0.0.1:0"}
		n := openNode(t, cfg, &counterFSM{})
		rc := n.RaftConfig()
		if rc.SnapshotInterval != DefaultSnapshotInterval || rc.SnapshotThreshold != DefaultSnapshotThreshold ||
			rc.TrailingLogs != DefaultTrailingLogs {
			t.Errorf("default snapshot settings = %s, %d, %d", rc.SnapshotInterval, rc.SnapshotThreshold, rc.TrailingLogs)
		}
		def := raft.DefaultConfig()
		if rc.HeartbeatTimeout != def.HeartbeatTimeout || rc.ElectionTimeout != def.ElectionTimeout ||
			rc.LeaderLeaseTimeout != def.LeaderLeaseTimeout || rc.CommitTimeout != DefaultCommitTimeout {
			t.Errorf("default timeouts differ from raft's: %+v", rc)
		}
		// MaxRPCsInFlight 2 pipelines: the transport opens a pipeline (here to itself).
		p, err := n.transport.AppendEntriesPipeline("n1", raft.ServerAddress(n.Addr()))
		if err != nil {
			t.Fatalf("AppendEntriesPipeline with the default MaxRPCsInFlight: %v", err)
		}
		_ = p.Close()
	})
}

func TestNodeSnapshotThreshold(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.SnapshotInterval = 20 * time.Millisecond
	cfg.SnapshotThreshold = 5
	cfg.TrailingLogs = 1
	n := openLeader(t, cfg, &counterFSM{})
	applyValues(t, n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)

	eventually(t, 10*time.Second, "a snapshot from the threshold", func() bool {
		idx, _ := strconv.ParseUint(n.Stats()["last_snapshot_index"], 10, 64)
		return idx > 0
	})
	snaps, err := os.ReadDir(filepath.Join(cfg.Dir, "snapshots"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range snaps {
		if _, err := os.Stat(filepath.Join(cfg.Dir, "snapshots", s.Name(), "meta.json")); err == nil {
			names = append(names, s.Name())
		}
	}
	if len(names) == 0 {
		t.Errorf("no snapshot on disk in %v", snaps)
	}
	eventually(t, 5*time.Second, "log compaction", func() bool {
		first, err := n.bolt.FirstIndex()
		return err == nil && first > 1
	})
}

func TestNodeClosed(t *testing.T) {
	n := openLeader(t, testConfig(t, t.TempDir()), &counterFSM{})
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, _, err := n.Apply(testContext(t), value(1)); !errors.Is(err, ErrShutdown) {
		t.Errorf("Apply after Close: %v, want ErrShutdown", err)
	}
	if err := n.Barrier(testContext(t)); !errors.Is(err, ErrShutdown) {
		t.Errorf("Barrier after Close: %v, want ErrShutdown", err)
	}
	if err := n.Snapshot(); !errors.Is(err, ErrShutdown) {
		t.Errorf("Snapshot after Close: %v, want ErrShutdown", err)
	}
	if err := n.WaitForLeader(testContext(t)); !errors.Is(err, ErrShutdown) {
		t.Errorf("WaitForLeader after Close: %v, want ErrShutdown", err)
	}
	if n.IsLeader() {
		t.Error("IsLeader() after Close = true")
	}
}

func TestNodeDirInUse(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	openNode(t, cfg, &counterFSM{})
	if n, err := Open(cfg, &counterFSM{}); err == nil {
		_ = n.Close()
		t.Fatal("second Open on the same Dir succeeded")
	}
}

func TestNodeMetrics(t *testing.T) {
	n := openLeader(t, testConfig(t, t.TempDir()), &counterFSM{})
	reg := prometheus.NewPedanticRegistry()
	if err := n.Register(reg); err != nil {
		t.Fatalf("Register: %v", err)
	}
	if err := n.Register(reg); err == nil {
		t.Error("second Register on the same registry succeeded")
	}
	applyValues(t, n, 1, 2, 3)
	if err := n.Barrier(testContext(t)); err != nil {
		t.Fatalf("Barrier: %v", err)
	}
	last := n.Raft().LastIndex()
	eventually(t, 5*time.Second, "AppliedIndex to settle", func() bool { return n.AppliedIndex() == last })

	names := []string{"state", "leader_known", "last_contact_seconds", "term", "commit_index",
		"applied_index", "last_log_index", "last_snapshot_index", "fsm_pending", "peers",
		"boltdb_free_pages", "boltdb_pending_pages", "boltdb_free_alloc_bytes", "boltdb_freelist_bytes"}
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	got := map[string]bool{}
	for _, f := range families {
		got[f.GetName()] = true
	}
	for _, name := range names {
		if !got[metricPrefix+name] {
			t.Errorf("metric %s%s missing", metricPrefix, name)
		}
	}

	want := fmt.Sprintf(`
# HELP sealhub_raft_applied_index Index of the last log entry handed to the FSM.
# TYPE sealhub_raft_applied_index gauge
sealhub_raft_applied_index %d
# HELP sealhub_raft_leader_known 1 if this node knows a leader (possibly itself), else 0.
# TYPE sealhub_raft_leader_known gauge
sealhub_raft_leader_known 1
# HELP sealhub_raft_state 1 for the raft state this node is in, 0 for the others.
# TYPE sealhub_raft_state gauge
sealhub_raft_state{state="candidate"} 0
sealhub_raft_state{state="follower"} 0
sealhub_raft_state{state="leader"} 1
sealhub_raft_state{state="shutdown"} 0
`, last)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		metricPrefix+"applied_index", metricPrefix+"leader_known", metricPrefix+"state"); err != nil {
		t.Error(err)
	}
	problems, err := testutil.CollectAndLint(newRaftCollector(n))
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}

	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := reg.Gather(); err != nil {
		t.Errorf("Gather after Close: %v", err)
	}
}

// testStreamLayer is a plain TCP StreamLayer supplied by the caller.
type testStreamLayer struct {
	net.Listener
	mu    sync.Mutex
	dials int
}

func (l *testStreamLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	l.mu.Lock()
	l.dials++
	l.mu.Unlock()
	return net.DialTimeout("tcp", string(addr), timeout)
}

func TestNodeStreamLayer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	layer := &testStreamLayer{Listener: ln}
	cfg := testConfig(t, t.TempDir())
	cfg.BindAddr = ""
	cfg.StreamLayer = layer
	n := openLeader(t, cfg, &counterFSM{})
	if n.Addr() != ln.Addr().String() {
		t.Errorf("Addr() = %q, want the layer's %q", n.Addr(), ln.Addr())
	}
	p, err := n.transport.AppendEntriesPipeline("n1", raft.ServerAddress(n.Addr()))
	if err != nil {
		t.Fatalf("AppendEntriesPipeline: %v", err)
	}
	_ = p.Close()
	layer.mu.Lock()
	defer layer.mu.Unlock()
	if layer.dials == 0 {
		t.Error("the transport did not dial through the supplied StreamLayer")
	}
}

func TestConfigValidate(t *testing.T) {
	valid := func() Config { return Config{NodeID: "n1", Dir: "/tmp/x", BindAddr: "127.0.0.1:0"} }
	tests := map[string]struct {
		edit    func(c *Config)
		wantErr string
	}{
		"valid":                   {func(c *Config) {}, ""},
		"advertise with any bind": {func(c *Config) { c.BindAddr, c.AdvertiseAddr = ":7000", "node1.example:7000" }, ""},
		"stream layer":            {func(c *Config) { c.BindAddr, c.StreamLayer = "", &testStreamLayer{} }, ""},
		"no node ID":              {func(c *Config) { c.NodeID = "" }, "NodeID"},
		"no dir":                  {func(c *Config) { c.Dir = "" }, "Dir"},
		"no bind":                 {func(c *Config) { c.BindAddr = "" }, "BindAddr is required"},
		"bad bind":                {func(c *Config) { c.BindAddr = "localhost" }, "BindAddr"},
		"unspecified bind":        {func(c *Config) { c.BindAddr = "0.0.0.0:7000" }, "AdvertiseAddr is required"},
		"empty host bind":         {func(c *Config) { c.BindAddr = ":7000" }, "AdvertiseAddr is required"},
		"unspecified advertise":   {func(c *Config) { c.AdvertiseAddr = "[::]:7000" }, "not advertisable"},
		"advertise port 0":        {func(c *Config) { c.AdvertiseAddr = "10.0.0.1:0" }, "port"},
		"stream layer and bind":   {func(c *Config) { c.StreamLayer = &testStreamLayer{} }, "must be empty"},
		"negative interval":       {func(c *Config) { c.SnapshotInterval = -time.Second }, "SnapshotInterval"},
		"negative retain":         {func(c *Config) { c.SnapshotRetain = -1 }, "SnapshotRetain"},
		"negative in flight":      {func(c *Config) { c.MaxRPCsInFlight = -1 }, "MaxRPCsInFlight"},
		"lease above heartbeat":   {func(c *Config) { c.HeartbeatTimeout = 100 * time.Millisecond }, "LeaderLeaseTimeout"},
		"election below heartbeat": {func(c *Config) {
			c.HeartbeatTimeout, c.LeaderLeaseTimeout, c.ElectionTimeout = 2*time.Second, time.Second, 1500*time.Millisecond
		}, "ElectionTimeout"},
		"snapshot interval too low": {func(c *Config) { c.SnapshotInterval = time.Millisecond }, "SnapshotInterval"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := valid()
			tc.edit(&c)
			err := c.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Validate() = %v, want an error about %q", err, tc.wantErr)
			}
		})
	}
}

func TestConfigSetDefaults(t *testing.T) {
	var c Config
	c.SetDefaults()
	want := Config{
		SnapshotInterval: 60 * time.Second, SnapshotThreshold: 8192, TrailingLogs: 10240,
		SnapshotRetain: 2, MaxRPCsInFlight: 2, LogCacheSize: 512, MaxPool: 3,
		TransportTimeout: 10 * time.Second, ApplyTimeout: 10 * time.Second, CommitTimeout: 5 * time.Millisecond, Logger: c.Logger,
	}
	if c != want || c.Logger == nil {
		t.Errorf("SetDefaults() = %+v, want %+v", c, want)
	}
	c = Config{MaxRPCsInFlight: 1, SnapshotThreshold: 5}
	c.SetDefaults()
	if c.MaxRPCsInFlight != 1 || c.SnapshotThreshold != 5 {
		t.Errorf("SetDefaults overwrote set values: %+v", c)
	}
}

// recordHandler keeps every record it is given.
type recordHandler struct {
	level slog.Level
	attrs []slog.Attr
	mu    *sync.Mutex
	recs  *[]slog.Record
}

func newRecordHandler(level slog.Level) *recordHandler {
	return &recordHandler{level: level, mu: new(sync.Mutex), recs: new([]slog.Record)}
}

func (h *recordHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	r = r.Clone()
	r.AddAttrs(h.attrs...)
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.recs = append(*h.recs, r)
	return nil
}

func (h *recordHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(slices.Clone(h.attrs), as...)
	return &c
}

func (h *recordHandler) WithGroup(string) slog.Handler { return h }

func (h *recordHandler) last() (slog.Record, map[string]string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := (*h.recs)[len(*h.recs)-1]
	attrs := map[string]string{}
	r.Attrs(func(a slog.Attr) bool {
		attrs[a.Key] = a.Value.String()
		return true
	})
	return r, attrs
}

func (h *recordHandler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(*h.recs)
}

func TestHCLogAdapter(t *testing.T) {
	h := newRecordHandler(LevelTrace)
	var log hclog.Logger = newHCLog(slog.New(h).With("component", "raft"))

	for _, tc := range []struct {
		log  func(msg string, args ...any)
		want slog.Level
	}{
		{log.Trace, LevelTrace}, {log.Debug, slog.LevelDebug}, {log.Info, slog.LevelInfo},
		{log.Warn, slog.LevelWarn}, {log.Error, slog.LevelError},
	} {
		tc.log("hello", "k", 1)
		r, attrs := h.last()
		if r.Level != tc.want || r.Message != "hello" || attrs["k"] != "1" || attrs["component"] != "raft" {
			t.Errorf("record = %v %q %v, want level %v", r.Level, r.Message, attrs, tc.want)
		}
		frame, _ := runtime.CallersFrames([]uintptr{r.PC}).Next()
		if !strings.HasSuffix(frame.File, "node_test.go") {
			t.Errorf("record source = %s, want the caller in node_test.go", frame.File)
		}
	}

	named := log.Named("net").With("peer", "n2")
	named.Info("dial", "n", hclog.Fmt("%02d", 7))
	if _, attrs := h.last(); attrs["logger"] != "net" || attrs["peer"] != "n2" || attrs["n"] != "07" {
		t.Errorf("named record attrs = %v", attrs)
	}
	if named.Name() != "net" || !slices.Equal(named.ImpliedArgs(), []any{"peer", "n2"}) {
		t.Errorf("Name() = %q, ImpliedArgs() = %v", named.Name(), named.ImpliedArgs())
	}

	log.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}).Print("[WARN] from std")
	if r, _ := h.last(); r.Level != slog.LevelWarn || r.Message != "from std" {
		t.Errorf("standard logger record = %v %q", r.Level, r.Message)
	}

	info := newHCLog(slog.New(newRecordHandler(slog.LevelInfo)))
	if info.IsDebug() || !info.IsInfo() || info.GetLevel() != hclog.Info {
		t.Errorf("Info handler: IsDebug %v, IsInfo %v, GetLevel %v", info.IsDebug(), info.IsInfo(), info.GetLevel())
	}
	log.SetLevel(hclog.Warn)
	before := h.count()
	log.Info("dropped")
	if h.count() != before || log.GetLevel() != hclog.Warn || !log.IsWarn() {
		t.Errorf("after SetLevel(Warn): logged %d, GetLevel %v", h.count()-before, log.GetLevel())
	}
}
