package trustlist

import "time"

// Init sets the administrator's keys on a fresh state; it is the first entry a new cluster writes.
// On a state that already has an administrator it changes nothing but the index (the keys then change
// only through the administrator's signed key.rotate), so a repeated bootstrap is harmless.
func (s *State) Init(keys []KeySpec, _ time.Time, index uint64) (*State, error) {
	if s.Initialized() {
		return s.WithIndex(index), nil
	}
	if len(keys) == 0 {
		return nil, reject(CodeKeyInvalid, "the administrator needs at least one key")
	}
	admin := &Registry{
		ID: AdminID, Name: "National administrator (全国电子印章管理)", Kind: KindAdmin,
		Jurisdiction: []string{"*"}, Mode: ModePush, Keys: []Key{}, Makers: []Maker{},
		CreatedIndex: index, UpdatedIndex: index,
	}
	// The first keys have no start: nothing could be pushed before they existed anyway.
	if err := addKeys(-1, admin, keys, time.Time{}, index); err != nil {
		return nil, err
	}
	n := s.WithIndex(index)
	n.registries = cloneRegistries(s.registries)
	n.registries[AdminID] = admin
	return n, nil
}

// WithIndex is s at a later raft index with nothing else changed: entries that change nothing
// (rejected pushes, replays, no-ops) still advance the index every node reports.
func (s *State) WithIndex(index uint64) *State {
	n := *s
	n.index = index
	return &n
}

func cloneRegistries(m map[string]*Registry) map[string]*Registry {
	out := make(map[string]*Registry, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}
