package verifyapi

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/sealhub/sealhub/internal/httpx"
	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/resolver/httpapi"
	"github.com/sealhub/sealhub/trustlist"
)

// served is an HTTP answer as it came off the wire.
type served struct {
	status int
	hdr    http.Header
	body   []byte
}

func (s served) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(s.body, v); err != nil {
		t.Fatalf("decode %d answer: %v\n%s", s.status, err, s.body)
	}
}

// errorCode checks an error answer's status and returns its code.
func (s served) errorBody(t *testing.T) httpx.ErrorBody {
	t.Helper()
	var e httpx.ErrorBody
	s.decode(t, &e)
	if e.RequestID == "" || e.Message == "" {
		t.Errorf("error body without request_id or message: %s", s.body)
	}
	return e
}

// do sends one request to the node; hdr may be nil. The fixture's API key, if any, is sent unless hdr
// carries its own authentication.
func (f *fixture) do(method, path, contentType string, body []byte, hdr http.Header) served {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	return f.doReader(method, path, contentType, rd, int64(len(body)), hdr)
}

// doReader is do with a streamed body; length -1 sends it chunked.
func (f *fixture) doReader(method, path, contentType string, body io.Reader, length int64, hdr http.Header) served {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if body != nil {
		req.ContentLength = length
		if length < 0 {
			req.ContentLength = -1
			req.Body = io.NopCloser(body) // hide the length: sent chunked
		}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if f.apiKey != "" && req.Header.Get(httpapi.HeaderAPIKey) == "" && req.Header.Get("Authorization") == "" {
		req.Header.Set(httpapi.HeaderAPIKey, f.apiKey)
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	return served{status: resp.StatusCode, hdr: resp.Header, body: b}
}

// query builds "?k=v&…" from pairs; empty values are left out.
func query(kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// atQuery is ?at= for a time, none for the zero time, read at linearizable consistency.
func atQuery(at time.Time) string {
	s := ""
	if !at.IsZero() {
		s = rfc(at)
	}
	return query("at", s, "consistency", "linearizable")
}

// report is a served verification report with the body it came in.
type report struct {
	*resolver.Report
	raw []byte
}

// postSignature posts an SES_Signature with its signed original (nil: none) as JSON.
func (f *fixture) postSignature(der, data []byte, at time.Time) served {
	f.t.Helper()
	body, err := json.Marshal(map[string][]byte{"signature": der, "data": data})
	if err != nil {
		f.t.Fatal(err)
	}
	return f.do(http.MethodPost, "/v1/verify/signature"+atQuery(at), "application/json", body, nil)
}

// verifySignature posts an SES_Signature with its signed original; the answer must be a report.
func (f *fixture) verifySignature(der, data []byte, at time.Time) report {
	f.t.Helper()
	return f.served(f.postSignature(der, data, at), "signature")
}

// postSeal posts an SES_Seal DER raw, checked at at (zero: now).
func (f *fixture) postSeal(der []byte, at time.Time) served {
	f.t.Helper()
	return f.do(http.MethodPost, "/v1/verify/seal"+atQuery(at), "application/octet-stream", der, nil)
}

// verifySeal posts an SES_Seal DER raw; the answer must be a report.
func (f *fixture) verifySeal(der []byte, at time.Time) report {
	f.t.Helper()
	return f.served(f.postSeal(der, at), "seal")
}

// served checks a 200 verification answer — the verdict header, the receipt by the node's published
// key, the trust-list index at least that of the last push — and decodes it.
func (f *fixture) served(s served, kind string) report {
	f.t.Helper()
	if s.status != http.StatusOK {
		f.t.Fatalf("verify %s: %d %s", kind, s.status, s.body)
	}
	var r resolver.Report
	s.decode(f.t, &r)
	if r.Kind != kind {
		f.t.Errorf("report kind %q, want %q", r.Kind, kind)
	}
	f.checkOnline(s, string(r.Result), &r.Online)
	return report{Report: &r, raw: s.body}
}

// checkOnline checks what every online answer carries.
func (f *fixture) checkOnline(s served, verdict string, o *resolver.Online) {
	f.t.Helper()
	if got := s.hdr.Get(httpapi.HeaderResult); got != verdict {
		f.t.Errorf("%s: %q, the report says %q", httpapi.HeaderResult, got, verdict)
	}
	if o.TrustlistIndex < f.pushedIndex() {
		f.t.Errorf("trustlist_index %d is before the last acknowledged push (%d)", o.TrustlistIndex, f.pushedIndex())
	}
	if o.DataAge == nil {
		f.t.Error("no data_age")
	}
	if o.Receipt == nil {
		f.t.Fatalf("the report carries no receipt: %s", s.body)
	}
	rc, err := resolver.VerifyReceipt(s.body)
	if err != nil {
		f.t.Fatalf("the receipt of the body as served does not verify: %v", err)
	}
	if rc.Node != nodeID || rc.KeyID != f.nodeKeyID() {
		f.t.Errorf("receipt by %s with key %s; GET /v1/nodes publishes %s for %s", rc.Node, rc.KeyID, f.nodeKeyID(), nodeID)
	}
}

// verifyOFD posts a document raw (application/ofd) or as the part "file" of a multipart form.
func (f *fixture) verifyOFD(doc []byte, asMultipart bool, at time.Time) (*resolver.OFDReport, []byte) {
	f.t.Helper()
	ct, body := "application/ofd", doc
	if asMultipart {
		ct, body = multipartBody(f.t, map[string][]byte{"file": doc})
	}
	s := f.do(http.MethodPost, "/v1/verify/ofd"+atQuery(at), ct, body, nil)
	if s.status != http.StatusOK {
		f.t.Fatalf("verify ofd: %d %s", s.status, s.body)
	}
	var r resolver.OFDReport
	s.decode(f.t, &r)
	f.checkOnline(s, string(r.Result), &r.Online)
	return &r, s.body
}

// multipartBody encodes parts (in name order) as multipart/form-data.
func multipartBody(t *testing.T, parts map[string][]byte, order ...string) (contentType string, body []byte) {
	t.Helper()
	if len(order) == 0 {
		for name := range parts {
			order = append(order, name)
		}
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, name := range order {
		fw, err := w.CreateFormFile(name, name+".bin")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(parts[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), buf.Bytes()
}

// want is the expected verdict of a report and its status lines.
type want struct {
	result    resolver.Verdict
	reason    resolver.Reason
	atSigning trustlist.Status     // status_at_signing.status; "" means absent
	now       trustlist.Status     // status_now.status; "" means absent
	status    resolver.CheckResult // checks.status.result
	// statusCode is checks.status.code; empty means the reason when the check did not pass.
	statusCode resolver.Reason
}

func (w want) check(t *testing.T, what string, r *resolver.Report) {
	t.Helper()
	if r.Result != w.result || r.Reason != w.reason {
		t.Errorf("%s: %s/%s (%s), want %s/%s", what, r.Result, r.Reason, r.Message, w.result, w.reason)
	}
	if got := statusOf(r.StatusAtSigning); got != w.atSigning {
		t.Errorf("%s: status_at_signing %q, want %q", what, got, w.atSigning)
	}
	if got := statusOf(r.StatusNow); got != w.now {
		t.Errorf("%s: status_now %q, want %q", what, got, w.now)
	}
	code := w.statusCode
	if code == "" && w.status != resolver.Passed && w.status != resolver.Skipped {
		code = w.reason
	}
	if c := r.Checks.Status; c.Result != w.status || c.Code != code {
		t.Errorf("%s: checks.status %s/%s (%s), want %s/%s", what, c.Result, c.Code, c.Detail, w.status, code)
	}
	if r.Result == resolver.Valid && (r.StatusAtSigning == nil || r.StatusAtSigning.Status != trustlist.StatusValid) {
		t.Errorf("%s: valid without a status in force at the time of the check", what)
	}
}

func statusOf(s *resolver.StatusInfo) trustlist.Status {
	if s == nil {
		return ""
	}
	return s.Status
}

// Shorthands for the common expectations.
func valid(now trustlist.Status) want {
	return want{result: resolver.Valid, reason: resolver.ReasonOK, atSigning: trustlist.StatusValid, now: now, status: resolver.Passed}
}

func invalid(reason resolver.Reason, atSigning, now trustlist.Status) want {
	return want{result: resolver.Invalid, reason: reason, atSigning: atSigning, now: now, status: resolver.Failed}
}
