package ingest

import (
	"encoding/json"
	"encoding/pem"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/sealhub/sealhub/internal/httpx"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// RegistryView is a registry as the API shows it.
type RegistryView struct {
	ID           string                 `json:"id"`
	Name         string                 `json:"name"`
	Kind         trustlist.RegistryKind `json:"kind"`
	Jurisdiction []string               `json:"jurisdiction"`
	Mode         trustlist.Mode         `json:"mode"`
	Adapter      json.RawMessage        `json:"adapter,omitempty"`
	Keys         []KeyView              `json:"keys"`
	Makers       []MakerView            `json:"makers"`
	Head         trustlist.Head         `json:"head"`
	CreatedIndex uint64                 `json:"created_index"`
	UpdatedIndex uint64                 `json:"updated_index"`
	// Health is how the registry's adapter behaves, as the answering node sees it (live and sync
	// modes; GET /v1/registries/{id} only).
	Health any `json:"health,omitempty"`
}

// KeyView is a registry key.
type KeyView struct {
	ID        string    `json:"id"`
	PublicKey string    `json:"public_key"` // PEM
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after,omitzero"`
}

// MakerView is a seal-maker certificate.
type MakerView struct {
	Fingerprint string    `json:"fingerprint"`
	Subject     string    `json:"subject"`
	NotBefore   time.Time `json:"not_before"`
	NotAfter    time.Time `json:"not_after"`
	Current     bool      `json:"current"`
	RemovedAt   time.Time `json:"removed_at,omitzero"`
	Reason      string    `json:"reason,omitempty"`
	Cert        string    `json:"cert"` // PEM
}

// AnchorView is a trust anchor.
type AnchorView struct {
	Fingerprint string                  `json:"fingerprint"`
	Subject     string                  `json:"subject"`
	Root        bool                    `json:"root"`
	Owner       string                  `json:"owner"`
	NotBefore   time.Time               `json:"not_before"`
	NotAfter    time.Time               `json:"not_after"`
	Trusted     bool                    `json:"trusted"` // the latest event
	Events      []trustlist.AnchorEvent `json:"events"`
	Cert        string                  `json:"cert"` // PEM
}

func certPEM(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func registryView(r *trustlist.Registry) RegistryView {
	v := RegistryView{
		ID: r.ID, Name: r.Name, Kind: r.Kind, Jurisdiction: r.Jurisdiction, Mode: r.Mode, Adapter: r.Adapter,
		Keys: []KeyView{}, Makers: []MakerView{}, Head: r.Head, CreatedIndex: r.CreatedIndex, UpdatedIndex: r.UpdatedIndex,
	}
	if v.Jurisdiction == nil {
		v.Jurisdiction = []string{}
	}
	for _, k := range r.Keys {
		kv := KeyView{ID: k.ID, NotBefore: k.NotBefore, NotAfter: k.NotAfter}
		if pub, err := smcrypto.PublicKeyFromBytes(k.Public); err == nil {
			if p, err := smcrypto.MarshalPublicKeyPEM(pub); err == nil {
				kv.PublicKey = string(p)
			}
		}
		v.Keys = append(v.Keys, kv)
	}
	for _, m := range r.Makers {
		v.Makers = append(v.Makers, MakerView{
			Fingerprint: m.Fingerprint, Subject: m.Subject, NotBefore: m.NotBefore, NotAfter: m.NotAfter,
			Current: m.RemovedIndex == 0, RemovedAt: m.RemovedAt, Reason: m.Reason, Cert: certPEM(m.DER),
		})
	}
	return v
}

func anchorView(a *trustlist.Anchor) AnchorView {
	return AnchorView{
		Fingerprint: a.Fingerprint, Subject: a.Subject, Root: a.Root, Owner: a.Owner, NotBefore: a.NotBefore,
		NotAfter: a.NotAfter, Trusted: a.TrustedNow(), Events: a.Events, Cert: certPEM(a.DER),
	}
}

func (s *Service) listRegistries(c *gin.Context) {
	st := trustlist.StateFor(c.Request.Context(), s.cfg.State)
	out := []RegistryView{}
	for _, r := range st.Registries() {
		out = append(out, registryView(r))
	}
	httpx.JSON(c, 200, gin.H{"index": st.Index(), "registries": out})
}

func (s *Service) getRegistry(c *gin.Context) {
	st := trustlist.StateFor(c.Request.Context(), s.cfg.State)
	r, ok := st.Registry(c.Param("id"))
	if !ok {
		httpx.Fail(c, httpx.Errorf(404, "REGISTRY_NOT_FOUND", "no registry %q", c.Param("id")))
		return
	}
	v := registryView(r)
	if s.cfg.Health != nil {
		v.Health = s.cfg.Health(r)
	}
	httpx.JSON(c, 200, v)
}

func (s *Service) listAnchors(c *gin.Context) {
	st := trustlist.StateFor(c.Request.Context(), s.cfg.State)
	out := []AnchorView{}
	for _, a := range st.Anchors() {
		out = append(out, anchorView(a))
	}
	httpx.JSON(c, 200, gin.H{"index": st.Index(), "anchors": out})
}
