package trustlist

import (
	"encoding/json"
	"errors"
	jsonv2 "github.com/go-json-experiment/json"
	"io"
	"regexp"
	"strconv"
	"time"

	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// Limits of one push. Larger loads are split by the client (sealhub import does it).
const (
	MaxPushBytes = 512 << 10 // raft.SuggestedMaxDataSize: one push is one raft entry
	MaxOps       = 10000
	// MaxClockSkew is how far past the time the leader records a push an effective_at may lie.
	MaxClockSkew = 5 * time.Minute
)

// Push is the body of a registry update, exactly as signed. See docs/push-protocol.md.
type Push struct {
	Registry string    `json:"registry"`
	Seq      uint64    `json:"seq"`
	Prev     string    `json:"prev"` // SM3 (hex) of the previous accepted body; "" when seq is 1
	IssuedAt time.Time `json:"issued_at"`
	Ops      []Op      `json:"ops"`
	// SourceSeq is set only in a sync push (Envelope.Sync): the region's sequence number its feed
	// was read up to. A sync push without ops is a checkpoint: the feed was read then, nothing new.
	SourceSeq uint64 `json:"source_seq,omitempty"`
}

// Op is one operation of a push. Which fields an op needs is checked by op kind (opRules).
type Op struct {
	Op string `json:"op"`

	// seal.file: either the SES_Seal DER (base64) or metadata.
	Seal []byte    `json:"seal,omitempty"`
	Meta *SealMeta `json:"meta,omitempty"`

	// seal.status
	Code        string     `json:"code,omitempty"`
	Action      string     `json:"action,omitempty"` // suspend 停用 | restore 恢复 | revoke 注销 | invalidate 无效
	EffectiveAt *time.Time `json:"effective_at,omitempty"`
	Reason      string     `json:"reason,omitempty"`

	// anchor.add, maker.add: the certificate DER (base64).
	Cert []byte `json:"cert,omitempty"`
	// anchor.distrust, maker.remove: the SM3 fingerprint of the certificate.
	Fingerprint string `json:"fingerprint,omitempty"`

	// key.rotate: a new key, and optionally a key to retire at RetireAt.
	Key       *KeySpec   `json:"key,omitempty"`
	RetireKey string     `json:"retire_key,omitempty"`
	RetireAt  *time.Time `json:"retire_at,omitempty"`

	// registry.create, registry.update (administrator only).
	RegistrySpec *RegistrySpec `json:"registry,omitempty"`
}

// SealMeta files a seal from a registry's ledger when the SES_Seal itself is not at hand.
type SealMeta struct {
	Code        string    `json:"code"`
	Name        string    `json:"name"`
	Type        int       `json:"type"`
	OwnerName   string    `json:"owner_name,omitempty"`
	OwnerUSCC   string    `json:"owner_uscc,omitempty"`
	MakerCert   string    `json:"maker_cert,omitempty"`
	SignerCerts []string  `json:"signer_certs,omitempty"`
	ValidStart  time.Time `json:"valid_start"`
	ValidEnd    time.Time `json:"valid_end"`
	SealSM3     string    `json:"seal_sm3,omitempty"`
	PictureSM3  string    `json:"picture_sm3,omitempty"`
}

// KeySpec is a public key as pushes carry it: PEM (PUBLIC KEY) or base64 of the uncompressed point.
type KeySpec struct {
	PublicKey string     `json:"public_key"`
	NotBefore *time.Time `json:"not_before,omitempty"` // default: the push's issued_at
	NotAfter  *time.Time `json:"not_after,omitempty"`
}

// RegistrySpec defines a registry (registry.create) or changes one (registry.update: fields left
// empty keep their value; keys given are added; RetireKeys are retired at the push's issued_at).
type RegistrySpec struct {
	ID           string          `json:"id"`
	Name         string          `json:"name,omitempty"`
	Kind         RegistryKind    `json:"kind,omitempty"`
	Jurisdiction []string        `json:"jurisdiction,omitempty"`
	Keys         []KeySpec       `json:"keys,omitempty"`
	RetireKeys   []string        `json:"retire_keys,omitempty"`
	Mode         Mode            `json:"mode,omitempty"`
	Adapter      json.RawMessage `json:"adapter,omitempty"`
}

// Op kinds.
const (
	OpSealFile       = "seal.file"
	OpSealStatus     = "seal.status"
	OpAnchorAdd      = "anchor.add"
	OpAnchorDistrust = "anchor.distrust"
	OpMakerAdd       = "maker.add"
	OpMakerRemove    = "maker.remove"
	OpKeyRotate      = "key.rotate"
	OpRegistryCreate = "registry.create"
	OpRegistryUpdate = "registry.update"
)

// Envelope is a push as it travels through the log: the exact bytes received, the signature from the
// headers, and the time the leader recorded it. Apply needs nothing else.
type Envelope struct {
	Body       []byte
	KeyID      string
	Signature  []byte
	RecordedAt time.Time
	// Sync: the leader wrote this push on a sync-mode registry's behalf from the region's feed; it
	// is unsigned, its authority is the log (only the leader writes it). Set by the FSM for sync
	// entries, never from outside input.
	Sync bool
}

var (
	registryIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
	keyIDRe      = regexp.MustCompile(`^[0-9a-f]{16}$`)
)

// ValidRegistryID reports whether id can name a registry.
func ValidRegistryID(id string) bool { return registryIDRe.MatchString(id) }

// ParsePush decodes a push body strictly: one JSON object, no unknown fields, no trailing data, and
// each op carrying exactly the fields its kind uses. It checks shape only; Check and Apply judge the
// content against the state.
func ParsePush(body []byte) (*Push, error) {
	if len(body) > MaxPushBytes {
		return nil, reject(CodeTooLarge, "push is %d bytes; the limit is %d", len(body), MaxPushBytes)
	}
	var p Push
	if err := jsonv2.Unmarshal(body, &p, jsonv2.RejectUnknownMembers(true)); err != nil {
		return nil, reject(CodeMalformed, "%s", jsonMessage(err))
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

func jsonMessage(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "invalid JSON at byte " + strconv.FormatInt(se.Offset, 10) + ": " + se.Error()
	case errors.As(err, &te):
		return "field " + te.Field + ": wrong type " + te.Value
	case errors.Is(err, io.EOF):
		return "empty body"
	}
	return err.Error()
}

func (p *Push) validate() error {
	switch {
	case !ValidRegistryID(p.Registry):
		return reject(CodeMalformed, "registry %q: want 1-32 of a-z 0-9 _ -", p.Registry)
	case p.Seq == 0:
		return reject(CodeMalformed, "seq must be 1 or more")
	case p.Seq == 1 && p.Prev != "":
		return reject(CodeMalformed, "prev must be empty for seq 1")
	case p.Seq > 1 && !isSM3Hex(p.Prev):
		return reject(CodeMalformed, "prev must be the SM3 of the previous push body (64 lower-case hex digits)")
	case p.IssuedAt.IsZero():
		return reject(CodeMalformed, "issued_at is required (RFC 3339)")
	case len(p.Ops) == 0 && p.SourceSeq == 0:
		return reject(CodeMalformed, "ops is empty")
	case len(p.Ops) > MaxOps:
		return reject(CodeTooManyOps, "%d ops; one push carries at most %d", len(p.Ops), MaxOps)
	}
	for i := range p.Ops {
		if err := p.Ops[i].validate(i); err != nil {
			return err
		}
	}
	return nil
}

// isSM3Hex reports whether s is 64 lower-case hex digits.
func isSM3Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// PushHash is the SM3 of a push body, hex: what the next push's prev must be.
func PushHash(body []byte) string { return smcrypto.SM3Hex(body) }
