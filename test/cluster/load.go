package cluster

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// LoadOptions describe a Load; zero values get the defaults noted.
type LoadOptions struct {
	Registries []*Registry   // one pushing goroutine each; default all of Cluster.Registries
	Ops        int           // seal.file ops per push; default 20
	Pushes     int           // pushes per registry, then the goroutine ends; 0: until Stop
	Nodes      []int         // send through a random live one of these; nil: any live node
	Pause      time.Duration // between one registry's pushes; default 5ms
	Timeout    time.Duration // a push still unacknowledged after this fails the load; default 40s
	Name       string        // for messages
}

// Load pushes for several registries at once, each registry's pushes one after the other, every
// push retried with the same bytes until the cluster acknowledges it. Acknowledged pushes are
// recorded in the Cluster (Acks) for CheckInvariants.
type Load struct {
	c      *Cluster
	o      LoadOptions
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	acked   int
	failed  []error // definitive failures: an answer other than 200 or 503, or a timeout
	inDoubt int     // pushes cut short by Stop before an answer
	stopped bool
}

// StartLoad starts a load; it is stopped at cleanup if the test does not Stop it.
func (c *Cluster) StartLoad(t testing.TB, o LoadOptions) *Load {
	t.Helper()
	if o.Registries == nil {
		o.Registries = c.Registries
	}
	setDefault(&o.Ops, 20)
	setDefault(&o.Pause, 5*time.Millisecond)
	setDefault(&o.Timeout, 40*time.Second)
	setDefault(&o.Name, "load")
	ctx, cancel := context.WithCancel(context.Background())
	l := &Load{c: c, o: o, cancel: cancel}
	for _, r := range o.Registries {
		l.wg.Go(func() { l.run(ctx, r) })
	}
	t.Cleanup(func() { l.halt() })
	return l
}

func (l *Load) run(ctx context.Context, r *Registry) {
	for n := 0; l.o.Pushes == 0 || n < l.o.Pushes; n++ {
		if ctx.Err() != nil {
			return
		}
		b, err := r.Next(r.SealOps(l.o.Ops))
		if err != nil {
			l.fail(err)
			return
		}
		pctx, cancel := context.WithTimeout(ctx, l.o.Timeout)
		_, err = l.c.Deliver(pctx, b, l.pick)
		timedOut := pctx.Err() != nil && ctx.Err() == nil
		cancel()
		switch {
		case err == nil:
			l.mu.Lock()
			l.acked++
			l.mu.Unlock()
		case errors.Is(err, ErrInDoubt) && !timedOut:
			l.mu.Lock()
			l.inDoubt++
			l.mu.Unlock()
			return
		default:
			l.fail(err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(l.o.Pause):
		}
	}
}

func (l *Load) pick() int {
	if len(l.o.Nodes) == 0 {
		return l.c.randomLive()
	}
	var up []int
	for _, i := range l.o.Nodes {
		if l.c.Hub(i) != nil {
			up = append(up, i)
		}
	}
	if len(up) == 0 {
		return 0
	}
	return up[rand.IntN(len(up))]
}

func (l *Load) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failed = append(l.failed, err)
}

// Acked is the number of pushes acknowledged so far.
func (l *Load) Acked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acked
}

// WaitAcked waits until at least n pushes of the load have been acknowledged.
func (l *Load) WaitAcked(t testing.TB, n int) {
	t.Helper()
	Eventually(t, WaitTimeout, fmt.Sprintf("%s: %d pushes acknowledged", l.o.Name, n), func() (bool, string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if len(l.failed) > 0 {
			t.Fatalf("%s failed: %v", l.o.Name, l.failed[0])
		}
		return l.acked >= n, fmt.Sprintf("%d acknowledged, retries %v", l.acked, l.c.Retries())
	})
}

// WaitProgress waits until n more pushes than now have been acknowledged.
func (l *Load) WaitProgress(t testing.TB, n int) {
	t.Helper()
	l.WaitAcked(t, l.Acked()+n)
}

// Wait waits for a load with a push count to finish, and checks it as Stop does.
func (l *Load) Wait(t testing.TB) {
	t.Helper()
	l.wg.Wait()
	l.Stop(t)
}

// Stop stops the load, waits for its goroutines (a push under way runs to its answer), and fails
// the test if any push got a definitive error. It returns the number of acknowledged pushes.
func (l *Load) Stop(t testing.TB) int {
	t.Helper()
	l.halt()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, err := range l.failed {
		t.Errorf("%s: %v", l.o.Name, err)
	}
	t.Logf("%s: %d pushes acknowledged, %d cut short by stop; retried attempts by cause: %v", l.o.Name, l.acked, l.inDoubt, l.c.Retries())
	return l.acked
}

func (l *Load) halt() {
	l.cancel()
	l.wg.Wait()
}
