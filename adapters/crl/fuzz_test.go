package crl

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sealhub/sealhub/adapters"
)

// FuzzDecode: no document makes the adapter panic, and a document is either a list that passed
// every check or an error wrapping ErrMalformed. Each input is tried twice: as the document received
// (mostly refused at the envelope or the signature), and as a list signed with the configured key,
// so the list checks are reached too.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		var d document
		_ = json.Unmarshal(b, &d)
		list, _ := base64.StdEncoding.DecodeString(d.List)
		f.Add(b, list, false)
		f.Add(b, list, true)
	}
	f.Add([]byte("<html>"), []byte(delta("4", "5", change("5", "A", "void"))), false)
	key := testKey(f)
	src, err := New(Config{Endpoint: "http://127.0.0.1:1", Issuer: testIssuer, PublicKeys: map[string]string{testKeyID: publicPEM(f, key)},
		Statuses: testStatuses}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, doc, list []byte, full bool) {
		a := asked{full: full}
		if !full {
			a.base = 4
		}
		bodies := [][]byte{doc}
		if len(list) > 0 { // gmsm signs no empty message
			bodies = append(bodies, signed(t, key, list))
		}
		for _, body := range bodies {
			l, err := src.decode(body, a, goldenNow)
			if err != nil {
				if l != nil || !errors.Is(err, adapters.ErrMalformed) {
					t.Fatalf("list %v with error %v", l, err)
				}
				continue
			}
			if l.full != full || l.seq < l.base || !l.nextUpdate.After(l.thisUpdate) || len(l.evidence) != 64 {
				t.Fatalf("bad list %+v", l)
			}
			prev := l.base
			for _, c := range l.entries {
				if c.Seq <= prev || c.Seq > l.seq || c.Code == "" || !regionStatuses[c.Status] {
					t.Fatalf("bad entry %+v in %+v", c, l)
				}
				prev = c.Seq
			}
		}
	})
}
