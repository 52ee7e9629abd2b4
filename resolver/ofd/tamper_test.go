package ofd

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

const (
	v4Sig     = "Doc_0/Signs/Sign_0/Signature.xml"
	v4Value   = "Doc_0/Signs/Sign_0/SignedValue.dat"
	v4Seal    = "Doc_0/Signs/Sign_0/Seal.esl"
	v4Content = "Doc_0/Pages/Page_0/Content.xml"
)

// flipBit flips the low bit of the first occurrence of marker's last byte in the data.
func flipBit(marker string) func([]byte) []byte {
	return func(b []byte) []byte {
		i := bytes.Index(b, []byte(marker))
		if i < 0 {
			panic("marker " + marker + " not found")
		}
		b[i+len(marker)-1] ^= 1
		return b
	}
}

// refStatuses maps each reference's archive path to its status.
func refStatuses(r *SignatureReport) map[string]Status {
	out := map[string]Status{}
	for _, ref := range r.References {
		out[ref.Path] = ref.Status
	}
	return out
}

// TestTamperedSignatureChecks rewrites the ofdrw V4 sample, which passes every check, with one change
// each and asserts exactly which check fails.
func TestTamperedSignatureChecks(t *testing.T) {
	orig := readSample(t, "ofd", "ofdrw-v4.ofd")
	type want struct {
		err      error  // on the report, when not nil
		kind     Kind   // "" means KindSES
		dataHash Status // "" means ok
		seal     Status // "" means ok
		refs     map[string]Status
		detail   string // a substring of some detail or error
	}
	cases := map[string]struct {
		edit func([]entry) []entry
		want want
	}{
		"unchanged": {edit: func(es []entry) []entry { return es }},
		"bit flipped in Signature.xml": {
			edit: replace(v4Sig, flipBit("ofdrw-sign")), // 'n' → 'o' in ProviderName: still valid XML
			want: want{dataHash: StatusMismatch, detail: "changed after signing"},
		},
		"bit flipped in a referenced page": {
			edit: replace(v4Content, func(b []byte) []byte { b[len(b)-2] ^= 1; return b }),
			want: want{refs: map[string]Status{v4Content: StatusMismatch}, detail: "Content.xml"},
		},
		"referenced page removed": {
			edit: remove(v4Content),
			want: want{refs: map[string]Status{v4Content: StatusMissing}, detail: "not in the archive"},
		},
		"Seal.esl changed": {
			edit: replace(v4Seal, func(b []byte) []byte { b[len(b)-1] ^= 0x80; return b }),
			want: want{seal: StatusMismatch, refs: map[string]Status{v4Seal: StatusMismatch}, detail: "not the seal embedded"},
		},
		"Seal.esl removed": {
			edit: remove(v4Seal),
			want: want{seal: StatusMissing, refs: map[string]Status{v4Seal: StatusMissing}},
		},
		"SignedValue.dat garbage": {
			edit: replace(v4Value, func([]byte) []byte { return []byte("not DER at all") }),
			want: want{kind: KindUnknown, dataHash: StatusNotApplicable, seal: StatusNotApplicable},
		},
		"SignedValue.dat removed": {
			edit: remove(v4Value),
			want: want{err: ErrMissingFile, kind: KindUnknown, dataHash: StatusNotApplicable, seal: StatusNotApplicable},
		},
		"Signature.xml removed": {
			edit: remove(v4Sig),
			want: want{err: ErrMissingFile, kind: KindUnknown, dataHash: StatusNotApplicable, seal: StatusAbsent, refs: map[string]Status{}},
		},
		"Signature.xml not XML": {
			edit: replace(v4Sig, func([]byte) []byte { return []byte("<ofd:Signature><unclosed") }),
			want: want{err: ErrMalformedXML, kind: KindUnknown, dataHash: StatusNotApplicable, seal: StatusAbsent, refs: map[string]Status{}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := mustOpen(t, rezip(t, orig, tc.edit), Options{})
			reports := d.Check()
			if len(reports) != 1 {
				t.Fatalf("%d reports", len(reports))
			}
			r, w := reports[0], tc.want
			if w.kind == "" {
				w.kind = KindSES
			}
			if w.dataHash == "" {
				w.dataHash = StatusOK
			}
			if w.seal == "" {
				w.seal = StatusOK
			}
			if (w.err == nil) != (r.Err == nil) || w.err != nil && !errors.Is(r.Err, w.err) {
				t.Errorf("Err = %v, want %v", r.Err, w.err)
			}
			if r.Kind != w.kind || r.DataHash.Status != w.dataHash || r.Seal.Status != w.seal {
				t.Errorf("kind %s dataHash %s seal %s; want %s %s %s", r.Kind, r.DataHash.Status, r.Seal.Status, w.kind, w.dataHash, w.seal)
			}
			got := refStatuses(r)
			if w.refs != nil && len(w.refs) == 0 && len(got) != 0 {
				t.Errorf("references %v, want none", got)
			}
			for path, st := range got {
				want, ok := w.refs[path]
				if !ok {
					want = StatusOK
				}
				if st != want {
					t.Errorf("reference %s: %s, want %s", path, st, want)
				}
			}
			if w.detail != "" && !strings.Contains(fmt.Sprintf("%+v", r), w.detail) {
				t.Errorf("no detail mentions %q: %+v", w.detail, r)
			}
			wantOK := name == "unchanged"
			if r.OK() != wantOK {
				t.Errorf("OK() = %v", r.OK())
			}
		})
	}
}

// TestTamperedContainer covers the errors that make Open fail.
func TestTamperedContainer(t *testing.T) {
	orig := readSample(t, "ofd", "ofdrw-v4.ofd")
	add := func(name string, data []byte) func([]entry) []entry {
		return func(es []entry) []entry { return append(es, entry{name, data}) }
	}
	many := func(n int) func([]entry) []entry {
		return func(es []entry) []entry {
			for i := range n {
				es = append(es, entry{fmt.Sprintf("Doc_0/Res/x%d", i), nil})
			}
			return es
		}
	}
	cases := map[string]struct {
		zip  []byte
		opts Options
		want error
	}{
		"not a zip":               {zip: []byte("%PDF-1.7 this is not an OFD"), want: ErrNotZip},
		"empty input":             {zip: nil, want: ErrNotZip},
		"truncated zip":           {zip: orig[:len(orig)/2], want: ErrNotZip},
		"path traversal entry":    {zip: rezip(t, orig, add("../../etc/passwd", []byte("x"))), want: ErrBadPath},
		"inner traversal entry":   {zip: rezip(t, orig, add("Doc_0/../../evil.xml", []byte("x"))), want: ErrBadPath},
		"backslash traversal":     {zip: rezip(t, orig, add(`Doc_0\..\..\evil.xml`, []byte("x"))), want: ErrBadPath},
		"NUL in entry name":       {zip: rezip(t, orig, add("Doc_0/a\x00b", []byte("x"))), want: ErrBadPath},
		"duplicate entry":         {zip: rezip(t, orig, add(v4Content, []byte("<evil/>"))), want: ErrBadPath},
		"duplicate after slash":   {zip: rezip(t, orig, add("/"+v4Content, []byte("<evil/>"))), want: ErrBadPath},
		"too many entries (opts)": {zip: orig, opts: Options{MaxEntries: 5}, want: ErrTooLarge},
		"too many entries":        {zip: rezip(t, orig, many(DefaultMaxEntries)), want: ErrTooLarge},
		"OFD.xml too large":       {zip: orig, opts: Options{MaxXMLSize: 100}, want: ErrTooLarge},
		"total budget for Open":   {zip: orig, opts: Options{MaxTotalSize: 600}, want: ErrTooLarge},
		"no OFD.xml":              {zip: rezip(t, orig, remove("OFD.xml")), want: ErrNoOFDXML},
		"OFD.xml not XML":         {zip: rezip(t, orig, replace("OFD.xml", func([]byte) []byte { return []byte("{}") })), want: ErrMalformedXML},
		"OFD.xml wrong root":      {zip: rezip(t, orig, replace("OFD.xml", func([]byte) []byte { return []byte("<Document/>") })), want: ErrMalformedXML},
		"no DocBody":              {zip: rezip(t, orig, replace("OFD.xml", func([]byte) []byte { return []byte("<ofd:OFD/>") })), want: ErrNoDocument},
		"DocRoot missing":         {zip: rezip(t, orig, remove("Doc_0/Document.xml")), want: ErrMissingFile},
		"Signatures.xml missing":  {zip: rezip(t, orig, remove("Doc_0/Signs/Signatures.xml")), want: ErrMissingFile},
		"DocRoot climbs":          {zip: rezip(t, orig, replace("OFD.xml", setText("Doc_0/Document.xml", "../Document.xml"))), want: ErrBadPath},
		"too many references":     {zip: orig, opts: Options{MaxReferences: 4}, want: ErrTooLarge},
		"negative option":         {zip: orig, opts: Options{MaxEntries: -1}, want: ErrBadOptions},
		"one signature allowed":   {zip: orig, opts: Options{MaxSignatures: 1}, want: nil},
		"too many signatures":     {zip: readSample(t, "ofd", "shandong-cegn-zibo.ofd"), opts: Options{MaxSignatures: 1}, want: ErrTooLarge},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d, err := openBytes(tc.zip, tc.opts)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open = %v, %v; want %v", d, err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "ofd: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// setText replaces old by new once.
func setText(old, new string) func([]byte) []byte {
	return func(b []byte) []byte { return bytes.Replace(b, []byte(old), []byte(new), 1) }
}

// TestLimitsDuringCheck: limits reached while checking make the affected checks "error", never a
// pass and never a panic.
func TestLimitsDuringCheck(t *testing.T) {
	orig := readSample(t, "ofd", "ofdrw-v4.ofd")

	t.Run("total budget", func(t *testing.T) {
		// SignedValue.dat (17,726 bytes) fits; the references and Seal.esl (17,011) do not.
		r := mustOpen(t, orig, Options{MaxTotalSize: 19_000}).Check()[0]
		if r.Err != nil || r.Kind != KindSES || r.Seal.Status != StatusError || !errors.Is(r.Seal.Err, ErrTooLarge) {
			t.Errorf("err %v kind %s seal %s (%v)", r.Err, r.Kind, r.Seal.Status, r.Seal.Err)
		}
		if st := refStatuses(r)[v4Seal]; st != StatusError {
			t.Errorf("Seal.esl reference %s", st)
		}
		if r.OK() {
			t.Error("OK() with checks that could not run")
		}
	})
	t.Run("entry size", func(t *testing.T) {
		r := mustOpen(t, orig, Options{MaxEntrySize: 10_000}).Check()[0]
		if !errors.Is(r.Err, ErrTooLarge) {
			t.Errorf("Err = %v, want ErrTooLarge (SignedValue.dat is 17,726 bytes)", r.Err)
		}
	})
	t.Run("inflates beyond the limit", func(t *testing.T) {
		bomb := make([]byte, 4<<20) // 4 MiB of zeros deflate to a few KiB
		z := rezip(t, orig, replace(v4Content, func([]byte) []byte { return bomb }))
		r := mustOpen(t, z, Options{MaxEntrySize: 1 << 20}).Check()[0]
		if rc := findRef(r, v4Content); rc.Status != StatusError || !errors.Is(rc.Err, ErrTooLarge) {
			t.Errorf("reference %s (%v), want error/ErrTooLarge", rc.Status, rc.Err)
		}
	})
	t.Run("header lies about the size", func(t *testing.T) {
		z := lyingZip(t, orig, v4Content, make([]byte, 1<<20))
		r := mustOpen(t, z, Options{}).Check()[0]
		if rc := findRef(r, v4Content); rc.Status != StatusError || !errors.Is(rc.Err, ErrCorrupt) {
			t.Errorf("reference %s (%v), want error/ErrCorrupt", rc.Status, rc.Err)
		}
	})
}

func findRef(r *SignatureReport, path string) ReferenceCheck {
	for _, rc := range r.References {
		if rc.Path == path {
			return rc
		}
	}
	return ReferenceCheck{}
}

// lyingZip rebuilds z with the named entry replaced by data whose header declares 10 bytes.
func lyingZip(t *testing.T, z []byte, name string, data []byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range unzipAll(t, z) {
		if e.name != name {
			w, _ := zw.Create(e.name)
			w.Write(e.data)
			continue
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store,
			CompressedSize64: uint64(len(data)), UncompressedSize64: 10})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
