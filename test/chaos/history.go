package chaos

import (
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// Outcome is how a push ended.
type Outcome int

// Push outcomes.
const (
	// Unknown: no attempt was answered 200, and at least one may have reached the log (a transport
	// failure, a timeout, a 5xx). The push may or may not be applied.
	Unknown Outcome = iota
	// Acked: a node answered 200 (the first time or as a replay): the push is committed.
	Acked
	// Failed: every attempt was refused with a 4xx, which the hub answers before proposing
	// anything: the push was never applied.
	Failed
)

func (o Outcome) String() string {
	switch o {
	case Acked:
		return "ok"
	case Failed:
		return "failed"
	}
	return "unknown"
}

// PushOp is one push body: every attempt to deliver the same bytes is part of one operation,
// from the first attempt's call to the answer that acknowledged it.
type PushOp struct {
	Client   int // the writer, for the visualization
	Registry string
	Seq      uint64
	Hash     string // SM3 of the body, as the hub must acknowledge it
	Body     []byte
	Codes    []string // seals it files
	Changes  []Change // the statuses it sets
	Call     time.Duration
	Return   time.Duration // the acknowledgement (Acked only)
	Outcome  Outcome
	Attempts int
	Index    uint64 // raft index acknowledged
	Replay   bool   // the acknowledgement was a replay answer
	Node     string // the node that acknowledged it
}

// ReadOp is one linearizable read answered 200 (or 404 for a seal it does not hold).
type ReadOp struct {
	Client   int
	Kind     OpKind // OpReadHead or OpReadSeal
	Registry string
	Code     string // OpReadSeal
	Seq      uint64 // OpReadHead: head answered
	Status   string // OpReadSeal: status answered, or Absent
	Node     string
	Call     time.Duration
	Return   time.Duration
}

// History records the operations of a run. Times are offsets from its start on the monotonic
// clock. It is safe for concurrent use.
type History struct {
	start time.Time

	mu     sync.Mutex
	pushes []*PushOp
	reads  []ReadOp
}

// NewHistory starts a history now.
func NewHistory() *History { return &History{start: time.Now()} }

// Now is the current offset.
func (h *History) Now() time.Duration { return time.Since(h.start) }

// AddPush records a finished push (Acked, Failed, or Unknown when the run ended first).
func (h *History) AddPush(p *PushOp) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pushes = append(h.pushes, p)
}

// AddRead records an answered read.
func (h *History) AddRead(r ReadOp) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reads = append(h.reads, r)
}

// Pushes are the recorded pushes.
func (h *History) Pushes() []*PushOp {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*PushOp(nil), h.pushes...)
}

// Reads are the recorded reads.
func (h *History) Reads() []ReadOp {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]ReadOp(nil), h.reads...)
}

// Ledgers builds each registry's ledger from the pushes that may have been applied (Acked and
// Unknown; a Failed push changed nothing).
func Ledgers(pushes []*PushOp) map[string]*Ledger {
	out := map[string]*Ledger{}
	for _, p := range pushes {
		if p.Outcome == Failed {
			continue
		}
		l := out[p.Registry]
		if l == nil {
			l = NewLedger()
			out[p.Registry] = l
		}
		l.Add(p.Seq, p.Changes)
	}
	return out
}

// Operations turns the history into porcupine operations: one per push that may have been applied,
// one per read. An Unknown push returns after everything else.
func (h *History) Operations() []porcupine.Operation {
	pushes, reads := h.Pushes(), h.Reads()
	return Operations(pushes, reads)
}

// Operations is History.Operations over given pushes and reads (for tests).
func Operations(pushes []*PushOp, reads []ReadOp) []porcupine.Operation {
	ledgers := Ledgers(pushes)
	var end time.Duration
	for _, p := range pushes {
		end = max(end, p.Call, p.Return)
	}
	for _, r := range reads {
		end = max(end, r.Return)
	}
	end++
	ops := make([]porcupine.Operation, 0, len(pushes)+len(reads))
	for _, p := range pushes {
		if p.Outcome == Failed {
			continue
		}
		ret, out := p.Return, Output{}
		if p.Outcome == Unknown {
			ret, out.Unknown = end, true
		}
		ops = append(ops, porcupine.Operation{ClientId: p.Client, Call: int64(p.Call), Return: int64(ret),
			Input: Input{Kind: OpPush, Registry: p.Registry, Seq: p.Seq}, Output: out})
	}
	for _, r := range reads {
		in := Input{Kind: r.Kind, Registry: r.Registry, Code: r.Code}
		if r.Kind == OpReadSeal {
			in.Ledger = ledgers[r.Registry]
			if in.Ledger == nil {
				in.Ledger = NewLedger()
			}
		}
		ops = append(ops, porcupine.Operation{ClientId: r.Client, Call: int64(r.Call), Return: int64(r.Return),
			Input: in, Output: Output{Seq: r.Seq, Status: r.Status}})
	}
	return ops
}
