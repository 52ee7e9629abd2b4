package crl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/sealhub/sealhub/adapters"
)

// HeaderAPIKey carries the API key the region issued to sealhub.
const HeaderAPIKey = "X-Api-Key"

// errGone: the region has pruned the deltas from the base asked for (HTTP 410).
var errGone = errors.New("crl: the region no longer has deltas from that base")

// fetchFull downloads and decodes the full list; held is the sequence number the caller holds (0:
// none), below which a list is a rollback.
func (s *Source) fetchFull(ctx context.Context, held uint64) (*list, error) {
	body, err := s.get(ctx, s.fullURL, false)
	if err != nil {
		return nil, err
	}
	l, err := s.decode(body, asked{full: true}, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	if l.seq < held {
		return nil, s.malformed("rollback: the full list is at seq %d, older than the %d already had", l.seq, held)
	}
	return l, nil
}

// fetchDelta downloads and decodes the delta from base; errGone when the region pruned base.
func (s *Source) fetchDelta(ctx context.Context, base uint64) (*list, error) {
	body, err := s.get(ctx, s.deltaURL+strconv.FormatUint(base, 10), true)
	if err != nil {
		return nil, err
	}
	return s.decode(body, asked{base: base}, s.cfg.Now())
}

// fetchFrom is the delta from base, or the full list when the region pruned base.
func (s *Source) fetchFrom(ctx context.Context, base uint64) (*list, error) {
	l, err := s.fetchDelta(ctx, base)
	if errors.Is(err, errGone) {
		return s.fetchFull(ctx, base)
	}
	return l, err
}

// get asks the region for a list and returns the body of an HTTP 200 reply; gone says HTTP 410
// is errGone.
func (s *Source) get(ctx context.Context, url string, gone bool) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: crl: region %s: building the request: %w", adapters.ErrUnavailable, s.cfg.Issuer, err)
	}
	req.Header.Set("Accept", "application/json")
	if s.cfg.APIKey != "" {
		req.Header.Set(HeaderAPIKey, s.cfg.APIKey)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: crl: region %s: %w", adapters.ErrUnavailable, s.cfg.Issuer, err)
	}
	defer resp.Body.Close()
	body, err := s.read(ctx, resp.Body)
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, &AuthError{Issuer: s.cfg.Issuer, HTTPStatus: resp.StatusCode, WithKey: s.cfg.APIKey != "", Message: short(string(body))}
	case resp.StatusCode == http.StatusGone && gone:
		return nil, errGone
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%w: crl: region %s: HTTP %d %s", adapters.ErrUnavailable, s.cfg.Issuer, resp.StatusCode, snippet(body))
	case err != nil:
		return nil, err
	}
	return body, nil
}

// read reads the whole reply, at most MaxBody bytes.
func (s *Source) read(ctx context.Context, r io.Reader) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, s.cfg.MaxBody+1))
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%w: crl: region %s: reading the list: %w", adapters.ErrUnavailable, s.cfg.Issuer, ctx.Err())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, s.malformed("truncated reply after %d bytes", len(body))
	case err != nil:
		return nil, fmt.Errorf("%w: crl: region %s: reading the list: %w", adapters.ErrUnavailable, s.cfg.Issuer, err)
	case int64(len(body)) > s.cfg.MaxBody:
		return nil, s.malformed("reply larger than %d bytes", s.cfg.MaxBody)
	}
	return body, nil
}
