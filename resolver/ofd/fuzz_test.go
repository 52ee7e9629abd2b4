package ofd

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// fuzzOptions keeps each input's work small and bounded.
var fuzzOptions = Options{
	MaxEntries:    64,
	MaxEntrySize:  64 << 10,
	MaxTotalSize:  256 << 10,
	MaxXMLSize:    16 << 10,
	MaxSignatures: 8,
	MaxReferences: 256,
}

var knownStatuses = map[Status]bool{
	StatusOK: true, StatusMismatch: true, StatusMissing: true, StatusUnsupported: true,
	StatusMalformed: true, StatusError: true, StatusAbsent: true, StatusNotApplicable: true,
}

// FuzzOpen opens arbitrary bytes as an OFD and runs every check. Invariants: no panic; every error
// wraps a sentinel; nothing read exceeds the limits; every signature gets exactly one report with
// known kind and statuses; OK() implies the checks it summarises.
func FuzzOpen(f *testing.F) {
	if dir := samplesDir(); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "ofd", "*.ofd"))
		for _, name := range files {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b)
			}
		}
	}
	// Small stored (uncompressed) seeds, so that mutations reach the XML and DER directly rather than
	// breaking a deflate stream: one signed OFD that passes every check, one with odd values.
	s := newTestSigner(f)
	for _, spec := range []WriteSpec{
		{Signatures: []SignSpec{{Seal: s.seal, Sign: s.signOFD(0)}}},
		{Signatures: []SignSpec{
			{Seal: []byte("seal"), Sign: func([]byte) ([]byte, error) { return fakePKCS7, nil }},
			{Type: "Sign", CheckMethod: "MD5", Sign: func(x []byte) ([]byte, error) { return x[:16], nil }},
		}},
	} {
		var w bytes.Buffer
		if err := Write(&w, spec); err != nil {
			f.Fatal(err)
		}
		f.Add(storedZip(f, w.Bytes()))
	}
	f.Add([]byte{})
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := OpenWithOptions(bytes.NewReader(data), int64(len(data)), fuzzOptions)
		if err != nil {
			if !isSentinel(err) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		if len(d.Bodies) == 0 || len(d.Signatures) > fuzzOptions.MaxSignatures {
			t.Fatalf("%d bodies, %d signatures", len(d.Bodies), len(d.Signatures))
		}
		reports := d.Check()
		if len(reports) != len(d.Signatures) {
			t.Fatalf("%d reports for %d signatures", len(reports), len(d.Signatures))
		}
		for i, r := range reports {
			checkFuzzReport(t, r, d.Signatures[i])
		}
	})
}

func checkFuzzReport(t *testing.T, r *SignatureReport, s *Signature) {
	if r.Signature != s {
		t.Fatal("report for another signature")
	}
	if int64(len(s.XML)) > fuzzOptions.MaxXMLSize || int64(len(r.SignedValue)) > fuzzOptions.MaxEntrySize {
		t.Fatalf("read beyond the limits: %d-byte XML, %d-byte value", len(s.XML), len(r.SignedValue))
	}
	for _, err := range []error{s.Err, r.Err, r.DataHash.Err, r.Seal.Err} {
		if err != nil && !isSentinel(err) {
			t.Fatalf("error wraps no sentinel: %v", err)
		}
	}
	switch r.Kind {
	case KindSES:
		if r.SES == nil {
			t.Fatal("KindSES without SES")
		}
	case KindPKCS7, KindUnknown:
		if r.SES != nil || r.DataHash.Status != StatusNotApplicable {
			t.Fatalf("kind %s with SES %v dataHash %s", r.Kind, r.SES != nil, r.DataHash.Status)
		}
	default:
		t.Fatalf("kind %q", r.Kind)
	}
	if !knownStatuses[r.DataHash.Status] || !knownStatuses[r.Seal.Status] {
		t.Fatalf("statuses %q %q", r.DataHash.Status, r.Seal.Status)
	}
	if len(r.References) != len(s.Info.References) {
		t.Fatalf("%d reference checks for %d references", len(r.References), len(s.Info.References))
	}
	for _, rc := range r.References {
		if !knownStatuses[rc.Status] || rc.Status == StatusOK && (rc.Digest == "" || !IsSM3CheckMethod(rc.CheckMethod)) {
			t.Fatalf("reference %+v", rc)
		}
		if rc.Err != nil && !isSentinel(rc.Err) {
			t.Fatalf("error wraps no sentinel: %v", rc.Err)
		}
	}
	if r.OK() && (r.Kind != KindSES || r.DataHash.Status != StatusOK || r.DataHash.Path != s.Path || !r.ReferencesOK()) {
		t.Fatalf("OK() without its checks: %+v", r)
	}
}

// storedZip rewrites z with every entry stored uncompressed.
func storedZip(tb testing.TB, z []byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range unzipAll(tb, z) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Store})
		if err != nil {
			tb.Fatal(err)
		}
		w.Write(e.data)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
