package signedjson

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/trustlist"
)

func cst(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// goldenChecked is the checkedAt of the golden payloads that give one.
const goldenChecked = "2026-03-01T08:00:00+08:00"

// payload is a status payload about goldenCode with the golden nonce; fields are JSON members.
func payload(fields string) string {
	return `{"code":"` + goldenCode + `",` + fields + `,"nonce":"` + goldenNonce + `"}`
}

// golden is one golden reply: how it is made (re-signed by TestGoldenFiles -update) and what the
// adapter makes of it.
type golden struct {
	make      func(t testing.TB, key *sm2.PrivateKey) []byte
	status    trustlist.Status
	effective string // RFC 3339, "" unsaid
	checked   time.Time
	err       error
	reason    SignatureReason // for a *SignatureError
}

// signedPayload makes a golden reply of p signed with the golden key.
func signedPayload(p string) func(testing.TB, *sm2.PrivateKey) []byte {
	return func(t testing.TB, key *sm2.PrivateKey) []byte { return signed(t, key, goldenKeyID, p) }
}

var goldens = map[string]golden{
	"valid.json": {
		make:   signedPayload(payload(`"status":"valid","effectiveAt":"2025-03-01T09:30:00+08:00","checkedAt":"` + goldenChecked + `"`)),
		status: trustlist.StatusValid, effective: "2025-03-01T09:30:00+08:00", checked: cst(goldenChecked),
	},
	"suspended.json": {
		make:   signedPayload(payload(`"status":"suspended","effectiveAt":"2026-01-15T14:00:00+08:00","checkedAt":"` + goldenChecked + `"`)),
		status: trustlist.StatusSuspended, effective: "2026-01-15T14:00:00+08:00", checked: cst(goldenChecked),
	},
	"revoked.json": {
		make:   signedPayload(payload(`"status":"revoked","effectiveAt":"2026-02-01T08:00:00+08:00","checkedAt":"` + goldenChecked + `"`)),
		status: trustlist.StatusRevoked, effective: "2026-02-01T08:00:00+08:00", checked: cst(goldenChecked),
	},
	"invalidated.json": {
		make:   signedPayload(payload(`"status":"invalidated","effectiveAt":"2026-02-10T09:45:30Z","checkedAt":"` + goldenChecked + `"`)),
		status: trustlist.StatusInvalidated, effective: "2026-02-10T17:45:30+08:00", checked: cst(goldenChecked),
	},
	// No times: effective unsaid, checked when sealhub got it.
	"valid_no_time.json": {
		make:   signedPayload(payload(`"status":"valid"`)),
		status: trustlist.StatusValid, checked: checkedNow,
	},
	"not_found.json": {
		make: signedPayload(payload(`"error":"NOT_FOUND","checkedAt":"` + goldenChecked + `"`)),
		err:  adapters.ErrNotFound,
	},
	"error.json": {
		make: signedPayload(payload(`"error":"SERVICE_BUSY"`)),
		err:  adapters.ErrUnavailable,
	},
	"unknown_status.json": {
		make: signedPayload(payload(`"status":"99","effectiveAt":"2025-03-01T09:30:00+08:00"`)),
		err:  adapters.ErrMalformed,
	},
	"missing_status.json": {
		make: signedPayload(payload(`"effectiveAt":"2025-03-01T09:30:00+08:00"`)),
		err:  adapters.ErrMalformed,
	},
	"bad_time.json": {
		make: signedPayload(payload(`"status":"valid","effectiveAt":"2025-03-01 09:30:00"`)),
		err:  adapters.ErrMalformed,
	},
	// The signed payload is not JSON: the signature holds, the content is still refused.
	"payload_not_json.json": {
		make: signedPayload(`status=valid; nonce=` + goldenNonce),
		err:  adapters.ErrMalformed,
	},
	// Signed as "valid", then the status changed to "revoked" in transit.
	"tampered.json": {
		make: func(t testing.TB, key *sm2.PrivateKey) []byte {
			p := payload(`"status":"valid","checkedAt":"` + goldenChecked + `"`)
			return envelopeJSON(t, strings.Replace(p, "valid", "revoked", 1), goldenKeyID, signData(t, key, []byte(p)))
		},
		err: adapters.ErrMalformed, reason: SignatureInvalid,
	},
	"unsigned.json": {
		make: func(t testing.TB, _ *sm2.PrivateKey) []byte {
			return []byte(`{"data":` + quote(payload(`"status":"valid"`)) + `}`)
		},
		err: adapters.ErrMalformed, reason: SignatureMissing,
	},
	"unknown_key.json": {
		make: func(t testing.TB, key *sm2.PrivateKey) []byte {
			return signed(t, key, "ffffffffffffffff", payload(`"status":"valid"`))
		},
		err: adapters.ErrMalformed, reason: SignatureUnknownKey,
	},
	// A genuine reply to another request: its nonce is not the one asked with.
	"replayed.json": {
		make: signedPayload(`{"code":"` + goldenCode + `","status":"valid","nonce":"ffeeddccbbaa99887766554433221100"}`),
		err:  adapters.ErrMalformed, reason: SignatureReplayed,
	},
	// A genuine answer about another seal.
	"other_seal.json": {
		make: signedPayload(`{"code":"37010000000002","status":"valid","nonce":"` + goldenNonce + `"}`),
		err:  adapters.ErrMalformed, reason: SignatureOtherSeal,
	},
}

// quote is s as a JSON string.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// TestGolden runs every golden reply through the adapter, served by the simulated region, and
// checks the exact report or the exact kind of refusal.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(goldens) {
		t.Fatalf("%d golden files, %d cases: every file needs a case (re-sign with -update)", len(files), len(goldens))
	}
	fr, src := goldenRegion(t, nil)
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			want, ok := goldens[name]
			if !ok {
				t.Fatalf("no case for %s", name)
			}
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			fr.SetRaw(goldenCode, body)
			got, err := src.Status(context.Background(), goldenCode)
			if want.err != nil {
				if !errors.Is(err, want.err) || got != (adapters.Report{}) {
					t.Fatalf("got %+v, %v; want no report and %v", got, err, want.err)
				}
				var se *SignatureError
				if isSig := errors.As(err, &se); isSig != (want.reason != 0) || (isSig && se.Reason != want.reason) {
					t.Fatalf("error %v; want signature reason %v", err, want.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sum := sm3.Sum(body)
			wantR := adapters.Report{Status: want.status, CheckedAt: want.checked, Evidence: hex.EncodeToString(sum[:])}
			if want.effective != "" {
				wantR.EffectiveAt = cst(want.effective)
			}
			if got != wantR {
				t.Fatalf("got  %+v\nwant %+v", got, wantR)
			}
		})
	}
}
