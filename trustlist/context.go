package trustlist

import "context"

// Source is anything holding a current state (the FSM).
type Source interface{ State() *State }

type stateKey struct{}

// WithState pins st for one request: a read that has been proven current (linearizable, or within
// its staleness bound) is answered from exactly the state that was checked, whose index the answer
// reports.
func WithState(ctx context.Context, st *State) context.Context {
	return context.WithValue(ctx, stateKey{}, st)
}

// StateFor returns the state pinned in ctx, or src's current state.
func StateFor(ctx context.Context, src Source) *State {
	if st, ok := ctx.Value(stateKey{}).(*State); ok && st != nil {
		return st
	}
	return src.State()
}
