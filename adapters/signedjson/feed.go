package signedjson

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sealhub/sealhub/adapters"
)

// ChangesPath is the change-feed route, after the endpoint.
const ChangesPath = "/api/v2/changes"

// changesPayload is the signed payload of a feed page.
type changesPayload struct {
	Nonce   string       `json:"nonce"`
	Through *uint64      `json:"through"`
	More    bool         `json:"more"`
	Full    bool         `json:"full"`
	Changes []wireChange `json:"changes"`
}

type wireChange struct {
	Seq         uint64    `json:"seq"`
	Code        string    `json:"code"`
	Status      string    `json:"status"`
	EffectiveAt string    `json:"effectiveAt"`
	Reason      string    `json:"reason"`
	Seal        *wireSeal `json:"seal"`
}

type wireSeal struct {
	Name       string `json:"name"`
	Type       int    `json:"type"`
	OwnerName  string `json:"ownerName"`
	OwnerUSCC  string `json:"ownerUscc"`
	ValidStart string `json:"validStart"`
	ValidEnd   string `json:"validEnd"`
	SealSM3    string `json:"sealSm3"`
}

// Changes asks the region for one page (at most Config.FeedLimit) of its changes after sequence
// number after.
func (s *Source) Changes(ctx context.Context, after uint64) (adapters.Changes, error) {
	nonce := s.cfg.Nonce()
	q := url.Values{
		"after": {strconv.FormatUint(after, 10)}, "limit": {strconv.Itoa(s.cfg.FeedLimit)}, "nonce": {nonce},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+ChangesPath+"?"+q.Encode(), nil)
	if err != nil {
		return adapters.Changes{}, fmt.Errorf("%w: signed-json: %s: building the feed request: %w", adapters.ErrUnavailable, s.where, err)
	}
	status, body, err := s.do(ctx, req)
	if err != nil {
		return adapters.Changes{}, err
	}
	return s.decodeChanges(status, body, after, nonce)
}

// decodeChanges turns the reply to a feed request after sequence number after with nonce into
// Changes. Deltas have strictly increasing sequence numbers in (after, through]; a full listing
// has one entry per seal, each at most through.
func (s *Source) decodeChanges(httpStatus int, body []byte, after uint64, nonce string) (adapters.Changes, error) {
	if err := s.refused(httpStatus, body, false); err != nil {
		return adapters.Changes{}, err
	}
	data, err := s.open(body)
	if err != nil {
		return adapters.Changes{}, err
	}
	var p changesPayload
	if err := decodeOne(data, &p); err != nil {
		return adapters.Changes{}, fmt.Errorf("%w: signed-json: %s: signed payload is not a feed page (%v): %s", adapters.ErrMalformed, s.where, err, snippet(data))
	}
	if p.Nonce != nonce {
		return adapters.Changes{}, &SignatureError{Endpoint: s.where, Reason: SignatureReplayed,
			Detail: fmt.Sprintf("nonce %q, asked with %q", clip(p.Nonce, 64), nonce)}
	}
	bad := func(format string, a ...any) (adapters.Changes, error) {
		return adapters.Changes{}, fmt.Errorf("%w: signed-json: %s: feed page after %d: %s", adapters.ErrMalformed, s.where, after, fmt.Sprintf(format, a...))
	}
	switch {
	case p.Through == nil:
		return bad("no through")
	case !p.Full && *p.Through < after:
		return bad("through %d goes back", *p.Through)
	case !p.Full && p.More && *p.Through == after:
		return bad("more changes announced, yet through does not move")
	}
	out := adapters.Changes{Through: *p.Through, Full: p.Full, More: p.More, Evidence: evidence(body)}
	out.Changes = make([]adapters.Change, 0, len(p.Changes))
	prev, codes := after, make(map[string]bool, len(p.Changes))
	for i, wc := range p.Changes {
		switch {
		case wc.Seq > *p.Through:
			return bad("change %d has seq %d past through %d", i, wc.Seq, *p.Through)
		case p.Full && (wc.Seq == 0 || codes[wc.Code]):
			return bad("listing entry %d: seq %d, code %q listed before", i, wc.Seq, clip(wc.Code, 64))
		case !p.Full && wc.Seq <= prev:
			return bad("change %d has seq %d, not after %d", i, wc.Seq, prev)
		}
		prev, codes[wc.Code] = wc.Seq, true
		c, err := s.change(wc)
		if err != nil {
			return bad("change %d (seq %d): %v", i, wc.Seq, err)
		}
		out.Changes = append(out.Changes, c)
	}
	return out, nil
}

// change reads one (verified) change.
func (s *Source) change(wc wireChange) (adapters.Change, error) {
	if wc.Code == "" {
		return adapters.Change{}, errors.New("no code")
	}
	st, ok := s.cfg.Statuses[wc.Status]
	if !ok {
		return adapters.Change{}, fmt.Errorf("unknown status %q", clip(wc.Status, 64))
	}
	c := adapters.Change{Seq: wc.Seq, Code: wc.Code, Status: st, Reason: wc.Reason}
	var err error
	if c.EffectiveAt, err = optionalTime(wc.EffectiveAt); err != nil {
		return adapters.Change{}, fmt.Errorf("effectiveAt: %w", err)
	}
	if wc.Seal == nil {
		return c, nil
	}
	info := adapters.SealInfo{Name: wc.Seal.Name, Type: wc.Seal.Type, OwnerName: wc.Seal.OwnerName,
		OwnerUSCC: wc.Seal.OwnerUSCC, SealSM3: wc.Seal.SealSM3}
	if info.Name == "" {
		return adapters.Change{}, errors.New("the seal has no name")
	}
	if info.SealSM3 != "" {
		if b, err := hex.DecodeString(info.SealSM3); err != nil || len(b) != 32 {
			return adapters.Change{}, fmt.Errorf("sealSm3 %q is not an SM3 in hex", clip(info.SealSM3, 70))
		}
	}
	if info.ValidStart, err = requiredTime("validStart", wc.Seal.ValidStart); err != nil {
		return adapters.Change{}, err
	}
	if info.ValidEnd, err = requiredTime("validEnd", wc.Seal.ValidEnd); err != nil {
		return adapters.Change{}, err
	}
	if info.ValidEnd.Before(info.ValidStart) {
		return adapters.Change{}, errors.New("the seal's validity ends before it starts")
	}
	c.Seal = &info
	return c, nil
}

// requiredTime reads the RFC 3339 time of a field that must be there.
func requiredTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, fmt.Errorf("the seal has no %s", field)
	}
	t, err := optionalTime(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", field, err)
	}
	return t, nil
}
