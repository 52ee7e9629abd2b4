package federation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/hashicorp/raft"
	"github.com/sealhub/sealhub/federation/command"
)

// Membership and read consistency. Every configuration change goes through the leader, one at a
// time (Node.member serialises them here, and raft's prevIndex compare-and-set refuses a change
// based on a configuration that has moved on), and new servers join as non-voters: autopilot
// promotes them once they have caught up and stayed healthy (autopilot.go).

// Membership errors.
var (
	// ErrUnknownServer means the server ID is not in the configuration.
	ErrUnknownServer = errors.New("federation: no such server in the configuration")
	// ErrLastVoter means the change would leave the cluster without a voter.
	ErrLastVoter = errors.New("federation: refusing to remove the last voter")
	// ErrStaleRead means a read could not be proven current within its deadline.
	ErrStaleRead = errors.New("federation: read index not reached")
)

// Server is one member of the raft configuration.
type Server struct {
	ID      string `json:"id"`
	Address string `json:"address"`
	Voter   bool   `json:"voter"`
	Leader  bool   `json:"leader"`
}

// Servers returns the latest raft configuration, sorted by ID, and its index.
func (n *Node) Servers() ([]Server, uint64, error) {
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, 0, fmt.Errorf("federation: configuration: %w", err)
	}
	_, leaderID := n.Leader()
	var out []Server
	for _, s := range f.Configuration().Servers {
		out = append(out, Server{ID: string(s.ID), Address: string(s.Address), Voter: s.Suffrage == raft.Voter, Leader: string(s.ID) == leaderID})
	}
	slices.SortFunc(out, func(a, b Server) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out, f.Index(), nil
}

// Existing reports whether the data directory held raft state when the node opened.
func (n *Node) Existing() bool { return n.existing }

// Bootstrap makes a one-voter cluster of this node. It refuses (raft.ErrCantBootstrap) when the node
// has any raft state, so a cluster is bootstrapped at most once per data directory.
func (n *Node) Bootstrap() error {
	if err := n.bootstrap(); err != nil {
		return fmt.Errorf("federation: %w", err)
	}
	return nil
}

// Join adds the server id at addr as a non-voter (leader only). It is idempotent: a member with the
// same ID and address is left alone; a member with the same ID at a new address keeps its suffrage
// and gets the new address; another member holding the address under a different ID is removed
// first (a rebuilt machine). It returns whether the configuration changed.
func (n *Node) Join(ctx context.Context, id, addr string) (changed bool, err error) {
	if id == "" || addr == "" {
		return false, errors.New("federation: join: server id and address are required")
	}
	n.member.Lock()
	defer n.member.Unlock()
	if !n.IsLeader() {
		return false, fmt.Errorf("federation: join: %w", ErrNotLeader)
	}
	servers, idx, err := n.configuration()
	if err != nil {
		return false, err
	}
	for _, s := range servers {
		switch {
		case string(s.ID) == id && string(s.Address) == addr:
			return false, nil
		case string(s.ID) != id && string(s.Address) == addr:
			n.log.Warn("removing a server whose address a joining node now holds", "old_id", s.ID, "new_id", id, "addr", addr)
			if idx, err = n.change(ctx, n.raft.RemoveServer(s.ID, idx, n.cfg.ApplyTimeout)); err != nil {
				return true, fmt.Errorf("federation: join: remove %s: %w", s.ID, err)
			}
		case string(s.ID) == id && s.Suffrage == raft.Voter:
			_, err := n.change(ctx, n.raft.AddVoter(s.ID, raft.ServerAddress(addr), idx, n.cfg.ApplyTimeout))
			if err != nil {
				return true, fmt.Errorf("federation: join: update address of %s: %w", id, err)
			}
			n.log.Info("voter changed address", "id", id, "addr", addr)
			return true, nil
		}
	}
	if _, err := n.change(ctx, n.raft.AddNonvoter(raft.ServerID(id), raft.ServerAddress(addr), idx, n.cfg.ApplyTimeout)); err != nil {
		return true, fmt.Errorf("federation: join %s: %w", id, err)
	}
	n.log.Info("server joined as a non-voter", "id", id, "addr", addr)
	return true, nil
}

// Remove takes server id out of the configuration (leader only). Removing the leader itself hands
// leadership over first. Removing the last voter is refused.
func (n *Node) Remove(ctx context.Context, id string) error {
	n.member.Lock()
	defer n.member.Unlock()
	if !n.IsLeader() {
		return fmt.Errorf("federation: remove: %w", ErrNotLeader)
	}
	servers, idx, err := n.configuration()
	if err != nil {
		return err
	}
	found, voters := false, 0
	for _, s := range servers {
		if s.Suffrage == raft.Voter {
			voters++
		}
		if string(s.ID) == id {
			found = true
		}
	}
	if !found {
		return fmt.Errorf("federation: remove %q: %w", id, ErrUnknownServer)
	}
	if id == n.cfg.NodeID && voters <= 1 {
		return fmt.Errorf("federation: remove %q: %w", id, ErrLastVoter)
	}
	if _, err := n.change(ctx, n.raft.RemoveServer(raft.ServerID(id), idx, n.cfg.ApplyTimeout)); err != nil {
		return fmt.Errorf("federation: remove %q: %w", id, err)
	}
	n.log.Info("server removed from the cluster", "id", id)
	return nil
}

// TransferLeadership hands leadership to server id, or to the most up-to-date voter when id is
// empty (leader only), and waits until it is done or ctx ends.
func (n *Node) TransferLeadership(ctx context.Context, id string) error {
	if !n.IsLeader() {
		return fmt.Errorf("federation: transfer leadership: %w", ErrNotLeader)
	}
	var f raft.Future
	if id == "" {
		f = n.raft.LeadershipTransfer()
	} else {
		servers, _, err := n.configuration()
		if err != nil {
			return err
		}
		i := slices.IndexFunc(servers, func(s raft.Server) bool { return string(s.ID) == id })
		if i < 0 {
			return fmt.Errorf("federation: transfer leadership to %q: %w", id, ErrUnknownServer)
		}
		if servers[i].Suffrage != raft.Voter {
			return fmt.Errorf("federation: transfer leadership to %q: it is not a voter", id)
		}
		f = n.raft.LeadershipTransferToServer(servers[i].ID, servers[i].Address)
	}
	if err := n.wait(ctx, f, 0); err != nil {
		return fmt.Errorf("federation: transfer leadership: %w", err)
	}
	return nil
}

// OtherVoters counts the voters besides this node.
func (n *Node) OtherVoters() int {
	servers, _, err := n.configuration()
	if err != nil {
		return 0
	}
	c := 0
	for _, s := range servers {
		if s.Suffrage == raft.Voter && string(s.ID) != n.cfg.NodeID {
			c++
		}
	}
	return c
}

func (n *Node) configuration() ([]raft.Server, uint64, error) {
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, 0, fmt.Errorf("federation: configuration: %w", err)
	}
	return f.Configuration().Servers, f.Index(), nil
}

// change waits for a configuration change and returns the new configuration index.
func (n *Node) change(ctx context.Context, f raft.IndexFuture) (uint64, error) {
	if err := n.wait(ctx, f, n.cfg.ApplyTimeout); err != nil {
		return 0, err
	}
	return f.Index(), nil
}

// ReadIndex returns an index that every read served after it is applied is linearizable against
// (Raft thesis §6.4): the commit index, taken before a round of heartbeats proves this node was still
// the leader. Leader only.
//
// A new leader's commit index can be below entries its predecessor committed until it commits an
// entry of its own term, so ReadIndex refuses (ErrNotLeader) until this node has completed a Barrier
// in the current term (the hub runs one on every leadership gain).
func (n *Node) ReadIndex(ctx context.Context) (uint64, error) {
	term := n.raft.CurrentTerm()
	if !n.IsLeader() {
		return 0, fmt.Errorf("federation: read index: %w", ErrNotLeader)
	}
	if n.barrierTerm.Load() != term {
		return 0, fmt.Errorf("federation: read index: %w: the leader has not yet committed an entry of its term", ErrNotLeader)
	}
	idx := n.raft.CommitIndex()
	if err := n.wait(ctx, n.raft.VerifyLeader(), 0); err != nil {
		return 0, fmt.Errorf("federation: read index: %w", err)
	}
	if n.raft.CurrentTerm() != term {
		return 0, fmt.Errorf("federation: read index: %w: the term changed", ErrNotLeader)
	}
	return idx, nil
}

// AppliedFSM is what WaitApplied needs from the FSM: the index of the last entry it applied (it
// records every entry it is given, including configuration entries) and a channel closed at the
// next apply.
type AppliedFSM interface {
	LastApplied() uint64
	AppliedCh() <-chan struct{}
}

// WaitApplied returns once this node's FSM reflects every entry up to index, or fails when ctx ends
// (ErrStaleRead). Entries the FSM never sees (raft's no-op at each new term, barriers) are skipped
// by looking them up in the log once raft has handed everything up to index to the FSM.
func (n *Node) WaitApplied(ctx context.Context, index uint64) error {
	f, ok := n.fsm.(AppliedFSM)
	if !ok {
		return errors.New("federation: the FSM does not report its applied index")
	}
	for {
		ch := f.AppliedCh()
		last := f.LastApplied()
		if last >= index || n.onlyInvisibleBetween(last, index) {
			return nil
		}
		t := time.NewTimer(5 * time.Millisecond) // raft's applied index moves without an FSM call
		select {
		case <-ch:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w: at %d, need %d: %w", ErrStaleRead, f.LastApplied(), index, ctx.Err())
		case <-n.closing:
			t.Stop()
			return fmt.Errorf("federation: wait applied: %w", ErrShutdown)
		}
		t.Stop()
	}
}

// onlyInvisibleBetween reports whether raft has dispatched everything up to index and no entry in
// (last, index] is one the FSM is given, so the FSM's state is already the state at index.
func (n *Node) onlyInvisibleBetween(last, index uint64) bool {
	if n.raft.AppliedIndex() < index || index-last > 64 {
		return false
	}
	for i := last + 1; i <= index; i++ {
		var l raft.Log
		if err := n.logs.GetLog(i, &l); err != nil {
			return false
		}
		if l.Type == raft.LogCommand || l.Type == raft.LogConfiguration {
			return false
		}
	}
	return true
}

// RestoreSnapshot replaces the cluster's state with the snapshot file at path (what WriteSnapshot
// wrote, e.g. by `sealhub snapshot save`). Leader only. The file is decoded and its SM3 checked
// before raft sees it; raft then installs it on every node, past both the file's index and the
// current log, and a mark entry is written so every node's state carries the new index. Unless
// force is set, a cluster whose trust list is already initialised is refused.
func (n *Node) RestoreSnapshot(ctx context.Context, path string, force bool, current uint64, initialized bool) (index uint64, err error) {
	if !n.IsLeader() {
		return 0, fmt.Errorf("federation: restore: %w", ErrNotLeader)
	}
	if initialized && !force {
		return 0, fmt.Errorf("federation: restore: %w", ErrNotFresh)
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("federation: restore: %w", err)
	}
	defer f.Close()
	st, err := ReadSnapshot(f)
	if err != nil {
		return 0, fmt.Errorf("federation: restore: %w", err)
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, fmt.Errorf("federation: restore: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("federation: restore: %w", err)
	}
	meta := &raft.SnapshotMeta{Version: raft.SnapshotVersionMax, Index: st.Index(), Size: size}
	timeout := n.cfg.ApplyTimeout * 6
	if err := n.raft.Restore(meta, f, timeout); err != nil {
		return 0, fmt.Errorf("federation: restore: %w", translate(ctx, err, nil, timeout))
	}
	_, idx, err := n.Apply(ctx, command.EncodeMark(fmt.Sprintf("snapshot restored: state index %d, replaced %d", st.Index(), current)))
	if err != nil {
		return 0, fmt.Errorf("federation: restore: installed, but the mark entry failed: %w", err)
	}
	n.log.Warn("trust list replaced from a snapshot", "file", path, "state_index", st.Index(), "seals", st.SealCount(), "new_index", idx)
	return idx, nil
}

// ErrNotFresh means a restore would overwrite a cluster that already holds a trust list.
var ErrNotFresh = errors.New("federation: the cluster already holds a trust list (restore with force to replace it)")

// Established reports whether this node leads and has completed a Barrier in its current term: it
// has applied everything earlier leaders committed.
func (n *Node) Established() bool {
	term := n.raft.CurrentTerm()
	return n.IsLeader() && n.barrierTerm.Load() == term
}
