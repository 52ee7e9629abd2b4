package ofd

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// samplesEnv overrides where the real samples are; by default they are ../shared/samples beside the
// module root. They are read in place, never copied into the repository.
const samplesEnv = "SEALHUB_SAMPLES"

// samplesDir returns the samples directory, or "" when it cannot be found.
func samplesDir() string {
	if d := os.Getenv(samplesEnv); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			d := filepath.Join(dir, "..", "shared", "samples")
			if _, err := os.Stat(filepath.Join(d, "ofd")); err != nil {
				return ""
			}
			return d
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// needSamples returns the samples directory or skips the test.
func needSamples(tb testing.TB) string {
	tb.Helper()
	d := samplesDir()
	if d == "" {
		tb.Skipf("real samples not found: set %s or put them at ../shared/samples beside the module root", samplesEnv)
	}
	return d
}

// readSample reads samples/<rel>, skipping when the samples are absent.
func readSample(tb testing.TB, rel ...string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{needSamples(tb)}, rel...)...))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// entry is one file of a zip being rebuilt.
type entry struct {
	name string
	data []byte
}

// unzipAll reads every entry of a zip, in order, directories included.
func unzipAll(tb testing.TB, z []byte) []entry {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		tb.Fatal(err)
	}
	var out []entry
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			tb.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, entry{f.Name, data})
	}
	return out
}

// zipAll writes entries into a new zip, names unchecked (duplicates and ".." included).
func zipAll(tb testing.TB, es []entry) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range es {
		method := zip.Deflate
		if len(e.data) == 0 {
			method = zip.Store // a deflater per empty entry makes the 10,000-entry case slow
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: method})
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// rezip rebuilds z after edit has changed its entries.
func rezip(tb testing.TB, z []byte, edit func([]entry) []entry) []byte {
	tb.Helper()
	return zipAll(tb, edit(unzipAll(tb, z)))
}

// replace returns an edit that runs f on the named entry's data.
func replace(name string, f func([]byte) []byte) func([]entry) []entry {
	return func(es []entry) []entry {
		for i := range es {
			if es[i].name == name {
				es[i].data = f(bytes.Clone(es[i].data))
			}
		}
		return es
	}
}

// remove returns an edit that drops the named entry.
func remove(name string) func([]entry) []entry {
	return func(es []entry) []entry {
		out := es[:0]
		for _, e := range es {
			if e.name != name {
				out = append(out, e)
			}
		}
		return out
	}
}

// openBytes opens an in-memory OFD.
func openBytes(z []byte, opts Options) (*Document, error) {
	return OpenWithOptions(bytes.NewReader(z), int64(len(z)), opts)
}

// mustOpen opens an in-memory OFD or fails the test.
func mustOpen(tb testing.TB, z []byte, opts Options) *Document {
	tb.Helper()
	d, err := openBytes(z, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return d
}

// isSentinel reports whether err wraps one of the package's sentinels.
func isSentinel(err error) bool {
	for _, s := range []error{ErrNotZip, ErrNoOFDXML, ErrNoDocument, ErrTooLarge, ErrBadPath,
		ErrMissingFile, ErrMalformedXML, ErrCorrupt, ErrBadOptions, ErrBadSpec} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
