// Package chaos is the chaos test of a sealhub cluster as it is deployed: the docker-compose project
// of deploy/compose (three hubs, the simulated regions, the seeded demo data), with registries
// pushing and verifiers reading while a nemesis kills, pauses, partitions and restarts the hubs at
// random. Afterwards it checks that
//
//   - every acknowledged push is on every node (with the acknowledged hash, and every seal it filed);
//     the report counts the ones missing anywhere as lost, and lost must be 0;
//   - all nodes hold the same trust list: equal digests at the same index, equal registry heads;
//   - no registry sequence has a gap, and every chaos seal's final status is the one its registry's
//     acknowledged pushes give;
//   - the history of pushes and linearizable reads is linearizable (porcupine, per registry);
//   - no answer broke a rule: a rejection of a correct push, an acknowledgement of other bytes, an
//     unreadable or unexpected answer, a verification that turned valid into invalid or back.
//
// # Running it
//
// It needs docker (Engine 20.10) and the Python docker-compose (v1.29). It is skipped unless
// SEALHUB_CHAOS=1, so `go test ./...` stays fast and docker-free:
//
//	SEALHUB_CHAOS=1 go test ./test/chaos -run TestChaos -v -timeout 40m -chaos.duration 20m -chaos.report chaos-report.txt
//
// The default -chaos.duration of 3m keeps the whole test (building the images, starting the project,
// the run, the checks, removing it) within about five minutes on two cores. Other flags:
// -chaos.seed (the nemesis's and the workload's choices; the report prints the seed of every run),
// -chaos.keep (leave the project running), -chaos.writers, -chaos.readers, -chaos.check-timeout, and
// -chaos.read-consistency stale, which shows the checker catching stale reads (that run fails). Each
// run is its own compose project, sealhub-chaos-PID, with random published ports, removed with its
// volumes at the end. A failed run leaves the containers' logs, and the porcupine visualization of
// the history when the checker did not say Ok, beside the report (or in the temporary directory).
//
// # Workload
//
// The administrator creates one department registry per writer (chaos1…, jurisdiction "*"). Each
// registry has exactly one writer, which files 1–3 seals from metadata and suspends, restores,
// revokes or invalidates 0–3 of its earlier seals in each push. It builds push n+1 only once push n
// is acknowledged, through random nodes; any other answer (a timeout, a transport failure, a 503, a
// 4xx) makes it send the same bytes again to another node, which the hub answers idempotently. A
// push is one operation of the history from its first attempt to its acknowledgement; a push still
// unacknowledged when the run ends has an unknown outcome (it returns at the end of the history), and
// one refused with a 4xx on every attempt never reached the log. Readers read registry heads and seal
// statuses with consistency=linearizable from random nodes: refusals and transport failures observe
// nothing and are dropped; every 200 (and every 404 for a seal) goes into the history. A verifier
// sends the demo seals of the seeded data (SES_Seal DER) to POST /v1/verify/seal and checks each
// report is well-formed and never contradicts the verdict the cluster gave before the first fault
// (indeterminate is always allowed). An answer read from an empty trust list (trust-list index 0) is
// a violation: a node still re-applying its log after a start refuses default reads (STALE_READ).
//
// # Model
//
// Because a registry has one writer that only ever builds on its acknowledged head, the content of
// every push in the history is known, and a registry's state is its head seq: the statuses of its
// seals at head k are those pushes 1…k set (a Ledger). A push of seq head+1 moves the head; a push
// of a seq at or below the head is a replay and changes nothing; a head read must return the head;
// a seal read must return the seal's status at the head (absent before it is filed).
//
// # Faults
//
// The nemesis waits 2–6 s, then faults one node, or two at once one time in five (the quorum is
// lost: acknowledgements stop, and nothing acknowledged may be lost), holds the fault 2–10 s, and
// heals it:
//
//   - kill: docker kill -s KILL, then docker start. The process dies mid-write: no flush, no
//     leadership hand-over; the node must recover from its own disk and catch up.
//   - pause: docker pause, then docker unpause. Every process of the container freezes; connections
//     to it stay open and hang (clients time out), and when it thaws every timer of the node fires
//     late at once (a paused leader wakes up believing it still leads).
//   - partition: docker network disconnect from the cluster network, then docker network connect
//     under the node's name. The node keeps answering HTTP on the api network but cannot reach its
//     peers, so it must refuse linearizable reads and cannot acknowledge pushes.
//   - restart: docker restart -t 10. SIGTERM (a leader hands leadership over first), then a start;
//     the report notes how long it took and whether docker had to SIGKILL the node after 10 s.
//
// When the run ends the nemesis heals its fault, every node is brought back whatever its state, and
// each writer may still deliver its last push. Then the test waits until the nodes have applied the
// same index, takes each node's trust list over its cluster port as the operator (mutual TLS, the
// snapshot and its digest) and checks them.
package chaos
