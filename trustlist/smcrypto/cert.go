package smcrypto

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/emmansun/gmsm/smx509"
)

// Object identifiers used in certificates and signatures.
var (
	OIDSM2WithSM3   = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 501}
	OIDSM2Curve     = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301}
	OIDSM3          = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 401}
	OIDECPublicKey  = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidExtBasicCons = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidExtKeyUsage  = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidExtSKI       = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidExtAKI       = asn1.ObjectIdentifier{2, 5, 29, 35}
)

// KeyUsage is the X.509 KeyUsage bit set, in the same bit order as crypto/x509.
type KeyUsage int

// Key usage bits that chain building looks at.
const (
	KeyUsageDigitalSignature KeyUsage = 1 << 0
	KeyUsageContentCommit    KeyUsage = 1 << 1
	KeyUsageCertSign         KeyUsage = 1 << 5
	KeyUsageCRLSign          KeyUsage = 1 << 6
)

// Certificate is what sealhub needs of an X.509 certificate, whichever parser read it. The raw fields
// are slices of Raw; signatures are always checked over RawTBSCertificate.
type Certificate struct {
	Raw               []byte
	RawTBSCertificate []byte
	RawSubject        []byte
	RawIssuer         []byte

	Subject      string // RFC 2253-style, as pkix.Name.String prints it
	Issuer       string
	SubjectName  pkix.Name
	IssuerName   pkix.Name
	SerialNumber *big.Int
	NotBefore    time.Time
	NotAfter     time.Time

	PublicKey          *ecdsa.PublicKey // nil when the key is not SM2
	PublicKeyAlgorithm asn1.ObjectIdentifier
	SignatureAlgorithm asn1.ObjectIdentifier
	Signature          []byte

	BasicConstraintsValid bool
	IsCA                  bool
	// MaxPathLen is basicConstraints' pathLenConstraint: how many intermediates may follow this CA
	// below it; -1 when absent.
	MaxPathLen      int
	KeyUsagePresent bool
	KeyUsage        KeyUsage
	SubjectKeyID    []byte
	AuthorityKeyID  []byte

	// Lenient is true when the strict parser refused the certificate and the minimal parser read it;
	// StrictError then says why the strict parser refused it.
	Lenient     bool
	StrictError error
	// X509 is the strict parse, nil when Lenient.
	X509 *smx509.Certificate
}

// Fingerprint is the lower-case hex SM3 of the DER certificate: the identifier sealhub's trust list uses.
func (c *Certificate) Fingerprint() string { return SM3Hex(c.Raw) }

// SHA256Fingerprint is the upper-case hex SHA-256 of the DER, as CA indexes usually print it.
func (c *Certificate) SHA256Fingerprint() string {
	d := sha256.Sum256(c.Raw)
	return fmt.Sprintf("%X", d[:])
}

// ValidAt reports whether t lies within [NotBefore, NotAfter].
func (c *Certificate) ValidAt(t time.Time) bool {
	return !t.Before(c.NotBefore) && !t.After(c.NotAfter)
}

// SelfIssued reports whether subject and issuer are the same name.
func (c *Certificate) SelfIssued() bool { return string(c.RawSubject) == string(c.RawIssuer) }

// VerifySignature checks an SM2-with-SM3 signature made by this certificate's key over msg.
func (c *Certificate) VerifySignature(msg, sig []byte) (SigEncoding, error) {
	if c.PublicKey == nil {
		return SigUnknown, ErrNotSM2Key
	}
	return Verify(c.PublicKey, msg, sig)
}

// CheckSignatureFrom checks that parent's key signed c (over c.RawTBSCertificate). It checks only the
// signature: whether parent may sign certificates is BuildChain's business. Certificate signatures
// must be DER (X.509 allows no other form), so one certificate has one encoding and one fingerprint.
func (c *Certificate) CheckSignatureFrom(parent *Certificate) error {
	if !c.SignatureAlgorithm.Equal(OIDSM2WithSM3) {
		return fmt.Errorf("%w: %s", ErrUnsupportedAlgorithm, c.SignatureAlgorithm)
	}
	enc, err := parent.VerifySignature(c.RawTBSCertificate, c.Signature)
	if err == nil && enc != SigDER {
		return fmt.Errorf("%w: certificate signature is not DER", ErrMalformedSignature)
	}
	return err
}

// ParseCertificate parses a DER certificate: strictly with smx509 first, then with the minimal lenient
// parser. The error is ErrMalformedCertificate (wrapping both parsers' reasons) when neither can.
//
// Certificates are immutable once parsed, and the same few (a province's CAs, its seal-maker and
// signer certificates) arrive again and again inside seals and signatures, so parses are remembered
// by their DER (a bounded cache): callers share the result and must not modify it.
func ParseCertificate(der []byte) (*Certificate, error) {
	certCache.RLock()
	c, ok := certCache.m[string(der)]
	certCache.RUnlock()
	if ok {
		return c, nil
	}
	// Parse a private copy: the parse keeps references into its input, which the caller may reuse.
	own := bytes.Clone(der)
	c, err := parseCertificate(own)
	if err != nil {
		return nil, err
	}
	certCache.Lock()
	if len(certCache.m) >= certCacheMax {
		clear(certCache.m)
	}
	certCache.m[string(own)] = c
	certCache.Unlock()
	return c, nil
}

// certCacheMax bounds the parsed-certificate cache; when full it starts again.
const certCacheMax = 4096

var certCache = struct {
	sync.RWMutex
	m map[string]*Certificate
}{m: map[string]*Certificate{}}

func parseCertificate(der []byte) (*Certificate, error) {
	c, strictErr := ParseCertificateStrict(der)
	if strictErr == nil {
		return c, nil
	}
	c, lenErr := ParseCertificateLenient(der)
	if lenErr != nil {
		return nil, fmt.Errorf("%w: strict: %v; lenient: %v", ErrMalformedCertificate, strictErr, lenErr)
	}
	c.StrictError = strictErr
	return c, nil
}

// ParseCertificateStrict parses with smx509 (Go's crypto/x509 rules) only.
func ParseCertificateStrict(der []byte) (*Certificate, error) {
	x, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	// Everything verification uses is read by our own parser, so that strict and lenient
	// certificates behave alike; the strict parse adds well-formedness and the pkix names.
	c, err := parseTBS(der)
	if err != nil {
		return nil, err
	}
	c.SubjectName, c.IssuerName = x.Subject, x.Issuer
	c.Subject, c.Issuer = x.Subject.String(), x.Issuer.String()
	c.X509 = x
	return c, nil
}

// ParseCertificateLenient reads only what verification needs: serial, issuer, subject, validity, the
// SM2 public key, basic constraints, key usage and key identifiers. It accepts encodings that Go's
// parser refuses (UTF-8 in IA5String, malformed SubjectAltName, negative serials) and ignores the
// extensions it does not read. Signatures are still checked over the raw TBSCertificate.
func ParseCertificateLenient(der []byte) (*Certificate, error) {
	c, err := parseTBS(der)
	if err != nil {
		return nil, err
	}
	c.Lenient = true
	return c, nil
}

// errTrailing: bytes after the certificate.
var errTrailing = errors.New("trailing data after certificate")
