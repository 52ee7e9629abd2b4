package transport

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

// backdate is how far before now a new certificate becomes valid, so a
// peer whose clock is a little behind accepts it at once.
const backdate = 5 * time.Minute

// CertSpec describes a certificate for [Issue].
type CertSpec struct {
	CommonName  string
	Hosts       []string // subject alternative names: IP addresses as IP SANs, anything else as DNS names
	ExtKeyUsage []x509.ExtKeyUsage
	IsCA        bool // a CA that signs leaf certificates only (path length 0)
	NotBefore   time.Time
	NotAfter    time.Time // clamped to the signing CA's NotAfter
}

// NewCA makes a self-signed cluster CA valid for validity from now.
//
// Every key this file makes is ECDSA P-256 in PKCS#8 PEM, with random
// 128-bit serial numbers. crypto/tls cannot handshake with SM2
// certificates, so the internode TLS does not use 国密 algorithms.
func NewCA(commonName string, validity time.Duration) (certPEM, keyPEM []byte, err error) {
	from, to, err := window(validity)
	if err != nil {
		return nil, nil, err
	}
	return Issue(nil, nil, CertSpec{CommonName: commonName, IsCA: true, NotBefore: from, NotAfter: to})
}

// IssueNode makes a node certificate signed by the CA: CN nodeID, DNS name
// NodeServerName plus hosts, serverAuth and clientAuth key usages.
func IssueNode(caCertPEM, caKeyPEM []byte, nodeID string, hosts []string, validity time.Duration) (certPEM, keyPEM []byte, err error) {
	from, to, err := window(validity)
	if err != nil {
		return nil, nil, err
	}
	return Issue(caCertPEM, caKeyPEM, CertSpec{CommonName: nodeID,
		Hosts:       append([]string{NodeServerName}, dedupe(hosts, NodeServerName)...),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		NotBefore:   from, NotAfter: to})
}

// IssueOperator makes an operator (client-only) certificate signed by the
// CA: CN name, clientAuth key usage, no SANs. It can call a node's RPC side
// but cannot act as a node.
func IssueOperator(caCertPEM, caKeyPEM []byte, name string, validity time.Duration) (certPEM, keyPEM []byte, err error) {
	from, to, err := window(validity)
	if err != nil {
		return nil, nil, err
	}
	return Issue(caCertPEM, caKeyPEM, CertSpec{CommonName: name,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		NotBefore:   from, NotAfter: to})
}

// window is the validity of a certificate made now: backdated a little,
// lasting validity from now.
func window(validity time.Duration) (from, to time.Time, err error) {
	if validity <= 0 {
		return from, to, fmt.Errorf("transport: validity %s is not positive", validity)
	}
	now := time.Now()
	return now.Add(-backdate), now.Add(validity), nil
}

// dedupe returns hosts in order without repeats and without skip.
func dedupe(hosts []string, skip string) []string {
	seen := map[string]bool{skip: true}
	var out []string
	for _, h := range hosts {
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}

// Issue makes a new key and a certificate for spec signed by the CA, or
// signed by itself when caCertPEM and caKeyPEM are both nil.
func Issue(caCertPEM, caKeyPEM []byte, spec CertSpec) (certPEM, keyPEM []byte, err error) {
	if err := spec.check(); err != nil {
		return nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("transport: generate key: %w", err)
	}
	tmpl, err := spec.template()
	if err != nil {
		return nil, nil, err
	}
	parent, signer := tmpl, crypto.Signer(key)
	if caCertPEM != nil || caKeyPEM != nil {
		if parent, signer, err = ParseCA(caCertPEM, caKeyPEM); err != nil {
			return nil, nil, err
		}
		if tmpl.NotAfter.After(parent.NotAfter) {
			tmpl.NotAfter = parent.NotAfter
		}
		if !tmpl.NotAfter.After(tmpl.NotBefore) {
			return nil, nil, fmt.Errorf("transport: CA %q expired at %s", parent.Subject.CommonName, parent.NotAfter.UTC().Format(time.RFC3339))
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return nil, nil, fmt.Errorf("transport: sign certificate %q: %w", spec.CommonName, err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("transport: encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), nil
}

// ParseCA decodes a CA certificate and its private key (PEM) and checks
// that they belong together and that the certificate is a CA.
func ParseCA(certPEM, keyPEM []byte) (*x509.Certificate, crypto.Signer, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, nil, fmt.Errorf("transport: CA certificate: %w", ErrNotPEM)
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("transport: CA certificate: %w", err)
	}
	if !ca.IsCA || !ca.BasicConstraintsValid {
		return nil, nil, fmt.Errorf("transport: CA certificate: %w: %s", ErrNotCA, describe(ca))
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil || !strings.HasSuffix(kb.Type, "PRIVATE KEY") {
		return nil, nil, fmt.Errorf("transport: CA key: %w", ErrNotPEM)
	}
	key, err := parseKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("transport: CA key: %w", err)
	}
	if pub, ok := ca.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(key.Public()) {
		return nil, nil, fmt.Errorf("transport: CA key: %w", ErrKeyMismatch)
	}
	return ca, key, nil
}

func (s CertSpec) check() error {
	switch {
	case strings.TrimSpace(s.CommonName) == "":
		return errors.New("transport: certificate needs a common name")
	case !s.NotAfter.After(s.NotBefore):
		return fmt.Errorf("transport: certificate %q: NotAfter %s is not after NotBefore %s",
			s.CommonName, s.NotAfter.Format(time.RFC3339), s.NotBefore.Format(time.RFC3339))
	}
	for _, h := range s.Hosts {
		if net.ParseIP(h) == nil && !validDNSName(h) {
			return fmt.Errorf("transport: certificate %q: host %q is neither an IP address nor a DNS name", s.CommonName, h)
		}
	}
	return nil
}

func (s CertSpec) template() (*x509.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	t := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: s.CommonName},
		NotBefore:             s.NotBefore,
		NotAfter:              s.NotAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           s.ExtKeyUsage,
		BasicConstraintsValid: true,
	}
	if s.IsCA {
		t.IsCA, t.MaxPathLenZero = true, true
		t.KeyUsage |= x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	for _, h := range s.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			t.IPAddresses = append(t.IPAddresses, ip)
		} else {
			t.DNSNames = append(t.DNSNames, h)
		}
	}
	return t, nil
}

// randomSerial is a positive random serial of at most 128 bits.
func randomSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	for {
		n, err := rand.Int(rand.Reader, limit)
		if err != nil {
			return nil, fmt.Errorf("transport: serial number: %w", err)
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
}

// validDNSName accepts letters, digits, hyphens and dots, with an optional
// leading "*." wildcard: the host names a certificate can usefully carry.
func validDNSName(h string) bool {
	h = strings.TrimPrefix(h, "*.")
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
