package transport

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"
)

// NodeServerName is the DNS name every node certificate carries. Clients
// verify servers against it, not against the address they dialled, so a
// node can move or be reached through any address.
const NodeServerName = "node.sealhub"

// Reasons a certificate file is refused. [LoadTLS] and [LoadClientTLS]
// wrap them in a [*FileError]; test with errors.Is.
var (
	// ErrNotPEM means the file holds no PEM block of the expected type.
	ErrNotPEM = errors.New("no PEM data of the expected type")

	// ErrKeyMismatch means the private key is not the certificate's.
	ErrKeyMismatch = errors.New("private key does not match the certificate")

	// ErrNotCA means a certificate in the CA bundle cannot sign others.
	ErrNotCA = errors.New("not a CA certificate")

	// ErrUnknownAuthority means the certificate is not signed by the CA.
	ErrUnknownAuthority = errors.New("certificate not signed by the CA")

	// ErrExpired means the certificate's validity ended.
	ErrExpired = errors.New("certificate expired")

	// ErrNotYetValid means the certificate's validity has not begun.
	ErrNotYetValid = errors.New("certificate not yet valid")

	// ErrWrongUsage means the certificate lacks what its role needs: a node
	// certificate needs the serverAuth and clientAuth extended key usages
	// and the DNS name NodeServerName; a client certificate needs clientAuth.
	ErrWrongUsage = errors.New("certificate not usable for this role")
)

// FileError is a refused PEM file: which one, and why.
type FileError struct {
	Role string // "CA file", "certificate file" or "key file"
	Path string
	Err  error
}

func (e *FileError) Error() string {
	return fmt.Sprintf("transport: %s %s: %v", e.Role, e.Path, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

const (
	roleCA   = "CA file"
	roleCert = "certificate file"
	roleKey  = "key file"
)

// TLS holds the two sides of mutual TLS for the cluster.
type TLS struct {
	Server *tls.Config // requires and verifies client certificates signed by the CA
	Client *tls.Config // verifies the server against the CA as NodeServerName
}

// LoadTLS reads the cluster CA bundle and a node's certificate and key (PEM
// files) and returns both sides of mutual TLS, TLS 1.3 only. The server
// side requires client certificates signed by the CA; the client side
// presents the node certificate and verifies servers as NodeServerName.
//
// It checks now what a handshake would otherwise reject later: each file
// parses, the key is the certificate's, the certificate chains to the CA,
// is valid today, carries NodeServerName and the serverAuth and clientAuth
// key usages. A failure is a [*FileError] naming the file at fault.
func LoadTLS(caFile, certFile, keyFile string) (*TLS, error) {
	pool, cert, err := load(caFile, certFile, keyFile, checkNode)
	if err != nil {
		return nil, err
	}
	return &TLS{Server: serverConfig(pool, cert), Client: clientConfig(pool, cert)}, nil
}

// LoadClientTLS is [LoadTLS] for a client that is not a node, such as the
// operator CLI: the certificate needs only the clientAuth key usage. The
// result is a client configuration for [Dialer].
func LoadClientTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	pool, cert, err := load(caFile, certFile, keyFile, checkClient)
	if err != nil {
		return nil, err
	}
	return clientConfig(pool, cert), nil
}

func serverConfig(pool *x509.CertPool, cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
	}
}

func clientConfig(pool *x509.CertPool, cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
		ServerName:   NodeServerName,
	}
}

// IsNodeCert reports whether c is a node certificate: it names
// NodeServerName and may be used both as a server and as a client. It does
// not verify the chain; use it on a peer that the TLS handshake verified.
func IsNodeCert(c *x509.Certificate) bool {
	if c == nil || !slices.Contains(c.DNSNames, NodeServerName) {
		return false
	}
	return hasUsage(c, x509.ExtKeyUsageServerAuth) && hasUsage(c, x509.ExtKeyUsageClientAuth)
}

func hasUsage(c *x509.Certificate, u x509.ExtKeyUsage) bool {
	return slices.Contains(c.ExtKeyUsage, u) || slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageAny)
}

// role is what a loaded certificate must be usable for.
type role struct {
	usages []x509.ExtKeyUsage // each must be allowed by the chain
	node   bool               // must carry NodeServerName
	what   string             // for messages
}

var (
	checkNode   = role{[]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, true, "a node (serverAuth and clientAuth)"}
	checkClient = role{[]x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, false, "a client (clientAuth)"}
)

// load reads and cross-checks the three files.
func load(caFile, certFile, keyFile string, r role) (*x509.CertPool, tls.Certificate, error) {
	now := time.Now()
	cas, err := readCerts(roleCA, caFile)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	pool := x509.NewCertPool()
	for _, ca := range cas {
		if !ca.IsCA || !ca.BasicConstraintsValid {
			return nil, tls.Certificate{}, &FileError{roleCA, caFile, fmt.Errorf("%w: %s", ErrNotCA, describe(ca))}
		}
		if err := checkValidity(ca, now); err != nil {
			return nil, tls.Certificate{}, &FileError{roleCA, caFile, err}
		}
		pool.AddCert(ca)
	}
	chain, err := readCerts(roleCert, certFile)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	key, err := readKey(keyFile)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	leaf := chain[0]
	if pub, ok := leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(key.Public()) {
		return nil, tls.Certificate{}, &FileError{roleKey, keyFile, fmt.Errorf("%w in %s", ErrKeyMismatch, certFile)}
	}
	if err := verifyLeaf(leaf, chain[1:], pool, caFile, now, r); err != nil {
		return nil, tls.Certificate{}, &FileError{roleCert, certFile, err}
	}
	cert := tls.Certificate{PrivateKey: key, Leaf: leaf}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.Raw)
	}
	return pool, cert, nil
}

// verifyLeaf checks leaf's dates, its chain to pool and its usages for r,
// in that order, so the reason given is the first thing wrong.
func verifyLeaf(leaf *x509.Certificate, rest []*x509.Certificate, pool *x509.CertPool, caFile string, now time.Time, r role) error {
	if err := checkValidity(leaf, now); err != nil {
		return err
	}
	inter := x509.NewCertPool()
	for _, c := range rest {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{Roots: pool, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	if _, err := leaf.Verify(opts); err != nil {
		return fmt.Errorf("%w in %s: %s: %w", ErrUnknownAuthority, caFile, describe(leaf), err)
	}
	for _, u := range r.usages { // VerifyOptions.KeyUsages accepts any one of its list
		opts.KeyUsages = []x509.ExtKeyUsage{u}
		if _, err := leaf.Verify(opts); err != nil {
			return fmt.Errorf("%w: %s cannot serve as %s: %w", ErrWrongUsage, describe(leaf), r.what, err)
		}
	}
	if r.node && !slices.Contains(leaf.DNSNames, NodeServerName) {
		return fmt.Errorf("%w: %s lacks the DNS name %s that every node certificate carries",
			ErrWrongUsage, describe(leaf), NodeServerName)
	}
	return nil
}

func checkValidity(c *x509.Certificate, now time.Time) error {
	switch {
	case now.After(c.NotAfter):
		return fmt.Errorf("%w: %s expired at %s", ErrExpired, describe(c), c.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(c.NotBefore):
		return fmt.Errorf("%w: %s is valid from %s", ErrNotYetValid, describe(c), c.NotBefore.UTC().Format(time.RFC3339))
	}
	return nil
}

func describe(c *x509.Certificate) string {
	return fmt.Sprintf("certificate %q (serial %x)", c.Subject.CommonName, c.SerialNumber)
}

// readFile reads path; the error names the file once.
func readFile(role, path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &FileError{role, path, err}
	}
	return data, nil
}

// readCerts parses every CERTIFICATE block of a PEM file; there must be one.
func readCerts(role, path string) ([]*x509.Certificate, error) {
	data, err := readFile(role, path)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, &FileError{role, path, fmt.Errorf("certificate %d: %w", len(certs)+1, err)}
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, &FileError{role, path, fmt.Errorf("%w: want PEM CERTIFICATE blocks", ErrNotPEM)}
	}
	return certs, nil
}

// readKey parses the first private key block of a PEM file: PKCS#8, or the
// older EC and PKCS#1 forms.
func readKey(path string) (crypto.Signer, error) {
	data, err := readFile(roleKey, path)
	if err != nil {
		return nil, err
	}
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if !strings.HasSuffix(block.Type, "PRIVATE KEY") {
			continue
		}
		if block.Type == "ENCRYPTED PRIVATE KEY" || block.Headers["Proc-Type"] != "" {
			return nil, &FileError{roleKey, path, errors.New("encrypted private keys are not supported")}
		}
		k, err := parseKey(block.Bytes)
		if err != nil {
			return nil, &FileError{roleKey, path, err}
		}
		return k, nil
	}
	return nil, &FileError{roleKey, path, fmt.Errorf("%w: want a PEM PRIVATE KEY block", ErrNotPEM)}
}

func parseKey(der []byte) (crypto.Signer, error) {
	var k any
	var err error
	if k, err = x509.ParsePKCS8PrivateKey(der); err != nil {
		if k, err = x509.ParseECPrivateKey(der); err != nil {
			if k, err = x509.ParsePKCS1PrivateKey(der); err != nil {
				return nil, errors.New("cannot parse the private key (want PKCS#8, EC or PKCS#1)")
			}
		}
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("private key of type %T cannot sign", k)
	}
	return s, nil
}
