package ses

import (
	"errors"
	"fmt"
)

// Sentinel errors. Match with errors.Is.
var (
	// ErrMalformed: the bytes are not a seal or signature in any known layout.
	ErrMalformed = errors.New("ses: malformed structure")
	// ErrNotSES: the bytes are a GM/T 0010 / PKCS#7 SignedData, not an SES structure.
	ErrNotSES = errors.New("ses: not an SES structure (PKCS#7 / GM/T 0010 SignedData)")
	// ErrNoMakerCert: the seal carries no maker certificate that could be read.
	ErrNoMakerCert = errors.New("ses: seal has no readable maker certificate")
	// ErrUnsupportedCertList: certListType 2 with a digest type this package cannot compute.
	ErrUnsupportedCertList = errors.New("ses: unsupported certificate digest type")
	// ErrAlgorithm: a signature algorithm other than SM2-with-SM3.
	ErrAlgorithm = errors.New("ses: unsupported signature algorithm")
)

// FormatError says which field of which structure could not be read. It wraps ErrMalformed.
type FormatError struct {
	Field string // e.g. "SES_SealInfo.property.validEnd"
	Msg   string
}

func (e *FormatError) Error() string { return fmt.Sprintf("ses: %s: %s", e.Field, e.Msg) }

// Unwrap makes errors.Is(err, ErrMalformed) true.
func (e *FormatError) Unwrap() error { return ErrMalformed }

func malformed(field, format string, args ...any) error {
	return &FormatError{Field: field, Msg: fmt.Sprintf(format, args...)}
}
