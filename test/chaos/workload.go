package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sealhub/sealhub/internal/hub"
)

// Timeouts of one request. A request to a paused node hangs until its timeout; the next attempt
// goes to another node.
const (
	PushAttemptTimeout = 10 * time.Second
	ReadTimeout        = 3 * time.Second
	VerifyTimeout      = 5 * time.Second
)

// Workload runs the writers, the readers and the verifier against the nodes and records what they
// see: every push and linearizable read in the History, every other outcome in the Counters, and
// every answer that breaks a rule in Violations.
type Workload struct {
	Nodes    *Nodes
	History  *History
	HTTP     *http.Client
	Writers  []*Writer
	Readers  int
	Seals    []*SealFile // for the verifier; none: no verifier
	Seed     uint64
	Counters Counters
	// Consistency of the readers' reads: "" is linearizable. Anything weaker (stale) is only for
	// showing that the checker catches what it must: such a run fails.
	Consistency string

	mu         sync.Mutex
	violations []string
	leader     string // the leader the last answer named
	wg         sync.WaitGroup
}

// Leader is the node the latest answer named as the leader (X-Sealhub-Leader; "" before any).
func (w *Workload) Leader() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.leader
}

// maxViolations caps the violations kept, so one bug does not bury the report.
const maxViolations = 50

// Violate records an answer that breaks a rule.
func (w *Workload) Violate(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.Counters.Inc("violations")
	if len(w.violations) < maxViolations {
		w.violations = append(w.violations, fmt.Sprintf("%s ", fmtOffset(w.History.Now()))+fmt.Sprintf(format, args...))
	}
}

// Violations are the rule-breaking answers seen (at most maxViolations of them).
func (w *Workload) Violations() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.violations...)
}

// Start starts every goroutine. Readers and the verifier run until stop ends; writers start no new
// push once stop has ended, and give up the push they are delivering once giveUp has.
func (w *Workload) Start(stop, giveUp context.Context) {
	for i, wr := range w.Writers {
		wr.w, wr.client = w, i
		wr.rnd = rand.New(rand.NewPCG(w.Seed, uint64(i)))
		w.wg.Go(func() { wr.run(stop, giveUp) })
	}
	for i := range w.Readers {
		r := rand.New(rand.NewPCG(w.Seed, uint64(1000+i)))
		w.wg.Go(func() { w.read(stop, len(w.Writers)+i, r) })
	}
	if len(w.Seals) > 0 {
		r := rand.New(rand.NewPCG(w.Seed, 2000))
		w.wg.Go(func() { w.verify(stop, r) })
	}
}

// Wait waits for every goroutine to return.
func (w *Workload) Wait() { w.wg.Wait() }

// answer is one HTTP answer, or a transport failure.
type answer struct {
	status int
	code   string // the error code of a non-2xx answer; TRANSPORT without an answer
	header http.Header
	body   []byte
}

// do sends one request bounded by timeout and reads the answer.
func (w *Workload) do(ctx context.Context, timeout time.Duration, method, url string, hdr http.Header, body []byte) answer {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return answer{code: "TRANSPORT"}
	}
	maps.Copy(req.Header, hdr)
	resp, err := w.HTTP.Do(req)
	if err != nil {
		return answer{code: "TRANSPORT"}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return answer{code: "TRANSPORT"}
	}
	a := answer{status: resp.StatusCode, header: resp.Header, body: data}
	if l := resp.Header.Get(hub.HeaderLeader); l != "" {
		w.mu.Lock()
		w.leader = l
		w.mu.Unlock()
	}
	if a.status >= 300 {
		var e struct {
			Code string `json:"code"`
		}
		if json.Unmarshal(data, &e) != nil || e.Code == "" {
			e.Code = fmt.Sprintf("HTTP_%d", a.status)
		}
		a.code = e.Code
	}
	return a
}

// NewHTTPClient is the workload's HTTP client: pooled connections, no overall timeout (each
// request has its own).
func NewHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy: nil, MaxIdleConns: 64, MaxIdleConnsPerHost: 16, IdleConnTimeout: 30 * time.Second,
	}}
}

// Counters count outcomes by name. Safe for concurrent use.
type Counters struct {
	mu sync.Mutex
	m  map[string]int
}

// Inc adds one to name.
func (c *Counters) Inc(name string) { c.Add(name, 1) }

// Add adds n to name.
func (c *Counters) Add(name string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[name] += n
}

// Get is name's count.
func (c *Counters) Get(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[name]
}

// Prefixed are the counts whose names start with prefix, by the rest of the name.
func (c *Counters) Prefixed(prefix string) map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.m {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			out[rest] += v
		}
	}
	return out
}

// Sum is the total of the counts whose names start with prefix.
func (c *Counters) Sum(prefix string) int {
	n := 0
	for _, v := range c.Prefixed(prefix) {
		n += v
	}
	return n
}
