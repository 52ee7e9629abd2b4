package crl

import (
	"errors"
	"strings"
	"testing"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/trustlist"
)

// delta is a delta list from base to seq with the entries given.
func delta(base, seq string, entries ...string) string {
	return `{"issuer":"37","type":"delta","base":` + base + `,"seq":` + seq + `,"thisUpdate":"` + thisUpdate +
		`","nextUpdate":"` + nextUpdate + `","entries":[` + strings.Join(entries, ",") + `]}`
}

func change(seq, code, status string) string {
	return `{"seq":` + seq + `,"code":"` + code + `","status":"` + status + `"}`
}

// TestDecodeDelta checks what a delta must be to be applied on the list held at seq 4.
func TestDecodeDelta(t *testing.T) {
	key := testKey(t)
	src, err := New(Config{Endpoint: "http://127.0.0.1:1", Issuer: testIssuer, PublicKeys: map[string]string{testKeyID: publicPEM(t, key)},
		Statuses: testStatuses}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		list    string
		wantErr string // "" : applied
	}{
		"empty":                {list: delta("4", "4")},
		"a code twice":         {list: delta("4", "7", change("5", "A", "frozen"), change("7", "A", "revoked"))},
		"another base":         {list: delta("3", "7", change("5", "A", "frozen")), wantErr: "from 3"},
		"backwards":            {list: delta("4", "3"), wantErr: "backwards"},
		"no base":              {list: strings.Replace(delta("4", "5", change("5", "A", "frozen")), `"base":4,`, ``, 1), wantErr: "without its base"},
		"entry at the base":    {list: delta("4", "5", change("4", "A", "frozen")), wantErr: "seq 4"},
		"entry beyond":         {list: delta("4", "5", change("6", "A", "frozen")), wantErr: "seq 6"},
		"entries out of order": {list: delta("4", "7", change("6", "A", "frozen"), change("5", "B", "void")), wantErr: "seq 5"},
		"full list asked":      {list: strings.Replace(full(), `"seq":9`, `"seq":4`, 1), wantErr: `type "full"`},
		"no code":              {list: delta("4", "5", change("5", "", "frozen")), wantErr: "no code"},
		"trailing data":        {list: delta("4", "4") + `{}`, wantErr: "not JSON"},
		"negative seq":         {list: delta("4", "-5"), wantErr: "not JSON"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			l, err := src.decode(signed(t, key, []byte(tc.list)), asked{base: 4}, goldenNow)
			if tc.wantErr != "" {
				if !errors.Is(err, adapters.ErrMalformed) || !strings.Contains(err.Error(), tc.wantErr) || l != nil {
					t.Fatalf("got %v, want ErrMalformed about %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cur := &held{seq: 4, entries: map[string]status{"A": {status: trustlist.StatusValid}, "Z": {status: trustlist.StatusValid}}}
			h := apply(cur, l, goldenNow)
			if h.entries["Z"].status != trustlist.StatusValid || len(cur.entries) != 2 || cur.entries["A"].status != trustlist.StatusValid {
				t.Fatalf("the held list was changed or lost: %+v → %+v", cur.entries, h.entries)
			}
			if name == "a code twice" && (h.seq != 7 || h.entries["A"].status != trustlist.StatusRevoked) {
				t.Fatalf("the last entry did not win: %+v", h)
			}
		})
	}
}
