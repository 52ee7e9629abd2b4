package ofd

import (
	"errors"
	"io"
	"os"
	"strings"
)

// Document is an opened OFD package: its documents and every signature their Signatures.xml files
// list. It is immutable after Open and safe for concurrent use; Check may run from several goroutines.
type Document struct {
	// Bodies are the DocBody entries of OFD.xml, in order.
	Bodies []Body
	// Signatures are the signatures of every Signatures.xml, in document order, then listing order.
	Signatures []*Signature

	arc    *archive
	closer io.Closer
}

// Body is one DocBody of OFD.xml, with its paths resolved to archive names.
type Body struct {
	DocRoot        string // archive path of the document's Document.xml
	SignaturesPath string // archive path of its Signatures.xml; empty when the document is unsigned
}

// Signature is one entry of a Signatures.xml and, when it could be read, its Signature.xml.
type Signature struct {
	Doc            int    // index into Document.Bodies
	SignaturesPath string // archive path of the Signatures.xml that lists it
	ID             string // the ID attribute
	// Type is "Seal" (an electronic seal signature, 电子签章) or "Sign" (a plain digital signature),
	// as written. When the attribute is absent it is "Seal", the GB/T 33190 default, and TypeAbsent
	// is true.
	Type       string
	TypeAbsent bool
	BaseLoc    string // the BaseLoc attribute as written
	// Path is the archive path of Signature.xml; it is the best candidate even when the file is
	// missing (Err then says so), and empty when BaseLoc is not a usable path.
	Path string
	// XML is the exact bytes of Signature.xml: what an SES dataHash covers.
	XML  []byte
	Info SignedInfo
	// SignedValueLoc is the SignedValue element as written: the path of SignedValue.dat.
	SignedValueLoc string
	// Err says why Signature.xml could not be read or parsed (ErrMissingFile, ErrMalformedXML,
	// ErrBadPath, ErrTooLarge, ErrCorrupt). Info and XML are then incomplete.
	Err error
}

// Open reads an OFD package with the default Options. r must stay readable until the Document is
// no longer used.
func Open(r io.ReaderAt, size int64) (*Document, error) {
	return OpenWithOptions(r, size, Options{})
}

// OpenWithOptions reads an OFD package within the limits of opts: the central directory, OFD.xml,
// each document's Signatures.xml and every Signature.xml they list. Problems with the container
// (not a zip, no OFD.xml, a bad entry name, a limit) fail Open; a Signature.xml that cannot be read
// is recorded in that Signature's Err, so the other signatures can still be checked.
func OpenWithOptions(r io.ReaderAt, size int64, opts Options) (*Document, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	arc, err := openArchive(r, size, opts)
	if err != nil {
		return nil, err
	}
	d := &Document{arc: arc}
	b := &budget{left: opts.MaxTotalSize}
	if err := d.readBodies(b); err != nil {
		return nil, err
	}
	for i := range d.Bodies {
		if err := d.readSignatures(i, b); err != nil {
			return nil, err
		}
	}
	refs := 0
	for _, s := range d.Signatures {
		d.readSignatureXML(s, b)
		if refs += len(s.Info.References); refs > opts.MaxReferences {
			return nil, fileErr(ErrTooLarge, s.Path, "the signatures list more than %d References", opts.MaxReferences)
		}
	}
	return d, nil
}

// OpenFile opens the OFD file at name with the default Options. Close the Document when done.
func OpenFile(name string) (*Document, error) { return OpenFileWithOptions(name, Options{}) }

// OpenFileWithOptions opens the OFD file at name within the limits of opts.
func OpenFileWithOptions(name string, opts Options) (*Document, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	d, err := OpenWithOptions(f, st.Size(), opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	d.closer = f
	return d, nil
}

// Close releases the file OpenFile opened. It is a no-op for a Document made by Open.
func (d *Document) Close() error {
	if d.closer == nil {
		return nil
	}
	err := d.closer.Close()
	d.closer = nil
	return err
}

const ofdXML = "OFD.xml"

func (d *Document) readBodies(b *budget) error {
	if !d.arc.has(ofdXML) {
		return fileErr(ErrNoOFDXML, ofdXML, "the archive has no OFD.xml at its root")
	}
	data, err := d.arc.read(ofdXML, d.arc.opts.MaxXMLSize, b)
	if err != nil {
		return err
	}
	var x xmlOFD
	if err := decodeXML(ofdXML, data, &x); err != nil {
		return err
	}
	for _, body := range x.Bodies {
		if strings.TrimSpace(body.DocRoot) == "" {
			continue
		}
		root, err := d.arc.locate(ofdXML, body.DocRoot)
		if err != nil {
			return err
		}
		var sigs string
		if strings.TrimSpace(body.Signatures) != "" {
			if sigs, err = d.arc.locate(ofdXML, body.Signatures); err != nil {
				return err
			}
		}
		d.Bodies = append(d.Bodies, Body{DocRoot: root, SignaturesPath: sigs})
	}
	if len(d.Bodies) == 0 {
		return fileErr(ErrNoDocument, ofdXML, "no DocBody with a DocRoot")
	}
	return nil
}

// readSignatures lists the signatures of document i. A Signatures.xml that two DocBody entries
// share is listed once.
func (d *Document) readSignatures(i int, b *budget) error {
	p := d.Bodies[i].SignaturesPath
	if p == "" {
		return nil
	}
	for _, prev := range d.Bodies[:i] {
		if prev.SignaturesPath == p {
			return nil
		}
	}
	data, err := d.arc.read(p, d.arc.opts.MaxXMLSize, b)
	if err != nil {
		return err
	}
	var x xmlSignatures
	if err := decodeXML(p, data, &x); err != nil {
		return err
	}
	if len(d.Signatures)+len(x.Signatures) > d.arc.opts.MaxSignatures {
		return fileErr(ErrTooLarge, p, "more than %d signatures", d.arc.opts.MaxSignatures)
	}
	for _, e := range x.Signatures {
		s := &Signature{
			Doc: i, SignaturesPath: p,
			ID: strings.TrimSpace(e.ID), Type: strings.TrimSpace(e.Type), BaseLoc: e.BaseLoc,
		}
		if s.Type == "" {
			s.Type, s.TypeAbsent = "Seal", true
		}
		s.Path, s.Err = d.arc.locate(p, e.BaseLoc)
		d.Signatures = append(d.Signatures, s)
	}
	return nil
}

func (d *Document) readSignatureXML(s *Signature, b *budget) {
	if s.Err != nil {
		return
	}
	data, err := d.arc.read(s.Path, d.arc.opts.MaxXMLSize, b)
	if err != nil {
		s.Err = err
		return
	}
	s.XML = data
	var x xmlSignature
	if err := decodeXML(s.Path, data, &x); err != nil {
		s.Err = err
		return
	}
	s.Info = parseSignedInfo(&x)
	if x.SignedValue == nil || strings.TrimSpace(*x.SignedValue) == "" {
		s.Err = fileErr(ErrMalformedXML, s.Path, "no SignedValue element")
		return
	}
	s.SignedValueLoc = strings.TrimSpace(*x.SignedValue)
}

// errIs reports whether err wraps target; a nil-safe shorthand used by the checks.
func errIs(err, target error) bool { return err != nil && errors.Is(err, target) }
