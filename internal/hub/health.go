package hub

import (
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/trustlist"
)

// RegistryHealth is a live- or sync-mode registry's adapter health as one node sees it, shown at
// GET /v1/registries/{id}.
type RegistryHealth struct {
	Node string `json:"node"` // the node answering
	Kind string `json:"adapter_kind,omitempty"`
	// Adapter is "ok" when this node could build the registry's adapter, else why not (no
	// credentials, unknown kind …).
	Adapter string `json:"adapter"`
	// Live: the wrapper's record of calls on this node (each node asks for itself).
	Live *adapters.Health `json:"live,omitempty"`
	// Sync: what every node knows from the log (data age, feed position), and, on the node running
	// the sync loop (the leader), its record.
	Sync *SyncHealth `json:"sync,omitempty"`
}

// SyncHealth is a sync-mode registry's freshness and, on the leader, its sync loop's record.
type SyncHealth struct {
	SourceSeq   uint64      `json:"source_seq"`
	LastWritten time.Time   `json:"last_written,omitzero"` // when the last sync push (or checkpoint) was recorded
	DataAgeMs   int64       `json:"data_age_ms,omitempty"`
	MaxAgeMs    int64       `json:"max_age_ms"`
	Fresh       bool        `json:"fresh"` // the resolver vouches for the registry's statuses
	PollMs      int64       `json:"poll_ms"`
	Loop        *syncHealth `json:"loop,omitempty"` // this node runs the sync loop
	Leader      string      `json:"leader,omitempty"`
}

// registryHealth builds the health view of a registry; nil for push-mode registries.
func (h *Hub) registryHealth(reg *trustlist.Registry) any {
	if reg.Mode != trustlist.ModeLive && reg.Mode != trustlist.ModeSync {
		return nil
	}
	out := RegistryHealth{Node: h.cfg.NodeID, Adapter: "ok"}
	if c, err := adapters.ParseConfig(reg.Adapter); err == nil {
		out.Kind = c.Kind
	}
	switch {
	case h.cfg.Regions == nil:
		out.Adapter = "this node runs no adapters"
	case reg.Mode == trustlist.ModeLive:
		if _, err := h.cfg.Regions.Source(reg); err != nil {
			out.Adapter = err.Error()
		}
	case h.sync.feeds == nil:
		out.Adapter = "this node's adapters have no change feeds"
	default:
		if _, err := h.sync.feeds.Feed(reg); err != nil {
			out.Adapter = err.Error()
		}
	}
	if hs, ok := h.cfg.Regions.(interface {
		Health(string) (adapters.Health, bool)
	}); ok && reg.Mode == trustlist.ModeLive {
		if lh, ok := hs.Health(reg.ID); ok {
			out.Live = &lh
		}
	}
	if reg.Mode == trustlist.ModeSync {
		poll, maxAge := adapters.SyncTiming(reg.Adapter)
		s := &SyncHealth{SourceSeq: reg.Head.SourceSeq, LastWritten: reg.Head.RecordedAt, MaxAgeMs: maxAge.Milliseconds(), PollMs: poll.Milliseconds()}
		if last, ok := h.State().Push(reg.ID, reg.Head.Seq); ok && last.KeyID == "" { // a sync push
			age := h.cfg.Now().Sub(reg.Head.RecordedAt)
			s.DataAgeMs = age.Milliseconds()
			s.Fresh = age <= maxAge
		}
		if loop, ok := h.sync.Health(reg.ID); ok && h.Node.IsLeader() {
			s.Loop = &loop
		}
		_, s.Leader = h.Node.Leader()
		out.Sync = s
	}
	return out
}
