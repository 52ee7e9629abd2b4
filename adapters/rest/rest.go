// Package rest is the adapter kind for a region's REST/JSON status service whose requests are
// signed the way Chinese government open platforms sign them: an app key, a millisecond timestamp,
// a random nonce and an HMAC-SM3 signature over the method, the request URI, the timestamp and the
// nonce (see Signature).
//
// A reply is HTTP 200 with a JSON body; Config.Fields say where its result code, status and
// effective time are. Errors wrap the adapters sentinels:
//
//	transport failure, timeout, cancellation, HTTP 5xx, other non-200  ErrUnavailable
//	credentials refused (HTTP 401/403 or a Config.AuthCodes code)      *AuthError (wraps ErrUnavailable)
//	a result code that is neither success, not-found nor auth          ErrUnavailable
//	a Config.NotFoundCodes code                                        ErrNotFound
//	non-JSON, HTML, truncated or oversized body, a missing field,
//	an unknown status code, an unreadable effective time               ErrMalformed
package rest

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/emmansun/gmsm/sm3"
	"github.com/sealhub/sealhub/adapters"
)

// AuthError is the region refusing sealhub's credentials: a wrong app key or secret, or a clock
// too far from the region's. It wraps adapters.ErrUnavailable.
type AuthError struct {
	AppKey     string
	HTTPStatus int    // the reply's HTTP status
	Code       string // the region's result code, when it gave one
	Message    string // the region's message, when it gave one
}

func (e *AuthError) Error() string {
	s := fmt.Sprintf("rest: the region refused the credentials of app key %q (HTTP %d", e.AppKey, e.HTTPStatus)
	if e.Code != "" {
		s += ", code " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s + ")"
}

func (e *AuthError) Unwrap() error { return adapters.ErrUnavailable }

// Source asks one region's REST service. It is safe for concurrent use.
type Source struct {
	cfg    Config
	hc     *http.Client
	prefix string // the endpoint and the path template before {code}
	suffix string // the path template after {code}
	query  bool   // {code} is in the query
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
	before, after, _ := strings.Cut(cfg.Path, "{code}")
	return &Source{
		cfg:    cfg,
		hc:     hc,
		prefix: strings.TrimSuffix(cfg.Endpoint, "/") + before,
		suffix: after,
		query:  strings.Contains(before, "?"),
	}, nil
}

// Status asks the region for the status of the seal code.
func (s *Source) Status(ctx context.Context, code string) (adapters.Report, error) {
	if code == "" {
		return adapters.Report{}, fmt.Errorf("%w: rest: empty seal code", adapters.ErrNotFound)
	}
	escaped := url.PathEscape(code)
	if s.query {
		escaped = url.QueryEscape(code)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.prefix+escaped+s.suffix, nil)
	if err != nil {
		return adapters.Report{}, fmt.Errorf("%w: rest: building the request: %w", adapters.ErrUnavailable, err)
	}
	req.Header.Set("Accept", "application/json")
	s.sign(req, s.cfg.Now())
	resp, err := s.hc.Do(req)
	if err != nil {
		return adapters.Report{}, fmt.Errorf("%w: rest: %w", adapters.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := s.read(ctx, resp.Body)
	if err != nil {
		return adapters.Report{}, err
	}
	return s.decode(resp.StatusCode, body)
}

// read reads the whole reply, at most MaxBody bytes.
func (s *Source) read(ctx context.Context, r io.Reader) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, s.cfg.MaxBody+1))
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%w: rest: reading the reply: %w", adapters.ErrUnavailable, ctx.Err())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, fmt.Errorf("%w: rest: truncated reply after %d bytes", adapters.ErrMalformed, len(body))
	case err != nil:
		return nil, fmt.Errorf("%w: rest: reading the reply: %w", adapters.ErrUnavailable, err)
	case int64(len(body)) > s.cfg.MaxBody:
		return nil, fmt.Errorf("%w: rest: reply larger than %d bytes", adapters.ErrMalformed, s.cfg.MaxBody)
	}
	return body, nil
}

// decode turns a reply into a Report or a typed error.
func (s *Source) decode(httpStatus int, body []byte) (adapters.Report, error) {
	doc, jerr := parseJSON(body)
	var code, msg string
	var cerr error
	if jerr == nil {
		code, cerr = scalar(doc, s.cfg.Fields.Code)
		msg, _ = scalar(doc, s.cfg.Fields.Message)
	}
	auth := &AuthError{AppKey: s.cfg.AppKey, HTTPStatus: httpStatus, Code: code, Message: msg}
	switch {
	case httpStatus == http.StatusUnauthorized || httpStatus == http.StatusForbidden:
		return adapters.Report{}, auth
	case cerr == nil && slices.Contains(s.cfg.AuthCodes, code):
		return adapters.Report{}, auth
	case cerr == nil && slices.Contains(s.cfg.NotFoundCodes, code):
		return adapters.Report{}, fmt.Errorf("%w: rest: code %s %s", adapters.ErrNotFound, code, msg)
	case httpStatus != http.StatusOK:
		return adapters.Report{}, fmt.Errorf("%w: rest: HTTP %d %s", adapters.ErrUnavailable, httpStatus, snippet(body))
	case jerr != nil:
		return adapters.Report{}, fmt.Errorf("%w: rest: reply is not JSON (%v): %s", adapters.ErrMalformed, jerr, snippet(body))
	case cerr != nil:
		return adapters.Report{}, fmt.Errorf("%w: rest: result code: %w", adapters.ErrMalformed, cerr)
	case !slices.Contains(s.cfg.SuccessCodes, code):
		return adapters.Report{}, fmt.Errorf("%w: rest: the region answered code %s %s", adapters.ErrUnavailable, code, msg)
	}
	return s.report(doc, body)
}

// report reads the status and effective time of a successful reply.
func (s *Source) report(doc any, body []byte) (adapters.Report, error) {
	raw, err := scalar(doc, s.cfg.Fields.Status)
	if err != nil {
		return adapters.Report{}, fmt.Errorf("%w: rest: status: %w", adapters.ErrMalformed, err)
	}
	st, ok := s.cfg.Statuses[raw]
	if !ok {
		return adapters.Report{}, fmt.Errorf("%w: rest: unknown status code %q", adapters.ErrMalformed, raw)
	}
	sum := sm3.Sum(body)
	r := adapters.Report{Status: st, CheckedAt: s.cfg.Now(), Evidence: hex.EncodeToString(sum[:])}
	if s.cfg.Fields.EffectiveAt == "" {
		return r, nil
	}
	at, err := scalar(doc, s.cfg.Fields.EffectiveAt)
	if errors.Is(err, errAbsent) || (err == nil && at == "") {
		return r, nil // the region does not say
	}
	if err != nil {
		return adapters.Report{}, fmt.Errorf("%w: rest: effective time: %w", adapters.ErrMalformed, err)
	}
	if r.EffectiveAt, err = timeIn(at, s.cfg.TimeLayout, s.cfg.Location); err != nil {
		return adapters.Report{}, fmt.Errorf("%w: rest: effective time %q: %w", adapters.ErrMalformed, at, err)
	}
	return r, nil
}

// snippet is the start of a body, for error messages.
func snippet(body []byte) string {
	const n = 120
	if len(body) > n {
		return fmt.Sprintf("%q…", body[:n])
	}
	return fmt.Sprintf("%q", body)
}

var _ adapters.Source = (*Source)(nil)
