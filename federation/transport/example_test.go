package transport_test

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/sealhub/sealhub/federation/transport"
)

// One port serves the internal HTTP API (and raft, through m.Raft());
// another node reaches it through a Dialer. With TLS, pass LoadTLS's
// result to Listen and its Client config to the Dialer.
func ExampleListen() {
	m, err := transport.Listen("127.0.0.1:0", "", nil)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "pong") })}
	go func() { _ = srv.Serve(m.RPC()) }()
	defer srv.Close()

	client := (&transport.Dialer{Timeout: time.Second}).HTTPClient()
	resp, err := client.Get("http://" + m.Addr() + "/ping")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output: pong
}
