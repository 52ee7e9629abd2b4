package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/sealhub/sealhub/federation"
	"github.com/sealhub/sealhub/federation/command"
	"github.com/sealhub/sealhub/federation/ingest"
	"github.com/sealhub/sealhub/trustlist"
)

const perPush = 1000

// countFSM is the raw-raft baseline: it only counts entries.
type countFSM struct{ n atomic.Uint64 }

func (f *countFSM) Apply(*raft.Log) any                 { f.n.Add(1); return nil }
func (f *countFSM) Snapshot() (raft.FSMSnapshot, error) { return nopSnap{}, nil }
func (f *countFSM) Restore(rc io.ReadCloser) error      { return rc.Close() }

type nopSnap struct{}

func (nopSnap) Persist(s raft.SnapshotSink) error { return s.Close() }
func (nopSnap) Release()                          {}

func rawNode(tb testing.TB) *federation.Node {
	n, err := federation.Open(federation.Config{NodeID: "raw", Dir: tb.TempDir(), BindAddr: "127.0.0.1:0", Bootstrap: true}, &countFSM{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { n.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := n.WaitForLeader(ctx); err != nil {
		tb.Fatal(err)
	}
	for !n.IsLeader() {
		if ctx.Err() != nil {
			tb.Fatal("raw node never became leader")
		}
		runtime_Gosched()
	}
	return n
}

func postEnvelope(tb testing.TB, url string, env trustlist.Envelope) {
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/updates", bytes.NewReader(env.Body))
	req.Header.Set(ingest.HeaderKeyID, env.KeyID)
	req.Header.Set(ingest.HeaderSignature, base64.StdEncoding.EncodeToString(env.Signature))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		tb.Fatalf("push: %d %s", resp.StatusCode, data)
	}
}

// BenchmarkIngest measures pushes of 1,000 seal records on one node with fsync, end to end (HTTP,
// signature and content checks, raft commit, FSM apply), beside raw raft applying entries of the same
// size to a counting FSM on the same disk, in the same run. One registry pushes in sequence, as an
// import does. Reported: records/s of each and their ratio.
func BenchmarkIngest(b *testing.B) {
	k := key(b)
	envs := chain(b, k, "37", b.N, perPush, time.Now().UTC().Truncate(time.Second))
	var size int
	for _, e := range envs {
		size += len(command.EncodePush(e))
	}

	raw := rawNode(b)
	ctx := context.Background()
	start := time.Now()
	for _, e := range envs {
		if _, _, err := raw.Apply(ctx, command.EncodePush(e)); err != nil {
			b.Fatal(err)
		}
	}
	rawDur := time.Since(start)

	h, _ := startHub(b, k)
	b.ResetTimer()
	start = time.Now()
	for _, e := range envs {
		postEnvelope(b, h.URL(), e)
	}
	hubDur := time.Since(start)
	b.StopTimer()
	if got := h.State().SealCount(); got != b.N*perPush {
		b.Fatalf("%d seals in the state, want %d", got, b.N*perPush)
	}
	records := float64(b.N * perPush)
	b.ReportMetric(records/hubDur.Seconds(), "hub_records/s")
	b.ReportMetric(records/rawDur.Seconds(), "raw_raft_records/s")
	b.ReportMetric(rawDur.Seconds()/hubDur.Seconds(), "hub/raw")
	b.ReportMetric(float64(size)/float64(b.N), "entry_bytes")
}

// BenchmarkApplyPush1000 is the FSM's share: trustlist.State.Apply of one push of 1,000 seal
// records (JSON decoding, signature, checks, radix inserts), without raft or HTTP.
func BenchmarkApplyPush1000(b *testing.B) {
	k := key(b)
	envs := chain(b, k, "37", b.N, perPush, epoch)
	st := adminState(b, k)
	b.ResetTimer()
	for i, e := range envs {
		next, _, err := st.Apply(e, uint64(i+3))
		if err != nil {
			b.Fatal(err)
		}
		st = next
	}
	b.ReportMetric(float64(b.N*perPush)/b.Elapsed().Seconds(), "records/s")
}
