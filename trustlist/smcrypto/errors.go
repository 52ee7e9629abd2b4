package smcrypto

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Callers match them with errors.Is; messages carry the "smcrypto:" prefix.
var (
	// ErrBadSignature: the signature is well-formed but does not verify under the key.
	ErrBadSignature = errors.New("smcrypto: signature does not verify")
	// ErrMalformedSignature: the signature value is neither DER SEQUENCE{r,s} nor raw 64-byte r‖s.
	ErrMalformedSignature = errors.New("smcrypto: malformed SM2 signature")
	// ErrNotSM2Key: the public key is missing or not on the SM2 curve.
	ErrNotSM2Key = errors.New("smcrypto: not an SM2 public key")
	// ErrUnsupportedAlgorithm: a signature algorithm other than SM2-with-SM3.
	ErrUnsupportedAlgorithm = errors.New("smcrypto: unsupported signature algorithm")
	// ErrMalformedCertificate: neither the strict nor the lenient parser could read the certificate.
	ErrMalformedCertificate = errors.New("smcrypto: malformed certificate")
)

// ChainReason says why a chain could not be built or verified. The values are stable.
type ChainReason int

// Chain failure reasons.
const (
	ReasonUnknownAuthority     ChainReason = iota + 1 // no issuer among roots and intermediates
	ReasonExpired                                     // a certificate's NotAfter is before the time of the check
	ReasonNotYetValid                                 // a certificate's NotBefore is after the time of the check
	ReasonBadSignature                                // an issuer's signature over a TBSCertificate does not verify
	ReasonNotAuthorizedToSign                         // an issuer is not a CA, or lacks keyCertSign
	ReasonUnsupportedAlgorithm                        // the issuer signed with something other than SM2-with-SM3
	ReasonTooLong                                     // the path exceeds the maximum depth
	ReasonLeafKeyUsage                                // the leaf may not be used for digital signatures
)

var reasonNames = map[ChainReason]string{
	ReasonUnknownAuthority:     "unknown_authority",
	ReasonExpired:              "expired",
	ReasonNotYetValid:          "not_yet_valid",
	ReasonBadSignature:         "bad_signature",
	ReasonNotAuthorizedToSign:  "not_authorized_to_sign",
	ReasonUnsupportedAlgorithm: "unsupported_algorithm",
	ReasonTooLong:              "too_long",
	ReasonLeafKeyUsage:         "leaf_key_usage",
}

func (r ChainReason) String() string {
	if s, ok := reasonNames[r]; ok {
		return s
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

// ChainError is the typed error of BuildChain.
type ChainError struct {
	Reason ChainReason
	Cert   *Certificate // the certificate the failure is about
	At     time.Time    // the time of the check
	Detail string
}

func (e *ChainError) Error() string {
	subj := ""
	if e.Cert != nil {
		subj = fmt.Sprintf(" (%s)", e.Cert.Subject)
	}
	switch e.Reason {
	case ReasonExpired:
		return fmt.Sprintf("smcrypto: certificate%s expired at %s, before %s", subj, e.Cert.NotAfter.UTC().Format(time.RFC3339), e.At.UTC().Format(time.RFC3339))
	case ReasonNotYetValid:
		return fmt.Sprintf("smcrypto: certificate%s not valid until %s, after %s", subj, e.Cert.NotBefore.UTC().Format(time.RFC3339), e.At.UTC().Format(time.RFC3339))
	case ReasonUnknownAuthority:
		return fmt.Sprintf("smcrypto: certificate%s signed by unknown authority %s", subj, e.Detail)
	}
	msg := fmt.Sprintf("smcrypto: certificate%s: %s", subj, e.Reason)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}
