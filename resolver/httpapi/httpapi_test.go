package httpapi_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/gin-gonic/gin"
	"github.com/sealhub/sealhub/internal/httpx"
	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/resolver/httpapi"
	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// now is the fixture clock: the pushes' time, the resolver's and the API's.
var now = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// Codes of the fixture's seals.
const (
	sealCode  = "37030000000001" // filed from its DER; the demo signer's CN
	metaCode  = "37010000000002" // filed from metadata, suspended
	sealOther = "37010000000099" // never filed
	revoked   = "37010000000003" // filed from metadata, revoked in a later push
)

// signedData is the original the fixture's signature signs.
var signedData = []byte("<ofd:Signature>the signed original</ofd:Signature>")

// fixture is a trust list holding the demo PKI's root and intermediate, its maker, and two seals, with
// a signature and an OFD document made with that PKI.
type fixture struct {
	pki       *sm2ca.PKI
	st        *trustlist.State
	sealDER   []byte
	signature []byte // over signedData
	doc       []byte // a signed OFD document
	signer    *resolver.Signer
	filed     uint64 // the index of the push that filed the seals; revoked was revoked after it
}

// pusher applies signed pushes to a state, as the registries would send them.
type pusher struct {
	tb   testing.TB
	st   *trustlist.State
	keys map[string]*sm2.PrivateKey
	at   time.Time
}

func (p *pusher) do(reg string, ops ...trustlist.Op) {
	p.tb.Helper()
	seq, prev := uint64(1), ""
	if r, ok := p.st.Registry(reg); ok {
		seq, prev = r.Head.Seq+1, r.Head.Hash
	}
	body, err := json.Marshal(trustlist.Push{Registry: reg, Seq: seq, Prev: prev, IssuedAt: p.at, Ops: ops})
	if err != nil {
		p.tb.Fatal(err)
	}
	key := p.keys[reg]
	sig, err := smcrypto.Sign(key, body)
	if err != nil {
		p.tb.Fatal(err)
	}
	env := trustlist.Envelope{Body: body, KeyID: smcrypto.KeyID(&key.PublicKey), Signature: sig, RecordedAt: p.at}
	next, _, err := p.st.Apply(env, p.st.Index()+1)
	if err != nil {
		p.tb.Fatalf("push by %s: %v", reg, err)
	}
	p.st, p.at = next, p.at.Add(time.Minute)
}

func keySpec(tb testing.TB, k *sm2.PrivateKey) trustlist.KeySpec {
	tb.Helper()
	pem, err := smcrypto.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	return trustlist.KeySpec{PublicKey: string(pem)}
}

func mustKey(tb testing.TB) *sm2.PrivateKey {
	tb.Helper()
	k, err := smcrypto.GenerateKey()
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

var (
	fixtureOnce sync.Once
	fixtureVal  *fixture
	fixtureErr  error
)

// newFixture builds the fixture once per test binary; it is immutable.
func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	fixtureOnce.Do(func() { fixtureVal, fixtureErr = buildFixture() })
	if fixtureErr != nil {
		tb.Fatal(fixtureErr)
	}
	return fixtureVal
}

// fatalTB turns the helpers' Fatal into a panic that buildFixture recovers.
type fatalTB struct{ testing.TB }

func (fatalTB) Helper()                   {}
func (fatalTB) Fatal(args ...any)         { panic(fmt.Sprint(args...)) }
func (fatalTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }

func buildFixture() (fx *fixture, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("fixture: %v", p)
		}
	}()
	tb := fatalTB{}
	pki, err := sm2ca.New(sm2ca.Options{Province: "山东省"})
	if err != nil {
		return nil, err
	}
	admin, shandong := mustKey(tb), mustKey(tb)
	st, err := trustlist.New().Init([]trustlist.KeySpec{keySpec(tb, admin)}, now, 1)
	if err != nil {
		return nil, err
	}
	p := &pusher{tb: tb, st: st, keys: map[string]*sm2.PrivateKey{trustlist.AdminID: admin, "37": shandong}, at: now}
	p.do(trustlist.AdminID,
		trustlist.Op{Op: trustlist.OpRegistryCreate, RegistrySpec: &trustlist.RegistrySpec{ID: "37", Name: "山东省电子印章管理平台",
			Kind: trustlist.KindProvince, Jurisdiction: []string{"37"}, Keys: []trustlist.KeySpec{keySpec(tb, shandong)}}},
		trustlist.Op{Op: trustlist.OpAnchorAdd, Cert: pki.Root.DER})
	sealDER, err := pki.Seal(sm2ca.SealSpec{})
	if err != nil {
		return nil, err
	}
	suspended := now.Add(-24 * time.Hour)
	p.do("37",
		trustlist.Op{Op: trustlist.OpAnchorAdd, Cert: pki.Intermediate.DER},
		trustlist.Op{Op: trustlist.OpMakerAdd, Cert: pki.Maker.DER},
		trustlist.Op{Op: trustlist.OpSealFile, Seal: sealDER},
		trustlist.Op{Op: trustlist.OpSealFile, Meta: &trustlist.SealMeta{Code: metaCode, Name: "测试印章", Type: 1,
			ValidStart: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), ValidEnd: time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)}},
		trustlist.Op{Op: trustlist.OpSealStatus, Code: metaCode, Action: "suspend", EffectiveAt: &suspended, Reason: "停用"},
		trustlist.Op{Op: trustlist.OpSealFile, Meta: &trustlist.SealMeta{Code: revoked, Name: "测试印章 3", Type: 1,
			ValidStart: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), ValidEnd: time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)}})
	filed := p.st.Index()
	revokedAt := now.Add(-time.Hour)
	p.do("37", trustlist.Op{Op: trustlist.OpSealStatus, Code: revoked, Action: "revoke", EffectiveAt: &revokedAt, Reason: "注销"})
	sig, err := pki.Sign(sm2ca.SignSpec{Seal: sealDER, Data: signedData})
	if err != nil {
		return nil, err
	}
	doc, err := pki.OFD(sm2ca.OFDSignature{Seal: sealDER})
	if err != nil {
		return nil, err
	}
	signer := resolver.NewSigner("n1", mustKey(tb), func() time.Time { return now })
	return &fixture{pki: pki, st: p.st, sealDER: sealDER, signature: sig, doc: doc, signer: signer, filed: filed}, nil
}

type stateSource struct{ st *trustlist.State }

func (s stateSource) State() *trustlist.State { return s.st }

// server is the fixture's API on an httpx engine; edit may change the configuration first.
func (fx *fixture) server(tb testing.TB, edit func(*httpapi.Config)) *gin.Engine {
	tb.Helper()
	src := stateSource{fx.st}
	clock := func() time.Time { return now }
	cfg := httpapi.Config{
		State:    src,
		Resolver: &resolver.Resolver{Trust: src, Signer: fx.signer, Now: clock},
		Now:      clock,
	}
	if edit != nil {
		edit(&cfg)
	}
	e, err := httpx.New(httpx.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	api, err := httpapi.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	api.Register(e.Group("/v1"))
	return e
}

// limits is an edit that sets the API's limits.
func limits(l httpapi.Limits) func(*httpapi.Config) {
	return func(c *httpapi.Config) { c.Limits = l }
}

// req is one request to send.
type req struct {
	method      string // default POST
	path        string // with its query
	contentType string
	body        []byte
	chunked     bool // no Content-Length: the body's length is unknown until read
	header      http.Header
}

func (r req) send(h http.Handler) *httptest.ResponseRecorder {
	method := r.method
	if method == "" {
		method = http.MethodPost
	}
	hr := httptest.NewRequest(method, r.path, bytes.NewReader(r.body))
	if r.contentType != "" {
		hr.Header.Set("Content-Type", r.contentType)
	}
	for k, v := range r.header {
		hr.Header[k] = v
	}
	if r.chunked {
		hr.ContentLength = -1
		hr.Body = io.NopCloser(bytes.NewReader(r.body))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, hr)
	return rec
}

// problem checks that rec is an error answer and returns its body; it reports what is wrong with
// the envelope ("" when nothing is).
func problem(rec *httptest.ResponseRecorder) (httpx.ErrorBody, string) {
	var b httpx.ErrorBody
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return b, fmt.Sprintf("Content-Type %q", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return b, fmt.Sprintf("error body %q: %v", rec.Body.String(), err)
	}
	if b.Code == "" || b.Message == "" || b.RequestID == "" {
		return b, fmt.Sprintf("error body without a code, message or request ID: %s", rec.Body.String())
	}
	return b, ""
}

// wantError checks that rec is the error status/code in the error envelope.
func wantError(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	b, bad := problem(rec)
	if rec.Code != status || b.Code != code {
		t.Fatalf("got %d %s (%s), want %d %s", rec.Code, b.Code, strings.TrimSpace(rec.Body.String()), status, code)
	}
	if bad != "" {
		t.Fatal(bad)
	}
	if rec.Header().Get(httpapi.HeaderResult) != "" {
		t.Errorf("an error answer carries %s: %q", httpapi.HeaderResult, rec.Header().Get(httpapi.HeaderResult))
	}
}

// verdict is the part of a report the tests read.
type verdict struct {
	Result resolver.Verdict `json:"result"`
	Reason resolver.Reason  `json:"reason"`
	Kind   string           `json:"kind"`
	Checks struct {
		DataHash resolver.Check `json:"data_hash"`
	} `json:"checks"`
	CheckedAt      *time.Time `json:"checked_at"`
	TrustlistIndex uint64     `json:"trustlist_index"`
	Signatures     []verdict  `json:"signatures"` // ofd: each signature's report, flattened
}

// answer checks a verification answer: 200, JSON, the X-Sealhub-Result header equal to the body's
// result, and a receipt that verifies.
func answer(rec *httptest.ResponseRecorder) (verdict, string) {
	var v verdict
	if rec.Code != http.StatusOK {
		return v, fmt.Sprintf("status %d: %s", rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		return v, fmt.Sprintf("report %q: %v", rec.Body.String(), err)
	}
	if h := rec.Header().Get(httpapi.HeaderResult); h == "" || h != string(v.Result) {
		return v, fmt.Sprintf("%s %q, body result %q", httpapi.HeaderResult, h, v.Result)
	}
	if _, err := resolver.VerifyReceipt(rec.Body.Bytes()); err != nil {
		return v, fmt.Sprintf("the served report's receipt: %v", err)
	}
	return v, ""
}

func wantAnswer(t *testing.T, rec *httptest.ResponseRecorder) verdict {
	t.Helper()
	v, bad := answer(rec)
	if bad != "" {
		t.Fatal(bad)
	}
	return v
}

func jsonBody(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// part is one part of a multipart body; header nil gives form-data; name="…".
type part struct {
	name   string
	body   []byte
	header textproto.MIMEHeader
}

const boundary = "sealhub-test-boundary"

// form is a multipart/form-data body of the parts and its Content-Type.
func form(tb testing.TB, parts ...part) (string, []byte) {
	tb.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.SetBoundary(boundary); err != nil {
		tb.Fatal(err)
	}
	for _, p := range parts {
		h := p.header
		if h == nil {
			h = textproto.MIMEHeader{"Content-Disposition": {fmt.Sprintf(`form-data; name=%q`, p.name)}}
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			tb.Fatal(err)
		}
		pw.Write(p.body)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return w.FormDataContentType(), buf.Bytes()
}

// query is r with a query string.
func query(r req, q string) req {
	r.path += q
	return r
}

// truncated is r with only the first n bytes of its body.
func truncated(r req, n int) req {
	r.body = r.body[:n]
	return r
}

func sm3Hex(b []byte) string {
	d := smcrypto.SM3(b)
	return hex.EncodeToString(d[:])
}

func TestVerifySeal(t *testing.T) {
	fx := newFixture(t)
	h := fx.server(t, nil)
	seal := jsonBody(t, map[string][]byte{"seal": fx.sealDER})
	ok := map[string]req{
		"JSON":                  {path: "/v1/verify/seal", contentType: "application/json", body: seal},
		"JSON with a charset":   {path: "/v1/verify/seal", contentType: "Application/JSON; charset=utf-8", body: seal},
		"JSON without a length": {path: "/v1/verify/seal", contentType: "application/json", body: seal, chunked: true},
		"octet-stream":          {path: "/v1/verify/seal", contentType: "application/octet-stream", body: fx.sealDER},
		"x-ses-seal":            {path: "/v1/verify/seal", contentType: "application/x-ses-seal", body: fx.sealDER},
		"no Content-Type":       {path: "/v1/verify/seal", body: fx.sealDER},
		"at":                    {path: "/v1/verify/seal?at=2024-06-01T08:00:00%2B08:00", body: fx.sealDER},
		"empty at is no at":     {path: "/v1/verify/seal?at=", body: fx.sealDER},
		"a JSON body padded":    {path: "/v1/verify/seal", contentType: "application/json", body: append(append([]byte(" \n"), seal...), "\n"...)},
	}
	for name, r := range ok {
		t.Run(name, func(t *testing.T) {
			v := wantAnswer(t, r.send(h))
			if v.Kind != "seal" || v.TrustlistIndex != fx.st.Index() {
				t.Errorf("kind %q, trustlist_index %d (want seal, %d)", v.Kind, v.TrustlistIndex, fx.st.Index())
			}
			if v.Result != resolver.Valid {
				t.Errorf("result %s/%s, want valid", v.Result, v.Reason)
			}
			if strings.Contains(r.path, "at=2024") && (v.CheckedAt == nil || !v.CheckedAt.Equal(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))) {
				t.Errorf("checked_at %v, want the time asked for", v.CheckedAt)
			}
		})
	}
	sealB64 := string(jsonBody(t, fx.sealDER))
	bad := map[string]struct {
		r      req
		status int
		code   string
	}{
		"at not RFC 3339":          {req{path: "/v1/verify/seal?at=2024-06-01", body: fx.sealDER}, 400, "TIME_INVALID"},
		"at without a zone":        {req{path: "/v1/verify/seal?at=2024-06-01T08:00:00", body: fx.sealDER}, 400, "TIME_INVALID"},
		"at garbage":               {req{path: "/v1/verify/seal?at=%FF", body: fx.sealDER}, 400, "TIME_INVALID"},
		"unknown member":           {req{path: "/v1/verify/seal", contentType: "application/json", body: []byte(`{"seal":` + sealB64 + `,"at":"x"}`)}, 400, "BODY_INVALID"},
		"member in another case":   {req{path: "/v1/verify/seal", contentType: "application/json", body: []byte(`{"Seal":` + sealB64 + `}`)}, 400, "BODY_INVALID"},
		"duplicate member":         {req{path: "/v1/verify/seal", contentType: "application/json", body: []byte(`{"seal":` + sealB64 + `,"seal":` + sealB64 + `}`)}, 400, "BODY_INVALID"},
		"seal not base64":          {req{path: "/v1/verify/seal", contentType: "application/json", body: []byte(`{"seal":"MII*"}`)}, 400, "BODY_INVALID"},
		"seal unpadded base64":     {req{path: "/v1/verify/seal", contentType: "application/json", body: []byte(`{"seal":"MII"}`)}, 400, "BODY_INVALID"},
		"seal empty":               {req{path: "/v1/verify/seal", contentType: "application/json", body: []byte(`{"seal":""}`)}, 400, "BODY_INVALID"},
		"seal null":                {req{path: "/v1/verify/seal", contentType: "application/json", body: []byte(`{"seal":null}`)}, 400, "BODY_INVALID"},
		"no seal member":           {req{path: "/v1/verify/seal", contentType: "application/json", body: []byte(`{}`)}, 400, "BODY_INVALID"},
		"seal a number":            {req{path: "/v1/verify/seal", contentType: "application/json", body: []byte(`{"seal":1}`)}, 400, "BODY_INVALID"},
		"JSON body empty":          {req{path: "/v1/verify/seal", contentType: "application/json"}, 400, "BODY_INVALID"},
		"JSON null":                {req{path: "/v1/verify/seal", contentType: "application/json", body: []byte(`null`)}, 400, "BODY_INVALID"},
		"JSON array":               {req{path: "/v1/verify/seal", contentType: "application/json", body: []byte(`[]`)}, 400, "BODY_INVALID"},
		"JSON trailing data":       {req{path: "/v1/verify/seal", contentType: "application/json", body: append(bytes.Clone(seal), `{}`...)}, 400, "BODY_INVALID"},
		"JSON invalid UTF-8":       {req{path: "/v1/verify/seal", contentType: "application/json", body: []byte("{\"seal\":\"\xff\"}")}, 400, "BODY_INVALID"},
		"JSON truncated":           {req{path: "/v1/verify/seal", contentType: "application/json", body: seal[:len(seal)-1]}, 400, "BODY_INVALID"},
		"raw body empty":           {req{path: "/v1/verify/seal", contentType: "application/octet-stream"}, 400, "BODY_INVALID"},
		"no body at all":           {req{path: "/v1/verify/seal"}, 400, "BODY_INVALID"},
		"text/plain":               {req{path: "/v1/verify/seal", contentType: "text/plain", body: fx.sealDER}, 415, "MEDIA_TYPE_UNSUPPORTED"},
		"multipart":                {req{path: "/v1/verify/seal", contentType: "multipart/form-data; boundary=x", body: []byte("--x--")}, 415, "MEDIA_TYPE_UNSUPPORTED"},
		"Content-Type malformed":   {req{path: "/v1/verify/seal", contentType: "application/json; charset", body: seal}, 400, "BODY_INVALID"},
		"Content-Type a slash":     {req{path: "/v1/verify/seal", contentType: "/", body: seal}, 400, "BODY_INVALID"},
		"Content-Type two":         {req{path: "/v1/verify/seal", contentType: "application/json, text/plain", body: seal}, 400, "BODY_INVALID"},
		"Content-Type param twice": {req{path: "/v1/verify/seal", contentType: "application/json; charset=utf-8; charset=latin1", body: seal}, 400, "BODY_INVALID"},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			wantError(t, tc.r.send(h), tc.status, tc.code)
		})
	}
}

// TestVerifyUndecodable: a body that is not a seal or signature is a verdict (200, invalid
// FORMAT_INVALID), not a server error.
func TestVerifyUndecodable(t *testing.T) {
	fx := newFixture(t)
	h := fx.server(t, nil)
	sig := func(der []byte) []byte { return jsonBody(t, map[string][]byte{"signature": der}) }
	cases := map[string]req{
		"seal junk":           {path: "/v1/verify/seal", body: []byte("not a seal")},
		"seal an integer":     {path: "/v1/verify/seal", body: []byte{2, 1, 1}},
		"seal truncated":      {path: "/v1/verify/seal", body: fx.sealDER[:len(fx.sealDER)/2]},
		"signature junk":      {path: "/v1/verify/signature", contentType: "application/json", body: sig([]byte("not a signature"))},
		"signature truncated": {path: "/v1/verify/signature", contentType: "application/json", body: sig(fx.signature[:len(fx.signature)/2])},
		"a seal as signature": {path: "/v1/verify/signature", contentType: "application/json", body: sig(fx.sealDER)},
		"ofd junk":            {path: "/v1/verify/ofd", body: []byte("not a zip")},
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			rec := r.send(h)
			v := wantAnswer(t, rec)
			if v.Result == resolver.Valid {
				t.Fatalf("result %s/%s", v.Result, v.Reason)
			}
		})
	}
}

func TestVerifySealTooLarge(t *testing.T) {
	fx := newFixture(t)
	h := fx.server(t, limits(httpapi.Limits{MaxRequestBytes: int64(len(fx.sealDER))}))
	big := append(bytes.Clone(fx.sealDER), 0)
	for name, r := range map[string]req{
		"raw, announced":  {path: "/v1/verify/seal", body: big},
		"raw, streamed":   {path: "/v1/verify/seal", body: big, chunked: true},
		"JSON, announced": {path: "/v1/verify/seal", contentType: "application/json", body: jsonBody(t, map[string][]byte{"seal": big})},
		"JSON, streamed":  {path: "/v1/verify/seal", contentType: "application/json", body: jsonBody(t, map[string][]byte{"seal": big}), chunked: true},
	} {
		t.Run(name, func(t *testing.T) {
			rec := r.send(h)
			wantError(t, rec, 413, httpx.CodeBodyTooLarge)
		})
	}
	// At the limit: read in full.
	wantAnswer(t, req{path: "/v1/verify/seal", body: fx.sealDER}.send(h))
	wantAnswer(t, req{path: "/v1/verify/seal", body: fx.sealDER, chunked: true}.send(h))
}

func TestVerifySignatureJSON(t *testing.T) {
	fx := newFixture(t)
	h := fx.server(t, nil)
	type body struct {
		Signature []byte `json:"signature,omitempty"`
		Data      []byte `json:"data,omitempty"`
		DataSM3   string `json:"data_sm3,omitempty"`
	}
	post := func(b any) req {
		return req{path: "/v1/verify/signature", contentType: "application/json", body: jsonBody(t, b)}
	}
	hash := sm3Hex(signedData)
	answers := map[string]struct {
		r        req
		dataHash resolver.CheckResult
	}{
		"data":                   {post(body{Signature: fx.signature, Data: signedData}), resolver.Passed},
		"other data":             {post(body{Signature: fx.signature, Data: []byte("other")}), resolver.Failed},
		"data_sm3":               {post(body{Signature: fx.signature, DataSM3: hash}), resolver.Passed},
		"data_sm3 in upper case": {post(body{Signature: fx.signature, DataSM3: strings.ToUpper(hash)}), resolver.Passed},
		"data_sm3 of other data": {post(body{Signature: fx.signature, DataSM3: sm3Hex([]byte("other"))}), resolver.Failed},
		"no data":                {post(body{Signature: fx.signature}), resolver.Undetermined},
		"data null":              {req{path: "/v1/verify/signature", contentType: "application/json", body: []byte(`{"signature":` + string(jsonBody(t, fx.signature)) + `,"data":null}`)}, resolver.Undetermined},
		"at":                     {req{path: "/v1/verify/signature?at=2024-02-01T00:00:00Z", contentType: "application/json", body: jsonBody(t, body{Signature: fx.signature, Data: signedData})}, resolver.Passed},
	}
	for name, tc := range answers {
		t.Run(name, func(t *testing.T) {
			v := wantAnswer(t, tc.r.send(h))
			if v.Kind != "signature" || v.Checks.DataHash.Result != tc.dataHash {
				t.Fatalf("kind %s, data_hash %s (%s), want %s", v.Kind, v.Checks.DataHash.Result, v.Checks.DataHash.Detail, tc.dataHash)
			}
			if tc.dataHash == resolver.Passed && v.Result != resolver.Valid {
				t.Errorf("result %s/%s, want valid", v.Result, v.Reason)
			}
		})
	}
	sigB64 := string(jsonBody(t, fx.signature))
	digest := smcrypto.SM3(signedData)
	bad := map[string]struct {
		r      req
		status int
		code   string
	}{
		"both data and data_sm3":    {post(body{Signature: fx.signature, Data: signedData, DataSM3: hash}), 400, "BODY_INVALID"},
		"empty data and data_sm3":   {req{path: "/v1/verify/signature", contentType: "application/json", body: []byte(`{"signature":` + sigB64 + `,"data":"","data_sm3":"` + hash + `"}`)}, 400, "BODY_INVALID"},
		"data_sm3 not hex":          {post(body{Signature: fx.signature, DataSM3: strings.Repeat("x", 64)}), 400, "BODY_INVALID"},
		"data_sm3 short":            {post(body{Signature: fx.signature, DataSM3: hash[:62]}), 400, "BODY_INVALID"},
		"data_sm3 long":             {post(body{Signature: fx.signature, DataSM3: hash + "00"}), 400, "BODY_INVALID"},
		"data_sm3 odd":              {post(body{Signature: fx.signature, DataSM3: hash[:63]}), 400, "BODY_INVALID"},
		"data_sm3 base64":           {req{path: "/v1/verify/signature", contentType: "application/json", body: []byte(`{"signature":` + sigB64 + `,"data_sm3":` + string(jsonBody(t, digest[:])) + `}`)}, 400, "BODY_INVALID"},
		"data_sm3 a number":         {req{path: "/v1/verify/signature", contentType: "application/json", body: []byte(`{"signature":` + sigB64 + `,"data_sm3":1}`)}, 400, "BODY_INVALID"},
		"no signature":              {post(body{Data: signedData}), 400, "BODY_INVALID"},
		"signature empty":           {req{path: "/v1/verify/signature", contentType: "application/json", body: []byte(`{"signature":""}`)}, 400, "BODY_INVALID"},
		"unknown member":            {req{path: "/v1/verify/signature", contentType: "application/json", body: []byte(`{"signature":` + sigB64 + `,"seal":""}`)}, 400, "BODY_INVALID"},
		"duplicate member":          {req{path: "/v1/verify/signature", contentType: "application/json", body: []byte(`{"signature":` + sigB64 + `,"data":"","data":""}`)}, 400, "BODY_INVALID"},
		"invalid UTF-8":             {req{path: "/v1/verify/signature", contentType: "application/json", body: []byte("{\"signature\":" + sigB64 + ",\"data_sm3\":\"\xc3\"}")}, 400, "BODY_INVALID"},
		"not JSON":                  {req{path: "/v1/verify/signature", contentType: "application/json", body: fx.signature}, 400, "BODY_INVALID"},
		"at invalid":                {req{path: "/v1/verify/signature?at=now", contentType: "application/json", body: jsonBody(t, body{Signature: fx.signature})}, 400, "TIME_INVALID"},
		"no Content-Type":           {req{path: "/v1/verify/signature", body: fx.signature}, 415, "MEDIA_TYPE_UNSUPPORTED"},
		"octet-stream":              {req{path: "/v1/verify/signature", contentType: "application/octet-stream", body: fx.signature}, 415, "MEDIA_TYPE_UNSUPPORTED"},
		"urlencoded form":           {req{path: "/v1/verify/signature", contentType: "application/x-www-form-urlencoded", body: []byte("signature=x")}, 415, "MEDIA_TYPE_UNSUPPORTED"},
		"malformed Content-Type":    {req{path: "/v1/verify/signature", contentType: "application/json;;", body: jsonBody(t, body{Signature: fx.signature})}, 400, "BODY_INVALID"},
		"multipart without a param": {req{path: "/v1/verify/signature", contentType: "multipart/form-data", body: []byte("--x--")}, 400, "BODY_INVALID"},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			wantError(t, tc.r.send(h), tc.status, tc.code)
		})
	}
}

// TestVerifySignatureJSONLimit: a JSON signature request is held to MaxRequestBytes (larger
// originals go as multipart), whether or not it announces its length.
func TestVerifySignatureJSONLimit(t *testing.T) {
	fx := newFixture(t)
	h := fx.server(t, limits(httpapi.Limits{MaxRequestBytes: 4 << 10, MaxDocumentBytes: 1 << 20}))
	data := bytes.Repeat([]byte("x"), 8<<10)
	body := jsonBody(t, map[string][]byte{"signature": fx.signature, "data": data})
	wantError(t, req{path: "/v1/verify/signature", contentType: "application/json", body: body}.send(h), 413, httpx.CodeBodyTooLarge)
	wantError(t, req{path: "/v1/verify/signature", contentType: "application/json", body: body, chunked: true}.send(h), 413, httpx.CodeBodyTooLarge)
}

func TestVerifySignatureMultipart(t *testing.T) {
	fx := newFixture(t)
	h := fx.server(t, nil)
	hash := sm3Hex(signedData)
	sig := part{name: "signature", body: fx.signature}
	multi := func(parts ...part) req {
		ct, body := form(t, parts...)
		return req{path: "/v1/verify/signature", contentType: ct, body: body}
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	bigSig, err := fx.pki.Sign(sm2ca.SignSpec{Seal: fx.sealDER, Data: big})
	if err != nil {
		t.Fatal(err)
	}
	withFile := part{body: signedData, header: textproto.MIMEHeader{
		"Content-Disposition": {`form-data; name="data"; filename="Signature.xml"`}, "Content-Type": {"application/xml"}}}
	answers := map[string]struct {
		r        req
		dataHash resolver.CheckResult
	}{
		"signature and data":        {multi(sig, part{name: "data", body: signedData}), resolver.Passed},
		"data first":                {multi(part{name: "data", body: signedData}, sig), resolver.Passed},
		"other data":                {multi(sig, part{name: "data", body: []byte("other data")}), resolver.Failed},
		"data one byte short":       {multi(sig, part{name: "data", body: signedData[:len(signedData)-1]}), resolver.Failed},
		"empty data":                {multi(sig, part{name: "data"}), resolver.Failed},
		"data as a file":            {multi(sig, withFile), resolver.Passed},
		"1 MiB of data":             {multi(part{name: "signature", body: bigSig}, part{name: "data", body: big}), resolver.Passed},
		"data_sm3":                  {multi(sig, part{name: "data_sm3", body: []byte(hash)}), resolver.Passed},
		"data_sm3 with white space": {multi(sig, part{name: "data_sm3", body: []byte(" " + hash + "\r\n")}), resolver.Passed},
		"data_sm3 of other data":    {multi(sig, part{name: "data_sm3", body: []byte(sm3Hex(nil))}), resolver.Failed},
		"no data":                   {multi(sig), resolver.Undetermined},
		"at":                        {query(multi(sig, part{name: "data", body: signedData}), "?at=2024-02-01T00:00:00Z"), resolver.Passed},
	}
	for name, tc := range answers {
		t.Run(name, func(t *testing.T) {
			v := wantAnswer(t, tc.r.send(h))
			if v.Checks.DataHash.Result != tc.dataHash {
				t.Fatalf("data_hash %s (%s), want %s", v.Checks.DataHash.Result, v.Checks.DataHash.Detail, tc.dataHash)
			}
		})
	}
	digest := smcrypto.SM3(signedData)
	noName := part{body: fx.signature, header: textproto.MIMEHeader{"Content-Type": {"application/octet-stream"}}}
	attachment := part{body: fx.signature, header: textproto.MIMEHeader{"Content-Disposition": {`attachment; name="signature"`}}}
	ct, full := form(t, sig, part{name: "data", body: signedData})
	bad := map[string]struct {
		r      req
		status int
		code   string
	}{
		"data and data_sm3":       {multi(sig, part{name: "data", body: signedData}, part{name: "data_sm3", body: []byte(hash)}), 400, "BODY_INVALID"},
		"data_sm3 and data":       {multi(sig, part{name: "data_sm3", body: []byte(hash)}, part{name: "data", body: signedData}), 400, "BODY_INVALID"},
		"unknown part":            {multi(sig, part{name: "seal", body: fx.sealDER}), 400, "BODY_INVALID"},
		"part in another case":    {multi(part{name: "Signature", body: fx.signature}), 400, "BODY_INVALID"},
		"part without a name":     {multi(noName), 400, "BODY_INVALID"},
		"not form-data":           {multi(attachment), 400, "BODY_INVALID"},
		"signature twice":         {multi(sig, sig), 400, "BODY_INVALID"},
		"data twice":              {multi(sig, part{name: "data", body: signedData}, part{name: "data", body: signedData}), 400, "BODY_INVALID"},
		"data_sm3 twice":          {multi(sig, part{name: "data_sm3", body: []byte(hash)}, part{name: "data_sm3", body: []byte(hash)}), 400, "BODY_INVALID"},
		"no signature":            {multi(part{name: "data", body: signedData}), 400, "BODY_INVALID"},
		"signature empty":         {multi(part{name: "signature"}), 400, "BODY_INVALID"},
		"no parts":                {multi(), 400, "BODY_INVALID"},
		"data_sm3 not hex":        {multi(sig, part{name: "data_sm3", body: []byte(strings.Repeat("g", 64))}), 400, "BODY_INVALID"},
		"data_sm3 short":          {multi(sig, part{name: "data_sm3", body: []byte(hash[:32])}), 400, "BODY_INVALID"},
		"data_sm3 binary":         {multi(sig, part{name: "data_sm3", body: digest[:]}), 400, "BODY_INVALID"},
		"data_sm3 over 256 bytes": {multi(sig, part{name: "data_sm3", body: bytes.Repeat([]byte(" "), 257)}), 413, httpx.CodeBodyTooLarge},
		"signature over 4 MiB":    {multi(part{name: "signature", body: make([]byte, 4<<20+1)}), 413, httpx.CodeBodyTooLarge},
		"no boundary":             {req{path: "/v1/verify/signature", contentType: "multipart/form-data", body: full}, 400, "BODY_INVALID"},
		"empty boundary":          {req{path: "/v1/verify/signature", contentType: "multipart/form-data; boundary=", body: full}, 400, "BODY_INVALID"},
		"another boundary":        {req{path: "/v1/verify/signature", contentType: "multipart/form-data; boundary=other", body: full}, 400, "BODY_INVALID"},
		"truncated":               {req{path: "/v1/verify/signature", contentType: ct, body: full[:len(full)-10]}, 400, "BODY_INVALID"},
		"cut inside the data":     {req{path: "/v1/verify/signature", contentType: ct, body: full[:len(full)-len(boundary)-20]}, 400, "BODY_INVALID"},
		"empty body":              {req{path: "/v1/verify/signature", contentType: ct}, 400, "BODY_INVALID"},
		"multipart/mixed":         {req{path: "/v1/verify/signature", contentType: "multipart/mixed; boundary=" + boundary, body: full}, 415, "MEDIA_TYPE_UNSUPPORTED"},
		"at invalid":              {req{path: "/v1/verify/signature?at=1", contentType: ct, body: full}, 400, "TIME_INVALID"},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			wantError(t, tc.r.send(h), tc.status, tc.code)
		})
	}
}

func TestVerifySignatureMultipartTooLarge(t *testing.T) {
	fx := newFixture(t)
	h := fx.server(t, limits(httpapi.Limits{MaxDocumentBytes: 64 << 10}))
	ct, body := form(t, part{name: "signature", body: fx.signature}, part{name: "data", body: bytes.Repeat([]byte("x"), 64<<10)})
	for name, chunked := range map[string]bool{"announced": false, "streamed": true} {
		t.Run(name, func(t *testing.T) {
			wantError(t, req{path: "/v1/verify/signature", contentType: ct, body: body, chunked: chunked}.send(h), 413, httpx.CodeBodyTooLarge)
		})
	}
}

func TestVerifyOFD(t *testing.T) {
	fx := newFixture(t)
	h := fx.server(t, nil)
	file := part{name: "file", body: fx.doc}
	multi := func(parts ...part) req {
		ct, body := form(t, parts...)
		return req{path: "/v1/verify/ofd", contentType: ct, body: body}
	}
	asFile := part{body: fx.doc, header: textproto.MIMEHeader{
		"Content-Disposition": {`form-data; name="file"; filename="合同.ofd"`}, "Content-Type": {"application/ofd"}}}
	ok := map[string]req{
		"application/ofd":     {path: "/v1/verify/ofd", contentType: "application/ofd", body: fx.doc},
		"application/zip":     {path: "/v1/verify/ofd", contentType: "application/zip", body: fx.doc},
		"octet-stream":        {path: "/v1/verify/ofd", contentType: "application/octet-stream", body: fx.doc},
		"no Content-Type":     {path: "/v1/verify/ofd", body: fx.doc},
		"streamed":            {path: "/v1/verify/ofd", contentType: "application/ofd", body: fx.doc, chunked: true},
		"multipart":           multi(file),
		"multipart with name": multi(asFile),
		"at":                  {path: "/v1/verify/ofd?at=2024-02-01T00:00:00Z", contentType: "application/ofd", body: fx.doc},
	}
	for name, r := range ok {
		t.Run(name, func(t *testing.T) {
			v := wantAnswer(t, r.send(h))
			if len(v.Signatures) != 1 {
				t.Fatalf("signatures: %+v", v.Signatures)
			}
			if v.Result != resolver.Valid || v.Signatures[0].Checks.DataHash.Result != resolver.Passed {
				t.Errorf("result %s/%s, data_hash %s", v.Result, v.Reason, v.Signatures[0].Checks.DataHash.Result)
			}
		})
	}
	bad := map[string]struct {
		r      req
		status int
		code   string
	}{
		"empty body":          {req{path: "/v1/verify/ofd", contentType: "application/ofd"}, 400, "BODY_INVALID"},
		"text/plain":          {req{path: "/v1/verify/ofd", contentType: "text/plain", body: fx.doc}, 415, "MEDIA_TYPE_UNSUPPORTED"},
		"JSON":                {req{path: "/v1/verify/ofd", contentType: "application/json", body: []byte(`{"ofd":""}`)}, 415, "MEDIA_TYPE_UNSUPPORTED"},
		"bad Content-Type":    {req{path: "/v1/verify/ofd", contentType: "application/ofd; x", body: fx.doc}, 400, "BODY_INVALID"},
		"at invalid":          {req{path: "/v1/verify/ofd?at=2024-02-30T00:00:00Z", body: fx.doc}, 400, "TIME_INVALID"},
		"two files":           {multi(file, file), 400, "BODY_INVALID"},
		"another part":        {multi(part{name: "document", body: fx.doc}), 400, "BODY_INVALID"},
		"a file and another":  {multi(file, part{name: "x"}), 400, "BODY_INVALID"},
		"no parts":            {multi(), 400, "BODY_INVALID"},
		"an empty file":       {multi(part{name: "file"}), 400, "BODY_INVALID"},
		"multipart no bounds": {req{path: "/v1/verify/ofd", contentType: "multipart/form-data", body: multi(file).body}, 400, "BODY_INVALID"},
		"multipart truncated": {truncated(multi(file), 100), 400, "BODY_INVALID"},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			wantError(t, tc.r.send(h), tc.status, tc.code)
		})
	}
}

func TestVerifyOFDTooLarge(t *testing.T) {
	fx := newFixture(t)
	h := fx.server(t, limits(httpapi.Limits{MaxDocumentBytes: int64(len(fx.doc)) - 1}))
	ct, body := form(t, part{name: "file", body: fx.doc})
	for name, r := range map[string]req{
		"raw, announced":       {path: "/v1/verify/ofd", body: fx.doc},
		"raw, streamed":        {path: "/v1/verify/ofd", body: fx.doc, chunked: true},
		"multipart, announced": {path: "/v1/verify/ofd", contentType: ct, body: body},
		"multipart, streamed":  {path: "/v1/verify/ofd", contentType: ct, body: body, chunked: true},
	} {
		t.Run(name, func(t *testing.T) {
			wantError(t, r.send(h), 413, httpx.CodeBodyTooLarge)
		})
	}
}

// TestSlowUploadHoldsNoSlot: a document still being uploaded holds no verification slot, so with
// one slot another request is answered meanwhile; the slow one is answered once its upload ends.
func TestSlowUploadHoldsNoSlot(t *testing.T) {
	fx := newFixture(t)
	h := fx.server(t, limits(httpapi.Limits{MaxDocuments: 1, RequestTimeout: 5 * time.Second}))
	pr, pw := io.Pipe()
	first := httptest.NewRequest(http.MethodPost, "/v1/verify/ofd", pr)
	first.Header.Set("Content-Type", "application/ofd")
	first.ContentLength = -1
	done := make(chan *httptest.ResponseRecorder)
	go func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, first)
		done <- rec
	}()
	if _, err := pw.Write(fx.doc[:1]); err != nil { // returns once the handler reads
		t.Fatal(err)
	}
	wantAnswer(t, req{path: "/v1/verify/ofd", contentType: "application/ofd", body: fx.doc}.send(h))
	pw.Write(fx.doc[1:])
	pw.Close()
	wantAnswer(t, <-done)
}

// TestVerifyRoutesWithoutResolver: without a resolver the verify routes are not mounted.
func TestVerifyRoutesWithoutResolver(t *testing.T) {
	fx := newFixture(t)
	h := fx.server(t, func(c *httpapi.Config) { c.Resolver = nil })
	for _, path := range []string{"/v1/verify/seal", "/v1/verify/signature", "/v1/verify/ofd"} {
		wantError(t, req{path: path, body: fx.sealDER}.send(h), 404, httpx.CodeNotFound)
	}
}

type batchResponse struct {
	Index   uint64    `json:"index"`
	At      time.Time `json:"at"`
	Results []struct {
		Code   string                `json:"code"`
		Found  bool                  `json:"found"`
		Seal   *trustlist.Seal       `json:"seal"`
		Status *trustlist.StatusView `json:"status"`
	} `json:"results"`
}

func TestBatchGet(t *testing.T) {
	fx := newFixture(t)
	h := fx.server(t, limits(httpapi.Limits{MaxBatch: 4}))
	batch := func(query string, body string) req {
		return req{path: "/v1/seals:batchGet" + query, contentType: "application/json", body: []byte(body)}
	}
	codes := `"codes":["` + sealCode + `","` + sealOther + `","` + metaCode + `"]`
	jun := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	type want struct {
		at     time.Time
		status []trustlist.Status // per code; "" for not found
	}
	found := []trustlist.Status{trustlist.StatusValid, "", trustlist.StatusSuspended}
	ok := map[string]struct {
		r    req
		want want
	}{
		"now":                    {batch("", `{`+codes+`}`), want{now, found}},
		"at in the query":        {batch("?at=2024-06-01T08:00:00%2B08:00", `{`+codes+`}`), want{jun, []trustlist.Status{trustlist.StatusValid, "", trustlist.StatusValid}}},
		"at in the body":         {batch("", `{`+codes+`,"at":"2024-06-01T00:00:00Z"}`), want{jun, []trustlist.Status{trustlist.StatusValid, "", trustlist.StatusValid}}},
		"at in both, equal":      {batch("?at=2024-06-01T00:00:00Z", `{`+codes+`,"at":"2024-06-01T08:00:00+08:00"}`), want{jun, []trustlist.Status{trustlist.StatusValid, "", trustlist.StatusValid}}},
		"at null":                {batch("", `{`+codes+`,"at":null}`), want{now, found}},
		"no Content-Type":        {req{path: "/v1/seals:batchGet", body: []byte(`{` + codes + `}`)}, want{now, found}},
		"a code twice":           {batch("", `{"codes":["`+sealCode+`","`+sealCode+`"]}`), want{now, []trustlist.Status{trustlist.StatusValid, trustlist.StatusValid}}},
		"the limit":              {batch("", `{"codes":["a","b","c","d"]}`), want{now, []trustlist.Status{"", "", "", ""}}},
		"a 64-byte code":         {batch("", `{"codes":["`+strings.Repeat("9", 64)+`"]}`), want{now, []trustlist.Status{""}}},
		"a 63-byte Chinese code": {batch("", `{"codes":["`+strings.Repeat("章", 21)+`"]}`), want{now, []trustlist.Status{""}}},
	}
	for name, tc := range ok {
		t.Run(name, func(t *testing.T) {
			rec := tc.r.send(h)
			if rec.Code != 200 {
				t.Fatalf("%d %s", rec.Code, rec.Body.String())
			}
			var b batchResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
				t.Fatal(err)
			}
			if b.Index != fx.st.Index() || !b.At.Equal(tc.want.at) || len(b.Results) != len(tc.want.status) {
				t.Fatalf("index %d at %v, %d results; want %d %v %d", b.Index, b.At, len(b.Results), fx.st.Index(), tc.want.at, len(tc.want.status))
			}
			for i, r := range b.Results {
				st := tc.want.status[i]
				if r.Found != (st != "") || (st != "" && (r.Status == nil || r.Status.Status != st || r.Seal == nil || r.Seal.Code != r.Code)) {
					t.Errorf("result %d (%s): found %v, status %+v; want %q", i, r.Code, r.Found, r.Status, st)
				}
			}
		})
	}
	bad := map[string]struct {
		r      req
		status int
		code   string
	}{
		"no codes":                {batch("", `{}`), 400, "CODES_INVALID"},
		"codes null":              {batch("", `{"codes":null}`), 400, "CODES_INVALID"},
		"codes empty":             {batch("", `{"codes":[]}`), 400, "CODES_INVALID"},
		"over the limit":          {batch("", `{"codes":["a","b","c","d","e"]}`), 400, "CODES_INVALID"},
		"an empty code":           {batch("", `{"codes":["a",""]}`), 400, "CODES_INVALID"},
		"a 65-byte code":          {batch("", `{"codes":["`+strings.Repeat("9", 65)+`"]}`), 400, "CODES_INVALID"},
		"a 66-byte Chinese code":  {batch("", `{"codes":["`+strings.Repeat("章", 22)+`"]}`), 400, "CODES_INVALID"},
		"codes not strings":       {batch("", `{"codes":[1]}`), 400, "BODY_INVALID"},
		"codes a string":          {batch("", `{"codes":"a"}`), 400, "BODY_INVALID"},
		"invalid UTF-8 code":      {batch("", "{\"codes\":[\"a\xff\"]}"), 400, "BODY_INVALID"}, // not JSON text: the body is refused whole
		"lone surrogate code":     {batch("", `{"codes":["\ud800"]}`), 400, "BODY_INVALID"},
		"at in both, different":   {batch("?at=2024-06-01T00:00:00Z", `{`+codes+`,"at":"2024-06-02T00:00:00Z"}`), 400, "TIME_INVALID"},
		"at in the query invalid": {batch("?at=yesterday", `{`+codes+`}`), 400, "TIME_INVALID"},
		"at in the body invalid":  {batch("", `{`+codes+`,"at":"yesterday"}`), 400, "BODY_INVALID"},
		"unknown member":          {batch("", `{`+codes+`,"as_of_index":1}`), 400, "BODY_INVALID"},
		"duplicate member":        {batch("", `{`+codes+`,`+codes+`}`), 400, "BODY_INVALID"},
		"trailing data":           {batch("", `{`+codes+`} x`), 400, "BODY_INVALID"},
		"empty body":              {batch("", ``), 400, "BODY_INVALID"},
		"text/plain":              {req{path: "/v1/seals:batchGet", contentType: "text/plain", body: []byte(`{` + codes + `}`)}, 415, "MEDIA_TYPE_UNSUPPORTED"},
		"malformed Content-Type":  {req{path: "/v1/seals:batchGet", contentType: "application/json; charset=", body: []byte(`{` + codes + `}`)}, 400, "BODY_INVALID"},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			wantError(t, tc.r.send(h), tc.status, tc.code)
		})
	}
}

func TestBatchGetTooLarge(t *testing.T) {
	fx := newFixture(t)
	h := fx.server(t, limits(httpapi.Limits{MaxRequestBytes: 64}))
	body := []byte(`{"codes":["` + strings.Repeat("1", 60) + `"]}`)
	for name, chunked := range map[string]bool{"announced": false, "streamed": true} {
		t.Run(name, func(t *testing.T) {
			wantError(t, req{path: "/v1/seals:batchGet", contentType: "application/json", body: body, chunked: chunked}.send(h), 413, httpx.CodeBodyTooLarge)
		})
	}
}

// TestTimesOutOfRange: a time that parses but whose UTC year falls outside 1-9999 (which RFC 3339
// cannot write) is refused as 400 TIME_INVALID on every route; the years at the edges are answered.
func TestTimesOutOfRange(t *testing.T) {
	fx := newFixture(t)
	h := fx.server(t, nil)
	sealJSON := jsonBody(t, map[string][]byte{"seal": fx.sealDER})
	routes := func(at string) map[string]req {
		q := "?at=" + url.QueryEscape(at)
		return map[string]req{
			"seal":           {path: "/v1/verify/seal" + q, contentType: "application/json", body: sealJSON},
			"seal, raw":      {path: "/v1/verify/seal" + q, body: fx.sealDER},
			"signature":      {path: "/v1/verify/signature" + q, contentType: "application/json", body: jsonBody(t, map[string][]byte{"signature": fx.signature})},
			"ofd":            {path: "/v1/verify/ofd" + q, contentType: "application/ofd", body: fx.doc},
			"batchGet query": {path: "/v1/seals:batchGet" + q, contentType: "application/json", body: []byte(`{"codes":["` + sealCode + `"]}`)},
			"batchGet body":  {path: "/v1/seals:batchGet", contentType: "application/json", body: []byte(`{"codes":["` + sealCode + `"],"at":"` + at + `"}`)},
			"GET seal":       {method: http.MethodGet, path: "/v1/seals/" + sealCode + q},
		}
	}
	for _, at := range []string{"0000-01-01T00:00:00+01:00", "0000-12-31T23:59:59Z", "0001-01-01T00:59:59+01:00", "9999-12-31T23:59:59-01:00"} {
		for name, r := range routes(at) {
			t.Run(at+"/"+name, func(t *testing.T) {
				wantError(t, r.send(h), 400, "TIME_INVALID")
			})
		}
	}
	for _, at := range []string{"0001-01-01T00:00:00Z", "0001-01-01T01:00:00+01:00", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59+01:00"} {
		for name, r := range routes(at) {
			t.Run(at+"/"+name, func(t *testing.T) {
				if rec := r.send(h); rec.Code != 200 {
					t.Fatalf("%d %s", rec.Code, strings.TrimSpace(rec.Body.String()))
				}
			})
		}
	}
}

func TestGetSeal(t *testing.T) {
	fx := newFixture(t)
	h := fx.server(t, nil)
	get := func(path string) *httptest.ResponseRecorder {
		return req{method: http.MethodGet, path: path}.send(h)
	}
	type seal struct {
		Code   string               `json:"code"`
		Status trustlist.StatusView `json:"status"`
		Index  uint64               `json:"index"`
		Events []trustlist.Event    `json:"events"`
	}
	asOf := fmt.Sprint(fx.filed)
	ok := map[string]struct {
		path   string
		status trustlist.Status
		events int
	}{
		"filed from DER":           {"/v1/seals/" + sealCode, trustlist.StatusValid, 1},
		"suspended":                {"/v1/seals/" + metaCode, trustlist.StatusSuspended, 2},
		"before the suspension":    {"/v1/seals/" + metaCode + "?at=2024-07-01T08:00:00%2B08:00", trustlist.StatusValid, 2},
		"before its validity":      {"/v1/seals/" + metaCode + "?at=2024-05-01T00:00:00Z", trustlist.StatusNotYetValid, 2},
		"after its validity":       {"/v1/seals/" + metaCode + "?at=2030-01-01T00:00:00Z", trustlist.StatusExpired, 2},
		"revoked":                  {"/v1/seals/" + revoked, trustlist.StatusRevoked, 2},
		"as the hub knew it":       {"/v1/seals/" + revoked + "?as_of_index=" + asOf, trustlist.StatusValid, 1},
		"as of a later index":      {"/v1/seals/" + revoked + "?as_of_index=18446744073709551615", trustlist.StatusRevoked, 2},
		"as of index and at":       {"/v1/seals/" + revoked + "?as_of_index=" + asOf + "&at=2024-07-01T00:00:00Z", trustlist.StatusValid, 1},
		"empty at and as_of_index": {"/v1/seals/" + revoked + "?as_of_index=&at=", trustlist.StatusRevoked, 2},
	}
	for name, tc := range ok {
		t.Run(name, func(t *testing.T) {
			rec := get(tc.path)
			if rec.Code != 200 {
				t.Fatalf("%d %s", rec.Code, rec.Body.String())
			}
			var b seal
			if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
				t.Fatal(err)
			}
			if b.Status.Status != tc.status || len(b.Events) != tc.events || b.Index != fx.st.Index() {
				t.Fatalf("status %s, %d events, index %d; want %s, %d, %d", b.Status.Status, len(b.Events), b.Index, tc.status, tc.events, fx.st.Index())
			}
		})
	}
	bad := map[string]struct {
		path   string
		status int
		code   string
	}{
		"unknown":                  {"/v1/seals/" + sealOther, 404, "SEAL_NOT_FOUND"},
		"a 64-byte code":           {"/v1/seals/" + strings.Repeat("9", 64), 404, "SEAL_NOT_FOUND"},
		"a 65-byte code":           {"/v1/seals/" + strings.Repeat("9", 65), 400, "SEAL_CODE_INVALID"},
		"invalid UTF-8":            {"/v1/seals/37%FF", 400, "SEAL_CODE_INVALID"},
		"filed after as_of_index":  {"/v1/seals/" + revoked + "?as_of_index=1", 404, "SEAL_NOT_FOUND"},
		"as_of_index 0":            {"/v1/seals/" + revoked + "?as_of_index=0", 404, "SEAL_NOT_FOUND"},
		"as_of_index negative":     {"/v1/seals/" + revoked + "?as_of_index=-1", 400, "INDEX_INVALID"},
		"as_of_index not a number": {"/v1/seals/" + revoked + "?as_of_index=head", 400, "INDEX_INVALID"},
		"as_of_index too large":    {"/v1/seals/" + revoked + "?as_of_index=18446744073709551616", 400, "INDEX_INVALID"},
		"at invalid":               {"/v1/seals/" + revoked + "?at=2024-13-01T00:00:00Z", 400, "TIME_INVALID"},
		"a path below":             {"/v1/seals/" + revoked + "/events", 404, httpx.CodeNotFound},
		"POST":                     {"/v1/seals/" + revoked, 405, httpx.CodeMethodNotAllowed},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			method := http.MethodGet
			if name == "POST" {
				method = http.MethodPost
			}
			wantError(t, req{method: method, path: tc.path}.send(h), tc.status, tc.code)
		})
	}
}

// TestGetSealParamsBeforeLookup: a malformed parameter is the same 400 whether or not the seal
// exists.
func TestGetSealParamsBeforeLookup(t *testing.T) {
	fx := newFixture(t)
	h := fx.server(t, nil)
	for name, tc := range map[string]struct{ query, code string }{
		"at":          {"?at=yesterday", "TIME_INVALID"},
		"as_of_index": {"?as_of_index=head", "INDEX_INVALID"},
	} {
		t.Run(name, func(t *testing.T) {
			for _, code := range []string{revoked, sealOther} {
				rec := req{method: http.MethodGet, path: "/v1/seals/" + code + tc.query}.send(h)
				if rec.Code != 400 {
					t.Fatalf("BUG: GET /v1/seals/%s%s answers %d %s, want 400 %s: getSeal looks the seal up before it "+
						"parses as_of_index, so a malformed index on an unknown code is 404 SEAL_NOT_FOUND", code, tc.query,
						rec.Code, strings.TrimSpace(rec.Body.String()), tc.code)
				}
				wantError(t, rec, 400, tc.code)
			}
		})
	}
}

// TestVerifyConcurrently: answers given at once (whose receipts may share a signature) each carry a
// receipt that verifies on its own.
func TestVerifyConcurrently(t *testing.T) {
	fx := newFixture(t)
	h := fx.server(t, nil)
	const n = 32
	recs := make([]*httptest.ResponseRecorder, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			at := url.QueryEscape(time.Date(2024, 2, 1+i%28, 0, 0, 0, 0, time.UTC).Format(time.RFC3339))
			switch i % 3 {
			case 0:
				recs[i] = req{path: "/v1/verify/seal?at=" + at, body: fx.sealDER}.send(h)
			case 1:
				recs[i] = req{path: "/v1/verify/signature?at=" + at, contentType: "application/json",
					body: jsonBody(t, map[string][]byte{"signature": fx.signature, "data": signedData})}.send(h)
			default:
				recs[i] = req{path: "/v1/verify/ofd?at=" + at, contentType: "application/ofd", body: fx.doc}.send(h)
			}
		})
	}
	wg.Wait()
	for i, rec := range recs {
		if _, bad := answer(rec); bad != "" {
			t.Errorf("request %d: %s", i, bad)
		}
	}
}
