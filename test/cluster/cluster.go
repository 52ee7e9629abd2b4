package cluster

import (
	"context"
	"fmt"
	"github.com/sealhub/sealhub/adapters"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/sealhub/sealhub/federation"
	"github.com/sealhub/sealhub/internal/hub"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// Options tune a test cluster; zero values get the defaults noted.
type Options struct {
	// Raft timing (defaults 500ms, 500ms, 250ms): short, so that failover takes about a second.
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	// Log compaction; zero keeps federation's defaults (8192 and 10240).
	SnapshotThreshold uint64
	TrailingLogs      uint64
	// Reads: hub defaults (refuse, 5s, 5s) unless set.
	StaleReads  string
	MaxStale    time.Duration
	ReadTimeout time.Duration
	// Autopilot defaults to 200ms stabilisation, 100ms update and reconcile intervals.
	Autopilot federation.AutopilotConfig
	// Registries the administrator creates at start (default 3); see Cluster.Registries.
	Registries int
	// Regions is every node's adapter directory (nil: the hub's own, with no credentials).
	Regions adapters.Directory
}

func (o *Options) setDefaults() {
	setDefault(&o.HeartbeatTimeout, 500*time.Millisecond)
	setDefault(&o.ElectionTimeout, 500*time.Millisecond)
	setDefault(&o.LeaderLeaseTimeout, 250*time.Millisecond)
	setDefault(&o.Autopilot.StabilizationTime, 200*time.Millisecond)
	setDefault(&o.Autopilot.UpdateInterval, 100*time.Millisecond)
	setDefault(&o.Autopilot.ReconcileInterval, 100*time.Millisecond)
	setDefault(&o.Registries, 3)
}

func setDefault[T comparable](field *T, def T) {
	var zero T
	if *field == zero {
		*field = def
	}
}

// Node is one member slot: its identity, data directory and addresses outlive restarts.
type Node struct {
	Num       int
	ID        string
	Dir       string
	RaftAddr  string // concrete once started: restarts reuse it
	HTTPAddr  string
	bootstrap bool
	join      []string
	hub       *hub.Hub // nil while down; guarded by Cluster.mu
	removed   bool
}

// Cluster is an in-process cluster of sealhub nodes. Its lifecycle methods (Kill, Stop, Restart,
// Add, Remove, the Wait helpers) must be called from the test goroutine; the accessors, Deliver
// and SendOnce are safe for concurrent use.
type Cluster struct {
	opts       Options
	Net        *Network
	Admin      *Registry
	Registries []*Registry // created by the administrator in New
	adminPEM   string
	dir        string
	started    time.Time
	http       *http.Client
	logger     *slog.Logger

	mu    sync.Mutex
	nodes []*Node // node i is nodes[i-1]

	ackMu   sync.Mutex
	acks    []Ack
	retries map[string]int
}

// New starts an n-node cluster: node 1 bootstraps and the others join it. It returns once every
// node is ready and, for odd n, every node is a voter (for even n autopilot leaves one non-voter),
// and the administrator has created opts.Registries registries. Everything is closed at cleanup.
func New(t testing.TB, n int, opts Options) *Cluster {
	t.Helper()
	opts.setDefaults()
	admin, err := newRegistry(trustlist.AdminID, 0)
	if err != nil {
		t.Fatal(err)
	}
	pemKey, err := smcrypto.MarshalPublicKeyPEM(&admin.Key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{opts: opts, Net: NewNetwork(), Admin: admin, adminPEM: string(pemKey), dir: t.TempDir(), started: time.Now(),
		http:   &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}},
		logger: testLogger(), retries: map[string]int{}}
	t.Cleanup(func() {
		start := time.Now()
		c.Close()
		if d := time.Since(start); d > time.Second {
			t.Logf("closing the cluster took %s", d)
		}
	})

	c.addSlot(true, nil)
	c.start(t, 1)
	for i := 2; i <= n; i++ {
		c.addSlot(false, []string{c.node(1).RaftAddr})
		c.start(t, i)
	}
	all := c.Live()
	if n%2 == 1 {
		c.WaitVoters(t, all...)
	} else {
		c.WaitMembers(t, all...)
	}
	for _, i := range all {
		c.waitReady(t, i)
	}
	c.createRegistries(t)
	c.WaitConverged(t)
	c.Logf(t, "%d nodes up", n)
	return c
}

// Logf logs with the time since the cluster started, to show where a scenario spends its time.
func (c *Cluster) Logf(t testing.TB, format string, args ...any) {
	t.Helper()
	t.Logf("[%6.2fs] %s", time.Since(c.started).Seconds(), fmt.Sprintf(format, args...))
}

func testLogger() *slog.Logger {
	if os.Getenv("SEALHUB_CLUSTER_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func (c *Cluster) createRegistries(t testing.TB) {
	t.Helper()
	for i := 1; i <= c.opts.Registries; i++ {
		r, err := newRegistry(fmt.Sprintf("reg-%02d", i), i)
		if err != nil {
			t.Fatal(err)
		}
		c.Registries = append(c.Registries, r)
	}
	ops, err := createOps(c.Registries)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Admin.Next(ops)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.Deliver(ctx, b, nil); err != nil {
		t.Fatalf("creating the registries: %v", err)
	}
}

func (c *Cluster) node(i int) *Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i-1]
}

// Hub is node i's running hub, nil while it is down.
func (c *Cluster) Hub(i int) *hub.Hub {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i-1].hub
}

// ID is node i's raft server ID.
func (c *Cluster) ID(i int) string { return c.node(i).ID }

// URL is node i's API base URL; it stays the same across restarts.
func (c *Cluster) URL(i int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return "http://" + c.nodes[i-1].HTTPAddr
}

// Size is the number of node slots ever created (removed and down nodes included).
func (c *Cluster) Size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.nodes)
}

// Live lists the running nodes that have not been removed.
func (c *Cluster) Live() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []int
	for _, nd := range c.nodes {
		if nd.hub != nil && !nd.removed {
			out = append(out, nd.Num)
		}
	}
	return out
}

// Others lists the live nodes except those given.
func (c *Cluster) Others(except ...int) []int {
	var out []int
	for _, i := range c.Live() {
		skip := false
		for _, e := range except {
			skip = skip || e == i
		}
		if !skip {
			out = append(out, i)
		}
	}
	return out
}

// NumByID is the number of the node with raft ID id, 0 if none.
func (c *Cluster) NumByID(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, nd := range c.nodes {
		if nd.ID == id {
			return nd.Num
		}
	}
	return 0
}

func (c *Cluster) randomLive() int {
	live := c.Live()
	if len(live) == 0 {
		return 0
	}
	return live[rand.IntN(len(live))]
}

// leader is the live node that believes it leads now, 0 if none (or if two do, during a
// partition: the caller waits).
func (c *Cluster) leader() int {
	found := 0
	for _, i := range c.Live() {
		if h := c.Hub(i); h != nil && h.Node.IsLeader() {
			if found != 0 {
				return 0
			}
			found = i
		}
	}
	return found
}
