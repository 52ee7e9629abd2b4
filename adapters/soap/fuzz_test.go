package soap

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sealhub/sealhub/adapters"
)

// FuzzDecode: no reply makes the adapter panic, and a reply is either a report of a mapped status
// or an error wrapping one of the sentinels.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.xml")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(200, b)
			f.Add(500, b)
		}
	}
	f.Add(401, []byte(""))
	f.Add(502, []byte("<html>"))
	src, err := New(config("http://127.0.0.1:1"), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		r, err := src.decode(status, body)
		if err != nil {
			if r != (adapters.Report{}) {
				t.Fatalf("report %+v with error %v", r, err)
			}
			if !errors.Is(err, adapters.ErrUnavailable) && !errors.Is(err, adapters.ErrMalformed) && !errors.Is(err, adapters.ErrNotFound) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !regionStatuses[r.Status] || len(r.Evidence) != 64 || r.CheckedAt.IsZero() {
			t.Fatalf("bad report %+v", r)
		}
	})
}
