package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/sealhub/sealhub/federation/ingest"
	"github.com/sealhub/sealhub/internal/client"
)

// Ack is an acknowledged push: one the cluster answered 200 (first time or replay).
type Ack struct {
	Registry string
	Seq      uint64
	Hash     string
	Index    uint64 // raft index of the push entry
	Replay   bool
	Node     int // the node that answered
	Codes    []string
}

// ErrInDoubt means a push was never answered definitively: it may or may not be in the trust list.
var ErrInDoubt = errors.New("cluster: push outcome unknown")

// SendOnce posts b to node n once, without retrying. An API error is a *client.Error (errors.As);
// any other error is a transport failure. A 200 is recorded as acknowledged.
func (c *Cluster) SendOnce(ctx context.Context, n int, b *Body) (*Ack, error) {
	cl := &client.Client{BaseURL: c.URL(n), HTTP: c.http, Retries: 0, Now: time.Now}
	hdr := http.Header{}
	hdr.Set(ingest.HeaderKeyID, b.KeyID)
	hdr.Set(ingest.HeaderSignature, b.Sig)
	var out ingest.PushResponse
	if err := cl.Do(ctx, http.MethodPost, "/v1/updates", b.Bytes, hdr, &out); err != nil {
		return nil, err
	}
	if out.Registry != b.Reg.ID || out.Seq != b.Seq || out.Hash == "" || out.Index == 0 {
		return nil, fmt.Errorf("cluster: node %d acknowledged %s seq %d with %+v", n, b.Reg.ID, b.Seq, out)
	}
	a := &Ack{Registry: out.Registry, Seq: out.Seq, Hash: out.Hash, Index: out.Index, Replay: out.Replay, Node: n, Codes: b.Codes}
	c.record(a)
	b.Reg.advance(a.Seq, a.Hash)
	return a, nil
}

// Retryable reports whether a push error leaves the push to be retried with the same bytes: a
// transport failure or a 503.
func Retryable(err error) bool {
	var ae *client.Error
	if errors.As(err, &ae) {
		return ae.Status == http.StatusServiceUnavailable
	}
	return err != nil
}

// ErrorCode is an API error's code, "TRANSPORT" for a failure without an answer, "" for nil.
func ErrorCode(err error) string {
	var ae *client.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ae):
		return ae.Code
	default:
		return "TRANSPORT"
	}
}

// AttemptTimeout bounds one attempt of Deliver.
const AttemptTimeout = 15 * time.Second

// Deliver sends b until it is acknowledged, to the node pick chooses for each attempt (a random
// live node when pick is nil; 0 means none now), retrying the same bytes after transport failures
// and 503s. It fails on any other answer, and with ErrInDoubt when ctx ends first. ctx is looked
// at between attempts: an attempt under way runs to its answer (or AttemptTimeout), so that once
// Deliver returns no request of it is still in flight.
func (c *Cluster) Deliver(ctx context.Context, b *Body, pick func() int) (*Ack, error) {
	if pick == nil {
		pick = c.randomLive
	}
	backoff := 20 * time.Millisecond
	var last error
	for {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("push %s seq %d: %w (last error: %v)", b.Reg.ID, b.Seq, ErrInDoubt, last)
		}
		if n := pick(); n > 0 {
			actx, cancel := context.WithTimeout(context.Background(), AttemptTimeout)
			a, err := c.SendOnce(actx, n, b)
			cancel()
			if err == nil {
				return a, nil
			}
			if !Retryable(err) {
				return nil, fmt.Errorf("push %s seq %d via node %d: %w", b.Reg.ID, b.Seq, n, err)
			}
			c.countRetry(ErrorCode(err))
			last = err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("push %s seq %d: %w (last error: %v)", b.Reg.ID, b.Seq, ErrInDoubt, last)
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 500*time.Millisecond)
	}
}

// Push files k new seals of reg through node via (retrying there only) and returns the Ack.
func (c *Cluster) Push(t testing.TB, via int, reg *Registry, k int) *Ack {
	t.Helper()
	b, err := reg.Next(reg.SealOps(k))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := c.Deliver(ctx, b, func() int { return via })
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (c *Cluster) record(a *Ack) {
	c.ackMu.Lock()
	defer c.ackMu.Unlock()
	c.acks = append(c.acks, *a)
}

func (c *Cluster) countRetry(code string) {
	c.ackMu.Lock()
	defer c.ackMu.Unlock()
	c.retries[code]++
}

// Acks are the acknowledged pushes so far.
func (c *Cluster) Acks() []Ack {
	c.ackMu.Lock()
	defer c.ackMu.Unlock()
	return append([]Ack(nil), c.acks...)
}

// Retries counts the retried push attempts by error code.
func (c *Cluster) Retries() map[string]int {
	c.ackMu.Lock()
	defer c.ackMu.Unlock()
	out := make(map[string]int, len(c.retries))
	for k, v := range c.retries {
		out[k] = v
	}
	return out
}
