package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/resolver/httpapi"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// signedReport verifies the embedded example seal with a resolver over an empty trust list, as a
// hub node would answer it, and returns the report's JSON; a nil key gives a report without a
// receipt.
func signedReport(t *testing.T, node string, key *sm2.PrivateKey) []byte {
	t.Helper()
	der, err := os.ReadFile(filepath.Join(exampleDir, "seal.esl"))
	if err != nil {
		t.Fatal(err)
	}
	r := &resolver.Resolver{Now: func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }}
	if key != nil {
		r.Signer = resolver.NewSigner(node, key, nil)
	}
	ctx := trustlist.WithState(context.Background(), trustlist.New())
	res, err := r.Verify(ctx, resolver.Request{Kind: resolver.KindSeal, DER: der})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// nodeListJSON is a GET /v1/nodes answer listing these nodes' keys.
func nodeListJSON(t *testing.T, nodes map[string]*sm2.PrivateKey) []byte {
	t.Helper()
	var list []httpapi.NodeInfo
	for id, k := range nodes {
		pemBytes, err := smcrypto.MarshalPublicKeyPEM(&k.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, httpapi.NodeInfo{ID: id, KeyID: smcrypto.KeyID(&k.PublicKey), PublicKey: smcrypto.PublicKeyBytes(&k.PublicKey),
			PublicKeyPEM: string(pemBytes), ClusterAddr: "127.0.0.1:7000", Reachable: true})
	}
	// A node whose key the hub could not fetch, as GET /v1/nodes lists it.
	list = append(list, httpapi.NodeInfo{ID: "n9", ClusterAddr: "127.0.0.1:7009", Error: "connection refused"})
	b, err := json.Marshal(map[string]any{"nodes": list})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newKey(t *testing.T) *sm2.PrivateKey {
	t.Helper()
	k, err := smcrypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestReceiptVerify(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	n1, n2, stranger := newKey(t), newKey(t), newKey(t)
	good := signedReport(t, "n1", n1)
	var indented bytes.Buffer
	if err := json.Indent(&indented, good, "", "  "); err != nil {
		t.Fatal(err)
	}
	// One byte changed: the seal's kind.
	changed := bytes.Replace(good, []byte(`"kind":"seal"`), []byte(`"kind":"seaL"`), 1)
	if bytes.Equal(changed, good) {
		t.Fatal("the report has no kind to change")
	}
	// The key of the receipt published with a different public key under its key id.
	otherKey := nodeListJSON(t, map[string]*sm2.PrivateKey{"n2": n2})
	otherKey = bytes.Replace(otherKey, []byte(smcrypto.KeyID(&n2.PublicKey)), []byte(smcrypto.KeyID(&n1.PublicKey)), 1)

	var (
		report    = write("report.json", good)
		reindent  = write("indented.json", indented.Bytes())
		oneByte   = write("changed.json", changed)
		byOther   = write("stranger.json", signedReport(t, "n1", stranger))
		noReceipt = write("no-receipt.json", signedReport(t, "", nil))
		garbage   = write("garbage.json", []byte("\x00\x01 not json at all"))
		notReport = write("not-report.json", []byte(`{"hello":"world"}`))
		nodes     = write("nodes.json", nodeListJSON(t, map[string]*sm2.PrivateKey{"n1": n1, "n2": n2}))
		diffKey   = write("nodes-other-key.json", otherKey)
		otherNode = write("nodes-other-node.json", nodeListJSON(t, map[string]*sm2.PrivateKey{"n2": n1}))
		badNodes  = write("nodes-bad.json", []byte(`{"nodes":[{"id":"n1","key_id":"0011223344556677","public_key":"AAAA"}]}`))
		noNodes   = write("nodes-none.json", []byte(`{"hello":[]}`))
	)
	cases := map[string]struct {
		args       []string
		code       int
		stdout     []string // substrings
		stderr     []string
		notStderr  string
		stdoutNone bool
	}{
		"good receipt, published key": {args: []string{report, "--nodes", nodes}, code: 0,
			stdout: []string{"signature verifies", "node:       n1", "key id:     " + smcrypto.KeyID(&n1.PublicKey), "signed at:  20",
				"report:     INDETERMINATE (", "published for node n1"}, notStderr: "warning"},
		"re-indented report": {args: []string{reindent, "--nodes", nodes}, code: 0, stdout: []string{"published for node n1"}},
		"no key list: warning": {args: []string{report}, code: 0,
			stdout: []string{"signature verifies", "NOT CHECKED"}, stderr: []string{"warning", "not checked against the hub's node keys"}},
		"one byte changed":          {args: []string{oneByte, "--nodes", nodes}, code: exitInvalid, stdout: []string{"SIGNATURE DOES NOT VERIFY", "node:       n1"}},
		"one byte changed, no list": {args: []string{oneByte}, code: exitInvalid, stdout: []string{"SIGNATURE DOES NOT VERIFY"}},
		"key not published": {args: []string{byOther, "--nodes", nodes}, code: exitInvalid,
			stdout: []string{"signature verifies", "NOT PUBLISHED", "is not among the 2 published node keys"}},
		"key id published with another key": {args: []string{report, "--nodes", diffKey}, code: exitInvalid,
			stdout: []string{"NOT PUBLISHED", "different public key"}},
		"key published for another node": {args: []string{report, "--nodes", otherNode}, code: exitInvalid,
			stdout: []string{"NOT PUBLISHED", "published for node n2, not for n1"}},
		"no receipt":         {args: []string{noReceipt, "--nodes", nodes}, code: exitUsage, stderr: []string{"no receipt"}, stdoutNone: true},
		"garbage":            {args: []string{garbage}, code: exitUsage, stderr: []string{"malformed"}, stdoutNone: true},
		"not a report":       {args: []string{notReport}, code: exitUsage, stderr: []string{"no receipt"}, stdoutNone: true},
		"missing file":       {args: []string{filepath.Join(dir, "nope.json")}, code: exitUsage, stdoutNone: true},
		"malformed node key": {args: []string{report, "--nodes", badNodes}, code: exitUsage, stderr: []string{"public_key"}},
		"not a node list":    {args: []string{report, "--nodes", noNodes}, code: exitUsage, stderr: []string{"not a node list"}},
		"missing node list":  {args: []string{report, "--nodes", filepath.Join(dir, "nope.json")}, code: exitUsage},
		"nodes and server":   {args: []string{report, "--nodes", nodes, "--server", "http://127.0.0.1:1"}, code: exitUsage},
		"unreachable server": {args: []string{report, "--server", "http://127.0.0.1:1", "--timeout", "2s"}, code: exitUsage, stderr: []string{"node keys"}},
		"two reports":        {args: []string{report, report}, code: exitUsage},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"receipt", "verify"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
			if tc.notStderr != "" && strings.Contains(errOut, tc.notStderr) {
				t.Errorf("stderr has %q:\n%s", tc.notStderr, errOut)
			}
			if tc.stdoutNone && out != "" {
				t.Errorf("stdout: %s", out)
			}
		})
	}
	if code, _, errOut := runCLI(t, "receipt"); code != exitUsage || errOut == "" {
		t.Errorf("receipt alone: exit %d %s", code, errOut)
	}
}
