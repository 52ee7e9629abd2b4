package hub

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/hashicorp/raft"
	"github.com/sealhub/sealhub/federation/transport"
)

// DialHook wraps one dial to addr; dial makes the real connection.
type DialHook func(ctx context.Context, addr string, dial func(context.Context) (net.Conn, error)) (net.Conn, error)

// hookLayer routes the raft transport's dials through hook.
func hookLayer(l raft.StreamLayer, hook DialHook) raft.StreamLayer {
	if hook == nil {
		return l
	}
	return &hookedLayer{StreamLayer: l, hook: hook}
}

type hookedLayer struct {
	raft.StreamLayer
	hook DialHook
}

func (l *hookedLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return l.hook(ctx, string(addr), func(context.Context) (net.Conn, error) { return l.StreamLayer.Dial(addr, timeout) })
}

// hookedHTTP is d's HTTP client with its dials routed through hook.
func hookedHTTP(d *transport.Dialer, hook DialHook) *http.Client {
	hc := d.HTTPClient()
	if hook == nil {
		return hc
	}
	tr := hc.Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return hook(ctx, addr, func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, network, addr) })
	}
	hc.Transport = tr
	return hc
}
