package bench

import (
	"bytes"
	"context"
	"fmt"
	"github.com/sealhub/sealhub/test/hubtest"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/internal/demo/seed"
	"github.com/sealhub/sealhub/internal/hub"
	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// seededHub is a one-node hub holding sealhub dev's demo data: registries, CA chains, seals in
// every state, some filed from their SES_Seal DER.
func seededHub(tb testing.TB) (*hub.Hub, *seed.Seeded) {
	s, err := seed.Plan(seed.Options{Seals: 300})
	if err != nil {
		tb.Fatal(err)
	}
	admin, err := s.AdminPublicPEM()
	if err != nil {
		tb.Fatal(err)
	}
	h := hubtest.Open(tb, hub.Config{NodeID: "bench", Bootstrap: true, AdminKeys: []string{admin}, MaxPushAge: -1}, 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Push(ctx, client.New(h.URL())); err != nil {
		tb.Fatal(err)
	}
	return h, s
}

// validFiledSeal is the DER of a demo seal filed from its SES_Seal and valid now.
func validFiledSeal(tb testing.TB, s *seed.Seeded) []byte {
	for _, v := range s.Seals {
		if v.DER != nil && v.State == seed.StateValid {
			return v.DER
		}
	}
	tb.Fatal("the demo data has no valid seal filed from DER")
	return nil
}

// loadResult is what the load generator measured.
type loadResult struct {
	took time.Duration
	lat  []time.Duration // per operation, sorted
}

func (r loadResult) rate(n int) float64 { return float64(n) / r.took.Seconds() }

func (r loadResult) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(float64(len(r.lat))*p))]
}

// load runs n operations on `workers` goroutines and records each one's latency. The same generator
// drives the system and its baseline, so their ratio compares like with like.
func load(tb testing.TB, n, workers int, op func(i int) error) loadResult {
	var next atomic.Int64
	lat := make([]time.Duration, n)
	var failed atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				if err := op(i); err != nil {
					failed.Store(err)
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if err, _ := failed.Load().(error); err != nil {
		tb.Fatal(err)
	}
	slices.Sort(lat)
	return loadResult{took: took, lat: lat}
}

// interleaved runs n operations of each op, in rounds that alternate between them, so that a slow
// spell of the machine (other tenants, frequency changes) falls on all of them alike; their ratios
// are then steadier than those of runs one after another.
func interleaved(tb testing.TB, n, workers int, ops ...func(i int) error) []loadResult {
	const rounds = 10
	out := make([]loadResult, len(ops))
	for r := 0; r < rounds; r++ {
		m := n / rounds
		if r == rounds-1 {
			m = n - m*(rounds-1)
		}
		if m == 0 {
			continue
		}
		for k, op := range ops {
			res := load(tb, m, workers, op)
			out[k].took += res.took
			out[k].lat = append(out[k].lat, res.lat...)
		}
	}
	for k := range out {
		slices.Sort(out[k].lat)
	}
	return out
}

// httpDo sends one request and drains the answer, which must be 200.
func httpDo(hc *http.Client, method, url, ctype string, body []byte) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d", method, url, resp.StatusCode)
	}
	return nil
}

// bareGin serves one constant JSON answer from a gin engine with no middleware: the baseline of an
// HTTP lookup.
func bareGin(tb testing.TB) string {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	body := []byte(`{"code":"37010200000001","status":"valid","index":1}` + "\n")
	e.GET("/v1/seals/:code", func(c *gin.Context) { c.Data(http.StatusOK, "application/json; charset=utf-8", body) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := &http.Server{Handler: e}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

const clients = 16

func httpClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2, MaxConnsPerHost: clients * 2}}
}

// BenchmarkSealLookupHTTP: GET /v1/seals/{code} on a hub against a bare gin handler returning
// constant JSON, both driven by 16 keep-alive clients over loopback.
func BenchmarkSealLookupHTTP(b *testing.B) {
	h, s := seededHub(b)
	codes := s.Codes(seed.StateValid)
	base := bareGin(b)
	hc := httpClient()
	hub := func(i int) error {
		return httpDo(hc, http.MethodGet, h.URL()+"/v1/seals/"+codes[i%len(codes)], "", nil)
	}
	bare := func(i int) error { return httpDo(hc, http.MethodGet, base+"/v1/seals/"+codes[i%len(codes)], "", nil) }
	load(b, 2000, clients, hub) // warm up connections and caches
	load(b, 2000, clients, bare)
	b.ResetTimer()
	res := interleaved(b, b.N, clients, hub, bare)
	got, ref := res[0], res[1]
	b.StopTimer()
	b.ReportMetric(got.rate(b.N), "lookups/s")
	b.ReportMetric(ref.rate(b.N), "bare_gin/s")
	b.ReportMetric(got.rate(b.N)/ref.rate(b.N), "ratio")
	b.ReportMetric(float64(got.pct(0.5).Microseconds()), "p50_µs")
	b.ReportMetric(float64(got.pct(0.99).Microseconds()), "p99_µs")
	b.ReportMetric(float64(ref.pct(0.5).Microseconds()), "bare_p50_µs")
	b.ReportMetric(float64(ref.pct(0.99).Microseconds()), "bare_p99_µs")
}

// BenchmarkVerifySealHTTP: POST /v1/verify/seal (a filed seal, raw DER body; the answer carries a
// signed receipt) against raw SM2 verifications on the same cores, with the same load generator
// (16 workers). One request costs one SM2 verification (the maker's signature; the chain's
// certificate signatures are cached) and one SM2 signature (the receipt), so the rate the SM2
// work allows is that of one verification plus one signature; both ratios are reported.
func BenchmarkVerifySealHTTP(b *testing.B) {
	h, s := seededHub(b)
	der := validFiledSeal(b, s)
	hc := httpClient()
	url := h.URL() + "/v1/verify/seal"
	verify := func(int) error { return httpDo(hc, http.MethodPost, url, "application/octet-stream", der) }
	// The raw SM2 work of one request, with a key and message of the same sizes.
	k := key(b)
	msg := bytes.Repeat([]byte{0x5a}, 512)
	sig, err := smcrypto.Sign(k, msg)
	if err != nil {
		b.Fatal(err)
	}
	rawVerify := func(int) error { _, err := smcrypto.Verify(&k.PublicKey, msg, sig); return err }
	rawBoth := func(int) error {
		if _, err := smcrypto.Verify(&k.PublicKey, msg, sig); err != nil {
			return err
		}
		_, err := smcrypto.Sign(k, msg)
		return err
	}
	load(b, 500, clients, verify)
	b.ResetTimer()
	res := interleaved(b, b.N, clients, verify, rawVerify, rawBoth)
	got, refV, refB := res[0], res[1], res[2]
	b.StopTimer()
	b.ReportMetric(got.rate(b.N), "verifications/s")
	b.ReportMetric(refV.rate(b.N), "raw_sm2_verify/s")
	b.ReportMetric(refB.rate(b.N), "raw_sm2_verify+sign/s")
	b.ReportMetric(got.rate(b.N)/refV.rate(b.N), "ratio_vs_verify")
	b.ReportMetric(got.rate(b.N)/refB.rate(b.N), "ratio_vs_verify+sign")
	b.ReportMetric(float64(got.pct(0.5).Microseconds()), "p50_µs")
	b.ReportMetric(float64(got.pct(0.99).Microseconds()), "p99_µs")
	b.ReportMetric(float64(refB.pct(0.5).Microseconds()), "raw_p50_µs")
	b.ReportMetric(float64(refB.pct(0.99).Microseconds()), "raw_p99_µs")
}

// BenchmarkVerifySealEngine: the verification engine alone (resolver.Resolver.Verify of a filed
// seal: parse, SM2, cached chain, status, report) on one goroutine, against raw SM2 verifications on
// one goroutine — DESIGN's "seal verification ≥ 0.8 × raw SM2 on one core" — with the node's receipt
// (canonical JSON, SM3 leaf, one SM2 signature: on one goroutine nothing shares it) and without.
func BenchmarkVerifySealEngine(b *testing.B) {
	h, s := seededHub(b)
	der := validFiledSeal(b, s)
	req := resolver.Request{Kind: resolver.KindSeal, DER: der}
	ctx := context.Background()
	k := key(b)
	msg := bytes.Repeat([]byte{0x5a}, 512)
	sig, err := smcrypto.Sign(k, msg)
	if err != nil {
		b.Fatal(err)
	}
	bare := &resolver.Resolver{Trust: h.FSM}
	for name, r := range map[string]*resolver.Resolver{"receipt": h.Resolver, "no_receipt": bare} {
		b.Run(name, func(b *testing.B) {
			if res, err := r.Verify(ctx, req); err != nil || res.Verdict() != resolver.Valid {
				b.Fatalf("%v %v", err, res.Verdict())
			}
			b.ResetTimer()
			res := interleaved(b, b.N, 1,
				func(int) error { _, err := r.Verify(ctx, req); return err },
				func(int) error { _, err := smcrypto.Verify(&k.PublicKey, msg, sig); return err })
			got, ref := res[0], res[1]
			b.StopTimer()
			b.ReportMetric(got.rate(b.N), "verifications/s")
			b.ReportMetric(ref.rate(b.N), "raw_sm2_verify/s")
			b.ReportMetric(got.rate(b.N)/ref.rate(b.N), "ratio")
			b.ReportMetric(float64(got.pct(0.5).Microseconds()), "p50_µs")
			b.ReportMetric(float64(got.pct(0.99).Microseconds()), "p99_µs")
		})
	}
}
