// Package ingest is the HTTP surface for registries and operators: POST /v1/updates receives signed
// pushes, checks every one of them against the current trust list before proposing it to raft, and
// answers with the result the log gave; GET /v1/registries and /v1/anchors show the trust list's
// registries (with their push heads) and trust anchors.
//
// Nothing is proposed that the hub would reject: bad input is answered 4xx with a stable code from
// trustlist.Codes and changes nothing. A push answered 200 is committed on a quorum. A push whose
// outcome is unknown (leadership lost mid-way) is answered 503 and can be sent again byte for byte:
// pushes are idempotent by (registry, seq, SM3 of the body).
package ingest

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sealhub/sealhub/federation"
	"github.com/sealhub/sealhub/federation/command"
	"github.com/sealhub/sealhub/internal/httpx"
	"github.com/sealhub/sealhub/trustlist"
)

// Headers of a signed push.
const (
	HeaderKeyID     = "X-Sealhub-Key-Id"    // 16 hex digits: smcrypto.KeyID of the signing key
	HeaderSignature = "X-Sealhub-Signature" // base64 of the SM2-with-SM3 signature (DER) over the exact body
)

// Node is what ingest needs of the raft node.
type Node interface {
	Apply(ctx context.Context, data []byte) (resp any, index uint64, err error)
	Leader() (addr, id string)
	// Established reports whether this node leads and has applied everything earlier leaders
	// committed (a Barrier in its term).
	Established() bool
}

// StateSource gives the current trust list.
type StateSource interface {
	State() *trustlist.State
}

// Config configures the service.
type Config struct {
	Node    Node
	State   StateSource
	Logger  *slog.Logger
	Metrics prometheus.Registerer // nil: no metrics
	Now     func() time.Time      // nil: time.Now
	// MaxPushAge bounds how old a new push's issued_at may be (0: 24 h; negative: no bound).
	MaxPushAge time.Duration
	// ApplyTimeout bounds how long a push waits for the log (0: 30 s).
	ApplyTimeout time.Duration
	// Cache is the FSM's parse cache, so a checked push is not parsed again when applied (optional).
	Cache *trustlist.ParseCache
	// Health, when set, gives the node-local health of a registry's adapter (a JSON value), shown
	// at GET /v1/registries/{id}; nil from it shows none.
	Health func(*trustlist.Registry) any
}

// Service serves the routes.
type Service struct {
	cfg    Config
	log    *slog.Logger
	pushes *prometheus.CounterVec
}

// New makes the service.
func New(cfg Config) (*Service, error) {
	if cfg.Node == nil || cfg.State == nil {
		return nil, errors.New("ingest: Node and State are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxPushAge == 0 {
		cfg.MaxPushAge = 24 * time.Hour
	}
	if cfg.ApplyTimeout <= 0 {
		cfg.ApplyTimeout = 30 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{cfg: cfg, log: log.With("component", "ingest")}
	s.pushes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "sealhub", Subsystem: "ingest", Name: "pushes_total",
		Help: "Pushes received, by registry (\"unknown\" when not a registry), outcome (accepted, replay, rejected, failed) and rejection code.",
	}, []string{"registry", "outcome", "code"})
	if cfg.Metrics != nil {
		if err := cfg.Metrics.Register(s.pushes); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Register mounts the routes on g (the /v1 group).
func (s *Service) Register(g gin.IRouter) {
	g.POST("/updates", httpx.LimitBody(trustlist.MaxPushBytes), s.postUpdate)
	g.GET("/registries", s.listRegistries)
	g.GET("/registries/:id", s.getRegistry)
	g.GET("/anchors", s.listAnchors)
}

// PushResponse is the answer to an accepted push.
type PushResponse struct {
	Registry   string    `json:"registry"`
	Seq        uint64    `json:"seq"`
	Hash       string    `json:"hash"`
	Index      uint64    `json:"index"`
	RecordedAt time.Time `json:"recorded_at"`
	Ops        int       `json:"ops"`
	Replay     bool      `json:"replay"`
}

func (s *Service) postUpdate(c *gin.Context) {
	body, err := httpx.ReadBody(c)
	if err != nil {
		s.countAs("unknown", err)
		httpx.Fail(c, err)
		return
	}
	c.Set(bodyKey, body)
	env := trustlist.Envelope{Body: body, KeyID: strings.TrimSpace(c.GetHeader(HeaderKeyID)), RecordedAt: s.cfg.Now().UTC()}
	if sig := strings.TrimSpace(c.GetHeader(HeaderSignature)); sig != "" {
		if env.Signature, err = base64.StdEncoding.DecodeString(sig); err != nil {
			err = httpx.Errorf(401, string(trustlist.CodeSignatureMissing), "%s is not base64", HeaderSignature)
			s.countAs("unknown", err)
			httpx.Fail(c, err)
			return
		}
	}
	if !s.cfg.Node.Established() {
		// A new leader may not yet hold the pushes its predecessor acknowledged: checking against
		// its state would refuse the next push as a sequence gap (seen by test/chaos after failovers).
		e := httpx.Errorf(503, "NOT_LEADER", "this node is not yet an established leader (it is applying what earlier leaders committed); retry")
		e.RetryAfter = time.Second
		s.countAs("unknown", e)
		httpx.Fail(c, e)
		return
	}
	st := s.cfg.State.State()
	res, err := st.Check(env, trustlist.CheckOptions{Now: env.RecordedAt, MaxAge: max(s.cfg.MaxPushAge, 0), Cache: s.cfg.Cache})
	if err != nil {
		s.reject(c, st, err)
		return
	}
	if !res.Replay {
		if res, err = s.propose(c, env); err != nil {
			s.reject(c, st, err)
			return
		}
	}
	s.pushes.WithLabelValues(res.Registry, outcome(res), "").Inc()
	httpx.JSON(c, 200, PushResponse{
		Registry: res.Registry, Seq: res.Seq, Hash: res.Hash, Index: res.Index,
		RecordedAt: res.RecordedAt, Ops: res.Ops, Replay: res.Replay,
	})
}

func outcome(r *trustlist.Result) string {
	if r.Replay {
		return "replay"
	}
	return "accepted"
}

// propose writes the push to the log and returns what the FSM made of it.
func (s *Service) propose(c *gin.Context, env trustlist.Envelope) (*trustlist.Result, error) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.ApplyTimeout)
	defer cancel()
	resp, _, err := s.cfg.Node.Apply(ctx, command.EncodePush(env))
	if err != nil {
		return nil, s.consensusError(err)
	}
	switch r := resp.(type) {
	case *trustlist.Result:
		return r, nil
	case error:
		return nil, r
	}
	return nil, httpx.Errorf(500, "INTERNAL", "unexpected apply response %T", resp)
}

func (s *Service) consensusError(err error) error {
	switch {
	case errors.Is(err, federation.ErrNotLeader):
		addr, _ := s.cfg.Node.Leader()
		e := httpx.Wrap(503, "NOT_LEADER", "this node is not the leader; retry (the leader is at "+orNone(addr)+")", err)
		e.RetryAfter = time.Second
		return e
	case errors.Is(err, federation.ErrUnknownOutcome):
		e := httpx.Wrap(503, "OUTCOME_UNKNOWN", "the push may or may not have been accepted: send the same bytes again, it is idempotent", err)
		e.RetryAfter = time.Second
		return e
	case errors.Is(err, federation.ErrShutdown):
		e := httpx.Wrap(503, "SHUTTING_DOWN", "this node is shutting down; retry on another", err)
		e.RetryAfter = time.Second
		return e
	}
	return httpx.Wrap(500, "INTERNAL", "the push could not be written to the log", err)
}

func orNone(s string) string {
	if s == "" {
		return "unknown: no leader"
	}
	return s
}

// reject renders a rejection (or passes another error through) and counts it.
func (s *Service) reject(c *gin.Context, st *trustlist.State, err error) {
	var rj *trustlist.Rejection
	if errors.As(err, &rj) {
		he := httpx.Wrap(rj.Kind().HTTPStatus(), string(rj.Code), rejectionMessage(rj), err)
		if rj.Op >= 0 {
			he.Details = map[string]int{"op": rj.Op} // the index of the op at fault in the push's ops
		}
		err = he
		s.log.Info("push rejected", "code", rj.Code, "op", rj.Op, "request_id", httpx.RequestIDFrom(c.Request.Context()), "msg", rj.Message)
	}
	reg := "unknown"
	if id := registryOf(c); id != "" {
		if _, ok := st.Registry(id); ok {
			reg = id
		}
	}
	s.countAs(reg, err)
	httpx.Fail(c, err)
}

func rejectionMessage(r *trustlist.Rejection) string {
	if r.Op >= 0 {
		return "op " + strconv.Itoa(r.Op) + ": " + r.Message
	}
	return r.Message
}

func (s *Service) countAs(reg string, err error) {
	code, out := "INTERNAL", "failed"
	var he *httpx.Error
	if errors.As(err, &he) {
		code = he.Code
		if he.Status < 500 {
			out = "rejected"
		}
	}
	s.pushes.WithLabelValues(reg, out, code).Inc()
}
