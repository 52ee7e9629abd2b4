package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/hashicorp/raft"
	"github.com/sealhub/sealhub/federation"
	"github.com/sealhub/sealhub/federation/command"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/internal/hub"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// benchRegistries is how many registries push concurrently in the cluster benchmarks: raft commits
// their entries in groups (one fsync for several pushes), which is how a national hub sees load.
const benchRegistries = 8

// cluster3 opens three hubs on loopback (real bolt stores, fsync on): n1 bootstraps, n2 and n3 join
// and are promoted. It returns them leader first, with registries r0…r7 created, keyed by keys.
func cluster3(tb testing.TB) ([]*hub.Hub, []*sm2.PrivateKey) {
	hubs, keys, _ := cluster3Admin(tb)
	return hubs, keys
}

// cluster3Admin is cluster3, also returning the administrator's key.
func cluster3Admin(tb testing.TB) ([]*hub.Hub, []*sm2.PrivateKey, *sm2.PrivateKey) {
	admin := key(tb)
	ap := federation.AutopilotConfig{StabilizationTime: 100 * time.Millisecond, UpdateInterval: 50 * time.Millisecond, ReconcileInterval: 50 * time.Millisecond}
	dir := tb.TempDir()
	var hubs []*hub.Hub
	for i := 1; i <= 3; i++ {
		cfg := hub.Config{NodeID: fmt.Sprintf("n%d", i), DataDir: filepath.Join(dir, fmt.Sprint(i)), RaftAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
			AdminKeys: []string{pubPEM(tb, admin)}, MaxPushAge: -1, Autopilot: ap, NoLeaderTransfer: true}
		if i == 1 {
			cfg.Bootstrap = true
		} else {
			cfg.Join = []string{hubs[0].ClusterAddr()}
		}
		h, err := hub.Open(cfg)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { h.Close(context.Background()) })
		hubs = append(hubs, h)
		if i == 1 {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if err := h.WaitReady(ctx); err != nil {
				tb.Fatal(err)
			}
			cancel()
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		servers, _, err := hubs[0].Node.Servers()
		if err != nil {
			tb.Fatal(err)
		}
		if len(servers) == 3 && !slices.ContainsFunc(servers, func(s federation.Server) bool { return !s.Voter }) {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("cluster not formed: %+v", servers)
		}
		time.Sleep(20 * time.Millisecond)
	}
	c := client.New(hubs[0].URL())
	keys := make([]*sm2.PrivateKey, benchRegistries)
	var ops []trustlist.Op
	for i := range keys {
		keys[i] = key(tb)
		ops = append(ops, trustlist.Op{Op: trustlist.OpRegistryCreate, RegistrySpec: &trustlist.RegistrySpec{
			ID: fmt.Sprintf("r%d", i), Name: fmt.Sprintf("省%d", i), Kind: trustlist.KindProvince,
			Jurisdiction: []string{"37"}, Keys: []trustlist.KeySpec{{PublicKey: pubPEM(tb, keys[i])}}}})
	}
	if _, err := c.Push(context.Background(), client.Signer{Registry: trustlist.AdminID, Key: admin}, ops); err != nil {
		tb.Fatal(err)
	}
	return hubs, keys, admin
}

// registryChains signs pushes for every registry: pushes in total, perPush seal records each, codes
// disjoint across registries.
func registryChains(tb testing.TB, keys []*sm2.PrivateKey, pushes, perPush int) [][]trustlist.Envelope {
	out := make([][]trustlist.Envelope, len(keys))
	issued := time.Now().UTC().Truncate(time.Second)
	for r := range keys {
		n := pushes / len(keys)
		if r < pushes%len(keys) {
			n++
		}
		prev := ""
		for i := 0; i < n; i++ {
			body, err := client.MarshalPush(trustlist.Push{Registry: fmt.Sprintf("r%d", r), Seq: uint64(i + 1), Prev: prev, IssuedAt: issued,
				Ops: metaOps(r*10_000_000+i*perPush, perPush)})
			if err != nil {
				tb.Fatal(err)
			}
			sig, err := smcrypto.Sign(keys[r], body)
			if err != nil {
				tb.Fatal(err)
			}
			e := trustlist.Envelope{Body: body, KeyID: smcrypto.KeyID(&keys[r].PublicKey), Signature: sig, RecordedAt: issued}
			out[r] = append(out[r], e)
			prev = trustlist.PushHash(body)
		}
	}
	return out
}

// raw3 is the raw-raft baseline: three raft nodes over loopback TCP with real bolt stores and a
// counting FSM, configured like the hub's.
func raw3(tb testing.TB) *federation.Node {
	dir := tb.TempDir()
	var nodes []*federation.Node
	for i := 1; i <= 3; i++ {
		n, err := federation.Open(federation.Config{NodeID: fmt.Sprintf("raw%d", i), Dir: filepath.Join(dir, fmt.Sprint(i)), BindAddr: "127.0.0.1:0"}, &countFSM{})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { n.Close() })
		nodes = append(nodes, n)
	}
	var conf raft.Configuration
	for _, n := range nodes {
		conf.Servers = append(conf.Servers, raft.Server{ID: raft.ServerID(n.ID()), Address: raft.ServerAddress(n.Addr())})
	}
	if err := nodes[0].Raft().BootstrapCluster(conf).Error(); err != nil {
		tb.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, n := range nodes {
			if n.IsLeader() {
				return n
			}
		}
		if time.Now().After(deadline) {
			tb.Fatal("raw cluster elected no leader")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkClusterIngest: three nodes with fsync, 8 registries pushing concurrently (each in
// sequence), pushes of 1,000 seal records sent to the leader's API, end to end (HTTP, checks, raft
// commit on a quorum, apply on the leader) — beside three raw raft nodes applying entries of the
// same sizes from the same number of writers, in the same run. b.N is the number of pushes.
func BenchmarkClusterIngest(b *testing.B) {
	hubs, keys := cluster3(b)
	chains := registryChains(b, keys, max(b.N, benchRegistries), perPush)
	total := 0
	var size int
	for _, ch := range chains {
		total += len(ch)
		for _, e := range ch {
			size += len(command.EncodePush(e))
		}
	}

	raw := raw3(b)
	rawDur := concurrently(chains, func(e trustlist.Envelope) {
		if _, _, err := raw.Apply(context.Background(), command.EncodePush(e)); err != nil {
			b.Error(err)
		}
	})

	url := hubs[0].URL()
	b.ResetTimer()
	hubDur := concurrently(chains, func(e trustlist.Envelope) { postEnvelope(b, url, e) })
	b.StopTimer()
	// Every node holds every record once the followers have applied the last entries.
	want := 0
	for _, ch := range chains {
		want += len(ch) * perPush
	}
	waitSeals(b, hubs, want)
	records := float64(total * perPush)
	b.ReportMetric(records/hubDur.Seconds(), "hub_records/s")
	b.ReportMetric(records/rawDur.Seconds(), "raw_raft_records/s")
	b.ReportMetric(rawDur.Seconds()/hubDur.Seconds(), "hub/raw")
	b.ReportMetric(float64(size)/float64(total), "entry_bytes")
}

// concurrently runs one goroutine per chain, each applying its envelopes in order, and returns the
// wall time.
func concurrently(chains [][]trustlist.Envelope, do func(trustlist.Envelope)) time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	for _, ch := range chains {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, e := range ch {
				do(e)
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

func waitSeals(tb testing.TB, hubs []*hub.Hub, want int) {
	deadline := time.Now().Add(2 * time.Minute)
	for _, h := range hubs {
		for h.State().SealCount() != want {
			if time.Now().After(deadline) {
				tb.Fatalf("%s holds %d seals, want %d", h.ID(), h.State().SealCount(), want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// BenchmarkStatusVisibility: the time from sending a status change (seal.status suspend/restore, one
// op) to the leader until the change is applied on every node of three, p50/p99 over b.N changes.
// Each node is watched through its FSM's apply notifications, so nothing polls.
func BenchmarkStatusVisibility(b *testing.B) {
	hubs, keys := cluster3(b)
	k := keys[0]
	c := client.New(hubs[0].URL())
	signer := client.Signer{Registry: "r0", Key: k}
	ctx := context.Background()
	if _, err := c.Push(ctx, signer, metaOps(0, 1)); err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		action := "suspend"
		if i%2 == 1 {
			action = "restore"
		}
		at := time.Now().UTC().Truncate(time.Second)
		body, err := c.Build(ctx, "r0", []trustlist.Op{{Op: trustlist.OpSealStatus, Code: fmt.Sprintf("370102%08d", 0), Action: action, EffectiveAt: &at}})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res, err := c.Send(ctx, signer, body)
		if err != nil {
			b.Fatal(err)
		}
		var last time.Time
		for _, h := range hubs {
			if t := appliedAt(h, res.Index); t.After(last) {
				last = t
			}
		}
		lat = append(lat, last.Sub(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99_ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max_ms")
}

// appliedAt waits until h has applied index and returns when it saw it.
func appliedAt(h *hub.Hub, index uint64) time.Time {
	for {
		ch := h.FSM.AppliedCh()
		if h.FSM.LastApplied() >= index {
			return time.Now()
		}
		<-ch
	}
}

// BenchmarkClusterReads: status lookups over HTTP on a follower of three nodes, default level vs
// linearizable (a read index from the leader, proven by a heartbeat round, then the local state), from
// 16 concurrent clients, in the same run. b.N is the number of reads at each level.
func BenchmarkClusterReads(b *testing.B) {
	hubs, keys := cluster3(b)
	c := client.New(hubs[0].URL())
	if _, err := c.Push(context.Background(), client.Signer{Registry: "r0", Key: keys[0]}, metaOps(0, 100)); err != nil {
		b.Fatal(err)
	}
	follower := hubs[1]
	waitSeals(b, []*hub.Hub{follower}, 100)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	hc := &http.Client{Transport: tr}
	run := func(level string) time.Duration {
		var next atomic.Int64
		start := time.Now()
		var wg sync.WaitGroup
		for w := 0; w < 16; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1)
					if i > int64(b.N) {
						return
					}
					resp, err := hc.Get(fmt.Sprintf("%s/v1/seals/370102%08d?consistency=%s", follower.URL(), i%100, level))
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("%s read: %d", level, resp.StatusCode)
						return
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	run("default") // warm connections
	b.ResetTimer()
	def := run("default")
	lin := run("linearizable")
	b.StopTimer()
	b.ReportMetric(float64(b.N)/def.Seconds(), "default_reads/s")
	b.ReportMetric(float64(b.N)/lin.Seconds(), "linearizable_reads/s")
	b.ReportMetric(def.Seconds()/lin.Seconds(), "linearizable/default")
}
