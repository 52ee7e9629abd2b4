package federation

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	autopilot "github.com/hashicorp/raft-autopilot"
)

// Autopilot settings (hashicorp/raft-autopilot, the library Consul, Nomad and Vault share). A
// non-voter is promoted once it has been healthy — heard from the leader within
// LastContactThreshold, on the leader's term, at most MaxTrailingLogs behind — for
// StabilizationTime. Dead servers are never removed automatically: removal is an operator's
// decision (`sealhub cluster remove`).
type AutopilotConfig struct {
	LastContactThreshold time.Duration // default 500ms
	MaxTrailingLogs      uint64        // default 250
	StabilizationTime    time.Duration // default 10s
	UpdateInterval       time.Duration // how often server health is gathered; default 1s
	ReconcileInterval    time.Duration // how often promotions are considered; default 2s
}

// SetDefaults fills zero values.
func (c *AutopilotConfig) SetDefaults() {
	setDefault(&c.LastContactThreshold, 500*time.Millisecond)
	setDefault(&c.MaxTrailingLogs, 250)
	setDefault(&c.StabilizationTime, 10*time.Second)
	setDefault(&c.UpdateInterval, time.Second)
	setDefault(&c.ReconcileInterval, 2*time.Second)
}

// ServerStats is what each node reports about itself to the leader's autopilot.
type ServerStats struct {
	ID           string        `json:"id"`
	LastContact  time.Duration `json:"last_contact_ns"` // -1: never contacted
	LastTerm     uint64        `json:"last_term"`
	LastIndex    uint64        `json:"last_index"`
	AppliedIndex uint64        `json:"applied_index"`
	CommitIndex  uint64        `json:"commit_index"`
	State        string        `json:"state"`
}

// LocalStats reports this node's raft progress.
func (n *Node) LocalStats() ServerStats {
	st := n.raft.Stats()
	term, _ := strconv.ParseUint(st["last_log_term"], 10, 64)
	contact := n.LastContact()
	if contact == NeverContacted {
		contact = -1
	}
	s := ServerStats{ID: n.cfg.NodeID, LastContact: contact, LastTerm: term, LastIndex: n.raft.LastIndex(),
		CommitIndex: n.raft.CommitIndex(), State: n.raft.State().String()}
	if f, ok := n.fsm.(AppliedFSM); ok {
		s.AppliedIndex = f.LastApplied()
	}
	return s
}

// StatsFetcher asks the node at addr for its ServerStats (over the internal RPC channel).
type StatsFetcher func(ctx context.Context, id, addr string) (ServerStats, error)

// Autopilot runs raft-autopilot on this node while it leads. Start and Stop follow leadership.
type Autopilot struct {
	n     *Node
	cfg   AutopilotConfig
	fetch StatsFetcher
	ap    *autopilot.Autopilot

	mu     sync.Mutex
	cancel context.CancelFunc
}

// NewAutopilot prepares autopilot for n; fetch reaches the other nodes.
func (n *Node) NewAutopilot(cfg AutopilotConfig, fetch StatsFetcher) *Autopilot {
	cfg.SetDefaults()
	a := &Autopilot{n: n, cfg: cfg, fetch: fetch}
	a.ap = autopilot.New(lockedRaft{Raft: n.raft, mu: &n.member}, &apDelegate{a: a},
		autopilot.WithLogger(newHCLog(n.cfg.Logger.With("component", "autopilot"))),
		autopilot.WithUpdateInterval(cfg.UpdateInterval),
		autopilot.WithReconcileInterval(cfg.ReconcileInterval),
		autopilot.WithPromoter(&oddPromoter{}))
	return a
}

// Start begins promoting and health tracking (call on gaining leadership); idempotent.
func (a *Autopilot) Start() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	a.ap.Start(ctx)
}

// Stop ends autopilot (on losing leadership or closing) and waits for it; idempotent.
func (a *Autopilot) Stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cancel == nil {
		return
	}
	a.cancel()
	<-a.ap.Stop()
	a.cancel = nil
}

// Health is the leader's view of one server.
type Health struct {
	Healthy     bool          `json:"healthy"`
	StableSince time.Time     `json:"stable_since,omitzero"`
	LastContact time.Duration `json:"last_contact_ns"`
	LastIndex   uint64        `json:"last_index"`
	LastTerm    uint64        `json:"last_term"`
}

// ClusterHealth is autopilot's latest state, or ok=false when it has none (not the leader, or just
// started).
func (a *Autopilot) ClusterHealth() (healthy bool, failureTolerance int, servers map[string]Health, ok bool) {
	st := a.ap.GetState()
	if st == nil {
		return false, 0, nil, false
	}
	servers = make(map[string]Health, len(st.Servers))
	for id, s := range st.Servers {
		servers[string(id)] = Health{Healthy: s.Health.Healthy, StableSince: s.Health.StableSince,
			LastContact: s.Stats.LastContact, LastIndex: s.Stats.LastIndex, LastTerm: s.Stats.LastTerm}
	}
	return st.Healthy, st.FailureTolerance, servers, true
}

type apDelegate struct{ a *Autopilot }

func (d *apDelegate) AutopilotConfig() *autopilot.Config {
	c := d.a.cfg
	return &autopilot.Config{
		CleanupDeadServers:      false,
		LastContactThreshold:    c.LastContactThreshold,
		MaxTrailingLogs:         c.MaxTrailingLogs,
		ServerStabilizationTime: c.StabilizationTime,
	}
}

func (d *apDelegate) NotifyState(*autopilot.State) {}

// KnownServers are the servers of the raft configuration. sealhub has no gossip layer, so every
// member counts as alive and its health comes from the stats it answers with.
func (d *apDelegate) KnownServers() map[raft.ServerID]*autopilot.Server {
	servers, _, err := d.a.n.configuration()
	if err != nil {
		return nil
	}
	_, leader := d.a.n.Leader()
	out := make(map[raft.ServerID]*autopilot.Server, len(servers))
	for _, s := range servers {
		out[s.ID] = &autopilot.Server{ID: s.ID, Name: string(s.ID), Address: s.Address, NodeStatus: autopilot.NodeAlive,
			RaftVersion: raft.ProtocolVersionMax, IsLeader: string(s.ID) == leader, NodeType: autopilot.NodeVoter}
	}
	return out
}

func (d *apDelegate) FetchServerStats(ctx context.Context, servers map[raft.ServerID]*autopilot.Server) map[raft.ServerID]*autopilot.ServerStats {
	out := make(map[raft.ServerID]*autopilot.ServerStats, len(servers))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for id, s := range servers {
		if string(id) == d.a.n.cfg.NodeID {
			st := d.a.n.LocalStats()
			mu.Lock()
			out[id] = &autopilot.ServerStats{LastContact: 0, LastTerm: st.LastTerm, LastIndex: st.LastIndex}
			mu.Unlock()
			continue
		}
		if d.a.fetch == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := d.a.fetch(ctx, string(id), string(s.Address))
			if err != nil {
				d.a.n.log.Debug("autopilot could not reach a server", "id", id, "addr", s.Address, "err", err)
				return
			}
			mu.Lock()
			out[id] = &autopilot.ServerStats{LastContact: st.LastContact, LastTerm: st.LastTerm, LastIndex: st.LastIndex}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

func (d *apDelegate) RemoveFailedServer(*autopilot.Server) {} // never: CleanupDeadServers is off

// oddPromoter is autopilot's stable promoter that never leaves an even number of voters behind: a
// single stable non-voter next to an odd voter set waits for a second one (an even set tolerates no
// more failures than the odd set below it, and needs a larger quorum).
type oddPromoter struct{ autopilot.StablePromoter }

func (p *oddPromoter) CalculatePromotionsAndDemotions(c *autopilot.Config, s *autopilot.State) autopilot.RaftChanges {
	ch := p.StablePromoter.CalculatePromotionsAndDemotions(c, s)
	slices.Sort(ch.Promotions)
	if (len(s.Voters)+len(ch.Promotions))%2 == 0 && len(ch.Promotions) > 0 {
		ch.Promotions = ch.Promotions[:len(ch.Promotions)-1]
	}
	return ch
}

// lockedRaft makes autopilot's configuration changes take the node's membership lock, so they never
// interleave with a join or a removal made through this node.
type lockedRaft struct {
	*raft.Raft
	mu *sync.Mutex
}

func (r lockedRaft) AddVoter(id raft.ServerID, addr raft.ServerAddress, prev uint64, timeout time.Duration) raft.IndexFuture {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.Raft.AddVoter(id, addr, prev, timeout)
	_ = f.Error()
	return f
}

func (r lockedRaft) DemoteVoter(id raft.ServerID, prev uint64, timeout time.Duration) raft.IndexFuture {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.Raft.DemoteVoter(id, prev, timeout)
	_ = f.Error()
	return f
}

func (r lockedRaft) RemoveServer(id raft.ServerID, prev uint64, timeout time.Duration) raft.IndexFuture {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.Raft.RemoveServer(id, prev, timeout)
	_ = f.Error()
	return f
}
