// Package client talks to a sealhub node's API: it signs and sends pushes (taking seq and prev from
// the registry's head, retrying safely), and reads registries and seals. The CLI, `sealhub dev` and
// the tests use it.
package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/federation/ingest"
	"github.com/sealhub/sealhub/resolver/httpapi"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// Client is an API client. A zero HTTP uses a client with a 60 s timeout.
type Client struct {
	BaseURL string
	HTTP    *http.Client
	// Retries of a request that failed without an answer or with 503 (default 8), with
	// exponential backoff from 200 ms, honouring Retry-After.
	Retries int
	Now     func() time.Time
}

// New makes a client for the node at baseURL.
func New(baseURL string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), HTTP: &http.Client{Timeout: 60 * time.Second}, Retries: 8, Now: time.Now}
}

// Error is an error answer of the API.
type Error struct {
	Status    int    `json:"-"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s (request %s)", e.Status, e.Code, e.Message, e.RequestID)
}

// IsCode reports whether err is an API error with this code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// Do sends one request with a JSON body (or none) and decodes a JSON answer into out (unless nil),
// retrying transport failures and 503s with the same body up to Retries times.
func (c *Client) Do(ctx context.Context, method, path string, body []byte, hdr http.Header, out any) error {
	return c.do(ctx, method, path, body, hdr, out)
}

// do sends one request, retrying transport failures and 503s with the same body.
func (c *Client) do(ctx context.Context, method, path string, body []byte, hdr http.Header, out any) error {
	backoff := 200 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := c.once(ctx, method, path, body, hdr, out)
		var ae *Error
		retry := err != nil && (!errors.As(err, &ae) || ae.Status == http.StatusServiceUnavailable)
		if !retry || attempt >= c.Retries || ctx.Err() != nil {
			return err
		}
		wait := backoff
		var ra retryAfter
		if errors.As(err, &ra) && ra.d > 0 {
			wait = ra.d
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// retryAfter is an API error that came with a Retry-After header.
type retryAfter struct {
	err *Error
	d   time.Duration
}

func (r retryAfter) Error() string { return r.err.Error() }
func (r retryAfter) Unwrap() error { return r.err }

func (c *Client) once(ctx context.Context, method, path string, body []byte, hdr http.Header, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		e := &Error{Status: resp.StatusCode}
		if json.Unmarshal(data, e) != nil || e.Code == "" {
			e.Code, e.Message = "HTTP_"+strconv.Itoa(resp.StatusCode), strings.TrimSpace(string(data))
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			return retryAfter{e, time.Duration(s) * time.Second}
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	return nil
}

// Registry reads a registry (with its head).
func (c *Client) Registry(ctx context.Context, id string) (*ingest.RegistryView, error) {
	var v ingest.RegistryView
	if err := c.do(ctx, http.MethodGet, "/v1/registries/"+url.PathEscape(id), nil, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Seal reads a seal's record and status, at a given effective time if at is not zero.
func (c *Client) Seal(ctx context.Context, code string, at time.Time) (*httpapi.SealResponse, error) {
	path := "/v1/seals/" + url.PathEscape(code)
	if !at.IsZero() {
		path += "?at=" + url.QueryEscape(at.UTC().Format(time.RFC3339Nano))
	}
	var v httpapi.SealResponse
	if err := c.do(ctx, http.MethodGet, path, nil, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Get reads any JSON route into out.
func (c *Client) Get(ctx context.Context, path string, out any) error {
	return c.do(ctx, http.MethodGet, path, nil, nil, out)
}

// Signer signs pushes for one registry (or the administrator).
type Signer struct {
	Registry string
	Key      *sm2.PrivateKey
}

// Sign signs body; the results go in the push headers.
func (s Signer) Sign(body []byte) (keyID, sigB64 string, err error) {
	sig, err := smcrypto.Sign(s.Key, body)
	if err != nil {
		return "", "", err
	}
	return smcrypto.KeyID(&s.Key.PublicKey), base64.StdEncoding.EncodeToString(sig), nil
}

// Send signs and posts exactly body. A transport failure or 503 is retried with the same bytes,
// which the hub answers idempotently.
func (c *Client) Send(ctx context.Context, s Signer, body []byte) (*ingest.PushResponse, error) {
	keyID, sig, err := s.Sign(body)
	if err != nil {
		return nil, err
	}
	hdr := http.Header{}
	hdr.Set(ingest.HeaderKeyID, keyID)
	hdr.Set(ingest.HeaderSignature, sig)
	var out ingest.PushResponse
	if err := c.do(ctx, http.MethodPost, "/v1/updates", body, hdr, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Build makes the body of the registry's next push from its current head.
func (c *Client) Build(ctx context.Context, registry string, ops []trustlist.Op) ([]byte, error) {
	opsJSON, err := MarshalOps(ops)
	if err != nil {
		return nil, err
	}
	return c.build(ctx, registry, opsJSON)
}

func (c *Client) build(ctx context.Context, registry string, opsJSON []byte) ([]byte, error) {
	// The head must include every push acknowledged so far, whichever node acknowledged it: a
	// follower's local copy may be a few milliseconds behind.
	var r ingest.RegistryView
	if err := c.do(ctx, http.MethodGet, "/v1/registries/"+url.PathEscape(registry)+"?consistency=linearizable", nil, nil, &r); err != nil {
		return nil, err
	}
	return MarshalPushOps(trustlist.Push{Registry: registry, Seq: r.Head.Seq + 1, Prev: r.Head.Hash, IssuedAt: c.Now().UTC().Truncate(time.Second)}, opsJSON)
}

// MarshalPush encodes a push body.
func MarshalPush(p trustlist.Push) ([]byte, error) {
	if p.Ops == nil {
		p.Ops = []trustlist.Op{}
	}
	return json.Marshal(p)
}

// MarshalOps is ops in JSON as a push body carries them: each op's JSON, separated by commas,
// without the brackets. Bodies built from it (MarshalPushOps) encode each op once, and their size
// is known before they are built.
func MarshalOps(ops []trustlist.Op) ([]byte, error) {
	var buf []byte
	for i := range ops {
		b, err := json.Marshal(&ops[i])
		if err != nil {
			return nil, err
		}
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, b...)
	}
	return buf, nil
}

// MarshalPushOps is the body MarshalPush writes for p, with p.Ops replaced by opsJSON (from
// MarshalOps).
func MarshalPushOps(p trustlist.Push, opsJSON []byte) ([]byte, error) {
	p.Ops = nil
	env, err := MarshalPush(p) // …,"ops":[]}
	if err != nil {
		return nil, err
	}
	const tail = "[]}"
	if !bytes.HasSuffix(env, []byte(tail)) {
		return nil, fmt.Errorf("client: unexpected push envelope %q", env)
	}
	body := make([]byte, 0, len(env)+len(opsJSON))
	body = append(body, env[:len(env)-len(tail)+1]...)
	body = append(body, opsJSON...)
	return append(body, ']', '}'), nil
}

// Push sends ops as the registry's next push.
func (c *Client) Push(ctx context.Context, s Signer, ops []trustlist.Op) (*ingest.PushResponse, error) {
	opsJSON, err := MarshalOps(ops)
	if err != nil {
		return nil, err
	}
	res, _, err := c.PushOps(ctx, s, opsJSON, nil)
	return res, err
}

// PushOps sends opsJSON (from MarshalOps) as the registry's next push: seq and prev come from the
// registry's head. before, if set, sees each body just before it is sent (to keep it for a resume)
// and may stop the push. If another push took the sequence number first (PUSH_SEQ_GAP,
// PUSH_PREV_MISMATCH or PUSH_REPLAY_CONFLICT right after reading the head), it rebuilds on the new
// head, a few times. It returns the last body sent.
func (c *Client) PushOps(ctx context.Context, s Signer, opsJSON []byte, before func(body []byte) error) (*ingest.PushResponse, []byte, error) {
	for attempt := 0; ; attempt++ {
		body, err := c.build(ctx, s.Registry, opsJSON)
		if err != nil {
			return nil, nil, err
		}
		if len(body) > trustlist.MaxPushBytes {
			return nil, nil, fmt.Errorf("client: push body of %d bytes is over the limit of %d", len(body), trustlist.MaxPushBytes)
		}
		if before != nil {
			if err := before(body); err != nil {
				return nil, nil, err
			}
		}
		res, err := c.Send(ctx, s, body)
		if err == nil || attempt >= 4 || !seqRace(err) {
			return res, body, err
		}
	}
}

// seqRace reports an error that means another push took the sequence number first.
func seqRace(err error) bool {
	return IsCode(err, string(trustlist.CodeSeqGap)) || IsCode(err, string(trustlist.CodePrevMismatch)) ||
		IsCode(err, string(trustlist.CodeReplayConflict))
}
