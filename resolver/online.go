package resolver

import (
	"time"

	"github.com/sealhub/sealhub/trustlist"
)

// Online is what a verification against the trust list adds to a report: which state answered, how
// old its data may be, and the answering node's receipt. Offline reports leave it empty, and its
// members are then absent from the JSON.
type Online struct {
	// TrustlistIndex is the raft index of the trust-list state every check read.
	TrustlistIndex uint64 `json:"trustlist_index,omitempty"`
	// RegistryHeads are the push heads of the registries whose data the checks used: the seal's
	// registry and the owners of the trust anchors on the chains.
	RegistryHeads map[string]HeadRef `json:"registry_heads,omitempty"`
	// DataAge is how old the data behind the answer may be.
	DataAge *DataAge `json:"data_age,omitempty"`
	// Receipt is the answering node's SM2 signature over the report (see VerifyReceipt).
	Receipt *Receipt `json:"receipt,omitempty"`
}

// HeadRef is a registry's push head as the answering state held it.
type HeadRef struct {
	Seq   uint64 `json:"seq"`
	Hash  string `json:"hash"`
	Index uint64 `json:"index"`
}

// DataAge bounds the age of the data behind an answer, in milliseconds: for the trust list, the time
// since this node last heard from the leader (0 on the leader); for a region asked live, the age of
// its answer; for a sync-mode registry, the time since the leader last read its region's feed. The
// largest applies.
type DataAge struct {
	Millis int64  `json:"ms"`
	Source string `json:"source"` // trustlist | region | sync
}

// Status sources in StatusInfo.
const (
	SourceTrustList = "trustlist" // the replicated trust list (push- and sync-mode registries)
	SourceRegion    = "region"    // the registry's own service, asked live
	SourceNone      = "none"      // nobody could say
	// SourceSync is DataAge.Source when a sync-mode registry's data is the oldest behind an answer.
	SourceSync = "sync"
)

// StatusUnknown is StatusInfo.Status when nobody could say.
const StatusUnknown trustlist.Status = "unknown"

// StatusInfo is a seal's status at one time, and where it came from.
type StatusInfo struct {
	Status   trustlist.Status `json:"status"` // valid | suspended | revoked | invalidated | expired | not_yet_valid | unknown
	At       time.Time        `json:"at"`     // the effective time asked about
	Source   string           `json:"source"` // trustlist | region | none
	Registry string           `json:"registry,omitempty"`
	// Event is the trust-list event that decides the status (source trustlist).
	Event *trustlist.Event `json:"event,omitempty"`
	// EffectiveAt, CheckedAt, Evidence and Stale describe a region's answer (source region).
	EffectiveAt *time.Time `json:"effective_at,omitempty"`
	CheckedAt   *time.Time `json:"checked_at,omitempty"`
	Evidence    string     `json:"evidence_sm3,omitempty"`
	Stale       bool       `json:"stale,omitempty"`
	Detail      string     `json:"detail,omitempty"`
}
