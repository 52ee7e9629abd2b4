package signedjson

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/adapters/adaptertest"
	"github.com/sealhub/sealhub/test/fakeregion"
	"github.com/sealhub/sealhub/trustlist"
)

// 250 distinct codes (with repeats and an empty one) take three calls of at most 100; the codes
// the region does not know are absent.
func TestBatch(t *testing.T) {
	noLeaks(t)
	fr, src := region(t, fakeregion.SignedJSONOptions{}, nil)
	statuses := []trustlist.Status{trustlist.StatusValid, trustlist.StatusSuspended, trustlist.StatusRevoked, trustlist.StatusInvalidated}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var codes []string
	want := map[string]trustlist.Status{}
	for i := range 250 {
		code := fmt.Sprintf("3701%010d", i)
		codes = append(codes, code)
		if i%5 == 4 {
			continue // unknown to the region
		}
		want[code] = statuses[i%4]
		fr.Set(code, statuses[i%4], at.Add(time.Duration(i)*time.Minute))
	}
	codes = append(codes, codes[:30]...)
	codes = append(codes, "")
	before := fr.Calls()
	got, err := src.StatusBatch(context.Background(), codes)
	if err != nil {
		t.Fatal(err)
	}
	if n := fr.Calls() - before; n != 3 {
		t.Fatalf("%d calls, want 3", n)
	}
	if len(got) != len(want) {
		t.Fatalf("%d reports, want %d", len(got), len(want))
	}
	for i, code := range codes[:250] {
		r, ok := got[code]
		if _, known := want[code]; !known {
			if ok {
				t.Fatalf("%s is unknown to the region, yet reported %+v", code, r)
			}
			continue
		}
		if !ok || r.Status != want[code] || !r.EffectiveAt.Equal(at.Add(time.Duration(i)*time.Minute)) || len(r.Evidence) != 64 || r.CheckedAt.IsZero() {
			t.Fatalf("%s: got %+v (present %v), want %s", code, r, ok, want[code])
		}
	}
	if got, err := src.StatusBatch(context.Background(), nil); err != nil || len(got) != 0 || fr.Calls() != before+3 {
		t.Fatalf("empty batch: %v, %v, %d calls", got, err, fr.Calls()-before)
	}
}

func TestBatchFailures(t *testing.T) {
	for f, want := range map[adaptertest.Fault]error{
		adaptertest.FaultAuth:        adapters.ErrUnavailable,
		adaptertest.FaultServerError: adapters.ErrUnavailable,
		adaptertest.FaultMalformed:   adapters.ErrMalformed,
		adaptertest.FaultTruncated:   adapters.ErrMalformed,
	} {
		t.Run(f.String(), func(t *testing.T) {
			noLeaks(t)
			fr, src := region(t, fakeregion.SignedJSONOptions{}, nil)
			fr.Set("A", trustlist.StatusValid, time.Time{})
			fr.Force(f)
			got, err := src.StatusBatch(context.Background(), []string{"A", "B"})
			if !errors.Is(err, want) || got != nil {
				t.Fatalf("got %v, %v; want %v", got, err, want)
			}
			var auth *AuthError
			if errors.As(err, &auth) != (f == adaptertest.FaultAuth) {
				t.Fatalf("AuthError mismatch: %v", err)
			}
		})
	}
}

// Every code asked is answered exactly once, nothing else, under the request's nonce.
func TestDecodeBatch(t *testing.T) {
	src := testSource(t, nil)
	key := goldenKey(t)
	page := func(nonce, results string) []byte {
		return signed(t, key, goldenKeyID, `{"nonce":"`+nonce+`","results":[`+results+`]}`)
	}
	const (
		a = `{"code":"A","status":"revoked","effectiveAt":"2026-02-01T08:00:00+08:00","checkedAt":"2026-03-01T08:00:00+08:00"}`
		b = `{"code":"B","error":"NOT_FOUND"}`
		c = `{"code":"C","status":"valid"}`
		n = goldenNonce
	)
	cases := map[string]struct {
		status int
		body   []byte
		want   error
		reason SignatureReason
	}{
		"not asked":          {200, page(n, a+","+b+","+c), adapters.ErrMalformed, SignatureOtherSeal},
		"answered twice":     {200, page(n, a+","+a+","+b), adapters.ErrMalformed, SignatureOtherSeal},
		"one unanswered":     {200, page(n, a), adapters.ErrMalformed, 0},
		"replayed":           {200, page("00", a+","+b), adapters.ErrMalformed, SignatureReplayed},
		"unsigned":           {200, envelopeJSON(t, `{"nonce":"`+n+`","results":[]}`, goldenKeyID, ""), adapters.ErrMalformed, SignatureMissing},
		"a code's error":     {200, page(n, a+`,{"code":"B","error":"BUSY"}`), adapters.ErrUnavailable, 0},
		"unknown status":     {200, page(n, a+`,{"code":"B","status":"x"}`), adapters.ErrMalformed, 0},
		"no batch route":     {404, page(n, a+","+b), adapters.ErrUnavailable, 0},
		"results not a list": {200, signed(t, key, goldenKeyID, `{"nonce":"`+n+`","results":{}}`), adapters.ErrMalformed, 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := src.decodeBatch(tc.status, tc.body, []string{"A", "B"}, n)
			if !errors.Is(err, tc.want) || got != nil {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
			var se *SignatureError
			if isSig := errors.As(err, &se); isSig != (tc.reason != 0) || (isSig && se.Reason != tc.reason) {
				t.Fatalf("%v; want signature reason %v", err, tc.reason)
			}
		})
	}
	got, err := src.decodeBatch(http.StatusOK, page(n, b+","+a), []string{"A", "B"}, n)
	want := adapters.Report{Status: trustlist.StatusRevoked, EffectiveAt: cst("2026-02-01T08:00:00+08:00"), CheckedAt: cst(goldenChecked)}
	if err != nil || len(got) != 1 || got["A"].Evidence == "" {
		t.Fatalf("got %v, %v", got, err)
	}
	if r := got["A"]; r.Status != want.Status || !r.EffectiveAt.Equal(want.EffectiveAt) || !r.CheckedAt.Equal(want.CheckedAt) {
		t.Fatalf("got %+v, want %+v", r, want)
	}
}
