package transport

import (
	"bytes"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testPKI is a cluster CA in a temporary directory, issuing as the test
// asks.
type testPKI struct {
	t       *testing.T
	dir     string
	caCert  []byte
	caKey   []byte
	caFile  string
	caKeyFn string
}

func newPKI(t *testing.T, name string) *testPKI {
	t.Helper()
	certPEM, keyPEM, err := NewCA(name, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p := &testPKI{t: t, dir: t.TempDir(), caCert: certPEM, caKey: keyPEM}
	p.caFile = p.write(name+"-ca.crt", certPEM)
	p.caKeyFn = p.write(name+"-ca.key", keyPEM)
	return p
}

func (p *testPKI) write(name string, data []byte) string {
	p.t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		p.t.Fatal(err)
	}
	return path
}

// files writes a certificate and key and returns their paths.
func (p *testPKI) files(name string, certPEM, keyPEM []byte) (certFile, keyFile string) {
	return p.write(name+".crt", certPEM), p.write(name+".key", keyPEM)
}

// node issues a node certificate and returns its files.
func (p *testPKI) node(id string) (certFile, keyFile string) {
	p.t.Helper()
	c, k, err := IssueNode(p.caCert, p.caKey, id, []string{"127.0.0.1", "localhost"}, time.Hour)
	if err != nil {
		p.t.Fatal(err)
	}
	return p.files(id, c, k)
}

// nodeTLS issues a node certificate and loads it.
func (p *testPKI) nodeTLS(id string) *TLS {
	p.t.Helper()
	c, k := p.node(id)
	t, err := LoadTLS(p.caFile, c, k)
	if err != nil {
		p.t.Fatal(err)
	}
	return t
}

// operatorTLS issues an operator certificate and loads its client side.
func (p *testPKI) operatorTLS(name string) *tls.Config {
	p.t.Helper()
	c, k, err := IssueOperator(p.caCert, p.caKey, name, time.Hour)
	if err != nil {
		p.t.Fatal(err)
	}
	cf, kf := p.files(name, c, k)
	cfg, err := LoadClientTLS(p.caFile, cf, kf)
	if err != nil {
		p.t.Fatal(err)
	}
	return cfg
}

// logBuffer collects log lines written from many goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitForLog waits until the log holds n lines containing s.
func waitForLog(t *testing.T, logs *logBuffer, s string, n int) {
	t.Helper()
	waitFor(t, "log "+s, func() bool { return strings.Count(logs.String(), s) >= n })
}

// listen starts a mux on a free loopback port and closes it with the test.
func listen(t *testing.T, o ListenOptions) *Mux {
	t.Helper()
	if o.Bind == "" {
		o.Bind = "127.0.0.1:0"
	}
	m, err := ListenWith(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// expectClosed asserts that the peer closes conn (or refuses it) soon,
// without sending anything useful.
func expectClosed(t *testing.T, conn net.Conn) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := io.Copy(io.Discard, conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("connection still open after 5s (%d bytes read)", n)
	}
}

// acceptOne runs Accept in the background; the channel yields its result.
func acceptOne(l interface{ Accept() (net.Conn, error) }) <-chan acceptResult {
	ch := make(chan acceptResult, 1)
	go func() {
		c, err := l.Accept()
		ch <- acceptResult{c, err}
	}()
	return ch
}

type acceptResult struct {
	conn net.Conn
	err  error
}
