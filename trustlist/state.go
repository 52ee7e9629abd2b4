package trustlist

import (
	"encoding/binary"
	"sort"
	"sync/atomic"
	"time"

	iradix "github.com/hashicorp/go-immutable-radix/v2"
)

// State is the replicated trust list at one raft index: registries, trust anchors, seals with their
// status history, and the record of accepted pushes. A *State is immutable: Apply returns a new one
// that shares every unchanged part (seals and pushes live in persistent radix trees), so any number
// of readers use a state without locks while the FSM goroutine builds the next.
//
// Nothing here reads the clock, the network or a random source: time enters only through the
// Envelope's RecordedAt (stamped by the leader) and through the query's own argument.
type State struct {
	index      uint64
	registries map[string]*Registry // copy-on-write: a changed registry is a new *Registry in a new map
	anchors    map[string]*Anchor   // by SM3 fingerprint
	anchorsID  uint64               // identifies the anchors map: a new map gets a new id (not replicated)
	makers     map[string]string    // maker certificate fingerprint → registry id (current and removed)
	seals      *iradix.Tree[*Seal]  // by seal code
	pushes     *iradix.Tree[*PushRecord]
}

// PushRecord is what the hub keeps of an accepted push, to answer an identical retry with the
// original result.
type PushRecord struct {
	Registry   string    `json:"registry"`
	Seq        uint64    `json:"seq"`
	Hash       string    `json:"hash"`
	KeyID      string    `json:"key_id"`
	Index      uint64    `json:"index"`
	RecordedAt time.Time `json:"recorded_at"`
	Ops        int       `json:"ops"`
}

// Result is the outcome of an accepted push.
type Result struct {
	PushRecord
	Replay bool `json:"replay"` // true when this answers a retry of an already accepted push
}

// New is the empty state at index 0.
func New() *State {
	return &State{
		registries: map[string]*Registry{},
		anchors:    map[string]*Anchor{},
		anchorsID:  anchorsIDs.Add(1),
		makers:     map[string]string{},
		seals:      iradix.New[*Seal](),
		pushes:     iradix.New[*PushRecord](),
	}
}

// Index is the raft index of the last entry applied to this state.
func (s *State) Index() uint64 { return s.index }

// Initialized reports whether the administrator key is set.
func (s *State) Initialized() bool { return s.registries[AdminID] != nil }

// Registry returns a registry. The value is shared and must not be modified.
func (s *State) Registry(id string) (*Registry, bool) {
	r, ok := s.registries[id]
	return r, ok
}

// Registries returns every registry (the administrator included), sorted by id.
func (s *State) Registries() []*Registry {
	out := make([]*Registry, 0, len(s.registries))
	for _, r := range s.registries {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Anchor returns a trust anchor by fingerprint.
func (s *State) Anchor(fp string) (*Anchor, bool) {
	a, ok := s.anchors[fp]
	return a, ok
}

// anchorsIDs numbers anchor maps within this process.
var anchorsIDs atomic.Uint64

// AnchorsID identifies this state's set of trust anchors and their histories within this process:
// two states with the same id hold the same anchors. Readers key caches derived from the anchors
// (certificate pools) on it; it is not part of the replicated state.
func (s *State) AnchorsID() uint64 { return s.anchorsID }

// Anchors returns every trust anchor, roots first, then by subject and fingerprint.
func (s *State) Anchors() []*Anchor {
	out := make([]*Anchor, 0, len(s.anchors))
	for _, a := range s.anchors {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Root != out[j].Root {
			return out[i].Root
		}
		if out[i].Subject != out[j].Subject {
			return out[i].Subject < out[j].Subject
		}
		return out[i].Fingerprint < out[j].Fingerprint
	})
	return out
}

// MakerRegistry names the registry that registered a seal-maker certificate.
func (s *State) MakerRegistry(fp string) (string, bool) {
	id, ok := s.makers[fp]
	return id, ok
}

// Seal returns a filed seal.
func (s *State) Seal(code string) (*Seal, bool) {
	return s.seals.Get([]byte(code))
}

// SealCount is the number of filed seals.
func (s *State) SealCount() int { return s.seals.Len() }

// WalkSeals calls fn for every seal in code order until fn returns false.
func (s *State) WalkSeals(fn func(*Seal) bool) {
	s.seals.Root().Walk(func(_ []byte, v *Seal) bool { return !fn(v) })
}

// Push returns the record of an accepted push.
func (s *State) Push(registry string, seq uint64) (*PushRecord, bool) {
	return s.pushes.Get(pushKey(registry, seq))
}

func pushKey(registry string, seq uint64) []byte {
	k := make([]byte, 0, len(registry)+9)
	k = append(k, registry...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, seq)
}
