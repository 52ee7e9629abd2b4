package rest

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"

	"github.com/emmansun/gmsm/sm3"
)

// The request headers of the signing scheme.
const (
	HeaderAppKey    = "X-App-Key"
	HeaderTimestamp = "X-Timestamp" // Unix milliseconds
	HeaderNonce     = "X-Nonce"     // random hex, never reused
	HeaderSignature = "X-Signature" // hex HMAC-SM3 of the canonical string
)

// Signature is hex(HMAC-SM3(secret, method "\n" requestURI "\n" timestamp "\n" nonce)), where
// requestURI is the path with its query exactly as sent.
func Signature(secret, method, requestURI, timestamp, nonce string) string {
	m := hmac.New(sm3.New, []byte(secret))
	m.Write([]byte(method + "\n" + requestURI + "\n" + timestamp + "\n" + nonce))
	return hex.EncodeToString(m.Sum(nil))
}

// sign sets the signing headers of req.
func (s *Source) sign(req *http.Request, now time.Time) {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	nonce := hex.EncodeToString(b[:])
	req.Header.Set(HeaderAppKey, s.cfg.AppKey)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, Signature(s.cfg.AppSecret, req.Method, req.URL.RequestURI(), ts, nonce))
}
