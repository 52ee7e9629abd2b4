// Package fakeregion simulates regions' own seal-status services, for tests, `sealhub dev` and
// compose: seeded with seals, with configurable latency and faults, deterministic for a seed.
package fakeregion

import (
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm3"
)

// The result codes of the simulated REST region.
const (
	CodeOK          = "0000"
	CodeBadSign     = "1001" // signature, app key or timestamp refused
	CodeReplay      = "1002" // nonce seen before
	CodeNotFound    = "2004"
	CodeServerError = "9999"
)

// RESTCodes are the region's status codes, from sealhub's statuses.
var RESTCodes = map[string]string{"valid": "01", "suspended": "02", "revoked": "03", "invalidated": "04"}

// RESTOptions configure a simulated REST region.
type RESTOptions struct {
	AppKey    string
	AppSecret string
	// Skew is how far X-Timestamp may be from Now (default 5 min).
	Skew time.Duration
	// Seed makes the faults drawn reproducible.
	Seed   uint64
	Now    func() time.Time // default time.Now
	Faults Faults
}

// Faults are the ways the region misbehaves; rates are fractions of requests in [0, 1], drawn in
// this order: error, auth, malformed, truncated, HTML, drip.
type Faults struct {
	Latency       time.Duration // before every answer
	ErrorRate     float64       // HTTP 500 with code 9999
	AuthRate      float64       // HTTP 401 as if the signature were wrong
	MalformedRate float64       // HTTP 200, broken JSON
	TruncatedRate float64       // Content-Length promises more than is sent, then the connection closes
	HTMLRate      float64       // HTTP 200 with a gateway's HTML error page
	DripRate      float64       // the body one byte per DripEvery
	DripEvery     time.Duration // default 50 ms
}

type seal struct {
	status    string
	effective time.Time
}

// REST is a simulated region speaking REST/JSON with HMAC-SM3-signed requests at
// GET /api/seal/status?sealCode={code}. Replies look like
// {"code":"0000","msg":"成功","data":{"sealCode":…,"sealStatus":"01","statusTime":"2006-01-02 15:04:05"}}.
// It is safe for concurrent use.
type REST struct {
	o RESTOptions

	mu     sync.Mutex
	rng    *rand.Rand
	faults Faults
	seals  map[string]seal
	raw    map[string][]byte
	nonces map[string]time.Time
	calls  int
}

// NewREST returns a region with no seals.
func NewREST(o RESTOptions) *REST {
	if o.Skew <= 0 {
		o.Skew = 5 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &REST{
		o: o, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x5ea1)), faults: o.Faults,
		seals: map[string]seal{}, raw: map[string][]byte{}, nonces: map[string]time.Time{},
	}
}

// Set stores a seal; status is sealhub's ("revoked") or the region's own code ("03", or any code
// to simulate one sealhub does not know).
func (r *REST) Set(code, status string, effective time.Time) {
	if c, ok := RESTCodes[status]; ok {
		status = c
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seals[code] = seal{status, effective}
}

// SetRaw makes the region answer a query for code with body as is (HTTP 200), after the usual
// signature checks: for golden payloads.
func (r *REST) SetRaw(code string, body []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.raw[code] = body
}

// SetFaults replaces the faults.
func (r *REST) SetFaults(f Faults) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.faults = f
}

// Calls is how many requests reached the region.
func (r *REST) Calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

// ServeHTTP answers one status query.
func (r *REST) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	f, fault := r.draw()
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-req.Context().Done():
			return
		}
	}
	if req.Method != http.MethodGet || req.URL.Path != "/api/seal/status" {
		http.NotFound(w, req)
		return
	}
	if code, msg := r.authenticate(req); code != "" {
		reply(w, http.StatusUnauthorized, envelope{Code: code, Msg: msg})
		return
	}
	switch fault {
	case faultError:
		reply(w, http.StatusInternalServerError, envelope{Code: CodeServerError, Msg: "系统繁忙"})
		return
	case faultAuth:
		reply(w, http.StatusUnauthorized, envelope{Code: CodeBadSign, Msg: "签名验证失败"})
		return
	}
	body := r.answer(req.URL.Query().Get("sealCode"))
	serve(w, req, fault, body, f.DripEvery)
}

// answer is the reply body for a seal code.
func (r *REST) answer(code string) []byte {
	r.mu.Lock()
	raw, isRaw := r.raw[code]
	s, ok := r.seals[code]
	r.mu.Unlock()
	if isRaw {
		return raw
	}
	e := envelope{Code: CodeNotFound, Msg: "印章不存在"}
	if ok {
		e = envelope{Code: CodeOK, Msg: "成功", Data: &sealData{SealCode: code, SealStatus: s.status}}
		if !s.effective.IsZero() {
			e.Data.StatusTime = s.effective.In(chinaTime).Format("2006-01-02 15:04:05")
		}
	}
	b, _ := json.Marshal(e)
	return b
}

// authenticate checks the app key, the timestamp, the nonce and the signature; it returns the
// refusal's code and message, or "".
func (r *REST) authenticate(req *http.Request) (code, msg string) {
	h := req.Header
	ts, nonce := h.Get("X-Timestamp"), h.Get("X-Nonce")
	if h.Get("X-App-Key") != r.o.AppKey {
		return CodeBadSign, "appKey无效"
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	now := r.o.Now()
	if err != nil || now.Sub(time.UnixMilli(ms)).Abs() > r.o.Skew {
		return CodeBadSign, "时间戳过期"
	}
	m := hmac.New(sm3.New, []byte(r.o.AppSecret))
	m.Write([]byte(req.Method + "\n" + req.RequestURI + "\n" + ts + "\n" + nonce))
	got, err := hex.DecodeString(h.Get("X-Signature"))
	if err != nil || nonce == "" || !hmac.Equal(got, m.Sum(nil)) {
		return CodeBadSign, "签名验证失败"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for n, at := range r.nonces {
		if now.Sub(at) > r.o.Skew {
			delete(r.nonces, n)
		}
	}
	if _, seen := r.nonces[nonce]; seen {
		return CodeReplay, "nonce重复"
	}
	r.nonces[nonce] = now
	return "", ""
}

var chinaTime = time.FixedZone("CST", 8*60*60)

type envelope struct {
	Code string    `json:"code"`
	Msg  string    `json:"msg"`
	Data *sealData `json:"data"`
}

type sealData struct {
	SealCode   string `json:"sealCode"`
	SealStatus string `json:"sealStatus"`
	StatusTime string `json:"statusTime,omitempty"`
}

func reply(w http.ResponseWriter, status int, e envelope) {
	b, _ := json.Marshal(e)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
