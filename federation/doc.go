// Package federation replicates the hub's trust state across nodes with Raft
// (hashicorp/raft v1.7.3).
//
// A [Node] is one Raft server wrapped around a caller's raft.FSM. [Open]
// wires it up from a [Config]:
//
//   - the log and stable store is raft-boltdb/v2 in Dir/raft.db, with
//     NoFreelistSync, behind an in-memory cache of the latest
//     LogCacheSize entries; fsync stays on, because an acknowledged write
//     must survive a crash;
//   - snapshots go to Dir/snapshots (raft.FileSnapshotStore, SnapshotRetain
//     kept), taken when SnapshotThreshold entries have accumulated, checked
//     every SnapshotInterval, or on demand with [Node.Snapshot]; after one,
//     the log keeps TrailingLogs entries for slow followers;
//   - the transport is raft's NetworkTransport over plain TCP, or over
//     Config.StreamLayer (for mTLS), with MaxRPCsInFlight as the pipelining
//     depth (1 turns pipelining off; see docs/RAFT.md on hashicorp/raft#612);
//   - ProtocolVersion is 3, so servers are known by the stable NodeID and
//     not by their address, and a node removed from the cluster keeps
//     running (ShutdownOnRemove is false).
//
// With Config.Bootstrap a node whose directory holds no raft state makes a
// one-node cluster of itself; on existing state the flag does nothing, so
// bootstrap runs once per directory. Growing the cluster (joining,
// non-voters, promotion, leadership transfer) is left to the caller through
// [Node.Raft].
//
// Writes go through [Node.Apply], which submits one command on the leader
// and waits, within the caller's context, until the leader's FSM has
// applied it. Errors separate three cases: nothing was written
// ([ErrNotLeader], [ErrEnqueueTimeout], or the context had already ended),
// the write may or may not have happened ([ErrUnknownOutcome]: leadership
// lost, snapshot restore, shutdown, or the context ended while waiting), and
// the node is closed ([ErrShutdown]). A business rejection is not an error:
// the FSM returns it as a value and Apply hands it back as the response.
//
// Reads never go through the log. Callers read their FSM directly and use
// [Node.AppliedIndex], [Node.CommitIndex], [Node.LastContact] and
// [Node.Leader] to judge how fresh it is; [Node.Barrier] waits for every
// earlier entry to be applied, which a new leader does before serving.
//
// Raft's own logs go to Config.Logger with component=raft, through an
// hclog adapter. [Node.Register] exposes raft's state as sealhub_raft_*
// gauges, read from raft at scrape time.
package federation
