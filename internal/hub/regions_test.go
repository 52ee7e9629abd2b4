package hub

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// A region's name that moves to another address is followed within the redial period even while
// its connection is kept busy, instead of the pooled connection answering for it forever.
func TestRedialRegionsFollowsAddressChange(t *testing.T) {
	serve := func(name string) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, name) }))
		t.Cleanup(s.Close)
		return s
	}
	a, b := serve("a"), serve("b")
	var target atomic.Value // what "region.test:80" resolves to now
	target.Store(a.Listener.Addr().String())
	hc := adapterClient()
	hc.Transport.(*http.Transport).DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, target.Load().(string))
	}
	get := func() string {
		resp, err := hc.Get("http://region.test/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	if got := get(); got != "a" {
		t.Fatalf("first answer from %q, want a", got)
	}
	target.Store(b.Listener.Addr().String())
	if got := get(); got != "a" {
		t.Fatalf("the pooled connection was not reused (answer from %q): the test proves nothing", got)
	}

	h := &Hub{stop: make(chan struct{}), adapterHC: hc}
	h.wg.Add(1)
	go h.redialRegions(20 * time.Millisecond)
	defer func() { close(h.stop); h.wg.Wait() }()
	deadline := time.Now().Add(5 * time.Second)
	for get() != "b" { // busy all along: only the redial can move it
		if time.Now().After(deadline) {
			t.Fatal("still answered by the old address 5 s after it changed")
		}
	}
}
