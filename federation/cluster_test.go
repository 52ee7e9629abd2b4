package federation

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sealhub/sealhub/federation/command"
)

// TestPeersJSONRecovery: a node whose configuration names a voter that is gone for good has no
// quorum; with peers.json listing only itself it recovers on restart, keeps its log, leads, and the
// file is renamed so it is used once.
func TestPeersJSONRecovery(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	fsm := &counterFSM{}
	n := openLeader(t, cfg, fsm)
	applyValues(t, n, 1, 2, 3)
	// Add a voter that will never answer: the one-node cluster loses its quorum.
	if err := n.Raft().AddVoter("ghost", "127.0.0.1:1", 0, time.Second).Error(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "leadership to be lost", func() bool { return !n.IsLeader() })
	addr := n.Addr()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	peers := `[{"id": "` + cfg.NodeID + `", "address": "` + addr + `", "non_voter": false}]`
	if err := os.WriteFile(filepath.Join(cfg.Dir, PeersFile), []byte(peers), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.BindAddr = addr
	fsm2 := &counterFSM{}
	n2 := openLeader(t, cfg, fsm2)
	servers, _, err := n2.Servers()
	if err != nil || len(servers) != 1 || servers[0].ID != cfg.NodeID {
		t.Fatalf("configuration after recovery: %+v %v", servers, err)
	}
	applyValues(t, n2, 4)
	eventually(t, 5*time.Second, "the old entries and the new one", func() bool { return len(fsm2.state()) == 4 })
	if _, err := os.Stat(filepath.Join(cfg.Dir, PeersFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("peers.json still in place: %v", err)
	}
	matches, _ := filepath.Glob(filepath.Join(cfg.Dir, PeersFile+".recovered-*"))
	if len(matches) != 1 {
		t.Errorf("renamed file: %v", matches)
	}
}

// TestMembershipErrors: removal and transfer refuse what they cannot do, with the package's errors.
func TestMembershipErrors(t *testing.T) {
	n := openLeader(t, testConfig(t, t.TempDir()), &counterFSM{})
	ctx := testContext(t)
	if err := n.Remove(ctx, n.ID()); !errors.Is(err, ErrLastVoter) {
		t.Errorf("remove the last voter: %v", err)
	}
	if err := n.Remove(ctx, "nobody"); !errors.Is(err, ErrUnknownServer) {
		t.Errorf("remove an unknown server: %v", err)
	}
	if err := n.TransferLeadership(ctx, "nobody"); !errors.Is(err, ErrUnknownServer) {
		t.Errorf("transfer to an unknown server: %v", err)
	}
	// Join is idempotent for the same id and address.
	if changed, err := n.Join(ctx, n.ID(), n.Addr()); err != nil || changed {
		t.Errorf("re-join of itself: changed %v, %v", changed, err)
	}
	if _, err := n.Join(ctx, "", "x:1"); err == nil {
		t.Error("join without an id accepted")
	}
	if changed, err := n.Join(ctx, "n2", "127.0.0.1:1"); err != nil || !changed {
		t.Fatalf("join n2: %v %v", changed, err)
	}
	servers, _, _ := n.Servers()
	if len(servers) != 2 || servers[1].ID != "n2" || servers[1].Voter {
		t.Errorf("n2 must join as a non-voter: %+v", servers)
	}
	if err := n.Remove(ctx, "n2"); err != nil {
		t.Errorf("remove n2: %v", err)
	}
}

// TestReadIndexAndWaitApplied: the read index is the commit index; WaitApplied returns at once for
// an index the FSM has seen, skips entries it never sees (raft's no-op, barriers), and fails with
// ErrStaleRead for an index that is never reached.
func TestReadIndexAndWaitApplied(t *testing.T) {
	fsm, err := NewFSM(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := openLeader(t, testConfig(t, t.TempDir()), fsm)
	ctx := testContext(t)
	if _, _, err := n.Apply(ctx, command.EncodeMark("test")); err != nil {
		t.Fatal(err)
	}
	if err := n.Barrier(ctx); err != nil { // a barrier entry the FSM never sees
		t.Fatal(err)
	}
	idx, err := n.ReadIndex(ctx)
	if err != nil || idx < fsm.LastApplied() {
		t.Fatalf("read index %d (%v), FSM at %d", idx, err, fsm.LastApplied())
	}
	if fsm.LastApplied() >= idx {
		t.Fatalf("the barrier should sit past the FSM's last entry: FSM at %d, read index %d", fsm.LastApplied(), idx)
	}
	if err := n.WaitApplied(ctx, idx); err != nil {
		t.Fatalf("wait for the read index: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := n.WaitApplied(short, idx+100); !errors.Is(err, ErrStaleRead) {
		t.Fatalf("wait for a future index: %v", err)
	}
}
