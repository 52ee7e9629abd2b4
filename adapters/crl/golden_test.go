package crl

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/adapters/adaptertest"
	"github.com/sealhub/sealhub/test/fakeregion"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

var update = flag.Bool("update", false, "re-sign the golden lists in testdata (and make the key if there is none)")

// goldenCode is the seal the golden lists are asked about; goldenNow is the clock they are read at.
const goldenCode = "37010000000001"

var goldenNow = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// The parts the golden lists are made of.
const (
	thisUpdate = "2026-02-28T23:00:00Z"
	nextUpdate = "2026-03-01T23:00:00Z"
	otherEntry = `{"seq":2,"code":"37010000000099","status":"revoked","effectiveAt":"2024-06-01T00:00:00Z","reason":"印章遗失"}`
	sealJSON   = `"seal":{"name":"山东省某某局行政审批专用章","type":1,"ownerName":"山东省某某局","ownerUscc":"11370000MB0000000X","validStart":"2025-03-01T00:00:00+08:00","validEnd":"2030-02-28T23:59:59+08:00"}`
)

// full is a full list at seq 9 with the entries given.
func full(entries ...string) string {
	return `{"issuer":"37","type":"full","seq":9,"thisUpdate":"` + thisUpdate + `","nextUpdate":"` + nextUpdate +
		`","entries":[` + strings.Join(entries, ",") + `]}`
}

// entry is the golden seal's entry at seq 5.
func entry(status, effectiveAt string) string {
	e := `{"seq":5,"code":"` + goldenCode + `","status":"` + status + `"`
	if effectiveAt != "" {
		e += `,"effectiveAt":"` + effectiveAt + `"`
	}
	return e + `,` + sealJSON + `}`
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// goldenCase is one golden list: the list JSON signed with the golden key, then edited.
type goldenCase struct {
	list string
	edit func(d *document) // the signed document, before it is written
	cut  bool              // write only the first half of the document
	want adaptertest.Want
	sig  SignatureReason // the SignatureError expected, if any
}

var goldens = map[string]goldenCase{
	"valid.json":         {list: full(otherEntry, entry("normal", "2025-03-01T09:30:00+08:00")), want: adaptertest.Want{Status: trustlist.StatusValid, Effective: utc("2025-03-01T09:30:00+08:00")}},
	"suspended.json":     {list: full(otherEntry, entry("frozen", "2026-01-15T14:00:00+08:00")), want: adaptertest.Want{Status: trustlist.StatusSuspended, Effective: utc("2026-01-15T14:00:00+08:00")}},
	"revoked.json":       {list: full(otherEntry, entry("revoked", "2026-02-01T08:00:00+08:00")), want: adaptertest.Want{Status: trustlist.StatusRevoked, Effective: utc("2026-02-01T08:00:00+08:00")}},
	"invalidated.json":   {list: full(otherEntry, entry("void", "2026-02-10T09:45:30Z")), want: adaptertest.Want{Status: trustlist.StatusInvalidated, Effective: utc("2026-02-10T09:45:30Z")}},
	"valid_no_time.json": {list: full(otherEntry, entry("normal", "")), want: adaptertest.Want{Status: trustlist.StatusValid}},
	"not_listed.json":    {list: full(otherEntry), want: adaptertest.Want{Err: adapters.ErrNotFound}},
	"empty_list.json":    {list: strings.Replace(full(), `"seq":9`, `"seq":0`, 1), want: adaptertest.Want{Err: adapters.ErrNotFound}},
	"bad_signature.json": {list: full(otherEntry, entry("revoked", "2026-02-01T08:00:00+08:00")), edit: func(d *document) {
		// The region's signed list, altered afterwards: revoked → normal.
		raw, _ := base64.StdEncoding.DecodeString(d.List)
		d.List = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(raw), `"status":"revoked","effectiveAt":"2026`, `"status":"normal","effectiveAt":"2026`, 1)))
	}, want: adaptertest.Want{Err: adapters.ErrMalformed}, sig: SignatureInvalid},
	"unknown_key.json": {list: full(entry("normal", "")), edit: func(d *document) { d.KeyID = "37-crl-2019" },
		want: adaptertest.Want{Err: adapters.ErrMalformed}, sig: SignatureUnknownKey},
	"signature_not_der.json": {list: full(entry("normal", "")), edit: func(d *document) { d.Sign = base64.StdEncoding.EncodeToString([]byte("not a signature")) },
		want: adaptertest.Want{Err: adapters.ErrMalformed}, sig: SignatureEncoding},
	"list_not_base64.json": {list: full(entry("normal", "")), edit: func(d *document) { d.List = "{" + d.List },
		want: adaptertest.Want{Err: adapters.ErrMalformed}},
	"wrong_issuer.json":     {list: strings.Replace(full(entry("normal", "")), `"issuer":"37"`, `"issuer":"11"`, 1), want: adaptertest.Want{Err: adapters.ErrMalformed}},
	"delta_as_full.json":    {list: strings.Replace(full(entry("normal", "")), `"type":"full"`, `"type":"delta","base":3`, 1), want: adaptertest.Want{Err: adapters.ErrMalformed}},
	"no_seq.json":           {list: strings.Replace(full(entry("normal", "")), `"seq":9,`, ``, 1), want: adaptertest.Want{Err: adapters.ErrMalformed}},
	"expired.json":          {list: strings.NewReplacer(thisUpdate, "2026-02-27T00:00:00Z", nextUpdate, "2026-02-28T00:00:00Z").Replace(full(entry("normal", ""))), want: adaptertest.Want{Err: adapters.ErrUnavailable}},
	"from_the_future.json":  {list: strings.NewReplacer(thisUpdate, "2026-03-01T01:00:00Z", nextUpdate, "2026-03-02T01:00:00Z").Replace(full(entry("normal", ""))), want: adaptertest.Want{Err: adapters.ErrMalformed}},
	"next_before_this.json": {list: strings.Replace(full(entry("normal", "")), nextUpdate, "2026-02-28T22:00:00Z", 1), want: adaptertest.Want{Err: adapters.ErrMalformed}},
	"missing_update.json":   {list: strings.Replace(full(entry("normal", "")), `"thisUpdate":"`+thisUpdate+`",`, ``, 1), want: adaptertest.Want{Err: adapters.ErrMalformed}},
	"out_of_order.json":     {list: full(entry("normal", ""), otherEntry), want: adaptertest.Want{Err: adapters.ErrMalformed}},
	"seq_beyond_list.json":  {list: full(otherEntry, strings.Replace(entry("normal", ""), `"seq":5`, `"seq":12`, 1)), want: adaptertest.Want{Err: adapters.ErrMalformed}},
	"listed_twice.json":     {list: full(strings.Replace(entry("revoked", ""), `"seq":5`, `"seq":4`, 1), entry("normal", "")), want: adaptertest.Want{Err: adapters.ErrMalformed}},
	"unknown_status.json":   {list: full(otherEntry, entry("lost", "")), want: adaptertest.Want{Err: adapters.ErrMalformed}},
	"bad_time.json":         {list: full(otherEntry, entry("normal", "2025-03-01 09:30:00")), want: adaptertest.Want{Err: adapters.ErrMalformed}},
	"bad_seal_time.json":    {list: full(strings.Replace(entry("normal", ""), `"validEnd":"2030-02-28T23:59:59+08:00"`, `"validEnd":"2030-02-30"`, 1)), want: adaptertest.Want{Err: adapters.ErrMalformed}},
	"truncated.json":        {list: full(otherEntry, entry("normal", "")), cut: true, want: adaptertest.Want{Err: adapters.ErrMalformed}},
}

// goldenWants are the outcomes the conformance suite checks.
func goldenWants() map[string]adaptertest.Want {
	out := map[string]adaptertest.Want{}
	for name, c := range goldens {
		out[name] = c.want
	}
	return out
}

// writeGoldens signs every golden list with the golden key (deterministically, so an unchanged list
// gives an unchanged file), making the key first if there is none.
func writeGoldens(t *testing.T) {
	if _, err := os.Stat(keyFile); errors.Is(err, os.ErrNotExist) {
		k, err := smcrypto.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		b, err := smcrypto.MarshalPrivateKeyPEM(k)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(keyFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keyFile, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	key := testKey(t)
	for name, c := range goldens {
		sig, err := sm2.SignDeterministic(key, []byte(c.list), sm2.NewSM2SignerOption(true, []byte(DefaultUID)))
		if err != nil {
			t.Fatal(err)
		}
		d := document{List: base64.StdEncoding.EncodeToString([]byte(c.list)), KeyID: testKeyID, Sign: base64.StdEncoding.EncodeToString(sig)}
		if c.edit != nil {
			c.edit(&d)
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if c.cut {
			b = b[:len(b)/2]
		}
		if err := os.WriteFile(filepath.Join("testdata", name), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGolden reads every golden list through the source, served by the simulated region: the exact
// report (evidence = SM3 of the document, checked at the clock's time) or the typed error.
func TestGolden(t *testing.T) {
	if *update {
		writeGoldens(t)
	}
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	for name := range goldens {
		if !slices.Contains(names, name) {
			t.Errorf("golden case %s has no file (go test -run TestGolden -update writes it)", name)
		}
	}
	for _, name := range names {
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			c, ok := goldens[name]
			if !ok {
				t.Fatalf("no case for %s", name)
			}
			body, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			fx := start(t, fakeregion.CRLOptions{}, nil)
			fx.fr.SetRaw(goldenCode, body)
			got, err := fx.src.Status(context.Background(), goldenCode)
			var sigErr *SignatureError
			if errors.As(err, &sigErr) != (c.sig != 0) || (sigErr != nil && sigErr.Reason != c.sig) {
				t.Fatalf("signature error %v, want reason %v", err, c.sig)
			}
			if c.want.Err != nil {
				if !errors.Is(err, c.want.Err) || got != (adapters.Report{}) {
					t.Fatalf("got %+v, %v; want no report and %v", got, err, c.want.Err)
				}
				return
			}
			want := adapters.Report{Status: c.want.Status, EffectiveAt: c.want.Effective, CheckedAt: goldenNow, Evidence: smcrypto.SM3Hex(body)}
			if err != nil || got != want {
				t.Fatalf("got %+v, %v\nwant %+v", got, err, want)
			}
		})
	}
}
