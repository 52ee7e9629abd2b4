package trustlist_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sealhub/sealhub/trustlist"
)

// benchSealsEnv sets the size of the large state of BenchmarkStatusLookup and BenchmarkEncode
// (default 100,000; 1,000,000 and more by hand).
const benchSealsEnv = "SEALHUB_BENCH_SEALS"

func benchSeals(b *testing.B) int {
	s := os.Getenv(benchSealsEnv)
	if s == "" {
		return 100_000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive number", benchSealsEnv, s)
	}
	return n
}

func benchCode(i int) string { return fmt.Sprintf("370200%08d", i) }

// metaOps files seals from, from+1, … from+n-1 from metadata, as a registry's bulk import does.
func metaOps(from, n int) []trustlist.Op {
	ops := make([]trustlist.Op, n)
	for i := range ops {
		m := meta(benchCode(from + i))
		m.OwnerName, m.OwnerUSCC = orgName, orgUSCC
		m.ValidEnd = day(2027, 6, 1)
		m.SealSM3 = fmt.Sprintf("%064x", from+i)
		ops[i] = opFileMeta(m)
	}
	return ops
}

func BenchmarkApplyMetaPush1000(b *testing.B) {
	w := newWorld(b)
	env := w.envelope("37", metaOps(0, 1000)...)
	st := w.st
	for b.Loop() {
		if _, _, err := st.Apply(env, st.Index()+1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "seals/s")
}

func BenchmarkParsePush1000(b *testing.B) {
	body := marshal(b, newWorld(b).push("37", metaOps(0, 1000)...))
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := trustlist.ParsePush(body); err != nil {
			b.Fatal(err)
		}
	}
}

var (
	bigMu     sync.Mutex
	bigStates = map[int]*trustlist.State{}
)

// bigState is the base world with n more seals filed in pushes of 1,000, built once per size.
func bigState(b *testing.B, n int) *trustlist.State {
	bigMu.Lock()
	defer bigMu.Unlock()
	if st, ok := bigStates[n]; ok {
		return st
	}
	start := time.Now()
	w := newWorld(b)
	for i := 0; i < n; i += 1000 {
		env := w.envelope("37", metaOps(i, min(1000, n-i))...)
		next, _, err := w.st.Apply(env, w.st.Index()+1) // not w.apply: the log would keep every body
		if err != nil {
			b.Fatal(err)
		}
		w.st, w.now = next, w.now.Add(time.Minute)
	}
	b.Logf("built a state of %d seals in %s", w.st.SealCount(), time.Since(start).Round(time.Millisecond))
	bigStates[n] = w.st
	return w.st
}

func BenchmarkStatusLookup(b *testing.B) {
	n := benchSeals(b)
	st := bigState(b, n)
	rng := rand.New(rand.NewPCG(1, 2))
	codes := make([]string, 1<<14)
	for i := range codes {
		codes[i] = benchCode(rng.IntN(n))
	}
	at := t0.AddDate(0, 0, -30)
	i := 0
	b.ResetTimer()
	for b.Loop() {
		v, ok := st.Seal(codes[i&(len(codes)-1)])
		if !ok {
			b.Fatal("seal not found")
		}
		if v.StatusAt(at).Status != trustlist.StatusValid {
			b.Fatal("not valid")
		}
		i++
	}
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func BenchmarkEncode(b *testing.B) {
	n := benchSeals(b)
	st := bigState(b, n)
	var size countingWriter
	if _, err := st.Encode(&size); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size.n)
	b.ResetTimer()
	for b.Loop() {
		if _, err := st.Encode(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size.n)/float64(st.SealCount()), "bytes/seal")
}
