package resolver_test

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/test/sm2ca"
)

// rewriteZip copies a zip, letting edit change (or drop, by returning nil) each entry's bytes.
func rewriteZip(t *testing.T, in []byte, edit func(name string, data []byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if data = edit(f.Name, data); data == nil {
			continue
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func verifyOFDBytes(t *testing.T, v *resolver.Verifier, doc []byte) *resolver.OFDReport {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doc.ofd")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := v.VerifyOFDFile(path, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestOFDScenarios(t *testing.T) {
	p := must[*sm2ca.PKI](t)(sm2ca.New(sm2ca.Options{Epoch: epoch}))
	mk := must[[]byte](t)
	good := mk(p.OFD())
	flipIn := func(target string) func(string, []byte) []byte {
		return func(name string, data []byte) []byte {
			if name == target {
				data = bytes.Clone(data)
				data[len(data)/2] ^= 0x01
			}
			return data
		}
	}
	drop := func(target string) func(string, []byte) []byte {
		return func(name string, data []byte) []byte {
			if name == target {
				return nil
			}
			return data
		}
	}
	cases := map[string]struct {
		doc    []byte
		result resolver.Verdict
		reason resolver.Reason
	}{
		"valid":              {good, resolver.Valid, resolver.ReasonOK},
		"two valid":          {mk(p.OFD(sm2ca.OFDSignature{}, sm2ca.OFDSignature{Raw64: true})), resolver.Valid, resolver.ReasonOK},
		"bad data hash":      {mk(p.OFD(sm2ca.OFDSignature{BadDataHash: true})), resolver.Invalid, resolver.ReasonDataHashMismatch},
		"second bad":         {mk(p.OFD(sm2ca.OFDSignature{}, sm2ca.OFDSignature{BadSignature: true})), resolver.Invalid, resolver.ReasonSignatureInvalid},
		"page changed":       {rewriteZip(t, good, flipIn("Doc_0/Pages/Page_0/Content.xml")), resolver.Invalid, resolver.ReasonReferenceMismatch},
		"page removed":       {rewriteZip(t, good, drop("Doc_0/Pages/Page_0/Content.xml")), resolver.Invalid, resolver.ReasonReferenceMismatch},
		"Signature.xml edit": {rewriteZip(t, good, flipIn("Doc_0/Signs/Sign_0/Signature.xml")), resolver.Invalid, resolver.ReasonDataHashMismatch},
		"signed value edit":  {rewriteZip(t, good, flipIn("Doc_0/Signs/Sign_0/SignedValue.dat")), resolver.Invalid, ""},
		"PKCS#7 Sign":        {mk(p.OFD(sm2ca.OFDSignature{Type: "Sign"})), resolver.Indeterminate, resolver.ReasonNotSES},
		"empty file":         {nil, resolver.Invalid, resolver.ReasonFormatInvalid},
		"not a zip":          {[]byte("%PDF-1.7"), resolver.Invalid, resolver.ReasonFormatInvalid},
	}
	// An unsigned document: OFD.xml names no Signatures.xml, and the signature files are gone.
	cases["no signatures"] = struct {
		doc    []byte
		result resolver.Verdict
		reason resolver.Reason
	}{rewriteZip(t, good, func(name string, data []byte) []byte {
		switch {
		case name == "OFD.xml":
			return regexp.MustCompile(`<ofd:Signatures>[^<]*</ofd:Signatures>`).ReplaceAll(data, nil)
		case strings.HasPrefix(name, "Doc_0/Signs/"):
			return nil
		}
		return data
	}), resolver.Indeterminate, resolver.ReasonNoSignatures}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := verifyOFDBytes(t, verifier(p), tc.doc)
			if r.Result != tc.result || (tc.reason != "" && r.Reason != tc.reason) {
				t.Fatalf("%s/%s (%s), want %s/%s", r.Result, r.Reason, r.Message, tc.result, tc.reason)
			}
		})
	}
}

func TestOFDFileMissing(t *testing.T) {
	if _, err := (&resolver.Verifier{}).VerifyOFDFile(filepath.Join(t.TempDir(), "nope.ofd"), epoch); err == nil {
		t.Fatal("a missing file is an I/O error, not a report")
	}
}
