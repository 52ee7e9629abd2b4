package trustlist

import (
	"encoding/json"
	"time"

	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// Every value reachable from a *State is immutable once the state is published: readers share it
// without locks. Apply copies what it changes.

// AdminID is the id of the national administrator, held as a registry of kind "admin" so its pushes
// use the same envelope, sequence and key rules as every registry's.
const AdminID = "admin"

// RegistryKind says who a registry is.
type RegistryKind string

// Registry kinds.
const (
	KindProvince   RegistryKind = "province"   // a provincial seal registry (省级电子印章管理平台)
	KindDepartment RegistryKind = "department" // a department's own seal system (tax, customs …)
	KindAdmin      RegistryKind = "admin"      // the national administrator
)

// Mode is how the hub learns a registry's seal status.
type Mode string

// Modes.
const (
	ModePush Mode = "push" // the registry pushes signed updates
	ModeLive Mode = "live" // the hub asks the registry's own API per query
	ModeSync Mode = "sync" // the leader pulls the registry's change feed into the log
)

// Key is one of a registry's SM2 public keys with the range in which it may sign pushes. Keys are
// never deleted, only retired (NotAfter set), so old pushes stay verifiable.
type Key struct {
	ID         string    `json:"id"`
	Public     []byte    `json:"public_key"` // uncompressed point 0x04‖X‖Y
	NotBefore  time.Time `json:"not_before"`
	NotAfter   time.Time `json:"not_after,omitzero"` // inclusive; zero: no end
	AddedIndex uint64    `json:"added_index"`
}

// ValidAt reports whether the key may sign a push issued at t.
func (k Key) ValidAt(t time.Time) bool {
	return !t.Before(k.NotBefore) && (k.NotAfter.IsZero() || !t.After(k.NotAfter))
}

// Maker is a seal-maker (制章者) certificate registered by a registry.
type Maker struct {
	Fingerprint  string    `json:"fingerprint"` // SM3 of the certificate DER, hex
	DER          []byte    `json:"cert"`
	Subject      string    `json:"subject"`
	NotBefore    time.Time `json:"not_before"`
	NotAfter     time.Time `json:"not_after"`
	AddedIndex   uint64    `json:"added_index"`
	RemovedIndex uint64    `json:"removed_index,omitempty"` // 0: current
	RemovedAt    time.Time `json:"removed_at,omitzero"`
	Reason       string    `json:"reason,omitempty"`
}

// Head is a registry's push head: the last accepted push.
type Head struct {
	Seq        uint64    `json:"seq"`
	Hash       string    `json:"hash"` // SM3 of the last accepted push body, hex; "" before the first
	Index      uint64    `json:"index"`
	RecordedAt time.Time `json:"recorded_at,omitzero"`
	IssuedAt   time.Time `json:"issued_at,omitzero"` // of the last accepted push; the next may not be earlier
	// SourceSeq is, for a sync-mode registry, the region's own sequence number its feed has been
	// read up to: the next sync push continues from it.
	SourceSeq uint64 `json:"source_seq,omitempty"`
}

// Registry is a provincial or departmental registry, or the administrator.
type Registry struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Kind         RegistryKind    `json:"kind"`
	Jurisdiction []string        `json:"jurisdiction"` // GB/T 2260 prefixes; "*" = every code
	Keys         []Key           `json:"keys"`
	Makers       []Maker         `json:"makers"`
	Mode         Mode            `json:"mode"`
	Adapter      json.RawMessage `json:"adapter,omitempty"`
	Head         Head            `json:"head"`
	CreatedIndex uint64          `json:"created_index"`
	UpdatedIndex uint64          `json:"updated_index"`
}

// Key finds a key by id.
func (r *Registry) Key(id string) (Key, bool) {
	for _, k := range r.Keys {
		if k.ID == id {
			return k, true
		}
	}
	return Key{}, false
}

// Maker finds a maker certificate by fingerprint (current or removed).
func (r *Registry) Maker(fp string) (Maker, bool) {
	for _, m := range r.Makers {
		if m.Fingerprint == fp {
			return m, true
		}
	}
	return Maker{}, false
}

// PushRef names a push.
type PushRef struct {
	Registry string `json:"registry"`
	Seq      uint64 `json:"seq"`
}

// AnchorEvent is a change of trust in an anchor.
type AnchorEvent struct {
	Trusted     bool      `json:"trusted"`
	EffectiveAt time.Time `json:"effective_at"`
	RecordedAt  time.Time `json:"recorded_at"`
	Index       uint64    `json:"index"`
	Reason      string    `json:"reason,omitempty"`
	Push        PushRef   `json:"push"`
}

// Anchor is a trusted CA certificate (root or intermediate) and its trust history.
type Anchor struct {
	Fingerprint string        `json:"fingerprint"`
	DER         []byte        `json:"cert"`
	Subject     string        `json:"subject"`
	Root        bool          `json:"root"`
	Owner       string        `json:"owner"` // registry id, or "admin"
	NotBefore   time.Time     `json:"not_before"`
	NotAfter    time.Time     `json:"not_after"`
	AddedIndex  uint64        `json:"added_index"`
	Events      []AnchorEvent `json:"events"`

	cert *smcrypto.Certificate // parsed once; rebuilt on restore
}

// Cert is the parsed certificate.
func (a *Anchor) Cert() *smcrypto.Certificate { return a.cert }

// TrustedAt reports whether the anchor was trusted at effective time t (events ordered by
// effective_at, later raft index winning ties). Before its first event it was not.
func (a *Anchor) TrustedAt(t time.Time) bool {
	trusted := false
	for _, e := range a.Events {
		if e.EffectiveAt.After(t) {
			break
		}
		trusted = e.Trusted
	}
	return trusted
}

// TrustedNow reports the anchor's latest trust state, whatever its effective time.
func (a *Anchor) TrustedNow() bool {
	return len(a.Events) > 0 && a.Events[len(a.Events)-1].Trusted
}

// DistrustedFrom is the effective time of the distrust in force at t, if any.
func (a *Anchor) DistrustedFrom(t time.Time) (time.Time, bool) {
	var from time.Time
	distrusted := false
	for _, e := range a.Events {
		if e.EffectiveAt.After(t) {
			break
		}
		distrusted, from = !e.Trusted, e.EffectiveAt
	}
	return from, distrusted
}

// Status is a seal's status.
type Status string

// Statuses. The first four are recorded by registries; the last two are derived from the seal's
// validity window at read time.
const (
	StatusValid       Status = "valid"
	StatusSuspended   Status = "suspended"   // 停用
	StatusRevoked     Status = "revoked"     // 注销
	StatusInvalidated Status = "invalidated" // 无效 (Art. 30)
	StatusExpired     Status = "expired"
	StatusNotYetValid Status = "not_yet_valid"
)

// Event is one entry of a seal's status history. Events are never deleted or changed.
type Event struct {
	Status      Status    `json:"status"`
	EffectiveAt time.Time `json:"effective_at"` // when it took effect in the world
	RecordedAt  time.Time `json:"recorded_at"`  // when the hub recorded it (stamped by the leader)
	Index       uint64    `json:"index"`        // raft index of the push that recorded it
	Reason      string    `json:"reason,omitempty"`
	Push        PushRef   `json:"push"`
}

// Seal is a filed seal (备案) with its status history.
type Seal struct {
	Code        string    `json:"code"`
	Registry    string    `json:"registry"`
	Name        string    `json:"name"`
	Type        int       `json:"type"`
	OwnerName   string    `json:"owner_name,omitempty"`
	OwnerUSCC   string    `json:"owner_uscc,omitempty"`
	MakerCert   string    `json:"maker_cert,omitempty"`   // SM3 fingerprint
	SignerCerts []string  `json:"signer_certs,omitempty"` // SM3 fingerprints
	ValidStart  time.Time `json:"valid_start"`
	ValidEnd    time.Time `json:"valid_end"`
	SealSM3     string    `json:"seal_sm3,omitempty"`
	PictureSM3  string    `json:"picture_sm3,omitempty"`
	FromDER     bool      `json:"from_der"` // filed from the SES_Seal itself, not from metadata
	FiledIndex  uint64    `json:"filed_index"`
	Events      []Event   `json:"events"`
}

// Latest is the seal's last recorded event.
func (s *Seal) Latest() Event { return s.Events[len(s.Events)-1] }
