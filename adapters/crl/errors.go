package crl

import (
	"fmt"

	"github.com/sealhub/sealhub/adapters"
)

// AuthError is the region refusing sealhub's API key (HTTP 401 or 403). It wraps
// adapters.ErrUnavailable.
type AuthError struct {
	Issuer     string
	HTTPStatus int
	// WithKey is whether an API key was sent (the key itself is a secret and is never shown).
	WithKey bool
	Message string // the start of the region's reply
}

func (e *AuthError) Error() string {
	sent := "the API key"
	if !e.WithKey {
		sent = "a request without an API key"
	}
	s := fmt.Sprintf("crl: region %s refused %s (HTTP %d", e.Issuer, sent, e.HTTPStatus)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s + ")"
}

func (e *AuthError) Unwrap() error { return adapters.ErrUnavailable }

// SignatureReason says why a list's signature was refused.
type SignatureReason int

// Reasons a list's signature is refused.
const (
	// SignatureUnknownKey: the document names a key id that is not configured for the region.
	SignatureUnknownKey SignatureReason = iota + 1
	// SignatureEncoding: the signature is not base64 of a DER SEQUENCE{r, s} (or raw 64-byte r‖s).
	SignatureEncoding
	// SignatureInvalid: the signature does not verify over the list bytes under the key.
	SignatureInvalid
)

func (r SignatureReason) String() string {
	switch r {
	case SignatureUnknownKey:
		return "unknown key id"
	case SignatureEncoding:
		return "undecodable signature"
	case SignatureInvalid:
		return "signature does not verify"
	default:
		return fmt.Sprintf("SignatureReason(%d)", int(r))
	}
}

// SignatureError is a list document whose signature is refused. It wraps adapters.ErrMalformed.
type SignatureError struct {
	Issuer string
	KeyID  string
	Reason SignatureReason
}

func (e *SignatureError) Error() string {
	return fmt.Sprintf("crl: region %s: list signature by key id %q: %s", e.Issuer, e.KeyID, e.Reason)
}

func (e *SignatureError) Unwrap() error { return adapters.ErrMalformed }
