// Package adapters holds the contract between sealhub and a region's own seal-status service: a
// Source answers the status of one seal code, and a Directory finds the Source of a registry whose
// mode is live. The resolver asks the Directory for live-mode registries; push- and sync-mode
// registries are answered from the replicated trust list.
//
// The adapter kinds (REST with SM3-HMAC signing, SOAP, SM2-signed JSON, signed revocation lists) and
// the wrapper every kind runs behind (deadline, TTL cache, single-flight, circuit breaker,
// last-known-good) live in this package and its sub-packages.
package adapters

import (
	"context"
	"errors"
	"time"

	"github.com/sealhub/sealhub/trustlist"
)

// Report is a region's answer about one seal, normalised.
type Report struct {
	// Status is the seal's current status in sealhub's model: valid, suspended (停用), revoked
	// (注销) or invalidated (无效).
	Status trustlist.Status `json:"status"`
	// EffectiveAt is when the status took effect, as the region says; zero when it does not say.
	EffectiveAt time.Time `json:"effective_at,omitzero"`
	// CheckedAt is when the region answered (for a cached or last-known-good answer, when it was
	// fetched, not when it was served).
	CheckedAt time.Time `json:"checked_at"`
	// Evidence is the SM3 (hex) of the region's reply as received, so the answer can be matched with
	// the region's own records.
	Evidence string `json:"evidence_sm3,omitempty"`
	// Stale is true when the region did not answer now and this is the last answer known, of age
	// time.Since(CheckedAt).
	Stale bool `json:"stale,omitempty"`
}

// Source answers the status of seals of one region.
type Source interface {
	Status(ctx context.Context, code string) (Report, error)
}

// Directory finds the Source for a live-mode registry.
type Directory interface {
	// Source returns the registry's source, or ErrNoAdapter when none is configured or running.
	Source(registry *trustlist.Registry) (Source, error)
}

// Errors a Source or Directory returns (wrapped).
var (
	// ErrNoAdapter: the registry has no adapter configured on this node.
	ErrNoAdapter = errors.New("no adapter for the registry")
	// ErrUnavailable: the region's service did not answer usably within the deadline.
	ErrUnavailable = errors.New("region unavailable")
	// ErrNotFound: the region answered that it knows no such seal.
	ErrNotFound = errors.New("the region knows no such seal")
)

// Batch is the optional capability of a Source that answers many codes in one call. Codes the
// region does not know are absent from the map.
type Batch interface {
	StatusBatch(ctx context.Context, codes []string) (map[string]Report, error)
}

// Feed is the optional capability of a Source that lists what changed in the region, by the
// region's own sequence numbers. Sync mode reads it: the leader writes the changes into the
// replicated log exactly once by sequence number.
type Feed interface {
	// Changes returns the region's changes after sequence number after, oldest first. after == 0
	// asks for everything. A region that cannot answer from after (its deltas were pruned) answers
	// with its full listing (Changes.Full).
	Changes(ctx context.Context, after uint64) (Changes, error)
}

// Changes is one answer of a Feed.
type Changes struct {
	// Changes, oldest first; each Seq is greater than after and at most Through.
	Changes []Change `json:"changes"`
	// Through is the sequence number the answer is complete to: everything the region changed up to
	// and including Through is in Changes (or, when Full, reflected in the listing). The next call
	// asks from Through.
	Through uint64 `json:"through"`
	// Full: Changes is the region's whole listing at Through (every seal it holds, one entry each),
	// not deltas: the reader compares it with what it has.
	Full bool `json:"full,omitempty"`
	// More: the region has changes after Through already; ask again at once.
	More bool `json:"more,omitempty"`
	// Evidence is the SM3 (hex) of the region's answer as received.
	Evidence string `json:"evidence_sm3,omitempty"`
}

// Change is one status change of one seal in a region's feed.
type Change struct {
	Seq         uint64           `json:"seq"`
	Code        string           `json:"code"`
	Status      trustlist.Status `json:"status"`
	EffectiveAt time.Time        `json:"effective_at"`
	Reason      string           `json:"reason,omitempty"`
	// Seal describes the seal, as the region knows it, so a seal sealhub has no record of can be
	// filed (备案) from the feed. Nil when the region does not say.
	Seal *SealInfo `json:"seal,omitempty"`
}

// SealInfo is what a region says about a seal besides its status.
type SealInfo struct {
	Name       string    `json:"name"`
	Type       int       `json:"type"`
	OwnerName  string    `json:"owner_name,omitempty"`
	OwnerUSCC  string    `json:"owner_uscc,omitempty"`
	ValidStart time.Time `json:"valid_start"`
	ValidEnd   time.Time `json:"valid_end"`
	SealSM3    string    `json:"seal_sm3,omitempty"`
}
