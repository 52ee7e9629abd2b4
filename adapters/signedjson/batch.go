package signedjson

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/sealhub/sealhub/adapters"
)

// BatchPath is the batch route, after the endpoint.
const BatchPath = "/api/v2/seals:batchStatus"

// MaxBatch is the most codes one batch call asks about; StatusBatch splits larger batches.
const MaxBatch = 100

// batchRequest is the body of a batch call.
type batchRequest struct {
	Codes []string `json:"codes"`
	Nonce string   `json:"nonce"`
}

// batchPayload is the signed payload of a batch reply.
type batchPayload struct {
	Nonce   string   `json:"nonce"`
	Results []answer `json:"results"`
}

// StatusBatch asks the region about many codes, MaxBatch per call. Codes the region does not know
// (and empty codes) are absent from the map. Any call failing fails the whole batch.
func (s *Source) StatusBatch(ctx context.Context, codes []string) (map[string]adapters.Report, error) {
	seen := make(map[string]bool, len(codes))
	var asked []string
	for _, c := range codes {
		if c != "" && !seen[c] {
			seen[c] = true
			asked = append(asked, c)
		}
	}
	out := make(map[string]adapters.Report, len(asked))
	for chunk := range slices.Chunk(asked, MaxBatch) {
		if err := s.batch(ctx, chunk, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// batch asks about at most MaxBatch distinct codes and adds the answers to out.
func (s *Source) batch(ctx context.Context, codes []string, out map[string]adapters.Report) error {
	nonce := s.cfg.Nonce()
	reqBody, err := json.Marshal(batchRequest{Codes: codes, Nonce: nonce})
	if err != nil {
		return fmt.Errorf("%w: signed-json: %s: building the batch request: %w", adapters.ErrUnavailable, s.where, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+BatchPath, bytes.NewReader(reqBody))
	if err != nil {
		return fmt.Errorf("%w: signed-json: %s: building the batch request: %w", adapters.ErrUnavailable, s.where, err)
	}
	req.Header.Set("Content-Type", "application/json")
	status, body, err := s.do(ctx, req)
	if err != nil {
		return err
	}
	got, err := s.decodeBatch(status, body, codes, nonce)
	if err != nil {
		return err
	}
	maps.Copy(out, got)
	return nil
}

// decodeBatch turns the reply to a batch call about codes with nonce into the reports of the
// codes the region knows. Every code asked must be answered once, and nothing else.
func (s *Source) decodeBatch(httpStatus int, body []byte, codes []string, nonce string) (map[string]adapters.Report, error) {
	if err := s.refused(httpStatus, body, false); err != nil {
		return nil, err
	}
	data, err := s.open(body)
	if err != nil {
		return nil, err
	}
	var p batchPayload
	if err := decodeOne(data, &p); err != nil {
		return nil, fmt.Errorf("%w: signed-json: %s: signed payload is not a batch answer (%v): %s", adapters.ErrMalformed, s.where, err, snippet(data))
	}
	if p.Nonce != nonce {
		return nil, &SignatureError{Endpoint: s.where, Reason: SignatureReplayed,
			Detail: fmt.Sprintf("nonce %q, asked with %q", clip(p.Nonce, 64), nonce)}
	}
	pending := make(map[string]bool, len(codes))
	for _, c := range codes {
		pending[c] = true
	}
	ev := evidence(body)
	out := make(map[string]adapters.Report, len(p.Results))
	for _, a := range p.Results {
		if !pending[a.Code] {
			return nil, &SignatureError{Endpoint: s.where, Reason: SignatureOtherSeal,
				Detail: fmt.Sprintf("a result about %q, not asked or answered twice", clip(a.Code, 64))}
		}
		delete(pending, a.Code)
		switch {
		case a.Error == errorNotFound:
			continue
		case a.Error != "":
			return nil, fmt.Errorf("%w: signed-json: %s: the region answered error %q about %q", adapters.ErrUnavailable, s.where, clip(a.Error, 64), clip(a.Code, 64))
		}
		r, err := s.report(a, ev)
		if err != nil {
			return nil, err
		}
		out[a.Code] = r
	}
	if len(pending) > 0 {
		return nil, fmt.Errorf("%w: signed-json: %s: the batch answer leaves %d of %d codes unanswered", adapters.ErrMalformed, s.where, len(pending), len(codes))
	}
	return out, nil
}
