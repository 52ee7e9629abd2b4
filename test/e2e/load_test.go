package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/federation/ingest"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// Load shape: each registry's pusher sends one push of 20–50 seal.file ops every pushEvery; the
// readers each read one acknowledged seal every readEvery.
const (
	pushEvery      = 100 * time.Millisecond
	readEvery      = 5 * time.Millisecond
	readersPerMode = 2
	minOps, maxOps = 20, 50
)

// registry is a registry the load pushes to: its seal codes are division+8 digits.
type registry struct {
	id, name string
	division string // the 6-digit GB/T 2260 division of its seal codes, inside its jurisdiction
	key      *sm2.PrivateKey
}

// ack is an acknowledged push and the seals it filed.
type ack struct {
	registry string
	seq      uint64
	hash     string
	index    uint64 // raft index, which every seal of the push carries as filed_index
	codes    []string
	body     []byte // exactly as signed and sent
}

// load runs one sequential pusher per registry and readers of acknowledged seals, through random
// nodes, and records every acknowledged push.
type load struct {
	c     *cluster
	regs  []*registry
	stats *stats
	start time.Time // issue time base: the seals' validity starts a year before

	mu         sync.Mutex
	acks       map[string][]ack // per registry, in seq order
	flat       []ack            // every ack, for the readers
	violations []string

	clients map[*node]*client.Client

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
	errMu    sync.Mutex
	pushErr  []error
}

func newLoad(c *cluster, regs []*registry) *load {
	l := &load{c: c, regs: regs, stats: newStats(), start: time.Now().UTC().Truncate(time.Second),
		acks: map[string][]ack{}, clients: map[*node]*client.Client{}, stop: make(chan struct{})}
	for _, n := range c.nodes {
		// No retries: send picks the next node itself. The timeout bounds a request to a node
		// that died with it in flight.
		cl := client.New(n.url())
		cl.Retries, cl.HTTP = 0, &http.Client{Timeout: 15 * time.Second}
		l.clients[n] = cl
	}
	return l
}

// run starts the pushers and readers; ctx bounds everything, including the push in progress when
// stop is called.
func (l *load) run(ctx context.Context) {
	for _, r := range l.regs {
		l.wg.Go(func() {
			if err := l.push(ctx, r); err != nil {
				l.errMu.Lock()
				l.pushErr = append(l.pushErr, err)
				l.errMu.Unlock()
			}
		})
	}
	for range readersPerMode {
		for _, mode := range []string{"linearizable", "default"} {
			l.wg.Go(func() { l.read(ctx, mode) })
		}
	}
}

// halt stops the load: each pusher finishes the push it is sending (until it is acknowledged),
// then every goroutine returns. It returns the pushers' errors.
func (l *load) halt() error {
	l.stopOnce.Do(func() { close(l.stop) })
	l.wg.Wait()
	l.errMu.Lock()
	defer l.errMu.Unlock()
	return errors.Join(l.pushErr...)
}

func (l *load) stopped() bool { return isClosed(l.stop) }

// push sends the registry's pushes one after another: seq n+1 is built on the acknowledged head
// of seq n, so no read of the head (which a lagging node could answer stale) is needed.
func (l *load) push(ctx context.Context, r *registry) error {
	tick := time.NewTicker(pushEvery)
	defer tick.Stop()
	var seq uint64
	prev, next := "", 0
	for !l.stopped() {
		ops, codes := l.ops(r, &next)
		body, err := client.MarshalPush(trustlist.Push{Registry: r.id, Seq: seq + 1, Prev: prev,
			IssuedAt: time.Now().UTC().Truncate(time.Second), Ops: ops})
		if err != nil {
			return err
		}
		res, err := l.send(ctx, r, body)
		if err != nil {
			return fmt.Errorf("registry %s seq %d: %w", r.id, seq+1, err)
		}
		if res.Registry != r.id || res.Seq != seq+1 || res.Ops != len(ops) || res.Hash != smcrypto.SM3Hex(body) {
			return fmt.Errorf("registry %s seq %d: acknowledged as %s seq %d with %d ops, hash %s (SM3 of the body sent: %s)",
				r.id, seq+1, res.Registry, res.Seq, res.Ops, res.Hash, smcrypto.SM3Hex(body))
		}
		seq, prev = res.Seq, res.Hash
		l.record(ack{registry: r.id, seq: res.Seq, hash: res.Hash, index: res.Index, codes: codes, body: body})
		select {
		case <-tick.C:
		case <-l.stop:
		}
	}
	return nil
}

// ops makes 20–50 seal.file ops with fresh codes.
func (l *load) ops(r *registry, next *int) ([]trustlist.Op, []string) {
	n := minOps + rand.IntN(maxOps-minOps+1)
	ops := make([]trustlist.Op, 0, n)
	codes := make([]string, 0, n)
	for range n {
		*next++
		code := fmt.Sprintf("%s%08d", r.division, *next)
		ops = append(ops, l.op(code))
		codes = append(codes, code)
	}
	return ops, codes
}

// op files a seal by its metadata, valid from a year ago for three years.
func (l *load) op(code string) trustlist.Op {
	valid := l.start.AddDate(-1, 0, 0)
	return trustlist.Op{Op: trustlist.OpSealFile, Meta: &trustlist.SealMeta{
		Code: code, Name: "测试单位公章", Type: 1, ValidStart: valid, ValidEnd: valid.AddDate(3, 0, 0)}}
}

// send posts exactly body until a node acknowledges it. After a transport error or a 5xx the
// outcome is unknown: the same bytes go to another node, and the hub answers a push it already
// holds as a replay. A 4xx is a rejection of bytes that were valid when built: a failure.
func (l *load) send(ctx context.Context, r *registry, body []byte) (*ingest.PushResponse, error) {
	signer := client.Signer{Registry: r.id, Key: r.key}
	unknown := false
	var last *node
	for {
		n := l.c.otherNode(last)
		res, err := l.clients[n].Send(ctx, signer, body)
		if err == nil {
			l.stats.count("push acknowledged")
			if res.Replay {
				l.stats.count("push acknowledged as a replay")
			}
			if unknown {
				l.stats.count("push acknowledged after an unknown outcome")
			}
			return res, nil
		}
		l.stats.fail("push", err)
		var ae *client.Error
		if errors.As(err, &ae) && ae.Status < http.StatusInternalServerError {
			return nil, fmt.Errorf("rejected by %s: %w", n.id, err)
		}
		unknown, last = true, n
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("not acknowledged before the deadline (last error from %s: %w)", n.id, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (l *load) record(a ack) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acks[a.registry] = append(l.acks[a.registry], a)
	l.flat = append(l.flat, a)
}

// acked is the number of acknowledged pushes of each registry.
func (l *load) acked() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for _, r := range l.regs {
		out[r.id] = len(l.acks[r.id])
	}
	return out
}

// waitPushes waits until every registry has more acknowledged pushes than now.
func (l *load) waitPushes(ctx context.Context, more int) error {
	mark := l.acked()
	return waitFor(ctx, fmt.Sprintf("%d more acknowledged pushes per registry", more), func(context.Context) error {
		if err := l.pushError(); err != nil {
			return permanent{err}
		}
		now := l.acked()
		for id, n := range mark {
			if now[id] < n+more {
				return fmt.Errorf("registry %s: %d of %d", id, now[id], n+more)
			}
		}
		return nil
	})
}

// pushError is the first error of a pusher that gave up, if any.
func (l *load) pushError() error {
	l.errMu.Lock()
	defer l.errMu.Unlock()
	if len(l.pushErr) > 0 {
		return l.pushErr[0]
	}
	return nil
}

func (l *load) violate(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.violations = append(l.violations, fmt.Sprintf(format, args...))
}
