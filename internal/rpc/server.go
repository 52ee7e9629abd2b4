// Package rpc is the internal API between nodes and from operators, carried on each node's cluster
// port (federation/transport's KindRPC connections, mutual TLS in production): joining, removal and
// leadership transfer, node stats for the leader's autopilot, read indexes for linearizable reads on
// followers, snapshot save and restore, and the public /v1 routes a follower forwards to the leader.
//
// Only holders of a certificate from the cluster CA reach it; it has no other authentication.
package rpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/sealhub/sealhub/federation"
	"github.com/sealhub/sealhub/internal/httpx"
	"github.com/sealhub/sealhub/trustlist"
)

// Routes.
const (
	PathStats     = "/internal/v1/stats"
	PathJoin      = "/internal/v1/join"
	PathRemove    = "/internal/v1/remove"
	PathTransfer  = "/internal/v1/transfer-leadership"
	PathReadIndex = "/internal/v1/read-index"
	PathSnapshot  = "/internal/v1/snapshot"
	PathCluster   = "/internal/v1/cluster"
	PathIdentity  = "/internal/v1/identity"
)

// HeaderForwarded marks a request a follower forwarded to the leader; a node that gets one and is
// not the leader answers 503 instead of forwarding again.
const HeaderForwarded = "X-Sealhub-Forwarded-By"

// MaxSnapshotBytes bounds an uploaded snapshot (restore).
const MaxSnapshotBytes = 16 << 30

// Server answers the internal API of one node.
type Server struct {
	Node      *federation.Node
	State     func() *trustlist.State
	Autopilot *federation.Autopilot // nil: no health in status answers
	Public    http.Handler          // the node's public API, for forwarded /v1 requests
	Client    *Client               // to reach the leader
	Logger    *slog.Logger
	TempDir   string // where an uploaded snapshot is kept while it is restored
	// Identity is the node's ID and receipt key, for GET /v1/nodes on any node; nil: not served.
	Identity *Identity
}

// Identity is a node's ID and the public key its verification receipts are signed with.
type Identity struct {
	ID        string `json:"id"`
	KeyID     string `json:"key_id"`
	PublicKey []byte `json:"public_key"` // uncompressed SM2 point 04‖X‖Y
}

// JoinRequest asks the leader to add a node.
type JoinRequest struct {
	ID      string `json:"id"`
	Address string `json:"address"` // the joining node's cluster (raft) address
}

// JoinResponse tells what the leader did.
type JoinResponse struct {
	Changed bool   `json:"changed"`
	Leader  string `json:"leader"`
}

// IDRequest names a server.
type IDRequest struct {
	ID string `json:"id"`
}

// ReadIndexResponse carries a read index.
type ReadIndexResponse struct {
	Index  uint64 `json:"index"`
	Leader string `json:"leader"`
}

// ClusterStatus is the leader's view of the cluster.
type ClusterStatus struct {
	Leader           string         `json:"leader"`
	LeaderAddress    string         `json:"leader_address"`
	Term             string         `json:"term"`
	CommitIndex      uint64         `json:"commit_index"`
	ConfigIndex      uint64         `json:"configuration_index"`
	Healthy          *bool          `json:"healthy,omitempty"`
	FailureTolerance *int           `json:"failure_tolerance,omitempty"`
	Servers          []ServerStatus `json:"servers"`
	AnsweredBy       string         `json:"answered_by"`
	StateIndex       uint64         `json:"state_index"`
	Digest           string         `json:"digest,omitempty"`
}

// ServerStatus is one server in ClusterStatus.
type ServerStatus struct {
	federation.Server
	Healthy     *bool      `json:"healthy,omitempty"`
	StableSince *time.Time `json:"stable_since,omitempty"`
	LastContact string     `json:"last_contact,omitempty"`
	LastIndex   uint64     `json:"last_index,omitempty"`
}

// Handler is the internal API.
func (s *Server) Handler() (http.Handler, error) {
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	e, err := httpx.New(httpx.Options{Logger: s.Logger.With("api", "internal")})
	if err != nil {
		return nil, err
	}
	e.GET(PathStats, func(c *gin.Context) { httpx.JSON(c, 200, s.Node.LocalStats()) })
	e.GET(PathCluster, s.Cluster)
	if s.Identity != nil {
		e.GET(PathIdentity, func(c *gin.Context) { httpx.JSON(c, 200, s.Identity) })
	}
	e.POST(PathJoin, s.leaderOnly(s.join))
	e.POST(PathRemove, s.leaderOnly(s.remove))
	e.POST(PathTransfer, s.leaderOnly(s.transfer))
	e.GET(PathReadIndex, s.leaderOnly(s.readIndex))
	e.GET(PathSnapshot, s.saveSnapshot)
	e.POST(PathSnapshot, s.leaderOnly(s.restoreSnapshot))
	if s.Public != nil {
		e.Any("/v1/*path", gin.WrapH(s.Public))
	}
	return e, nil
}

// leaderOnly runs h on the leader, and forwards to the leader (one hop) elsewhere.
func (s *Server) leaderOnly(h gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.Node.IsLeader() {
			h(c)
			return
		}
		addr, id := s.Node.Leader()
		if addr == "" || c.GetHeader(HeaderForwarded) != "" || s.Client == nil {
			httpx.Fail(c, Error(fmt.Errorf("%w (leader: %s)", federation.ErrNotLeader, orNone(id))))
			return
		}
		s.Client.Proxy(c.Writer, c.Request, addr, s.Node.ID())
	}
}

func (s *Server) join(c *gin.Context) {
	var req JoinRequest
	if err := c.ShouldBindJSON(&req); err != nil || req.ID == "" || req.Address == "" {
		httpx.Fail(c, httpx.Errorf(400, "BAD_REQUEST", "a join needs {\"id\", \"address\"}"))
		return
	}
	changed, err := s.Node.Join(c.Request.Context(), req.ID, req.Address)
	if err != nil {
		httpx.Fail(c, Error(err))
		return
	}
	httpx.JSON(c, 200, JoinResponse{Changed: changed, Leader: s.Node.ID()})
}

func (s *Server) remove(c *gin.Context) {
	var req IDRequest
	if err := c.ShouldBindJSON(&req); err != nil || req.ID == "" {
		httpx.Fail(c, httpx.Errorf(400, "BAD_REQUEST", "a removal needs {\"id\"}"))
		return
	}
	if err := s.Node.Remove(c.Request.Context(), req.ID); err != nil {
		httpx.Fail(c, Error(err))
		return
	}
	httpx.JSON(c, 200, gin.H{"removed": req.ID})
}

func (s *Server) transfer(c *gin.Context) {
	var req IDRequest
	if c.Request.ContentLength != 0 {
		if err := c.ShouldBindJSON(&req); err != nil {
			httpx.Fail(c, httpx.Errorf(400, "BAD_REQUEST", "a transfer takes {\"id\"} or nothing"))
			return
		}
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 30*time.Second)
	defer cancel()
	if err := s.Node.TransferLeadership(ctx, req.ID); err != nil {
		httpx.Fail(c, Error(err))
		return
	}
	_, id := s.Node.Leader()
	httpx.JSON(c, 200, gin.H{"previous": s.Node.ID(), "leader": id})
}

func (s *Server) readIndex(c *gin.Context) {
	idx, err := s.Node.ReadIndex(c.Request.Context())
	if err != nil {
		httpx.Fail(c, Error(err))
		return
	}
	httpx.JSON(c, 200, ReadIndexResponse{Index: idx, Leader: s.Node.ID()})
}

// Cluster answers the leader's view (also served as the public GET /v1/cluster); a follower asks
// the leader when it can and otherwise answers its own view (without health).
func (s *Server) Cluster(c *gin.Context) {
	if !s.Node.IsLeader() && c.GetHeader(HeaderForwarded) == "" && s.Client != nil {
		if addr, _ := s.Node.Leader(); addr != "" {
			var st ClusterStatus
			ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
			defer cancel()
			if err := s.Client.get(ctx, addr, PathCluster, &st, s.Node.ID()); err == nil {
				httpx.JSON(c, 200, st)
				return
			}
		}
	}
	st, err := s.Status()
	if err != nil {
		httpx.Fail(c, Error(err))
		return
	}
	httpx.JSON(c, 200, st)
}

// Status is this node's view of the cluster, with autopilot's health when it leads.
func (s *Server) Status() (*ClusterStatus, error) {
	servers, cidx, err := s.Node.Servers()
	if err != nil {
		return nil, err
	}
	addr, id := s.Node.Leader()
	state := s.State()
	out := &ClusterStatus{Leader: id, LeaderAddress: addr, Term: s.Node.Stats()["term"], CommitIndex: s.Node.CommitIndex(),
		ConfigIndex: cidx, AnsweredBy: s.Node.ID(), StateIndex: state.Index()}
	var health map[string]federation.Health
	if s.Autopilot != nil && s.Node.IsLeader() {
		if ok, ft, h, have := s.Autopilot.ClusterHealth(); have {
			out.Healthy, out.FailureTolerance, health = &ok, &ft, h
		}
	}
	for _, sv := range servers {
		ss := ServerStatus{Server: sv}
		if h, ok := health[sv.ID]; ok {
			ss.Healthy, ss.LastIndex = &h.Healthy, h.LastIndex
			if !h.StableSince.IsZero() {
				t := h.StableSince.UTC()
				ss.StableSince = &t
			}
			ss.LastContact = h.LastContact.String()
		}
		out.Servers = append(out.Servers, ss)
	}
	return out, nil
}

// saveSnapshot streams this node's current trust list (any node: the state is consistent at its
// index, given in X-Sealhub-Index with its digest in X-Sealhub-Digest).
func (s *Server) saveSnapshot(c *gin.Context) {
	st := s.State()
	c.Header("Content-Type", "application/octet-stream")
	c.Header("X-Sealhub-Index", strconv.FormatUint(st.Index(), 10))
	c.Header("X-Sealhub-Digest", st.Digest())
	c.Header("X-Sealhub-Seals", strconv.Itoa(st.SealCount()))
	c.Status(200)
	if err := federation.WriteSnapshot(c.Writer, st); err != nil {
		s.Logger.Error("snapshot download failed", "err", err)
		c.Abort()
	}
}

func (s *Server) restoreSnapshot(c *gin.Context) {
	f, err := os.CreateTemp(s.TempDir, "restore-*.snap")
	if err != nil {
		httpx.Fail(c, httpx.Wrap(500, "INTERNAL", "cannot keep the uploaded snapshot", err))
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()
	n, err := io.Copy(f, http.MaxBytesReader(c.Writer, c.Request.Body, MaxSnapshotBytes))
	if err != nil {
		httpx.Fail(c, httpx.Wrap(400, "BAD_SNAPSHOT", "the snapshot upload failed", err))
		return
	}
	if err := f.Sync(); err != nil {
		httpx.Fail(c, httpx.Wrap(500, "INTERNAL", "cannot keep the uploaded snapshot", err))
		return
	}
	cur := s.State()
	idx, err := s.Node.RestoreSnapshot(c.Request.Context(), f.Name(), c.Query("force") == "true", cur.Index(), cur.Initialized())
	if err != nil {
		httpx.Fail(c, Error(err))
		return
	}
	st := s.State()
	s.Logger.Warn("cluster state restored from an uploaded snapshot", "bytes", n, "index", idx, "seals", st.SealCount())
	httpx.JSON(c, 200, gin.H{"index": idx, "digest": st.Digest(), "seals": st.SealCount()})
}

// Error maps federation errors onto API errors with stable codes.
func Error(err error) error {
	retry := func(e *httpx.Error) *httpx.Error { e.RetryAfter = time.Second; return e }
	if he, ok := errors.AsType[*httpx.Error](err); ok {
		return he
	}
	switch {
	case errors.Is(err, federation.ErrNotLeader):
		return retry(httpx.Wrap(503, "NOT_LEADER", "this node is not the leader and could not forward; retry", err))
	case errors.Is(err, federation.ErrNoLeader):
		return retry(httpx.Wrap(503, "NO_LEADER", "the cluster has no leader; retry", err))
	case errors.Is(err, federation.ErrStaleRead):
		return retry(httpx.Wrap(503, "STALE_READ", "this node could not catch up with the leader in time", err))
	case errors.Is(err, federation.ErrShutdown):
		return retry(httpx.Wrap(503, "SHUTTING_DOWN", "this node is shutting down; retry on another", err))
	case errors.Is(err, federation.ErrUnknownOutcome):
		return retry(httpx.Wrap(503, "OUTCOME_UNKNOWN", "the change may or may not have been made; check the cluster status", err))
	case errors.Is(err, federation.ErrEnqueueTimeout):
		return retry(httpx.Wrap(503, "BUSY", "the leader did not accept the change in time; retry", err))
	case errors.Is(err, federation.ErrUnknownServer):
		return httpx.Wrap(404, "UNKNOWN_SERVER", err.Error(), err)
	case errors.Is(err, federation.ErrLastVoter):
		return httpx.Wrap(409, "LAST_VOTER", err.Error(), err)
	case errors.Is(err, federation.ErrNotFresh):
		return httpx.Wrap(409, "CLUSTER_NOT_FRESH", err.Error(), err)
	case errors.Is(err, trustlist.ErrEncoding):
		return httpx.Wrap(400, "BAD_SNAPSHOT", "the snapshot is damaged or not a sealhub snapshot: "+err.Error(), err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return retry(httpx.Wrap(503, "TIMEOUT", "the operation did not finish in time", err))
	}
	return httpx.Wrap(500, "INTERNAL", err.Error(), err)
}

func orNone(s string) string {
	if s == "" {
		return "none known"
	}
	return s
}
