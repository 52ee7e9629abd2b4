package signedjson

import (
	"fmt"

	"github.com/sealhub/sealhub/adapters"
)

// AuthError is the region refusing sealhub's API key (HTTP 401 or 403). It wraps
// adapters.ErrUnavailable. It never holds the key.
type AuthError struct {
	Endpoint   string // the region's host
	HTTPStatus int
	KeySent    bool // whether sealhub sent an API key at all
}

func (e *AuthError) Error() string {
	if !e.KeySent {
		return fmt.Sprintf("signed-json: %s: the region wants an API key and none is configured (HTTP %d)", e.Endpoint, e.HTTPStatus)
	}
	return fmt.Sprintf("signed-json: %s: the region refused sealhub's API key (HTTP %d)", e.Endpoint, e.HTTPStatus)
}

func (e *AuthError) Unwrap() error { return adapters.ErrUnavailable }

// SignatureReason is why a reply's signature does not vouch for it.
type SignatureReason int

// Reasons of a SignatureError. Append only: the values are stable.
const (
	// SignatureMissing: the reply has no signature or no key id.
	SignatureMissing SignatureReason = iota + 1
	// SignatureUnknownKey: the key id is not among the region's configured public keys (a key
	// the region rotated to before sealhub's configuration was updated, or a forgery).
	SignatureUnknownKey
	// SignatureEncoding: the signature is not base64 of something.
	SignatureEncoding
	// SignatureInvalid: the signature does not verify over the payload with the named key.
	SignatureInvalid
	// SignatureReplayed: the signed payload does not echo the request's nonce (an old reply
	// replayed, or an answer to another request).
	SignatureReplayed
	// SignatureOtherSeal: the signed payload answers about another seal than the one asked.
	SignatureOtherSeal
)

func (r SignatureReason) String() string {
	switch r {
	case SignatureMissing:
		return "no signature or key id"
	case SignatureUnknownKey:
		return "unknown key id"
	case SignatureEncoding:
		return "signature is not base64"
	case SignatureInvalid:
		return "signature does not verify"
	case SignatureReplayed:
		return "payload does not echo the request's nonce"
	case SignatureOtherSeal:
		return "payload is about another seal"
	}
	return fmt.Sprintf("reason %d", int(r))
}

// SignatureError is a reply whose signature does not vouch for it as the answer to the request:
// nothing in it was used. It wraps adapters.ErrMalformed.
type SignatureError struct {
	Endpoint string // the region's host
	Reason   SignatureReason
	KeyID    string // the key id the reply names, if any
	Detail   string // what was expected, for the replay and other-seal reasons
}

func (e *SignatureError) Error() string {
	s := fmt.Sprintf("signed-json: %s: reply refused: %s", e.Endpoint, e.Reason)
	if e.KeyID != "" {
		s += fmt.Sprintf(" (key id %q)", e.KeyID)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *SignatureError) Unwrap() error { return adapters.ErrMalformed }
