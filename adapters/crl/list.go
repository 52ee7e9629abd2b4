package crl

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// The list types.
const (
	typeFull  = "full"
	typeDelta = "delta"
)

// document is the signed envelope of a list, as the region sends it.
type document struct {
	List  string `json:"list"`  // base64 of the list JSON
	KeyID string `json:"keyId"` // which of the region's keys signed
	Sign  string `json:"sign"`  // base64 of the SM2 signature over the list bytes
}

// wireList is the list JSON inside a document.
type wireList struct {
	Issuer     string      `json:"issuer"`
	Type       string      `json:"type"`
	Seq        *uint64     `json:"seq"`
	Base       *uint64     `json:"base"`
	ThisUpdate string      `json:"thisUpdate"`
	NextUpdate string      `json:"nextUpdate"`
	Entries    []wireEntry `json:"entries"`
}

type wireEntry struct {
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
}

// list is a verified list document, in sealhub's model.
type list struct {
	full       bool
	seq, base  uint64 // base is 0 for a full list
	thisUpdate time.Time
	nextUpdate time.Time
	entries    []adapters.Change // in increasing Seq
	evidence   string            // SM3 (hex) of the document as received
}

// asked is which list a request asked for.
type asked struct {
	full bool
	base uint64 // a delta's base: the sequence number held
}

// decode verifies a list document as received and reads it. It checks everything that does not
// depend on the list held: the signature, the issuer, the type, the base of a delta, the entries
// and the times. The caller refuses a rollback.
func (s *Source) decode(body []byte, a asked, now time.Time) (*list, error) {
	var doc document
	if err := strictJSON(body, &doc); err != nil {
		return nil, s.malformed("the reply is not a list document (%v): %s", err, snippet(body))
	}
	raw, err := s.verify(doc)
	if err != nil {
		return nil, err
	}
	var wl wireList
	if err := strictJSON(raw, &wl); err != nil {
		return nil, s.malformed("the signed list is not JSON (%v): %s", err, snippet(raw))
	}
	l, err := s.header(wl, a, now)
	if err != nil {
		return nil, err
	}
	if l.entries, err = s.entries(wl.Entries, l); err != nil {
		return nil, err
	}
	l.evidence = smcrypto.SM3Hex(body)
	return l, nil
}

// verify checks the document's signature and returns the signed list bytes.
func (s *Source) verify(doc document) ([]byte, error) {
	if doc.List == "" || doc.Sign == "" {
		return nil, s.malformed("the document lacks its list or its signature")
	}
	pub, ok := s.keys[doc.KeyID]
	if !ok {
		return nil, &SignatureError{Issuer: s.cfg.Issuer, KeyID: doc.KeyID, Reason: SignatureUnknownKey}
	}
	raw, err := base64.StdEncoding.DecodeString(doc.List)
	if err != nil {
		return nil, s.malformed("the list is not base64: %v", err)
	}
	sig, err := base64.StdEncoding.DecodeString(doc.Sign)
	if err != nil {
		return nil, &SignatureError{Issuer: s.cfg.Issuer, KeyID: doc.KeyID, Reason: SignatureEncoding}
	}
	der, _, err := smcrypto.NormalizeSignature(sig)
	if err != nil {
		return nil, &SignatureError{Issuer: s.cfg.Issuer, KeyID: doc.KeyID, Reason: SignatureEncoding}
	}
	if !sm2.VerifyASN1WithSM2(pub, s.uid, raw, der) {
		return nil, &SignatureError{Issuer: s.cfg.Issuer, KeyID: doc.KeyID, Reason: SignatureInvalid}
	}
	return raw, nil
}

// header checks the list's issuer, type, sequence numbers and times.
func (s *Source) header(wl wireList, a asked, now time.Time) (*list, error) {
	if wl.Issuer != s.cfg.Issuer {
		return nil, s.malformed("the list is issued by %q, not by this region", short(wl.Issuer))
	}
	want := typeDelta
	if a.full {
		want = typeFull
	}
	if wl.Type != want {
		return nil, s.malformed("asked for the %s list, got type %q", want, short(wl.Type))
	}
	if wl.Seq == nil {
		return nil, s.malformed("the list has no sequence number")
	}
	l := &list{full: a.full, seq: *wl.Seq}
	switch {
	case a.full && wl.Base != nil:
		return nil, s.malformed("a full list with a base")
	case !a.full && wl.Base == nil:
		return nil, s.malformed("a delta without its base")
	case !a.full && *wl.Base != a.base:
		return nil, s.malformed("asked for the delta from %d, got one from %d", a.base, *wl.Base)
	case !a.full && l.seq < a.base:
		return nil, s.malformed("a delta from %d to %d goes backwards", a.base, l.seq)
	}
	l.base = a.base
	var err error
	if l.thisUpdate, err = rfc3339("thisUpdate", wl.ThisUpdate, true); err != nil {
		return nil, s.malformed("%v", err)
	}
	if l.nextUpdate, err = rfc3339("nextUpdate", wl.NextUpdate, true); err != nil {
		return nil, s.malformed("%v", err)
	}
	if l.thisUpdate.After(now.Add(s.cfg.Skew)) {
		return nil, s.malformed("thisUpdate %s is ahead of this node's clock (%s) by more than %s",
			wl.ThisUpdate, now.UTC().Format(time.RFC3339), s.cfg.Skew)
	}
	if !l.nextUpdate.After(l.thisUpdate) {
		return nil, s.malformed("nextUpdate %s is not after thisUpdate %s", wl.NextUpdate, wl.ThisUpdate)
	}
	return l, nil
}

// entries maps the list's entries: sequence numbers within (base, seq] and increasing, codes
// present (and unique in a full list), statuses mapped, times readable.
func (s *Source) entries(in []wireEntry, l *list) ([]adapters.Change, error) {
	out := make([]adapters.Change, 0, len(in))
	var seen map[string]bool
	if l.full {
		seen = make(map[string]bool, len(in))
	}
	prev := l.base
	for i, e := range in {
		at := fmt.Sprintf("entry %d (code %q)", i, short(e.Code))
		switch {
		case e.Seq <= prev || e.Seq > l.seq:
			return nil, s.malformed("%s: seq %d is not after %d and within (%d, %d]", at, e.Seq, prev, l.base, l.seq)
		case e.Code == "":
			return nil, s.malformed("%s: no code", at)
		case l.full && seen[e.Code]:
			return nil, s.malformed("%s: listed twice in a full list", at)
		}
		prev = e.Seq
		if seen != nil {
			seen[e.Code] = true
		}
		st, ok := s.cfg.Statuses[e.Status]
		if !ok {
			return nil, s.malformed("%s: unknown status code %q", at, short(e.Status))
		}
		c := adapters.Change{Seq: e.Seq, Code: e.Code, Status: st, Reason: e.Reason}
		var err error
		if c.EffectiveAt, err = rfc3339("effectiveAt", e.EffectiveAt, false); err != nil {
			return nil, s.malformed("%s: %v", at, err)
		}
		if e.Seal != nil {
			if c.Seal, err = sealInfo(e.Seal); err != nil {
				return nil, s.malformed("%s: seal: %v", at, err)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func sealInfo(w *wireSeal) (*adapters.SealInfo, error) {
	info := &adapters.SealInfo{Name: w.Name, Type: w.Type, OwnerName: w.OwnerName, OwnerUSCC: w.OwnerUSCC}
	var err error
	if info.ValidStart, err = rfc3339("validStart", w.ValidStart, false); err != nil {
		return nil, err
	}
	if info.ValidEnd, err = rfc3339("validEnd", w.ValidEnd, false); err != nil {
		return nil, err
	}
	return info, nil
}

// rfc3339 reads an RFC 3339 time, in UTC; "" is the zero time unless required.
func rfc3339(field, v string, required bool) (time.Time, error) {
	if v == "" {
		if required {
			return time.Time{}, fmt.Errorf("%s is missing", field)
		}
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not an RFC 3339 time", field, short(v))
	}
	return t.UTC(), nil
}

// strictJSON decodes exactly one JSON value into v.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}

func (s *Source) malformed(format string, a ...any) error {
	return fmt.Errorf("%w: crl: region %s: %s", adapters.ErrMalformed, s.cfg.Issuer, fmt.Sprintf(format, a...))
}

// snippet is the start of a body, for error messages.
func snippet(body []byte) string {
	const n = 120
	if len(body) > n {
		return fmt.Sprintf("%q…", body[:n])
	}
	return fmt.Sprintf("%q", body)
}

// short is s cut for an error message.
func short(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
