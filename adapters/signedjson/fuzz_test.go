package signedjson

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sealhub/sealhub/adapters"
)

// isTyped: err wraps one of the sentinels a Source may return.
func isTyped(err error) bool {
	return errors.Is(err, adapters.ErrUnavailable) || errors.Is(err, adapters.ErrMalformed) || errors.Is(err, adapters.ErrNotFound)
}

// FuzzDecode: no status reply makes the adapter panic, and a reply is either a report of a mapped
// status or an error wrapping one of the sentinels. With signed set, body is a payload the golden
// key signs, so the fuzzer reaches the payload decoder past the signature.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(200, b, false)
		}
	}
	f.Add(200, []byte(payload(`"status":"valid","effectiveAt":"2025-03-01T09:30:00+08:00"`)), true)
	f.Add(404, []byte(payload(`"error":"NOT_FOUND"`)), true)
	f.Add(500, []byte("<html>"), false)
	src := testSource(f, nil)
	key := goldenKey(f)
	f.Fuzz(func(t *testing.T, status int, body []byte, sign bool) {
		if sign && len(body) > 0 { // gmsm signs no empty message
			body = signed(t, key, goldenKeyID, string(body))
		}
		r, err := src.decodeStatus(status, body, goldenCode, goldenNonce)
		if err != nil {
			if r != (adapters.Report{}) {
				t.Fatalf("report %+v with error %v", r, err)
			}
			if !isTyped(err) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !regionStatuses[r.Status] || len(r.Evidence) != 64 || r.CheckedAt.IsZero() {
			t.Fatalf("bad report %+v", r)
		}
	})
}

// FuzzDecodeChanges: no feed page makes the adapter panic, and a page it accepts keeps the Feed
// contract (increasing sequence numbers in (after, through], mapped statuses).
func FuzzDecodeChanges(f *testing.F) {
	f.Add(uint64(10), []byte(`{"nonce":"`+goldenNonce+`","through":20,"more":true,"changes":[{"seq":11,"code":"A","status":"valid",`+
		`"effectiveAt":"2026-01-15T14:00:00+08:00","seal":{"name":"x","type":1,"validStart":"2025-01-01T00:00:00Z","validEnd":"2026-01-01T00:00:00Z"}},`+
		`{"seq":12,"code":"B","status":"revoked","reason":"r"}]}`), true)
	f.Add(uint64(0), []byte(`{"nonce":"`+goldenNonce+`","through":3,"full":true,"changes":[{"seq":3,"code":"A","status":"valid"}]}`), true)
	f.Add(uint64(0), []byte(`{"data":"{}","keyId":"`+goldenKeyID+`","sign":"MEUCIQ=="}`), false)
	src := testSource(f, nil)
	key := goldenKey(f)
	f.Fuzz(func(t *testing.T, after uint64, body []byte, sign bool) {
		if sign && len(body) > 0 { // gmsm signs no empty message
			body = signed(t, key, goldenKeyID, string(body))
		}
		c, err := src.decodeChanges(200, body, after, goldenNonce)
		if err != nil {
			if c.Changes != nil || c.Through != 0 || !isTyped(err) {
				t.Fatalf("changes %+v with error %v", c, err)
			}
			return
		}
		if len(c.Evidence) != 64 || (!c.Full && c.Through < after) {
			t.Fatalf("bad page %+v after %d", c, after)
		}
		prev := after
		for _, ch := range c.Changes {
			if ch.Seq > c.Through || (!c.Full && ch.Seq <= prev) || !regionStatuses[ch.Status] || ch.Code == "" {
				t.Fatalf("bad change %+v in %+v after %d", ch, c, after)
			}
			prev = ch.Seq
		}
	})
}
