package main

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"time"

	"github.com/sealhub/sealhub/resolver/ofd"
	"github.com/sealhub/sealhub/trustlist/ses"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
	"github.com/spf13/cobra"
)

// sealView and friends are what inspect prints: the decoded structure, no verdict.
type sealView struct {
	Format       string      `json:"format"`
	Vid          string      `json:"vid"`
	Code         string      `json:"code"`
	Name         string      `json:"name"`
	Type         int         `json:"type"`
	CertListType int         `json:"cert_list_type"`
	CreateDate   time.Time   `json:"create_date"`
	ValidStart   time.Time   `json:"valid_start"`
	ValidEnd     time.Time   `json:"valid_end"`
	Picture      string      `json:"picture"`
	Maker        *certView   `json:"maker,omitempty"`
	Signers      []*certView `json:"signers"`
	SM3          string      `json:"sm3"`
	Quirks       []string    `json:"quirks,omitempty"`
}

type certView struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	SM3       string    `json:"fingerprint_sm3"`
	Lenient   bool      `json:"lenient_parse,omitempty"`
	Error     string    `json:"error,omitempty"`
}

type signatureView struct {
	Format       string    `json:"format"`
	SigningTime  string    `json:"time_info"`
	PropertyInfo string    `json:"property_info"`
	DataHash     string    `json:"data_hash"`
	Signer       *certView `json:"signer"`
	Seal         *sealView `json:"seal"`
	TimeStamp    bool      `json:"has_timestamp"`
	Quirks       []string  `json:"quirks,omitempty"`
}

type inspectView struct {
	File      string         `json:"file"`
	Kind      string         `json:"kind"` // seal | signature | pkcs7 | ofd | unknown
	Seal      *sealView      `json:"seal,omitempty"`
	Signature *signatureView `json:"signature,omitempty"`
	OFD       []ofdSigView   `json:"ofd_signatures,omitempty"`
	Error     string         `json:"error,omitempty"`
}

type ofdSigView struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	Path      string         `json:"signature_path"`
	Kind      string         `json:"signature_kind"`
	Signature *signatureView `json:"signature,omitempty"`
}

func (e *env) inspectCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect FILE",
		Short: "Show what a seal, seal signature or OFD file contains, without verifying it",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			data, err := readInput(args[0])
			if err != nil {
				return err
			}
			v := inspect(args[0], data)
			if asJSON {
				if err := writeJSON(e.stdout, v); err != nil {
					return err
				}
			} else {
				writeInspectText(e.stdout, v)
			}
			if v.Kind == "unknown" || v.Error != "" {
				return &exitError{code: exitInvalid} // nothing (or not all) could be decoded
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func inspect(name string, data []byte) *inspectView {
	v := &inspectView{File: name, Kind: "unknown"}
	if block, _ := pem.Decode(data); block != nil {
		data = block.Bytes
	} else if b, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(data))); err == nil && len(b) > 0 {
		data = b
	}
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		v.Kind = "ofd"
		doc, err := ofd.Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			v.Error = err.Error()
			return v
		}
		for _, r := range doc.Check() {
			sv := ofdSigView{ID: r.Signature.ID, Type: r.Signature.Type, Path: r.Signature.Path, Kind: string(r.Kind)}
			if r.SES != nil {
				sv.Signature = signatureOf(r.SES)
			}
			v.OFD = append(v.OFD, sv)
		}
		return v
	}
	v.Kind = ses.Detect(data).String()
	switch v.Kind {
	case "seal":
		s, err := ses.ParseSeal(data)
		if err != nil {
			v.Error = err.Error()
			return v
		}
		v.Seal = sealOf(s)
	case "signature":
		s, err := ses.ParseSignature(data)
		if err != nil {
			v.Error = err.Error()
			return v
		}
		v.Signature = signatureOf(s)
	case "pkcs7":
		v.Error = "a GM/T 0010 / PKCS#7 ContentInfo: not an SES structure"
	}
	return v
}

func sealOf(s *ses.Seal) *sealView {
	sv := &sealView{
		Format: s.Version.String(), Vid: s.Header.Vid, Code: s.ESID, Name: s.Name, Type: s.Type, CertListType: s.CertListType,
		CreateDate: s.CreateDate, ValidStart: s.ValidStart, ValidEnd: s.ValidEnd,
		Picture: fmt.Sprintf("%s, %d bytes, %d×%d mm", s.Picture.Type, len(s.Picture.Data), s.Picture.Width, s.Picture.Height),
		SM3:     smcrypto.SM3Hex(s.Raw), Quirks: s.Quirks, Signers: []*certView{},
	}
	if len(s.MakerCert) > 0 {
		sv.Maker = certOf(s.MakerCert)
	}
	for _, c := range s.CertList {
		sv.Signers = append(sv.Signers, certOf(c))
	}
	return sv
}

func signatureOf(s *ses.Signature) *signatureView {
	return &signatureView{
		Format: s.Version.String(), SigningTime: s.TimeInfoRaw, PropertyInfo: s.PropertyInfo,
		DataHash: fmt.Sprintf("%x", s.DataHash), Signer: certOf(s.SignerCert), Seal: sealOf(s.Seal),
		TimeStamp: len(s.TimeStamp) > 0, Quirks: s.Quirks,
	}
}

func certOf(der []byte) *certView {
	c, err := smcrypto.ParseCertificate(der)
	if err != nil {
		return &certView{Error: err.Error()}
	}
	return &certView{Subject: c.Subject, Issuer: c.Issuer, NotBefore: c.NotBefore, NotAfter: c.NotAfter, SM3: c.Fingerprint(), Lenient: c.Lenient}
}

func writeInspectText(w io.Writer, v *inspectView) {
	fmt.Fprintf(w, "%s: %s\n", v.File, v.Kind)
	if v.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", v.Error)
	}
	if v.Seal != nil {
		writeSealText(w, v.Seal, "  ")
	}
	if v.Signature != nil {
		writeSignatureText(w, v.Signature, "  ")
	}
	for i, s := range v.OFD {
		fmt.Fprintf(w, "  [%d] %s  id %s, type %s, %s\n", i+1, s.Path, s.ID, s.Type, s.Kind)
		if s.Signature != nil {
			writeSignatureText(w, s.Signature, "      ")
		}
	}
}

func writeSealText(w io.Writer, s *sealView, in string) {
	fmt.Fprintf(w, "%sseal %s %s (%s, vid %s, type %d)\n", in, s.Code, s.Name, s.Format, s.Vid, s.Type)
	fmt.Fprintf(w, "%s  made %s, valid %s – %s\n", in, ts(s.CreateDate), ts(s.ValidStart), ts(s.ValidEnd))
	fmt.Fprintf(w, "%s  picture %s; SM3 %s\n", in, s.Picture, s.SM3)
	if s.Maker != nil {
		fmt.Fprintf(w, "%s  maker  %s (issuer %s, %s – %s)\n", in, s.Maker.Subject, s.Maker.Issuer, ts(s.Maker.NotBefore), ts(s.Maker.NotAfter))
	}
	for _, c := range s.Signers {
		fmt.Fprintf(w, "%s  signer %s (issuer %s, %s – %s)\n", in, c.Subject, c.Issuer, ts(c.NotBefore), ts(c.NotAfter))
	}
	for _, q := range s.Quirks {
		fmt.Fprintf(w, "%s  quirk: %s\n", in, q)
	}
}

func writeSignatureText(w io.Writer, s *signatureView, in string) {
	fmt.Fprintf(w, "%ssignature %s, timeInfo %s, propertyInfo %s\n", in, s.Format, s.SigningTime, s.PropertyInfo)
	fmt.Fprintf(w, "%s  dataHash %s\n", in, s.DataHash)
	if s.Signer != nil {
		fmt.Fprintf(w, "%s  signed by %s (issuer %s)\n", in, s.Signer.Subject, s.Signer.Issuer)
	}
	for _, q := range s.Quirks {
		fmt.Fprintf(w, "%s  quirk: %s\n", in, q)
	}
	writeSealText(w, s.Seal, in+"  ")
}
