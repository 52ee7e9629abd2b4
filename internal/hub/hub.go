// Package hub wires one sealhub node: the raft node and its FSM (federation), the push intake
// (federation/ingest), the read API (resolver/httpapi), health, readiness and metrics on one private
// Prometheus registry, all behind one gin engine. `sealhub server`, `sealhub dev` and the test
// harnesses all start nodes through Open, so they run the same code.
package hub

import (
	"context"
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
	"github.com/sealhub/sealhub/federation"
	"github.com/sealhub/sealhub/federation/command"
	"github.com/sealhub/sealhub/federation/ingest"
	"github.com/sealhub/sealhub/internal/httpx"
	"github.com/sealhub/sealhub/resolver/httpapi"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// Config of one node.
type Config struct {
	NodeID    string
	DataDir   string
	RaftAddr  string // raft TCP address; port 0 picks one
	HTTPAddr  string // API address; port 0 picks one
	Bootstrap bool   // make a one-node cluster on fresh state
	// AdminKeys are the administrator's public keys (PEM), written into the trust list when a fresh
	// cluster first elects a leader. Later changes go through the administrator's key.rotate.
	AdminKeys  []string
	MaxPushAge time.Duration     // see ingest.Config
	Raft       federation.Config // raft tuning; NodeID, Dir, BindAddr and Logger are filled in here
	Logger     *slog.Logger
	Now        func() time.Time
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.NodeID == "" {
		errs = append(errs, errors.New("node id is required"))
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
	startIndex uint64      // last log index at open: the state is loaded once applied up to it
	barrier    atomic.Bool // this node is leader and has applied everything before its term
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
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	h := &Hub{cfg: cfg, log: cfg.Logger.With("component", "hub"), stop: make(chan struct{})}
	h.Metrics = prometheus.NewRegistry()
	h.Metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var err error
	if h.FSM, err = federation.NewFSM(cfg.Logger, h.Metrics); err != nil {
		return nil, err
	}
	rc := cfg.Raft
	rc.NodeID, rc.Dir, rc.BindAddr, rc.Bootstrap, rc.Logger = cfg.NodeID, filepath.Join(cfg.DataDir, "raft"), cfg.RaftAddr, cfg.Bootstrap, cfg.Logger
	if h.Node, err = federation.Open(rc, h.FSM); err != nil {
		return nil, err
	}
	h.startIndex = h.Node.Raft().LastIndex()
	if err := h.Node.Register(h.Metrics); err != nil {
		h.Node.Close()
		return nil, err
	}
	if err := h.serveHTTP(); err != nil {
		h.Node.Close()
		return nil, err
	}
	h.wg.Add(1)
	go h.leaderLoop()
	return h, nil
}

func (h *Hub) serveHTTP() error {
	engine, err := httpx.New(httpx.Options{Logger: h.cfg.Logger, Registry: h.Metrics})
	if err != nil {
		return err
	}
	engine.GET("/healthz", func(c *gin.Context) { httpx.JSON(c, 200, gin.H{"status": "ok"}) })
	engine.GET("/readyz", h.readyz)
	engine.GET("/metrics", gin.WrapH(promhttp.HandlerFor(h.Metrics, promhttp.HandlerOpts{Registry: h.Metrics})))
	in, err := ingest.New(ingest.Config{Node: h.Node, State: h.FSM, Logger: h.cfg.Logger, Metrics: h.Metrics, Now: h.cfg.Now, MaxPushAge: h.cfg.MaxPushAge, Cache: h.FSM.ParseCache()})
	if err != nil {
		return err
	}
	v1 := engine.Group("/v1")
	in.Register(v1)
	httpapi.New(httpapi.Config{State: h.FSM, Now: h.cfg.Now}).Register(v1)
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
		}
		if !leader {
			h.barrier.Store(false)
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

// Ready reports whether the node serves: its state is loaded (applied up to the log it had at
// start), a leader is known, and — on the leader — the post-election barrier has run.
func (h *Hub) Ready() (bool, string) {
	if h.Node.AppliedIndex() < h.startIndex {
		return false, fmt.Sprintf("loading state: applied %d of %d", h.Node.AppliedIndex(), h.startIndex)
	}
	if addr, _ := h.Node.Leader(); addr == "" {
		return false, "no leader known"
	}
	if h.Node.IsLeader() && !h.barrier.Load() {
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

// Close stops the HTTP server (letting requests in flight finish until ctx ends) and the node.
func (h *Hub) Close(ctx context.Context) error {
	h.closeOnce.Do(func() {
		close(h.stop)
		err := h.srv.Shutdown(ctx)
		h.wg.Wait()
		h.closeErr = errors.Join(err, h.Node.Close())
	})
	return h.closeErr
}
