package transport

import (
	"crypto/tls"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// subListener yields the connections of one kind. The accepting goroutine
// hands each over through an unbuffered channel, giving up when the
// sub-listener or the mux closes or when no one accepts within the
// handshake timeout, so a consumer that stops accepting can never wedge
// the mux.
type subListener struct {
	m         *Mux
	kind      byte
	conns     chan net.Conn
	closed    chan struct{}
	closeOnce sync.Once
}

func newSubListener(m *Mux, kind byte) *subListener {
	return &subListener{m: m, kind: kind, conns: make(chan net.Conn), closed: make(chan struct{})}
}

// Accept waits for the next connection of this kind. Once the
// sub-listener or the mux is closed it returns an error wrapping
// net.ErrClosed.
func (l *subListener) Accept() (net.Conn, error) {
	select {
	case <-l.closed: // checked first: no connection after Close
		return nil, l.errClosed()
	default:
	}
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, l.errClosed()
	}
}

func (l *subListener) errClosed() error {
	return &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: net.ErrClosed}
}

// Close stops this kind of connection: later ones are dropped and Accept
// returns net.ErrClosed. When the other side is closed too, it closes the
// mux.
func (l *subListener) Close() error {
	l.shut()
	l.m.subClosed()
	return nil
}

func (l *subListener) shut() { l.closeOnce.Do(func() { close(l.closed) }) }

func (l *subListener) isClosed() bool {
	select {
	case <-l.closed:
		return true
	default:
		return false
	}
}

// Addr is the mux's advertised address.
func (l *subListener) Addr() net.Addr { return hostPort(l.m.advertise) }

// handoff gives conn to Accept or closes it.
func (l *subListener) handoff(conn net.Conn, log *slog.Logger) {
	timer := time.NewTimer(l.m.timeout)
	defer timer.Stop()
	select {
	case l.conns <- conn:
		log.Debug("connection accepted", "kind", string(l.kind))
		return
	case <-l.closed:
		log.Debug("connection dropped: listener closed", "kind", string(l.kind))
	case <-timer.C:
		log.Warn("connection dropped: nothing accepted it in time", "kind", string(l.kind), "waited", l.m.timeout)
	}
	_ = conn.Close()
}

// raftLayer is the raft.StreamLayer of a mux.
type raftLayer struct{ *subListener }

// Dial opens a raft connection to addr, with TLS when the mux has it.
func (r raftLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	var cfg *tls.Config
	if r.m.tls != nil {
		cfg = r.m.tls.Client
	}
	return dial(r.m.ctx, string(addr), cfg, timeout, KindRaft)
}

// hostPort is an advertised address kept as written, so a DNS name stays a
// name.
type hostPort string

func (a hostPort) Network() string { return "tcp" }
func (a hostPort) String() string  { return string(a) }

var (
	_ raft.StreamLayer = raftLayer{}
	_ net.Listener     = (*subListener)(nil)
)
