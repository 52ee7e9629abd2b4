// Package signedjson is the adapter kind "signed-json": a region whose JSON replies are signed
// with the region's SM2 key (SM2 with SM3, GB/T 32918, user id Config.UID, default
// 1234567812345678). Every reply is verified with the key it names, among the region's configured
// public keys, before anything in it is used; each request carries a fresh nonce the signed
// payload must echo, so an old signed reply cannot be replayed.
//
// Wire format. Every request carries the X-Api-Key header when an API key is configured (the
// credential field "api_key"). A signed reply, HTTP 200 (or 404 for a seal the region does not
// know), is
//
//	{"data":"<the JSON payload, as a string>","keyId":"<16 hex>","sign":"<base64 DER SM2 signature over the UTF-8 bytes of data>"}
//
// Times are RFC 3339 ("2025-03-01T09:30:00+08:00"); effectiveAt and checkedAt may be absent.
//
//	GET {endpoint}{path}?nonce=<hex>            path default /api/v2/seals/{code}/status
//	  payload {"code":…,"status":…,"effectiveAt":…,"checkedAt":…,"nonce":…}
//	  unknown {"code":…,"error":"NOT_FOUND","nonce":…} (HTTP 404)
//	POST {endpoint}/api/v2/seals:batchStatus    body {"codes":[…at most 100],"nonce":…}
//	  payload {"nonce":…,"results":[{"code","status","effectiveAt","checkedAt"} | {"code","error":"NOT_FOUND"}]}
//	GET {endpoint}/api/v2/changes?after=N&limit=M&nonce=<hex>
//	  payload {"nonce":…,"through":N,"more":bool,"full":bool,"changes":[{"seq","code","status",
//	           "effectiveAt","reason","seal":{"name","type","ownerName","ownerUscc","validStart","validEnd","sealSm3"}}]}
//
// Errors wrap the adapters sentinels:
//
//	transport failure, timeout, cancellation, HTTP 5xx, other HTTP statuses      ErrUnavailable
//	HTTP 401/403 (the API key refused or missing)                                *AuthError (wraps ErrUnavailable)
//	a signed payload with an error other than NOT_FOUND                          ErrUnavailable
//	a signed payload with error NOT_FOUND                                        ErrNotFound
//	no signature or key id, an unknown key id, a signature that does not verify,
//	a payload not echoing the nonce, an answer about another seal                *SignatureError (wraps ErrMalformed)
//	non-JSON, HTML, truncated or oversized body, an unsigned 404, no or an
//	unknown status, a bad time, a feed page whose sequence numbers do not
//	increase within (after, through]                                             ErrMalformed
package signedjson

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/emmansun/gmsm/sm3"
	"github.com/sealhub/sealhub/adapters"
)

// HeaderAPIKey carries the region's API key for sealhub.
const HeaderAPIKey = "X-Api-Key"

// Source asks one region's SM2-signed JSON service. It is safe for concurrent use.
type Source struct {
	cfg    Config
	hc     *http.Client
	keys   map[string]*ecdsa.PublicKey // by lower-case key id, parsed once (gmsm caches per key pointer)
	uid    []byte
	base   string // the endpoint without a trailing slash
	prefix string // the endpoint and the path template before {code}
	suffix string // the path template after {code}
	query  bool   // {code} is in the query
	where  string // the endpoint's host, for messages
}

// New checks cfg and returns its Source; hc nil is http.DefaultClient. Deadlines come from the
// context of each call (the adapters wrapper sets one).
func New(cfg Config, hc *http.Client) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	cfg = cfg.withDefaults()
	keys, _ := parseKeys(cfg.PublicKeys)
	u, _ := url.Parse(cfg.Endpoint)
	base := strings.TrimSuffix(cfg.Endpoint, "/")
	before, after, _ := strings.Cut(cfg.Path, "{code}")
	return &Source{
		cfg: cfg, hc: hc, keys: keys, uid: []byte(cfg.UID),
		base: base, prefix: base + before, suffix: after,
		query: strings.Contains(before, "?"), where: u.Host,
	}, nil
}

// Status asks the region for the status of the seal code.
func (s *Source) Status(ctx context.Context, code string) (adapters.Report, error) {
	if code == "" {
		return adapters.Report{}, fmt.Errorf("%w: signed-json: empty seal code", adapters.ErrNotFound)
	}
	escaped := url.PathEscape(code)
	if s.query {
		escaped = url.QueryEscape(code)
	}
	nonce := s.cfg.Nonce()
	target := s.prefix + escaped + s.suffix
	if strings.Contains(target, "?") {
		target += "&nonce=" + url.QueryEscape(nonce)
	} else {
		target += "?nonce=" + url.QueryEscape(nonce)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return adapters.Report{}, fmt.Errorf("%w: signed-json: %s: building the request: %w", adapters.ErrUnavailable, s.where, err)
	}
	status, body, err := s.do(ctx, req)
	if err != nil {
		return adapters.Report{}, err
	}
	return s.decodeStatus(status, body, code, nonce)
}

// do sends req and reads the whole reply, at most MaxBody bytes.
func (s *Source) do(ctx context.Context, req *http.Request) (int, []byte, error) {
	req.Header.Set("Accept", "application/json")
	if s.cfg.APIKey != "" {
		req.Header.Set(HeaderAPIKey, s.cfg.APIKey)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: signed-json: %w", adapters.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.cfg.MaxBody+1))
	switch {
	case ctx.Err() != nil:
		return 0, nil, fmt.Errorf("%w: signed-json: %s: reading the reply: %w", adapters.ErrUnavailable, s.where, ctx.Err())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return 0, nil, fmt.Errorf("%w: signed-json: %s: truncated reply after %d bytes", adapters.ErrMalformed, s.where, len(body))
	case err != nil:
		return 0, nil, fmt.Errorf("%w: signed-json: %s: reading the reply: %w", adapters.ErrUnavailable, s.where, err)
	case int64(len(body)) > s.cfg.MaxBody:
		return 0, nil, fmt.Errorf("%w: signed-json: %s: reply larger than %d bytes", adapters.ErrMalformed, s.where, s.cfg.MaxBody)
	}
	return resp.StatusCode, body, nil
}

// refused is the error of a reply whose HTTP status says no usable answer follows, or nil when
// the reply is to be opened (HTTP 200, and 404 where ok404).
func (s *Source) refused(httpStatus int, body []byte, ok404 bool) error {
	switch {
	case httpStatus == http.StatusOK, httpStatus == http.StatusNotFound && ok404:
		return nil
	case httpStatus == http.StatusUnauthorized || httpStatus == http.StatusForbidden:
		return &AuthError{Endpoint: s.where, HTTPStatus: httpStatus, KeySent: s.cfg.APIKey != ""}
	}
	return fmt.Errorf("%w: signed-json: %s: HTTP %d %s", adapters.ErrUnavailable, s.where, httpStatus, snippet(body))
}

// statusPayload is the signed payload of a status reply.
type statusPayload struct {
	answer
	Nonce string `json:"nonce"`
}

// decodeStatus turns the reply to a status query for code with nonce into a Report or a typed
// error.
func (s *Source) decodeStatus(httpStatus int, body []byte, code, nonce string) (adapters.Report, error) {
	if err := s.refused(httpStatus, body, true); err != nil {
		return adapters.Report{}, err
	}
	data, err := s.open(body)
	if err != nil {
		return adapters.Report{}, err
	}
	var p statusPayload
	if err := decodeOne(data, &p); err != nil {
		return adapters.Report{}, fmt.Errorf("%w: signed-json: %s: signed payload is not a status (%v): %s", adapters.ErrMalformed, s.where, err, snippet(data))
	}
	if p.Nonce != nonce {
		return adapters.Report{}, &SignatureError{Endpoint: s.where, Reason: SignatureReplayed,
			Detail: fmt.Sprintf("nonce %q, asked with %q", clip(p.Nonce, 64), nonce)}
	}
	if p.Code != code {
		return adapters.Report{}, &SignatureError{Endpoint: s.where, Reason: SignatureOtherSeal,
			Detail: fmt.Sprintf("about %q, asked about %q", clip(p.Code, 64), clip(code, 64))}
	}
	switch {
	case p.Error == errorNotFound:
		return adapters.Report{}, fmt.Errorf("%w: signed-json: %s: seal %q", adapters.ErrNotFound, s.where, clip(code, 64))
	case p.Error != "":
		return adapters.Report{}, fmt.Errorf("%w: signed-json: %s: the region answered error %q", adapters.ErrUnavailable, s.where, clip(p.Error, 64))
	case httpStatus != http.StatusOK:
		return adapters.Report{}, fmt.Errorf("%w: signed-json: %s: HTTP %d with a status", adapters.ErrMalformed, s.where, httpStatus)
	}
	return s.report(p.answer, evidence(body))
}

// evidence is the SM3 (hex) of a reply as received.
func evidence(body []byte) string {
	sum := sm3.Sum(body)
	return hex.EncodeToString(sum[:])
}

// newNonce is 16 random bytes in hex.
func newNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

var (
	_ adapters.Source = (*Source)(nil)
	_ adapters.Batch  = (*Source)(nil)
	_ adapters.Feed   = (*Source)(nil)
)
