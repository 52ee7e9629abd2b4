package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/federation/transport"
)

func tlsReadCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		t.Fatalf("%s is not PEM", path)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func tlsMustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestTLSInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	f := func(name string) string { return filepath.Join(dir, name) }

	code, out, errOut := runCLI(t, "tls", "init", "--dir", dir, "--node", "hub-1=10.0.0.1,hub-1.example.org", "--node", "hub_2", "--days", "30")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	for _, want := range []string{"CA: new", `"tls": {"ca": `, `"cert": `, `"key": `, f("hub-1.crt"), "operator operator"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, id := range []string{"hub-1", "hub_2"} {
		if _, err := transport.LoadTLS(f("ca.crt"), f(id+".crt"), f(id+".key")); err != nil {
			t.Errorf("node %s: %v", id, err)
		}
	}
	if _, err := transport.LoadClientTLS(f("ca.crt"), f("operator.crt"), f("operator.key")); err != nil {
		t.Errorf("operator: %v", err)
	}
	for _, key := range []string{"ca.key", "hub-1.key", "hub_2.key", "operator.key"} {
		if fi, err := os.Stat(f(key)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v", key, err, fi.Mode())
		}
	}
	hub1, hub2 := tlsReadCert(t, f("hub-1.crt")), tlsReadCert(t, f("hub_2.crt"))
	if !slices.Equal(hub1.DNSNames, []string{transport.NodeServerName, "hub-1.example.org"}) || len(hub1.IPAddresses) != 1 {
		t.Errorf("hub-1 names %v %v", hub1.DNSNames, hub1.IPAddresses)
	}
	if !slices.Equal(hub2.DNSNames, []string{transport.NodeServerName}) || len(hub2.IPAddresses) != 1 || hub2.IPAddresses[0].String() != "127.0.0.1" {
		t.Errorf("hub_2 (not a DNS name) names %v %v", hub2.DNSNames, hub2.IPAddresses)
	}
	if d := time.Until(hub1.NotAfter); d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Errorf("--days 30 gave a certificate valid until %s", hub1.NotAfter)
	}
	caBefore := tlsMustRead(t, f("ca.crt"))
	hub1Before := tlsMustRead(t, f("hub-1.crt"))

	t.Run("rerun refuses to overwrite", func(t *testing.T) {
		code, out, errOut := runCLI(t, "tls", "init", "--dir", dir, "--node", "hub-1")
		if code != exitUsage || !strings.Contains(errOut, "hub-1.crt exists") || !strings.Contains(errOut, "--force") {
			t.Fatalf("exit %d: %s %s", code, out, errOut)
		}
		if !bytes.Equal(tlsMustRead(t, f("hub-1.crt")), hub1Before) {
			t.Fatal("hub-1.crt was overwritten")
		}
	})

	t.Run("add a node with the existing CA", func(t *testing.T) {
		code, out, errOut := runCLI(t, "tls", "init", "--dir", dir, "--node", "hub-3=10.0.0.3")
		if code != 0 || !strings.Contains(out, "CA: reusing") || strings.Contains(out, "operator") {
			t.Fatalf("exit %d: %s %s", code, out, errOut)
		}
		if !bytes.Equal(tlsMustRead(t, f("ca.crt")), caBefore) {
			t.Fatal("ca.crt changed")
		}
		if _, err := transport.LoadTLS(f("ca.crt"), f("hub-3.crt"), f("hub-3.key")); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("force makes a new CA", func(t *testing.T) {
		code, out, errOut := runCLI(t, "tls", "init", "--dir", dir, "--node", "hub-1", "--force")
		if code != 0 || !strings.Contains(out, "CA: new") || !strings.Contains(out, "no longer trusted") {
			t.Fatalf("exit %d: %s %s", code, out, errOut)
		}
		if bytes.Equal(tlsMustRead(t, f("ca.crt")), caBefore) {
			t.Fatal("ca.crt kept under --force")
		}
		if _, err := transport.LoadTLS(f("ca.crt"), f("hub-1.crt"), f("hub-1.key")); err != nil {
			t.Fatal(err)
		}
		if _, err := transport.LoadTLS(f("ca.crt"), f("hub-3.crt"), f("hub-3.key")); err == nil {
			t.Fatal("a certificate of the old CA still loads")
		}
	})
}

// TestTLSInitOutputsServeMTLS runs the internode port on the files tls init wrote.
func TestTLSInitOutputsServeMTLS(t *testing.T) {
	dir := t.TempDir()
	f := func(name string) string { return filepath.Join(dir, name) }
	if code, out, errOut := runCLI(t, "tls", "init", "--dir", dir, "--node", "hub-1", "--operator", "alice"); code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	node, err := transport.LoadTLS(f("ca.crt"), f("hub-1.crt"), f("hub-1.key"))
	if err != nil {
		t.Fatal(err)
	}
	op, err := transport.LoadClientTLS(f("ca.crt"), f("alice.crt"), f("alice.key"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := transport.Listen("127.0.0.1:0", "", node)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName)
	})}
	go func() { _ = srv.Serve(m.RPC()) }()
	defer srv.Close()

	client := (&transport.Dialer{TLS: op, Timeout: 5 * time.Second}).HTTPClient()
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+m.Addr()+"/", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if body, _ := io.ReadAll(resp.Body); string(body) != "alice" {
		t.Fatalf("server saw %q", body)
	}
}

func TestTLSInitUsage(t *testing.T) {
	cases := map[string]struct {
		args []string
		want string
	}{
		"no dir":          {[]string{"--node", "hub-1"}, "needs --dir"},
		"nothing":         {[]string{"--dir", "D", "--operator", ""}, "nothing to issue"},
		"bad id":          {[]string{"--dir", "D", "--node", "../hub"}, `node "../hub"`},
		"reserved id":     {[]string{"--dir", "D", "--node", "ca"}, `node "ca"`},
		"duplicate id":    {[]string{"--dir", "D", "--node", "a", "--node", "a=10.0.0.1"}, "already used"},
		"operator = node": {[]string{"--dir", "D", "--node", "a", "--operator", "a"}, "already used"},
		"bad host":        {[]string{"--dir", "D", "--node", "a=not a host"}, "neither an IP address nor a DNS name"},
		"zero days":       {[]string{"--dir", "D", "--node", "a", "--days", "0"}, "must be positive"},
		"args":            {[]string{"--dir", "D", "extra"}, "unknown command"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "tls")
			args := append([]string{"tls", "init"}, tc.args...)
			for i, a := range args {
				if a == "D" {
					args[i] = dir
				}
			}
			code, out, errOut := runCLI(t, args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q (want %q); stdout %s", code, errOut, tc.want, out)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("a refused run wrote %d files", len(entries))
			}
		})
	}

	t.Run("half a CA", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "ca.crt"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := runCLI(t, "tls", "init", "--dir", dir, "--node", "a")
		if code != exitUsage || !strings.Contains(errOut, "must both exist") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	})
}
