package ofd

import "fmt"

// Default limits. They are generous for real e-invoices and official documents (tens of kilobytes to
// a few megabytes) and small enough that a hostile archive cannot exhaust a gateway's memory.
const (
	DefaultMaxEntries    = 10_000
	DefaultMaxEntrySize  = 64 << 20  // 64 MiB
	DefaultMaxTotalSize  = 256 << 20 // 256 MiB
	DefaultMaxXMLSize    = 8 << 20   // 8 MiB
	DefaultMaxSignatures = 1_000
	DefaultMaxReferences = 100_000
)

// Options bounds the work Open and Check may do. A zero field takes its default; a negative field is
// an error (ErrBadOptions). Sizes are uncompressed bytes actually read, counted while streaming:
// the sizes a zip header declares are never trusted.
type Options struct {
	// MaxEntries is the most entries (files and directories) the archive may hold.
	MaxEntries int
	// MaxEntrySize is the most bytes any one entry may decompress to.
	MaxEntrySize int64
	// MaxTotalSize is the most uncompressed bytes one operation may read in total: Open (OFD.xml,
	// the Signatures.xml files, every Signature.xml) is one operation, each call of Check another.
	MaxTotalSize int64
	// MaxXMLSize is the most bytes an XML file may have to be parsed.
	MaxXMLSize int64
	// MaxSignatures is the most signatures all Signatures.xml files together may list.
	MaxSignatures int
	// MaxReferences is the most References all Signature.xml files together may list. It bounds the
	// number of entries Check opens, which the byte limits alone do not (empty files cost nothing).
	MaxReferences int
}

// DefaultOptions returns the defaults spelled out.
func DefaultOptions() Options {
	return Options{
		MaxEntries:    DefaultMaxEntries,
		MaxEntrySize:  DefaultMaxEntrySize,
		MaxTotalSize:  DefaultMaxTotalSize,
		MaxXMLSize:    DefaultMaxXMLSize,
		MaxSignatures: DefaultMaxSignatures,
		MaxReferences: DefaultMaxReferences,
	}
}

// Validate reports a negative field.
func (o Options) Validate() error {
	fields := []struct {
		name string
		v    int64
	}{
		{"MaxEntries", int64(o.MaxEntries)},
		{"MaxEntrySize", o.MaxEntrySize},
		{"MaxTotalSize", o.MaxTotalSize},
		{"MaxXMLSize", o.MaxXMLSize},
		{"MaxSignatures", int64(o.MaxSignatures)},
		{"MaxReferences", int64(o.MaxReferences)},
	}
	for _, f := range fields {
		if f.v < 0 {
			return fmt.Errorf("%w: %s is %d", ErrBadOptions, f.name, f.v)
		}
	}
	return nil
}

// withDefaults fills the zero fields.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.MaxEntries == 0 {
		o.MaxEntries = d.MaxEntries
	}
	if o.MaxEntrySize == 0 {
		o.MaxEntrySize = d.MaxEntrySize
	}
	if o.MaxTotalSize == 0 {
		o.MaxTotalSize = d.MaxTotalSize
	}
	if o.MaxXMLSize == 0 {
		o.MaxXMLSize = d.MaxXMLSize
	}
	if o.MaxSignatures == 0 {
		o.MaxSignatures = d.MaxSignatures
	}
	if o.MaxReferences == 0 {
		o.MaxReferences = d.MaxReferences
	}
	return o
}
