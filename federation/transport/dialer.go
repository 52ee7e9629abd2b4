package transport

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"time"
)

// DefaultDialTimeout bounds a dial and its TLS handshake when no timeout
// is given.
const DefaultDialTimeout = 10 * time.Second

// Dialer dials the RPC side of a node: the cluster's forwarding and the
// operator CLI use it. The zero value dials plain TCP.
type Dialer struct {
	// TLS is the client configuration (TLS.Client of [LoadTLS], or
	// [LoadClientTLS]); nil dials plain TCP. An empty ServerName is taken
	// as NodeServerName.
	TLS *tls.Config
	// Timeout bounds the dial, the handshake and the kind byte;
	// DefaultDialTimeout when zero.
	Timeout time.Duration
}

// DialContext connects to addr's RPC side: TCP, the TLS handshake if d
// has TLS, then the KindRPC byte. network must be a TCP network.
//
// Under TLS 1.3 the server checks the client certificate after the client
// has finished its side of the handshake, so a refused certificate shows
// as an error on the first read, not here.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("transport: dial %s: network %q is not TCP", addr, network)
	}
	return dialNetwork(ctx, network, addr, d.TLS, d.Timeout, KindRPC)
}

// HTTPClient returns a client whose connections go through d, with
// keep-alive pooling. Use "http://host:port/…" URLs: the TLS is inside the
// dial, so the scheme stays http. Each call makes a new pool; keep the
// client. Proxies from the environment are ignored.
func (d *Dialer) HTTPClient() *http.Client {
	dd := *d // later changes to d do not reach the client
	return &http.Client{Transport: &http.Transport{
		Proxy:                 nil,
		DialContext:           dd.DialContext,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}}
}

func dial(ctx context.Context, addr string, cfg *tls.Config, timeout time.Duration, kind byte) (net.Conn, error) {
	return dialNetwork(ctx, "tcp", addr, cfg, timeout, kind)
}

// dialNetwork connects, shakes hands and writes kind, all within timeout
// and ctx.
func dialNetwork(ctx context.Context, network, addr string, cfg *tls.Config, timeout time.Duration, kind byte) (net.Conn, error) {
	if timeout <= 0 {
		timeout = DefaultDialTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var nd net.Dialer
	raw, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("transport: dial %s: %w", addr, err)
	}
	conn := raw
	if cfg != nil {
		if cfg.ServerName == "" {
			cfg = cfg.Clone()
			cfg.ServerName = NodeServerName
		}
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, fmt.Errorf("transport: TLS handshake with %s: %w", addr, err)
		}
		conn = tc
	}
	deadline, _ := ctx.Deadline()
	if err := raw.SetWriteDeadline(deadline); err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("transport: dial %s: %w", addr, err)
	}
	if _, err := conn.Write([]byte{kind}); err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("transport: dial %s: send kind: %w", addr, err)
	}
	if err := raw.SetWriteDeadline(time.Time{}); err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("transport: dial %s: %w", addr, err)
	}
	return conn, nil
}
