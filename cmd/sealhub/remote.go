package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/federation/ingest"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
	"github.com/spf13/pflag"
)

// Environment variables. Settings come from flags and, for `sealhub server`, from its config file;
// the environment carries secrets only, plus the client commands' default server. Every SEALHUB_*
// variable sealhub reads is listed here:
//
//	SEALHUB_SERVER   default --server of push, import, admin and status (a flag wins over it;
//	                 without either, http://127.0.0.1:8080), and of verify --server and receipt
//	                 verify (there, without either, verify works offline)
//	SEALHUB_API_KEY  the verifier API key of verify --server and receipt verify --server
//	SEALHUB_PEER, SEALHUB_TLS_CA, SEALHUB_TLS_CERT, SEALHUB_TLS_KEY  the operator commands'
//	                 cluster peer and mTLS files (cluster.go)
//
// `sealhub server` reads no variable: its settings are in its config file.
const (
	envServer     = "SEALHUB_SERVER"
	defaultServer = "http://127.0.0.1:8080"
	// envAPIKey is the default of --api-key, sent as X-API-Key: a secret, so it comes from the
	// environment rather than the command line.
	envAPIKey = "SEALHUB_API_KEY"
)

// Exit codes of the commands that talk to a hub: 0 done, 1 the hub refused (a 4xx answer: rejected
// push, seal not found), 3 usage, I/O error, hub unreachable or unavailable.
const exitRejected = 1

// remoteFlags are the flags of the commands that talk to a hub.
type remoteFlags struct {
	server string
	key    string // PEM file of the signing key (push, import, admin)
}

func (f *remoteFlags) addServer(fs *pflag.FlagSet) {
	fs.StringVar(&f.server, "server", "", "hub API URL (default $"+envServer+", else "+defaultServer+")")
}

func (f *remoteFlags) addKey(fs *pflag.FlagSet, what string) {
	fs.StringVar(&f.key, "key", "", what+" (PEM, PKCS#8 or SEC 1, unencrypted)")
}

// serverURL resolves --server, then $SEALHUB_SERVER, then the default.
func (e *env) serverURL(f *remoteFlags) (string, error) {
	s := f.server
	if s == "" {
		s = strings.TrimSpace(e.getenv(envServer))
	}
	if s == "" {
		s = defaultServer
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", usageError("server %q: want an http:// or https:// URL", s)
	}
	return strings.TrimRight(s, "/"), nil
}

// newClient makes the API client of a command.
func (e *env) newClient(f *remoteFlags) (*client.Client, error) {
	u, err := e.serverURL(f)
	if err != nil {
		return nil, err
	}
	return client.New(u), nil
}

// signingKey reads --key.
func (f *remoteFlags) signingKey() (*sm2.PrivateKey, error) {
	if f.key == "" {
		return nil, usageError("--key is required: the PEM file of the signing key (sealhub keygen makes one)")
	}
	data, err := os.ReadFile(f.key)
	if err != nil {
		return nil, usageError("--key: %v", err)
	}
	k, err := smcrypto.ParsePrivateKeyPEM(data)
	if err != nil {
		return nil, usageError("--key %s: %v", f.key, err)
	}
	return k, nil
}

// readPublicKeyFile reads a PEM public key file, for the key fields of pushes.
func readPublicKeyFile(path string) (string, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	pub, err := smcrypto.ParsePublicKey(string(data))
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", path, err)
	}
	p, err := smcrypto.MarshalPublicKeyPEM(pub)
	if err != nil {
		return "", "", err
	}
	return string(p), smcrypto.KeyID(pub), nil
}

// printPush prints an accepted push.
func (e *env) printPush(res *ingest.PushResponse, asJSON bool) error {
	if asJSON {
		return writeJSON(e.stdout, res)
	}
	what := "accepted"
	if res.Replay {
		what = "already accepted (replay of the same bytes)"
	}
	fmt.Fprintf(e.stdout, "push %s: registry %s, seq %d, %d op(s)\n", what, res.Registry, res.Seq, res.Ops)
	fmt.Fprintf(e.stdout, "  index:       %d\n  hash:        %s\n  recorded at: %s\n  replay:      %t\n",
		res.Index, res.Hash, ts(res.RecordedAt), res.Replay)
	return nil
}

var opIndexRe = regexp.MustCompile(`^op (\d+): `)

// rejectedOp is the index of the op an API rejection names ("op N: …"), or -1.
func rejectedOp(ae *client.Error) int {
	m := opIndexRe.FindStringSubmatch(ae.Message)
	if m == nil {
		return -1
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return -1
	}
	return n
}

// apiFailure prints why a request to the hub failed and returns the exit error: 1 when the hub
// answered 4xx, 3 otherwise (unreachable, unavailable, interrupted). where, if not nil, names the
// source of the op a rejection points at (a ledger line).
func apiFailure(w io.Writer, what string, err error, where func(op int) string) error {
	var ae *client.Error
	if !errors.As(err, &ae) {
		return &exitError{code: exitUsage, err: fmt.Errorf("%s: %w", what, err)}
	}
	fmt.Fprintf(w, "sealhub: %s: %d %s\n", what, ae.Status, ae.Code)
	msg := ae.Message
	if op := rejectedOp(ae); op >= 0 && where != nil {
		if s := where(op); s != "" {
			msg = s + " (op " + strconv.Itoa(op) + "): " + opIndexRe.ReplaceAllString(msg, "")
		}
	}
	fmt.Fprintf(w, "  %s\n", msg)
	if ae.RequestID != "" {
		fmt.Fprintf(w, "  request id: %s\n", ae.RequestID)
	}
	if ae.Status >= 400 && ae.Status < 500 {
		return &exitError{code: exitRejected}
	}
	return &exitError{code: exitUsage}
}
