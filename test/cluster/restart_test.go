package cluster

import (
	"strconv"
	"testing"
)

// TestFollowerCatchesUpFromLog stops a follower, pushes while it is down, and restarts it: the
// leader still has every entry it missed, so it catches up from the log (no snapshot installed).
func TestFollowerCatchesUpFromLog(t *testing.T) {
	c := New(t, 3, Options{})
	leader := c.WaitLeader(t)
	f := c.Others(leader)[0]
	c.Stop(t, f)

	c.StartLoad(t, LoadOptions{Pushes: 10, Nodes: c.Others(f)}).Wait(t)
	want := c.Hub(c.WaitLeader(t)).State().Index()

	c.Restart(t, f)
	c.WaitIndex(t, f, want)
	if s := c.Hub(f).Node.Stats()["last_snapshot_index"]; s != "0" {
		t.Errorf("node %d caught up through a snapshot (last_snapshot_index %s); the log was enough", f, s)
	}
	c.CheckInvariants(t)
}

// TestFollowerCatchesUpFromSnapshot kills a follower, pushes more entries than the leader keeps
// after a snapshot, snapshots the leader (compacting its log past what the follower has), and
// restarts the follower: it must install the leader's snapshot, then follow the log.
func TestFollowerCatchesUpFromSnapshot(t *testing.T) {
	const trailing = 8
	c := New(t, 3, Options{SnapshotThreshold: 32, TrailingLogs: trailing})
	leader := c.WaitLeader(t)
	f := c.Others(leader)[0]
	fLast := statUint(t, c.Hub(f).Node.Stats(), "last_log_index")
	c.Kill(t, f)

	c.StartLoad(t, LoadOptions{Pushes: 15, Ops: 10, Nodes: c.Others(f)}).Wait(t)
	leader = c.WaitLeader(t, c.Others(f)...)
	lh := c.Hub(leader)
	if err := lh.Node.Snapshot(); err != nil {
		t.Fatal(err)
	}
	snap := statUint(t, lh.Node.Stats(), "last_snapshot_index")
	if snap < fLast+trailing+2 {
		t.Fatalf("the leader's snapshot at %d still leaves the follower's next entry %d in its log", snap, fLast+1)
	}
	// One more push after the snapshot, so the follower also replays log entries past it.
	c.Push(t, leader, c.Registries[0], 5)
	want := lh.State().Index()

	c.Restart(t, f)
	c.WaitIndex(t, f, want)
	if got := statUint(t, c.Hub(f).Node.Stats(), "last_snapshot_index"); got < snap {
		t.Errorf("node %d: last_snapshot_index %d, want the leader's snapshot %d installed", f, got, snap)
	}
	c.CheckInvariants(t)
}

func statUint(t testing.TB, stats map[string]string, key string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(stats[key], 10, 64)
	if err != nil {
		t.Fatalf("raft stat %s=%q: %v", key, stats[key], err)
	}
	return v
}
