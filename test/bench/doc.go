// Package bench holds sealhub's end-to-end benchmarks: push ingest on a real one-node hub with fsync
// beside raw raft with the same entry sizes, and the memory a seal costs in the trust list. Each
// figure is reported beside a baseline measured in the same run (see docs/PERFORMANCE.md):
//
//	go test ./test/bench -run '^$' -bench . -benchtime 200x
package bench
