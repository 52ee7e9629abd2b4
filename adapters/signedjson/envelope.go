package signedjson

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/adapters"
)

// envelope is a signed reply as on the wire: the payload as a JSON string, the id of the key that
// signed it, and the base64 DER SM2 signature over the payload's UTF-8 bytes.
type envelope struct {
	Data  *string `json:"data"`
	KeyID string  `json:"keyId"`
	Sign  string  `json:"sign"`
}

// open checks a signed reply and returns its payload: nothing of a reply is used before its
// signature is verified with the region's key the reply names.
func (s *Source) open(body []byte) ([]byte, error) {
	var env envelope
	if err := decodeOne(body, &env); err != nil {
		return nil, fmt.Errorf("%w: signed-json: %s: reply is not a signed JSON envelope (%v): %s", adapters.ErrMalformed, s.where, err, snippet(body))
	}
	if env.Data == nil {
		return nil, fmt.Errorf("%w: signed-json: %s: reply has no signed data: %s", adapters.ErrMalformed, s.where, snippet(body))
	}
	fail := func(r SignatureReason) error {
		return &SignatureError{Endpoint: s.where, Reason: r, KeyID: clip(env.KeyID, 32)}
	}
	if env.KeyID == "" || env.Sign == "" {
		return nil, fail(SignatureMissing)
	}
	pub, ok := s.keys[strings.ToLower(env.KeyID)]
	if !ok {
		return nil, fail(SignatureUnknownKey)
	}
	sig, err := base64.StdEncoding.DecodeString(env.Sign)
	if err != nil {
		return nil, fail(SignatureEncoding)
	}
	data := []byte(*env.Data)
	if !sm2.VerifyASN1WithSM2(pub, s.uid, data, sig) {
		return nil, fail(SignatureInvalid)
	}
	return data, nil
}

// decodeOne decodes exactly one JSON value into v.
func decodeOne(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}

// answer is the region's signed answer about one seal, in a status or a batch payload.
type answer struct {
	Code        string  `json:"code"`
	Status      *string `json:"status"`
	EffectiveAt string  `json:"effectiveAt"`
	CheckedAt   string  `json:"checkedAt"`
	Error       string  `json:"error"`
}

// errorNotFound is the payload error of a seal the region does not know.
const errorNotFound = "NOT_FOUND"

// report reads the status and times of a (verified) answer; evidence is the SM3 of the reply.
func (s *Source) report(a answer, evidence string) (adapters.Report, error) {
	if a.Status == nil || *a.Status == "" {
		return adapters.Report{}, fmt.Errorf("%w: signed-json: %s: the answer about %q has no status", adapters.ErrMalformed, s.where, clip(a.Code, 64))
	}
	st, ok := s.cfg.Statuses[*a.Status]
	if !ok {
		return adapters.Report{}, fmt.Errorf("%w: signed-json: %s: unknown status %q", adapters.ErrMalformed, s.where, clip(*a.Status, 64))
	}
	r := adapters.Report{Status: st, Evidence: evidence}
	var err error
	if r.EffectiveAt, err = optionalTime(a.EffectiveAt); err != nil {
		return adapters.Report{}, fmt.Errorf("%w: signed-json: %s: effectiveAt: %w", adapters.ErrMalformed, s.where, err)
	}
	if r.CheckedAt, err = optionalTime(a.CheckedAt); err != nil {
		return adapters.Report{}, fmt.Errorf("%w: signed-json: %s: checkedAt: %w", adapters.ErrMalformed, s.where, err)
	}
	if r.CheckedAt.IsZero() {
		r.CheckedAt = s.cfg.Now()
	}
	return r, nil
}

// optionalTime reads an RFC 3339 time ("2025-03-01T09:30:00+08:00"), in UTC; "" is the zero time.
func optionalTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", clip(v, 64))
	}
	return t.UTC(), nil
}

// clip is s cut to n bytes, for messages quoting a region's values.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// snippet is the start of a body, for error messages.
func snippet(body []byte) string {
	const n = 120
	if len(body) > n {
		return fmt.Sprintf("%q…", body[:n])
	}
	return fmt.Sprintf("%q", body)
}
