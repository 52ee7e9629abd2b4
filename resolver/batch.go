package resolver

import (
	"encoding/hex"
	"sync"
)

// job is one report waiting for its receipt signature.
type job struct {
	leaf [32]byte
	wake chan struct{} // signalled once: done, or promoted to sign the next batch
	lead bool          // set before a wake-up that promotes

	sig   []byte
	index int
	size  int
	path  []string
	err   error
}

// batcher signs reports in batches without a goroutine of its own: the first report to arrive signs
// whatever is waiting; reports that arrive meanwhile wait, and when the signer is done it hands the
// next batch to one of them. Alone, a report is signed at once; under load one SM2 signature covers
// every report that queued while the previous one was made.
type batcher struct {
	sign func([]byte) ([]byte, error)

	mu      sync.Mutex
	pending []*job
	busy    bool
}

func (b *batcher) do(j *job) {
	b.mu.Lock()
	b.pending = append(b.pending, j)
	if b.busy {
		b.mu.Unlock()
		<-j.wake
		if !j.lead {
			return
		}
	} else {
		b.busy = true
		b.mu.Unlock()
	}
	// Leading: sign one batch (it holds j), then hand over to a waiting report or stand down.
	b.mu.Lock()
	n := min(len(b.pending), maxBatch)
	batch := b.pending[:n:n]
	b.pending = b.pending[n:]
	b.mu.Unlock()
	b.signBatch(batch)
	b.mu.Lock()
	if len(b.pending) == 0 {
		b.busy = false
		b.mu.Unlock()
	} else {
		next := b.pending[0]
		b.mu.Unlock()
		next.lead = true
		next.wake <- struct{}{}
	}
	for _, o := range batch {
		if o != j {
			o.wake <- struct{}{}
		}
	}
}

func (b *batcher) signBatch(batch []*job) {
	leaves := make([][32]byte, len(batch))
	for i, o := range batch {
		leaves[i] = o.leaf
	}
	tree := newMerkleTree(leaves)
	sig, err := b.sign(batchMessage(tree.root(0, len(leaves)), len(leaves)))
	for i, o := range batch {
		o.sig, o.err, o.index, o.size = sig, err, i, len(batch)
		o.path = []string{}
		for _, h := range tree.path(i, 0, len(leaves)) {
			o.path = append(o.path, hex.EncodeToString(h[:]))
		}
	}
}
