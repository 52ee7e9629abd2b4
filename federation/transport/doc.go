// Package transport is the internode port of a sealhub node: one TCP port
// that carries both raft's RPCs and the internal HTTP API (join, forwarded
// writes, read index, snapshots), optionally under mutual TLS.
//
// The dialer tells the two apart with one byte, sent first (after the TLS
// handshake when TLS is on): [KindRaft] or [KindRPC]. A [Mux] accepts on
// the port and hands each connection to the matching sub-listener:
// [Mux.Raft] is a raft.StreamLayer for raft.NetworkTransport and [Mux.RPC]
// a net.Listener for http.Server. A [Dialer] dials the RPC side of another
// node; its [Dialer.HTTPClient] speaks plain "http://host:port/…" URLs
// because the TLS is inside the dial.
//
// With TLS every connection must present a certificate signed by the
// cluster CA ([LoadTLS]). Node certificates ([IssueNode]) carry the DNS name
// [NodeServerName] and both the serverAuth and clientAuth key usages;
// operator certificates ([IssueOperator]) carry clientAuth only, so an
// operator can call the RPC side but cannot open a raft connection or serve
// as a node. RPC handlers that must only answer nodes check the peer with
// [IsNodeCert] on the request's TLS state.
//
// Accepting never waits on one peer: the TLS handshake and the kind byte
// are read in a goroutine per connection under a deadline
// ([DefaultHandshakeTimeout]). Connections that fail the handshake, stay
// silent or send an unknown kind are closed and logged.
//
// Keys are ECDSA P-256. crypto/tls cannot use SM2 certificates, so the
// internode TLS is not national-cryptography (国密) TLS; seals and pushes
// keep their SM2 signatures above it.
package transport
