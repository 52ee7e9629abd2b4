package trustlist

import "time"

// StatusView is a seal's status at one effective time, as the hub knew it at one raft index.
type StatusView struct {
	Status Status `json:"status"` // recorded status, or expired / not_yet_valid when derived
	// Recorded is the status of the deciding event, before the validity window is applied ("" when
	// no event had taken effect yet).
	Recorded Status    `json:"recorded,omitempty"`
	Event    *Event    `json:"event,omitempty"` // the deciding event
	At       time.Time `json:"at"`              // the effective time asked about
	AsOf     uint64    `json:"as_of_index"`     // the raft index the answer reflects
}

// StatusAt is the seal's status at effective time t, from every event the hub holds.
func (s *Seal) StatusAt(t time.Time) StatusView {
	return s.statusAt(t, ^uint64(0))
}

// StatusAsOf is the seal's status at effective time t as the hub knew it at raft index k: events
// recorded after k are ignored (bitemporal read). ok is false when the seal was filed after k.
func (s *Seal) StatusAsOf(t time.Time, k uint64) (StatusView, bool) {
	if s.FiledIndex > k {
		return StatusView{}, false
	}
	return s.statusAt(t, k), true
}

func (s *Seal) statusAt(t time.Time, k uint64) StatusView {
	v := StatusView{At: t, AsOf: k}
	// Events are kept in effective order (Apply refuses an event earlier than the latest), and the
	// index order agrees, so the deciding event is the last one with effective_at ≤ t and index ≤ k.
	for i := range s.Events {
		e := &s.Events[i]
		if e.Index > k || e.EffectiveAt.After(t) {
			break
		}
		v.Event = e
	}
	if v.Event != nil {
		v.Recorded = v.Event.Status
	}
	v.Status = derive(v.Recorded, t, s.ValidStart, s.ValidEnd)
	return v
}

// derive applies the validity window: revoked and invalidated stay as they are; otherwise a time
// outside [validStart, validEnd) reads as not_yet_valid or expired.
func derive(recorded Status, t, start, end time.Time) Status {
	switch recorded {
	case StatusRevoked, StatusInvalidated:
		return recorded
	}
	if t.Before(start) {
		return StatusNotYetValid
	}
	if !t.Before(end) {
		return StatusExpired
	}
	if recorded == "" {
		return StatusNotYetValid
	}
	return recorded
}

// transitions lists the actions of seal.status and the statuses each may start from.
var transitions = map[string]struct {
	to   Status
	from []Status
}{
	"suspend":    {StatusSuspended, []Status{StatusValid}},
	"restore":    {StatusValid, []Status{StatusSuspended}},
	"revoke":     {StatusRevoked, []Status{StatusValid, StatusSuspended}},
	"invalidate": {StatusInvalidated, []Status{StatusValid, StatusSuspended, StatusRevoked}},
}

// Actions are the seal.status actions, in a stable order.
var Actions = []string{"suspend", "restore", "revoke", "invalidate"}

func transition(action string, from Status) (Status, bool) {
	t, ok := transitions[action]
	if !ok {
		return "", false
	}
	for _, f := range t.from {
		if f == from {
			return t.to, true
		}
	}
	return t.to, false
}
