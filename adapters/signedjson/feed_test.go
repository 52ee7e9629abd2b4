package signedjson

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/test/fakeregion"
	"github.com/sealhub/sealhub/trustlist"
)

// 1200 changes of 600 seals come in pages of 500, 500 and 200, in order, each seal described on
// its first appearance; then the feed is empty at its end.
func TestFeedPaging(t *testing.T) {
	noLeaks(t)
	fr, src := region(t, fakeregion.SignedJSONOptions{}, nil)
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	info := adapters.SealInfo{Name: "山东省某局合同专用章", Type: 3, OwnerName: "山东省某局", OwnerUSCC: "11370000MB0000000X",
		ValidStart: at, ValidEnd: at.AddDate(3, 0, 0), SealSM3: strings.Repeat("ab", 32)}
	fr.Describe(code(0), info)
	for round, st := range []trustlist.Status{trustlist.StatusValid, trustlist.StatusRevoked} {
		for i := range 600 {
			fr.Set(code(i), st, at.Add(time.Duration(round*600+i)*time.Second))
		}
	}
	var all []adapters.Change
	after := uint64(0)
	for _, want := range []struct {
		n       int
		through uint64
		more    bool
	}{{500, 500, true}, {500, 1000, true}, {200, 1200, false}, {0, 1200, false}} {
		page, err := src.Changes(context.Background(), after)
		if err != nil {
			t.Fatalf("after %d: %v", after, err)
		}
		if len(page.Changes) != want.n || page.Through != want.through || page.More != want.more || page.Full || len(page.Evidence) != 64 {
			t.Fatalf("after %d: %d changes through %d, more %v; want %+v", after, len(page.Changes), page.Through, page.More, want)
		}
		all = append(all, page.Changes...)
		after = page.Through
	}
	for i, c := range all {
		round, n := i/600, i%600
		wantSt := []trustlist.Status{trustlist.StatusValid, trustlist.StatusRevoked}[round]
		if c.Seq != uint64(i+1) || c.Code != code(n) || c.Status != wantSt || !c.EffectiveAt.Equal(at.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("change %d: %+v", i, c)
		}
		if (c.Seal != nil) != (round == 0) {
			t.Fatalf("change %d: seal info %+v", i, c.Seal)
		}
	}
	if got := *all[0].Seal; got != info {
		t.Fatalf("seal info %+v, want %+v", got, info)
	}
}

func code(i int) string { return fmt.Sprintf("3701%010d", i) }

// A page is refused unless its sequence numbers increase within (after, through] and every change
// reads.
func TestDecodeChanges(t *testing.T) {
	src := testSource(t, nil)
	key := goldenKey(t)
	const seal = `"seal":{"name":"合同专用章","type":3,"ownerName":"某局","ownerUscc":"11370000MB0000000X","validStart":"2025-01-01T00:00:00+08:00","validEnd":"2028-01-01T00:00:00+08:00"}`
	ch := func(seq int, code, extra string) string {
		return fmt.Sprintf(`{"seq":%d,"code":%q,"status":"suspended","effectiveAt":"2026-01-15T14:00:00+08:00"%s}`, seq, code, extra)
	}
	page := func(head string, changes ...string) []byte {
		return signed(t, key, goldenKeyID, `{"nonce":"`+goldenNonce+`",`+head+`,"changes":[`+strings.Join(changes, ",")+`]}`)
	}
	const after = 10
	bad := map[string][]byte{
		"repeated seq":         page(`"through":20`, ch(11, "A", ""), ch(11, "B", "")),
		"decreasing seq":       page(`"through":20`, ch(12, "A", ""), ch(11, "B", "")),
		"seq not after":        page(`"through":20`, ch(10, "A", "")),
		"seq past through":     page(`"through":11`, ch(12, "A", "")),
		"through goes back":    page(`"through":9`),
		"no through":           page(`"more":false`),
		"more, no progress":    page(`"through":10,"more":true`),
		"negative seq":         page(`"through":20`, ch(-1, "A", "")),
		"no code":              page(`"through":20`, ch(11, "", "")),
		"unknown status":       page(`"through":20`, `{"seq":11,"code":"A","status":"gone"}`),
		"bad effective time":   page(`"through":20`, `{"seq":11,"code":"A","status":"valid","effectiveAt":"2026-01-15"}`),
		"seal without name":    page(`"through":20`, ch(11, "A", `,"seal":{"validStart":"2025-01-01T00:00:00Z","validEnd":"2026-01-01T00:00:00Z"}`)),
		"seal without start":   page(`"through":20`, ch(11, "A", `,"seal":{"name":"x","validEnd":"2026-01-01T00:00:00Z"}`)),
		"seal ends first":      page(`"through":20`, ch(11, "A", `,"seal":{"name":"x","validStart":"2027-01-01T00:00:00Z","validEnd":"2026-01-01T00:00:00Z"}`)),
		"seal SM3 not hex":     page(`"through":20`, ch(11, "A", `,"seal":{"name":"x","validStart":"2025-01-01T00:00:00Z","validEnd":"2026-01-01T00:00:00Z","sealSm3":"zz"}`)),
		"listing lists twice":  page(`"through":20,"full":true`, ch(3, "A", ""), ch(5, "A", "")),
		"listing past through": page(`"through":4,"full":true`, ch(5, "A", "")),
		"replayed":             signed(t, key, goldenKeyID, `{"nonce":"00","through":20,"changes":[]}`),
		"tampered":             envelopeJSON(t, `{"nonce":"`+goldenNonce+`","through":20,"changes":[]}`, goldenKeyID, signData(t, key, []byte(`{}`))),
	}
	for name, body := range bad {
		t.Run(name, func(t *testing.T) {
			got, err := src.decodeChanges(200, body, after, goldenNonce)
			if !errors.Is(err, adapters.ErrMalformed) || got.Changes != nil || got.Through != 0 {
				t.Fatalf("got %+v, %v; want ErrMalformed", got, err)
			}
		})
	}
	t.Run("good page", func(t *testing.T) {
		got, err := src.decodeChanges(200, page(`"through":20,"more":true`, ch(11, "A", ","+seal), ch(13, "B", `,"reason":"单位注销"`)), after, goldenNonce)
		if err != nil {
			t.Fatal(err)
		}
		eff := cst("2026-01-15T14:00:00+08:00")
		wantSeal := adapters.SealInfo{Name: "合同专用章", Type: 3, OwnerName: "某局", OwnerUSCC: "11370000MB0000000X",
			ValidStart: cst("2025-01-01T00:00:00+08:00"), ValidEnd: cst("2028-01-01T00:00:00+08:00")}
		if got.Through != 20 || !got.More || got.Full || len(got.Changes) != 2 || len(got.Evidence) != 64 {
			t.Fatalf("got %+v", got)
		}
		a, b := got.Changes[0], got.Changes[1]
		if a.Seq != 11 || a.Code != "A" || a.Status != trustlist.StatusSuspended || !a.EffectiveAt.Equal(eff) || a.Seal == nil || *a.Seal != wantSeal {
			t.Fatalf("first change %+v (seal %+v)", a, a.Seal)
		}
		if b.Seq != 13 || b.Reason != "单位注销" || b.Seal != nil {
			t.Fatalf("second change %+v", b)
		}
	})
	t.Run("empty page", func(t *testing.T) {
		got, err := src.decodeChanges(200, page(`"through":10`), after, goldenNonce)
		if err != nil || len(got.Changes) != 0 || got.Through != 10 || got.More {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("full listing", func(t *testing.T) {
		// The region pruned its deltas: its whole listing, in any order, at through.
		got, err := src.decodeChanges(200, page(`"through":5,"full":true`, ch(5, "A", ""), ch(3, "B", "")), after, goldenNonce)
		if err != nil || !got.Full || got.Through != 5 || len(got.Changes) != 2 {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("auth refused", func(t *testing.T) {
		var auth *AuthError
		if _, err := src.decodeChanges(403, nil, after, goldenNonce); !errors.As(err, &auth) {
			t.Fatalf("got %v", err)
		}
	})
}
