package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/federation/ingest"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/trustlist"
)

// Writer is the only writer of one registry. It builds push seq n+1 on the acknowledged push n, so
// what it knows of its seals' statuses is exact, and every change it asks for is allowed. It sends
// each push through random nodes until one acknowledges it; after any other answer the same bytes
// go again (a push is idempotent by its bytes), to another node.
type Writer struct {
	Registry string
	Key      *sm2.PrivateKey

	w      *Workload
	client int
	rnd    *rand.Rand

	seq      uint64
	prev     string
	issued   time.Time         // issued_at of the last push built: never goes back
	statuses map[string]string // by code, as of the acknowledged head
	live     []string          // codes whose status may still change (valid or suspended)
	serial   int

	mu    sync.Mutex
	codes []string // every code a push was built with, for the readers
	acked uint64
}

// Pushes and changes per push.
const (
	maxFiles   = 3 // new seals filed by one push: 1…maxFiles
	maxChanges = 3 // status changes of one push: 0…maxChanges
)

// BenignRejections are the 4xx codes a correct hub may give a correct push under faults: none. (A
// new leader used to check pushes against the head it had before applying its predecessor's
// entries and refuse the next push as PUSH_SEQ_GAP; it now answers 503 NOT_LEADER until it has.)
// Any rejection of the writer's pushes means the hub and the writer disagree on the registry.
var BenignRejections = map[string]bool{}

func (wr *Writer) run(stop, giveUp context.Context) {
	wr.statuses = map[string]string{}
	for stop.Err() == nil {
		p, err := wr.next()
		if err != nil {
			wr.w.Violate("registry %s: building push %d: %v", wr.Registry, wr.seq+1, err)
			return
		}
		wr.deliver(giveUp, p)
		wr.w.History.AddPush(p)
		if p.Outcome != Acked {
			return // the run ended before an acknowledgement
		}
		wr.advance(p)
		sleepCtx(stop, time.Duration(20+wr.rnd.IntN(80))*time.Millisecond)
	}
}

// next builds and signs the push after the acknowledged head: 1–3 new seals filed from metadata,
// and 0–3 status changes of seals filed before.
func (wr *Writer) next() (*PushOp, error) {
	issued := time.Now().UTC().Truncate(time.Second)
	if issued.Before(wr.issued) {
		issued = wr.issued
	}
	wr.issued = issued
	p := &PushOp{Client: wr.client, Registry: wr.Registry, Seq: wr.seq + 1}
	var ops []trustlist.Op
	start := issued.AddDate(-1, 0, 0)
	for range 1 + wr.rnd.IntN(maxFiles) {
		wr.serial++
		code := fmt.Sprintf("X-%s-%06d", wr.Registry, wr.serial)
		ops = append(ops, trustlist.Op{Op: trustlist.OpSealFile, Meta: &trustlist.SealMeta{
			Code: code, Name: "混沌测试单位公章", Type: 1, ValidStart: start, ValidEnd: start.AddDate(3, 0, 0)}})
		p.Codes = append(p.Codes, code)
		p.Changes = append(p.Changes, Change{Code: code, Status: string(trustlist.StatusValid)})
	}
	picked := map[string]bool{}
	for range wr.rnd.IntN(maxChanges + 1) {
		if len(wr.live) == 0 {
			break
		}
		code := wr.live[wr.rnd.IntN(len(wr.live))]
		if picked[code] {
			continue
		}
		picked[code] = true
		action, to := wr.action(wr.statuses[code])
		ops = append(ops, trustlist.Op{Op: trustlist.OpSealStatus, Code: code, Action: action, Reason: "混沌测试"})
		p.Changes = append(p.Changes, Change{Code: code, Status: to})
	}
	body, err := client.MarshalPush(trustlist.Push{Registry: wr.Registry, Seq: p.Seq, Prev: wr.prev, IssuedAt: issued, Ops: ops})
	if err != nil {
		return nil, err
	}
	p.Body, p.Hash = body, trustlist.PushHash(body)
	wr.mu.Lock()
	wr.codes = append(wr.codes, p.Codes...)
	wr.mu.Unlock()
	return p, nil
}

// action picks an allowed seal.status action from status, and the status it leads to.
func (wr *Writer) action(status string) (action, to string) {
	x := wr.rnd.IntN(10)
	switch {
	case x == 0:
		return "invalidate", string(trustlist.StatusInvalidated)
	case x <= 2:
		return "revoke", string(trustlist.StatusRevoked)
	case status == string(trustlist.StatusSuspended):
		return "restore", string(trustlist.StatusValid)
	}
	return "suspend", string(trustlist.StatusSuspended)
}

// advance takes an acknowledged push as the new head.
func (wr *Writer) advance(p *PushOp) {
	wr.seq, wr.prev = p.Seq, p.Hash
	for _, c := range p.Changes {
		if _, known := wr.statuses[c.Code]; !known {
			wr.live = append(wr.live, c.Code)
		}
		wr.statuses[c.Code] = c.Status
	}
	live := wr.live[:0]
	for _, code := range wr.live {
		if s := wr.statuses[code]; s == string(trustlist.StatusValid) || s == string(trustlist.StatusSuspended) {
			live = append(live, code)
		}
	}
	wr.live = live
	wr.mu.Lock()
	wr.acked = p.Seq
	wr.mu.Unlock()
}

// deliver sends p until a node acknowledges it or giveUp ends, and sets its outcome.
func (wr *Writer) deliver(giveUp context.Context, p *PushOp) {
	keyID, sig, err := client.Signer{Registry: wr.Registry, Key: wr.Key}.Sign(p.Body)
	if err != nil {
		wr.w.Violate("registry %s: signing: %v", wr.Registry, err)
		return
	}
	hdr := http.Header{}
	hdr.Set("Content-Type", "application/json")
	hdr.Set(ingest.HeaderKeyID, keyID)
	hdr.Set(ingest.HeaderSignature, sig)
	c := &wr.w.Counters
	definite := true // every answer so far was a 4xx: nothing reached the log
	var last *Node
	backoff := 50 * time.Millisecond
	p.Call = wr.w.History.Now()
	for giveUp.Err() == nil {
		n := wr.w.Nodes.Pick(wr.rnd, last)
		p.Attempts++
		c.Inc("push.attempts")
		a := wr.w.do(giveUp, PushAttemptTimeout, http.MethodPost, n.URL()+"/v1/updates", hdr, p.Body)
		switch {
		case a.status == http.StatusOK:
			wr.acknowledged(p, n, a)
			p.Body = nil // signed and sent: only its hash matters from now on
			return
		case a.status >= 400 && a.status < 500:
			c.Inc("push.rejected." + a.code)
			if !BenignRejections[a.code] {
				wr.w.Violate("registry %s push %d via %s: rejected %d %s: %s", wr.Registry, p.Seq, n.Name, a.status, a.code, clip(a.body))
			}
		default:
			definite = false
			c.Inc("push.retried." + a.code)
		}
		last = n
		sleepCtx(giveUp, backoff)
		backoff = min(2*backoff, time.Second)
	}
	if definite && p.Attempts > 0 {
		p.Outcome = Failed
	}
}

// acknowledged records a 200 answer, which must acknowledge exactly the push sent.
func (wr *Writer) acknowledged(p *PushOp, n *Node, a answer) {
	p.Return, p.Outcome, p.Node = wr.w.History.Now(), Acked, n.Name
	var res ingest.PushResponse
	if err := json.Unmarshal(a.body, &res); err != nil {
		wr.w.Violate("registry %s push %d via %s: unreadable acknowledgement: %v", wr.Registry, p.Seq, n.Name, err)
		return
	}
	p.Index, p.Replay = res.Index, res.Replay
	if res.Registry != wr.Registry || res.Seq != p.Seq || res.Hash != p.Hash || res.Index == 0 {
		wr.w.Violate("registry %s push %d (hash %.12s…) via %s acknowledged as %s seq %d hash %.12s… index %d",
			wr.Registry, p.Seq, p.Hash, n.Name, res.Registry, res.Seq, res.Hash, res.Index)
	}
	wr.w.Counters.Inc("push.acked")
	if res.Replay {
		wr.w.Counters.Inc("push.acked-as-replay")
	}
}

// Acked is the seq of the last acknowledged push.
func (wr *Writer) Acked() uint64 {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	return wr.acked
}

// randomCode is one of the codes built so far ("" before the first push).
func (wr *Writer) randomCode(r *rand.Rand) string {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	if len(wr.codes) == 0 {
		return ""
	}
	return wr.codes[r.IntN(len(wr.codes))]
}

func clip(b []byte) string {
	const n = 300
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
