package ofd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealhub/sealhub/trustlist/ses"
)

// wantSig is what one signature of a real sample must give.
type wantSig struct {
	id, typ     string
	typeAbsent  bool
	path        string // archive path of Signature.xml
	provider    string
	checkMethod string
	kind        Kind
	version     ses.Version // for KindSES
	dataHash    Status
	seal        Status
	refs        int
	// badRefs maps an archive path to its status; every other reference must be ok.
	badRefs map[string]Status
	// allRefs, when set, is the status of every reference.
	allRefs Status
	ok      bool
	folder  string // samples/ses-signature/<folder>, compared byte for byte
}

// shandongModified are the files of shandong-cegn-zibo.ofd whose SM3 no longer matches the
// CheckValues of either signature: the file was edited after signing (the ofdrw keyword test).
var shandongModified = map[string]Status{
	"OFD.xml":                        StatusMismatch,
	"Doc_0/Document.xml":             StatusMismatch,
	"Doc_0/Pages/Page_0/Content.xml": StatusMismatch,
}

var sampleCases = map[string][]wantSig{
	"ofdrw-v4.ofd": {{
		id: "1", typ: "Seal", path: "Doc_0/Signs/Sign_0/Signature.xml", provider: "ofdrw-sign", checkMethod: "SM3",
		kind: KindSES, version: ses.V4, dataHash: StatusOK, seal: StatusOK, refs: 5, ok: true, folder: "ofdrw-v4",
	}},
	"tax-zhejiang-gomain.ofd": {{
		id: "2", typ: "Seal", typeAbsent: true, path: "Doc_0/Signs/Sign_0/Signature.xml", provider: "gomain_eseal",
		checkMethod: OIDSM3, kind: KindSES, version: ses.V4, dataHash: StatusOK, seal: StatusAbsent, refs: 13, ok: true,
		folder: "tax-zhejiang-gomain",
	}},
	"tax-chongqing-test-kinggrid.ofd": {{ // BaseLoc="Sign_0/Signature.xml", relative to Doc_0/Signs/
		id: "1", typ: "Seal", typeAbsent: true, path: "Doc_0/Signs/Sign_0/Signature.xml", provider: "KingGrid",
		checkMethod: OIDSM3, kind: KindSES, version: ses.V4, dataHash: StatusOK, seal: StatusAbsent, refs: 20, ok: true,
		folder: "tax-chongqing-test-kinggrid",
	}},
	"tax-gomain-bw.ofd": {{
		id: "1", typ: "Seal", typeAbsent: true, path: "Doc_0/Signs/Sign_0/Signature.xml", provider: "gomain_eseal",
		checkMethod: OIDSM3, kind: KindSES, version: ses.V4, dataHash: StatusOK, seal: StatusAbsent, refs: 13, ok: true,
		folder: "tax-gomain-bw",
	}},
	"tax-zhejiang-antchain.ofd": {{
		id: "1", typ: "Seal", typeAbsent: true, path: "Doc_0/Signs/Sign_0/Signature.xml", provider: "AntChainGov",
		checkMethod: OIDSM3, kind: KindSES, version: ses.V4, dataHash: StatusOK, seal: StatusAbsent, refs: 7, ok: true,
		folder: "tax-zhejiang-antchain",
	}},
	// V1; Signatures.xml sits at Doc_0/Signatures.xml; Signature.xml was changed after signing; every
	// reference uses CheckMethod 1.2.156.10197.1.401.2, whose values are not plain SM3.
	"dms360-v1.ofd": {{
		id: "0", typ: "Seal", typeAbsent: true, path: "Doc_0/Signs/Sign_0/Signature.xml", provider: "iOFD® 2.1.1 ©2019-2020 dms360.cn",
		checkMethod: "1.2.156.10197.1.401.2", kind: KindSES, version: ses.V1, dataHash: StatusMismatch, seal: StatusOK,
		refs: 6, allRefs: StatusUnsupported, folder: "dms360-v1",
	}},
	// OFD.xml uses the namespace http://www.ofdspec.org (no /2016).
	"shandong-cegn-zibo.ofd": {{
		id: "2", typ: "Seal", path: "Doc_0/Signs/Sign_1/Signature.xml", provider: "oesplugin", checkMethod: "SM3",
		kind: KindSES, version: ses.V4, dataHash: StatusOK, seal: StatusOK, refs: 7, badRefs: shandongModified,
		folder: "shandong-cegn-zibo-Sign_1",
	}, {
		id: "4", typ: "Sign", path: "Doc_0/Signs/Sign_3/Signature.xml", provider: "oesplugin", checkMethod: "SM3",
		kind: KindPKCS7, dataHash: StatusNotApplicable, seal: StatusAbsent, refs: 9, badRefs: shandongModified,
		folder: "shandong-cegn-zibo-Sign_3",
	}},
}

func TestRealSamples(t *testing.T) {
	dir := needSamples(t)
	expected := loadExpected(t, dir)
	for name, want := range sampleCases {
		t.Run(name, func(t *testing.T) {
			d, err := OpenFile(filepath.Join(dir, "ofd", name))
			if err != nil {
				t.Fatalf("OpenFile: %v", err)
			}
			defer d.Close()
			reports := d.Check()
			if len(reports) != len(want) {
				t.Fatalf("%d signatures, want %d", len(reports), len(want))
			}
			for i, w := range want {
				t.Run("Sign_"+w.id, func(t *testing.T) {
					checkSample(t, dir, reports[i], w)
					checkExpected(t, expected, reports[i], w)
				})
			}
		})
	}
}

func checkSample(t *testing.T, dir string, r *SignatureReport, w wantSig) {
	s := r.Signature
	if s.ID != w.id || s.Type != w.typ || s.TypeAbsent != w.typeAbsent || s.Path != w.path {
		t.Errorf("listing: ID %q Type %q absent %v path %q; want %q %q %v %q", s.ID, s.Type, s.TypeAbsent, s.Path, w.id, w.typ, w.typeAbsent, w.path)
	}
	if s.Info.Provider.Name != w.provider || s.Info.CheckMethod != w.checkMethod {
		t.Errorf("provider %q check method %q; want %q %q", s.Info.Provider.Name, s.Info.CheckMethod, w.provider, w.checkMethod)
	}
	if s.Info.SignatureMethod != "1.2.156.10197.1.501" || len(s.Info.StampAnnots) == 0 && w.typ == "Seal" {
		t.Errorf("SignatureMethod %q, %d StampAnnots", s.Info.SignatureMethod, len(s.Info.StampAnnots))
	}
	if r.Err != nil || r.Kind != w.kind {
		t.Fatalf("kind %s (%s), err %v; want %s", r.Kind, r.KindDetail, r.Err, w.kind)
	}
	if w.kind == KindSES && r.SES.Version != w.version {
		t.Errorf("SES version %s, want %s", r.SES.Version, w.version)
	}
	if r.DataHash.Status != w.dataHash || r.DataHash.FellBack {
		t.Errorf("dataHash %s fellBack %v (%s), want %s", r.DataHash.Status, r.DataHash.FellBack, r.DataHash.Detail, w.dataHash)
	}
	if r.Seal.Status != w.seal {
		t.Errorf("seal %s (%s), want %s", r.Seal.Status, r.Seal.Detail, w.seal)
	}
	if len(r.References) != w.refs {
		t.Errorf("%d references, want %d", len(r.References), w.refs)
	}
	for _, ref := range r.References {
		want := StatusOK
		if st, ok := w.badRefs[ref.Path]; ok {
			want = st
		}
		if w.allRefs != "" {
			want = w.allRefs
		}
		if ref.Status != want {
			t.Errorf("reference %s: %s (%s), want %s", ref.FileRef, ref.Status, ref.Detail, want)
		}
	}
	if r.OK() != w.ok {
		t.Errorf("OK() = %v, want %v; notes %q", r.OK(), w.ok, r.Notes)
	}
	compareFolder(t, filepath.Join(dir, "ses-signature", w.folder), r)
}

// compareFolder checks SignedValue.dat, Signature.xml and Seal.esl against the unzipped copies.
func compareFolder(t *testing.T, folder string, r *SignatureReport) {
	files := map[string][]byte{"SignedValue.dat": r.SignedValue, "Signature.xml": r.Signature.XML}
	if r.SES != nil {
		files["Seal.esl"] = r.SES.Seal.Raw // the folder's Seal.esl is the OFD's, identical to the embedded seal
	}
	for name, got := range files {
		want, err := os.ReadFile(filepath.Join(folder, name))
		if os.IsNotExist(err) && name != "SignedValue.dat" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (%d vs %d bytes)", name, folder, len(got), len(want))
		}
	}
}

// loadExpected reads the dataHash and kind facts of expected-results.json.
func loadExpected(t *testing.T, dir string) map[string]map[string]any {
	raw, err := os.ReadFile(filepath.Join(dir, "expected-results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func checkExpected(t *testing.T, expected map[string]map[string]any, r *SignatureReport, w wantSig) {
	e, ok := expected["ses-signature/"+w.folder]
	if !ok {
		t.Fatalf("expected-results.json has no ses-signature/%s", w.folder)
	}
	if dh, _ := e["dataHashEqualsSM3(Signature.xml)"].(bool); dh != (r.DataHash.Status == StatusOK) {
		t.Errorf("expected-results.json says dataHash matches = %v; got %s", dh, r.DataHash.Status)
	}
	kind, _ := e["kind"].(string)
	if isSES := strings.HasPrefix(kind, "SES_Signature"); isSES != (r.Kind == KindSES) {
		t.Errorf("expected-results.json kind %q; got %s", kind, r.Kind)
	}
	if pi, _ := e["propertyInfo"].(string); r.SES != nil && pi != r.SES.PropertyInfo {
		t.Errorf("propertyInfo %q, expected-results.json %q", r.SES.PropertyInfo, pi)
	}
}

// TestRealSamplesDocuments checks the document list and the notes a real file produces.
func TestRealSamplesDocuments(t *testing.T) {
	dir := needSamples(t)
	d, err := OpenFile(filepath.Join(dir, "ofd", "dms360-v1.ofd"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	want := []Body{{DocRoot: "Doc_0/Document.xml", SignaturesPath: "Doc_0/Signatures.xml"}}
	if len(d.Bodies) != 1 || d.Bodies[0] != want[0] {
		t.Errorf("Bodies = %+v, want %+v", d.Bodies, want)
	}
	r := d.CheckSignature(d.Signatures[0])
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "no Type") {
		t.Errorf("notes %q", r.Notes)
	}
	if !strings.Contains(r.DataHash.Detail, "changed after signing") {
		t.Errorf("dataHash detail %q", r.DataHash.Detail)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
