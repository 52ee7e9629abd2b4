package rest

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/test/fakeregion"
	"github.com/sealhub/sealhub/trustlist"
)

func cst(s string) time.Time {
	t, err := time.ParseInLocation(DefaultTimeLayout, s, chinaTime)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// TestGolden runs every reply payload in testdata through the adapter, served by the simulated
// region after it checked the request's signature.
func TestGolden(t *testing.T) {
	cases := map[string]struct {
		status    trustlist.Status
		effective time.Time
		err       error
	}{
		"valid.json":          {status: trustlist.StatusValid, effective: cst("2025-03-01 09:30:00")},
		"suspended.json":      {status: trustlist.StatusSuspended, effective: cst("2026-01-15 14:00:00")},
		"revoked.json":        {status: trustlist.StatusRevoked, effective: cst("2026-02-01 08:00:00")},
		"invalidated.json":    {status: trustlist.StatusInvalidated, effective: cst("2026-02-10 17:45:30")},
		"valid_no_time.json":  {status: trustlist.StatusValid},
		"not_found.json":      {err: adapters.ErrNotFound},
		"error.json":          {err: adapters.ErrUnavailable},
		"auth_refused.json":   {err: adapters.ErrUnavailable},
		"unknown_status.json": {err: adapters.ErrMalformed},
		"missing_status.json": {err: adapters.ErrMalformed},
		"bad_time.json":       {err: adapters.ErrMalformed},
	}
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(cases) {
		t.Fatalf("%d golden files, %d cases: every file needs a case", len(files), len(cases))
	}
	checked := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	fr, src := region(t, fakeregion.RESTOptions{Now: func() time.Time { return checked }},
		func(c *Config) { c.Now = func() time.Time { return checked } })
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			want, ok := cases[name]
			if !ok {
				t.Fatalf("no case for %s", name)
			}
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			fr.SetRaw(name, body)
			got, err := src.Status(context.Background(), name)
			if want.err != nil {
				if !errors.Is(err, want.err) || got != (adapters.Report{}) {
					t.Fatalf("got %+v, %v; want no report and %v", got, err, want.err)
				}
				var auth *AuthError
				if isAuth := errors.As(err, &auth); isAuth != (name == "auth_refused.json") {
					t.Fatalf("AuthError %v for %s: %v", isAuth, name, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sum := sm3.Sum(body)
			wantR := adapters.Report{Status: want.status, EffectiveAt: want.effective, CheckedAt: checked, Evidence: hex.EncodeToString(sum[:])}
			if got != wantR {
				t.Fatalf("got %+v\nwant %+v", got, wantR)
			}
		})
	}
}

// TestSetSeals checks the region's own replies, built from Set, map back to the status set.
func TestSetSeals(t *testing.T) {
	noLeaks(t)
	fr, src := region(t, fakeregion.RESTOptions{}, nil)
	at := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	for _, st := range []trustlist.Status{trustlist.StatusValid, trustlist.StatusSuspended, trustlist.StatusRevoked, trustlist.StatusInvalidated} {
		code := "37/" + string(st) + " 印" // needs escaping in the query
		fr.Set(code, st, at)
		r, err := src.Status(context.Background(), code)
		if err != nil || r.Status != st || !r.EffectiveAt.Equal(at) {
			t.Fatalf("%s: got %+v, %v", st, r, err)
		}
	}
	if _, err := src.Status(context.Background(), "nobody"); !errors.Is(err, adapters.ErrNotFound) {
		t.Fatalf("unknown seal: %v", err)
	}
}
