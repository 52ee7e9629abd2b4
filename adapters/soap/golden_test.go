package soap

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

// golden is the expected outcome of one reply in testdata.
type golden struct {
	status    trustlist.Status
	effective time.Time
	err       error
	auth      bool // the error is an *AuthError
}

// goldens are the outcomes of every reply in testdata, by file name.
var goldens = map[string]golden{
	"valid.xml":            {status: trustlist.StatusValid, effective: cst("2025-03-01 09:30:00")},
	"suspended.xml":        {status: trustlist.StatusSuspended, effective: cst("2026-01-15 14:00:00")},
	"revoked.xml":          {status: trustlist.StatusRevoked, effective: cst("2026-02-01 08:00:00")},
	"invalidated.xml":      {status: trustlist.StatusInvalidated, effective: cst("2026-02-10 17:45:30")},
	"valid_no_time.xml":    {status: trustlist.StatusValid},
	"valid_nil_time.xml":   {status: trustlist.StatusValid},
	"gbk_encoded.xml":      {status: trustlist.StatusSuspended, effective: cst("2025-06-30 18:00:00")},
	"gb18030_encoded.xml":  {status: trustlist.StatusRevoked, effective: cst("2024-12-31 23:59:59")},
	"not_found.xml":        {err: adapters.ErrNotFound},
	"busy.xml":             {err: adapters.ErrUnavailable},
	"soap_fault.xml":       {err: adapters.ErrUnavailable},
	"auth_fault.xml":       {err: adapters.ErrUnavailable, auth: true},
	"auth_code.xml":        {err: adapters.ErrUnavailable, auth: true},
	"unknown_status.xml":   {err: adapters.ErrMalformed},
	"missing_status.xml":   {err: adapters.ErrMalformed},
	"duplicate_status.xml": {err: adapters.ErrMalformed},
	"bad_time.xml":         {err: adapters.ErrMalformed},
	"wrong_namespace.xml":  {err: adapters.ErrMalformed},
	"soap12.xml":           {err: adapters.ErrMalformed},
	"doctype.xml":          {err: adapters.ErrMalformed},
	"html_page.xml":        {err: adapters.ErrMalformed},
	"trailing_garbage.xml": {err: adapters.ErrMalformed},
}

// TestGolden runs every reply in testdata through the adapter, served by the simulated region
// after it checked the request's UsernameToken, and compares the whole report: the Evidence is the
// SM3 of the reply as received (before any transcoding from GBK).
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.xml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(goldens) {
		t.Fatalf("%d golden files, %d cases: every file needs a case", len(files), len(goldens))
	}
	checked := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	fr, src := region(t, fakeregion.SOAPOptions{Now: func() time.Time { return checked }},
		func(c *Config) { c.Now = func() time.Time { return checked } })
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(strings.TrimSuffix(name, ".xml"), func(t *testing.T) {
			want, ok := goldens[name]
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
				if errors.As(err, &auth) != want.auth {
					t.Fatalf("AuthError %v, want %v: %v", !want.auth, want.auth, err)
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

// TestSetSeals checks the region's own replies, built from Set, map back to the status set, for
// codes that need escaping in XML, in UTF-8 and in GBK.
func TestSetSeals(t *testing.T) {
	for _, gbk := range []bool{false, true} {
		t.Run(map[bool]string{false: "utf-8", true: "gbk"}[gbk], func(t *testing.T) {
			noLeaks(t)
			fr, src := region(t, fakeregion.SOAPOptions{GBK: gbk}, nil)
			at := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
			for _, st := range []trustlist.Status{trustlist.StatusValid, trustlist.StatusSuspended, trustlist.StatusRevoked, trustlist.StatusInvalidated} {
				code := `37<&>"` + string(st) + ` 印章` // needs escaping in XML
				fr.Set(code, st, at)
				r, err := src.Status(context.Background(), code)
				if err != nil || r.Status != st || !r.EffectiveAt.Equal(at) {
					t.Fatalf("%s: got %+v, %v", st, r, err)
				}
			}
			if _, err := src.Status(context.Background(), "nobody"); !errors.Is(err, adapters.ErrNotFound) {
				t.Fatalf("unknown seal: %v", err)
			}
		})
	}
}

// TestGBKReply: a reply declared encoding="GBK" is decoded from GBK; its bytes are not UTF-8, so
// reading them as UTF-8 would fail.
func TestGBKReply(t *testing.T) {
	body, err := os.ReadFile("testdata/gbk_encoded.xml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `encoding="GBK"`) || strings.Contains(string(body), "成功") {
		t.Fatal("testdata/gbk_encoded.xml is not a GBK document")
	}
	root, err := parseXML(body)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := root.child("Body", NamespaceEnvelope)
	msg, err := p.firstChild().value("return/resultMsg", fakeregion.SOAPNamespace)
	if err != nil || msg != "成功：印章状态为停用（暂停使用）" {
		t.Fatalf("message %q, %v", msg, err)
	}
}
