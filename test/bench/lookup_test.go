package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sealhub/sealhub/trustlist"
)

// sizes are the state sizes of the lookup and memory benchmarks: 100 thousand always, 1 million
// with SEALHUB_BENCH_LARGE=1 (about a minute to build), or exactly SEALHUB_BENCH_SEALS.
func sizes() []int {
	if s := os.Getenv("SEALHUB_BENCH_SEALS"); s != "" {
		n, err := strconv.Atoi(s)
		if err == nil && n > 0 {
			return []int{n}
		}
	}
	if os.Getenv("SEALHUB_BENCH_LARGE") == "1" {
		return []int{100_000, 1_000_000}
	}
	return []int{100_000}
}

var (
	statesMu sync.Mutex
	states   = map[int]*trustlist.State{}
)

// stateOf builds (once per size) a trust list of n seals filed in pushes of 1,000.
func stateOf(tb testing.TB, n int) *trustlist.State {
	statesMu.Lock()
	defer statesMu.Unlock()
	if st, ok := states[n]; ok {
		return st
	}
	st := buildFresh(tb, n)
	states[n] = st
	return st
}

func code(i int) string { return fmt.Sprintf("370102%08d", i) }

// BenchmarkStatusLookup is the read path of GET /v1/seals/{code} without HTTP: find the seal in the
// state and compute its status at a time. Compare ns/op across sizes (goal: 1M within 20% of 100k).
func BenchmarkStatusLookup(b *testing.B) {
	for _, n := range sizes() {
		b.Run(fmt.Sprintf("seals=%d", n), func(b *testing.B) {
			st := stateOf(b, n)
			at := epoch.AddDate(1, 0, 0)
			codes := make([]string, 4096)
			for i := range codes {
				codes[i] = code(rand.IntN(n))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				v, ok := st.Seal(codes[i%len(codes)])
				if !ok || v.StatusAt(at).Status != trustlist.StatusValid {
					b.Fatal("lookup failed")
				}
			}
		})
	}
}

// BenchmarkMemoryPerSeal reports the Go heap and the resident memory a filed seal costs: the
// difference between a state of n seals and the empty one, after garbage collection, divided by n.
func BenchmarkMemoryPerSeal(b *testing.B) {
	for _, n := range sizes() {
		b.Run(fmt.Sprintf("seals=%d", n), func(b *testing.B) {
			// One build is the measurement, whatever b.N is (ns/op is the build time divided by b.N).
			heap0, rss0 := footprint()
			st := buildFresh(b, n)
			heap1, rss1 := footprint()
			runtime.KeepAlive(st)
			b.ReportMetric(float64(heap1-heap0)/float64(n), "heap_bytes/seal")
			b.ReportMetric(float64(rss1-rss0)/float64(n), "rss_bytes/seal")
		})
	}
}

func buildFresh(tb testing.TB, n int) *trustlist.State {
	k := key(tb)
	st := adminState(tb, k)
	prev := ""
	for i := 0; i < n/perPush; i++ {
		e := signedPush(tb, k, "37", i, prev, perPush, epoch)
		next, _, err := st.Apply(e, uint64(i+3))
		if err != nil {
			tb.Fatal(err)
		}
		st, prev = next, trustlist.PushHash(e.Body)
	}
	return st
}

func footprint() (heap, rss uint64) {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, residentBytes()
}

// residentBytes reads the process's resident set size from /proc (0 where there is none).
func residentBytes() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}
