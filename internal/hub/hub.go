// Package hub wires one sealhub node: the raft node and its FSM (federation), the push intake
// (federation/ingest), the read API (resolver/httpapi), health, readiness and metrics on one private
// Prometheus registry, all behind one gin engine. `sealhub server`, `sealhub dev` and the test
// harnesses all start nodes through Open, so they run the same code.
package hub

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/federation"
	"github.com/sealhub/sealhub/federation/command"
	"github.com/sealhub/sealhub/federation/ingest"
	"github.com/sealhub/sealhub/federation/transport"
	"github.com/sealhub/sealhub/internal/httpx"
	"github.com/sealhub/sealhub/internal/rpc"
	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/resolver/httpapi"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// Config of one node.
type Config struct {
	NodeID   string // stable ID; empty: the one stored in DataDir, or a new one stored there
	DataDir  string
	RaftAddr string // cluster port (raft + internal RPC) bind address; port 0 picks one
	// AdvertiseAddr is the cluster address other nodes dial; empty means RaftAddr's bound address.
	AdvertiseAddr string
	HTTPAddr      string // API address; port 0 picks one
	// Bootstrap lets this node found a one-node cluster on fresh state — after trying Join first.
	Bootstrap bool
	// Join lists cluster addresses of existing members to ask for admission on fresh state.
	Join []string
	// JoinAttempts is how many rounds over Join a Bootstrap node tries before bootstrapping (default 3).
	JoinAttempts int
	// TLS secures the cluster port (raft and internal RPC) with mutual TLS; nil is plain TCP.
	TLS *transport.TLS
	// Autopilot promotes caught-up non-voters; zero values are federation's defaults.
	Autopilot federation.AutopilotConfig
	// MaxStale bounds a default read's distance from the leader (default 5s); StaleReads says what
	// happens beyond it: StaleRefuse (default, 503 STALE_READ) or StaleFlag (answer with X-Sealhub-Stale).
	MaxStale   time.Duration
	StaleReads string
	// ReadTimeout bounds a linearizable read's wait (default 5s).
	ReadTimeout time.Duration
	// NoLeaderTransfer skips handing leadership over on Close.
	NoLeaderTransfer bool
	// DialHook, when set, wraps every connection this node opens to another node's cluster port
	// (raft and internal RPC). Test harnesses use it to cut links between nodes.
	DialHook DialHook
	// AdminKeys are the administrator's public keys (PEM), written into the trust list when a fresh
	// cluster first elects a leader. Later changes go through the administrator's key.rotate.
	AdminKeys  []string
	MaxPushAge time.Duration // see ingest.Config
	// APIKeys, RateLimit and Limits guard the verifier routes (see resolver/httpapi); zero values:
	// no keys, no rate limit, default limits.
	APIKeys   []httpapi.APIKey
	RateLimit httpapi.RateLimit
	Limits    httpapi.Limits
	// Regions answers the status of live-mode registries' seals, and — when it is also an
	// adapters.FeedDirectory — gives sync-mode registries' feeds. nil: the node's own directory over
	// every adapter kind of this build, with Adapters' credentials and settings.
	Regions  adapters.Directory
	Adapters AdapterConfig
	Raft     federation.Config // raft tuning; NodeID, Dir, BindAddr and Logger are filled in here
	Logger   *slog.Logger
	Now      func() time.Time
}

// What a default read beyond its staleness bound gets.
const (
	StaleRefuse = "refuse"
	StaleFlag   = "flag"
)

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	switch c.StaleReads {
	case "", StaleRefuse, StaleFlag:
	default:
		errs = append(errs, fmt.Errorf("stale reads %q: use refuse or flag", c.StaleReads))
	}
	if c.MaxStale < 0 || c.ReadTimeout < 0 {
		errs = append(errs, errors.New("max stale and read timeout must not be negative"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data dir is required"))
	}
	for i, k := range c.AdminKeys {
		if _, err := smcrypto.ParsePublicKey(k); err != nil {
			errs = append(errs, fmt.Errorf("admin key %d: %w", i+1, err))
		}
	}
	return errors.Join(errs...)
}

// Hub is a running node.
type Hub struct {
	cfg        Config
	log        *slog.Logger
	Node       *federation.Node
	FSM        *federation.FSM
	Metrics    *prometheus.Registry
	Engine     *gin.Engine
	srv        *http.Server
	ln         net.Listener
	mux        *transport.Mux
	rpcSrv     *http.Server
	rpcClient  *rpc.Client
	rpcServer  *rpc.Server
	Autopilot  *federation.Autopilot
	forwarded  prometheus.Counter
	Resolver   *resolver.Resolver
	sync       *syncer
	adapterHC  *http.Client // the adapters' client, when the node built its own directory
	idents     identities
	startIndex atomic.Uint64 // last log index at open: the state is loaded once applied up to it
	testCommit atomic.Uint64 // when set, taken as raft's commit index (a test's restarted node)
	barrier    atomic.Bool   // this node is leader and has applied everything before its term
	stop       chan struct{}
	wg         sync.WaitGroup
	closeOnce  sync.Once
	closeErr   error
}

// Open starts a node and its HTTP server.
func Open(cfg Config) (*Hub, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.JoinAttempts == 0 {
		cfg.JoinAttempts = 3
	}
	if cfg.MaxStale == 0 {
		cfg.MaxStale = 5 * time.Second
	}
	if cfg.StaleReads == "" {
		cfg.StaleReads = StaleRefuse
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = 5 * time.Second
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	id, err := resolveNodeID(cfg.DataDir, cfg.NodeID)
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	cfg.NodeID = id
	h := &Hub{cfg: cfg, log: cfg.Logger.With("component", "hub"), stop: make(chan struct{})}
	h.Metrics = prometheus.NewRegistry()
	h.Metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if h.FSM, err = federation.NewFSM(cfg.Logger, h.Metrics); err != nil {
		return nil, err
	}
	h.forwarded = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "sealhub", Subsystem: "cluster", Name: "forwarded_writes_total",
		Help: "Writes this node received as a follower and forwarded to the leader."})
	h.Metrics.MustRegister(h.forwarded)
	raftAddr := cfg.RaftAddr
	if raftAddr == "" {
		raftAddr = "127.0.0.1:0"
	}
	if h.mux, err = transport.Listen(raftAddr, cfg.AdvertiseAddr, cfg.TLS); err != nil {
		return nil, fmt.Errorf("hub: cluster port: %w", err)
	}
	var clientTLS *tls.Config
	if cfg.TLS != nil {
		clientTLS = cfg.TLS.Client
	}
	h.rpcClient = rpc.NewClient(hookedHTTP(&transport.Dialer{TLS: clientTLS, Timeout: 5 * time.Second}, cfg.DialHook))
	rc := cfg.Raft
	rc.NodeID, rc.Dir, rc.StreamLayer, rc.Logger = cfg.NodeID, filepath.Join(cfg.DataDir, "raft"), hookLayer(h.mux.Raft(), cfg.DialHook), cfg.Logger
	rc.BindAddr, rc.AdvertiseAddr = "", ""
	rc.Bootstrap = cfg.Bootstrap && len(cfg.Join) == 0 // with Join, bootstrap only after trying to join
	if h.Node, err = federation.Open(rc, h.FSM); err != nil {
		h.mux.Close()
		return nil, err
	}
	h.startIndex.Store(h.Node.Raft().LastIndex())
	fail := func(err error) (*Hub, error) {
		h.Node.Close()
		h.mux.Close()
		return nil, err
	}
	if err := h.Node.Register(h.Metrics); err != nil {
		return fail(err)
	}
	h.Autopilot = h.Node.NewAutopilot(cfg.Autopilot, func(ctx context.Context, _, addr string) (federation.ServerStats, error) {
		return h.rpcClient.Stats(ctx, addr)
	})
	key, err := loadNodeKey(cfg.DataDir)
	if err != nil {
		return fail(err)
	}
	if h.cfg.Regions == nil {
		m, err := adapters.NewMetrics(h.Metrics)
		if err != nil {
			return fail(err)
		}
		h.adapterHC = adapterClient()
		h.cfg.Regions = newSources(h.adapterHC, cfg.Adapters, m)
	}
	h.Resolver = h.newResolver(key)
	if h.sync, err = newSyncer(h); err != nil {
		return fail(err)
	}
	h.idents.byID = map[string]cachedIdentity{}
	h.rpcServer = &rpc.Server{Node: h.Node, State: h.FSM.State, Autopilot: h.Autopilot,
		Client: h.rpcClient, Logger: h.cfg.Logger, TempDir: h.cfg.DataDir,
		Identity: &rpc.Identity{ID: cfg.NodeID, KeyID: h.Resolver.Signer.KeyID(), PublicKey: smcrypto.PublicKeyBytes(h.Resolver.Signer.PublicKey())}}
	if err := h.serveHTTP(); err != nil {
		return fail(err)
	}
	if err := h.serveRPC(); err != nil {
		_ = h.srv.Close()
		return fail(err)
	}
	h.wg.Add(2)
	go h.leaderLoop()
	go h.sync.loop()
	if h.adapterHC != nil {
		h.wg.Add(1)
		go h.redialRegions(redialEvery)
	}
	if !h.Node.Existing() && len(cfg.Join) > 0 {
		h.wg.Add(1)
		go h.joinOrBootstrap()
	}
	return h, nil
}

func (h *Hub) serveRPC() error {
	h.rpcServer.Public = h.Engine // forwarded /v1 requests run the same engine
	handler, err := h.rpcServer.Handler()
	if err != nil {
		return err
	}
	h.rpcSrv = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		if err := h.rpcSrv.Serve(h.mux.RPC()); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			h.log.Error("cluster RPC server stopped", "err", err)
		}
	}()
	return nil
}

// ID is the node's stable ID.
func (h *Hub) ID() string { return h.cfg.NodeID }

// ClusterAddr is the node's advertised cluster (raft + internal RPC) address.
func (h *Hub) ClusterAddr() string { return h.mux.Addr() }

// routeByMethod applies the read-consistency rules to reads and forwards writes to the leader.
func (h *Hub) routeByMethod(c *gin.Context) {
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead:
		h.consistency(c)
	default:
		h.forward(c)
	}
}

func (h *Hub) serveHTTP() error {
	engine, err := httpx.New(httpx.Options{Logger: h.cfg.Logger, Registry: h.Metrics})
	if err != nil {
		return err
	}
	engine.GET("/healthz", func(c *gin.Context) { httpx.JSON(c, 200, gin.H{"status": "ok"}) })
	engine.GET("/readyz", h.readyz)
	engine.GET("/metrics", gin.WrapH(promhttp.HandlerFor(h.Metrics, promhttp.HandlerOpts{Registry: h.Metrics})))
	in, err := ingest.New(ingest.Config{Node: h.Node, State: h.FSM, Logger: h.cfg.Logger, Metrics: h.Metrics, Now: h.cfg.Now, MaxPushAge: h.cfg.MaxPushAge, Cache: h.FSM.ParseCache(),
		Health: h.registryHealth})
	if err != nil {
		return err
	}
	api, err := httpapi.New(httpapi.Config{State: h.FSM, Resolver: h.Resolver, Nodes: h.nodes, Limits: h.cfg.Limits,
		Keys: h.cfg.APIKeys, Rate: h.cfg.RateLimit, Now: h.cfg.Now, Metrics: h.Metrics})
	if err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	engine.Use(h.headers)
	engine.GET("/v1/cluster", h.rpcServer.Cluster)
	engine.GET("/v1/openapi.json", httpapi.ServeOpenAPI)
	// Writes go to the leader; reads, the verification POSTs among them, are answered here under
	// the consistency rules.
	in.Register(engine.Group("/v1", h.routeByMethod))
	api.Register(engine.Group("/v1"), h.consistency)
	h.Engine = engine
	addr := h.cfg.HTTPAddr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if h.ln, err = net.Listen("tcp", addr); err != nil {
		return fmt.Errorf("hub: http: %w", err)
	}
	h.srv = &http.Server{Handler: engine, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		if err := h.srv.Serve(h.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			h.log.Error("http server stopped", "err", err)
		}
	}()
	h.log.Info("api listening", "url", h.URL(), "raft", h.Node.Addr(), "node", h.cfg.NodeID)
	return nil
}

// URL is the base URL of the API.
func (h *Hub) URL() string { return "http://" + h.ln.Addr().String() }

// State is the node's current trust list.
func (h *Hub) State() *trustlist.State { return h.FSM.State() }

// leaderLoop watches for leadership. On gaining it the node first runs a Barrier (so it has applied
// everything earlier terms committed), then writes the administrator's keys if the cluster is fresh.
func (h *Hub) leaderLoop() {
	defer h.wg.Done()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	wasLeader := false
	for {
		select {
		case <-h.stop:
			return
		case <-tick.C:
		}
		leader := h.Node.IsLeader()
		if leader && !wasLeader {
			h.barrier.Store(false)
			if err := h.establish(); err != nil {
				h.log.Warn("could not establish leadership; will retry", "err", err)
				continue
			}
			h.barrier.Store(true)
			h.Autopilot.Start()
		}
		if !leader {
			h.barrier.Store(false)
			if wasLeader {
				h.Autopilot.Stop()
			}
		}
		wasLeader = leader
	}
}

func (h *Hub) establish() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.Node.Barrier(ctx); err != nil {
		return err
	}
	if h.State().Initialized() || len(h.cfg.AdminKeys) == 0 {
		if !h.State().Initialized() {
			h.log.Warn("no administrator key configured: pushes are refused until one is (admin_keys)")
		}
		return nil
	}
	in := command.Init{RecordedAt: h.cfg.Now().UTC()}
	for _, k := range h.cfg.AdminKeys {
		in.Keys = append(in.Keys, trustlist.KeySpec{PublicKey: k})
	}
	data, err := command.EncodeInit(in)
	if err != nil {
		return err
	}
	resp, _, err := h.Node.Apply(ctx, data)
	if err != nil {
		return err
	}
	if e, ok := resp.(error); ok {
		return e
	}
	h.log.Info("administrator keys written to the trust list", "keys", len(in.Keys))
	return nil
}

// loading reports whether the node is still replaying the log it had when it opened: until then its
// state can be far older than its contact with the leader suggests (a restarted node hears from the
// leader long before it has re-applied its own log).
func (h *Hub) loading() (bool, string) {
	commit := h.testCommit.Load()
	if commit == 0 {
		commit = h.Node.Raft().CommitIndex()
	}
	return loadingState(h.Node.AppliedIndex(), h.startIndex.Load(), commit)
}

// loadingState: the node must apply the log it had at start, but no further than the commit index
// once a leader has told it one (commit 0: not yet), since an uncommitted tail it held may have been
// cut by the new leader and never be applied.
func loadingState(applied, start, commit uint64) (bool, string) {
	need := start
	if commit > 0 && commit < need {
		need = commit
	}
	if applied < need {
		return true, fmt.Sprintf("loading state: applied %d of %d", applied, need)
	}
	return false, ""
}

// Ready reports whether the node serves: its state is loaded (applied up to the log it had at
// start), a leader is known, and — on the leader — the post-election barrier has run.
func (h *Hub) Ready() (bool, string) {
	if loading, why := h.loading(); loading {
		return false, why
	}
	if addr, _ := h.Node.Leader(); addr == "" {
		return false, "no leader known"
	}
	if h.Node.IsLeader() && (!h.barrier.Load() || !h.Node.Established()) {
		return false, "leader establishing (barrier)"
	}
	return true, "ready"
}

func (h *Hub) readyz(c *gin.Context) {
	ok, why := h.Ready()
	st := h.State()
	body := gin.H{"ready": ok, "reason": why, "index": st.Index(), "initialized": st.Initialized()}
	if !ok {
		c.Header("Retry-After", "1")
		httpx.JSON(c, 503, body)
		return
	}
	httpx.JSON(c, 200, body)
}

// WaitReady polls Ready until it holds or ctx ends.
func (h *Hub) WaitReady(ctx context.Context) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, why := h.Ready()
		if ok && (h.State().Initialized() || len(h.cfg.AdminKeys) == 0 || !h.Node.IsLeader()) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("hub: not ready (%s): %w", why, ctx.Err())
		case <-tick.C:
		}
	}
}

// handOverTimeout bounds the leadership transfer at shutdown. A transfer takes milliseconds when a
// follower is caught up; when none can be (just after a partition) an election does the same job,
// and the whole stop must still fit in a container runtime's 10 s grace (docker stop's default):
// the chaos test saw a 10 s bound here end in SIGKILL.
const handOverTimeout = 3 * time.Second

// handOver transfers leadership before a leader stops (SIGTERM, rolling restarts), so the cluster
// does not wait an election timeout for a new leader.
func (h *Hub) handOver(ctx context.Context) {
	if h.cfg.NoLeaderTransfer || !h.Node.IsLeader() || h.Node.OtherVoters() == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, handOverTimeout)
	defer cancel()
	if err := h.Node.TransferLeadership(ctx, ""); err != nil {
		h.log.Warn("leadership transfer before shutdown failed; the cluster will elect a new leader", "err", err)
		return
	}
	_, id := h.Node.Leader()
	h.log.Info("leadership handed over before shutdown", "new_leader", id)
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Close stops the HTTP server (letting requests in flight finish until ctx ends) and the node.
func (h *Hub) Close(ctx context.Context) error {
	h.closeOnce.Do(func() {
		h.handOver(ctx)
		close(h.stop)
		err := h.srv.Shutdown(ctx)
		h.Autopilot.Stop()
		rerr := h.rpcSrv.Shutdown(ctx)
		h.wg.Wait()
		h.rpcClient.HTTP.CloseIdleConnections()
		if h.adapterHC != nil {
			h.adapterHC.CloseIdleConnections()
		}
		h.closeErr = errors.Join(err, rerr, h.Node.Close(), ignoreClosed(h.mux.Close()))
	})
	return h.closeErr
}
