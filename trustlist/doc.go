// Package trustlist is the replicated trust list of sealhub: registries (provincial and
// departmental 电子印章 registries, and the national administrator), trust anchors with their
// trust/distrust history, and filed seals (备案) with a bitemporal status history.
//
// A *State is an immutable value stamped with the raft index of the last entry applied to it. The
// FSM applies each registry push with State.Apply, which returns a new state sharing everything it
// did not change; readers load the current state from an atomic pointer and never lock. Apply is
// deterministic — it reads no clock, network or randomness: the leader stamps the time it records a
// push into the Envelope, and every event keeps that time, its own effective time and its raft index,
// so the list answers "status at time T" (effective time) and "status as the hub knew it at index K".
//
// Pushes are checked twice: State.Check on the node that receives one (adding the checks that read
// the clock or cost too much to repeat, such as seal-maker signatures), then State.Apply on every
// node. A rejection is a *Rejection with a stable Code (see Codes and docs/push-codes.md); it changes
// nothing. The push protocol is described in docs/push-protocol.md.
//
// Encode/Decode give the compact, versioned, deterministic encoding used for snapshots and backups;
// Digest is its SM3, equal on every node that applied the same entries.
package trustlist
