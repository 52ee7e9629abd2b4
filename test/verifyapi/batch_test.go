package verifyapi

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/sealhub/sealhub/resolver/httpapi"
	"github.com/sealhub/sealhub/trustlist"
)

// TestBatchGet asks for 1,000 codes at once — filed ones in every status, missing ones, duplicates —
// and gets one answer per code, in request order, all from one trust-list state.
func TestBatchGet(t *testing.T) {
	t.Parallel()
	f := newHub(t, nil)
	reg := f.createRegistry("37", trustlist.KindProvince, "37")

	const filedN = 300
	start, end := utc(2024, 1, 1, 0), utc(2029, 1, 1, 0)
	suspendAt, revokeAt := utc(2025, 6, 1, 0), utc(2025, 9, 1, 0)
	var files, changes []trustlist.Op
	statusNow := map[string]trustlist.Status{} // filed codes
	for i := range filedN {
		code := code14("37", i+1)
		files = append(files, trustlist.Op{Op: trustlist.OpSealFile, Meta: &trustlist.SealMeta{
			Code: code, Name: fmt.Sprintf("测试单位%d公章", i), Type: 1, ValidStart: start, ValidEnd: end}})
		statusNow[code] = trustlist.StatusValid
		switch {
		case i%11 == 0:
			changes = append(changes, statusOp(code, "revoke", revokeAt, "注销"))
			statusNow[code] = trustlist.StatusRevoked
		case i%7 == 0:
			changes = append(changes, statusOp(code, "suspend", suspendAt, "停用"))
			statusNow[code] = trustlist.StatusSuspended
		}
	}
	f.push(reg.signer(), files...)
	f.push(reg.signer(), changes...)

	// 1,000 codes: filed ones, missing ones (numeric and not), and repeats of both.
	rng := rand.New(rand.NewPCG(1, 2))
	codes := make([]string, 0, httpapi.DefaultMaxBatch)
	for len(codes) < httpapi.DefaultMaxBatch {
		switch k := rng.IntN(10); {
		case k < 5:
			codes = append(codes, code14("37", 1+rng.IntN(filedN)))
		case k < 7:
			codes = append(codes, code14("37", 5000+rng.IntN(100)))
		case k < 8:
			codes = append(codes, "MISSING-"+strconv.Itoa(rng.IntN(50)))
		default:
			if len(codes) > 0 {
				codes = append(codes, codes[rng.IntN(len(codes))])
			}
		}
	}

	check := func(t *testing.T, s served, at time.Time, statusAt func(code string) trustlist.Status) {
		t.Helper()
		if s.status != http.StatusOK {
			t.Fatalf("%d %s", s.status, s.body)
		}
		var out httpapi.BatchResponse
		s.decode(t, &out)
		if idx := f.h.State().Index(); out.Index != idx || s.hdr.Get("X-Sealhub-Index") != strconv.FormatUint(idx, 10) {
			t.Errorf("index %d (header %s), state at %d", out.Index, s.hdr.Get("X-Sealhub-Index"), idx)
		}
		if !at.IsZero() && !out.At.Equal(at) {
			t.Errorf("at %v, want %v", out.At, at)
		}
		if len(out.Results) != len(codes) {
			t.Fatalf("%d results for %d codes", len(out.Results), len(codes))
		}
		asOfBug, badAsOf := 0, uint64(0)
		for i, r := range out.Results {
			want, filed := statusNow[codes[i]]
			switch {
			case r.Code != codes[i]:
				t.Fatalf("result %d is for %q, asked %q: not in request order", i, r.Code, codes[i])
			case r.Found != filed:
				t.Errorf("%d %s: found=%v, want %v", i, r.Code, r.Found, filed)
			case !filed && (r.Seal != nil || r.Status != nil):
				t.Errorf("%d %s: missing, yet seal %v status %v", i, r.Code, r.Seal, r.Status)
			case filed && (r.Seal == nil || r.Seal.Code != r.Code || r.Status == nil):
				t.Errorf("%d %s: seal %+v status %+v", i, r.Code, r.Seal, r.Status)
			case filed:
				if want = statusAt(r.Code); r.Status.Status != want || !r.Status.At.Equal(out.At) {
					t.Errorf("%d %s: status %s at %v, want %s at %v", i, r.Code, r.Status.Status, r.Status.At, want, out.At)
				}
				if at.IsZero() && r.Status.AsOf != out.Index {
					asOfBug, badAsOf = asOfBug+1, r.Status.AsOf
				}
			}
		}
		if asOfBug > 0 {
			t.Errorf("BUG: %d statuses say as_of_index %d, not the index %d the answer reflects (StatusAt instead of StatusAsOf)",
				asOfBug, badAsOf, out.Index)
		}
	}
	batch := func(path string, body any) served {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		return f.do(http.MethodPost, path, "application/json", b, nil)
	}

	t.Run("now", func(t *testing.T) {
		check(t, batch("/v1/seals:batchGet", map[string]any{"codes": codes}), time.Time{}, func(c string) trustlist.Status { return statusNow[c] })
	})
	before := utc(2025, 1, 1, 0)
	t.Run("at in the body", func(t *testing.T) {
		check(t, batch("/v1/seals:batchGet", map[string]any{"codes": codes, "at": before}), before, func(string) trustlist.Status { return trustlist.StatusValid })
	})
	between := utc(2025, 7, 1, 0)
	t.Run("at in the query, linearizable", func(t *testing.T) {
		check(t, batch("/v1/seals:batchGet"+query("at", rfc(between), "consistency", "linearizable"), map[string]any{"codes": codes}), between,
			func(c string) trustlist.Status {
				if statusNow[c] == trustlist.StatusSuspended {
					return trustlist.StatusSuspended
				}
				return trustlist.StatusValid
			})
	})
	t.Run("at before the validity", func(t *testing.T) {
		check(t, batch("/v1/seals:batchGet", map[string]any{"codes": codes, "at": utc(2023, 1, 1, 0)}), utc(2023, 1, 1, 0),
			func(string) trustlist.Status { return trustlist.StatusNotYetValid })
	})

	for name, tc := range map[string]struct {
		path string
		body any
		code string
	}{
		"1,001 codes":                  {"/v1/seals:batchGet", map[string]any{"codes": append(append([]string(nil), codes...), code14("37", 1))}, "CODES_INVALID"},
		"no codes":                     {"/v1/seals:batchGet", map[string]any{"codes": []string{}}, "CODES_INVALID"},
		"an empty code":                {"/v1/seals:batchGet", map[string]any{"codes": []string{code14("37", 1), ""}}, "CODES_INVALID"},
		"a code of 65 characters":      {"/v1/seals:batchGet", map[string]any{"codes": []string{fmt.Sprintf("%065d", 1)}}, "CODES_INVALID"},
		"at twice, different":          {"/v1/seals:batchGet" + query("at", rfc(between)), map[string]any{"codes": codes[:3], "at": before}, "TIME_INVALID"},
		"codes of the wrong JSON type": {"/v1/seals:batchGet", map[string]any{"codes": "37030000000001"}, "BODY_INVALID"},
	} {
		t.Run(name, func(t *testing.T) {
			before := f.h.State().Index()
			s := batch(tc.path, tc.body)
			if s.status != http.StatusBadRequest {
				t.Fatalf("%d %s", s.status, s.body)
			}
			if e := s.errorBody(t); e.Code != tc.code {
				t.Errorf("code %s (%s), want %s", e.Code, e.Message, tc.code)
			}
			if after := f.h.State().Index(); after != before {
				t.Errorf("the index moved from %d to %d", before, after)
			}
		})
	}
}
