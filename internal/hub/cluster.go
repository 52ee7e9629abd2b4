package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/sealhub/sealhub/federation"
	"github.com/sealhub/sealhub/internal/httpx"
	"github.com/sealhub/sealhub/internal/rpc"
	"github.com/sealhub/sealhub/trustlist"
)

// Read consistency levels (?consistency=).
const (
	// ConsistencyStale answers from the local state whatever its age.
	ConsistencyStale = "stale"
	// ConsistencyDefault answers from the local state when the leader was heard from within the
	// staleness bound (?max_stale=, else Config.MaxStale); otherwise refused or flagged
	// (Config.StaleReads).
	ConsistencyDefault = "default"
	// ConsistencyLinearizable answers from a state that includes every write acknowledged before the
	// request arrived: the leader's commit index, proven current by a heartbeat round, applied here.
	ConsistencyLinearizable = "linearizable"
)

// Response headers on every answer.
const (
	HeaderIndex       = "X-Sealhub-Index"        // index of the trust list the answer was read from
	HeaderLastContact = "X-Sealhub-Last-Contact" // ms since this node heard from the leader; 0 on the leader, -1 never
	HeaderLeader      = "X-Sealhub-Leader"       // the leader's node ID, empty when none is known
	HeaderStale       = "X-Sealhub-Stale"        // "true" when a default read exceeded its bound and StaleReads is "flag"
	HeaderConsistency = "X-Sealhub-Consistency"  // the level the read was served at
)

// nodeIDFile keeps a node's ID in its data directory: the ID is chosen once and never derived from
// an address.
const nodeIDFile = "node-id"

// resolveNodeID returns the node's stable ID: the configured one (which must match a stored one),
// else the stored one, else a new random one, stored.
func resolveNodeID(dir, configured string) (string, error) {
	path := filepath.Join(dir, nodeIDFile)
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		stored := strings.TrimSpace(string(data))
		if configured != "" && configured != stored {
			return "", fmt.Errorf("node id %q does not match %q stored in %s: a data directory belongs to one node", configured, stored, path)
		}
		return stored, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", err
	}
	id := configured
	if id == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		id = "node-" + hex.EncodeToString(b)
	}
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("store node id: %w", err)
	}
	return id, nil
}

// joinOrBootstrap runs on a node that opened on fresh state: it asks the join addresses to add it
// (any member forwards to the leader) until one succeeds. If none has a cluster to join and the
// node may bootstrap, it bootstraps after JoinAttempts rounds — so a bootstrap node that was
// rebuilt rejoins its cluster instead of founding a second one.
func (h *Hub) joinOrBootstrap() {
	defer h.wg.Done()
	backoff := 500 * time.Millisecond
	for round := 1; ; round++ {
		for _, addr := range h.cfg.Join {
			if addr == h.Node.Addr() {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), rpc.JoinTimeout)
			res, err := h.rpcClient.Join(ctx, addr, h.Node.ID(), h.Node.Addr())
			cancel()
			if err == nil {
				h.log.Info("joined the cluster", "via", addr, "leader", res.Leader, "changed", res.Changed)
				return
			}
			h.log.Warn("join attempt failed", "via", addr, "round", round, "err", err)
			if h.stopped() {
				return
			}
		}
		if h.stopped() || h.Node.OtherVoters() > 0 || h.leaderKnown() {
			if !h.stopped() {
				h.log.Info("this node was added to a cluster while trying to join")
			}
			return
		}
		if h.cfg.Bootstrap && (round >= h.cfg.JoinAttempts || len(h.cfg.Join) == 0) {
			if err := h.Node.Bootstrap(); err != nil {
				h.log.Error("bootstrap failed", "err", err)
				return
			}
			h.log.Info("no cluster answered; bootstrapped a new one", "join", h.cfg.Join, "rounds", round)
			return
		}
		select {
		case <-h.stop:
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func (h *Hub) stopped() bool {
	select {
	case <-h.stop:
		return true
	default:
		return false
	}
}

func (h *Hub) leaderKnown() bool { addr, _ := h.Node.Leader(); return addr != "" }

// headers sets the cluster headers on every answer (reads overwrite the index with the pinned state's).
func (h *Hub) headers(c *gin.Context) {
	hd := c.Writer.Header()
	hd.Set(HeaderIndex, strconv.FormatUint(h.FSM.State().Index(), 10))
	lc := h.Node.LastContact()
	if lc == federation.NeverContacted {
		hd.Set(HeaderLastContact, "-1")
	} else {
		hd.Set(HeaderLastContact, strconv.FormatInt(lc.Milliseconds(), 10))
	}
	_, id := h.Node.Leader()
	hd.Set(HeaderLeader, id)
	c.Next()
}

// consistency serves a read at the requested level, pinning the state it checked.
func (h *Hub) consistency(c *gin.Context) {
	level := c.DefaultQuery("consistency", ConsistencyDefault)
	switch level {
	case ConsistencyStale:
	case ConsistencyDefault:
		bound := h.cfg.MaxStale
		if q := c.Query("max_stale"); q != "" {
			d, err := parseStale(q)
			if err != nil {
				httpx.Fail(c, httpx.Errorf(400, "MAX_STALE_INVALID", "max_stale=%q: give a duration such as 500ms or 2s", q))
				c.Abort()
				return
			}
			bound = d
		}
		var why string
		if loading, state := h.loading(); loading {
			// Recent contact says nothing while the node re-applies its own log after a start.
			why = fmt.Sprintf("this node is still %s since it started: retry on another node, or ask with consistency=stale", state)
		} else if lc := h.Node.LastContact(); lc > bound {
			why = fmt.Sprintf("this node's copy may be stale: time since it last heard from the leader: %s, beyond the %s bound: retry on another node, raise max_stale, or ask with consistency=stale", ageText(lc), bound)
		}
		if why != "" {
			if h.cfg.StaleReads == StaleFlag {
				c.Header(HeaderStale, "true")
				break
			}
			e := httpx.Errorf(503, "STALE_READ", "%s", why)
			e.RetryAfter = time.Second
			httpx.Fail(c, e)
			c.Abort()
			return
		}
	case ConsistencyLinearizable:
		if err := h.linearize(c.Request.Context()); err != nil {
			httpx.Fail(c, rpc.Error(err))
			c.Abort()
			return
		}
	default:
		httpx.Fail(c, httpx.Errorf(400, "CONSISTENCY_INVALID", "consistency=%q: use stale, default or linearizable", level))
		c.Abort()
		return
	}
	st := h.FSM.State()
	c.Header(HeaderIndex, strconv.FormatUint(st.Index(), 10))
	c.Header(HeaderConsistency, level)
	c.Request = c.Request.WithContext(trustlist.WithState(c.Request.Context(), st))
	c.Next()
}

// linearize waits until this node's state includes every write committed before now.
func (h *Hub) linearize(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.ReadTimeout)
	defer cancel()
	var idx uint64
	var err error
	if h.Node.IsLeader() {
		if !h.Node.Established() {
			return fmt.Errorf("%w: the leader is still establishing its term", federation.ErrNotLeader)
		}
		idx, err = h.Node.ReadIndex(ctx)
	} else {
		addr, _ := h.Node.Leader()
		if addr == "" {
			return federation.ErrNoLeader
		}
		idx, err = h.rpcClient.ReadIndex(ctx, addr, h.Node.ID())
		if err != nil {
			e := httpx.Wrap(503, "LEADER_UNREACHABLE", "this node could not get a read index from the leader for a linearizable read; retry", err)
			e.RetryAfter = time.Second
			return e
		}
	}
	if err != nil {
		return err
	}
	return h.Node.WaitApplied(ctx, idx)
}

// forward sends a write that reached a follower to the leader over the cluster port.
func (h *Hub) forward(c *gin.Context) {
	if h.Node.IsLeader() {
		c.Next()
		return
	}
	addr, id := h.Node.Leader()
	if c.GetHeader(rpc.HeaderForwarded) != "" || addr == "" {
		e := httpx.Errorf(503, "NOT_LEADER", "this node is not the leader and no leader is known (leader: %q); retry", id)
		if addr == "" {
			e.Code = "NO_LEADER"
			e.Message = "the cluster has no leader at the moment; retry"
		}
		e.RetryAfter = time.Second
		httpx.Fail(c, e)
		c.Abort()
		return
	}
	h.forwarded.Inc()
	h.rpcClient.Proxy(c.Writer, c.Request, addr, h.Node.ID())
	c.Abort()
}

func parseStale(q string) (time.Duration, error) {
	if s, err := strconv.ParseFloat(q, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(q)
	if err != nil || d < 0 {
		return 0, errors.New("bad duration")
	}
	return d, nil
}

func ageText(d time.Duration) string {
	if d == federation.NeverContacted {
		return "not yet (since it started)"
	}
	return d.Round(time.Millisecond).String()
}
