// Package seed fills a sealhub node with demo data the way registries would: through the signed
// push API (internal/client), never by writing the trust list directly. `sealhub dev` uses it, and so
// can tests and benchmarks that need a realistic hub.
//
// Plan makes everything offline and deterministically from Options.Seed (apart from the keys, which
// are fresh): a demo PKI (internal/demo), a province registry "37" (山东省) and a department
// registry "tax" (国家税务总局) with their keys and seal-maker certificates, and seals with codes,
// names, owners (valid 统一社会信用代码) and validity windows in assorted states — valid, suspended
// (停用), suspended then restored (恢复), revoked (注销), invalidated (无效) and expired. A few are
// real SES_Seal DER (V4 and V5) made by the demo PKI; the rest are filed from metadata. Push then
// sends it all to a node whose administrator key is Seeded.Admin. Run does both.
//
// Everything here is demo material: keys are generated in memory and written unencrypted.
package seed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/internal/demo"
	"github.com/sealhub/sealhub/internal/ledger"
	"github.com/sealhub/sealhub/trustlist"
)

// Limits of Options.
const (
	MinSeals = 20 // enough for every state to appear
	MaxSeals = 1_000_000
)

// Options tune Plan and Run. The zero value (with Admin set for Run) seeds 300 seals.
type Options struct {
	// Admin is the administrator key the node was opened with. Run requires it; Plan makes one when
	// it is nil (open the node with Seeded.Admin then).
	Admin *sm2.PrivateKey
	// Seals is how many seals to file (default 300, from MinSeals to MaxSeals).
	Seals int
	// LedgerRows is how many further seals of registry 37 to put in Seeded.Ledger, not filed, for
	// trying `sealhub import` (default 20; negative: none).
	LedgerRows int
	// BatchOps is the most ops per push (default and maximum 1,000). Pushes are also kept well under
	// trustlist.MaxPushBytes.
	BatchOps int
	// Seed makes the codes, names and dates (default 1: the same demo data every run).
	Seed uint64
	// Now is the present: validity windows and status changes are placed before it (default time.Now).
	// The node must agree within its push-age and clock-skew limits.
	Now func() time.Time
}

// Validate reports bad options.
func (o Options) Validate() error {
	var errs []error
	if o.Seals != 0 && (o.Seals < MinSeals || o.Seals > MaxSeals) {
		errs = append(errs, fmt.Errorf("seed: %d seals: want %d to %d", o.Seals, MinSeals, MaxSeals))
	}
	if o.BatchOps < 0 || o.BatchOps > maxBatchOps {
		errs = append(errs, fmt.Errorf("seed: batches of %d ops: want 1 to %d", o.BatchOps, maxBatchOps))
	}
	return errors.Join(errs...)
}

func (o *Options) setDefaults() {
	if o.Seals == 0 {
		o.Seals = 300
	}
	if o.LedgerRows == 0 {
		o.LedgerRows = 20
	}
	if o.BatchOps == 0 {
		o.BatchOps = maxBatchOps
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Registry is a demo registry with its push key and seal-maker certificate.
type Registry struct {
	ID           string
	Name         string
	Kind         trustlist.RegistryKind
	Jurisdiction []string
	Key          *sm2.PrivateKey
	Maker        *demo.Authority
}

// Signer signs the registry's pushes.
func (r *Registry) Signer() client.Signer { return client.Signer{Registry: r.ID, Key: r.Key} }

// State is what happened to a demo seal. It is finer than trustlist.Status: a restored seal is
// valid again, and an expired one is valid by its record but past its window.
type State string

// States, in the order Plan assigns them.
const (
	StateValid       State = "valid"       // filed, never changed
	StateSuspended   State = "suspended"   // 停用, and still so
	StateRestored    State = "restored"    // 停用, then 恢复: valid now
	StateRevoked     State = "revoked"     // 注销 (some after a suspension)
	StateInvalidated State = "invalidated" // 无效 (Art. 30)
	StateExpired     State = "expired"     // validity window in the past, never changed
)

// States lists every State.
var States = []State{StateValid, StateSuspended, StateRestored, StateRevoked, StateInvalidated, StateExpired}

// Change is a status change pushed after the filing (a seal.status op).
type Change struct {
	Action string // suspend | restore | revoke | invalidate
	At     time.Time
	Reason string
}

// Seal is a demo seal as filed, with the changes pushed after.
type Seal struct {
	Code       string
	Registry   string
	Name       string
	Type       int
	OwnerName  string
	OwnerUSCC  string
	MakerCert  string // SM3 fingerprint of the registry's seal-maker certificate
	ValidStart time.Time
	ValidEnd   time.Time
	State      State
	Changes    []Change
	DER        []byte // the SES_Seal when filed from DER; nil when filed from metadata
}

// Seeded is the demo data: what Plan made and Push sent.
type Seeded struct {
	Now        time.Time // the present Plan placed everything before
	Admin      *sm2.PrivateKey
	PKI        *demo.PKI
	Registries []*Registry // "37", then "tax"
	Seals      []*Seal
	Ledger     []ledger.Row // further seals of registry 37, not filed
	Pushes     int          // pushes accepted by Push
	byCode     map[string]*Seal
	batchOps   int
}

// Run plans the demo data and pushes it to the node c talks to, whose administrator key is
// o.Admin. When a push fails it returns the plan with the error; Seeded.Pushes says how far it got.
func Run(ctx context.Context, c *client.Client, o Options) (*Seeded, error) {
	if o.Admin == nil {
		return nil, errors.New("seed: the node's administrator key (Options.Admin) is required")
	}
	s, err := Plan(o)
	if err != nil {
		return nil, err
	}
	if err := s.Push(ctx, c); err != nil {
		return s, err
	}
	return s, nil
}

// Registry finds a registry by id.
func (s *Seeded) Registry(id string) *Registry {
	for _, r := range s.Registries {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// Seal finds a seal by code.
func (s *Seeded) Seal(code string) *Seal { return s.byCode[code] }

// Codes lists the codes of the seals in a state, in filing order.
func (s *Seeded) Codes(st State) []string {
	var out []string
	for _, v := range s.Seals {
		if v.State == st {
			out = append(out, v.Code)
		}
	}
	return out
}

// FromDER counts the seals filed from SES_Seal DER.
func (s *Seeded) FromDER() int {
	n := 0
	for _, v := range s.Seals {
		if v.DER != nil {
			n++
		}
	}
	return n
}

// statusOf is the recorded status an action leads to (trustlist's transitions).
var statusOf = map[string]trustlist.Status{
	"suspend": trustlist.StatusSuspended, "restore": trustlist.StatusValid,
	"revoke": trustlist.StatusRevoked, "invalidate": trustlist.StatusInvalidated,
}

// StatusAt is the status the hub should report for the seal at effective time t: the filing takes
// effect at ValidStart, then each change at its time, then the validity window applies.
func (v *Seal) StatusAt(t time.Time) trustlist.Status {
	r := trustlist.Seal{ValidStart: v.ValidStart, ValidEnd: v.ValidEnd,
		Events: []trustlist.Event{{Status: trustlist.StatusValid, EffectiveAt: v.ValidStart}}}
	for _, c := range v.Changes {
		r.Events = append(r.Events, trustlist.Event{Status: statusOf[c.Action], EffectiveAt: c.At})
	}
	return r.StatusAt(t).Status
}

// FileOp is the seal.file op of the seal: from its DER, or from its metadata.
func (v *Seal) FileOp() trustlist.Op {
	if v.DER != nil {
		return trustlist.Op{Op: trustlist.OpSealFile, Seal: v.DER}
	}
	return trustlist.Op{Op: trustlist.OpSealFile, Meta: &trustlist.SealMeta{
		Code: v.Code, Name: v.Name, Type: v.Type, OwnerName: v.OwnerName, OwnerUSCC: v.OwnerUSCC,
		MakerCert: v.MakerCert, ValidStart: v.ValidStart, ValidEnd: v.ValidEnd,
	}}
}

// StatusOps are the seal.status ops of the seal's changes, in order.
func (v *Seal) StatusOps() []trustlist.Op {
	ops := make([]trustlist.Op, 0, len(v.Changes))
	for _, c := range v.Changes {
		at := c.At
		ops = append(ops, trustlist.Op{Op: trustlist.OpSealStatus, Code: v.Code, Action: c.Action, EffectiveAt: &at, Reason: c.Reason})
	}
	return ops
}
