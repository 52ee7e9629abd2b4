package federation

import "errors"

// Consensus errors. Node methods wrap them (with the raft cause, where there
// is one), so test with errors.Is. A business rejection by the FSM is never
// one of these: Apply returns it as the response value.
var (
	// ErrNotLeader means this node is not the leader (or is handing
	// leadership over) and did not accept the command. Nothing was
	// written; retry on the leader.
	ErrNotLeader = errors.New("federation: not the leader")

	// ErrUnknownOutcome means the command was handed to raft but the node
	// cannot tell whether it was committed: leadership was lost, a snapshot
	// restore aborted it, the node shut down, the log write failed, or the
	// caller's context ended while waiting. It may yet be applied, so only
	// retry commands that are idempotent.
	ErrUnknownOutcome = errors.New("federation: outcome unknown")

	// ErrShutdown means the node is closed or closing. When the command
	// had already been handed to raft the error also matches
	// ErrUnknownOutcome.
	ErrShutdown = errors.New("federation: node is shut down")

	// ErrNoLeader means no leader became known before the context ended;
	// the context's error is wrapped too.
	ErrNoLeader = errors.New("federation: no leader")

	// ErrEnqueueTimeout means the leader did not accept the command within
	// the apply timeout or the context deadline. Nothing was written; it
	// is safe to retry.
	ErrEnqueueTimeout = errors.New("federation: command not accepted in time")
)
