package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/adapters/rest"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/internal/hub"
	"github.com/sealhub/sealhub/test/fakeregion"
	"github.com/sealhub/sealhub/test/hubtest"
	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist"
)

// regionLatency is the simulated regions' latency in the adapter benchmarks.
const regionLatency = 50 * time.Millisecond

// restRegion starts a simulated REST region answering after regionLatency.
func restRegion(tb testing.TB) (*fakeregion.REST, string) {
	fr := fakeregion.NewREST(fakeregion.RESTOptions{AppKey: "bench", AppSecret: "bench-secret", Faults: fakeregion.Faults{Latency: regionLatency}})
	srv := httptest.NewServer(fr)
	tb.Cleanup(srv.Close)
	return fr, srv.URL
}

// restAdapter is the replicated adapter configuration of the simulated REST region at url.
func restAdapter(url, ttl string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"kind":"rest","credentials":"bench","ttl":%q,"timeout":"5s","endpoint":%q,
		"path":"/api/seal/status?sealCode={code}",
		"fields":{"code":"code","message":"msg","status":"data.sealStatus","effective_at":"data.statusTime"},
		"statuses":{"01":"valid","02":"suspended","03":"revoked","04":"invalidated"},
		"success_codes":[%q],"not_found_codes":[%q],"auth_codes":[%q,%q],"time_zone":"+08:00"}`,
		ttl, url, fakeregion.CodeOK, fakeregion.CodeNotFound, fakeregion.CodeBadSign, fakeregion.CodeReplay))
}

// liveHub is a one-node hub with two live-mode registries answered by simulated REST regions of
// regionLatency: "44" whose answers are cached (ttl 30 s) and "45" whose answers expire at once
// (ttl 1 ns: every query not sharing a flight asks the region). It returns n seals of each,
// valid in their regions, and the regions.
func liveHub(tb testing.TB, n int) (h *hub.Hub, cached, uncached [][]byte, regions map[string]*fakeregion.REST) {
	adminKey := key(tb)
	h = hubtest.Open(tb, hub.Config{NodeID: "bench", Bootstrap: true, AdminKeys: []string{pubPEM(tb, adminKey)}, MaxPushAge: -1,
		Adapters: hub.AdapterConfig{Credentials: map[string]adapters.Credentials{"bench": {"app_key": "bench", "app_secret": "bench-secret"}}}}, 30*time.Second)
	c := client.New(h.URL())
	ctx := context.Background()
	admin := client.Signer{Registry: trustlist.AdminID, Key: adminKey}
	regions = map[string]*fakeregion.REST{}
	for _, id := range []string{"44", "45"} {
		p, err := sm2ca.New(sm2ca.Options{Province: "测试省" + id})
		if err != nil {
			tb.Fatal(err)
		}
		k := key(tb)
		from := p.Root.Cert.NotBefore
		must := func(s client.Signer, ops ...trustlist.Op) {
			if _, err := c.Push(ctx, s, ops); err != nil {
				tb.Fatal(err)
			}
		}
		must(admin, trustlist.Op{Op: trustlist.OpRegistryCreate, RegistrySpec: &trustlist.RegistrySpec{ID: id, Name: "省" + id,
			Kind: trustlist.KindProvince, Jurisdiction: []string{id}, Keys: []trustlist.KeySpec{{PublicKey: pubPEM(tb, k)}}}},
			trustlist.Op{Op: trustlist.OpAnchorAdd, Cert: p.Root.DER, EffectiveAt: &from})
		must(client.Signer{Registry: id, Key: k}, trustlist.Op{Op: trustlist.OpAnchorAdd, Cert: p.Intermediate.DER},
			trustlist.Op{Op: trustlist.OpMakerAdd, Cert: p.Maker.DER})
		fr, url := restRegion(tb)
		regions[id] = fr
		ttl := "30s"
		if id == "45" {
			ttl = "1ns"
		}
		must(admin, trustlist.Op{Op: trustlist.OpRegistryUpdate, RegistrySpec: &trustlist.RegistrySpec{ID: id, Mode: trustlist.ModeLive, Adapter: restAdapter(url, ttl)}})
		for i := range n {
			code := fmt.Sprintf("%s0300%08d", id, i+1)
			der, err := p.Seal(sm2ca.SealSpec{ESID: code})
			if err != nil {
				tb.Fatal(err)
			}
			fr.Set(code, trustlist.StatusValid, time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))
			if id == "44" {
				cached = append(cached, der)
			} else {
				uncached = append(uncached, der)
			}
		}
	}
	return h, cached, uncached, regions
}

// BenchmarkLiveRegion: POST /v1/verify/seal of seals of a live-mode region whose service answers in
// 50 ms, with answers cached (ttl 30 s; 16 clients over 16 seals) and uncached (ttl 1 ns; 4 clients,
// each on its own seal, so no flight is shared), beside the baseline of the region asked directly
// through the REST adapter (4 clients), in interleaved rounds. p50/p99 of each and their ratios to
// the direct call.
func BenchmarkLiveRegion(b *testing.B) {
	h, cached, uncached, regions := liveHub(b, 16)
	hc := httpClient()
	url := h.URL() + "/v1/verify/seal"
	src := restSource(b, regions["45"])
	verify := func(ders [][]byte) func(int) error {
		return func(i int) error {
			return httpDo(hc, http.MethodPost, url, "application/octet-stream", ders[i%len(ders)])
		}
	}
	upstream := func(i int) error {
		_, err := src.Status(context.Background(), fmt.Sprintf("450300%08d", i%4+1))
		return err
	}
	load(b, 64, clients, verify(cached)) // fill the cache, warm connections
	b.ResetTimer()
	cachedRes := interleaved(b, b.N, clients, verify(cached))
	res := interleaved(b, b.N, 4, verify(uncached[:4]), upstream)
	b.StopTimer()
	unc, up := res[0], res[1]
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(cachedRes[0].pct(0.5)), "cached_p50_ms")
	b.ReportMetric(ms(cachedRes[0].pct(0.99)), "cached_p99_ms")
	b.ReportMetric(ms(unc.pct(0.5)), "uncached_p50_ms")
	b.ReportMetric(ms(unc.pct(0.99)), "uncached_p99_ms")
	b.ReportMetric(ms(up.pct(0.5)), "region_p50_ms")
	b.ReportMetric(ms(up.pct(0.99)), "region_p99_ms")
	b.ReportMetric(float64(unc.pct(0.5))/float64(up.pct(0.5)), "uncached/region_p50")
	b.ReportMetric(float64(cachedRes[0].pct(0.5))/float64(up.pct(0.5)), "cached/region_p50")
}

// restSource is a REST adapter for the simulated region (for the direct baseline).
func restSource(tb testing.TB, fr *fakeregion.REST) adapters.Source {
	srv := httptest.NewServer(fr)
	tb.Cleanup(srv.Close)
	src, err := rest.Kind(nil)(restAdapter(srv.URL, "1ns"), adapters.Credentials{"app_key": "bench", "app_secret": "bench-secret"})
	if err != nil {
		tb.Fatal(err)
	}
	return src
}

// BenchmarkLiveSingleFlight: rounds of 100 concurrent verifications of the same seal of a live-mode
// region (answers in 50 ms, cache expiring at once) — how many calls reach the region per round.
func BenchmarkLiveSingleFlight(b *testing.B) {
	h, _, uncached, regions := liveHub(b, 1)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
	url := h.URL() + "/v1/verify/seal"
	fr := regions["45"]
	if err := httpDo(hc, http.MethodPost, url, "application/octet-stream", uncached[0]); err != nil {
		b.Fatal(err)
	}
	var per []int
	b.ResetTimer()
	for range b.N {
		before := fr.Calls()
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := httpDo(hc, http.MethodPost, url, "application/octet-stream", uncached[0]); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		per = append(per, fr.Calls()-before)
	}
	b.StopTimer()
	slices.Sort(per)
	total := 0
	for _, n := range per {
		total += n
	}
	b.ReportMetric(float64(total)/float64(len(per)), "region_calls_per_100")
	b.ReportMetric(float64(per[len(per)-1]), "max_calls_per_100")
}

// BenchmarkSyncLag: the time from a status change in a sync-mode region (SM2-signed JSON feed,
// poll 100 ms; each change made at a random point of the poll cycle) until every node of three has it, beside the push path's time for the same kind of
// change (BenchmarkStatusVisibility's measure), in the same run, alternating.
func BenchmarkSyncLag(b *testing.B) {
	hubs, keys, adminKey := cluster3Admin(b)
	ctx := context.Background()
	c := client.New(hubs[0].URL())
	fr := fakeregion.NewSignedJSON(fakeregion.SignedJSONOptions{})
	srv := httptest.NewServer(fr)
	b.Cleanup(srv.Close)
	keyPEM, _ := json.Marshal(fr.PublicKeyPEM())
	adapter := json.RawMessage(fmt.Sprintf(`{"kind":"signed-json","poll":"100ms","endpoint":%q,"public_keys":{%q:%s}}`, srv.URL, fr.KeyID(), keyPEM))
	const code = "37010200000042"
	fr.Set(code, trustlist.StatusValid, time.Time{})
	if _, err := c.Push(ctx, client.Signer{Registry: trustlist.AdminID, Key: adminKey}, []trustlist.Op{{Op: trustlist.OpRegistryUpdate,
		RegistrySpec: &trustlist.RegistrySpec{ID: "r1", Mode: trustlist.ModeSync, Adapter: adapter}}}); err != nil {
		b.Fatal(err)
	}
	waitStatus(b, hubs, code, trustlist.StatusValid, 1)
	// The push path's baseline: registry r0 changes one of its own seals.
	signer := client.Signer{Registry: "r0", Key: keys[0]}
	if _, err := c.Push(ctx, signer, metaOps(0, 1)); err != nil {
		b.Fatal(err)
	}
	pushCode := fmt.Sprintf("370102%08d", 0)
	var syncLag, pushLag []time.Duration
	b.ResetTimer()
	for i := range b.N {
		st, action := trustlist.StatusSuspended, "suspend"
		if i%2 == 1 {
			st, action = trustlist.StatusValid, "restore"
		}
		// Changes happen at any point of the poll cycle: wait a random part of it first (not timed).
		time.Sleep(time.Duration(rand.Int64N(int64(100 * time.Millisecond))))
		start := time.Now()
		fr.Set(code, st, time.Now())
		syncLag = append(syncLag, waitStatus(b, hubs, code, st, i+2).Sub(start))

		at := time.Now().UTC().Truncate(time.Second)
		body, err := c.Build(ctx, "r0", []trustlist.Op{{Op: trustlist.OpSealStatus, Code: pushCode, Action: action, EffectiveAt: &at}})
		if err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		if _, err := c.Send(ctx, signer, body); err != nil {
			b.Fatal(err)
		}
		pushLag = append(pushLag, waitStatus(b, hubs, pushCode, st, i+2).Sub(start))
	}
	b.StopTimer()
	slices.Sort(syncLag)
	slices.Sort(pushLag)
	pct := func(l []time.Duration, p float64) float64 {
		return float64(l[min(len(l)-1, int(float64(len(l))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(syncLag, 0.5), "sync_p50_ms")
	b.ReportMetric(pct(syncLag, 0.99), "sync_p99_ms")
	b.ReportMetric(pct(pushLag, 0.5), "push_p50_ms")
	b.ReportMetric(pct(pushLag, 0.99), "push_p99_ms")
	b.ReportMetric(pct(syncLag, 0.5)/pct(pushLag, 0.5), "sync/push_p50")
}

// waitStatus waits until every hub holds seal code with at least events events, the latest of
// status st, and returns when the last one did (watching apply notifications, not polling).
func waitStatus(tb testing.TB, hubs []*hub.Hub, code string, st trustlist.Status, events int) time.Time {
	deadline := time.After(30 * time.Second)
	var last time.Time
	for _, h := range hubs {
		for {
			ch := h.FSM.AppliedCh()
			if s, ok := h.State().Seal(code); ok && len(s.Events) >= events && s.Latest().Status == st {
				last = time.Now()
				break
			}
			select {
			case <-ch:
			case <-deadline:
				tb.Fatalf("seal %s not %s on node %s within 30 s", code, st, h.ID())
			}
		}
	}
	return last
}
