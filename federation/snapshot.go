package federation

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/hashicorp/raft"
	"github.com/sealhub/sealhub/trustlist"
)

// A snapshot is the trust list's own versioned encoding (trustlist.State.Encode, which ends with its
// SM3) compressed with gzip at the fastest level: the encoding is mostly hex digests and repeated
// strings, and compression keeps InstallSnapshot to followers short.

// fsmSnapshot is a captured immutable state. Persist runs concurrently with Apply, which is safe
// because nothing reachable from the state ever changes.
type fsmSnapshot struct {
	state   *trustlist.State
	log     *slog.Logger
	metrics *raftMetrics
}

// Persist implements raft.FSMSnapshot.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	start := time.Now()
	if err := WriteSnapshot(sink, s.state); err != nil {
		_ = sink.Cancel()
		return err
	}
	if err := sink.Close(); err != nil {
		return err
	}
	s.metrics.ObserveSnapshot(time.Since(start))
	s.log.Info("snapshot persisted", "index", s.state.Index(), "seals", s.state.SealCount(), "took", time.Since(start))
	return nil
}

// Release implements raft.FSMSnapshot.
func (s *fsmSnapshot) Release() {}

// WriteSnapshot writes the compressed encoding of st to w.
func WriteSnapshot(w io.Writer, st *trustlist.State) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	zw, err := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	if err != nil {
		return err
	}
	if _, err := st.Encode(zw); err != nil {
		return fmt.Errorf("federation: snapshot: %w", err)
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

// ReadSnapshot reads what WriteSnapshot wrote.
func ReadSnapshot(r io.Reader) (*trustlist.State, error) {
	zr, err := gzip.NewReader(bufio.NewReaderSize(r, 256<<10))
	if err != nil {
		return nil, fmt.Errorf("federation: snapshot: %w: %v", trustlist.ErrEncoding, err)
	}
	defer zr.Close()
	s, err := trustlist.Decode(zr)
	if err != nil {
		return nil, fmt.Errorf("federation: snapshot: %w", err)
	}
	return s, nil
}

var _ raft.FSMSnapshot = (*fsmSnapshot)(nil)
