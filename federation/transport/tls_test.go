package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadTLS(t *testing.T) {
	pki := newPKI(t, "cluster")
	foreign := newPKI(t, "foreign")
	nodeCert, nodeKey := pki.node("n1")
	_, otherKey := pki.node("n2")
	strangerCert, _ := foreign.node("stranger")
	oc, ok, err := IssueOperator(pki.caCert, pki.caKey, "alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	opCert, opKey := pki.files("alice", oc, ok)
	expiredCert, expiredKey := pki.issue("expired", CertSpec{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
	futureCert, futureKey := pki.issue("future", CertSpec{NotBefore: time.Now().Add(time.Hour), NotAfter: time.Now().Add(48 * time.Hour)})
	noSANCert, noSANKey := pki.issue("nosan", CertSpec{Hosts: []string{"n1.example"}})
	notPEM := pki.write("garbage.pem", []byte("this is not PEM\n"))
	missing := filepath.Join(pki.dir, "missing.pem")

	cases := map[string]struct {
		ca, cert, key string
		blame         string // the file the error must name
		want          error
	}{
		"missing CA":            {missing, nodeCert, nodeKey, missing, fs.ErrNotExist},
		"missing certificate":   {pki.caFile, missing, nodeKey, missing, fs.ErrNotExist},
		"missing key":           {pki.caFile, nodeCert, missing, missing, fs.ErrNotExist},
		"CA not PEM":            {notPEM, nodeCert, nodeKey, notPEM, ErrNotPEM},
		"certificate not PEM":   {pki.caFile, notPEM, nodeKey, notPEM, ErrNotPEM},
		"key not PEM":           {pki.caFile, nodeCert, notPEM, notPEM, ErrNotPEM},
		"key of another node":   {pki.caFile, nodeCert, otherKey, otherKey, ErrKeyMismatch},
		"CA file holds a leaf":  {nodeCert, nodeCert, nodeKey, nodeCert, ErrNotCA},
		"signed by another CA":  {pki.caFile, strangerCert, foreign.dir + "/stranger.key", strangerCert, ErrUnknownAuthority},
		"expired":               {pki.caFile, expiredCert, expiredKey, expiredCert, ErrExpired},
		"not yet valid":         {pki.caFile, futureCert, futureKey, futureCert, ErrNotYetValid},
		"operator cert as node": {pki.caFile, opCert, opKey, opCert, ErrWrongUsage},
		"node cert without SAN": {pki.caFile, noSANCert, noSANKey, noSANCert, ErrWrongUsage},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := LoadTLS(tc.ca, tc.cert, tc.key)
			t.Log(err)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != tc.blame || !strings.Contains(err.Error(), tc.blame) {
				t.Fatalf("error %q does not blame %s", err, tc.blame)
			}
		})
	}

	t.Run("good", func(t *testing.T) {
		tl, err := LoadTLS(pki.caFile, nodeCert, nodeKey)
		if err != nil {
			t.Fatal(err)
		}
		if tl.Server.MinVersion != tls.VersionTLS13 || tl.Client.MinVersion != tls.VersionTLS13 {
			t.Error("TLS 1.3 is not the minimum")
		}
		if tl.Server.ClientAuth != tls.RequireAndVerifyClientCert || tl.Client.ServerName != NodeServerName {
			t.Errorf("server ClientAuth %v, client ServerName %q", tl.Server.ClientAuth, tl.Client.ServerName)
		}
	})
	t.Run("operator as client", func(t *testing.T) {
		if _, err := LoadClientTLS(pki.caFile, opCert, opKey); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadClientTLS(pki.caFile, strangerCert, foreign.dir+"/stranger.key"); !errors.Is(err, ErrUnknownAuthority) {
			t.Fatalf("foreign client: %v", err)
		}
	})
}

// issue signs a leaf from spec (defaults filled in) and writes its files.
func (p *testPKI) issue(name string, spec CertSpec) (certFile, keyFile string) {
	p.t.Helper()
	spec.CommonName = name
	if spec.ExtKeyUsage == nil {
		spec.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	}
	if spec.Hosts == nil {
		spec.Hosts = []string{NodeServerName}
	}
	if spec.NotAfter.IsZero() {
		spec.NotBefore, spec.NotAfter = time.Now().Add(-time.Minute), time.Now().Add(time.Hour)
	}
	c, k, err := Issue(p.caCert, p.caKey, spec)
	if err != nil {
		p.t.Fatal(err)
	}
	return p.files(name, c, k)
}
