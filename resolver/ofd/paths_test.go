package ofd

import (
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

func TestCandidates(t *testing.T) {
	cases := map[string]struct {
		from, ref string
		want      []string
		err       error
	}{
		"absolute":                    {"Doc_0/Signs/Signatures.xml", "/Doc_0/Signs/Sign_0/Signature.xml", []string{"Doc_0/Signs/Sign_0/Signature.xml"}, nil},
		"relative to the holder":      {"Doc_0/Signs/Signatures.xml", "Sign_0/Signature.xml", []string{"Doc_0/Signs/Sign_0/Signature.xml", "Sign_0/Signature.xml"}, nil},
		"root-relative without slash": {"Doc_0/Signs/Signatures.xml", "Doc_0/Signs/Sign_0/Signature.xml", []string{"Doc_0/Signs/Doc_0/Signs/Sign_0/Signature.xml", "Doc_0/Signs/Sign_0/Signature.xml"}, nil},
		"from the root":               {"OFD.xml", "Doc_0/Document.xml", []string{"Doc_0/Document.xml"}, nil},
		"dot segments":                {"Doc_0/Signs/Signatures.xml", "./Sign_0/../Sign_1/Signature.xml", []string{"Doc_0/Signs/Sign_1/Signature.xml", "Sign_1/Signature.xml"}, nil},
		"parent within the root":      {"Doc_0/Signs/Sign_0/Signature.xml", "../../Pages/Page_0/Content.xml", []string{"Doc_0/Pages/Page_0/Content.xml"}, nil},
		"backslashes":                 {"OFD.xml", `\Doc_0\Document.xml`, []string{"Doc_0/Document.xml"}, nil},
		"surrounding space":           {"OFD.xml", "  /OFD.xml\n", []string{"OFD.xml"}, nil},
		"climbs above the root":       {"Doc_0/Signs/Signatures.xml", "../../../etc/passwd", nil, ErrBadPath},
		"absolute climbs":             {"OFD.xml", "/../OFD.xml", nil, ErrBadPath},
		"empty":                       {"OFD.xml", "  ", nil, ErrBadPath},
		"root itself":                 {"OFD.xml", "/", nil, ErrBadPath},
		"NUL":                         {"OFD.xml", "a\x00b", nil, ErrBadPath},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := candidates(tc.from, tc.ref)
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("candidates = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCanonicalEntry(t *testing.T) {
	cases := map[string]struct {
		name string
		dir  bool
		err  error
	}{
		"Doc_0/Document.xml":    {"Doc_0/Document.xml", false, nil},
		"/Doc_0/Document.xml":   {"Doc_0/Document.xml", false, nil},
		`Doc_0\Document.xml`:    {"Doc_0/Document.xml", false, nil},
		"./Doc_0//Document.xml": {"Doc_0/Document.xml", false, nil},
		"Doc_0/":                {"Doc_0", true, nil},
		"/":                     {"", true, nil},
		"../x":                  {"", false, ErrBadPath},
		"Doc_0/../x":            {"", false, ErrBadPath},
		"":                      {"", false, ErrBadPath},
	}
	for raw, tc := range cases {
		t.Run(raw, func(t *testing.T) {
			name, dir, err := canonicalEntry(raw)
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if name != tc.name || dir != tc.dir {
				t.Errorf("= %q, %v; want %q, %v", name, dir, tc.name, tc.dir)
			}
		})
	}
}

// handOFD builds an OFD whose Signatures.xml and Signature.xml are given as text, with a page
// Content.xml and a SignedValue.dat that is not SES (references are still checked).
func handOFD(t *testing.T, ofdXML, signaturesPath, signaturesXML, signatureXML string) []byte {
	return zipAll(t, []entry{
		{"OFD.xml", []byte(ofdXML)},
		{"Doc_0/Document.xml", []byte("<Document/>")},
		{"Doc_0/Pages/Page_0/Content.xml", []byte("page")},
		{signaturesPath, []byte(signaturesXML)},
		{"Doc_0/Signs/Sign_0/Signature.xml", []byte(signatureXML)},
		{"Doc_0/Signs/Sign_0/SignedValue.dat", []byte{0x30, 0x00}},
	})
}

func b64sm3(s string) string {
	d := smcrypto.SM3([]byte(s))
	return base64.StdEncoding.EncodeToString(d[:])
}

// TestXMLForms: namespaces, prefixes, Provider as elements, non-UTF-8 declarations and a BOM all
// parse; the paths in them resolve.
func TestXMLForms(t *testing.T) {
	pageCV := b64sm3("page")
	cases := map[string]struct {
		ofd, sigsPath, sigs, sig string
		provider, method         string
	}{
		"standard prefix": {
			ofd:      `<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody><ofd:DocRoot>/Doc_0/Document.xml</ofd:DocRoot><ofd:Signatures>/Doc_0/Signs/Signatures.xml</ofd:Signatures></ofd:DocBody></ofd:OFD>`,
			sigsPath: "Doc_0/Signs/Signatures.xml",
			sigs:     `<ofd:Signatures xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Signature ID="1" Type="Seal" BaseLoc="Sign_0/Signature.xml"/></ofd:Signatures>`,
			sig:      `<ofd:Signature xmlns:ofd="http://www.ofdspec.org/2016"><ofd:SignedInfo><ofd:Provider ProviderName="P"/><ofd:References CheckMethod="sm3"><ofd:Reference FileRef="/Doc_0/Pages/Page_0/Content.xml"><ofd:CheckValue>` + pageCV + `</ofd:CheckValue></ofd:Reference></ofd:References></ofd:SignedInfo><ofd:SignedValue>SignedValue.dat</ofd:SignedValue></ofd:Signature>`,
			provider: "P", method: "sm3",
		},
		"no prefix, default namespace": {
			ofd:      `<OFD xmlns="http://www.ofdspec.org/2016"><DocBody><DocRoot>Doc_0/Document.xml</DocRoot><Signatures>Doc_0/Signs/Signatures.xml</Signatures></DocBody></OFD>`,
			sigsPath: "Doc_0/Signs/Signatures.xml",
			sigs:     `<Signatures xmlns="http://www.ofdspec.org/2016"><Signature ID="1" BaseLoc="/Doc_0/Signs/Sign_0/Signature.xml"/></Signatures>`,
			sig:      `<Signature><SignedInfo><Provider><ProviderName>Q</ProviderName></Provider><References CheckMethod="1.2.156.10197.1.401"><Reference FileRef="../../Pages/Page_0/Content.xml"><CheckValue>` + pageCV + `</CheckValue></Reference></References></SignedInfo><SignedValue>/Doc_0/Signs/Sign_0/SignedValue.dat</SignedValue></Signature>`,
			provider: "Q", method: "1.2.156.10197.1.401",
		},
		"other prefix and namespace, undeclared prefix": {
			ofd:      `<x:OFD xmlns:x="http://www.ofdspec.org"><x:DocBody><x:DocRoot>Doc_0/Document.xml</x:DocRoot><x:Signatures>Doc_0/Signatures.xml</x:Signatures></x:DocBody></x:OFD>`,
			sigsPath: "Doc_0/Signatures.xml",
			sigs:     `<ofd:Signatures><ofd:Signature ID="1" BaseLoc="Doc_0/Signs/Sign_0/Signature.xml"/></ofd:Signatures>`,
			sig:      `<s:Signature xmlns:s="urn:x"><s:SignedInfo><s:Provider s:ProviderName="R"/><s:References CheckMethod="SM3"><s:Reference FileRef="Doc_0/Pages/Page_0/Content.xml"><s:CheckValue>` + pageCV + `</s:CheckValue></s:Reference></s:References></s:SignedInfo><s:SignedValue>Doc_0/Signs/Sign_0/SignedValue.dat</s:SignedValue></s:Signature>`,
			provider: "R", method: "SM3",
		},
		"GBK declaration and BOM": {
			ofd:      "\xef\xbb\xbf" + `<?xml version="1.0" encoding="GBK"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot><ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures></ofd:DocBody></ofd:OFD>`,
			sigsPath: "Doc_0/Signs/Signatures.xml",
			sigs:     `<?xml version="1.0" encoding="gb2312"?><ofd:Signatures xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Signature ID="1" BaseLoc="Sign_0/Signature.xml"/></ofd:Signatures>`,
			sig:      `<?xml version="1.0" encoding="GB18030"?><ofd:Signature xmlns:ofd="http://www.ofdspec.org/2016"><ofd:SignedInfo><ofd:Provider ProviderName="` + "\xb2\xe2\xca\xd4" + `"/><ofd:References CheckMethod="SM3"><ofd:Reference FileRef="/Doc_0/Pages/Page_0/Content.xml"><ofd:CheckValue>` + pageCV + `</ofd:CheckValue></ofd:Reference></ofd:References></ofd:SignedInfo><ofd:SignedValue>SignedValue.dat</ofd:SignedValue></ofd:Signature>`,
			provider: "????", method: "SM3",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := mustOpen(t, handOFD(t, tc.ofd, tc.sigsPath, tc.sigs, tc.sig), Options{})
			if len(d.Signatures) != 1 {
				t.Fatalf("%d signatures", len(d.Signatures))
			}
			r := d.Check()[0]
			s := r.Signature
			if s.Err != nil || s.Path != "Doc_0/Signs/Sign_0/Signature.xml" || r.SignedValuePath != "Doc_0/Signs/Sign_0/SignedValue.dat" {
				t.Fatalf("err %v path %q value %q", s.Err, s.Path, r.SignedValuePath)
			}
			if s.Info.Provider.Name != tc.provider || s.Info.CheckMethod != tc.method {
				t.Errorf("provider %q method %q", s.Info.Provider.Name, s.Info.CheckMethod)
			}
			if !r.ReferencesOK() || r.Kind != KindUnknown || r.OK() {
				t.Errorf("references ok %v kind %s OK %v: %+v", r.ReferencesOK(), r.Kind, r.OK(), r.References)
			}
		})
	}
}

// TestReferenceEdgeCases: a CheckMethod that is not SM3, a CheckValue that is not base64, a FileRef
// that climbs, and a document without References.
func TestReferenceEdgeCases(t *testing.T) {
	const ofd = `<OFD><DocBody><DocRoot>Doc_0/Document.xml</DocRoot><Signatures>Doc_0/Signs/Signatures.xml</Signatures></DocBody></OFD>`
	const sigs = `<Signatures><Signature ID="1" BaseLoc="Sign_0/Signature.xml"/></Signatures>`
	sig := func(method, refs string) string {
		return `<Signature><SignedInfo><References CheckMethod="` + method + `">` + refs +
			`</References></SignedInfo><SignedValue>SignedValue.dat</SignedValue></Signature>`
	}
	ref := func(fileRef, cv string) string {
		return `<Reference FileRef="` + fileRef + `"><CheckValue>` + cv + `</CheckValue></Reference>`
	}
	page := "/Doc_0/Pages/Page_0/Content.xml"
	cases := map[string]struct {
		sig    string
		want   []Status
		detail string
	}{
		"MD5 is unsupported":         {sig(`MD5`, ref(page, b64sm3("page"))), []Status{StatusUnsupported}, "does equal"},
		"SM3 with key is not SM3":    {sig(`1.2.156.10197.1.401.2`, ref(page, "AAAA")), []Status{StatusUnsupported}, "not SM3"},
		"absent CheckMethod":         {sig(``, ref(page, b64sm3("page"))), []Status{StatusUnsupported}, "not SM3"},
		"CheckValue not base64":      {sig(`SM3`, ref(page, "!!!")), []Status{StatusMalformed}, "not base64"},
		"unpadded and wrapped value": {sig(`SM3`, ref(page, strings.TrimRight(b64sm3("page")[:20]+"\n "+b64sm3("page")[20:], "="))), []Status{StatusOK}, ""},
		"FileRef climbs":             {sig(`SM3`, ref("../../../../x", "AAAA")+ref(page, b64sm3("page"))), []Status{StatusMalformed, StatusOK}, "climbs"},
		"wrong digest":               {sig(`SM3`, ref(page, b64sm3("other"))), []Status{StatusMismatch}, "changed after signing"},
		"no references":              {sig(`SM3`, ``), nil, "no References"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := mustOpen(t, handOFD(t, ofd, "Doc_0/Signs/Signatures.xml", sigs, tc.sig), Options{}).Check()[0]
			var got []Status
			for _, rc := range r.References {
				got = append(got, rc.Status)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("statuses %v, want %v: %+v", got, tc.want, r.References)
			}
			if !strings.Contains(strings.Join(r.Notes, "|")+detailsOf(r), tc.detail) {
				t.Errorf("no detail or note mentions %q: %q %q", tc.detail, detailsOf(r), r.Notes)
			}
			if r.ReferencesOK() != (len(tc.want) > 0 && !slices.ContainsFunc(tc.want, func(s Status) bool { return s != StatusOK })) {
				t.Errorf("ReferencesOK() = %v", r.ReferencesOK())
			}
		})
	}
}

func detailsOf(r *SignatureReport) string {
	var b strings.Builder
	for _, rc := range r.References {
		b.WriteString(rc.Detail + "|")
	}
	return b.String()
}
