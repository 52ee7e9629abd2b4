package ofd

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"

	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// WriteSpec describes the minimal OFD that Write produces: OFD.xml, Doc_0/Document.xml, one page
// (Doc_0/Pages/Page_0/Content.xml), then one Doc_0/Signs/Sign_N/ folder per signature and finally
// Doc_0/Signs/Signatures.xml. It exists so that tests elsewhere can make signed OFDs.
type WriteSpec struct {
	// PageContent is the page's Content.xml; a one-line text page when nil.
	PageContent []byte
	Signatures  []SignSpec
}

// SignSpec describes one signature. Signature N (from 0) references, with CheckValue =
// base64(SM3(file)), every file written before it — OFD.xml, Document.xml, Content.xml and the
// Sign_0 … Sign_N-1 files — and its own Seal.esl; Signatures.xml, written last, is not covered.
type SignSpec struct {
	Type     string   // "Seal" (the default) or "Sign"
	Provider Provider // defaults to sealhub/ofd
	// CheckMethod is written on References; OIDSM3 by default. The CheckValues are SM3 whatever it
	// says: another method only serves to test that a reader refuses it.
	CheckMethod       string
	SignatureDateTime string // written as given; "2026-01-01 00:00:00" by default
	// Seal, when not nil, is written as Sign_N/Seal.esl, named in Seal/BaseLoc and referenced.
	Seal []byte
	// Sign receives the exact bytes of Signature.xml and returns SignedValue.dat: for an SES
	// signature, an SES_Signature whose dataHash is SM3(signatureXML) and whose propertyInfo is
	// SignatureXMLPath(N).
	Sign func(signatureXML []byte) (signedValue []byte, err error)
}

// SignatureXMLPath is the absolute package path Write gives signature n's Signature.xml, as
// propertyInfo should name it.
func SignatureXMLPath(n int) string { return "/Doc_0/Signs/Sign_" + strconv.Itoa(n) + "/Signature.xml" }

const ns = `xmlns:ofd="http://www.ofdspec.org/2016"`

// Write writes the OFD spec describes to w as a zip.
func Write(w io.Writer, spec WriteSpec) error {
	type file struct {
		name string
		data []byte
	}
	var files []file
	add := func(name string, data []byte) { files = append(files, file{name, data}) }

	signatures := ""
	if len(spec.Signatures) > 0 {
		signatures = `<ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures>`
	}
	add("OFD.xml", []byte(xml.Header+`<ofd:OFD `+ns+` Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo>`+
		`<ofd:DocID>0123456789abcdef0123456789abcdef</ofd:DocID><ofd:Creator>sealhub</ofd:Creator></ofd:DocInfo>`+
		`<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>`+signatures+`</ofd:DocBody></ofd:OFD>`))
	add("Doc_0/Document.xml", []byte(xml.Header+`<ofd:Document `+ns+`><ofd:CommonData><ofd:MaxUnitID>10</ofd:MaxUnitID>`+
		`<ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData>`+
		`<ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>`))
	page := spec.PageContent
	if page == nil {
		page = []byte(xml.Header + `<ofd:Page ` + ns + `><ofd:Content><ofd:Layer ID="2"><ofd:TextObject ID="3" ` +
			`Boundary="20 20 170 10" Font="4" Size="5"><ofd:TextCode X="0" Y="5">sealhub test page</ofd:TextCode>` +
			`</ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>`)
	}
	add("Doc_0/Pages/Page_0/Content.xml", page)

	var list bytes.Buffer
	list.WriteString(xml.Header + `<ofd:Signatures ` + ns + `><ofd:MaxSignId>` + strconv.Itoa(len(spec.Signatures)) + `</ofd:MaxSignId>`)
	for i, s := range spec.Signatures {
		if s.Sign == nil {
			return fmt.Errorf("%w: signature %d has no Sign callback", ErrBadSpec, i)
		}
		dir := "Doc_0/Signs/Sign_" + strconv.Itoa(i) + "/"
		if s.Seal != nil {
			add(dir+"Seal.esl", s.Seal)
		}
		refs := make([]string, len(files))
		for j, f := range files {
			refs[j] = f.name
		}
		sigXML := signatureXML(s, i, dir, refs, func(name string) []byte {
			for _, f := range files {
				if f.name == name {
					return f.data
				}
			}
			return nil
		})
		add(dir+"Signature.xml", sigXML)
		value, err := s.Sign(sigXML)
		if err != nil {
			return fmt.Errorf("ofd: Write: signature %d: %w", i, err)
		}
		add(dir+"SignedValue.dat", value)
		typ := s.Type
		if typ == "" {
			typ = "Seal"
		}
		fmt.Fprintf(&list, `<ofd:Signature ID="%d" Type="%s" BaseLoc="/%sSignature.xml"/>`, i+1, escape(typ), dir)
	}
	list.WriteString(`</ofd:Signatures>`)
	if len(spec.Signatures) > 0 {
		add("Doc_0/Signs/Signatures.xml", list.Bytes())
	}

	zw := zip.NewWriter(w)
	for _, f := range files {
		fw, err := zw.Create(f.name)
		if err != nil {
			return fmt.Errorf("ofd: Write: %w", err)
		}
		if _, err := fw.Write(f.data); err != nil {
			return fmt.Errorf("ofd: Write: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("ofd: Write: %w", err)
	}
	return nil
}

// signatureXML renders Sign_N/Signature.xml with References over refs.
func signatureXML(s SignSpec, n int, dir string, refs []string, content func(string) []byte) []byte {
	p := s.Provider
	if p == (Provider{}) {
		p = Provider{Name: "sealhub/ofd", Company: "sealhub", Version: "1.0"}
	}
	method := s.CheckMethod
	if method == "" {
		method = OIDSM3
	}
	when := s.SignatureDateTime
	if when == "" {
		when = "2026-01-01 00:00:00"
	}
	var b bytes.Buffer
	b.WriteString(xml.Header + `<ofd:Signature ` + ns + `><ofd:SignedInfo>`)
	fmt.Fprintf(&b, `<ofd:Provider ProviderName="%s" Company="%s" Version="%s"/>`, escape(p.Name), escape(p.Company), escape(p.Version))
	fmt.Fprintf(&b, `<ofd:SignatureMethod>%s</ofd:SignatureMethod>`, smcrypto.OIDSM2WithSM3)
	fmt.Fprintf(&b, `<ofd:SignatureDateTime>%s</ofd:SignatureDateTime>`, escape(when))
	fmt.Fprintf(&b, `<ofd:References CheckMethod="%s">`, escape(method))
	for _, name := range refs {
		sum := smcrypto.SM3(content(name))
		fmt.Fprintf(&b, `<ofd:Reference FileRef="/%s"><ofd:CheckValue>%s</ofd:CheckValue></ofd:Reference>`,
			escape(name), base64.StdEncoding.EncodeToString(sum[:]))
	}
	b.WriteString(`</ofd:References>`)
	fmt.Fprintf(&b, `<ofd:StampAnnot ID="%d" PageRef="1" Boundary="%d 50 40 40"/>`, 100+n, 20+45*(n%3))
	if s.Seal != nil {
		fmt.Fprintf(&b, `<ofd:Seal><ofd:BaseLoc>/%sSeal.esl</ofd:BaseLoc></ofd:Seal>`, dir)
	}
	fmt.Fprintf(&b, `</ofd:SignedInfo><ofd:SignedValue>/%sSignedValue.dat</ofd:SignedValue></ofd:Signature>`, dir)
	return b.Bytes()
}

func escape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s)) // writes to a bytes.Buffer cannot fail
	return b.String()
}
