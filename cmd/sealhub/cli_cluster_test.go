package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/internal/hub"
	"github.com/sealhub/sealhub/internal/rpc"
)

// TestClusterAndSnapshotCommands drives `cluster status|transfer-leadership|remove` and `snapshot
// save|restore` against real nodes: a backup of one cluster restored into a fresh one holds the
// same trust list.
func TestClusterAndSnapshotCommands(t *testing.T) {
	f := newHubFixture(t)
	f.createRegistry()
	peer := map[string]string{envPeer: f.h.ClusterAddr()}

	code, out, errOut := runEnv(context.Background(), peer, "cluster", "status")
	if code != 0 || !strings.Contains(out, "leader n1") || !strings.Contains(out, "n1") {
		t.Fatalf("status: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runEnv(context.Background(), peer, "cluster", "status", "--json")
	var st rpc.ClusterStatus
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || len(st.Servers) != 1 || !st.Servers[0].Leader || !st.Servers[0].Voter {
		t.Fatalf("status --json: exit %d\n%s%s", code, out, errOut)
	}
	// A lone voter can neither hand over nor be removed: refusals exit 1 with the code.
	if code, _, errOut = runEnv(context.Background(), peer, "cluster", "remove", "n1"); code != exitRejected || !strings.Contains(errOut, "LAST_VOTER") {
		t.Fatalf("remove the last voter: exit %d %s", code, errOut)
	}
	if code, _, errOut = runEnv(context.Background(), peer, "cluster", "remove", "nobody"); code != exitRejected || !strings.Contains(errOut, "UNKNOWN_SERVER") {
		t.Fatalf("remove unknown: exit %d %s", code, errOut)
	}
	if code, _, errOut = runEnv(context.Background(), peer, "cluster", "join", "n9", "not-an-address"); code != exitUsage {
		t.Fatalf("join with a bad address: exit %d %s", code, errOut)
	}
	if code, _, errOut = runEnv(context.Background(), map[string]string{envPeer: "127.0.0.1:1"}, "cluster", "status", "--timeout", "2s"); code != exitUsage {
		t.Fatalf("unreachable peer: exit %d %s", code, errOut)
	}

	backup := filepath.Join(f.dir, "backup.snap")
	code, out, errOut = runEnv(context.Background(), peer, "snapshot", "save", backup)
	if code != 0 || !strings.Contains(out, "digest "+f.h.State().Digest()) {
		t.Fatalf("save: exit %d\n%s%s", code, out, errOut)
	}
	// Restoring into a cluster that holds a trust list needs --force.
	if code, _, errOut = runEnv(context.Background(), peer, "snapshot", "restore", backup); code != exitRejected || !strings.Contains(errOut, "CLUSTER_NOT_FRESH") {
		t.Fatalf("restore over a live trust list: exit %d %s", code, errOut)
	}
	// A damaged file is refused before raft sees it.
	data, _ := os.ReadFile(backup)
	data[len(data)/2] ^= 0xff
	bad := f.writeFile("bad.snap", data)

	fresh, err := hub.Open(hub.Config{NodeID: "m1", DataDir: filepath.Join(f.dir, "fresh"), RaftAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Bootstrap: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := fresh.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	freshPeer := map[string]string{envPeer: fresh.ClusterAddr()}
	if code, _, errOut = runEnv(context.Background(), freshPeer, "snapshot", "restore", bad); code != exitRejected || !strings.Contains(errOut, "BAD_SNAPSHOT") {
		t.Fatalf("restore a damaged file: exit %d %s", code, errOut)
	}
	code, out, errOut = runEnv(context.Background(), freshPeer, "snapshot", "restore", backup)
	if code != 0 {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	want, got := f.h.State(), fresh.State()
	if got.Index() <= want.Index() {
		t.Errorf("restored state index %d not past the backup's %d", got.Index(), want.Index())
	}
	if _, ok := got.Registry("37"); !ok || got.SealCount() != want.SealCount() || len(got.Registries()) != len(want.Registries()) {
		t.Errorf("restored trust list differs: %d registries, %d seals", len(got.Registries()), got.SealCount())
	}
	// Byte for byte the same trust list, but for the index it sits at in the new cluster's log.
	if want.WithIndex(got.Index()).Digest() != got.Digest() {
		t.Errorf("restored digest %s, want the backup's state at the new index", got.Digest())
	}
}
