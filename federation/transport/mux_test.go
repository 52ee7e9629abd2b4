package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// cluster node for the tests: a mux, a raft transport on its raft side and
// an HTTP server on its RPC side that names the calling peer.
type testNode struct {
	mux   *Mux
	trans *raft.NetworkTransport
	srv   *http.Server
}

func startNode(t *testing.T, o ListenOptions) *testNode {
	t.Helper()
	n := &testNode{mux: listen(t, o)}
	n.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: n.mux.Raft(), MaxPool: 2, Timeout: 5 * time.Second, Logger: hclog.NewNullLogger(),
	})
	n.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(whoami)}
	go func() { _ = n.srv.Serve(n.mux.RPC()) }()
	t.Cleanup(func() {
		_ = n.srv.Close()
		_ = n.trans.Close()
	})
	return n
}

// whoami answers with the peer's common name and whether it is a node.
func whoami(w http.ResponseWriter, r *http.Request) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		fmt.Fprint(w, "plain")
		return
	}
	c := r.TLS.PeerCertificates[0]
	fmt.Fprintf(w, "%s node=%t", c.Subject.CommonName, IsNodeCert(c))
}

func get(t *testing.T, c *http.Client, addr string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/whoami", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// answer serves one RPC from trans's consumer with resp.
func answer(t *testing.T, trans *raft.NetworkTransport, resp any) <-chan any {
	got := make(chan any, 1)
	go func() {
		select {
		case rpc := <-trans.Consumer():
			got <- rpc.Command
			rpc.Respond(resp, nil)
		case <-time.After(5 * time.Second):
			got <- nil
		}
	}()
	return got
}

func TestRaftAndRPCShareOneMTLSPort(t *testing.T) {
	pki := newPKI(t, "cluster")
	n1 := startNode(t, ListenOptions{TLS: pki.nodeTLS("n1")})
	n2 := startNode(t, ListenOptions{TLS: pki.nodeTLS("n2")})
	c1 := (&Dialer{TLS: n1.mux.tls.Client}).HTTPClient()
	defer c1.CloseIdleConnections()

	var wg sync.WaitGroup
	wg.Go(func() { // HTTP to n2's port while raft uses it too
		for range 5 {
			body, err := get(t, c1, n2.mux.Addr())
			if err != nil || body != "n1 node=true" {
				t.Errorf("GET from n1 to n2: %q, %v", body, err)
				return
			}
		}
	})

	got := answer(t, n2.trans, &raft.RequestVoteResponse{Term: 7, Granted: true})
	var vote raft.RequestVoteResponse
	req := &raft.RequestVoteRequest{RPCHeader: raft.RPCHeader{ID: []byte("n1"), Addr: []byte(n1.mux.Addr())}, Term: 7}
	if err := n1.trans.RequestVote("n2", raft.ServerAddress(n2.mux.Addr()), req, &vote); err != nil {
		t.Fatal(err)
	}
	if cmd, ok := (<-got).(*raft.RequestVoteRequest); !ok || cmd.Term != 7 || !vote.Granted {
		t.Fatalf("vote: server saw %+v, client got %+v", cmd, vote)
	}

	got = answer(t, n1.trans, &raft.AppendEntriesResponse{Term: 7, LastLog: 1, Success: true})
	var app raft.AppendEntriesResponse
	entries := &raft.AppendEntriesRequest{RPCHeader: raft.RPCHeader{ID: []byte("n2"), Addr: []byte(n2.mux.Addr())},
		Term: 7, Entries: []*raft.Log{{Index: 1, Term: 7, Type: raft.LogCommand, Data: []byte("seal")}}}
	if err := n2.trans.AppendEntries("n1", raft.ServerAddress(n1.mux.Addr()), entries, &app); err != nil {
		t.Fatal(err)
	}
	cmd, ok := (<-got).(*raft.AppendEntriesRequest)
	if !ok || len(cmd.Entries) != 1 || string(cmd.Entries[0].Data) != "seal" || !app.Success {
		t.Fatalf("append: server saw %+v, client got %+v", cmd, app)
	}
	wg.Wait()
}

func TestPlainTCPCarriesBothKinds(t *testing.T) {
	n1 := startNode(t, ListenOptions{})
	n2 := startNode(t, ListenOptions{})
	c := (&Dialer{}).HTTPClient()
	defer c.CloseIdleConnections()
	if body, err := get(t, c, n2.mux.Addr()); err != nil || body != "plain" {
		t.Fatalf("GET: %q, %v", body, err)
	}
	got := answer(t, n2.trans, &raft.RequestVoteResponse{Term: 1, Granted: true})
	var vote raft.RequestVoteResponse
	if err := n1.trans.RequestVote("n2", raft.ServerAddress(n2.mux.Addr()), &raft.RequestVoteRequest{Term: 1}, &vote); err != nil {
		t.Fatal(err)
	}
	if <-got == nil || !vote.Granted {
		t.Fatalf("vote not carried: %+v", vote)
	}
}

func TestRefusedClientsReachNoListener(t *testing.T) {
	pki := newPKI(t, "cluster")
	foreign := newPKI(t, "foreign")
	logs := &logBuffer{}
	m := listen(t, ListenOptions{TLS: pki.nodeTLS("n1"), Logger: logs.logger()})
	raftCh, rpcCh := acceptOne(m.Raft()), acceptOne(m.RPC())

	noCert := pki.nodeTLS("n2").Client.Clone()
	noCert.Certificates = nil
	cases := map[string]*tls.Config{
		"node of another CA": foreign.nodeTLS("intruder").Client,
		"no certificate":     noCert,
	}
	refused := 0
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			for _, kind := range []byte{KindRaft, KindRPC} {
				conn, err := dial(context.Background(), m.Addr(), cfg, time.Second, kind)
				if err == nil { // TLS 1.3: the client learns of the refusal on its first read
					expectClosed(t, conn)
					_ = conn.Close()
				}
				refused++
				waitForLog(t, logs, "TLS handshake failed", refused)
			}
			c := (&Dialer{TLS: cfg}).HTTPClient()
			if body, err := get(t, c, m.Addr()); err == nil {
				t.Fatalf("GET succeeded: %q", body)
			}
			refused++
			waitForLog(t, logs, "TLS handshake failed", refused)
		})
	}
	select {
	case r := <-raftCh:
		t.Fatalf("raft side accepted %v, %v", r.conn, r.err)
	case r := <-rpcCh:
		t.Fatalf("RPC side accepted %v, %v", r.conn, r.err)
	default:
	}
}

func TestOperatorReachesRPCButNotRaft(t *testing.T) {
	pki := newPKI(t, "cluster")
	logs := &logBuffer{}
	n := startNode(t, ListenOptions{TLS: pki.nodeTLS("n1"), Logger: logs.logger()})
	op := pki.operatorTLS("alice")

	c := (&Dialer{TLS: op}).HTTPClient()
	defer c.CloseIdleConnections()
	if body, err := get(t, c, n.mux.Addr()); err != nil || body != "alice node=false" {
		t.Fatalf("operator GET: %q, %v", body, err)
	}

	conn, err := dial(context.Background(), n.mux.Addr(), op, time.Second, KindRaft)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	expectClosed(t, conn)
	waitForLog(t, logs, "not a node certificate", 1)
}

func TestSilentClientsDoNotBlockAccept(t *testing.T) {
	pki := newPKI(t, "cluster")
	const timeout = 5 * time.Second
	n := startNode(t, ListenOptions{TLS: pki.nodeTLS("n1"), HandshakeTimeout: timeout})
	cli := pki.nodeTLS("n2").Client

	var silent []net.Conn
	defer func() {
		for _, c := range silent {
			_ = c.Close()
		}
	}()
	for range 3 { // TCP connected, no handshake
		c, err := net.Dial("tcp", n.mux.Addr())
		if err != nil {
			t.Fatal(err)
		}
		silent = append(silent, c)
	}
	for range 3 { // handshake done, no kind byte
		c, err := tls.Dial("tcp", n.mux.Addr(), cli)
		if err != nil {
			t.Fatal(err)
		}
		silent = append(silent, c)
	}

	start := time.Now()
	c := (&Dialer{TLS: cli}).HTTPClient()
	defer c.CloseIdleConnections()
	if body, err := get(t, c, n.mux.Addr()); err != nil || body != "n2 node=true" {
		t.Fatalf("GET behind silent clients: %q, %v", body, err)
	}
	if took := time.Since(start); took > timeout/2 {
		t.Fatalf("GET behind silent clients took %s", took)
	}
}

func TestSilentClientIsDroppedAfterTimeout(t *testing.T) {
	for name, withTLS := range map[string]bool{"plain": false, "tls": true} {
		t.Run(name, func(t *testing.T) {
			o := ListenOptions{HandshakeTimeout: 100 * time.Millisecond}
			if withTLS {
				o.TLS = newPKI(t, "cluster").nodeTLS("n1")
			}
			m := listen(t, o)
			c, err := net.Dial("tcp", m.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			expectClosed(t, c)
		})
	}
}

func TestUnknownKindIsClosed(t *testing.T) {
	pki := newPKI(t, "cluster")
	for name, tlsOn := range map[string]bool{"plain": false, "tls": true} {
		t.Run(name, func(t *testing.T) {
			logs := &logBuffer{}
			o := ListenOptions{Logger: logs.logger()}
			var cli *tls.Config
			if tlsOn {
				o.TLS, cli = pki.nodeTLS("n1"), pki.nodeTLS("n2").Client
			}
			m := listen(t, o)
			raftCh, rpcCh := acceptOne(m.Raft()), acceptOne(m.RPC())
			conn, err := dial(context.Background(), m.Addr(), cli, time.Second, 'X')
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			expectClosed(t, conn)
			waitForLog(t, logs, "unknown kind", 1)
			select {
			case r := <-raftCh:
				t.Fatalf("raft side accepted %v, %v", r.conn, r.err)
			case r := <-rpcCh:
				t.Fatalf("RPC side accepted %v, %v", r.conn, r.err)
			default:
			}
		})
	}
}

func TestCloseEndsAcceptAndGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	pki := newPKI(t, "cluster")
	m, err := ListenWith(ListenOptions{Bind: "127.0.0.1:0", TLS: pki.nodeTLS("n1")})
	if err != nil {
		t.Fatal(err)
	}
	raftCh, rpcCh := acceptOne(m.Raft()), acceptOne(m.RPC())
	silent, err := net.Dial("tcp", m.Addr()) // still in its handshake when Close comes
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()

	start := time.Now()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > time.Second { // the handshake deadline is 10s
		t.Errorf("Close waited %s for a handshake in progress", took)
	}
	for side, ch := range map[string]<-chan acceptResult{"raft": raftCh, "rpc": rpcCh} {
		select {
		case r := <-ch:
			if !errors.Is(r.err, net.ErrClosed) {
				t.Errorf("%s Accept after Close: %v, %v", side, r.conn, r.err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s Accept still blocked after Close", side)
		}
	}
	if _, err := m.RPC().Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept on a closed mux: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := m.Raft().Dial(raft.ServerAddress(m.Addr()), time.Second); err == nil {
		t.Error("the port still accepts after Close")
	}
	expectClosed(t, silent)
	waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

func TestClosingBothSidesClosesTheMux(t *testing.T) {
	logs := &logBuffer{}
	m := listen(t, ListenOptions{Logger: logs.logger()})
	if err := m.RPC().Close(); err != nil {
		t.Fatal(err)
	}
	// The raft side still works; an RPC connection is dropped.
	raftCh := acceptOne(m.Raft())
	conn, err := m.Raft().Dial(raft.ServerAddress(m.Addr()), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if r := <-raftCh; r.err != nil {
		t.Fatal(r.err)
	} else {
		_ = r.conn.Close()
	}
	rpc, err := (&Dialer{}).DialContext(context.Background(), "tcp", m.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer rpc.Close()
	expectClosed(t, rpc)
	waitForLog(t, logs, "listener closed", 1)

	if err := m.Raft().Close(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", m.Addr(), time.Second); err == nil {
		_ = c.Close()
		t.Fatal("the port still accepts after both sides closed")
	}
}

func TestListenAdvertise(t *testing.T) {
	cases := map[string]struct {
		bind, advertise string
		want            string // "" = the bound address; "error: …" = fails with that text
	}{
		"bound address":          {"127.0.0.1:0", "", ""},
		"dns name kept":          {"127.0.0.1:0", "hub-1.example.org:7000", "hub-1.example.org:7000"},
		"ip":                     {"127.0.0.1:0", "10.0.0.5:7000", "10.0.0.5:7000"},
		"unspecified bind":       {"0.0.0.0:0", "", "error: unspecified"},
		"unspecified advertise":  {"127.0.0.1:0", "0.0.0.0:7000", "error: want a host"},
		"no host":                {"127.0.0.1:0", ":7000", "error: want a host"},
		"no port":                {"127.0.0.1:0", "hub-1", "error: missing port"},
		"zero port":              {"127.0.0.1:0", "hub-1:0", "error: want a port"},
		"unspecified bind + dns": {"0.0.0.0:0", "hub-1:7000", "hub-1:7000"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := Listen(tc.bind, tc.advertise, nil)
			if want, ok := strings.CutPrefix(tc.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					if m != nil {
						_ = m.Close()
					}
					t.Fatalf("error %v, want one containing %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			want := tc.want
			if want == "" {
				want = m.ln.Addr().String()
			}
			if m.Addr() != want || m.Raft().Addr().String() != want || m.RPC().Addr().String() != want {
				t.Fatalf("addresses %s, %s, %s; want %s", m.Addr(), m.Raft().Addr(), m.RPC().Addr(), want)
			}
		})
	}
}

func TestDialerRefusesNonTCP(t *testing.T) {
	if _, err := (&Dialer{}).DialContext(context.Background(), "unix", "/tmp/x"); err == nil {
		t.Fatal("dialled a unix socket")
	}
}
