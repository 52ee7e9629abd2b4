package chaos

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sealhub/sealhub/federation"
	"github.com/sealhub/sealhub/federation/transport"
	"github.com/sealhub/sealhub/internal/rpc"
	"github.com/sealhub/sealhub/test/cluster"
	"github.com/sealhub/sealhub/trustlist"
)

// Operator reaches the nodes' cluster ports as the operator (mutual TLS with the operator
// certificate; the nodes are verified as transport.NodeServerName, whatever address is dialled).
type Operator struct{ rpc *rpc.Client }

// NewOperator loads the operator's TLS files.
func NewOperator(ca, cert, key string) (*Operator, error) {
	cfg, err := transport.LoadClientTLS(ca, cert, key)
	if err != nil {
		return nil, err
	}
	d := &transport.Dialer{TLS: cfg, Timeout: 5 * time.Second}
	return &Operator{rpc: rpc.NewClient(d.HTTPClient())}, nil
}

// Snapshot fetches the trust list of the node at addr, decodes it and checks it against the index
// and digest the node sent with it.
func (o *Operator) Snapshot(ctx context.Context, addr string) (*trustlist.State, error) {
	var buf bytes.Buffer
	info, err := o.rpc.SaveSnapshot(ctx, addr, &buf)
	if err != nil {
		return nil, err
	}
	st, err := federation.ReadSnapshot(&buf)
	if err != nil {
		return nil, fmt.Errorf("snapshot from %s: %w", addr, err)
	}
	if st.Index() != info.Index || st.Digest() != info.Digest {
		return nil, fmt.Errorf("snapshot from %s decodes to index %d digest %s; the node said index %d digest %s",
			addr, st.Index(), st.Digest(), info.Index, info.Digest)
	}
	return st, nil
}

// Converge waits until every node has applied the same index, then fetches their trust lists at
// once; it tries again when they are not all at one index (a sync-mode registry's feed may be
// written meanwhile). It returns the states by node name.
func (o *Operator) Converge(ctx context.Context, ns *Nodes) (map[string]*trustlist.State, error) {
	var states map[string]*trustlist.State
	err := poll(ctx, "the nodes to converge", func(ctx context.Context) error {
		var applied []uint64
		for _, n := range ns.List {
			addr := n.ClusterAddr()
			if addr == "" {
				return fmt.Errorf("%s has no cluster address", n.Name)
			}
			st, err := o.rpc.Stats(ctx, addr)
			if err != nil {
				return fmt.Errorf("%s: %w", n.Name, err)
			}
			if st.AppliedIndex < st.CommitIndex {
				return fmt.Errorf("%s applied %d of %d committed", n.Name, st.AppliedIndex, st.CommitIndex)
			}
			applied = append(applied, st.AppliedIndex)
		}
		if slices.Min(applied) != slices.Max(applied) {
			return fmt.Errorf("applied indexes %v", applied)
		}
		got, err := o.snapshots(ctx, ns)
		if err != nil {
			return err
		}
		var idx []uint64
		for _, n := range ns.List {
			idx = append(idx, got[n.Name].Index())
		}
		if slices.Min(idx) != slices.Max(idx) {
			return fmt.Errorf("snapshots at indexes %v", idx)
		}
		states = got
		return nil
	})
	return states, err
}

func (o *Operator) snapshots(ctx context.Context, ns *Nodes) (map[string]*trustlist.State, error) {
	out := map[string]*trustlist.State{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, len(ns.List))
	for i, n := range ns.List {
		wg.Go(func() {
			st, err := o.Snapshot(ctx, n.ClusterAddr())
			mu.Lock()
			defer mu.Unlock()
			out[n.Name], errs[i] = st, err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ns.List[i].Name, err)
		}
	}
	return out, nil
}

// Final is what the checks of the converged trust lists found.
type Final struct {
	Index          uint64
	Digest         string
	DigestsEqual   bool
	Acked          int
	Lost           int      // acknowledged pushes missing (or different) on at least one node
	Gaps           int      // sequence violations, all nodes together
	UnknownApplied int      // pushes of unknown outcome the cluster holds
	UnknownDropped int      // … and those it does not
	Problems       []string // every violation, one line each
}

// CheckStates checks the nodes' trust lists against the history: every acknowledged push (and its
// seals) on every node with the acknowledged hash; no sequence gap; equal digests at one index;
// equal heads; each registry's head at or past its last acknowledged push and no further than its
// last push sent; every chaos seal's status the one its ledger gives at that head; no failed push
// applied.
func CheckStates(states map[string]*trustlist.State, pushes []*PushOp) *Final {
	names := make([]string, 0, len(states))
	for name := range states {
		names = append(names, name)
	}
	slices.Sort(names)
	f := &Final{DigestsEqual: true}
	first := states[names[0]]
	f.Index, f.Digest = first.Index(), first.Digest()
	var acks []cluster.Ack
	for _, p := range pushes {
		if p.Outcome == Acked {
			acks = append(acks, cluster.Ack{Registry: p.Registry, Seq: p.Seq, Hash: p.Hash, Index: p.Index, Replay: p.Replay, Codes: p.Codes})
		}
	}
	f.Acked = len(acks)
	for _, name := range names {
		st := states[name]
		if st.Index() != f.Index || st.Digest() != f.Digest {
			f.DigestsEqual = false
			f.problem("%s: index %d digest %s; %s: index %d digest %s", name, st.Index(), st.Digest(), names[0], f.Index, f.Digest)
		}
		for _, v := range cluster.CheckAcks(st, acks) {
			f.problem("%s: %s", name, v)
		}
		gaps := cluster.CheckSequences(st)
		f.Gaps += len(gaps)
		for _, v := range gaps {
			f.problem("%s: %s", name, v)
		}
	}
	for _, p := range pushes {
		if p.Outcome == Acked && !onEvery(states, p) {
			f.Lost++
		}
	}
	f.checkRegistries(states, names, pushes)
	return f
}

// onEvery reports whether every state holds push p with its hash.
func onEvery(states map[string]*trustlist.State, p *PushOp) bool {
	for _, st := range states {
		if rec, ok := st.Push(p.Registry, p.Seq); !ok || rec.Hash != p.Hash {
			return false
		}
	}
	return true
}

// checkRegistries checks heads and final statuses per registry, and resolves the pushes of unknown
// outcome.
func (f *Final) checkRegistries(states map[string]*trustlist.State, names []string, pushes []*PushOp) {
	ledgers := Ledgers(pushes)
	acked, sent := map[string]uint64{}, map[string]uint64{}
	for _, p := range pushes {
		if p.Outcome == Acked {
			acked[p.Registry] = max(acked[p.Registry], p.Seq)
		}
		if p.Outcome != Failed {
			sent[p.Registry] = max(sent[p.Registry], p.Seq)
		}
		rec, ok := states[names[0]].Push(p.Registry, p.Seq)
		held := ok && rec.Hash == p.Hash
		switch {
		case p.Outcome == Failed && held:
			f.problem("push %s seq %d was refused on every attempt, yet it is in the trust list", p.Registry, p.Seq)
		case p.Outcome == Unknown && held:
			f.UnknownApplied++
		case p.Outcome == Unknown:
			f.UnknownDropped++
		}
	}
	now := time.Now()
	for reg, ledger := range ledgers {
		var heads []uint64
		for _, name := range names {
			st := states[name]
			r, ok := st.Registry(reg)
			if !ok {
				f.problem("%s: registry %s is missing", name, reg)
				continue
			}
			heads = append(heads, r.Head.Seq)
			if r.Head.Seq < acked[reg] || r.Head.Seq > sent[reg] {
				f.problem("%s: registry %s at head %d; acknowledged up to %d, sent up to %d", name, reg, r.Head.Seq, acked[reg], sent[reg])
			}
			bad := 0
			for _, code := range ledger.Codes() {
				want, got := ledger.StatusAt(code, r.Head.Seq), Absent
				if v, ok := st.Seal(code); ok {
					got = string(v.StatusAt(now).Status)
				}
				if got != want {
					if bad++; bad <= 5 {
						f.problem("%s: seal %s is %s; after push %d of %s it must be %s", name, code, got, r.Head.Seq, reg, want)
					}
				}
			}
			if bad > 5 {
				f.problem("%s: … %d more seals of %s with a wrong status", name, bad-5, reg)
			}
		}
		if len(heads) > 0 && slices.Min(heads) != slices.Max(heads) {
			f.problem("registry %s has different heads on the nodes: %v", reg, heads)
		}
	}
}

func (f *Final) problem(format string, args ...any) {
	f.Problems = append(f.Problems, fmt.Sprintf(format, args...))
}
