package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/sealhub/sealhub/federation/ingest"
)

// HeadReader checks linearizable reads against acknowledged writes while a load runs: it reads
// registry heads with consistency=linearizable from random live nodes, and a read sent after a
// push was acknowledged must see that push (a head seq at least the acknowledged one). Refusals
// (503) are allowed; stale answers are not.
type HeadReader struct {
	c      *Cluster
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	reads    int
	refused  map[string]int // by error code, TRANSPORT for no answer
	failures []string
}

// StartHeadReader starts one reading goroutine per registry; it is stopped at cleanup if the test
// does not Stop it.
func (c *Cluster) StartHeadReader(t testing.TB, regs []*Registry) *HeadReader {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &HeadReader{c: c, cancel: cancel, refused: map[string]int{}}
	for _, reg := range regs {
		r.wg.Go(func() { r.run(ctx, reg) })
	}
	t.Cleanup(func() { r.halt() })
	return r
}

func (r *HeadReader) run(ctx context.Context, reg *Registry) {
	for ctx.Err() == nil {
		n := r.c.randomLive()
		if n == 0 {
			time.Sleep(PollInterval)
			continue
		}
		floor, _ := reg.Head() // acknowledged before the read is sent
		head, status, code, err := r.readHead(n, reg.ID)
		r.mu.Lock()
		switch {
		case err != nil:
			r.refused["TRANSPORT"]++
		case status == http.StatusServiceUnavailable:
			r.refused[code]++
		case status != http.StatusOK:
			r.failures = append(r.failures, fmt.Sprintf("node %d answered %d for registry %s", n, status, reg.ID))
		case head < floor:
			r.failures = append(r.failures, fmt.Sprintf("node %d: linearizable read of %s saw seq %d after seq %d was acknowledged", n, reg.ID, head, floor))
		default:
			r.reads++
		}
		r.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *HeadReader) readHead(n int, id string) (seq uint64, status int, code string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.c.URL(n)+"/v1/registries/"+url.PathEscape(id)+"?consistency=linearizable", nil)
	if err != nil {
		return 0, 0, "", err
	}
	resp, err := r.c.http.Do(req)
	if err != nil {
		return 0, 0, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Code string `json:"code"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return 0, resp.StatusCode, e.Code, nil
	}
	var v ingest.RegistryView
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return 0, resp.StatusCode, "", err
	}
	return v.Head.Seq, resp.StatusCode, "", nil
}

// Stop stops the reader, fails the test for every stale answer, and returns the number of reads
// answered.
func (r *HeadReader) Stop(t testing.TB) int {
	t.Helper()
	r.halt()
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, f := range r.failures {
		if k == maxViolations {
			t.Errorf("… %d more", len(r.failures)-k)
			break
		}
		t.Error(f)
	}
	t.Logf("linearizable head reads: %d answered; refused or failed in transit by cause: %v", r.reads, r.refused)
	return r.reads
}

func (r *HeadReader) halt() {
	r.cancel()
	r.wg.Wait()
}
