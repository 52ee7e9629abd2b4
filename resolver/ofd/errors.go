package ofd

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error Open, OpenFile and their variants return, and every Err of a Signature
// or SignatureReport, wraps exactly one of them, nearly always through a *FileError (OpenFile may
// also return the *fs.PathError of os.Open); match with errors.Is. The sentinels are stable: callers may map them to result codes.
var (
	// ErrNotZip: the input is not a readable zip archive (no end-of-central-directory record, a
	// truncated or inconsistent directory).
	ErrNotZip = errors.New("ofd: not a zip archive")

	// ErrNoOFDXML: the archive has no OFD.xml at its root.
	ErrNoOFDXML = errors.New("ofd: no OFD.xml at the archive root")

	// ErrNoDocument: OFD.xml names no document (no DocBody with a DocRoot).
	ErrNoDocument = errors.New("ofd: OFD.xml names no document")

	// ErrTooLarge: a limit of Options was exceeded: too many entries, an entry or an XML file larger
	// than allowed, more uncompressed bytes than one operation may read, too many signatures or
	// References.
	ErrTooLarge = errors.New("ofd: limit exceeded")

	// ErrBadPath: an entry name or a path inside the XML is unusable: it climbs above the archive
	// root with "..", holds a NUL byte, is empty, or names the same entry as another entry.
	ErrBadPath = errors.New("ofd: bad path")

	// ErrMissingFile: a path named by the XML (DocRoot, Signatures, BaseLoc, SignedValue, Seal
	// BaseLoc, a Reference FileRef) is not in the archive.
	ErrMissingFile = errors.New("ofd: file missing from the archive")

	// ErrMalformedXML: an XML file cannot be parsed, has the wrong root element, or lacks an element
	// the binding needs (e.g. Signature.xml without SignedValue).
	ErrMalformedXML = errors.New("ofd: malformed XML")

	// ErrCorrupt: an entry cannot be decompressed (unknown method, bad deflate stream) or fails its
	// CRC-32.
	ErrCorrupt = errors.New("ofd: corrupt zip entry")

	// ErrBadOptions: an Options field is negative.
	ErrBadOptions = errors.New("ofd: invalid options")

	// ErrBadSpec: a WriteSpec that Write cannot honour (a signature without a Sign callback).
	ErrBadSpec = errors.New("ofd: invalid WriteSpec")
)

// FileError is the typed error of this package: which file (archive path, or the path as written
// when it could not be resolved), which sentinel, and why. errors.Is matches the sentinel and, when
// there is one, the underlying cause (an *xml.SyntaxError, a zip error).
type FileError struct {
	Path  string // archive path of the file concerned; empty when the error is about the archive
	Err   error  // one of the sentinels above
	Msg   string // what exactly went wrong
	Cause error  // the underlying error, if any
}

func (e *FileError) Error() string {
	s := "ofd: error"
	if e.Err != nil {
		s = e.Err.Error()
	}
	if e.Path != "" {
		s += ": " + e.Path
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap returns the sentinel and the cause.
func (e *FileError) Unwrap() []error {
	var out []error
	for _, err := range []error{e.Err, e.Cause} {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

func fileErr(sentinel error, path string, format string, args ...any) *FileError {
	return &FileError{Path: path, Err: sentinel, Msg: fmt.Sprintf(format, args...)}
}

func fileErrCause(sentinel error, path string, cause error, format string, args ...any) *FileError {
	return &FileError{Path: path, Err: sentinel, Msg: fmt.Sprintf(format, args...), Cause: cause}
}
