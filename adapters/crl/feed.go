package crl

import (
	"context"

	"github.com/sealhub/sealhub/adapters"
)

// Changes reads the region's changes after sequence number after, under ctx: the full list when
// after is 0 or the region has pruned the deltas from after (Changes.Full), the delta from after
// otherwise. A full list older than after is a rollback (ErrMalformed). The held list is not
// touched, and a list past its nextUpdate is still read: its changes are facts by sequence number.
func (s *Source) Changes(ctx context.Context, after uint64) (adapters.Changes, error) {
	var l *list
	var err error
	if after == 0 {
		l, err = s.fetchFull(ctx, 0)
	} else {
		l, err = s.fetchFrom(ctx, after)
	}
	if err != nil {
		return adapters.Changes{}, err
	}
	return adapters.Changes{Changes: l.entries, Through: l.seq, Full: l.full, Evidence: l.evidence}, nil
}
