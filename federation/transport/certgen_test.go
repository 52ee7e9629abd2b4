package transport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

func parsePEM(t *testing.T, data []byte, typ string) []byte {
	t.Helper()
	b, rest := pem.Decode(data)
	if b == nil || b.Type != typ || len(strings.TrimSpace(string(rest))) != 0 {
		t.Fatalf("want one PEM %s block, got %q", typ, data)
	}
	return b.Bytes
}

func parseCert(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(parsePEM(t, data, "CERTIFICATE"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCertgen(t *testing.T) {
	caPEM, caKey, err := NewCA("sealhub cluster CA", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ca := parseCert(t, caPEM)
	if !ca.IsCA || !ca.MaxPathLenZero || ca.KeyUsage&x509.KeyUsageCertSign == 0 || ca.Subject.CommonName != "sealhub cluster CA" {
		t.Fatalf("CA: %+v", ca)
	}

	nodePEM, nodeKey, err := IssueNode(caPEM, caKey, "hub-1", []string{"10.0.0.5", "hub-1.example.org", NodeServerName, "::1", "10.0.0.5"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	node := parseCert(t, nodePEM)
	if node.Subject.CommonName != "hub-1" || !IsNodeCert(node) {
		t.Errorf("node certificate: CN %q, node %t", node.Subject.CommonName, IsNodeCert(node))
	}
	if !slices.Equal(node.DNSNames, []string{NodeServerName, "hub-1.example.org"}) {
		t.Errorf("DNS SANs %v", node.DNSNames)
	}
	if len(node.IPAddresses) != 2 || !node.IPAddresses[0].Equal(net.ParseIP("10.0.0.5")) || !node.IPAddresses[1].Equal(net.IPv6loopback) {
		t.Errorf("IP SANs %v", node.IPAddresses)
	}
	if err := node.CheckSignatureFrom(ca); err != nil {
		t.Error(err)
	}
	if node.SerialNumber.Sign() <= 0 || node.SerialNumber.BitLen() > 128 || node.SerialNumber.BitLen() < 64 {
		t.Errorf("serial %x", node.SerialNumber)
	}
	k, err := x509.ParsePKCS8PrivateKey(parsePEM(t, nodeKey, "PRIVATE KEY"))
	if err != nil {
		t.Fatal(err)
	}
	if ek, ok := k.(*ecdsa.PrivateKey); !ok || ek.Curve != elliptic.P256() || !ek.PublicKey.Equal(node.PublicKey) {
		t.Errorf("key %T does not match a P-256 certificate", k)
	}

	opPEM, _, err := IssueOperator(caPEM, caKey, "alice", 100*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	op := parseCert(t, opPEM)
	if IsNodeCert(op) || !slices.Equal(op.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) || len(op.DNSNames)+len(op.IPAddresses) != 0 {
		t.Errorf("operator certificate: %v %v %v", op.ExtKeyUsage, op.DNSNames, op.IPAddresses)
	}
	if !op.NotAfter.Equal(ca.NotAfter) {
		t.Errorf("operator valid until %s, past the CA's %s", op.NotAfter, ca.NotAfter)
	}
	if node.SerialNumber.Cmp(op.SerialNumber) == 0 {
		t.Error("two certificates share a serial")
	}
}

func TestCertgenErrors(t *testing.T) {
	caPEM, caKey, err := NewCA("ca", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, err := NewCA("other", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	leafPEM, leafKey, err := IssueNode(caPEM, caKey, "n1", nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		run  func() error
		want string
		is   error
	}{
		"bad host": {func() error {
			_, _, err := IssueNode(caPEM, caKey, "n1", []string{"not a host"}, time.Hour)
			return err
		}, "neither an IP address nor a DNS name", nil},
		"no name":     {func() error { _, _, err := IssueOperator(caPEM, caKey, " ", time.Hour); return err }, "common name", nil},
		"no validity": {func() error { _, _, err := NewCA("ca", 0); return err }, "not positive", nil},
		"CA key mismatch": {func() error {
			_, _, err := IssueOperator(caPEM, otherKey, "alice", time.Hour)
			return err
		}, "CA key", ErrKeyMismatch},
		"leaf as CA": {func() error {
			_, _, err := IssueOperator(leafPEM, leafKey, "alice", time.Hour)
			return err
		}, "CA certificate", ErrNotCA},
		"CA not PEM": {func() error {
			_, _, err := IssueOperator([]byte("x"), caKey, "alice", time.Hour)
			return err
		}, "CA certificate", ErrNotPEM},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.run()
			if err == nil || !strings.Contains(err.Error(), tc.want) || tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("error %v, want %q (%v)", err, tc.want, tc.is)
			}
		})
	}
}

func TestValidDNSName(t *testing.T) {
	for h, want := range map[string]bool{
		"hub-1": true, "hub-1.example.org": true, "*.example.org": true, "localhost": true,
		"": false, "a..b": false, "-a": false, "a-": false, "a b": false, "a_b": false, "例子.cn": false, "*": false,
	} {
		if got := validDNSName(h); got != want {
			t.Errorf("validDNSName(%q) = %t", h, got)
		}
	}
}
