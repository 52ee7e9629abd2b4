package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// Connection kinds: the first byte a dialer sends, after the TLS handshake
// when TLS is on. The values are part of the wire protocol; add, never
// change.
const (
	KindRaft byte = 'R' // raft RPCs (hashicorp/raft NetworkTransport)
	KindRPC  byte = 'H' // the internal HTTP API: join, forwarded writes, read index, snapshots
)

// DefaultHandshakeTimeout bounds the TLS handshake and the kind byte of an
// accepted connection, and how long it then waits for its sub-listener to
// take it.
const DefaultHandshakeTimeout = 10 * time.Second

// ListenOptions configures [ListenWith]. Only Bind is required.
type ListenOptions struct {
	Bind      string // host:port to listen on; port 0 picks a free one
	Advertise string // host:port other nodes dial; empty: the bound address, which must then be specific
	TLS       *TLS   // nil: plain TCP (development and tests)
	Logger    *slog.Logger
	// HandshakeTimeout is DefaultHandshakeTimeout when zero.
	HandshakeTimeout time.Duration
}

// Mux listens on one address and splits accepted connections by kind
// between [Mux.Raft] and [Mux.RPC]. Its methods are safe for concurrent use.
type Mux struct {
	ln        net.Listener
	advertise string
	tls       *TLS
	log       *slog.Logger
	timeout   time.Duration
	raft      *subListener
	rpc       *subListener

	ctx       context.Context // done when Close starts
	cancel    context.CancelFunc
	wg        sync.WaitGroup // the accept loop and per-connection goroutines
	closeOnce sync.Once
	closeErr  error
}

// Listen listens on bind and advertises advertise (empty: the bound
// address, an error if that is unspecified such as 0.0.0.0). t nil means
// plain TCP.
func Listen(bind, advertise string, t *TLS) (*Mux, error) {
	return ListenWith(ListenOptions{Bind: bind, Advertise: advertise, TLS: t})
}

// ListenWith is [Listen] with a logger and a handshake timeout.
func ListenWith(o ListenOptions) (*Mux, error) {
	if o.TLS != nil && (o.TLS.Server == nil || o.TLS.Client == nil) {
		return nil, errors.New("transport: listen: TLS needs both a Server and a Client config")
	}
	ln, err := net.Listen("tcp", o.Bind)
	if err != nil {
		return nil, fmt.Errorf("transport: listen: %w", err)
	}
	advertise, err := advertised(o.Advertise, ln.Addr())
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	m := &Mux{ln: ln, advertise: advertise, tls: o.TLS, timeout: o.HandshakeTimeout,
		log: o.Logger.With("component", "transport", "addr", advertise)}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.raft = newSubListener(m, KindRaft)
	m.rpc = newSubListener(m, KindRPC)
	m.wg.Add(1)
	go m.serve()
	return m, nil
}

// advertised checks the address to advertise, or derives it from bound.
func advertised(advertise string, bound net.Addr) (string, error) {
	if advertise == "" {
		tcp, ok := bound.(*net.TCPAddr)
		if ok && tcp.IP.IsUnspecified() {
			return "", fmt.Errorf("transport: listening on %s, an unspecified address other nodes cannot dial: set an advertise address", bound)
		}
		return bound.String(), nil
	}
	host, port, err := net.SplitHostPort(advertise)
	if err != nil {
		return "", fmt.Errorf("transport: advertise address %q: %w", advertise, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		return "", fmt.Errorf("transport: advertise address %q: want a host other nodes can dial", advertise)
	}
	if port == "" || port == "0" {
		return "", fmt.Errorf("transport: advertise address %q: want a port", advertise)
	}
	return advertise, nil
}

// Raft is the raft side: Accept yields KindRaft connections and Dial opens
// them. Closing it stops raft connections only (see [Mux.Close]).
func (m *Mux) Raft() raft.StreamLayer { return raftLayer{m.raft} }

// RPC is the HTTP side, for http.Server.Serve: Accept yields KindRPC
// connections. Closing it stops RPC connections only (see [Mux.Close]).
func (m *Mux) RPC() net.Listener { return m.rpc }

// Addr is the advertised host:port.
func (m *Mux) Addr() string { return m.advertise }

// Close stops listening, makes Accept on both sides return an error
// wrapping net.ErrClosed, drops connections still in their handshake and
// waits for the mux's goroutines to end. Connections already handed out
// stay open: their owners close them. Closing both sub-listeners closes the
// mux too, so raft's and http.Server's own shutdowns release the port.
// Calls after the first return the first result.
func (m *Mux) Close() error {
	m.closeOnce.Do(func() {
		m.cancel()
		m.closeErr = m.ln.Close()
		m.raft.shut()
		m.rpc.shut()
		m.wg.Wait()
		m.log.Debug("transport closed")
	})
	return m.closeErr
}

// subClosed closes the mux once both sub-listeners are closed.
func (m *Mux) subClosed() {
	if m.raft.isClosed() && m.rpc.isClosed() {
		_ = m.Close() // the owner of the mux sees the result of its own Close
	}
}

// serve accepts until the listener closes, backing off on errors such as
// running out of file descriptors, as http.Server does.
func (m *Mux) serve() {
	defer m.wg.Done()
	const baseDelay, maxDelay = 5 * time.Millisecond, time.Second
	var delay time.Duration
	for {
		conn, err := m.ln.Accept()
		if err != nil {
			if m.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			delay = min(max(2*delay, baseDelay), maxDelay)
			m.log.Warn("accept failed; retrying", "error", err, "retry_in", delay)
			select {
			case <-m.ctx.Done():
				return
			case <-time.After(delay):
			}
			continue
		}
		delay = 0
		m.wg.Add(1)
		go m.handle(conn)
	}
}

// handle does the handshake and reads the kind byte under the handshake
// deadline, then hands conn to its sub-listener; on any failure it closes
// conn.
func (m *Mux) handle(raw net.Conn) {
	defer m.wg.Done()
	log := m.log.With("remote", raw.RemoteAddr().String())
	// The handshake deadline is set before Close can expire it, so that
	// Close's deadline, not this one, is the last word.
	err := raw.SetDeadline(time.Now().Add(m.timeout))
	stop := context.AfterFunc(m.ctx, func() { _ = raw.SetDeadline(time.Now()) })
	var conn net.Conn
	var kind byte
	if err == nil {
		conn, kind, err = m.admit(raw)
	}
	if !stop() || err != nil {
		if err != nil && m.ctx.Err() == nil {
			logRefusal(log, err)
		}
		_ = raw.Close()
		return
	}
	sub := m.sub(kind)
	if sub == nil {
		log.Info("connection refused: unknown kind", "kind", fmt.Sprintf("%q", kind))
		_ = raw.Close()
		return
	}
	if kind == KindRaft && m.tls != nil {
		if peer := conn.(*tls.Conn).ConnectionState().PeerCertificates; len(peer) == 0 || !IsNodeCert(peer[0]) {
			log.Warn("raft connection refused: client certificate is not a node certificate",
				"subject", peerName(peer))
			_ = raw.Close()
			return
		}
	}
	sub.handoff(conn, log)
}

// admit runs the TLS handshake (if any) and reads the kind byte under the
// deadline handle set. On success the deadline is cleared and conn is what
// to hand over.
func (m *Mux) admit(raw net.Conn) (conn net.Conn, kind byte, err error) {
	conn = raw
	if m.tls != nil {
		tc := tls.Server(raw, m.tls.Server)
		if err := tc.Handshake(); err != nil {
			return nil, 0, &refusal{"TLS handshake failed", err}
		}
		conn = tc
	}
	var b [1]byte
	if _, err := io.ReadFull(conn, b[:]); err != nil {
		return nil, 0, &refusal{"no kind byte", err}
	}
	if err := raw.SetDeadline(time.Time{}); err != nil {
		return nil, 0, err
	}
	return conn, b[0], nil
}

func (m *Mux) sub(kind byte) *subListener {
	switch kind {
	case KindRaft:
		return m.raft
	case KindRPC:
		return m.rpc
	}
	return nil
}

// refusal is why an accepted connection was dropped before its kind was
// known.
type refusal struct {
	what string
	err  error
}

func (r *refusal) Error() string { return r.what + ": " + r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

// logRefusal logs a dropped connection: a peer that connected and said
// nothing (a port scan, a TCP health check) at Debug, a failed handshake
// (a misconfigured node, a foreign CA) at Warn.
func logRefusal(log *slog.Logger, err error) {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.As(err, &ne) && ne.Timeout():
		log.Debug("connection dropped", "error", err)
	default:
		log.Warn("connection refused", "error", err)
	}
}

func peerName(chain []*x509.Certificate) string {
	if len(chain) == 0 {
		return ""
	}
	return chain[0].Subject.String()
}
