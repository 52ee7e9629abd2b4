package tsp

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error of Parse and Verify wraps exactly one of them, so that callers map
// failures to result codes with errors.Is; the wrapped message says which field or check failed.
var (
	// ErrMalformed: the bytes are not a TimeStampToken that any implementation could accept — broken
	// DER, a missing mandatory field or signed attribute, trailing data, a SignedData whose content
	// is not a TSTInfo, or input beyond the size and count limits.
	ErrMalformed = errors.New("tsp: malformed timestamp token")
	// ErrUnsupported: the token may well be valid, but it uses something this package does not
	// implement: an outer content type other than signedData, a digest, signature or imprint
	// algorithm other than SM3/SM2 (SHA-256 for the imprint), a TSTInfo version other than 1, a
	// critical TSTInfo extension, or no TSA certificate inside the token. A verifier should report
	// such a token as undetermined, not as invalid.
	ErrUnsupported = errors.New("tsp: unsupported timestamp token")
	// ErrImprintMismatch: the token is for other data — its messageImprint is not the hash of the
	// message Verify was given.
	ErrImprintMismatch = errors.New("tsp: messageImprint does not match the message")
	// ErrSignatureInvalid: the TSA's signature does not cover this TSTInfo — the SM2 signature does
	// not verify, or a signed attribute (messageDigest, content-type, signing-certificate) does not
	// match what it must bind.
	ErrSignatureInvalid = errors.New("tsp: timestamp signature invalid")
	// ErrNotTSA: the signing certificate is not a time-stamping certificate — its extended key usage
	// lacks id-kp-timeStamping, or its key usage allows no signatures.
	ErrNotTSA = errors.New("tsp: signer is not a time-stamping authority")
)

// malformed wraps ErrMalformed with the field that failed.
func malformed(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrMalformed, field, fmt.Sprintf(format, args...))
}

// unsupported wraps ErrUnsupported with the field that failed.
func unsupported(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrUnsupported, field, fmt.Sprintf(format, args...))
}
