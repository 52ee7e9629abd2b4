package hub

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/sealhub/sealhub/federation/ingest"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/internal/httpx"
	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/resolver/httpapi"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// The OpenAPI document, and the example files its request examples name (made by the demo PKI; see
// cmd/sealhub/testdata/example/README.md).
var (
	openAPIPath    = filepath.Join("..", "..", "resolver", "httpapi", "openapi.json")
	openAPIExample = filepath.Join("..", "..", "cmd", "sealhub", "testdata", "example")
)

// openAPINow is the node's clock: inside the example PKI's validity and just after the example
// pushes were issued, so the examples mean the same whenever the test runs.
var openAPINow = time.Date(2026, 11, 22, 8, 30, 0, 0, time.UTC)

// openAPIKey is the API key the test node requires on the routes the document secures.
const openAPIKey = "openapi-test-key"

// openAPIAnswer is what an operation's examples must get from the test node: a status, and an error
// code or a verdict. The example pushes are signed by a key the node does not know; the verification
// examples are the example files, which the node's trust list vouches for. Others must get 200.
var openAPIAnswer = map[string]struct {
	status int
	code   string
	result resolver.Verdict
}{
	"POST /v1/updates":          {status: http.StatusUnauthorized, code: string(trustlist.CodeKeyUnknown)},
	"POST /v1/verify/seal":      {status: http.StatusOK, result: resolver.Valid},
	"POST /v1/verify/signature": {status: http.StatusOK, result: resolver.Valid},
	"POST /v1/verify/ofd":       {status: http.StatusOK, result: resolver.Valid},
}

// TestOpenAPI keeps resolver/httpapi/openapi.json honest: it is a valid OpenAPI 3 document; it
// describes exactly the routes a node serves; its result and push codes are the Go tables'; every
// request example is a valid request by the document, and a running node answers it as the document
// says; requests every route must refuse get an error the document lists; and the node serves the
// document byte for byte.
func TestOpenAPI(t *testing.T) {
	raw, err := os.ReadFile(openAPIPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := loadOpenAPI(t, raw)
	h, reg := openAPIHub(t)
	// The raw document types are files; kin-openapi decodes only application/octet-stream as one.
	for _, ct := range []string{"application/ofd", "application/zip", "application/x-ses-seal"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
		t.Cleanup(func() { openapi3filter.UnregisterBodyDecoder(ct) })
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	files := openAPIExampleFiles(t)

	t.Run("routes", func(t *testing.T) { checkOpenAPIRoutes(t, doc, h) })
	t.Run("codes", func(t *testing.T) { checkOpenAPICodes(t, doc) })
	t.Run("examples", func(t *testing.T) {
		forEachOpenAPIOperation(doc, func(method, p string, item *openapi3.PathItem, op *openapi3.Operation) {
			want, ok := openAPIAnswer[method+" "+p]
			if !ok {
				want.status = http.StatusOK
			}
			for _, er := range openAPIRequests(t, p, item, op, files, nil) {
				t.Run(method+" "+p+" "+er.name, func(t *testing.T) {
					in := openAPIValidRequest(t, router, h, method, er)
					status, body := openAPIExchange(t, h, method, er, in)
					if status != want.status {
						t.Errorf("the node answered %d, want %d: %s", status, want.status, openAPIShort(body))
					}
					var answer struct {
						Code   string
						Result resolver.Verdict
						Reason resolver.Reason
					}
					_ = json.Unmarshal(body, &answer)
					if want.code != "" && answer.Code != want.code {
						t.Errorf("the node answered %s, want %s", answer.Code, want.code)
					}
					if answer.Result != want.result {
						t.Errorf("the verdict is %q (%s), want %q: is the example still the example files' content?", answer.Result, answer.Reason, want.result)
					}
				})
			}
		})
	})
	t.Run("errors", func(t *testing.T) { checkOpenAPIErrors(t, doc, router, h, files) })
	t.Run("push accepted", func(t *testing.T) { checkOpenAPIPush(t, router, h, reg) })
	t.Run("served", func(t *testing.T) {
		resp, err := http.Get(h.URL() + "/v1/openapi.json")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || !bytes.Equal(got, raw) {
			t.Fatalf("GET /v1/openapi.json: %d, %d bytes; want 200 and the %d bytes of %s", resp.StatusCode, len(got), len(raw), openAPIPath)
		}
	})
}

// loadOpenAPI parses and validates the document, its examples against their schemas included.
func loadOpenAPI(t *testing.T, raw []byte) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		t.Fatalf("load %s: %v", openAPIPath, err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("validate %s: %v", openAPIPath, err)
	}
	return doc
}

// openAPIHub starts a one-node hub that requires openAPIKey and holds what the examples name:
// registry 37 (山东省), the example PKI's CA certificates as trust anchors, its seal-maker
// certificate, and the example seal filed from its DER — so the verification examples run every
// check.
func openAPIHub(t *testing.T) (*Hub, client.Signer) {
	t.Helper()
	now := func() time.Time { return openAPINow }
	admin, reg := openAPINewKey(t), openAPINewKey(t)
	h, err := Open(Config{NodeID: "n1", DataDir: t.TempDir(), Bootstrap: true, Now: now,
		AdminKeys: []string{openAPIKeyPEM(t, admin)},
		APIKeys:   []httpapi.APIKey{{Name: "openapi-test", SM3: httpapi.HashAPIKey(openAPIKey)}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	c := client.New(h.URL())
	c.Now = now
	if _, err := c.Push(ctx, client.Signer{Registry: trustlist.AdminID, Key: admin}, []trustlist.Op{
		{Op: trustlist.OpRegistryCreate, RegistrySpec: &trustlist.RegistrySpec{
			ID: "37", Name: "山东省", Kind: trustlist.KindProvince, Jurisdiction: []string{"37"},
			Keys: []trustlist.KeySpec{{PublicKey: openAPIKeyPEM(t, reg)}},
		}},
		{Op: trustlist.OpAnchorAdd, Cert: openAPICert(t, "roots", "ca.pem")},
		{Op: trustlist.OpAnchorAdd, Cert: openAPICert(t, "intermediates", "ca.pem")},
	}); err != nil {
		t.Fatalf("seed the administrator's push: %v", err)
	}
	seal, err := os.ReadFile(filepath.Join(openAPIExample, "seal.esl"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Push(ctx, client.Signer{Registry: "37", Key: reg}, []trustlist.Op{
		{Op: trustlist.OpMakerAdd, Cert: openAPICert(t, "makers", "maker.pem")},
		{Op: trustlist.OpSealFile, Seal: seal},
	}); err != nil {
		t.Fatalf("seed registry 37's push: %v", err)
	}
	return h, client.Signer{Registry: "37", Key: reg}
}

// checkOpenAPIPush sends a push the node accepts, then the same bytes again, and checks both
// answers against the document.
func checkOpenAPIPush(t *testing.T, router routers.Router, h *Hub, reg client.Signer) {
	c := client.New(h.URL())
	c.Now = func() time.Time { return openAPINow }
	start := openAPINow.AddDate(0, 0, -2)
	body, err := c.Build(context.Background(), reg.Registry, []trustlist.Op{{Op: trustlist.OpSealFile, Meta: &trustlist.SealMeta{
		Code: "37030600000117", Name: "淄博市周村区自然资源局公章", Type: 1, OwnerName: "淄博市周村区自然资源局",
		OwnerUSCC: "11370306MB2867521U", ValidStart: start, ValidEnd: start.AddDate(3, 0, 0),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	keyID, sig, err := reg.Sign(body)
	if err != nil {
		t.Fatal(err)
	}
	er := exampleRequest{target: "/v1/updates", contentType: "application/json", body: body,
		header: http.Header{ingest.HeaderKeyID: {keyID}, ingest.HeaderSignature: {sig}}}
	for _, replay := range []bool{false, true} {
		in := openAPIValidRequest(t, router, h, http.MethodPost, er)
		status, answer := openAPIExchange(t, h, http.MethodPost, er, in)
		var got ingest.PushResponse
		if err := json.Unmarshal(answer, &got); status != http.StatusOK || err != nil || got.Replay != replay {
			t.Errorf("push (replay %v): %d %s", replay, status, openAPIShort(answer))
		}
	}
}

func openAPINewKey(t *testing.T) *sm2.PrivateKey {
	t.Helper()
	k, err := smcrypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func openAPIKeyPEM(t *testing.T, k *sm2.PrivateKey) string {
	t.Helper()
	p, err := smcrypto.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(p)
}

// openAPICert is the DER of a PEM certificate of the example PKI.
func openAPICert(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(openAPIExample, dir, name))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s/%s: no PEM block", dir, name)
	}
	return blk.Bytes
}

// openAPIExampleFiles are the files the examples name: the example seal and OFD, and the signature
// and signed original of the OFD's first signature.
func openAPIExampleFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, name := range []string{"seal.esl", "signed.ofd"} {
		b, err := os.ReadFile(filepath.Join(openAPIExample, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = b
	}
	zr, err := zip.NewReader(bytes.NewReader(files["signed.ofd"]), int64(len(files["signed.ofd"])))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"SignedValue.dat", "Signature.xml"} {
		f, err := zr.Open("Doc_0/Signs/Sign_0/" + name)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		files[name] = b
	}
	return files
}

// checkOpenAPIRoutes compares the (method, path) pairs the router serves with the document's.
func checkOpenAPIRoutes(t *testing.T, doc *openapi3.T, h *Hub) {
	documented := map[string]bool{}
	forEachOpenAPIOperation(doc, func(method, p string, _ *openapi3.PathItem, _ *openapi3.Operation) {
		documented[method+" "+p] = true
	})
	served := map[string]bool{}
	for _, r := range h.Engine.Routes() {
		p := openAPIPathOf(r.Path)
		if r.Method == http.MethodHead && documented[http.MethodGet+" "+p] {
			continue // a HEAD gin adds for a GET the document covers
		}
		served[r.Method+" "+p] = true
	}
	var undocumented, unserved []string
	for r := range served {
		if !documented[r] {
			undocumented = append(undocumented, r)
		}
	}
	for r := range documented {
		if !served[r] {
			unserved = append(unserved, r)
		}
	}
	slices.Sort(undocumented)
	slices.Sort(unserved)
	if len(undocumented) > 0 {
		t.Errorf("routes the node serves that %s does not document:\n\t%s", openAPIPath, strings.Join(undocumented, "\n\t"))
	}
	if len(unserved) > 0 {
		t.Errorf("operations %s documents that the node does not serve:\n\t%s", openAPIPath, strings.Join(unserved, "\n\t"))
	}
}

// openAPIPathOf turns a gin route path into an OpenAPI path: a segment ":name" or "*name" becomes
// "{name}". gin's escaped colon ("/v1/seals\:batchGet", shown unescaped once the engine has served a
// request) is a literal colon, never at the start of a segment.
func openAPIPathOf(ginPath string) string {
	segs := strings.Split(strings.ReplaceAll(ginPath, `\:`, ":"), "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") || strings.HasPrefix(s, "*") {
			segs[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(segs, "/")
}

// forEachOpenAPIOperation calls f for every operation, in path and method order.
func forEachOpenAPIOperation(doc *openapi3.T, f func(method, p string, item *openapi3.PathItem, op *openapi3.Operation)) {
	for _, p := range slices.Sorted(maps.Keys(doc.Paths.Map())) {
		item := doc.Paths.Value(p)
		ops := item.Operations()
		for _, method := range slices.Sorted(maps.Keys(ops)) {
			f(method, p, item, ops[method])
		}
	}
}

// checkOpenAPICodes compares the document's code lists with the Go tables they come from.
func checkOpenAPICodes(t *testing.T, doc *openapi3.T) {
	t.Run("reasons", func(t *testing.T) {
		var want []string
		for _, r := range resolver.Reasons {
			want = append(want, string(r.Code))
		}
		var got []string
		for _, v := range doc.Components.Schemas["Reason"].Value.Enum {
			got = append(got, fmt.Sprint(v))
		}
		if !slices.Equal(got, want) {
			t.Errorf("components.schemas.Reason.enum is not resolver.Reasons (in order):\n\tgot  %v\n\twant %v", got, want)
		}
	})
	t.Run("push", func(t *testing.T) {
		// Every rejection code under its kind's status, and the body limits of the route.
		want := map[string]int{httpx.CodeBodyTooLarge: 413, httpx.CodeBodyUnreadable: 400}
		for _, c := range trustlist.Codes {
			want[string(c.Code)] = c.Kind.HTTPStatus()
		}
		got := map[string]int{}
		for status, resp := range doc.Paths.Value("/v1/updates").Post.Responses.Map() {
			var n int
			if _, err := fmt.Sscan(status, &n); err != nil || n >= 500 {
				continue
			}
			for _, c := range openAPIErrorCodes(resp.Value) {
				got[c] = n
			}
		}
		for _, c := range slices.Sorted(maps.Keys(want)) {
			if got[c] != want[c] {
				t.Errorf("POST /v1/updates: %s is answered %d; the document lists it under %d", c, want[c], got[c])
			}
		}
		for _, c := range slices.Sorted(maps.Keys(got)) {
			if _, ok := want[c]; !ok {
				t.Errorf("POST /v1/updates: the document lists %s under %d, but no push is refused with it", c, got[c])
			}
		}
	})
}

// openAPIErrorCodes are the codes an error response lists: the enum of "code" in its schema's allOf.
func openAPIErrorCodes(r *openapi3.Response) []string {
	mt := r.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return nil
	}
	var out []string
	for _, s := range mt.Schema.Value.AllOf {
		if p := s.Value.Properties["code"]; p != nil {
			for _, v := range p.Value.Enum {
				out = append(out, fmt.Sprint(v))
			}
		}
	}
	return out
}

// checkOpenAPIErrors sends requests each operation must refuse — a bad consistency level, a bad
// time, an unknown path parameter, a body of the wrong media type or none, no API key or a wrong
// one — and checks that the answer is the expected status and an error the document lists.
func checkOpenAPIErrors(t *testing.T, doc *openapi3.T, router routers.Router, h *Hub, files map[string][]byte) {
	type probe struct {
		name     string
		override map[string]string // parameter values
		mutate   func(*exampleRequest)
		status   int // 0: any 4xx
	}
	forEachOpenAPIOperation(doc, func(method, p string, item *openapi3.PathItem, op *openapi3.Operation) {
		var probes []probe
		for _, pr := range append(slices.Clone(item.Parameters), op.Parameters...) {
			switch prm := pr.Value; {
			case prm.In == openapi3.ParameterInPath:
				probes = append(probes, probe{name: "unknown " + prm.Name, override: map[string]string{prm.Name: "zz404"}, status: http.StatusNotFound})
			case prm.Name == "consistency":
				probes = append(probes, probe{name: "bad consistency", override: map[string]string{prm.Name: "sometimes"}, status: http.StatusBadRequest})
			case prm.Name == "max_stale":
				probes = append(probes, probe{name: "bad max_stale", override: map[string]string{prm.Name: "soon", "consistency": "default"}, status: http.StatusBadRequest})
			case prm.Name == "at":
				probes = append(probes, probe{name: "bad at", override: map[string]string{prm.Name: "yesterday"}, status: http.StatusBadRequest})
			}
		}
		if op.RequestBody != nil {
			probes = append(probes,
				probe{name: "text body", mutate: func(er *exampleRequest) { er.contentType, er.body = "text/plain", []byte("seal") }},
				probe{name: "empty body", mutate: func(er *exampleRequest) { er.body = nil }})
		}
		if openAPISecured(op) {
			probes = append(probes,
				probe{name: "no API key", mutate: func(er *exampleRequest) { er.header.Del(httpapi.HeaderAPIKey) }, status: http.StatusUnauthorized},
				probe{name: "wrong API key", mutate: func(er *exampleRequest) {
					er.header.Del(httpapi.HeaderAPIKey)
					er.header.Set("Authorization", "Bearer not-"+openAPIKey)
				}, status: http.StatusUnauthorized})
		}
		for _, pb := range probes {
			t.Run(method+" "+p+" "+pb.name, func(t *testing.T) {
				er := openAPIRequests(t, p, item, op, files, pb.override)[0]
				if pb.mutate != nil {
					pb.mutate(&er)
				}
				req := openAPIRequest(t, h, method, er)
				route, params, err := router.FindRoute(req)
				if err != nil {
					t.Fatalf("no route for %s %s in the document: %v", method, er.target, err)
				}
				in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
				status, body := openAPIExchange(t, h, method, er, in)
				if (pb.status != 0 && status != pb.status) || status < 400 || status > 499 {
					t.Errorf("the node answered %d, want %s: %s", status, openAPIStatusText(pb.status), openAPIShort(body))
				}
			})
		}
	})
}

func openAPIStatusText(s int) string {
	if s == 0 {
		return "4xx"
	}
	return fmt.Sprint(s)
}

// openAPISecured reports whether the document lets the operation require an API key.
func openAPISecured(op *openapi3.Operation) bool {
	if op.Security == nil {
		return false
	}
	for _, req := range *op.Security {
		if _, ok := req["ApiKey"]; ok {
			return true
		}
	}
	return false
}

// exampleRequest is one request built from the document.
type exampleRequest struct {
	name        string // media type and example, for the subtest
	target      string // path and query
	header      http.Header
	contentType string
	body        []byte
}

// openAPIRequests builds an operation's example requests: path parameters from their examples
// (required), query and header parameters that have one (override replaces or adds values), the API
// key when the operation may require one, and one request per request-body example of every media
// type (each media type must have one).
func openAPIRequests(t *testing.T, p string, item *openapi3.PathItem, op *openapi3.Operation, files map[string][]byte, override map[string]string) []exampleRequest {
	t.Helper()
	target := p
	query := url.Values{}
	header := http.Header{}
	if openAPISecured(op) {
		header.Set(httpapi.HeaderAPIKey, openAPIKey)
	}
	for _, pr := range append(slices.Clone(item.Parameters), op.Parameters...) {
		prm := pr.Value
		v, ok := openAPIParamExample(prm)
		if o, set := override[prm.Name]; set {
			v, ok = o, true
		}
		switch {
		case !ok && (prm.In == openapi3.ParameterInPath || prm.Required):
			t.Errorf("%s: parameter %s (%s) needs an example", p, prm.Name, prm.In)
		case !ok:
		case prm.In == openapi3.ParameterInPath:
			target = strings.ReplaceAll(target, "{"+prm.Name+"}", url.PathEscape(v))
		case prm.In == openapi3.ParameterInQuery:
			query.Set(prm.Name, v)
		case prm.In == openapi3.ParameterInHeader:
			header.Set(prm.Name, v)
		}
	}
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	if op.RequestBody == nil {
		return []exampleRequest{{name: "no body", target: target, header: header}}
	}
	var out []exampleRequest
	content := op.RequestBody.Value.Content
	for _, mt := range slices.Sorted(maps.Keys(content)) {
		media := content[mt]
		if len(media.Examples) == 0 {
			t.Errorf("%s %s: request body %s has no examples", op.OperationID, p, mt)
		}
		for _, name := range slices.Sorted(maps.Keys(media.Examples)) {
			ct, body, err := openAPIBody(mt, media, media.Examples[name].Value, files)
			if err != nil {
				t.Errorf("%s %s: example %s (%s): %v", op.OperationID, p, name, mt, err)
				continue
			}
			out = append(out, exampleRequest{name: mt + " " + name, target: target, header: header.Clone(), contentType: ct, body: body})
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s %s: no request could be built", op.OperationID, p)
	}
	return out
}

// openAPIParamExample is a parameter's example as it travels in a URL or header.
func openAPIParamExample(p *openapi3.Parameter) (string, bool) {
	v := p.Example
	if v == nil && len(p.Examples) > 0 {
		v = p.Examples[slices.Sorted(maps.Keys(p.Examples))[0]].Value.Value
	}
	if v == nil {
		return "", false
	}
	return fmt.Sprint(v), true
}

// openAPIBody builds the body of a request-body example. A JSON value is sent compactly encoded. A
// value for any other media names files as curl does ("@signed.ofd"): the whole body for raw media,
// the binary parts ("format: binary") of a multipart object, whose other members are fields.
func openAPIBody(mt string, media *openapi3.MediaType, ex *openapi3.Example, files map[string][]byte) (string, []byte, error) {
	switch mt {
	case "application/json":
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(ex.Value); err != nil {
			return "", nil, err
		}
		return mt, bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
	case "multipart/form-data":
		return openAPIMultipart(media, ex, files)
	}
	b, err := openAPIFile(ex.Value, files)
	return mt, b, err
}

// openAPIFile is the example file an "@name" value names.
func openAPIFile(v any, files map[string][]byte) ([]byte, error) {
	s, _ := v.(string)
	name, ok := strings.CutPrefix(s, "@")
	b, known := files[name]
	if !ok || !known {
		return nil, fmt.Errorf("%q does not name an example file (@name; kin-openapi cannot validate externalValue examples)", v)
	}
	return b, nil
}

func openAPIMultipart(media *openapi3.MediaType, ex *openapi3.Example, files map[string][]byte) (string, []byte, error) {
	fields, ok := ex.Value.(map[string]any)
	if !ok {
		return "", nil, fmt.Errorf("a multipart example is an object of parts, not %T", ex.Value)
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		v, _ := fields[name].(string)
		prop := media.Schema.Value.Properties[name]
		if prop == nil || prop.Value.Format != "binary" {
			if err := w.WriteField(name, v); err != nil {
				return "", nil, err
			}
			continue
		}
		b, err := openAPIFile(v, files)
		if err != nil {
			return "", nil, fmt.Errorf("part %s: %w", name, err)
		}
		part, err := w.CreateFormFile(name, strings.TrimPrefix(v, "@"))
		if err != nil {
			return "", nil, err
		}
		if _, err := part.Write(b); err != nil {
			return "", nil, err
		}
	}
	if err := w.Close(); err != nil {
		return "", nil, err
	}
	return w.FormDataContentType(), buf.Bytes(), nil
}

// openAPIRequest makes er into a request to the node.
func openAPIRequest(t *testing.T, h *Hub, method string, er exampleRequest) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, h.URL()+er.target, bytes.NewReader(er.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = er.header.Clone()
	if er.contentType != "" {
		req.Header.Set("Content-Type", er.contentType)
	}
	return req
}

// openAPIValidRequest checks that er is a valid request by the document, and returns the validation
// input its answer is checked with.
func openAPIValidRequest(t *testing.T, router routers.Router, h *Hub, method string, er exampleRequest) *openapi3filter.RequestValidationInput {
	t.Helper()
	req := openAPIRequest(t, h, method, er)
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("no route for %s %s in the document: %v", method, er.target, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		t.Errorf("the example request is not valid by the document: %v", err)
	}
	return in
}

// openAPIExchange sends er to the node and checks that the document describes the answer: its
// status, headers and body.
func openAPIExchange(t *testing.T, h *Hub, method string, er exampleRequest, in *openapi3filter.RequestValidationInput) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(openAPIRequest(t, h, method, er))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("the node's %d answer is not what the document describes: %v\n%s", resp.StatusCode, err, openAPIShort(body))
	}
	return resp.StatusCode, body
}

func openAPIShort(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}
