package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sealhub/sealhub/internal/client"
)

// sealView is the part of GET /v1/seals/{code} the checks read.
type sealView struct {
	Code       string `json:"code"`
	Registry   string `json:"registry"`
	FiledIndex uint64 `json:"filed_index"`
}

// read reads random seals of acknowledged pushes through random nodes at one consistency level
// until the load stops. A linearizable read starts after the push was acknowledged, so it must
// find the seal; a default read may come from a node that has not applied it yet.
func (l *load) read(ctx context.Context, mode string) {
	tick := time.NewTicker(readEvery)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if a, ok := l.randomAck(); ok {
			l.readSeal(ctx, l.c.randomNode(), mode, a, a.codes[rand.IntN(len(a.codes))])
		}
	}
}

func (l *load) randomAck() (ack, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.flat) == 0 {
		return ack{}, false
	}
	return l.flat[rand.IntN(len(l.flat))], true
}

func (l *load) readSeal(ctx context.Context, n *node, mode string, a ack, code string) {
	key := "read " + mode
	ans, err := l.c.get(ctx, n, "/v1/seals/"+url.PathEscape(code)+"?consistency="+mode)
	switch {
	case err != nil && ctx.Err() != nil:
		return
	case err != nil:
		l.stats.fail(key, err)
	case ans.status == http.StatusOK:
		l.stats.count(key + ": found")
		if err := checkSeal(ans.body, a, code); err != nil {
			l.violate("%s read on %s: %v", mode, n.id, err)
		}
	case ans.status == http.StatusNotFound && mode == "linearizable":
		l.stats.count(key + ": NOT FOUND")
		l.violate("linearizable read on %s of seal %s of acknowledged push %s seq %d (index %d): 404 at index %s: %s",
			n.id, code, a.registry, a.seq, a.index, ans.header.Get("X-Sealhub-Index"), ans.body)
	case ans.status == http.StatusNotFound:
		l.stats.count(key + ": not applied there yet (404)")
	default:
		l.stats.failAnswer(key, ans)
	}
}

// checkSeal checks a seal answer against the push that filed it.
func checkSeal(body []byte, a ack, code string) error {
	var s sealView
	if err := json.Unmarshal(body, &s); err != nil {
		return fmt.Errorf("seal %s: %w", code, err)
	}
	if s.Code != code || s.Registry != a.registry || s.FiledIndex != a.index {
		return fmt.Errorf("seal %s of %s seq %d (index %d): got code %s, registry %s, filed at index %d",
			code, a.registry, a.seq, a.index, s.Code, s.Registry, s.FiledIndex)
	}
	return nil
}

// stats counts what the load did and the errors it saw, by kind, with one example of each.
type stats struct {
	mu      sync.Mutex
	counts  map[string]int
	errs    map[string]int
	example map[string]string
}

func newStats() *stats {
	return &stats{counts: map[string]int{}, errs: map[string]int{}, example: map[string]string{}}
}

func (s *stats) count(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[key]++
}

func (s *stats) fail(op string, err error) { s.failKind(op+": "+errKind(err), err.Error()) }

// failAnswer counts an error answer by status and API code.
func (s *stats) failAnswer(op string, a answer) {
	var e client.Error
	_ = json.Unmarshal(a.body, &e)
	s.failKind(fmt.Sprintf("%s: %d %s", op, a.status, e.Code), strings.TrimSpace(string(a.body)))
}

func (s *stats) failKind(kind, example string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs[kind]++
	if _, ok := s.example[kind]; !ok {
		s.example[kind] = example
	}
}

// errKind names an error for the counts: the API's status and code, or the transport failure.
func errKind(err error) string {
	var ae *client.Error
	var ne net.Error
	switch {
	case errors.As(err, &ae):
		return fmt.Sprintf("%d %s", ae.Status, ae.Code)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed (EOF)"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "other transport error"
}

// total is the number of counts and errors whose key starts with prefix.
func (s *stats) total(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range []map[string]int{s.counts, s.errs} {
		for k, v := range m {
			if strings.HasPrefix(k, prefix) {
				n += v
			}
		}
	}
	return n
}

// report is the counts and errors, one per line, sorted.
func (s *stats) report() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(s.counts)) {
		fmt.Fprintf(&b, "  %-48s %6d\n", k, s.counts[k])
	}
	if len(s.errs) == 0 {
		b.WriteString("  no errors\n")
	}
	for _, k := range slices.Sorted(maps.Keys(s.errs)) {
		fmt.Fprintf(&b, "  error %-42s %6d  e.g. %s\n", k, s.errs[k], clip(s.example[k], 160))
	}
	return b.String()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
