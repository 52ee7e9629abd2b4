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
