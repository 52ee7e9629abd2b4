package fakeregion

import (
	"cmp"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// CRLCodes are the status codes of the simulated signed-list region, from sealhub's statuses.
var CRLCodes = map[string]string{"valid": "normal", "suspended": "frozen", "revoked": "revoked", "invalidated": "void"}

// crlUID is the SM2 user ID the simulated region signs with (the GM/T 0009 default).
const crlUID = "1234567812345678"

// CRLOptions configure a simulated signed-list region.
type CRLOptions struct {
	Issuer string          // the region id the lists name (default "37")
	Key    *sm2.PrivateKey // the list-signing key (nil: a new one)
	KeyID  string          // the key's id in the documents (default: 16 hex digits of the SM3 of its point)
	APIKey string          // when set, requests must carry it in X-Api-Key
	// KeepDeltas is how many past sequence numbers deltas are kept for: a delta from a base older
	// than the newest seq minus KeepDeltas (or newer than the newest) is answered 410 Gone. Zero
	// keeps every delta.
	KeepDeltas int
	// NextUpdate is how long after thisUpdate a list says it is next updated (default 1 h).
	NextUpdate time.Duration
	// Seed makes the faults drawn reproducible.
	Seed   uint64
	Now    func() time.Time // default time.Now
	Faults Faults
}

// CRL is a simulated region publishing its seals as a signed status list: GET /crl/full (every
// seal's latest change, in seq order) and GET /crl/delta?base=B (every change after B, a seal's
// description on its first appearance). A reply is
// {"list":base64(list JSON),"keyId":…,"sign":base64(DER SM2-with-SM3 signature over the list bytes)}
// with the list {"issuer","type":"full"|"delta","seq","base" (delta),"thisUpdate","nextUpdate",
// "entries":[{"seq","code","status","effectiveAt","reason","seal":{…}}]} (see adapters/crl).
// Statuses are written with CRLCodes; a code of the region's own passes through. It is safe for
// concurrent use.
type CRL struct {
	sim
	o      CRLOptions
	keyPEM string
	rawDoc []byte // served as is when set, under sim.mu
}

// NewCRL returns a region with no seals. It panics if it cannot make a key (crypto/rand failing).
func NewCRL(o CRLOptions) *CRL {
	if o.Issuer == "" {
		o.Issuer = "37"
	}
	if o.Key == nil {
		k, err := sm2.GenerateKey(rand.Reader)
		if err != nil {
			panic(fmt.Sprintf("fakeregion: making the CRL signing key: %v", err))
		}
		o.Key = k
	}
	if o.KeyID == "" {
		o.KeyID = smcrypto.KeyID(&o.Key.PublicKey)
	}
	if o.NextUpdate <= 0 {
		o.NextUpdate = time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	pemKey, err := smcrypto.MarshalPublicKeyPEM(&o.Key.PublicKey)
	if err != nil {
		panic(fmt.Sprintf("fakeregion: writing the CRL public key: %v", err))
	}
	return &CRL{sim: newSim(o.Seed, o.Faults, o.Now), o: o, keyPEM: string(pemKey)}
}

// PublicKeyPEM is the list-signing public key as a "PUBLIC KEY" PEM block.
func (c *CRL) PublicKeyPEM() string { return c.keyPEM }

// KeyID is the id the documents give the signing key.
func (c *CRL) KeyID() string { return c.o.KeyID }

// SetRaw makes the region answer /crl/full and /crl/delta with body as is (HTTP 200), whatever the
// code, after its usual checks; nil stops it.
func (c *CRL) SetRaw(_ string, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rawDoc = body
}

// ServeHTTP answers one list request.
func (c *CRL) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	f, fault := c.draw()
	if !wait(req, f.Latency) {
		return
	}
	if req.Method != http.MethodGet || (req.URL.Path != "/crl/full" && req.URL.Path != "/crl/delta") {
		http.NotFound(w, req)
		return
	}
	if c.o.APIKey != "" && subtle.ConstantTimeCompare([]byte(req.Header.Get("X-Api-Key")), []byte(c.o.APIKey)) != 1 {
		crlError(w, http.StatusUnauthorized, "api key invalid")
		return
	}
	switch fault {
	case faultError:
		crlError(w, http.StatusInternalServerError, "系统繁忙")
		return
	case faultAuth:
		crlError(w, http.StatusUnauthorized, "api key invalid")
		return
	}
	body, status, msg := c.document(req)
	if status != http.StatusOK {
		crlError(w, status, msg)
		return
	}
	serve(w, req, fault, body, "application/json;charset=UTF-8", garbleCRL, f.DripEvery)
}

// document is the signed document answering req, or an HTTP status and message.
func (c *CRL) document(req *http.Request) ([]byte, int, string) {
	c.mu.Lock()
	raw := c.rawDoc
	c.mu.Unlock()
	if raw != nil {
		return raw, http.StatusOK, ""
	}
	var (
		entries []adapters.Change
		l       crlList
	)
	if req.URL.Path == "/crl/full" {
		entries, l.Seq = c.listing()
		slices.SortFunc(entries, func(a, b adapters.Change) int { return cmp.Compare(a.Seq, b.Seq) })
		l.Type = "full"
	} else {
		base, err := strconv.ParseUint(req.URL.Query().Get("base"), 10, 64)
		if err != nil {
			return nil, http.StatusBadRequest, "base must be a sequence number"
		}
		entries, l.Seq = c.changes(base)
		if base > l.Seq || (c.o.KeepDeltas > 0 && l.Seq-base > uint64(c.o.KeepDeltas)) {
			return nil, http.StatusGone, fmt.Sprintf("deltas from %d are no longer kept", base)
		}
		l.Type, l.Base = "delta", &base
	}
	now := c.o.Now().UTC().Truncate(time.Second)
	l.Issuer = c.o.Issuer
	l.ThisUpdate = now.Format(time.RFC3339)
	l.NextUpdate = now.Add(c.o.NextUpdate).Format(time.RFC3339)
	l.Entries = make([]crlEntry, 0, len(entries))
	for _, e := range entries {
		l.Entries = append(l.Entries, crlEntryOf(e))
	}
	body, err := c.sign(l)
	if err != nil {
		return nil, http.StatusInternalServerError, err.Error()
	}
	return body, http.StatusOK, ""
}

// sign writes the list and its signed document.
func (c *CRL) sign(l crlList) ([]byte, error) {
	list, err := json.Marshal(l)
	if err != nil {
		return nil, err
	}
	sig, err := c.o.Key.Sign(rand.Reader, list, sm2.NewSM2SignerOption(true, []byte(crlUID)))
	if err != nil {
		return nil, err
	}
	return json.Marshal(crlDocument{
		List: base64.StdEncoding.EncodeToString(list), KeyID: c.o.KeyID, Sign: base64.StdEncoding.EncodeToString(sig),
	})
}

type crlDocument struct {
	List  string `json:"list"`
	KeyID string `json:"keyId"`
	Sign  string `json:"sign"`
}

type crlList struct {
	Issuer     string     `json:"issuer"`
	Type       string     `json:"type"`
	Seq        uint64     `json:"seq"`
	Base       *uint64    `json:"base,omitempty"`
	ThisUpdate string     `json:"thisUpdate"`
	NextUpdate string     `json:"nextUpdate"`
	Entries    []crlEntry `json:"entries"`
}

type crlEntry struct {
	Seq         uint64   `json:"seq"`
	Code        string   `json:"code"`
	Status      string   `json:"status"`
	EffectiveAt string   `json:"effectiveAt,omitempty"`
	Reason      string   `json:"reason,omitempty"`
	Seal        *crlSeal `json:"seal,omitempty"`
}

type crlSeal struct {
	Name       string `json:"name"`
	Type       int    `json:"type"`
	OwnerName  string `json:"ownerName,omitempty"`
	OwnerUSCC  string `json:"ownerUscc,omitempty"`
	ValidStart string `json:"validStart"`
	ValidEnd   string `json:"validEnd"`
}

func crlEntryOf(c adapters.Change) crlEntry {
	e := crlEntry{Seq: c.Seq, Code: c.Code, Status: string(c.Status), Reason: c.Reason}
	if code, ok := CRLCodes[e.Status]; ok {
		e.Status = code
	}
	if !c.EffectiveAt.IsZero() {
		e.EffectiveAt = c.EffectiveAt.UTC().Format(time.RFC3339)
	}
	if s := c.Seal; s != nil {
		e.Seal = &crlSeal{
			Name: s.Name, Type: s.Type, OwnerName: s.OwnerName, OwnerUSCC: s.OwnerUSCC,
			ValidStart: s.ValidStart.UTC().Format(time.RFC3339), ValidEnd: s.ValidEnd.UTC().Format(time.RFC3339),
		}
	}
	return e
}

// garbleCRL cuts a document into something that does not parse.
func garbleCRL(body []byte) []byte {
	return append([]byte(`{"list":"`), body...)
}

func crlError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]string{"error": msg})
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
