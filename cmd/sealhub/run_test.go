package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealhub/sealhub/test/samples"
	"github.com/sealhub/sealhub/test/sm2ca"
)

// runCLI runs the command in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, &out, &errOut)
	return exitCode(err), out.String(), errOut.String()
}

var exampleDir = filepath.Join("testdata", "example")

func exampleArgs(extra ...string) []string {
	return append([]string{"--roots", filepath.Join(exampleDir, "roots"), "--intermediates", filepath.Join(exampleDir, "intermediates")}, extra...)
}

var checkKeys = []string{"signature", "timestamp", "seal_signature", "signer_in_seal", "maker_chain", "signer_chain", "seal_validity", "data_hash", "status"}

// assertReportShape checks the JSON contract of one report.
func assertReportShape(t *testing.T, rep map[string]any) {
	t.Helper()
	for _, k := range []string{"result", "reason", "format", "seal", "signing_time", "checks"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("report lacks %q", k)
		}
	}
	seal, _ := rep["seal"].(map[string]any)
	for _, k := range []string{"code", "name", "vid", "create_date", "valid_start", "valid_end"} {
		if _, ok := seal[k]; !ok {
			t.Errorf("seal lacks %q", k)
		}
	}
	checks, _ := rep["checks"].(map[string]any)
	if len(checks) != len(checkKeys) {
		t.Errorf("checks has %d keys, want %d", len(checks), len(checkKeys))
	}
	for _, k := range checkKeys {
		c, ok := checks[k].(map[string]any)
		if !ok {
			t.Errorf("checks lacks %q", k)
			continue
		}
		switch c["result"] {
		case "passed", "failed", "indeterminate", "skipped":
		default:
			t.Errorf("checks.%s.result = %v", k, c["result"])
		}
		if d, _ := c["detail"].(string); d == "" {
			t.Errorf("checks.%s has no detail", k)
		}
	}
}

func TestVerifyOFDExample(t *testing.T) {
	code, out, errOut := runCLI(t, append([]string{"verify", "ofd", "--json"}, exampleArgs(filepath.Join(exampleDir, "signed.ofd"))...)...)
	if code != exitValid {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	var rep struct {
		Result     string           `json:"result"`
		Signatures []map[string]any `json:"signatures"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Result != "valid" || len(rep.Signatures) != 1 {
		t.Fatalf("%+v", rep)
	}
	assertReportShape(t, rep.Signatures[0])
	if st := rep.Signatures[0]["checks"].(map[string]any)["status"].(map[string]any); st["result"] != "skipped" || !strings.Contains(st["detail"].(string), "offline") {
		t.Errorf("status offline: %v", st)
	}
	// Human output: a table with every check.
	code, out, _ = runCLI(t, append([]string{"verify", "ofd"}, exampleArgs(filepath.Join(exampleDir, "signed.ofd"))...)...)
	if code != exitValid || !strings.Contains(out, "VALID") {
		t.Fatalf("exit %d: %s", code, out)
	}
	for _, k := range checkKeys {
		if !strings.Contains(out, k) {
			t.Errorf("table lacks %s", k)
		}
	}
}

func TestDevVerifiesTheEmbeddedExample(t *testing.T) {
	code, out, errOut := runCLI(t, "dev", "--verify-example")
	if code != exitValid || !strings.Contains(out, "VALID") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
}

func TestExitCodes(t *testing.T) {
	p, err := sm2ca.New(sm2ca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	roots, inter, err := p.WriteTrustDirs(dir)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	data := []byte("the original")
	good, _ := p.Sign(sm2ca.SignSpec{Data: data})
	bad, _ := p.Sign(sm2ca.SignSpec{Data: data, BadSignature: true})
	seal, _ := p.Seal(sm2ca.SealSpec{})
	goodPath, badPath, dataPath, sealPath := write("good.dat", good), write("bad.dat", bad), write("data", data), write("seal.esl", seal)
	makerPath := write("maker.pem", p.Maker.PEM())
	trust := []string{"--roots", roots, "--intermediates", inter}
	cases := map[string]struct {
		args []string
		code int
	}{
		"valid signature":         {append([]string{"verify", "signature", "--data", dataPath, goodPath}, trust...), exitValid},
		"invalid signature":       {append([]string{"verify", "signature", "--data", dataPath, badPath}, trust...), exitInvalid},
		"no data: indeterminate":  {append([]string{"verify", "signature", goodPath}, trust...), exitIndeterminate},
		"no roots: indeterminate": {[]string{"verify", "signature", "--data", dataPath, goodPath}, exitIndeterminate},
		"seal at a time":          {append([]string{"verify", "seal", "--at", p.Epoch.AddDate(0, 2, 0).Format("2006-01-02T15:04:05Z07:00"), sealPath}, trust...), exitValid},
		"seal after its end":      {append([]string{"verify", "seal", "--at", "2031-01-01T00:00:00Z", sealPath}, trust...), exitInvalid},
		"junk is invalid":         {append([]string{"verify", "seal", dataPath}, trust...), exitInvalid},
		"missing file":            {[]string{"verify", "seal", filepath.Join(dir, "nope")}, exitUsage},
		"bad --at":                {[]string{"verify", "seal", "--at", "yesterday", sealPath}, exitUsage},
		"bad roots dir":           {[]string{"verify", "seal", "--roots", filepath.Join(dir, "nope"), sealPath}, exitUsage},
		"junk roots":              {[]string{"verify", "seal", "--roots", dataPath, sealPath}, exitUsage},
		"unknown flag":            {[]string{"verify", "seal", "--frobnicate", sealPath}, exitUsage},
		"missing argument":        {[]string{"verify", "seal"}, exitUsage},
		"unknown command":         {[]string{"frobnicate"}, exitUsage},
		"verify alone":            {[]string{"verify"}, exitUsage},
		"verify unknown kind":     {[]string{"verify", "bogus", goodPath}, exitUsage},
		"maker registered":        {append([]string{"verify", "signature", "--makers", makerPath, "--data", dataPath, goodPath}, trust...), exitValid},
		"maker not registered":    {append([]string{"verify", "signature", "--makers", roots, "--data", dataPath, goodPath}, trust...), exitInvalid},
		"inspect":                 {[]string{"inspect", goodPath}, exitValid},
		"inspect junk":            {[]string{"inspect", dataPath}, exitInvalid},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if code == exitUsage && errOut == "" {
				t.Error("a usage error prints nothing on stderr")
			}
		})
	}
}

func TestVerifySignatureJSON(t *testing.T) {
	dir := samples.Path(t, "ses-signature", "shandong-cegn-zibo-Sign_1")
	certs := samples.Path(t, "certs")
	code, out, errOut := runCLI(t, "verify", "signature", "--json",
		"--roots", filepath.Join(certs, "national-sm2-roots"), "--intermediates", filepath.Join(certs, "national-sm2-ca-operating"),
		"--data", filepath.Join(dir, "Signature.xml"), filepath.Join(dir, "SignedValue.dat"))
	if code != exitIndeterminate {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	assertReportShape(t, rep)
	checks := rep["checks"].(map[string]any)
	if rep["result"] != "indeterminate" || rep["reason"] != "SIGNER_CA_UNKNOWN" || rep["format"] != "V4" ||
		checks["maker_chain"].(map[string]any)["result"] != "passed" || checks["signer_chain"].(map[string]any)["result"] != "indeterminate" {
		t.Errorf("report: %v", rep)
	}
	if rep["seal"].(map[string]any)["code"] != "37030000001721" || rep["signing_time"] != "2020-06-20T09:18:49Z" {
		t.Errorf("seal/time: %v %v", rep["seal"], rep["signing_time"])
	}
}

func TestInspectJSON(t *testing.T) {
	for _, tc := range []struct{ path, kind string }{
		{filepath.Join(exampleDir, "signed.ofd"), "ofd"},
		{filepath.Join(exampleDir, "seal.esl"), "seal"},
	} {
		code, out, _ := runCLI(t, "inspect", "--json", tc.path)
		var v map[string]any
		if err := json.Unmarshal([]byte(out), &v); err != nil || code != 0 || v["kind"] != tc.kind {
			t.Errorf("%s: exit %d kind %v err %v", tc.path, code, v["kind"], err)
		}
	}
}
