// Package cluster runs in-process sealhub clusters for failure tests: N nodes started through
// hub.Open, each on its own loopback ports with its own bolt stores in a temporary directory, and a
// Network that cuts links between them by refusing dials and closing the connections already open
// across a partition. Nodes can be killed (no leadership hand-over), stopped, restarted on the same
// data directory and addresses, added and removed.
//
// Tests wait by polling against a deadline (WaitLeader, WaitVoters, WaitConverged, WaitIndex,
// Eventually), never by sleeping. A Load pushes sequential pushes for several registries through
// random live nodes, retrying a push with the same bytes until it is acknowledged; a HeadReader
// reads registry heads linearizably meanwhile and flags any answer older than an acknowledged
// write. CheckInvariants then verifies, on every live node, that each acknowledged push and its
// seals are there, that no registry has a sequence gap, and that all nodes hold the same trust
// list at the same index.
//
// Only tests import this package. SEALHUB_CLUSTER_LOG=1 sends the nodes' logs to stderr.
package cluster
