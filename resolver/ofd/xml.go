package ofd

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
)

// The OFD namespace is http://www.ofdspec.org/2016 with the prefix "ofd:", but real files also use
// http://www.ofdspec.org (Shandong), other prefixes, or none. The struct tags below carry no namespace,
// so encoding/xml matches on local names only, whatever the namespace or prefix.

type xmlOFD struct {
	XMLName xml.Name `xml:"OFD"`
	Bodies  []struct {
		DocRoot    string `xml:"DocRoot"`
		Signatures string `xml:"Signatures"`
	} `xml:"DocBody"`
}

type xmlSignatures struct {
	XMLName    xml.Name `xml:"Signatures"`
	Signatures []struct {
		ID      string `xml:"ID,attr"`
		Type    string `xml:"Type,attr"`
		BaseLoc string `xml:"BaseLoc,attr"`
	} `xml:"Signature"`
}

type xmlSignature struct {
	XMLName    xml.Name `xml:"Signature"`
	SignedInfo struct {
		Provider struct {
			// GB/T 33190 puts these in attributes; dms360 writes child elements.
			Name      string `xml:"ProviderName,attr"`
			Company   string `xml:"Company,attr"`
			Version   string `xml:"Version,attr"`
			NameEl    string `xml:"ProviderName"`
			CompanyEl string `xml:"Company"`
			VersionEl string `xml:"Version"`
		} `xml:"Provider"`
		SignatureMethod   string `xml:"SignatureMethod"`
		SignatureDateTime string `xml:"SignatureDateTime"`
		References        struct {
			CheckMethod string `xml:"CheckMethod,attr"`
			References  []struct {
				FileRef    string `xml:"FileRef,attr"`
				CheckValue string `xml:"CheckValue"`
			} `xml:"Reference"`
		} `xml:"References"`
		StampAnnots []StampAnnot `xml:"StampAnnot"`
		Seal        struct {
			BaseLoc string `xml:"BaseLoc"`
		} `xml:"Seal"`
	} `xml:"SignedInfo"`
	SignedValue *string `xml:"SignedValue"`
}

// SignedInfo is the parsed SignedInfo of a Signature.xml. Strings are as written, trimmed of
// surrounding white space; paths are not resolved.
type SignedInfo struct {
	Provider          Provider
	SignatureMethod   string // 1.2.156.10197.1.501 (SM2) in every sample
	SignatureDateTime string // free form: "2020-01-25 15:31:56", "20200817111329Z", "20201010151120" …
	CheckMethod       string // the References CheckMethod attribute
	References        []Reference
	StampAnnots       []StampAnnot
	SealBaseLoc       string // Seal/BaseLoc: the path of Seal.esl; empty when there is none
}

// Provider is SignedInfo/Provider, read from attributes or, failing that, child elements.
type Provider struct {
	Name    string
	Company string
	Version string
}

// Reference is one References/Reference: the file it covers and its CheckValue, both as written.
type Reference struct {
	FileRef    string
	CheckValue string // base64 of the digest
}

// StampAnnot is one SignedInfo/StampAnnot: where the seal appears. Boundary and Clip are the box
// strings as written ("x y w h", millimetres).
type StampAnnot struct {
	ID       string `xml:"ID,attr"`
	PageRef  string `xml:"PageRef,attr"`
	Boundary string `xml:"Boundary,attr"`
	Clip     string `xml:"Clip,attr"`
}

// decodeXML parses data (the file name) into v. Any non-UTF-8 encoding declaration is read as
// ASCII with the other bytes replaced: the structure of OFD XML is ASCII, and the bytes that are
// hashed are the raw bytes, never the decoded text.
func decodeXML(name string, data []byte, v any) error {
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	d.CharsetReader = asciiCharsetReader
	if err := d.Decode(v); err != nil {
		return fileErrCause(ErrMalformedXML, name, err, "cannot parse")
	}
	return nil
}

func asciiCharsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return in, nil
	}
	return asciiReader{in}, nil
}

// asciiReader replaces every byte above 0x7F with '?'. In GBK/GB18030 no byte of a multi-byte
// character is a quote, an ampersand or an angle bracket, so the markup survives.
type asciiReader struct{ r io.Reader }

func (a asciiReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	for i := range p[:n] {
		if p[i] >= 0x80 {
			p[i] = '?'
		}
	}
	return n, err
}

func parseSignedInfo(x *xmlSignature) SignedInfo {
	si := &x.SignedInfo
	p := si.Provider
	info := SignedInfo{
		Provider: Provider{
			Name:    firstNonEmpty(p.Name, p.NameEl),
			Company: firstNonEmpty(p.Company, p.CompanyEl),
			Version: firstNonEmpty(p.Version, p.VersionEl),
		},
		SignatureMethod:   strings.TrimSpace(si.SignatureMethod),
		SignatureDateTime: strings.TrimSpace(si.SignatureDateTime),
		CheckMethod:       strings.TrimSpace(si.References.CheckMethod),
		StampAnnots:       si.StampAnnots,
		SealBaseLoc:       strings.TrimSpace(si.Seal.BaseLoc),
	}
	for _, r := range si.References.References {
		info.References = append(info.References, Reference{
			FileRef:    strings.TrimSpace(r.FileRef),
			CheckValue: strings.TrimSpace(r.CheckValue),
		})
	}
	return info
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
