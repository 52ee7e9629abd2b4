package fakeregion

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
	"github.com/sealhub/sealhub/adapters"
)

// The routes of the simulated signed-JSON region.
const (
	sjStatusPrefix = "/api/v2/seals/"
	sjStatusSuffix = "/status"
	sjBatchPath    = "/api/v2/seals:batchStatus"
	sjChangesPath  = "/api/v2/changes"
	sjMaxBatch     = 100
	sjDefaultLimit = 500
	sjMaxLimit     = 10_000
)

// SignedJSONOptions configure a simulated signed-JSON region.
type SignedJSONOptions struct {
	// Key signs the replies; nil: a fresh key.
	Key *sm2.PrivateKey
	// KeyID names Key in replies (16 hex digits); empty: the first 16 hex digits of the SM3 of
	// the public key's SubjectPublicKeyInfo.
	KeyID string
	// UID is the SM2 user id (default 1234567812345678).
	UID string
	// APIKey, when set, must come in every request's X-Api-Key header.
	APIKey string
	// Seed makes the faults drawn reproducible.
	Seed   uint64
	Now    func() time.Time // default time.Now
	Faults Faults
}

// SignedJSON is a simulated region whose JSON replies are signed with its SM2 key:
//
//	GET  /api/v2/seals/{code}/status?nonce=…   {"code","status","effectiveAt","checkedAt","nonce"}; unknown: HTTP 404 {"code","error":"NOT_FOUND","nonce"}
//	POST /api/v2/seals:batchStatus             {"codes":[…],"nonce"} → {"nonce","results":[…]}
//	GET  /api/v2/changes?after=N&limit=M&nonce=…  {"nonce","through","more","changes":[…]}
//
// each payload sent as {"data":"<payload JSON>","keyId":"<16 hex>","sign":"<base64 DER SM2-with-SM3>"}.
// Refusals (API key, a missing nonce, server errors) are unsigned {"error":…}. It is safe for
// concurrent use.
type SignedJSON struct {
	sim
	o     SignedJSONOptions
	key   *sm2.PrivateKey // under sim.mu
	keyID string          // under sim.mu
}

// NewSignedJSON returns a region with no seals.
func NewSignedJSON(o SignedJSONOptions) *SignedJSON {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.UID == "" {
		o.UID = "1234567812345678"
	}
	r := &SignedJSON{sim: newSim(o.Seed, o.Faults, o.Now), o: o}
	r.Rotate(o.Key, o.KeyID)
	return r
}

// Rotate makes the region sign with key under keyID from now on (nil key: a fresh one; empty
// keyID: derived from the key, as in SignedJSONOptions).
func (r *SignedJSON) Rotate(key *sm2.PrivateKey, keyID string) {
	if key == nil {
		var err error
		if key, err = sm2.GenerateKey(rand.Reader); err != nil {
			panic(fmt.Sprintf("fakeregion: generating an SM2 key: %v", err))
		}
	}
	if keyID == "" {
		der := sjSPKI(key)
		sum := sm3.Sum(der)
		keyID = hex.EncodeToString(sum[:8])
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.key, r.keyID = key, keyID
}

// KeyID is the id of the key the region signs with.
func (r *SignedJSON) KeyID() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keyID
}

// PublicKeyPEM is the public key the region signs with, as PEM "PUBLIC KEY".
func (r *SignedJSON) PublicKeyPEM() string {
	r.mu.Lock()
	key := r.key
	r.mu.Unlock()
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: sjSPKI(key)}))
}

func sjSPKI(key *sm2.PrivateKey) []byte {
	der, err := smx509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		panic(fmt.Sprintf("fakeregion: marshalling an SM2 public key: %v", err))
	}
	return der
}

// ServeHTTP answers the three routes.
func (r *SignedJSON) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	f, fault := r.draw()
	if !wait(req, f.Latency) {
		return
	}
	var handle func(*http.Request) (int, []byte)
	path := req.URL.EscapedPath()
	switch {
	case req.Method == http.MethodGet && strings.HasPrefix(path, sjStatusPrefix) && strings.HasSuffix(path, sjStatusSuffix):
		handle = r.status
	case req.Method == http.MethodPost && path == sjBatchPath:
		handle = r.batch
	case req.Method == http.MethodGet && path == sjChangesPath:
		handle = r.feed
	default:
		http.NotFound(w, req)
		return
	}
	if r.o.APIKey != "" && subtle.ConstantTimeCompare([]byte(req.Header.Get("X-Api-Key")), []byte(r.o.APIKey)) != 1 {
		sjWrite(w, http.StatusUnauthorized, sjRefusal("UNAUTHORIZED"))
		return
	}
	switch fault {
	case faultError:
		sjWrite(w, http.StatusInternalServerError, sjRefusal("INTERNAL_ERROR"))
		return
	case faultAuth:
		sjWrite(w, http.StatusUnauthorized, sjRefusal("UNAUTHORIZED"))
		return
	}
	status, body := handle(req)
	if fault == faultNone || status == http.StatusBadRequest {
		sjWrite(w, status, body)
		return
	}
	serve(w, req, fault, body, "application/json;charset=UTF-8", sjGarble, f.DripEvery)
}

// sjGarble makes a signed reply something that does not parse.
func sjGarble(body []byte) []byte {
	return append([]byte(`{"data":`), body...)
}

func sjRefusal(code string) []byte {
	b, _ := json.Marshal(map[string]string{"error": code})
	return b
}

func sjWrite(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// sjAnswer is the payload about one seal (nonce only in a status reply).
type sjAnswer struct {
	Code        string `json:"code"`
	Status      string `json:"status,omitempty"`
	EffectiveAt string `json:"effectiveAt,omitempty"`
	CheckedAt   string `json:"checkedAt,omitempty"`
	Error       string `json:"error,omitempty"`
	Nonce       string `json:"nonce,omitempty"`
}

// answerFor is the payload about one seal code.
func (r *SignedJSON) answerFor(code string, s seal, known bool) sjAnswer {
	now := sjTime(r.o.Now())
	if !known {
		return sjAnswer{Code: code, Error: "NOT_FOUND", CheckedAt: now}
	}
	return sjAnswer{Code: code, Status: string(s.status), EffectiveAt: sjTime(s.effective), CheckedAt: now}
}

func (r *SignedJSON) status(req *http.Request) (int, []byte) {
	mid := strings.TrimSuffix(strings.TrimPrefix(req.URL.EscapedPath(), sjStatusPrefix), sjStatusSuffix)
	code, err := url.PathUnescape(mid)
	if err != nil || code == "" || strings.Contains(mid, "/") {
		return http.StatusBadRequest, sjRefusal("BAD_CODE")
	}
	raw, isRaw, s, ok := r.lookup(code)
	if isRaw {
		return http.StatusOK, raw
	}
	nonce := req.URL.Query().Get("nonce")
	if nonce == "" {
		return http.StatusBadRequest, sjRefusal("NONCE_REQUIRED")
	}
	a := r.answerFor(code, s, ok)
	a.Nonce = nonce
	if !ok {
		return http.StatusNotFound, r.sign(a)
	}
	return http.StatusOK, r.sign(a)
}

func (r *SignedJSON) batch(req *http.Request) (int, []byte) {
	var in struct {
		Codes []string `json:"codes"`
		Nonce string   `json:"nonce"`
	}
	if err := json.NewDecoder(io.LimitReader(req.Body, 1<<20)).Decode(&in); err != nil {
		return http.StatusBadRequest, sjRefusal("BAD_REQUEST")
	}
	switch {
	case in.Nonce == "":
		return http.StatusBadRequest, sjRefusal("NONCE_REQUIRED")
	case len(in.Codes) == 0 || len(in.Codes) > sjMaxBatch:
		return http.StatusBadRequest, sjRefusal("TOO_MANY_CODES")
	}
	out := struct {
		Nonce   string     `json:"nonce"`
		Results []sjAnswer `json:"results"`
	}{Nonce: in.Nonce, Results: make([]sjAnswer, 0, len(in.Codes))}
	for _, code := range in.Codes {
		_, _, s, ok := r.lookup(code)
		out.Results = append(out.Results, r.answerFor(code, s, ok))
	}
	return http.StatusOK, r.sign(out)
}

type sjChange struct {
	Seq         uint64  `json:"seq"`
	Code        string  `json:"code"`
	Status      string  `json:"status"`
	EffectiveAt string  `json:"effectiveAt,omitempty"`
	Reason      string  `json:"reason,omitempty"`
	Seal        *sjSeal `json:"seal,omitempty"`
}

type sjSeal struct {
	Name       string `json:"name"`
	Type       int    `json:"type"`
	OwnerName  string `json:"ownerName,omitempty"`
	OwnerUSCC  string `json:"ownerUscc,omitempty"`
	ValidStart string `json:"validStart"`
	ValidEnd   string `json:"validEnd"`
	SealSM3    string `json:"sealSm3,omitempty"`
}

func (r *SignedJSON) feed(req *http.Request) (int, []byte) {
	q := req.URL.Query()
	after, limit := uint64(0), sjDefaultLimit
	var err error
	if v := q.Get("after"); v != "" {
		after, err = strconv.ParseUint(v, 10, 64)
	}
	if v := q.Get("limit"); v != "" && err == nil {
		limit, err = strconv.Atoi(v)
	}
	switch {
	case err != nil || limit <= 0 || limit > sjMaxLimit:
		return http.StatusBadRequest, sjRefusal("BAD_REQUEST")
	case q.Get("nonce") == "":
		return http.StatusBadRequest, sjRefusal("NONCE_REQUIRED")
	}
	all, through := r.changes(after)
	more := len(all) > limit
	if more {
		all = all[:limit]
		through = all[limit-1].Seq
	}
	out := struct {
		Nonce   string     `json:"nonce"`
		Through uint64     `json:"through"`
		More    bool       `json:"more"`
		Changes []sjChange `json:"changes"`
	}{Nonce: q.Get("nonce"), Through: through, More: more, Changes: make([]sjChange, 0, len(all))}
	for _, c := range all {
		out.Changes = append(out.Changes, sjChangeOf(c))
	}
	return http.StatusOK, r.sign(out)
}

func sjChangeOf(c adapters.Change) sjChange {
	w := sjChange{Seq: c.Seq, Code: c.Code, Status: string(c.Status), EffectiveAt: sjTime(c.EffectiveAt), Reason: c.Reason}
	if i := c.Seal; i != nil {
		w.Seal = &sjSeal{Name: i.Name, Type: i.Type, OwnerName: i.OwnerName, OwnerUSCC: i.OwnerUSCC,
			ValidStart: sjTime(i.ValidStart), ValidEnd: sjTime(i.ValidEnd), SealSM3: i.SealSM3}
	}
	return w
}

// sign wraps a payload in the signed envelope.
func (r *SignedJSON) sign(payload any) []byte {
	data, err := json.Marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("fakeregion: marshalling a payload: %v", err))
	}
	r.mu.Lock()
	key, keyID := r.key, r.keyID
	r.mu.Unlock()
	sig, err := key.Sign(rand.Reader, data, sm2.NewSM2SignerOption(true, []byte(r.o.UID)))
	if err != nil {
		panic(fmt.Sprintf("fakeregion: SM2 signing: %v", err))
	}
	env, _ := json.Marshal(struct {
		Data  string `json:"data"`
		KeyID string `json:"keyId"`
		Sign  string `json:"sign"`
	}{string(data), keyID, base64.StdEncoding.EncodeToString(sig)})
	return env
}

// sjTime is t in China Standard Time to the second, "" for the zero time.
func sjTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(chinaTime).Format(time.RFC3339)
}
