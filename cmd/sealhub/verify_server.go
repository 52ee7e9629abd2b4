package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Flags that only make sense on one side of `sealhub verify`.
var (
	offlineOnlyFlags = []string{"roots", "intermediates", "makers", "strict-anchor-key-usage", "maker-at-signing-time"}
	onlineOnlyFlags  = []string{"api-key", "consistency", "timeout"}
)

// consistencies are the read levels the hub offers (?consistency=).
var consistencies = []string{"stale", "default", "linearizable"}

// maxAnswer bounds what verify reads of the hub's answer.
const maxAnswer = 64 << 20

// onlineFlags are the flags of `sealhub verify` that send the file to a hub.
type onlineFlags struct {
	server      string
	apiKey      string
	consistency string
	timeout     time.Duration
}

func (o *onlineFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&o.server, "server", "", "verify online with this hub's /v1/verify API (default $"+envServer+"; without either, offline)")
	fs.StringVar(&o.apiKey, "api-key", "", "API key sent as X-API-Key (default $"+envAPIKey+")")
	fs.StringVar(&o.consistency, "consistency", "", "read level of the hub: stale, default or linearizable (default: the hub's)")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Second, "how long to wait for the hub's answer, upload included")
}

// verifyOnline runs fn when verify goes to a hub (see online), and then reports online true with
// fn's error or the flags' usage error; online false means verify offline.
func (e *env) verifyOnline(c *cobra.Command, f *verifyFlags, fn func(*onlineVerify) error) (online bool, err error) {
	o, err := e.online(c, f)
	if err != nil {
		return true, err
	}
	if o == nil {
		return false, nil
	}
	defer o.cancel()
	return true, fn(o)
}

// onlineVerify is one verification asked of a hub.
type onlineVerify struct {
	e       *env
	ctx     context.Context
	cancel  context.CancelFunc
	base    string // the hub's URL, without a trailing slash
	apiKey  string
	query   url.Values
	asJSON  bool
	httpc   *http.Client
	timeout time.Duration
}

// online decides how verify runs: online with --server, or with $SEALHUB_SERVER unless an
// offline-only flag (--roots, …) is given; offline otherwise (nil, nil). Flags of the other side are
// usage errors. The caller must call cancel on the result.
func (e *env) online(c *cobra.Command, f *verifyFlags) (*onlineVerify, error) {
	server := f.online.server
	explicit := server != ""
	offlineSet := changed(c, offlineOnlyFlags)
	if !explicit && offlineSet == "" {
		server = strings.TrimSpace(e.getenv(envServer))
	}
	if server == "" {
		if on := changed(c, onlineOnlyFlags); on != "" {
			return nil, usageError("--%s needs --server (or $%s): it only applies to online verification", on, envServer)
		}
		return nil, nil
	}
	if explicit && offlineSet != "" {
		return nil, usageError("--%s applies to offline verification only: with --server the hub's trust list decides", offlineSet)
	}
	base, err := e.serverURL(&remoteFlags{server: server})
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	at, err := f.atTime()
	if err != nil {
		return nil, err
	}
	if !at.IsZero() {
		q.Set("at", f.at)
	}
	if f.online.consistency != "" {
		if !slices.Contains(consistencies, f.online.consistency) {
			return nil, usageError("--consistency %q: want stale, default or linearizable", f.online.consistency)
		}
		q.Set("consistency", f.online.consistency)
	}
	key := f.online.apiKey
	if key == "" {
		key = strings.TrimSpace(e.getenv(envAPIKey))
	}
	ctx, cancel := context.WithTimeout(c.Context(), f.online.timeout)
	return &onlineVerify{e: e, ctx: ctx, cancel: cancel, base: base, apiKey: key, query: q, asJSON: f.json,
		httpc: &http.Client{}, timeout: f.online.timeout}, nil
}

// changed is the first of the flags set on the command line, or "".
func changed(c *cobra.Command, names []string) string {
	for _, n := range names {
		if c.Flags().Changed(n) {
			return n
		}
	}
	return ""
}

// seal sends a seal file to POST /v1/verify/seal.
func (o *onlineVerify) seal(path string) error {
	der, err := readInput(path)
	if err != nil {
		return err
	}
	body, err := o.post("/v1/verify/seal", "application/octet-stream", bytes.NewReader(unarmor(der)), -1)
	if err != nil {
		return err
	}
	return o.printReport(body, path)
}

// signatureRequest is the body of POST /v1/verify/signature: the signature and the SM3 of the
// signed original, which never leaves this machine.
type signatureRequest struct {
	Signature []byte `json:"signature"`          // DER, base64
	DataSM3   string `json:"data_sm3,omitempty"` // 64 hex digits
}

// signature sends a signature file and the SM3 of --data to POST /v1/verify/signature.
func (o *onlineVerify) signature(path, dataPath string) error {
	der, err := readInput(path)
	if err != nil {
		return err
	}
	req := signatureRequest{Signature: unarmor(der)}
	if dataPath != "" {
		if req.DataSM3, err = sm3File(dataPath); err != nil {
			return err
		}
	}
	b, err := json.Marshal(req)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	body, err := o.post("/v1/verify/signature", "application/json", bytes.NewReader(b), -1)
	if err != nil {
		return err
	}
	return o.printReport(body, path)
}

// ofd streams an OFD file to POST /v1/verify/ofd.
func (o *onlineVerify) ofd(path string) error {
	fh, err := os.Open(path)
	if err != nil {
		return usageError("%v", err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return usageError("%s: %v", path, err)
	}
	if !fi.Mode().IsRegular() {
		return usageError("%s: not a regular file", path)
	}
	body, err := o.post("/v1/verify/ofd", "application/ofd", fh, fi.Size())
	if err != nil {
		return err
	}
	var r resolver.OFDReport
	if err := decodeAnswer(body, &r, &r.Result); err != nil {
		return err
	}
	if o.asJSON {
		return o.writeRaw(body, r.Result)
	}
	writeOFDText(o.e.stdout, &r, path)
	writeOFDOnline(o.e.stdout, &r, o.base)
	return resultExit(r.Result)
}

// sm3File is the SM3 of a file, read as a stream, in hex.
func sm3File(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", usageError("--data: %v", err)
	}
	defer fh.Close()
	sum, _, err := smcrypto.SM3Reader(fh)
	if err != nil {
		return "", usageError("--data %s: %v", path, err)
	}
	return hex.EncodeToString(sum[:]), nil
}

// unarmor is the DER inside a PEM block or a base64 file, as `sealhub inspect` reads them; other
// input is returned as it is.
func unarmor(data []byte) []byte {
	if block, _ := pem.Decode(data); block != nil {
		return block.Bytes
	}
	if b, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(data))); err == nil && len(b) > 0 {
		return b
	}
	return data
}

// post sends one request and returns the body of a 200 answer. size -1 lets the body say its own
// length (bytes.Reader). Any other answer is an error with exit code 3.
func (o *onlineVerify) post(path, contentType string, body io.Reader, size int64) ([]byte, error) {
	u := o.base + path
	if len(o.query) > 0 {
		u += "?" + o.query.Encode()
	}
	req, err := http.NewRequestWithContext(o.ctx, http.MethodPost, u, body)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	if size >= 0 {
		req.ContentLength = size
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	if o.apiKey != "" {
		req.Header.Set("X-API-Key", o.apiKey)
	}
	resp, err := o.httpc.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, &exitError{code: exitUsage, err: fmt.Errorf("POST %s: no answer within --timeout %s", u, o.timeout)}
		}
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("POST %s: %w", u, err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("POST %s: reading the answer: %w", u, err)}
	}
	if len(data) > maxAnswer {
		return nil, usageError("POST %s: the answer is larger than %d MiB", u, maxAnswer>>20)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &exitError{code: exitUsage, err: newHubError(resp.StatusCode, data)}
	}
	return data, nil
}

// hubError is a non-200 answer of the hub: {"code","message","request_id","details"?}.
type hubError struct {
	Status    int             `json:"-"`
	Code      string          `json:"code"`
	Message   string          `json:"message"`
	RequestID string          `json:"request_id"`
	Details   json.RawMessage `json:"details,omitempty"`
}

func newHubError(status int, body []byte) *hubError {
	e := &hubError{Status: status}
	if json.Unmarshal(body, e) != nil || e.Code == "" {
		msg := strings.TrimSpace(string(body))
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		if msg == "" {
			msg = http.StatusText(status)
		}
		*e = hubError{Status: status, Code: "HTTP_" + strconv.Itoa(status), Message: msg}
	}
	return e
}

// Error is "CODE: message", then the request id and details on lines of their own.
func (e *hubError) Error() string {
	var b strings.Builder
	b.WriteString(e.Code + ": " + e.Message)
	if e.RequestID != "" {
		b.WriteString("\n  request id: " + e.RequestID)
	}
	var d bytes.Buffer
	if len(e.Details) > 0 && json.Compact(&d, e.Details) == nil && d.String() != "null" {
		b.WriteString("\n  details: " + d.String())
	}
	return b.String()
}

// decodeAnswer decodes a 200 answer into a report whose verdict is *result. An answer without a
// verdict is refused rather than given a guessed exit code.
func decodeAnswer(body []byte, report any, result *resolver.Verdict) error {
	if err := json.Unmarshal(body, report); err != nil {
		return usageError("the hub's answer is not a report: %v", err)
	}
	switch *result {
	case resolver.Valid, resolver.Invalid, resolver.Indeterminate:
		return nil
	}
	return usageError("the hub's answer is not a report: result %q", *result)
}

// printReport prints a seal or signature report the hub answered.
func (o *onlineVerify) printReport(body []byte, name string) error {
	var r resolver.Report
	if err := decodeAnswer(body, &r, &r.Result); err != nil {
		return err
	}
	if o.asJSON {
		return o.writeRaw(body, r.Result)
	}
	writeReportText(o.e.stdout, &r, name, "")
	writeStatusText(o.e.stdout, &r, "")
	writeOnlineText(o.e.stdout, &r.Online, o.base, "")
	return resultExit(r.Result)
}

// writeRaw writes the hub's answer byte for byte, so its receipt stays verifiable.
func (o *onlineVerify) writeRaw(body []byte, v resolver.Verdict) error {
	if _, err := o.e.stdout.Write(body); err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("writing the report: %w", err)}
	}
	return resultExit(v)
}

// statusNames gives the Chinese term of the statuses the regulation names.
var statusNames = map[string]string{"valid": "有效", "suspended": "停用", "revoked": "注销", "invalidated": "无效"}

// writeStatusText prints the seal's status at the time of the check and now, as the hub answered.
func writeStatusText(w io.Writer, r *resolver.Report, indent string) {
	if r.StatusAtSigning == nil && r.StatusNow == nil {
		return
	}
	fmt.Fprintf(w, "%s  status at the checked time: %s\n", indent, statusText(r.StatusAtSigning))
	fmt.Fprintf(w, "%s  status now:                %s\n", indent, statusText(r.StatusNow))
}

// statusText is one StatusInfo on one line: status, source, registry and what decided it.
func statusText(s *resolver.StatusInfo) string {
	if s == nil {
		return "-"
	}
	st := strings.ToUpper(string(s.Status))
	if zh := statusNames[string(s.Status)]; zh != "" {
		st += " (" + zh + ")"
	}
	parts := []string{"at " + ts(s.At), "source " + s.Source}
	if s.Registry != "" {
		parts = append(parts, "registry "+s.Registry)
	}
	if ev := s.Event; ev != nil {
		e := fmt.Sprintf("event %s effective %s, recorded %s at index %d", ev.Status, ts(ev.EffectiveAt), ts(ev.RecordedAt), ev.Index)
		if ev.Reason != "" {
			e += " (" + ev.Reason + ")"
		}
		parts = append(parts, e)
	}
	if s.EffectiveAt != nil {
		parts = append(parts, "effective "+ts(*s.EffectiveAt))
	}
	if s.CheckedAt != nil {
		parts = append(parts, "region answered "+ts(*s.CheckedAt))
	}
	if s.Stale {
		parts = append(parts, "STALE: the region's last answer, not a fresh one")
	}
	if s.Detail != "" {
		parts = append(parts, s.Detail)
	}
	return st + "; " + strings.Join(parts, "; ")
}

// writeOnlineText prints what the hub adds to a report: the trust-list index and registry heads,
// the data age and the receipt.
func writeOnlineText(w io.Writer, on *resolver.Online, base, indent string) {
	p := func(format string, args ...any) { fmt.Fprintf(w, indent+format+"\n", args...) }
	if base != "" {
		p("  hub:        %s", base)
	}
	if on.TrustlistIndex != 0 || len(on.RegistryHeads) > 0 {
		heads := make([]string, 0, len(on.RegistryHeads))
		for _, id := range slices.Sorted(maps.Keys(on.RegistryHeads)) {
			h := on.RegistryHeads[id]
			heads = append(heads, fmt.Sprintf("%s seq %d (index %d)", id, h.Seq, h.Index))
		}
		line := fmt.Sprintf("  trust list: index %d", on.TrustlistIndex)
		if len(heads) > 0 {
			line += "; registry heads " + strings.Join(heads, ", ")
		}
		p("%s", line)
	}
	if on.DataAge != nil {
		p("  data age:   at most %d ms (%s)", on.DataAge.Millis, on.DataAge.Source)
	}
	if rc := on.Receipt; rc != nil {
		p("  receipt:    node %s, key id %s, signed %s (回执; keep the --json output to check it with `sealhub receipt verify`)",
			rc.Node, rc.KeyID, ts(rc.SignedAt))
	} else if base != "" {
		p("  receipt:    none")
	}
}

// writeOFDOnline prints each signature's status and the document's online fields after
// writeOFDText.
func writeOFDOnline(w io.Writer, r *resolver.OFDReport, base string) {
	fmt.Fprintln(w)
	for i, s := range r.Signatures {
		if s.Report == nil || (s.StatusAtSigning == nil && s.StatusNow == nil) {
			continue
		}
		fmt.Fprintf(w, "[%d] %s\n", i+1, s.SignaturePath)
		writeStatusText(w, s.Report, "  ")
		writeOnlineText(w, &s.Online, "", "  ")
	}
	writeOnlineText(w, &r.Online, base, "")
}
