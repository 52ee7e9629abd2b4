package federation

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft"
)

// PeersFile is the manual recovery file: when quorum is lost for good, the operator stops every
// surviving node, writes the same peers.json (raft's JSON configuration format: a list of
// {"id", "address", "non_voter"}) into each one's raft directory and starts them again. The node
// rewrites its configuration from it before raft starts, then renames it so it is used once. See
// docs/operations.md#quorum.
const PeersFile = "peers.json"

// recoverPeers applies Dir/peers.json if present.
func (n *Node) recoverPeers(rc *raft.Config, fsm raft.FSM, logs raft.LogStore, stable raft.StableStore, snaps raft.SnapshotStore) error {
	path := filepath.Join(n.cfg.Dir, PeersFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("peers recovery: %w", err)
	}
	conf, err := raft.ReadConfigJSON(path)
	if err != nil {
		return fmt.Errorf("peers recovery: read %s: %w", path, err)
	}
	if err := raft.ValidateConfig(rc); err != nil {
		return fmt.Errorf("peers recovery: %w", err)
	}
	n.log.Warn("recovering the cluster configuration from peers.json; this overrides the replicated configuration",
		"file", path, "servers", len(conf.Servers))
	if err := raft.RecoverCluster(rc, fsm, logs, stable, snaps, n.transport, conf); err != nil {
		return fmt.Errorf("peers recovery: %w", err)
	}
	done := path + ".recovered-" + time.Now().UTC().Format("20060102T150405Z")
	if err := os.Rename(path, done); err != nil {
		return fmt.Errorf("peers recovery: applied, but could not rename %s (remove it before the next start): %w", path, err)
	}
	n.log.Warn("cluster configuration recovered", "renamed_to", done)
	return nil
}
