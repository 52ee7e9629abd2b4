package chaos

import (
	"fmt"
	"slices"
	"sort"

	"github.com/anishathalye/porcupine"
)

// The linearizability model. Each chaos registry has exactly one writer, which builds push seq n+1
// only once push n is acknowledged, so the content of every push in the history is known: which
// seals it files and which statuses it changes. A registry's state is therefore its head seq alone;
// the statuses at head k are a function of k, read from the registry's Ledger (the pushes 1…k of
// the history applied in order). Checking per registry (porcupine partitions) keeps every search
// small.
//
//	push(seq)          legal when seq == head+1 (head becomes seq) or seq ≤ head (an idempotent
//	                   replay: the same bytes were applied before; nothing changes)
//	readHead → h       legal when h == head
//	readSeal(c) → s    legal when s is c's status after pushes 1…head (Absent: not filed yet)
//
// A push whose outcome stayed unknown returns at the end of the history (porcupine's convention),
// so the checker may place it anywhere after its call: applied at any point, or at the very end,
// where it changes nothing any read saw.

// Absent is the status a seal read reports for a seal the hub does not hold (404 SEAL_NOT_FOUND).
const Absent = "absent"

// OpKind is what an operation of the history does.
type OpKind int

// Operation kinds.
const (
	OpPush     OpKind = iota // a registry push, as one operation however many attempts it took
	OpReadHead               // GET /v1/registries/{id}?consistency=linearizable: the head seq
	OpReadSeal               // GET /v1/seals/{code}?consistency=linearizable: the status now
)

// Input is an operation's input for porcupine.
type Input struct {
	Kind     OpKind
	Registry string
	Seq      uint64  // OpPush: the push's seq
	Code     string  // OpReadSeal: the seal read
	Ledger   *Ledger // OpReadSeal: the registry's statuses by seq
}

// Output is an operation's output for porcupine.
type Output struct {
	Unknown bool   // OpPush: never acknowledged; it may or may not have been applied
	Seq     uint64 // OpReadHead: the head seq answered
	Status  string // OpReadSeal: the status answered, or Absent
}

// Change is one seal's status after a push: "valid" when the push files it, else the status its
// seal.status op leads to.
type Change struct {
	Code   string
	Status string
}

// Ledger holds the status changes of one registry's pushes, by seq, so the status of a seal after
// pushes 1…k is known for every k. It is built once, before the check, and only read after.
type Ledger struct {
	bySeal map[string][]seqStatus // sorted by seq
}

type seqStatus struct {
	seq    uint64
	status string
}

// NewLedger makes an empty ledger.
func NewLedger() *Ledger { return &Ledger{bySeal: map[string][]seqStatus{}} }

// Add records the changes of push seq. Pushes may be added in any order; a seal changed twice by
// one push keeps the last change.
func (l *Ledger) Add(seq uint64, changes []Change) {
	for _, c := range changes {
		evs := l.bySeal[c.Code]
		i := sort.Search(len(evs), func(i int) bool { return evs[i].seq > seq })
		l.bySeal[c.Code] = slices.Insert(evs, i, seqStatus{seq, c.Status})
	}
}

// StatusAt is the status of code after pushes 1…seq: the last change at a seq ≤ seq, or Absent.
func (l *Ledger) StatusAt(code string, seq uint64) string {
	evs := l.bySeal[code]
	i := sort.Search(len(evs), func(i int) bool { return evs[i].seq > seq })
	if i == 0 {
		return Absent
	}
	return evs[i-1].status
}

// Codes are the seals the ledger knows, sorted.
func (l *Ledger) Codes() []string {
	out := make([]string, 0, len(l.bySeal))
	for c := range l.bySeal {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Model is the porcupine model of the chaos registries (see the comment at the top of the file).
func Model() porcupine.Model {
	return porcupine.Model{
		Partition: partitionByRegistry,
		Init:      func() any { return uint64(0) },
		Step:      step,
		Equal:     func(a, b any) bool { return a.(uint64) == b.(uint64) },
		Hash:      func(s any) uint64 { return s.(uint64) },
		DescribeOperation: func(in, out any) string {
			return describe(in.(Input), out.(Output))
		},
		DescribeState: func(s any) string { return fmt.Sprintf("head %d", s.(uint64)) },
	}
}

func step(state, in, out any) (bool, any) {
	head := state.(uint64)
	i, o := in.(Input), out.(Output)
	switch i.Kind {
	case OpPush:
		switch {
		case i.Seq == head+1:
			return true, i.Seq
		case i.Seq <= head:
			return true, head
		}
		return false, head
	case OpReadHead:
		return o.Seq == head, head
	case OpReadSeal:
		return i.Ledger.StatusAt(i.Code, head) == o.Status, head
	}
	return false, head
}

func describe(i Input, o Output) string {
	switch i.Kind {
	case OpPush:
		if o.Unknown {
			return fmt.Sprintf("push %s #%d → ?", i.Registry, i.Seq)
		}
		return fmt.Sprintf("push %s #%d → ok", i.Registry, i.Seq)
	case OpReadHead:
		return fmt.Sprintf("head %s → %d", i.Registry, o.Seq)
	case OpReadSeal:
		return fmt.Sprintf("seal %s → %s", i.Code, o.Status)
	}
	return "?"
}

// partitionByRegistry splits the history by registry: each registry's pushes and reads only
// depend on one another.
func partitionByRegistry(history []porcupine.Operation) [][]porcupine.Operation {
	idx := map[string]int{}
	var parts [][]porcupine.Operation
	for _, op := range history {
		reg := op.Input.(Input).Registry
		k, ok := idx[reg]
		if !ok {
			k = len(parts)
			idx[reg] = k
			parts = append(parts, nil)
		}
		parts[k] = append(parts[k], op)
	}
	return parts
}
