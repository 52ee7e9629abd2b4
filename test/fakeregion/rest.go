// Package fakeregion simulates regions' own seal-status services, for tests, `sealhub dev` and
// compose: seeded with seals, with configurable latency and faults, deterministic for a seed.
package fakeregion

import (
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
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

// REST is a simulated region speaking REST/JSON with HMAC-SM3-signed requests at
// GET /api/seal/status?sealCode={code}. Replies look like
// {"code":"0000","msg":"成功","data":{"sealCode":…,"sealStatus":"01","statusTime":"2006-01-02 15:04:05"}}.
// It is safe for concurrent use.
type REST struct {
	sim
	o      RESTOptions
	nonces map[string]time.Time
}

// NewREST returns a region with no seals.
func NewREST(o RESTOptions) *REST {
	if o.Skew <= 0 {
		o.Skew = 5 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &REST{sim: newSim(o.Seed, o.Faults, o.Now), o: o, nonces: map[string]time.Time{}}
}

// ServeHTTP answers one status query.
func (r *REST) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	f, fault := r.draw()
	if !wait(req, f.Latency) {
		return
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
	serve(w, req, fault, body, "application/json;charset=UTF-8", garbleJSON, f.DripEvery)
}

// garbleJSON cuts a JSON reply into something that does not parse.
func garbleJSON(body []byte) []byte {
	return append([]byte(`{"code":"0000","data":{"sealStatus":`), body...)
}

// answer is the reply body for a seal code.
func (r *REST) answer(code string) []byte {
	raw, isRaw, s, ok := r.lookup(code)
	if isRaw {
		return raw
	}
	e := envelope{Code: CodeNotFound, Msg: "印章不存在"}
	if ok {
		st := string(s.status)
		if c, known := RESTCodes[st]; known {
			st = c
		}
		e = envelope{Code: CodeOK, Msg: "成功", Data: &sealData{SealCode: code, SealStatus: st}}
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
