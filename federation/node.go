package federation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
)

const (
	// logStoreFile is the raft log and stable store inside Config.Dir.
	logStoreFile = "raft.db"
	// boltOpenTimeout bounds the wait for the bolt file lock, so a second
	// node on the same Dir fails instead of hanging.
	boltOpenTimeout = time.Second
	// leaderPollInterval is how often WaitForLeader looks for a leader.
	leaderPollInterval = 10 * time.Millisecond
)

// NeverContacted is what LastContact reports on a node that has not heard
// from a leader since it started.
const NeverContacted = time.Duration(math.MaxInt64)

// Node is one raft server: the log and stable store, the snapshot store,
// the transport and the raft instance around a caller's FSM. Its methods
// are safe for concurrent use.
type Node struct {
	cfg       Config
	raftCfg   raft.Config
	log       *slog.Logger
	raft      *raft.Raft
	transport *raft.NetworkTransport
	bolt      *raftboltdb.BoltStore
	metrics   *raftMetrics  // timings and election counts, exported by Register
	logs      raft.LogStore // the log cache in front of bolt
	fsm       raft.FSM
	existing  bool       // the data directory held raft state at Open
	member    sync.Mutex // serialises configuration changes made through this node
	// barrierTerm is the term in which this node, as leader, last completed a Barrier: until then a
	// new leader's commit index may be below entries an earlier leader committed, so ReadIndex
	// refuses.
	barrierTerm atomic.Uint64

	closing   chan struct{} // closed when Close starts
	closeOnce sync.Once
	closeErr  error
}

// Open starts a node on cfg.Dir around fsm. With cfg.Bootstrap it makes a
// one-node cluster when the directory holds no raft state; otherwise the
// node waits to be contacted by a leader. Open applies cfg's defaults.
func Open(cfg Config, fsm raft.FSM) (*Node, error) {
	n, err := open(cfg, fsm)
	if err != nil {
		if cfg.StreamLayer != nil && (n == nil || n.transport == nil) {
			_ = cfg.StreamLayer.Close() // owned by the node, which never started
		}
		if n != nil {
			_ = n.release()
		}
		return nil, fmt.Errorf("federation: open node %q: %w", cfg.NodeID, err)
	}
	return n, nil
}

// open builds the node step by step; on error the caller releases what
// the returned partial node holds.
func open(cfg Config, fsm raft.FSM) (*Node, error) {
	cfg.SetDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if fsm == nil {
		return nil, errors.New("nil FSM")
	}
	n := &Node{cfg: cfg, log: cfg.Logger.With("component", "federation"), closing: make(chan struct{}), metrics: newRaftMetrics()}
	if f, ok := fsm.(*FSM); ok {
		f.metrics = n.metrics // before raft can restore a snapshot into it
	}
	hlog := newHCLog(cfg.Logger.With("component", "raft"))

	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(cfg.Dir, logStoreFile)
	bolt, err := raftboltdb.New(raftboltdb.Options{
		Path:        path,
		BoltOptions: &bbolt.Options{Timeout: boltOpenTimeout, NoFreelistSync: true},
	})
	if err != nil {
		return nil, fmt.Errorf("open log store %s (in use by another node?): %w", path, err)
	}
	n.bolt = bolt
	logs, err := raft.NewLogCache(cfg.LogCacheSize, bolt)
	if err != nil {
		return n, fmt.Errorf("log cache: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.Dir, cfg.SnapshotRetain, hlog.Named("snapshot"))
	if err != nil {
		return n, fmt.Errorf("snapshot store: %w", err)
	}
	existing, err := raft.HasExistingState(logs, bolt, snaps)
	if err != nil {
		return n, fmt.Errorf("check existing state: %w", err)
	}
	n.logs, n.fsm, n.existing = logs, fsm, existing

	stream := cfg.StreamLayer
	if stream == nil {
		if stream, err = listenTCP(cfg.BindAddr, cfg.AdvertiseAddr); err != nil {
			return n, err
		}
	}
	n.transport = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:          stream,
		MaxPool:         cfg.MaxPool,
		MaxRPCsInFlight: cfg.MaxRPCsInFlight,
		Timeout:         cfg.TransportTimeout,
		Logger:          hlog.Named("net"),
	})

	rc := cfg.raftConfig(hlog)
	n.raftCfg = *rc
	if err := n.recoverPeers(rc, fsm, logs, bolt, snaps); err != nil {
		return n, err
	}
	if n.raft, err = raft.NewRaft(rc, fsm, logs, bolt, snaps, n.transport); err != nil {
		return n, fmt.Errorf("start raft: %w", err)
	}
	if cfg.Bootstrap && !existing {
		if err := n.bootstrap(); err != nil {
			return n, err
		}
	}
	n.log.Info("raft node started", "node_id", cfg.NodeID, "addr", n.Addr(),
		"existing_state", existing, "bootstrap", cfg.Bootstrap && !existing)
	return n, nil
}

// bootstrap makes a one-voter configuration of this node. Open calls it
// only on fresh state, so it runs once per data directory.
func (n *Node) bootstrap() error {
	conf := raft.Configuration{Servers: []raft.Server{{
		Suffrage: raft.Voter,
		ID:       raft.ServerID(n.cfg.NodeID),
		Address:  n.transport.LocalAddr(),
	}}}
	if err := n.raft.BootstrapCluster(conf).Error(); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	return nil
}

// Apply submits data to the log and waits until the leader's FSM has
// applied it. resp is the FSM's return value, which may be an error value:
// that is a business rejection of a committed entry, not a failure of Apply.
// err is nil or wraps ErrNotLeader, ErrEnqueueTimeout, ErrUnknownOutcome,
// ErrShutdown or the context's error (only when nothing was submitted).
func (n *Node) Apply(ctx context.Context, data []byte) (resp any, index uint64, err error) {
	timeout, err := n.enqueueTimeout(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("federation: apply: %w", err)
	}
	start := time.Now()
	f := n.raft.Apply(data, timeout)
	if err := n.wait(ctx, f, timeout); err != nil {
		return nil, 0, fmt.Errorf("federation: apply: %w", err)
	}
	n.metrics.ObserveApply(time.Since(start))
	return f.Response(), f.Index(), nil
}

// Barrier waits until the FSM has applied every entry before it. Leader only;
// errors are those of Apply.
func (n *Node) Barrier(ctx context.Context) error {
	timeout, err := n.enqueueTimeout(ctx)
	if err != nil {
		return fmt.Errorf("federation: barrier: %w", err)
	}
	term := n.raft.CurrentTerm()
	f := n.raft.Barrier(timeout)
	if err := n.wait(ctx, f, timeout); err != nil {
		return fmt.Errorf("federation: barrier: %w", err)
	}
	if n.raft.CurrentTerm() == term {
		n.barrierTerm.Store(term)
	}
	return nil
}

// enqueueTimeout is how long raft may take to accept a command: the apply
// timeout, or less if ctx ends sooner. It fails if the node is closed or
// ctx has already ended, in which case nothing is submitted.
func (n *Node) enqueueTimeout(ctx context.Context) (time.Duration, error) {
	if n.isClosing() {
		return 0, ErrShutdown
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	timeout := n.cfg.ApplyTimeout
	if deadline, ok := ctx.Deadline(); ok {
		if left := time.Until(deadline); left < timeout {
			if left <= 0 { // raft reads 0 as "no timeout"
				return 0, context.DeadlineExceeded
			}
			timeout = left
		}
	}
	return timeout, nil
}

// wait blocks until f resolves, ctx ends or the node closes, and
// translates the outcome into this package's errors.
func (n *Node) wait(ctx context.Context, f raft.Future, timeout time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return translate(ctx, err, f, timeout)
	case <-ctx.Done():
	case <-n.closing:
	}
	select { // prefer a result that raced with the cancellation
	case err := <-done:
		return translate(ctx, err, f, timeout)
	default:
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrUnknownOutcome, err)
	}
	return fmt.Errorf("%w: %w", ErrShutdown, ErrUnknownOutcome)
}

// translate maps a raft future error onto the package sentinels, keeping
// the raft error in the chain.
func translate(ctx context.Context, err error, f raft.Future, timeout time.Duration) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return fmt.Errorf("%w: %w", ErrNotLeader, err)
	case errors.Is(err, raft.ErrEnqueueTimeout):
		if deadline, ok := ctx.Deadline(); ok && !time.Now().Before(deadline) {
			return fmt.Errorf("%w after %s: %w: %w", ErrEnqueueTimeout, timeout, err, context.DeadlineExceeded)
		}
		return fmt.Errorf("%w after %s: %w", ErrEnqueueTimeout, timeout, err)
	case errors.Is(err, raft.ErrRaftShutdown):
		// A future that got an index was dispatched: raft answers it with
		// ErrRaftShutdown even after a quorum has committed it.
		if f, ok := f.(raft.IndexFuture); ok && f.Index() != 0 {
			return fmt.Errorf("%w: %w: %w", ErrShutdown, ErrUnknownOutcome, err)
		}
		return fmt.Errorf("%w: %w", ErrShutdown, err)
	default: // ErrLeadershipLost, ErrAbortedByRestore, a failed log write
		return fmt.Errorf("%w: %w", ErrUnknownOutcome, err)
	}
}

// IsLeader reports whether this node is the leader now.
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }

// Leader returns the leader's raft address and server ID, empty when no
// leader is known.
func (n *Node) Leader() (addr, id string) {
	a, i := n.raft.LeaderWithID()
	return string(a), string(i)
}

// WaitForLeader returns once a leader is known (possibly this node). If
// ctx ends first the error wraps ErrNoLeader and ctx's error.
func (n *Node) WaitForLeader(ctx context.Context) error {
	tick := time.NewTicker(leaderPollInterval)
	defer tick.Stop()
	for {
		if addr, id := n.Leader(); addr != "" && id != "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("federation: wait for leader: %w: %w", ErrNoLeader, ctx.Err())
		case <-n.closing:
			return fmt.Errorf("federation: wait for leader: %w", ErrShutdown)
		case <-tick.C:
		}
	}
}

// AppliedIndex is raft's applied index: the last entry handed to the FSM.
// The FSM may still be applying it, and raft updates it only after the
// hand-off, so an Apply can return before AppliedIndex reaches its index.
// Code that needs "my write is visible" should use the index the FSM
// records from raft.Log.Index.
func (n *Node) AppliedIndex() uint64 { return n.raft.AppliedIndex() }

// CommitIndex is the index of the last entry known to be committed.
func (n *Node) CommitIndex() uint64 { return n.raft.CommitIndex() }

// LastContact is the time since this node last heard from the leader: 0 on
// the leader, NeverContacted if it has not heard from one since Open.
func (n *Node) LastContact() time.Duration {
	if n.raft.State() == raft.Leader {
		return 0
	}
	last := n.raft.LastContact()
	if last.IsZero() {
		return NeverContacted
	}
	return time.Since(last)
}

// Stats returns raft's statistics (see raft.Raft.Stats for the keys).
func (n *Node) Stats() map[string]string { return n.raft.Stats() }

// Snapshot takes a snapshot now and compacts the log up to TrailingLogs.
// Having nothing new to snapshot is not an error.
func (n *Node) Snapshot() error {
	if n.isClosing() {
		return fmt.Errorf("federation: snapshot: %w", ErrShutdown)
	}
	err := n.raft.Snapshot().Error()
	switch {
	case err == nil, errors.Is(err, raft.ErrNothingNewToSnapshot):
		return nil
	case errors.Is(err, raft.ErrRaftShutdown):
		return fmt.Errorf("federation: snapshot: %w: %w", ErrShutdown, err)
	default:
		return fmt.Errorf("federation: snapshot: %w", err)
	}
}

// RaftConfig returns the configuration passed to raft.NewRaft.
func (n *Node) RaftConfig() raft.Config { return n.raftCfg }

// Addr is the transport's advertised address.
func (n *Node) Addr() string { return string(n.transport.LocalAddr()) }

// ID is the raft server ID.
func (n *Node) ID() string { return n.cfg.NodeID }

// Raft exposes the raft instance for cluster management.
func (n *Node) Raft() *raft.Raft { return n.raft }

// Close shuts raft down, then closes the transport and the log store. It
// does not hand leadership over first. Calls after the first return the
// first result. Waiting Apply and Barrier calls return ErrShutdown.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		close(n.closing)
		n.closeErr = n.release()
		if n.closeErr != nil {
			n.closeErr = fmt.Errorf("federation: close: %w", n.closeErr)
		}
		if n.closeErr != nil {
			n.log.Warn("raft node closed with errors", "node_id", n.cfg.NodeID, "error", n.closeErr)
			return
		}
		n.log.Info("raft node closed", "node_id", n.cfg.NodeID)
	})
	return n.closeErr
}

// release stops whatever open managed to start, in reverse order.
func (n *Node) release() error {
	var errs []error
	if n.raft != nil {
		if err := n.raft.Shutdown().Error(); err != nil {
			errs = append(errs, fmt.Errorf("raft shutdown: %w", err))
		}
	}
	if n.transport != nil {
		n.transport.CloseStreams() // pooled outgoing connections; Close leaves them open
		if err := n.transport.Close(); err != nil {
			errs = append(errs, fmt.Errorf("transport: %w", err))
		}
	}
	if n.bolt != nil {
		if err := n.bolt.Close(); err != nil {
			errs = append(errs, fmt.Errorf("log store: %w", err))
		}
	}
	return errors.Join(errs...)
}

func (n *Node) isClosing() bool {
	select {
	case <-n.closing:
		return true
	default:
		return false
	}
}

// tcpLayer is the plain TCP raft.StreamLayer used when Config.StreamLayer
// is nil.
type tcpLayer struct {
	net.Listener
	advertise net.Addr
}

// listenTCP binds bind; the layer advertises advertise, or the bound
// address when advertise is empty.
func listenTCP(bind, advertise string) (*tcpLayer, error) {
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	l := &tcpLayer{Listener: ln, advertise: ln.Addr()}
	if advertise != "" {
		l.advertise = hostPort(advertise)
	}
	return l, nil
}

// Addr is the advertised address.
func (l *tcpLayer) Addr() net.Addr { return l.advertise }

// Dial connects to another node.
func (l *tcpLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	return d.Dial("tcp", string(addr))
}

// hostPort is an advertised address kept as written, so a DNS name stays a
// name.
type hostPort string

func (a hostPort) Network() string { return "tcp" }
func (a hostPort) String() string  { return string(a) }

var _ raft.StreamLayer = (*tcpLayer)(nil)
