package main

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
	"github.com/spf13/cobra"
)

// maxNodeList bounds a node list file.
const maxNodeList = 4 << 20

type receiptFlags struct {
	nodes   string
	server  string
	apiKey  string
	timeout time.Duration
}

func (e *env) receiptCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "receipt",
		Short: "Check the receipt (回执) a hub signed on a saved verification report",
		Args:  cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			return usageError("receipt what? sealhub receipt verify REPORT.json")
		},
	}
	f := &receiptFlags{}
	verify := &cobra.Command{
		Use:   "verify REPORT.json",
		Short: "Check a saved report's receipt offline, and its key against the hub's node keys",
		Long: `Check the receipt (回执) of a report saved from ` + "`sealhub verify --server … --json`" + ` or
from the /v1/verify API: the answering node's SM2 signature over the report (` + resolver.ReceiptAlgorithm + `).
Any change to the report after the hub signed it makes the check fail.

The signature only proves that whoever holds the key in the receipt signed this report. That the key
is one of the hub's node keys is checked against GET /v1/nodes: saved to a file (--nodes), or
fetched from the hub (--server, default $SEALHUB_SERVER). Without either, the key is not checked and
a warning says so.

Exit codes: 0 the signature verifies and the key is a published node key (or no key list was given);
1 the signature does not verify, or the key is not among the published node keys; 3 unreadable
file, malformed report or node list, no receipt, or the hub could not be asked.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return e.receiptVerify(c.Context(), f, args[0])
		},
	}
	fs := verify.Flags()
	fs.StringVar(&f.nodes, "nodes", "", "the hub's node keys: a file saved from GET /v1/nodes")
	fs.StringVar(&f.server, "server", "", "fetch the node keys from this hub (default $"+envServer+")")
	fs.StringVar(&f.apiKey, "api-key", "", "API key for --server, sent as X-API-Key (default $"+envAPIKey+")")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "how long to wait for the hub's node keys")
	cmd.AddCommand(verify)
	return cmd
}

// reportHead is what receipt verify shows of the report itself.
type reportHead struct {
	Result  resolver.Verdict `json:"result"`
	Reason  resolver.Reason  `json:"reason"`
	Message string           `json:"message"`
}

func (e *env) receiptVerify(ctx context.Context, f *receiptFlags, path string) error {
	if f.nodes != "" && f.server != "" {
		return usageError("give --nodes or --server, not both")
	}
	data, err := readInput(path)
	if err != nil {
		return err
	}
	rc, err := resolver.VerifyReceipt(data)
	switch {
	case errors.Is(err, resolver.ErrReceiptInvalid):
		fmt.Fprintf(e.stdout, "receipt (回执) of %s: SIGNATURE DOES NOT VERIFY\n", path)
		fmt.Fprintf(e.stdout, "  the report was changed after it was signed, or the receipt was not made for it (%v)\n", err)
		if rc != nil {
			writeReceiptText(e.stdout, rc)
		}
		return &exitError{code: exitInvalid}
	case err != nil:
		return usageError("%s: %v", path, err)
	}
	var head reportHead
	if err := json.Unmarshal(data, &head); err != nil || head.Result == "" {
		return usageError("%s: %v: not a verification report (no result)", path, resolver.ErrReceiptMalforms)
	}
	keys, source, err := e.nodeKeys(ctx, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "receipt (回执) of %s: signature verifies\n", path)
	writeReceiptText(e.stdout, rc)
	fmt.Fprintf(e.stdout, "  report:     %s (%s)", strings.ToUpper(string(head.Result)), head.Reason)
	if head.Message != "" {
		fmt.Fprintf(e.stdout, " — %s", head.Message)
	}
	fmt.Fprintln(e.stdout)
	if keys == nil {
		fmt.Fprintln(e.stdout, "  node key:   NOT CHECKED")
		fmt.Fprintf(e.stderr, "sealhub: warning: the receipt's key was not checked against the hub's node keys: give --nodes "+
			"(a file saved from GET /v1/nodes) or --server. Until then the signature only shows the report is unchanged since "+
			"the holder of key %s signed it.\n", rc.KeyID)
		return nil
	}
	if err := keys.published(rc); err != nil {
		fmt.Fprintf(e.stdout, "  node key:   NOT PUBLISHED — %v (%s)\n", err, source)
		return &exitError{code: exitInvalid}
	}
	fmt.Fprintf(e.stdout, "  node key:   published for node %s (%s)\n", rc.Node, source)
	return nil
}

func writeReceiptText(w io.Writer, rc *resolver.Receipt) {
	fmt.Fprintf(w, "  node:       %s\n  key id:     %s\n  signed at:  %s\n", rc.Node, rc.KeyID, ts(rc.SignedAt))
}

// nodeList is the answer of GET /v1/nodes (httpapi.NodeInfo), or a file saved from it. Only the
// fields receipt verify needs are read; entries without a key (a node whose key the hub could not
// fetch) are kept for the message.
type nodeList struct {
	Nodes []nodeEntry `json:"nodes"`
}

type nodeEntry struct {
	ID           string `json:"id"`
	KeyID        string `json:"key_id"`
	PublicKey    []byte `json:"public_key"` // 04‖X‖Y, base64
	PublicKeyPEM string `json:"public_key_pem"`
	Error        string `json:"error"`

	key *ecdsa.PublicKey
}

// nodeKeys loads the key list from --nodes or the hub; nil without either.
func (e *env) nodeKeys(ctx context.Context, f *receiptFlags) (*nodeList, string, error) {
	if f.nodes != "" {
		data, err := os.ReadFile(f.nodes)
		if err != nil {
			return nil, "", usageError("--nodes: %v", err)
		}
		if len(data) > maxNodeList {
			return nil, "", usageError("--nodes %s: larger than %d MiB", f.nodes, maxNodeList>>20)
		}
		l, err := parseNodeList(data)
		if err != nil {
			return nil, "", usageError("--nodes %s: %v", f.nodes, err)
		}
		return l, f.nodes, nil
	}
	server := f.server
	if server == "" {
		server = strings.TrimSpace(e.getenv(envServer))
	}
	if server == "" {
		return nil, "", nil
	}
	base, err := e.serverURL(&remoteFlags{server: server})
	if err != nil {
		return nil, "", err
	}
	c := client.New(base)
	c.Retries = 2
	hdr := http.Header{}
	if key := firstNonEmpty(f.apiKey, strings.TrimSpace(e.getenv(envAPIKey))); key != "" {
		hdr.Set("X-API-Key", key)
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	var raw json.RawMessage
	if err := c.Do(ctx, http.MethodGet, "/v1/nodes", nil, hdr, &raw); err != nil {
		var ae *client.Error
		if errors.As(err, &ae) {
			err = &hubError{Status: ae.Status, Code: ae.Code, Message: ae.Message, RequestID: ae.RequestID}
		}
		return nil, "", &exitError{code: exitUsage, err: fmt.Errorf("fetching the node keys from %s: %w", base, err)}
	}
	l, err := parseNodeList(raw)
	if err != nil {
		return nil, "", usageError("GET %s/v1/nodes: %v", base, err)
	}
	return l, "GET " + base + "/v1/nodes", nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// parseNodeList decodes a node list and reads each node's key; the base64 and PEM forms, when both
// are given, must be the same key.
func parseNodeList(data []byte) (*nodeList, error) {
	var l nodeList
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("not a node list (GET /v1/nodes): %w", err)
	}
	if l.Nodes == nil {
		return nil, errors.New(`not a node list (GET /v1/nodes): no "nodes"`)
	}
	for i := range l.Nodes {
		n := &l.Nodes[i]
		if err := n.parseKey(); err != nil {
			return nil, fmt.Errorf("node %q: %w", n.ID, err)
		}
	}
	return &l, nil
}

func (n *nodeEntry) parseKey() error {
	var keys []*ecdsa.PublicKey
	if len(n.PublicKey) > 0 {
		k, err := smcrypto.PublicKeyFromBytes(n.PublicKey)
		if err != nil {
			return fmt.Errorf("public_key: %w", err)
		}
		keys = append(keys, k)
	}
	if n.PublicKeyPEM != "" {
		k, err := smcrypto.ParsePublicKey(n.PublicKeyPEM)
		if err != nil {
			return fmt.Errorf("public_key_pem: %w", err)
		}
		keys = append(keys, k)
	}
	switch {
	case len(keys) == 0 && n.KeyID != "":
		return fmt.Errorf("key_id %s without a public key", n.KeyID)
	case len(keys) == 0:
		return nil // the hub could not fetch this node's key
	case len(keys) == 2 && !keys[0].Equal(keys[1]):
		return errors.New("public_key and public_key_pem are different keys")
	}
	n.key = keys[0]
	return nil
}

// published checks that the receipt's key is a node key of the list, published for the node the
// receipt names.
func (l *nodeList) published(rc *resolver.Receipt) error {
	pub, err := smcrypto.PublicKeyFromBytes(rc.PublicKey)
	if err != nil {
		return fmt.Errorf("the receipt's public key: %w", err)
	}
	var other []string
	for _, n := range l.Nodes {
		if n.key == nil || n.KeyID != rc.KeyID {
			continue
		}
		if !n.key.Equal(pub) {
			return fmt.Errorf("node %s publishes key id %s with a different public key", n.ID, rc.KeyID)
		}
		if n.ID == rc.Node {
			return nil
		}
		other = append(other, n.ID)
	}
	if len(other) > 0 {
		return fmt.Errorf("key %s is published for node %s, not for %s as the receipt says", rc.KeyID, strings.Join(other, ", "), rc.Node)
	}
	msg := fmt.Sprintf("key id %s is not among the %d published node keys", rc.KeyID, l.withKeys())
	for _, n := range l.Nodes {
		if n.ID == rc.Node && n.key == nil {
			msg += fmt.Sprintf("; the hub could not fetch node %s's key (%s)", n.ID, orDash(n.Error))
		}
	}
	return errors.New(msg)
}

func (l *nodeList) withKeys() int {
	n := 0
	for _, e := range l.Nodes {
		if e.key != nil {
			n++
		}
	}
	return n
}
