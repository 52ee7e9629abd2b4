package main

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/sealhub/sealhub/test/hubtest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/internal/hub"
	"github.com/sealhub/sealhub/resolver/httpapi"
	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// runEnv runs the CLI in-process with ctx and these environment variables.
func runEnv(ctx context.Context, vars map[string]string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	err := run(ctx, args, func(k string) string { return vars[k] }, &out, &errOut)
	return exitCode(err), out.String(), errOut.String()
}

// hubFixture is a one-node hub in a temporary directory, with an administrator key and a registry
// key made by `sealhub keygen`, driven through run as a user would.
type hubFixture struct {
	t        *testing.T
	dir      string
	h        *hub.Hub
	adminKey string // private key files
	regKey   string
	regPub   string
}

func newHubFixture(t *testing.T) *hubFixture {
	t.Helper()
	f := &hubFixture{t: t, dir: t.TempDir()}
	f.adminKey = f.keygen("admin")
	f.regKey = f.keygen("registry-37")
	f.regPub = strings.TrimSuffix(f.regKey, ".key") + ".pub"
	adminPub, err := os.ReadFile(strings.TrimSuffix(f.adminKey, ".key") + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	f.h = hubtest.Open(t, hub.Config{
		NodeID: "n1", DataDir: filepath.Join(f.dir, "data"), Bootstrap: true, AdminKeys: []string{string(adminPub)},
	}, 20*time.Second)
	return f
}

// keygen makes a key pair with the CLI and returns the private key file.
func (f *hubFixture) keygen(name string) string {
	f.t.Helper()
	prefix := filepath.Join(f.dir, name)
	if code, out, errOut := runEnv(context.Background(), nil, "keygen", "--out", prefix); code != 0 {
		f.t.Fatalf("keygen: exit %d: %s %s", code, out, errOut)
	}
	return prefix + ".key"
}

// cli runs a command against the hub ($SEALHUB_SERVER points at it).
func (f *hubFixture) cli(args ...string) (int, string, string) {
	return f.cliCtx(context.Background(), args...)
}

func (f *hubFixture) cliCtx(ctx context.Context, args ...string) (int, string, string) {
	return runEnv(ctx, map[string]string{envServer: f.h.URL()}, args...)
}

// mustCLI runs a command that must succeed.
func (f *hubFixture) mustCLI(args ...string) string {
	f.t.Helper()
	code, out, errOut := f.cli(args...)
	if code != 0 {
		f.t.Fatalf("%v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errOut)
	}
	return out
}

// createRegistry makes registry 37 (Shandong) with the registry key.
func (f *hubFixture) createRegistry() {
	f.t.Helper()
	f.mustCLI("admin", "--key", f.adminKey, "registry", "create", "--id", "37", "--name", "山东省电子印章管理平台",
		"--kind", "province", "--jurisdiction", "37", "--add-key", f.regPub)
}

// writeFile writes a file in the fixture's directory.
func (f *hubFixture) writeFile(name string, data []byte) string {
	f.t.Helper()
	p := filepath.Join(f.dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *hubFixture) writeJSON(name string, v any) string {
	f.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.writeFile(name, b)
}

// registerPKI trusts the test PKI's root (administrator), and registers its intermediate and maker
// certificate for registry 37, all through the CLI.
func (f *hubFixture) registerPKI(p *sm2ca.PKI) {
	f.t.Helper()
	out := f.mustCLI("admin", "--key", f.adminKey, "root", "add", f.writeFile("root.pem", p.Root.PEM()))
	if !strings.Contains(out, p.Root.Cert.Fingerprint()) {
		f.t.Errorf("root add does not print the fingerprint: %s", out)
	}
	ops := f.writeJSON("pki-ops.json", map[string]any{"ops": []trustlist.Op{
		{Op: trustlist.OpAnchorAdd, Cert: p.Intermediate.DER},
		{Op: trustlist.OpMakerAdd, Cert: p.Maker.DER},
	}})
	f.mustCLI("push", "--key", f.regKey, "--registry", "37", ops)
}

func decodeOut[T any](t *testing.T, out string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return v
}

func sealMeta(code string, start time.Time) trustlist.Op {
	return trustlist.Op{Op: trustlist.OpSealFile, Meta: &trustlist.SealMeta{
		Code: code, Name: "测试单位公章", Type: 1, OwnerName: "测试市自然资源局", OwnerUSCC: "11370306MB2867521U",
		ValidStart: start, ValidEnd: start.AddDate(5, 0, 0),
	}}
}

func TestRegistryPushesThroughTheCLI(t *testing.T) {
	t.Parallel()
	f := newHubFixture(t)
	p, err := sm2ca.New(sm2ca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	suspendAt := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)

	t.Run("registry create", func(t *testing.T) {
		f.createRegistry()
		reg, ok := f.h.State().Registry("37")
		if !ok || reg.Name != "山东省电子印章管理平台" || len(reg.Keys) != 1 || reg.Jurisdiction[0] != "37" {
			t.Fatalf("%+v", reg)
		}
	})
	t.Run("root add, intermediate and maker", func(t *testing.T) {
		f.registerPKI(p)
		if a, ok := f.h.State().Anchor(p.Root.Cert.Fingerprint()); !ok || !a.Root {
			t.Fatalf("root not an anchor: %+v", a)
		}
		if id, ok := f.h.State().MakerRegistry(p.Maker.Cert.Fingerprint()); !ok || id != "37" {
			t.Fatalf("maker: %q %v", id, ok)
		}
	})
	body := filepath.Join(f.dir, "body.json")
	t.Run("push file seals, then the same body raw is a replay", func(t *testing.T) {
		ops := f.writeJSON("file.json", []trustlist.Op{
			sealMeta("37010200000001", start), sealMeta("37010200000002", start), sealMeta("37010200000003", start),
		})
		code, out, errOut := f.cli("push", "--key", f.regKey, "--registry", "37", "--save-body", body, "--json", ops)
		if code != 0 {
			t.Fatalf("exit %d: %s %s", code, out, errOut)
		}
		first := decodeOut[map[string]any](t, out)
		if first["replay"] != false || first["ops"] != 3.0 {
			t.Fatalf("%v", first)
		}
		code, out, errOut = f.cli("push", "--key", f.regKey, "--raw", body, "--json")
		if code != 0 {
			t.Fatalf("raw: exit %d: %s %s", code, out, errOut)
		}
		again := decodeOut[map[string]any](t, out)
		if again["replay"] != true || again["seq"] != first["seq"] || again["hash"] != first["hash"] || again["index"] != first["index"] {
			t.Fatalf("replay %v, first %v", again, first)
		}
		// The text form says it too.
		out = f.mustCLI("push", "--key", f.regKey, "--raw", body)
		if !strings.Contains(out, "replay:      true") {
			t.Errorf("text: %s", out)
		}
	})
	t.Run("push a suspension", func(t *testing.T) {
		ops := f.writeJSON("suspend.json", map[string]any{"ops": []trustlist.Op{{
			Op: trustlist.OpSealStatus, Code: "37010200000002", Action: "suspend", EffectiveAt: &suspendAt, Reason: "印章遗失",
		}}})
		out := f.mustCLI("push", "--key", f.regKey, "--registry", "37", ops)
		if !strings.Contains(out, "push accepted") || !strings.Contains(out, "replay:      false") {
			t.Errorf("%s", out)
		}
	})
	t.Run("a rejected push exits 1 with code and request id", func(t *testing.T) {
		ops := f.writeJSON("again.json", []trustlist.Op{sealMeta("37010200000003", start)})
		code, out, errOut := f.cli("push", "--key", f.regKey, "--registry", "37", ops)
		if code != exitRejected || !strings.Contains(errOut, "SEAL_EXISTS") || !strings.Contains(errOut, "request id: ") || !strings.Contains(errOut, "op 0: ") {
			t.Fatalf("exit %d: %s %s", code, out, errOut)
		}
		code, _, errOut = f.cli("push", "--key", f.adminKey, "--registry", "37", ops)
		if code != exitRejected || !strings.Contains(errOut, "PUSH_KEY_UNKNOWN") {
			t.Fatalf("wrong key: exit %d: %s", code, errOut)
		}
	})
	t.Run("status now and at a time", func(t *testing.T) {
		out := f.mustCLI("status", "37010200000002")
		for _, want := range []string{"status now: SUSPENDED", "印章遗失", "STATUS", "EFFECTIVE_AT", "RECORDED_AT", "valid", "suspended", "2025-06-01T08:00:00Z"} {
			if !strings.Contains(out, want) {
				t.Errorf("status lacks %q:\n%s", want, out)
			}
		}
		out = f.mustCLI("status", "--at", "2025-01-01T00:00:00+08:00", "37010200000002")
		if !strings.Contains(out, "status at 2024-12-31T16:00:00Z: VALID") {
			t.Errorf("status --at:\n%s", out)
		}
		v := decodeOut[httpapi.SealResponse](t, f.mustCLI("status", "--json", "--at", "2025-07-01T00:00:00Z", "37010200000002"))
		if v.Status.Status != trustlist.StatusSuspended || len(v.Events) != 2 || v.Events[1].Reason != "印章遗失" {
			t.Errorf("%+v", v)
		}
	})
	t.Run("status exit codes", func(t *testing.T) {
		if code, _, errOut := f.cli("status", "37010299999999"); code != exitRejected || !strings.Contains(errOut, "SEAL") && !strings.Contains(errOut, "no seal") {
			t.Errorf("unknown seal: exit %d %s", code, errOut)
		}
		if code, _, _ := f.cli("status", "--at", "yesterday", "37010200000002"); code != exitUsage {
			t.Errorf("bad --at: exit %d", code)
		}
		// Nothing listens on port 1.
		if code, _, _ := f.cli("status", "--server", "http://127.0.0.1:1", "37010200000002"); code != exitUsage {
			t.Errorf("unreachable: exit %d", code)
		}
	})
	t.Run("admin registry update, distrust, key rotate", func(t *testing.T) {
		newReg := f.keygen("registry-37-2")
		f.mustCLI("admin", "--key", f.adminKey, "registry", "update", "--id", "37", "--name", "山东省电子印章管理平台(新)",
			"--add-key", strings.TrimSuffix(newReg, ".key")+".pub", "--retire-key", keyIDOf(t, f.regPub))
		reg, _ := f.h.State().Registry("37")
		if reg.Name != "山东省电子印章管理平台(新)" || len(reg.Keys) != 2 || reg.Keys[0].NotAfter.IsZero() {
			t.Fatalf("%+v", reg)
		}
		// (The retired key stays valid to the end of the push's second: retire_at is inclusive.)
		f.mustCLI("push", "--key", newReg, "--registry", "37", f.writeJSON("more.json", []trustlist.Op{sealMeta("37010200000004", start)}))

		fp := p.Root.Cert.Fingerprint()
		f.mustCLI("admin", "--key", f.adminKey, "anchor", "distrust", fp, "--at", "2026-01-01T00:00:00Z", "--reason", "私钥泄露")
		if a, _ := f.h.State().Anchor(fp); a.TrustedNow() || a.Events[1].Reason != "私钥泄露" {
			t.Errorf("distrust: %+v", a.Events)
		}

		newAdmin := f.keygen("admin-2")
		f.mustCLI("admin", "--key", f.adminKey, "key", "rotate", "--add-key", strings.TrimSuffix(newAdmin, ".key")+".pub",
			"--retire", keyIDOf(t, strings.TrimSuffix(f.adminKey, ".key")+".pub"))
		if admin, _ := f.h.State().Registry(trustlist.AdminID); len(admin.Keys) != 2 || admin.Keys[0].NotAfter.IsZero() {
			t.Errorf("admin keys after rotate: %+v", admin.Keys)
		}
		f.mustCLI("admin", "--key", newAdmin, "registry", "update", "--id", "37", "--mode", "live",
			"--adapter", f.writeFile("adapter.json", []byte("{\n  \"kind\": \"rest\",\n  \"credentials\": \"sd\",\n  \"ttl\": \"5s\"\n}\n")))
		if reg, _ := f.h.State().Registry("37"); reg.Mode != trustlist.ModeLive || string(reg.Adapter) != `{"kind":"rest","credentials":"sd","ttl":"5s"}` {
			t.Errorf("after --mode live --adapter: %s %s", reg.Mode, reg.Adapter)
		}
		f.mustCLI("admin", "--key", newAdmin, "registry", "update", "--id", "37", "--mode", "push")
	})
	t.Run("usage errors", func(t *testing.T) {
		cases := map[string][]string{
			"push without registry":   {"push", "--key", f.regKey, body},
			"push without key":        {"push", "--registry", "37", body},
			"push of a missing file":  {"push", "--key", f.regKey, "--registry", "37", filepath.Join(f.dir, "nope.json")},
			"push of an empty list":   {"push", "--key", f.regKey, "--registry", "37", f.writeFile("empty.json", []byte("[]"))},
			"push of unknown fields":  {"push", "--key", f.regKey, "--registry", "37", f.writeFile("unknown.json", []byte(`[{"op":"seal.file","colour":"red"}]`))},
			"raw of other registry":   {"push", "--key", f.regKey, "--registry", "11", "--raw", body},
			"admin without sub":       {"admin", "--key", f.adminKey},
			"adapter not JSON":        {"admin", "--key", f.adminKey, "registry", "update", "--id", "37", "--adapter", f.writeFile("bad-adapter.json", []byte("{kind"))},
			"adapter without a kind":  {"admin", "--key", f.adminKey, "registry", "update", "--id", "37", "--adapter", f.writeFile("bad-adapter2.json", []byte(`{"ttl":"5s"}`))},
			"adapter bad duration":    {"admin", "--key", f.adminKey, "registry", "update", "--id", "37", "--adapter", f.writeFile("bad-adapter3.json", []byte(`{"kind":"rest","ttl":"soon"}`))},
			"registry create partial": {"admin", "--key", f.adminKey, "registry", "create", "--id", "38"},
			"distrust bad print":      {"admin", "--key", f.adminKey, "anchor", "distrust", "abc"},
			"bad server":              {"status", "--server", "ftp://x", "1"},
		}
		for name, args := range cases {
			t.Run(name, func(t *testing.T) {
				if code, out, errOut := f.cli(args...); code != exitUsage {
					t.Errorf("exit %d: %s %s", code, out, errOut)
				}
			})
		}
	})
}

func keyIDOf(t *testing.T, pubFile string) string {
	t.Helper()
	_, id, err := readPublicKeyFile(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "reg")
	code, out, errOut := runEnv(context.Background(), nil, "keygen", prefix)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	keyPEM, err := os.ReadFile(prefix + ".key")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(prefix + ".key")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v, want 0600", fi.Mode().Perm())
	}
	priv, err := smcrypto.ParsePrivateKeyPEM(keyPEM)
	if err != nil || !strings.HasPrefix(string(keyPEM), "-----BEGIN PRIVATE KEY-----") {
		t.Fatalf("private key: %v\n%s", err, keyPEM)
	}
	pubPEM, err := os.ReadFile(prefix + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := smcrypto.ParsePublicKey(string(pubPEM))
	if err != nil || !pub.Equal(&priv.PublicKey) {
		t.Fatalf("public key: %v", err)
	}
	if id := smcrypto.KeyID(pub); !strings.Contains(out, "key id:      "+id) {
		t.Errorf("key id %s not printed: %s", id, out)
	}

	// No overwrite without --force, for either file.
	if code, _, errOut := runEnv(context.Background(), nil, "keygen", "--out", prefix); code != exitUsage || !strings.Contains(errOut, "--force") {
		t.Errorf("overwrite: exit %d %s", code, errOut)
	}
	if err := os.Remove(prefix + ".key"); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := runEnv(context.Background(), nil, "keygen", "--out", prefix); code != exitUsage {
		t.Errorf("overwrite of the .pub: exit %d", code)
	}
	if _, err := os.Stat(prefix + ".key"); err == nil {
		t.Error("a refused keygen wrote the key")
	}
	// --force replaces both, with the right modes.
	if err := os.WriteFile(prefix+".key", []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runEnv(context.Background(), nil, "keygen", "--force", "--out", prefix+".key"); code != 0 {
		t.Fatalf("--force: exit %d %s %s", code, out, errOut)
	}
	fi, _ = os.Stat(prefix + ".key")
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("forced key mode %v", fi.Mode().Perm())
	}
	newPub, _ := os.ReadFile(prefix + ".pub")
	if bytes.Equal(newPub, pubPEM) {
		t.Error("--force kept the old key")
	}
	if _, err := os.Stat(prefix + ".key.key"); err == nil {
		t.Error("the .key suffix of the prefix was doubled")
	}
	for name, args := range map[string][]string{"no prefix": {"keygen"}, "two prefixes": {"keygen", "--out", "a", "b"}} {
		if code, _, _ := runEnv(context.Background(), nil, args...); code != exitUsage {
			t.Errorf("%s: exit %d", name, code)
		}
	}
}
