package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"

	"github.com/sealhub/sealhub/internal/client"
)

// check verifies the invariants once the load has stopped, and returns the number of seal reads
// it made.
func (l *load) check(ctx context.Context, t *testing.T) int {
	t.Helper()
	for _, v := range l.violations {
		t.Error(v)
	}
	if err := l.checkReplays(ctx); err != nil {
		t.Error(err)
	}
	idx, err := l.c.waitConverged(ctx)
	must(t, err)
	if err := l.checkHeads(ctx); err != nil {
		t.Error(err)
	}
	reads, err := l.checkSeals(ctx)
	if err != nil {
		t.Error(err)
	}
	var first snapshotInfo
	for i, n := range l.c.nodes {
		info, err := l.c.snapshot(ctx, n)
		if err != nil {
			t.Error(err)
			continue
		}
		t.Logf("%s: index %d, %d seals, digest %s", n.id, info.index, info.seals, info.digest)
		if info.index != idx || info.seals != uint64(l.sealCount()) {
			t.Errorf("%s: snapshot at index %d with %d seals; want index %d, %d seals (every acknowledged op)", n.id, info.index, info.seals, idx, l.sealCount())
		}
		if i == 0 {
			first = info
		} else if info.digest != first.digest {
			t.Errorf("%s: digest %s; %s has %s at the same index", n.id, info.digest, l.c.nodes[0].id, first.digest)
		}
	}
	return reads
}

func (l *load) sealCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, a := range l.flat {
		n += len(a.codes)
	}
	return n
}

// checkReplays sends each registry's last acknowledged push again, byte for byte, through every
// node: the hub must answer it as a replay of the same push, and change nothing.
func (l *load) checkReplays(ctx context.Context) error {
	var errs []error
	for _, r := range l.regs {
		l.mu.Lock()
		acks := l.acks[r.id]
		l.mu.Unlock()
		if len(acks) == 0 {
			continue
		}
		a := acks[len(acks)-1]
		for _, n := range l.c.nodes {
			res, err := l.clients[n].Send(ctx, client.Signer{Registry: r.id, Key: r.key}, a.body)
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("%s: replay of %s seq %d: %w", n.id, r.id, a.seq, err))
			case !res.Replay || res.Seq != a.seq || res.Hash != a.hash || res.Index != a.index:
				errs = append(errs, fmt.Errorf("%s: replay of %s seq %d (index %d) answered as replay=%v seq %d index %d",
					n.id, r.id, a.seq, a.index, res.Replay, res.Seq, res.Index))
			}
		}
	}
	return errors.Join(errs...)
}

// registryView is the part of GET /v1/registries/{id} the checks read.
type registryView struct {
	Head struct {
		Seq  uint64 `json:"seq"`
		Hash string `json:"hash"`
	} `json:"head"`
}

// checkHeads verifies that each registry's acknowledged pushes are seq 1…n without a gap and that
// every node's head is the last of them: seq n with its hash.
func (l *load) checkHeads(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var errs []error
	for _, r := range l.regs {
		acks := l.acks[r.id]
		if len(acks) == 0 {
			errs = append(errs, fmt.Errorf("registry %s: no push acknowledged", r.id))
			continue
		}
		for i, a := range acks {
			if a.seq != uint64(i+1) {
				errs = append(errs, fmt.Errorf("registry %s: acknowledgement %d has seq %d", r.id, i+1, a.seq))
			}
		}
		last := acks[len(acks)-1]
		for _, n := range l.c.nodes {
			var v registryView
			if _, err := l.c.getJSON(ctx, n, "/v1/registries/"+r.id+"?consistency=stale", &v); err != nil {
				errs = append(errs, err)
				continue
			}
			if v.Head.Seq != last.seq || v.Head.Hash != last.hash {
				errs = append(errs, fmt.Errorf("%s: registry %s head is seq %d hash %.12s…; acknowledged: %d pushes, the last seq %d hash %.12s…",
					n.id, r.id, v.Head.Seq, v.Head.Hash, len(acks), last.seq, last.hash))
			}
		}
	}
	return errors.Join(errs...)
}

// checkSeals reads every seal of every acknowledged push on every node (stale: the node's own
// state) and checks it was filed by that push. It returns how many reads it made.
func (l *load) checkSeals(ctx context.Context) (int, error) {
	type job struct {
		n    *node
		a    ack
		code string
	}
	jobs := make(chan job)
	var mu sync.Mutex
	var errs []error
	failed := 0
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for j := range jobs {
				err := l.checkSealOn(ctx, j.n, j.a, j.code)
				if err != nil {
					mu.Lock()
					if failed++; failed <= 10 {
						errs = append(errs, err)
					}
					mu.Unlock()
				}
			}
		})
	}
	reads := 0
	l.mu.Lock()
	flat := l.flat
	l.mu.Unlock()
	for _, n := range l.c.nodes {
		for _, a := range flat {
			for _, code := range a.codes {
				jobs <- job{n, a, code}
				reads++
			}
		}
	}
	close(jobs)
	wg.Wait()
	if failed > 10 {
		errs = append(errs, fmt.Errorf("… and %d more", failed-10))
	}
	return reads, errors.Join(errs...)
}

func (l *load) checkSealOn(ctx context.Context, n *node, a ack, code string) error {
	ans, err := l.c.get(ctx, n, "/v1/seals/"+code+"?consistency=stale")
	switch {
	case err != nil:
	case ans.status != http.StatusOK:
		err = fmt.Errorf("%d %s", ans.status, ans.body)
	default:
		err = checkSeal(ans.body, a, code)
	}
	if err != nil {
		return fmt.Errorf("%s: seal %s of %s seq %d: %w", n.id, code, a.registry, a.seq, err)
	}
	return nil
}

// snapshotInfo is what `sealhub snapshot save` reports of a node's trust list.
type snapshotInfo struct {
	index, seals uint64
	digest       string
}

var savedLine = regexp.MustCompile(`index (\d+), (\d+) seals, \d+ bytes, digest (\S+)`)

// snapshot saves n's trust list with `sealhub snapshot save` over its cluster port, as the
// operator.
func (c *cluster) snapshot(ctx context.Context, n *node) (snapshotInfo, error) {
	file := filepath.Join(c.dir, n.id+".snap")
	out, err := c.cli(ctx, append([]string{"snapshot", "save", file, "--peer", n.raftAddr}, c.operatorTLS()...)...)
	if err != nil {
		return snapshotInfo{}, err
	}
	m := savedLine.FindStringSubmatch(out)
	if m == nil {
		return snapshotInfo{}, fmt.Errorf("snapshot save %s: unexpected output %q", n.id, out)
	}
	idx, _ := strconv.ParseUint(m[1], 10, 64)
	seals, _ := strconv.ParseUint(m[2], 10, 64)
	return snapshotInfo{index: idx, seals: seals, digest: m[3]}, nil
}
