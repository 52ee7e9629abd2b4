package main

import (
	"archive/zip"
	"context"
	"encoding/base64"
	"encoding/pem"
	"github.com/sealhub/sealhub/test/hubtest"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/internal/demo/seed"
	"github.com/sealhub/sealhub/internal/hub"
	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/resolver/httpapi"
	"github.com/sealhub/sealhub/trustlist"
)

// testAPIKey is the verifier key the test hub asks for.
const testAPIKey = "verifier-test-key"

// verifyHub is a one-node hub seeded with the demo data of `sealhub dev`, plus the embedded
// example's CA certificates, maker and seal filed by registry 37, all through the signed push API.
// Its verification routes want testAPIKey.
type verifyHub struct {
	t    *testing.T
	dir  string
	url  string
	plan *seed.Seeded
	c    *client.Client
}

func newVerifyHub(t *testing.T) *verifyHub {
	t.Helper()
	plan, err := seed.Plan(seed.Options{Seals: 50})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := plan.AdminPublicPEM()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	h := hubtest.Open(t, hub.Config{
		NodeID: "n1", DataDir: filepath.Join(dir, "data"), Bootstrap: true, AdminKeys: []string{admin},
		APIKeys: []httpapi.APIKey{{Name: "test", SM3: httpapi.HashAPIKey(testAPIKey)}},
	}, 60*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	v := &verifyHub{t: t, dir: dir, url: h.URL(), plan: plan, c: client.New(h.URL())}
	if err := plan.Push(ctx, v.c); err != nil {
		t.Fatal(err)
	}
	v.fileExample(ctx)
	return v
}

// fileExample trusts the example's root (administrator), registers its intermediate and maker and
// files its seal (registry 37).
func (v *verifyHub) fileExample(ctx context.Context) {
	v.t.Helper()
	const code = "37030000000001"
	if v.plan.Seal(code) != nil {
		v.t.Fatalf("the demo plan already files seal %s", code)
	}
	reg := v.plan.Registry("37").Signer()
	pushes := []struct {
		signer client.Signer
		ops    []trustlist.Op
	}{
		{client.Signer{Registry: trustlist.AdminID, Key: v.plan.Admin},
			[]trustlist.Op{{Op: trustlist.OpAnchorAdd, Cert: v.pemDER("roots/ca.pem"), Reason: "example root CA"}}},
		{reg, []trustlist.Op{{Op: trustlist.OpAnchorAdd, Cert: v.pemDER("intermediates/ca.pem")}, {Op: trustlist.OpMakerAdd, Cert: v.pemDER("makers/maker.pem")}}},
		{reg, []trustlist.Op{{Op: trustlist.OpSealFile, Seal: readFile(v.t, filepath.Join(exampleDir, "seal.esl"))}}},
	}
	for _, p := range pushes {
		if _, err := v.c.Push(ctx, p.signer, p.ops); err != nil {
			v.t.Fatalf("filing the example: %v", err)
		}
	}
}

func (v *verifyHub) pemDER(name string) []byte {
	v.t.Helper()
	block, _ := pem.Decode(readFile(v.t, filepath.Join(exampleDir, name)))
	if block == nil {
		v.t.Fatalf("%s: no PEM", name)
	}
	return block.Bytes
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (v *verifyHub) write(name string, b []byte) string {
	v.t.Helper()
	p := filepath.Join(v.dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		v.t.Fatal(err)
	}
	return p
}

// cli runs the CLI with $SEALHUB_API_KEY set and, unless server is false, $SEALHUB_SERVER.
func (v *verifyHub) cli(server bool, args ...string) (int, string, string) {
	vars := map[string]string{envAPIKey: testAPIKey}
	if server {
		vars[envServer] = v.url
	}
	return runEnv(context.Background(), vars, args...)
}

// verify runs `sealhub verify --server URL args…` and checks the exit code.
func (v *verifyHub) verify(t *testing.T, want int, args ...string) (string, string) {
	t.Helper()
	code, out, errOut := v.cli(false, append([]string{"verify", "--server", v.url}, args...)...)
	if code != want {
		t.Fatalf("verify %v: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, want, out, errOut)
	}
	return out, errOut
}

// receiptOK saves a --json answer and checks its receipt against the hub's node keys.
func (v *verifyHub) receiptOK(t *testing.T, name, report string) {
	t.Helper()
	path := v.write(name, []byte(report))
	code, out, errOut := v.cli(false, "receipt", "verify", "--server", v.url, path)
	if code != 0 || !strings.Contains(out, "published for node n1") || strings.Contains(errOut, "warning") {
		t.Fatalf("receipt verify %s: exit %d\nstdout: %s\nstderr: %s", name, code, out, errOut)
	}
}

func contains(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// exampleSignature extracts the example OFD's SES_Signature and the Signature.xml it signs.
func (v *verifyHub) exampleSignature() (sig, data string) {
	v.t.Helper()
	zr, err := zip.OpenReader(filepath.Join(exampleDir, "signed.ofd"))
	if err != nil {
		v.t.Fatal(err)
	}
	defer zr.Close()
	get := func(name string) []byte {
		f, err := zr.Open(name)
		if err != nil {
			v.t.Fatal(err)
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			v.t.Fatal(err)
		}
		return b
	}
	return v.write("SignedValue.dat", get("Doc_0/Signs/Sign_0/SignedValue.dat")),
		v.write("Signature.xml", get("Doc_0/Signs/Sign_0/Signature.xml"))
}

func TestVerifyServer(t *testing.T) {
	v := newVerifyHub(t)
	seal := filepath.Join(exampleDir, "seal.esl")
	doc := filepath.Join(exampleDir, "signed.ofd")
	sig, data := v.exampleSignature()

	t.Run("example seal, text", func(t *testing.T) {
		out, _ := v.verify(t, exitValid, "seal", seal)
		contains(t, out, "seal "+seal+": VALID", "37030000000001", "status at the checked time: VALID (有效)", "status now:",
			"source trustlist", "registry 37", "trust list: index", "registry heads", "data age:", "receipt:    node n1, key id ")
	})
	t.Run("example seal, --json from $SEALHUB_SERVER, receipt verifies", func(t *testing.T) {
		code, out, errOut := v.cli(true, "verify", "seal", "--json", seal)
		if code != exitValid {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		rep := decodeOut[resolver.Report](t, out)
		if rep.Result != resolver.Valid || rep.StatusNow == nil || rep.StatusNow.Status != trustlist.StatusValid ||
			rep.StatusAtSigning == nil || rep.TrustlistIndex == 0 || rep.Receipt == nil || rep.Receipt.Node != "n1" {
			t.Fatalf("%s", out)
		}
		v.receiptOK(t, "seal.json", out)
		// The same with the key list saved from GET /v1/nodes.
		req, err := http.NewRequest(http.MethodGet, v.url+"/v1/nodes", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-API-Key", testAPIKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		nodes, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /v1/nodes: %v %s", err, resp.Status)
		}
		code, out, errOut = runCLI(t, "receipt", "verify", "--nodes", v.write("nodes.json", nodes), v.write("seal-2.json", []byte(out)))
		if code != 0 || !strings.Contains(out, "published for node n1") {
			t.Fatalf("--nodes: exit %d\n%s%s", code, out, errOut)
		}
	})
	t.Run("base64 seal", func(t *testing.T) {
		b64 := v.write("seal.b64", []byte(base64.StdEncoding.EncodeToString(readFile(t, seal))+"\n"))
		v.verify(t, exitValid, "seal", b64)
	})
	t.Run("example signature with its data", func(t *testing.T) {
		out, _ := v.verify(t, exitValid, "signature", "--data", data, sig)
		contains(t, out, "signature "+sig+": VALID", "status at the checked time: VALID (有效)", "receipt:    node n1")
		out, _ = v.verify(t, exitValid, "signature", "--json", "--consistency", "linearizable", "--data", data, sig)
		if rep := decodeOut[resolver.Report](t, out); rep.Checks.DataHash.Result != resolver.Passed {
			t.Errorf("data hash: %+v", rep.Checks.DataHash)
		}
		v.receiptOK(t, "signature.json", out)
	})
	t.Run("example signature with other data is invalid", func(t *testing.T) {
		out, _ := v.verify(t, exitInvalid, "signature", "--data", seal, sig)
		contains(t, out, "INVALID", "data_hash")
	})
	t.Run("example signature without data is indeterminate", func(t *testing.T) {
		v.verify(t, exitIndeterminate, "signature", sig)
	})
	t.Run("example OFD, text and --json", func(t *testing.T) {
		out, _ := v.verify(t, exitValid, "ofd", doc)
		contains(t, out, "OFD "+doc+": VALID", "1 signature(s)", "[1] Doc_0/Signs/Sign_0", "status at the checked time: VALID (有效)",
			"trust list: index", "receipt:    node n1")
		out, _ = v.verify(t, exitValid, "ofd", "--json", doc)
		rep := decodeOut[resolver.OFDReport](t, out)
		if rep.Result != resolver.Valid || len(rep.Signatures) != 1 || rep.Signatures[0].StatusNow == nil || rep.Receipt == nil {
			t.Fatalf("%s", out)
		}
		v.receiptOK(t, "ofd.json", out)
	})
	t.Run("demo seals", func(t *testing.T) {
		now := time.Now()
		n := 0
		for _, s := range v.plan.Seals {
			if s.DER == nil {
				continue
			}
			n++
			want := exitValid
			if s.StatusAt(now) != trustlist.StatusValid {
				want = exitInvalid
			}
			path := v.write(s.Code+".esl", s.DER)
			out, _ := v.verify(t, want, "seal", path)
			contains(t, out, "registry "+s.Registry)
			out, _ = v.verify(t, want, "seal", "--json", path)
			v.receiptOK(t, s.Code+".json", out)
		}
		if n == 0 {
			t.Fatal("the demo plan has no seal made as DER")
		}
	})
	t.Run("a suspended demo seal: invalid now, valid before", func(t *testing.T) {
		s := validDERSeal(v.plan)
		suspendAt := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
		if !s.ValidStart.Before(suspendAt.Add(-time.Minute)) {
			t.Fatalf("seal %s starts %s", s.Code, s.ValidStart)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := v.c.Push(ctx, v.plan.Registry(s.Registry).Signer(), []trustlist.Op{{
			Op: trustlist.OpSealStatus, Code: s.Code, Action: "suspend", EffectiveAt: &suspendAt, Reason: "印章遗失",
		}}); err != nil {
			t.Fatal(err)
		}
		path := v.write("suspended.esl", s.DER)
		out, _ := v.verify(t, exitInvalid, "seal", "--consistency", "linearizable", path)
		contains(t, out, "SEAL_SUSPENDED", "status now:                SUSPENDED (停用)", "印章遗失", "effective "+suspendAt.Format(time.RFC3339))
		before := suspendAt.Add(-time.Minute).Format(time.RFC3339)
		out, _ = v.verify(t, exitValid, "seal", "--at", before, path)
		contains(t, out, "status at the checked time: VALID (有效); at "+before, "status now:                SUSPENDED (停用)")
	})
	t.Run("input that is no seal or signature is invalid, as offline", func(t *testing.T) {
		junk := v.write("junk.esl", []byte("not a seal at all"))
		for _, kind := range []string{"seal", "signature"} {
			out, _ := v.verify(t, exitInvalid, kind, junk)
			contains(t, out, "INVALID", "FORMAT_INVALID")
		}
	})
	t.Run("the hub's refusals exit 3 with code and request id", func(t *testing.T) {
		_, errOut := v.verify(t, exitUsage, "seal", v.write("empty.esl", nil))
		contains(t, errOut, "sealhub: BODY_INVALID: ", "request id: ")
		// Without the API key.
		code, out, errOut := runEnv(context.Background(), nil, "verify", "--server", v.url, "seal", seal)
		if code != exitUsage || out != "" || !strings.Contains(errOut, "sealhub: ") || !strings.Contains(errOut, "request id: ") {
			t.Errorf("no key: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
		}
		// With the wrong one.
		if code, _, errOut := runEnv(context.Background(), nil, "verify", "--server", v.url, "--api-key", "wrong", "seal", seal); code != exitUsage {
			t.Errorf("wrong key: exit %d %s", code, errOut)
		}
	})
}

// TestVerifyServerUsage needs no hub: every case fails before a request is sent, or on one that
// cannot connect.
func TestVerifyServerUsage(t *testing.T) {
	seal := filepath.Join(exampleDir, "seal.esl")
	const nowhere = "http://127.0.0.1:1"
	cases := map[string]struct {
		env  map[string]string
		args []string
	}{
		"--roots with --server":           {nil, []string{"verify", "--server", nowhere, "seal", "--roots", filepath.Join(exampleDir, "roots"), seal}},
		"--makers with --server":          {nil, []string{"verify", "seal", "--server", nowhere, "--makers", filepath.Join(exampleDir, "makers"), seal}},
		"--strict-anchor-key-usage":       {nil, []string{"verify", "--server", nowhere, "--strict-anchor-key-usage", "seal", seal}},
		"--maker-at-signing-time":         {nil, []string{"verify", "--server", nowhere, "--maker-at-signing-time", "ofd", seal}},
		"--intermediates with --server":   {nil, []string{"verify", "--server", nowhere, "--intermediates", exampleDir, "signature", seal}},
		"--api-key offline":               {nil, []string{"verify", "--api-key", "k", "seal", seal}},
		"--consistency offline":           {nil, []string{"verify", "seal", "--consistency", "stale", seal}},
		"--timeout offline":               {nil, []string{"verify", "seal", "--timeout", "5s", seal}},
		"bad --consistency":               {nil, []string{"verify", "--server", nowhere, "--consistency", "eventual", "seal", seal}},
		"bad --at":                        {nil, []string{"verify", "--server", nowhere, "--at", "yesterday", "seal", seal}},
		"bad --server":                    {nil, []string{"verify", "--server", "ftp://x", "seal", seal}},
		"bad $SEALHUB_SERVER":             {map[string]string{envServer: "nonsense"}, []string{"verify", "seal", seal}},
		"missing file":                    {nil, []string{"verify", "--server", nowhere, "seal", filepath.Join(exampleDir, "nope.esl")}},
		"missing --data":                  {nil, []string{"verify", "--server", nowhere, "signature", "--data", filepath.Join(exampleDir, "nope"), seal}},
		"missing OFD":                     {nil, []string{"verify", "--server", nowhere, "ofd", filepath.Join(exampleDir, "nope.ofd")}},
		"OFD is a directory":              {nil, []string{"verify", "--server", nowhere, "ofd", exampleDir}},
		"unreachable hub":                 {nil, []string{"verify", "--server", nowhere, "seal", seal}},
		"unreachable hub from $SEALHUB_*": {map[string]string{envServer: nowhere}, []string{"verify", "seal", seal}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := runEnv(context.Background(), tc.env, tc.args...)
			if code != exitUsage || errOut == "" || out != "" {
				t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
			}
		})
	}
	// $SEALHUB_SERVER does not turn an explicitly offline verification online.
	code, out, errOut := runEnv(context.Background(), map[string]string{envServer: nowhere},
		"verify", "seal", "--roots", filepath.Join(exampleDir, "roots"), "--intermediates", filepath.Join(exampleDir, "intermediates"), seal)
	if code != exitValid || !strings.Contains(out, "offline") {
		t.Errorf("offline with $SEALHUB_SERVER set: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}

// TestVerifyServerErrorText checks how a refusal reads, with and without the API's JSON.
func TestVerifyServerErrorText(t *testing.T) {
	e := newHubError(400, []byte(`{"code":"BODY_INVALID","message":"no seal","request_id":"r-1","details":{"field": "seal"}}`))
	if got, want := e.Error(), "BODY_INVALID: no seal\n  request id: r-1\n  details: {\"field\":\"seal\"}"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := newHubError(404, []byte("404 page not found")).Error(); got != "HTTP_404: 404 page not found" {
		t.Errorf("plain text: %q", got)
	}
	if got := newHubError(502, nil).Error(); got != "HTTP_502: Bad Gateway" {
		t.Errorf("empty: %q", got)
	}
}
