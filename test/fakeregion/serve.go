package fakeregion

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/trustlist"
)

// The kinds a Simulator runs: the names of the adapter kinds that read them.
const (
	KindREST       = "rest"
	KindSOAP       = "soap"
	KindSignedJSON = "signed-json"
	KindCRL        = "crl"
)

// Kinds lists every kind a Simulator runs.
var Kinds = []string{KindREST, KindSOAP, KindSignedJSON, KindCRL}

// ControlPrefix is where a Simulator serves its control API; every other path goes to the region.
const ControlPrefix = "/_sim/"

// Spec describes a runnable simulated region.
type Spec struct {
	Kind   string // one of Kinds
	Region string // the registry id, e.g. "44"; a signed list names it as its issuer
	Seed   uint64 // makes the faults drawn reproducible
	Faults Faults
	// Key signs the replies of the signed kinds (signed-json, crl); nil: a fresh key. The other
	// kinds ignore it.
	Key *sm2.PrivateKey
	// Credentials are what the region asks of its callers: app_key and app_secret (rest), username
	// and password (soap), api_key (signed-json, crl; empty: none asked). nil: fresh ones.
	Credentials map[string]string
}

// region is what a Simulator drives of the kind's simulator; every simulator has it through sim.
type region interface {
	http.Handler
	Set(code string, status trustlist.Status, effective time.Time)
	Describe(code string, info adapters.SealInfo)
	SetFaults(f Faults)
	Calls() int
	currentFaults() Faults
	sealCount() int
}

// Simulator is one simulated region of a kind, with a control API to seed it and make it misbehave
// while it runs (see ServeHTTP). It is safe for concurrent use.
type Simulator struct {
	kind, id string
	region   region
	creds    adapters.Credentials
	fields   map[string]any // the kind's part of the adapter configuration, without the endpoint
	base     string         // appended to the endpoint in the adapter configuration
}

// NewSimulator builds the kind's simulator with its credentials.
func NewSimulator(s Spec) (*Simulator, error) {
	if s.Region == "" {
		return nil, errors.New("fakeregion: a simulator needs a region id")
	}
	creds, err := credentialsFor(s)
	if err != nil {
		return nil, err
	}
	sim := &Simulator{kind: s.Kind, id: s.Region, creds: creds}
	switch s.Kind {
	case KindREST:
		sim.region = NewREST(RESTOptions{AppKey: creds["app_key"], AppSecret: creds["app_secret"], Seed: s.Seed, Faults: s.Faults})
		sim.fields = map[string]any{
			"path":     "/api/seal/status?sealCode={code}",
			"fields":   map[string]string{"code": "code", "message": "msg", "status": "data.sealStatus", "effective_at": "data.statusTime"},
			"statuses": statusMap(RESTCodes), "success_codes": []string{CodeOK}, "not_found_codes": []string{CodeNotFound},
			"auth_codes": []string{CodeBadSign, CodeReplay}, "time_zone": "+08:00",
		}
	case KindSOAP:
		sim.region = NewSOAP(SOAPOptions{Username: creds["username"], Password: creds["password"], Seed: s.Seed, Faults: s.Faults})
		sim.base = SOAPPath
		sim.fields = map[string]any{
			"namespace": SOAPNamespace, "operation": SOAPOperation, "soap_action": SOAPAction,
			"fields":   map[string]string{"code": "return/resultCode", "message": "return/resultMsg", "status": "return/sealStatus", "effective_at": "return/statusTime"},
			"statuses": statusMap(SOAPCodes), "success_codes": []string{SOAPCodeOK}, "not_found_codes": []string{SOAPCodeNotFound},
			"auth_codes": []string{SOAPCodeAuth}, "time_zone": "+08:00",
		}
	case KindSignedJSON:
		r := NewSignedJSON(SignedJSONOptions{Key: s.Key, APIKey: creds["api_key"], Seed: s.Seed, Faults: s.Faults})
		sim.region = r
		sim.fields = map[string]any{
			"path": sjStatusPrefix + "{code}" + sjStatusSuffix, "public_keys": map[string]string{r.KeyID(): r.PublicKeyPEM()},
			"statuses": statusMap(map[string]string{"valid": "valid", "suspended": "suspended", "revoked": "revoked", "invalidated": "invalidated"}),
			"uid":      "1234567812345678",
		}
	case KindCRL:
		r := NewCRL(CRLOptions{Issuer: s.Region, Key: s.Key, APIKey: creds["api_key"], Seed: s.Seed, Faults: s.Faults})
		sim.region = r
		sim.fields = map[string]any{
			"issuer": s.Region, "public_keys": map[string]string{r.KeyID(): r.PublicKeyPEM()},
			"statuses": statusMap(CRLCodes), "uid": crlUID,
		}
	default:
		return nil, fmt.Errorf("fakeregion: kind %q: want one of %s", s.Kind, strings.Join(Kinds, ", "))
	}
	return sim, nil
}

// credentialsFor is the spec's credentials, checked, or fresh ones for its kind.
func credentialsFor(s Spec) (adapters.Credentials, error) {
	need := map[string][]string{KindREST: {"app_key", "app_secret"}, KindSOAP: {"username", "password"}}[s.Kind]
	if s.Credentials != nil {
		for _, f := range need {
			if s.Credentials[f] == "" {
				return nil, fmt.Errorf("fakeregion: a %s region needs credential %s", s.Kind, f)
			}
		}
		return maps.Clone(s.Credentials), nil
	}
	switch s.Kind {
	case KindREST:
		return adapters.Credentials{"app_key": "sealhub-" + s.Region, "app_secret": randomHex()}, nil
	case KindSOAP:
		return adapters.Credentials{"username": "sealhub-" + s.Region, "password": randomHex()}, nil
	}
	return adapters.Credentials{"api_key": randomHex()}, nil
}

func randomHex() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// statusMap inverts a region's codes by sealhub status into the adapter's mapping.
func statusMap(codes map[string]string) map[string]string {
	out := make(map[string]string, len(codes))
	for status, code := range codes {
		out[code] = status
	}
	return out
}

// Kind is the simulator's kind.
func (s *Simulator) Kind() string { return s.kind }

// Region is the region id it simulates.
func (s *Simulator) Region() string { return s.id }

// Credentials are what sealhub's node must hold to call the region.
func (s *Simulator) Credentials() adapters.Credentials { return maps.Clone(s.creds) }

// AdapterConfig is the complete replicated adapter configuration (a registry's adapter, as the
// administrator sets it) for this region served at endpoint (its base URL), naming the node's
// credentials credentialsName. extra adds or replaces fields, such as ttl, poll, max_age or timeout.
func (s *Simulator) AdapterConfig(endpoint, credentialsName string, extra map[string]any) json.RawMessage {
	c := maps.Clone(s.fields)
	c["kind"] = s.kind
	c["endpoint"] = strings.TrimSuffix(endpoint, "/") + s.base
	if credentialsName != "" {
		c["credentials"] = credentialsName
	}
	maps.Copy(c, extra)
	b, err := json.Marshal(c)
	if err != nil {
		panic(fmt.Sprintf("fakeregion: adapter configuration: %v", err)) // extra holds something JSON cannot say
	}
	return b
}

// SealEntry is one seal as the control API and the --seals file of cmd/fakeregion take it: its
// status (sealhub's name; another passes through as a code of the region's own) since effective_at
// (absent: the region does not say), and, for the feeds that file seals, its description (with a
// name, valid_start and valid_end are required; without one the region makes one up).
type SealEntry struct {
	Code        string           `json:"code"`
	Status      trustlist.Status `json:"status"`
	EffectiveAt time.Time        `json:"effective_at,omitzero"`
	Name        string           `json:"name,omitempty"`
	Type        int              `json:"type,omitempty"`
	OwnerName   string           `json:"owner_name,omitempty"`
	OwnerUSCC   string           `json:"owner_uscc,omitempty"`
	ValidStart  time.Time        `json:"valid_start,omitzero"`
	ValidEnd    time.Time        `json:"valid_end,omitzero"`
}

// check reports what is wrong with the entry.
func (e SealEntry) check() error {
	described := e.Type != 0 || e.OwnerName != "" || e.OwnerUSCC != "" || !e.ValidStart.IsZero() || !e.ValidEnd.IsZero()
	switch {
	case e.Code == "" || len(e.Code) > 64 || strings.ContainsFunc(e.Code, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return fmt.Errorf("code %q: want 1 to 64 characters without spaces or control characters", e.Code)
	case e.Status == "" || strings.ContainsFunc(string(e.Status), func(r rune) bool { return r <= ' ' }):
		return fmt.Errorf("seal %s: status %q: want valid, suspended, revoked, invalidated or a code of the region's own", e.Code, e.Status)
	case e.Name == "" && described:
		return fmt.Errorf("seal %s: a description needs a name", e.Code)
	case e.Name != "" && (e.ValidStart.IsZero() || !e.ValidEnd.After(e.ValidStart)):
		return fmt.Errorf("seal %s: a description needs valid_start and a later valid_end", e.Code)
	case e.Type < 0 || e.Type > 99:
		return fmt.Errorf("seal %s: type %d: want 0 to 99", e.Code, e.Type)
	}
	return nil
}

// ParseSeals reads a JSON array of seal entries strictly (an unknown field is an error) and checks
// each.
func ParseSeals(data []byte) ([]SealEntry, error) {
	var out []SealEntry
	if err := decodeStrict(data, &out); err != nil {
		return nil, fmt.Errorf("seals: %w", err)
	}
	for i, e := range out {
		if err := e.check(); err != nil {
			return nil, fmt.Errorf("seals[%d]: %w", i, err)
		}
	}
	return out, nil
}

// Load describes (when the entry has a name) and sets each seal, in order: each is one entry of the
// region's change feed.
func (s *Simulator) Load(entries []SealEntry) error {
	for i, e := range entries {
		if err := e.check(); err != nil {
			return fmt.Errorf("seals[%d]: %w", i, err)
		}
	}
	for _, e := range entries {
		if e.Name != "" {
			s.region.Describe(e.Code, adapters.SealInfo{Name: e.Name, Type: e.Type, OwnerName: e.OwnerName, OwnerUSCC: e.OwnerUSCC,
				ValidStart: e.ValidStart.UTC(), ValidEnd: e.ValidEnd.UTC()})
		}
		s.region.Set(e.Code, e.Status, e.EffectiveAt)
	}
	return nil
}

// SetFaults replaces the region's faults.
func (s *Simulator) SetFaults(f Faults) { s.region.SetFaults(f) }

// Stats is what GET /_sim/stats answers.
type Stats struct {
	Kind   string `json:"kind"`
	Region string `json:"region"`
	Calls  int    `json:"calls"` // requests that reached the region (the control API not counted)
	Seals  int    `json:"seals"`
}

// Stats counts the region's calls and seals.
func (s *Simulator) Stats() Stats {
	return Stats{Kind: s.kind, Region: s.id, Calls: s.region.Calls(), Seals: s.region.sealCount()}
}

// ServeHTTP serves the control API under ControlPrefix and the region everywhere else. The control
// API speaks JSON; a refusal is HTTP 400 (404, 405) with {"code","message"}:
//
//	POST /_sim/seals   [SealEntry …]  → {"set": n, "seals": total}
//	PUT  /_sim/faults  {"latency":"50ms","error_rate":0.1,"auth_rate","malformed_rate","truncated_rate","html_rate","drip_rate","drip_every":"50ms"}
//	                   replaces the faults (absent: none) → the faults now; GET reads them
//	GET  /_sim/stats   → Stats
//	GET  /_sim/adapter[?credentials_name=NAME] → Info for the region at the URL it was asked by
//	                   (http:// + Host), so a setup job can register it without reading its output
func (s *Simulator) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if !strings.HasPrefix(req.URL.Path, ControlPrefix) {
		s.region.ServeHTTP(w, req)
		return
	}
	route := map[string][]string{"/_sim/seals": {http.MethodPost}, "/_sim/faults": {http.MethodGet, http.MethodPut}, "/_sim/stats": {http.MethodGet}, "/_sim/adapter": {http.MethodGet}}
	methods, ok := route[req.URL.Path]
	switch {
	case !ok:
		controlError(w, http.StatusNotFound, "NOT_FOUND", "no control route "+req.URL.Path)
		return
	case !slices.Contains(methods, req.Method):
		w.Header().Set("Allow", strings.Join(methods, ", "))
		controlError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", req.URL.Path+" takes "+strings.Join(methods, " or "))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, 16<<20))
	if err != nil {
		controlError(w, http.StatusBadRequest, "BAD_BODY", err.Error())
		return
	}
	switch req.Method + " " + req.URL.Path {
	case "POST /_sim/seals":
		entries, err := ParseSeals(body)
		if err != nil {
			controlError(w, http.StatusBadRequest, "BAD_SEALS", err.Error())
			return
		}
		_ = s.Load(entries) // checked by ParseSeals
		controlJSON(w, map[string]int{"set": len(entries), "seals": s.region.sealCount()})
	case "PUT /_sim/faults":
		var fj FaultsJSON
		if err := decodeStrict(body, &fj); err != nil {
			controlError(w, http.StatusBadRequest, "BAD_FAULTS", err.Error())
			return
		}
		f, err := fj.Faults()
		if err != nil {
			controlError(w, http.StatusBadRequest, "BAD_FAULTS", err.Error())
			return
		}
		s.region.SetFaults(f)
		controlJSON(w, faultsJSONOf(f))
	case "GET /_sim/faults":
		controlJSON(w, faultsJSONOf(s.region.currentFaults()))
	case "GET /_sim/stats":
		controlJSON(w, s.Stats())
	case "GET /_sim/adapter":
		name := req.URL.Query().Get("credentials_name")
		if name == "" {
			name = s.id
		}
		controlJSON(w, s.Info("http://"+req.Host, name))
	}
}

// Info is what a sealhub setup needs to use a region: the fakeregion command prints it once it
// listens, and GET /_sim/adapter answers it.
type Info struct {
	Kind            string               `json:"kind"`
	Region          string               `json:"region"`
	URL             string               `json:"url"`
	CredentialsName string               `json:"credentials_name"`
	Credentials     adapters.Credentials `json:"credentials"` // for the nodes' configuration, never replicated
	Adapter         json.RawMessage      `json:"adapter"`     // the registry's adapter configuration
}

// Info describes the region served at url, its credentials named credentialsName.
func (s *Simulator) Info(url, credentialsName string) Info {
	return Info{Kind: s.kind, Region: s.id, URL: url, CredentialsName: credentialsName,
		Credentials: s.Credentials(), Adapter: s.AdapterConfig(url, credentialsName, nil)}
}

// FaultsJSON is Faults as the control API writes them: durations as Go durations ("50ms").
type FaultsJSON struct {
	Latency       string  `json:"latency,omitempty"`
	ErrorRate     float64 `json:"error_rate,omitempty"`
	AuthRate      float64 `json:"auth_rate,omitempty"`
	MalformedRate float64 `json:"malformed_rate,omitempty"`
	TruncatedRate float64 `json:"truncated_rate,omitempty"`
	HTMLRate      float64 `json:"html_rate,omitempty"`
	DripRate      float64 `json:"drip_rate,omitempty"`
	DripEvery     string  `json:"drip_every,omitempty"`
}

// Faults checks the rates (0 to 1) and durations (zero or more) and returns the faults.
func (j FaultsJSON) Faults() (Faults, error) {
	f := Faults{ErrorRate: j.ErrorRate, AuthRate: j.AuthRate, MalformedRate: j.MalformedRate,
		TruncatedRate: j.TruncatedRate, HTMLRate: j.HTMLRate, DripRate: j.DripRate}
	var errs []error
	for _, r := range []struct {
		name string
		v    float64
	}{{"error_rate", f.ErrorRate}, {"auth_rate", f.AuthRate}, {"malformed_rate", f.MalformedRate},
		{"truncated_rate", f.TruncatedRate}, {"html_rate", f.HTMLRate}, {"drip_rate", f.DripRate}} {
		if !(r.v >= 0 && r.v <= 1) {
			errs = append(errs, fmt.Errorf("%s %v: want 0 to 1", r.name, r.v))
		}
	}
	for _, d := range []struct {
		name, v string
		to      *time.Duration
	}{{"latency", j.Latency, &f.Latency}, {"drip_every", j.DripEvery, &f.DripEvery}} {
		if d.v == "" {
			continue
		}
		v, err := time.ParseDuration(d.v)
		if err != nil || v < 0 {
			errs = append(errs, fmt.Errorf("%s %q: want a duration such as 50ms", d.name, d.v))
		}
		*d.to = v
	}
	return f, errors.Join(errs...)
}

func faultsJSONOf(f Faults) FaultsJSON {
	j := FaultsJSON{ErrorRate: f.ErrorRate, AuthRate: f.AuthRate, MalformedRate: f.MalformedRate,
		TruncatedRate: f.TruncatedRate, HTMLRate: f.HTMLRate, DripRate: f.DripRate}
	if f.Latency > 0 {
		j.Latency = f.Latency.String()
	}
	if f.DripEvery > 0 {
		j.DripEvery = f.DripEvery.String()
	}
	return j
}

// decodeStrict reads exactly one JSON value into v; unknown fields are errors.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}

func controlJSON(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(b, '\n'))
}

func controlError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(map[string]string{"code": code, "message": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// currentFaults is the faults in force.
func (s *sim) currentFaults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// sealCount is how many seals the region holds.
func (s *sim) sealCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seals)
}

var _ http.Handler = (*Simulator)(nil)
