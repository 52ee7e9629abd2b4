// Package soap is the adapter kind for a region's SOAP 1.1 web service, the style of many
// provincial seal platforms' older interfaces: the hub POSTs a SOAP 1.1 envelope (Content-Type
// text/xml; charset=utf-8, a SOAPAction header) whose Header carries a WS-Security UsernameToken
// with an SM3 password digest (see PasswordDigest) and whose Body holds the operation element in
// the region's namespace with the seal code:
//
//	<QuerySealStatus xmlns="http://seal.example.gov.cn/ws"><sealCode>…</sealCode></QuerySealStatus>
//
// The reply's Body holds the response element, matched by namespace and local name whatever its
// prefix, and Config.Fields say where in it the result code, message, status and effective time
// are:
//
//	<ns2:QuerySealStatusResponse xmlns:ns2="http://seal.example.gov.cn/ws"><return>
//	  <resultCode>0</resultCode><resultMsg>成功</resultMsg>
//	  <sealStatus>1</sealStatus><statusTime>2025-03-01 09:30:00</statusTime>
//	</return></ns2:QuerySealStatusResponse>
//
// A reply may be declared in GBK or GB18030. Errors wrap the adapters sentinels:
//
//	transport failure, timeout, cancellation, non-200 without a fault    ErrUnavailable
//	a soap:Fault (HTTP 500 or 200)                                       ErrUnavailable
//	account refused: HTTP 401/403, a WS-Security fault (a faultcode
//	naming Security, FailedAuthentication, FailedCheck or
//	MessageExpired) or a Config.AuthCodes result code                    *AuthError (wraps ErrUnavailable)
//	a result code that is neither success, not-found nor auth            ErrUnavailable
//	a Config.NotFoundCodes result code                                   ErrNotFound
//	not XML, a DTD, HTML, a truncated or oversized body, not a SOAP 1.1
//	envelope, no response element in the region's namespace, a missing
//	or repeated field, an unknown status code, an unreadable time        ErrMalformed
package soap

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/emmansun/gmsm/sm3"
	"github.com/sealhub/sealhub/adapters"
)

// AuthError is the region refusing sealhub's account: a wrong username or password, or a clock
// too far from the region's. It wraps adapters.ErrUnavailable.
type AuthError struct {
	Username   string
	HTTPStatus int    // the reply's HTTP status
	FaultCode  string // the soap:Fault's faultcode, when the refusal was a fault
	Code       string // the region's result code, when it gave one
	Message    string // the faultstring or the region's message, when it gave one
}

func (e *AuthError) Error() string {
	s := fmt.Sprintf("soap: the region refused the account %q (HTTP %d", e.Username, e.HTTPStatus)
	if e.FaultCode != "" {
		s += ", fault " + e.FaultCode
	}
	if e.Code != "" {
		s += ", code " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s + ")"
}

func (e *AuthError) Unwrap() error { return adapters.ErrUnavailable }

// Source asks one region's SOAP service. It is safe for concurrent use.
type Source struct {
	cfg   Config
	hc    *http.Client
	where string // "soap: host", the start of every error message
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
	u, _ := url.Parse(cfg.Endpoint) // Validate parsed it
	return &Source{cfg: cfg.withDefaults(), hc: hc, where: "soap: " + u.Host}, nil
}

// Status asks the region for the status of the seal code.
func (s *Source) Status(ctx context.Context, code string) (adapters.Report, error) {
	if code == "" || !sendable(code) {
		return adapters.Report{}, fmt.Errorf("%w: %s: seal code %q cannot be sent in XML", adapters.ErrNotFound, s.where, code)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.Endpoint, bytes.NewReader(s.envelope(code, s.cfg.Now())))
	if err != nil {
		return adapters.Report{}, fmt.Errorf("%w: %s: building the request: %w", adapters.ErrUnavailable, s.where, err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("Accept", "text/xml")
	req.Header.Set("SOAPAction", `"`+s.cfg.SOAPAction+`"`)
	resp, err := s.hc.Do(req)
	if err != nil {
		return adapters.Report{}, fmt.Errorf("%w: %s: %w", adapters.ErrUnavailable, s.where, err)
	}
	defer resp.Body.Close()
	body, err := s.read(ctx, resp.Body)
	if err != nil {
		return adapters.Report{}, err
	}
	return s.decode(resp.StatusCode, body)
}

// sendable: code is valid UTF-8 of characters XML 1.0 allows.
func sendable(code string) bool {
	if !utf8.ValidString(code) {
		return false
	}
	for _, r := range code {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return false
		}
	}
	return true
}

// read reads the whole reply, at most MaxBody bytes.
func (s *Source) read(ctx context.Context, r io.Reader) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, s.cfg.MaxBody+1))
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%w: %s: reading the reply: %w", adapters.ErrUnavailable, s.where, ctx.Err())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, fmt.Errorf("%w: %s: truncated reply after %d bytes", adapters.ErrMalformed, s.where, len(body))
	case err != nil:
		return nil, fmt.Errorf("%w: %s: reading the reply: %w", adapters.ErrUnavailable, s.where, err)
	case int64(len(body)) > s.cfg.MaxBody:
		return nil, fmt.Errorf("%w: %s: reply larger than %d bytes", adapters.ErrMalformed, s.where, s.cfg.MaxBody)
	}
	return body, nil
}

// decode turns a reply into a Report or a typed error.
func (s *Source) decode(httpStatus int, body []byte) (adapters.Report, error) {
	if httpStatus == http.StatusUnauthorized || httpStatus == http.StatusForbidden {
		return adapters.Report{}, &AuthError{Username: s.cfg.Username, HTTPStatus: httpStatus}
	}
	payload, perr := s.payload(body)
	if perr == nil && payload.name == nameFault {
		return adapters.Report{}, s.fault(httpStatus, payload)
	}
	if httpStatus != http.StatusOK {
		return adapters.Report{}, fmt.Errorf("%w: %s: HTTP %d %s", adapters.ErrUnavailable, s.where, httpStatus, snippet(body))
	}
	if perr != nil {
		return adapters.Report{}, fmt.Errorf("%w: %s: %v: %s", adapters.ErrMalformed, s.where, perr, snippet(body))
	}
	if want := (xml.Name{Space: s.cfg.Namespace, Local: s.cfg.Response}); payload.name != want {
		return adapters.Report{}, fmt.Errorf("%w: %s: the Body holds {%s}%s, not {%s}%s", adapters.ErrMalformed, s.where,
			payload.name.Space, payload.name.Local, want.Space, want.Local)
	}
	code, cerr := payload.value(s.cfg.Fields.Code, s.cfg.Namespace)
	msg, _ := payload.value(s.cfg.Fields.Message, s.cfg.Namespace)
	switch {
	case cerr != nil:
		return adapters.Report{}, fmt.Errorf("%w: %s: result code: %w", adapters.ErrMalformed, s.where, cerr)
	case slices.Contains(s.cfg.AuthCodes, code):
		return adapters.Report{}, &AuthError{Username: s.cfg.Username, HTTPStatus: httpStatus, Code: code, Message: msg}
	case slices.Contains(s.cfg.NotFoundCodes, code):
		return adapters.Report{}, fmt.Errorf("%w: %s: the region answered %s", adapters.ErrNotFound, s.where, said(code, msg))
	case !slices.Contains(s.cfg.SuccessCodes, code):
		return adapters.Report{}, fmt.Errorf("%w: %s: the region answered %s", adapters.ErrUnavailable, s.where, said(code, msg))
	}
	return s.report(payload, body)
}

// payload is the first element of the reply's SOAP 1.1 Body.
func (s *Source) payload(body []byte) (*element, error) {
	root, err := parseXML(body)
	if err != nil {
		return nil, fmt.Errorf("reply is not XML (%w)", err)
	}
	if root.name != nameEnvelope {
		return nil, fmt.Errorf("the root is {%s}%s, not a SOAP 1.1 Envelope", root.name.Space, root.name.Local)
	}
	b, err := root.child("Body", NamespaceEnvelope)
	if err != nil || b == nil {
		return nil, errors.New("the envelope has no single Body")
	}
	p := b.firstChild()
	if p == nil {
		return nil, errors.New("the Body is empty")
	}
	return p, nil
}

var (
	nameEnvelope = xml.Name{Space: NamespaceEnvelope, Local: "Envelope"}
	nameFault    = xml.Name{Space: NamespaceEnvelope, Local: "Fault"}
)

// fault is the error of a soap:Fault: an AuthError when it is a WS-Security refusal.
func (s *Source) fault(httpStatus int, f *element) error {
	code, msg := f.childText("faultcode", NamespaceEnvelope), f.childText("faultstring", NamespaceEnvelope)
	if authFault(code) {
		return &AuthError{Username: s.cfg.Username, HTTPStatus: httpStatus, FaultCode: code, Message: msg}
	}
	return fmt.Errorf("%w: %s: soap fault %q (HTTP %d): %s", adapters.ErrUnavailable, s.where, code, httpStatus, msg)
}

// authFault reports whether a faultcode (a QName such as "wsse:FailedAuthentication") is a
// WS-Security refusal of the caller.
func authFault(code string) bool {
	local := code[strings.LastIndexByte(code, ':')+1:]
	for _, k := range []string{"Security", "FailedAuthentication", "FailedCheck", "MessageExpired"} {
		if strings.Contains(local, k) {
			return true
		}
	}
	return false
}

// report reads the status and effective time of a successful reply.
func (s *Source) report(payload *element, body []byte) (adapters.Report, error) {
	raw, err := payload.value(s.cfg.Fields.Status, s.cfg.Namespace)
	if err != nil {
		return adapters.Report{}, fmt.Errorf("%w: %s: status: %w", adapters.ErrMalformed, s.where, err)
	}
	st, ok := s.cfg.Statuses[raw]
	if !ok {
		return adapters.Report{}, fmt.Errorf("%w: %s: unknown status code %q", adapters.ErrMalformed, s.where, raw)
	}
	sum := sm3.Sum(body)
	r := adapters.Report{Status: st, CheckedAt: s.cfg.Now(), Evidence: hex.EncodeToString(sum[:])}
	at, err := payload.value(s.cfg.Fields.EffectiveAt, s.cfg.Namespace)
	if errors.Is(err, errAbsent) || (err == nil && at == "") {
		return r, nil // the region does not say
	}
	if err != nil {
		return adapters.Report{}, fmt.Errorf("%w: %s: effective time: %w", adapters.ErrMalformed, s.where, err)
	}
	if r.EffectiveAt, err = timeIn(at, s.cfg.TimeLayout, s.cfg.Location); err != nil {
		return adapters.Report{}, fmt.Errorf("%w: %s: effective time %q: %w", adapters.ErrMalformed, s.where, at, err)
	}
	return r, nil
}

// said quotes a result code and its message.
func said(code, msg string) string {
	if msg == "" {
		return "code " + strconv.Quote(code)
	}
	return fmt.Sprintf("code %q (%s)", code, msg)
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
