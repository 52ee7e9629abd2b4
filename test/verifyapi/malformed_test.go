package verifyapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/sealhub/sealhub/internal/hub"
	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/resolver/httpapi"
	"github.com/sealhub/sealhub/test/sm2ca"
)

// Small limits, so that oversize bodies are cheap to send.
const (
	testMaxRequest  = 16 << 10
	testMaxDocument = 64 << 10
)

// badRequest is one malformed request and the error it must get.
type badRequest struct {
	path, contentType string
	body              []byte
	chunked           bool // send without Content-Length
	status            int
	code              string
}

// TestMalformedInput sends every route bad JSON, unknown members, bad base64, the wrong media type,
// oversize bodies, bad ?at= and ?consistency=, and missing input: each gets its status and stable
// code in the error body, and the trust list does not change.
func TestMalformedInput(t *testing.T) {
	t.Parallel()
	f := newHub(t, func(c *hub.Config) {
		c.Limits = httpapi.Limits{MaxRequestBytes: testMaxRequest, MaxDocumentBytes: testMaxDocument}
	})
	p := newPKI(t, sm2ca.Options{})
	seal := makeSeal(t, p, sm2ca.SealSpec{})
	sig := sign(t, p, seal, []byte("x"), utc(2025, 1, 1, 0))
	doc, err := p.OFD()
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString
	jsonOf := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	big := func(n int) []byte { return bytes.Repeat([]byte{'A'}, n) }
	// A JSON signature body over the JSON limit but under the document limit.
	bigJSON := jsonOf(map[string]string{"signature": b64(sig), "data": b64(big(testMaxRequest))})
	mp := func(parts map[string][]byte, order ...string) (string, []byte) {
		return multipartBody(t, parts, order...)
	}
	mpCT, mpTwoFiles := mp(map[string][]byte{"file": doc, "other": doc}, "file", "other")
	_, mpSig := mp(map[string][]byte{"signature": sig, "data": []byte("x")})
	mpUnknownCT, mpUnknown := mp(map[string][]byte{"signature": sig, "colour": []byte("red")}, "signature", "colour")
	mpTwiceCT, mpTwice := multipartTwice(t, "signature", sig)
	mpNoFileCT, mpNoFile := mp(map[string][]byte{"document": doc})
	mpBigCT, mpBig := mp(map[string][]byte{"file": big(testMaxDocument + 1)})

	const (
		sealRoute  = "/v1/verify/seal"
		sigRoute   = "/v1/verify/signature"
		ofdRoute   = "/v1/verify/ofd"
		batchRoute = "/v1/seals:batchGet"
		jsonCT     = "application/json"
		rawCT      = "application/octet-stream"
	)
	const (
		bodyInvalid = "BODY_INVALID"
		tooLarge    = "BODY_TOO_LARGE"
		media       = "MEDIA_TYPE_UNSUPPORTED"
		timeInvalid = "TIME_INVALID"
		consistency = "CONSISTENCY_INVALID"
	)
	cases := map[string]badRequest{
		"seal: bad JSON":                {sealRoute, jsonCT, []byte(`{"seal":`), false, 400, bodyInvalid},
		"seal: unknown member":          {sealRoute, jsonCT, jsonOf(map[string]any{"seal": seal, "colour": "red"}), false, 400, bodyInvalid},
		"seal: duplicate member":        {sealRoute, jsonCT, []byte(`{"seal":"` + b64(seal) + `","seal":"` + b64(seal) + `"}`), false, 400, bodyInvalid},
		"seal: bad base64":              {sealRoute, jsonCT, []byte(`{"seal":"not base64!"}`), false, 400, bodyInvalid},
		"seal: wrong media type":        {sealRoute, "text/plain", seal, false, 415, media},
		"seal: unparsable media type":   {sealRoute, "application/json; =", seal, false, 400, bodyInvalid},
		"seal: over the limit":          {sealRoute, rawCT, big(testMaxRequest + 1), false, 413, tooLarge},
		"seal: over the limit, chunked": {sealRoute, rawCT, big(testMaxRequest + 1), true, 413, tooLarge},
		"seal: bad at":                  {sealRoute + "?at=yesterday", rawCT, seal, false, 400, timeInvalid},
		"seal: at without a zone":       {sealRoute + "?at=2025-01-01T00:00:00", rawCT, seal, false, 400, timeInvalid},
		"seal: bad consistency":         {sealRoute + "?consistency=eventual", rawCT, seal, false, 400, consistency},
		"seal: no body":                 {sealRoute, rawCT, nil, false, 400, bodyInvalid},
		"seal: JSON without the seal":   {sealRoute, jsonCT, []byte(`{}`), false, 400, bodyInvalid},
		"seal: JSON with a null seal":   {sealRoute, jsonCT, []byte(`{"seal":null}`), false, 400, bodyInvalid},

		"signature: bad JSON":                {sigRoute, jsonCT, []byte(`{"signature":"` + b64(sig)), false, 400, bodyInvalid},
		"signature: unknown member":          {sigRoute, jsonCT, jsonOf(map[string]any{"signature": sig, "dataSM3": "00"}), false, 400, bodyInvalid},
		"signature: bad base64":              {sigRoute, jsonCT, []byte(`{"signature":"` + b64(sig)[1:] + `"}`), false, 400, bodyInvalid},
		"signature: bad base64 data":         {sigRoute, jsonCT, []byte(`{"signature":"` + b64(sig) + `","data":"%%%"}`), false, 400, bodyInvalid},
		"signature: data_sm3 not hex":        {sigRoute, jsonCT, jsonOf(map[string]any{"signature": sig, "data_sm3": strings.Repeat("zz", 32)}), false, 400, bodyInvalid},
		"signature: data_sm3 too short":      {sigRoute, jsonCT, jsonOf(map[string]any{"signature": sig, "data_sm3": "00ff"}), false, 400, bodyInvalid},
		"signature: data and data_sm3":       {sigRoute, jsonCT, jsonOf(map[string]any{"signature": sig, "data": []byte("x"), "data_sm3": strings.Repeat("00", 32)}), false, 400, bodyInvalid},
		"signature: wrong media type":        {sigRoute, rawCT, sig, false, 415, media},
		"signature: JSON over the limit":     {sigRoute, jsonCT, bigJSON, false, 413, tooLarge},
		"signature: over the upload limit":   {sigRoute, mpBigCT, mpBig, false, 413, tooLarge},
		"signature: bad at":                  {sigRoute + "?at=1700000000", jsonCT, jsonOf(map[string]any{"signature": sig}), false, 400, timeInvalid},
		"signature: bad consistency":         {sigRoute + "?consistency=LINEARIZABLE", jsonCT, jsonOf(map[string]any{"signature": sig}), false, 400, consistency},
		"signature: no signature":            {sigRoute, jsonCT, jsonOf(map[string]any{"data": []byte("x")}), false, 400, bodyInvalid},
		"signature: no body":                 {sigRoute, jsonCT, nil, false, 400, bodyInvalid},
		"signature: multipart, no boundary":  {sigRoute, "multipart/form-data", mpSig, false, 400, bodyInvalid},
		"signature: multipart, unknown part": {sigRoute, mpUnknownCT, mpUnknown, false, 400, bodyInvalid},
		"signature: multipart, part twice":   {sigRoute, mpTwiceCT, mpTwice, false, 400, bodyInvalid},

		"ofd: wrong media type":           {ofdRoute, "text/xml", doc, false, 415, media},
		"ofd: over the limit":             {ofdRoute, "application/ofd", big(testMaxDocument + 1), false, 413, tooLarge},
		"ofd: over the limit, chunked":    {ofdRoute, "application/ofd", big(testMaxDocument + 1), true, 413, tooLarge},
		"ofd: multipart over the limit":   {ofdRoute, mpBigCT, mpBig, false, 413, tooLarge},
		"ofd: bad at":                     {ofdRoute + "?at=2025-13-01T00:00:00Z", "application/ofd", doc, false, 400, timeInvalid},
		"ofd: bad consistency":            {ofdRoute + "?consistency=", "application/ofd", doc, false, 400, consistency},
		"ofd: no body":                    {ofdRoute, "application/ofd", nil, false, 400, bodyInvalid},
		"ofd: multipart without file":     {ofdRoute, mpNoFileCT, mpNoFile, false, 400, bodyInvalid},
		"ofd: multipart with two parts":   {ofdRoute, mpCT, mpTwoFiles, false, 400, bodyInvalid},
		"ofd: multipart, no boundary":     {ofdRoute, "multipart/form-data", mpTwoFiles, false, 400, bodyInvalid},
		"ofd: multipart, broken boundary": {ofdRoute, mpCT, []byte("--nope\r\n\r\n"), false, 400, bodyInvalid},

		"batch: bad JSON":                      {batchRoute, jsonCT, []byte(`{"codes":[`), false, 400, bodyInvalid},
		"batch: unknown member":                {batchRoute, jsonCT, []byte(`{"codes":["37030000000001"],"as_of":1}`), false, 400, bodyInvalid},
		"batch: bad at in the body":            {batchRoute, jsonCT, []byte(`{"codes":["37030000000001"],"at":"today"}`), false, 400, bodyInvalid},
		"batch: wrong media type":              {batchRoute, "text/plain", []byte(`{"codes":["37030000000001"]}`), false, 415, media},
		"batch: over the limit":                {batchRoute, jsonCT, big(testMaxRequest + 1), false, 413, tooLarge},
		"batch: over the limit, chunked":       {batchRoute, jsonCT, big(testMaxRequest + 1), true, 413, tooLarge},
		"batch: bad at":                        {batchRoute + "?at=now", jsonCT, []byte(`{"codes":["37030000000001"]}`), false, 400, timeInvalid},
		"batch: bad consistency":               {batchRoute + "?consistency=strong", jsonCT, []byte(`{"codes":["37030000000001"]}`), false, 400, consistency},
		"seal: at after year 9999 in UTC":      {sealRoute + "?at=9999-12-31T23:00:00-05:00", rawCT, seal, false, 400, timeInvalid},
		"signature: at after year 9999 in UTC": {sigRoute + "?at=9999-12-31T23:00:00-05:00", jsonCT, jsonOf(map[string]any{"signature": sig}), false, 400, timeInvalid},
		"ofd: at after year 9999 in UTC":       {ofdRoute + "?at=9999-12-31T23:00:00-05:00", "application/ofd", doc, false, 400, timeInvalid},
		"batch: at after year 9999 in UTC":     {batchRoute, jsonCT, []byte(`{"codes":["37030000000001"],"at":"9999-12-31T23:00:00-05:00"}`), false, 400, timeInvalid},
		"batch: no codes":                      {batchRoute, jsonCT, []byte(`{}`), false, 400, "CODES_INVALID"},
		"batch: no body":                       {batchRoute, jsonCT, nil, false, 400, bodyInvalid},
	}
	index := f.h.State().Index()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := f.with(t).send(tc)
			if s.status != tc.status {
				t.Fatalf("%d %s, want %d %s", s.status, s.body, tc.status, tc.code)
			}
			if ct := s.hdr.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			if e := s.errorBody(t); e.Code != tc.code {
				t.Errorf("code %s (%s), want %s", e.Code, e.Message, tc.code)
			}
			if s.hdr.Get(httpapi.HeaderResult) != "" {
				t.Errorf("an error carries a verdict: %s", s.hdr.Get(httpapi.HeaderResult))
			}
			if got := s.hdr.Get("X-Sealhub-Index"); got != strconv.FormatUint(index, 10) {
				t.Errorf("X-Sealhub-Index %s, want %d", got, index)
			}
		})
	}
	t.Run("signature: JSON over the limit, chunked", func(t *testing.T) {
		// The JSON limit is checked against Content-Length; a chunked body must not escape it.
		s := f.with(t).send(badRequest{path: sigRoute, contentType: jsonCT, body: bigJSON, chunked: true})
		if s.status != http.StatusRequestEntityTooLarge {
			t.Errorf("BUG: a %d-byte chunked JSON body, over the %d-byte JSON limit, got %d %.200s", len(bigJSON), testMaxRequest, s.status, s.body)
		}
	})
	t.Run("signature: multipart with data and data_sm3, either order", func(t *testing.T) {
		parts := map[string][]byte{"signature": sig, "data_sm3": []byte(strings.Repeat("0", 64)), "data": []byte("x")}
		for _, order := range [][]string{{"signature", "data", "data_sm3"}, {"signature", "data_sm3", "data"}} {
			ct, body := mp(parts, order...)
			s := f.with(t).send(badRequest{path: sigRoute, contentType: ct, body: body})
			if s.status != http.StatusBadRequest {
				t.Errorf("BUG: parts %v: %d %.160s, want 400 %s (send data or data_sm3, not both)", order, s.status, s.body, bodyInvalid)
				continue
			}
			if e := s.errorBody(t); e.Code != bodyInvalid {
				t.Errorf("parts %v: code %s", order, e.Code)
			}
		}
	})
	t.Run("input that is not a seal, signature or document", func(t *testing.T) {
		// Undecodable input is a verdict (FORMAT_INVALID), with a receipt, not an error.
		for _, tc := range []badRequest{
			{path: sealRoute, contentType: rawCT, body: []byte("garbage")},
			{path: sigRoute, contentType: jsonCT, body: jsonOf(map[string][]byte{"signature": []byte("garbage")})},
			{path: sigRoute, contentType: jsonCT, body: jsonOf(map[string][]byte{"signature": sig[:len(sig)/2]})},
			{path: ofdRoute, contentType: "application/ofd", body: []byte("garbage")},
		} {
			s := f.with(t).send(tc)
			if s.status != http.StatusOK {
				t.Errorf("BUG: %s with undecodable input: %d %s, want 200 and a FORMAT_INVALID report", tc.path, s.status, s.body)
				continue
			}
			var r struct {
				Result resolver.Verdict `json:"result"`
				Reason resolver.Reason  `json:"reason"`
				resolver.Online
			}
			s.decode(t, &r)
			if r.Result != resolver.Invalid || r.Reason != resolver.ReasonFormatInvalid {
				t.Errorf("%s: %s/%s, want invalid/FORMAT_INVALID", tc.path, r.Result, r.Reason)
			}
			f.with(t).checkOnline(s, string(r.Result), &r.Online)
		}
	})
	t.Run("well-formed requests pass", func(t *testing.T) {
		g := f.with(t)
		for _, tc := range []badRequest{
			{path: sealRoute, contentType: rawCT, body: seal},
			{path: sealRoute, contentType: "application/json; charset=utf-8", body: jsonOf(map[string]any{"seal": seal})},
			{path: sealRoute + "?consistency=stale", contentType: "", body: seal},
			{path: sigRoute, contentType: jsonCT, body: jsonOf(map[string]any{"signature": sig, "data_sm3": strings.Repeat("ab", 32)})},
			{path: ofdRoute, contentType: "application/zip", body: doc},
			{path: batchRoute, contentType: "", body: []byte(`{"codes":["37030000000001"]}`)},
		} {
			if s := g.send(tc); s.status != http.StatusOK {
				t.Errorf("%s %s: %d %s", tc.path, tc.contentType, s.status, s.body)
			}
		}
	})
	if after := f.h.State().Index(); after != index {
		t.Errorf("the trust list moved from index %d to %d", index, after)
	}
}

// send sends a badRequest.
func (f *fixture) send(tc badRequest) served {
	f.t.Helper()
	if tc.chunked {
		return f.doReader(http.MethodPost, tc.path, tc.contentType, bytes.NewReader(tc.body), -1, nil)
	}
	return f.do(http.MethodPost, tc.path, tc.contentType, tc.body, nil)
}

// multipartTwice is a form with the part name twice.
func multipartTwice(t *testing.T, name string, content []byte) (string, []byte) {
	t.Helper()
	ct, one := multipartBody(t, map[string][]byte{name: content})
	boundary := ct[strings.Index(ct, "boundary=")+len("boundary="):]
	closing := []byte("--" + boundary + "--")
	part := bytes.TrimSuffix(bytes.TrimSpace(one), closing)
	return ct, append(append(bytes.Clone(part), part...), append(closing, '\r', '\n')...)
}
