package federation

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// Defaults applied by [Config.SetDefaults].
const (
	DefaultSnapshotInterval  = 60 * time.Second
	DefaultSnapshotThreshold = 8192
	DefaultTrailingLogs      = 10240
	DefaultSnapshotRetain    = 2
	DefaultMaxRPCsInFlight   = 2
	DefaultLogCacheSize      = 512
	DefaultApplyTimeout      = 10 * time.Second
	DefaultMaxPool           = 3
	DefaultTransportTimeout  = 10 * time.Second
	DefaultCommitTimeout     = 5 * time.Millisecond
)

// Config of one node. SetDefaults fills zero values; Validate reports bad ones.
// [Open] does both, so callers only set what they need.
type Config struct {
	// NodeID is the stable raft server ID. It is never derived from the
	// address: a node keeps its ID when it moves.
	NodeID string

	// Dir is the data directory: raft.db (raft-boltdb/v2, NoFreelistSync)
	// and snapshots/ (raft.FileSnapshotStore). Only one node may use it at
	// a time; the bolt file lock enforces that.
	Dir string

	// BindAddr is the raft TCP listen address. A port of 0 picks a free
	// port; [Node.Addr] reports the one actually bound. Must be empty
	// when StreamLayer is set.
	BindAddr string

	// AdvertiseAddr is the host:port other nodes dial. Empty means the
	// bound address, which then must not be unspecified (0.0.0.0, ::).
	// Must be empty when StreamLayer is set.
	AdvertiseAddr string

	// StreamLayer, when set, replaces the plain TCP listener and dialer
	// (for mTLS). Its Addr is the advertised address. Open takes
	// ownership: the layer is closed with the node, or when Open fails.
	StreamLayer raft.StreamLayer

	// Bootstrap makes a one-node cluster of this node if the data
	// directory has no raft state yet. It is a no-op on existing state,
	// so it is safe to leave on across restarts.
	Bootstrap bool

	SnapshotInterval  time.Duration // how often raft checks whether to snapshot; default 60s
	SnapshotThreshold uint64        // log entries since the last snapshot that trigger one; default 8192
	TrailingLogs      uint64        // log entries kept after a snapshot for slow followers; default 10240
	SnapshotRetain    int           // snapshots kept on disk; default 2
	MaxRPCsInFlight   int           // AppendEntries pipelining depth; 1 disables pipelining; default 2
	LogCacheSize      int           // recent log entries cached in memory; default 512
	MaxPool           int           // pooled outgoing connections per peer; default 3
	TransportTimeout  time.Duration // transport I/O deadline; default 10s

	// Raft timing; 0 means the raft default (1s, 1s, 500ms) for the
	// first three. LeaderLeaseTimeout must not exceed HeartbeatTimeout and
	// ElectionTimeout must not be below it.
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	// CommitTimeout is how long the leader waits without new entries
	// before sending followers an empty AppendEntries carrying its commit
	// index (raft staggers it up to 2×). It bounds how late a follower
	// learns that an entry is committed, so how late a status change is
	// visible there: default 5ms (raft's own default, 50ms, makes that up
	// to 100ms). Each idle follower then gets 100–200 tiny RPCs a second.
	CommitTimeout time.Duration

	// ApplyTimeout bounds how long Apply and Barrier wait for the leader
	// to accept a command (not for it to commit); default 10s. A shorter
	// context deadline wins.
	ApplyTimeout time.Duration

	// Logger receives the node's and raft's logs (component=federation,
	// component=raft). Nil discards them.
	Logger *slog.Logger
}

// SetDefaults fills zero values with the package defaults.
func (c *Config) SetDefaults() {
	setDefault(&c.SnapshotInterval, DefaultSnapshotInterval)
	setDefault(&c.SnapshotThreshold, DefaultSnapshotThreshold)
	setDefault(&c.TrailingLogs, DefaultTrailingLogs)
	setDefault(&c.SnapshotRetain, DefaultSnapshotRetain)
	setDefault(&c.MaxRPCsInFlight, DefaultMaxRPCsInFlight)
	setDefault(&c.LogCacheSize, DefaultLogCacheSize)
	setDefault(&c.MaxPool, DefaultMaxPool)
	setDefault(&c.TransportTimeout, DefaultTransportTimeout)
	setDefault(&c.ApplyTimeout, DefaultApplyTimeout)
	setDefault(&c.CommitTimeout, DefaultCommitTimeout)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

func setDefault[T comparable](field *T, def T) {
	var zero T
	if *field == zero {
		*field = def
	}
}

// Validate reports the first bad setting. Zero values count as their
// defaults, so Validate may be called before or after SetDefaults. The
// raft timing rules are checked by raft.ValidateConfig itself.
func (c Config) Validate() error {
	c.SetDefaults()
	if err := c.validate(); err != nil {
		return fmt.Errorf("federation: config: %w", err)
	}
	return nil
}

func (c Config) validate() error {
	if c.NodeID == "" {
		return errors.New("NodeID is required")
	}
	if c.Dir == "" {
		return errors.New("Dir is required")
	}
	if err := c.validateAddrs(); err != nil {
		return err
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"SnapshotInterval", c.SnapshotInterval}, {"TransportTimeout", c.TransportTimeout},
		{"ApplyTimeout", c.ApplyTimeout}, {"HeartbeatTimeout", c.HeartbeatTimeout},
		{"ElectionTimeout", c.ElectionTimeout}, {"LeaderLeaseTimeout", c.LeaderLeaseTimeout},
		{"CommitTimeout", c.CommitTimeout},
	} {
		if d.v < 0 {
			return fmt.Errorf("%s must not be negative, got %s", d.name, d.v)
		}
	}
	for _, n := range []struct {
		name string
		v    int
	}{
		{"SnapshotRetain", c.SnapshotRetain}, {"MaxRPCsInFlight", c.MaxRPCsInFlight},
		{"LogCacheSize", c.LogCacheSize}, {"MaxPool", c.MaxPool},
	} {
		if n.v < 1 {
			return fmt.Errorf("%s must be at least 1, got %d", n.name, n.v)
		}
	}
	if err := raft.ValidateConfig(c.raftConfig(nil)); err != nil {
		return fmt.Errorf("raft: %w", err)
	}
	return nil
}

func (c Config) validateAddrs() error {
	if c.StreamLayer != nil {
		if c.BindAddr != "" || c.AdvertiseAddr != "" {
			return errors.New("BindAddr and AdvertiseAddr must be empty when StreamLayer is set")
		}
		return nil
	}
	if c.BindAddr == "" {
		return errors.New("BindAddr is required")
	}
	host, _, err := net.SplitHostPort(c.BindAddr)
	if err != nil {
		return fmt.Errorf("BindAddr: %w", err)
	}
	if c.AdvertiseAddr == "" {
		if unspecified(host) {
			return fmt.Errorf("AdvertiseAddr is required when BindAddr %q is unspecified", c.BindAddr)
		}
		return nil
	}
	host, port, err := net.SplitHostPort(c.AdvertiseAddr)
	if err != nil {
		return fmt.Errorf("AdvertiseAddr: %w", err)
	}
	if unspecified(host) {
		return fmt.Errorf("AdvertiseAddr %q is not advertisable", c.AdvertiseAddr)
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
		return fmt.Errorf("AdvertiseAddr %q needs a port from 1 to 65535", c.AdvertiseAddr)
	}
	return nil
}

func unspecified(host string) bool {
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

// raftConfig builds the raft.Config handed to raft.NewRaft. Call it on a
// Config with defaults applied.
func (c Config) raftConfig(logger hclog.Logger) *raft.Config {
	rc := raft.DefaultConfig()
	rc.ProtocolVersion = 3
	rc.LocalID = raft.ServerID(c.NodeID)
	rc.ShutdownOnRemove = false
	rc.SnapshotInterval = c.SnapshotInterval
	rc.SnapshotThreshold = c.SnapshotThreshold
	rc.TrailingLogs = c.TrailingLogs
	overrideIfSet(&rc.HeartbeatTimeout, c.HeartbeatTimeout)
	overrideIfSet(&rc.ElectionTimeout, c.ElectionTimeout)
	overrideIfSet(&rc.LeaderLeaseTimeout, c.LeaderLeaseTimeout)
	overrideIfSet(&rc.CommitTimeout, c.CommitTimeout)
	rc.Logger = logger
	return rc
}

func overrideIfSet(field *time.Duration, v time.Duration) {
	if v != 0 {
		*field = v
	}
}
