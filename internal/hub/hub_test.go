package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/federation/ingest"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/internal/hub"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

type fixture struct {
	t     *testing.T
	dir   string
	admin *sm2.PrivateKey
	reg   *sm2.PrivateKey
	h     *hub.Hub
	c     *client.Client
	now   time.Time
}

func pemOf(t *testing.T, k *sm2.PrivateKey) string {
	t.Helper()
	p, err := smcrypto.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(p)
}

func newKey(t *testing.T) *sm2.PrivateKey {
	t.Helper()
	k, err := smcrypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// start opens a one-node hub in dir and waits until it is ready.
func (f *fixture) start() {
	f.t.Helper()
	h, err := hub.Open(hub.Config{
		NodeID: "n1", DataDir: f.dir, RaftAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Bootstrap: true,
		AdminKeys: []string{pemOf(f.t, f.admin)},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.WaitReady(ctx); err != nil {
		h.Close(context.Background())
		f.t.Fatal(err)
	}
	f.h = h
	f.c = client.New(h.URL())
}

func (f *fixture) stop() {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.h.Close(ctx); err != nil {
		f.t.Fatal(err)
	}
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, dir: t.TempDir(), admin: newKey(t), reg: newKey(t), now: time.Now().UTC().Truncate(time.Second)}
	f.start()
	t.Cleanup(func() { f.h.Close(context.Background()) })
	ctx := context.Background()
	if _, err := f.c.Push(ctx, client.Signer{Registry: trustlist.AdminID, Key: f.admin}, []trustlist.Op{{
		Op: trustlist.OpRegistryCreate, RegistrySpec: &trustlist.RegistrySpec{
			ID: "37", Name: "山东省", Kind: trustlist.KindProvince, Jurisdiction: []string{"37"},
			Keys: []trustlist.KeySpec{{PublicKey: pemOf(t, f.reg)}},
		},
	}}); err != nil {
		t.Fatal(err)
	}
	return f
}

func meta(code string, start time.Time) trustlist.Op {
	return trustlist.Op{Op: trustlist.OpSealFile, Meta: &trustlist.SealMeta{
		Code: code, Name: "测试单位公章", Type: 1, ValidStart: start, ValidEnd: start.AddDate(3, 0, 0),
	}}
}

func (f *fixture) signer() client.Signer { return client.Signer{Registry: "37", Key: f.reg} }

// post sends body with the given signature headers and returns status and decoded body.
func post(t *testing.T, url string, body []byte, keyID, sig string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/updates", bytes.NewReader(body))
	if keyID != "" {
		req.Header.Set(ingest.HeaderKeyID, keyID)
	}
	if sig != "" {
		req.Header.Set(ingest.HeaderSignature, sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%d %s: %v", resp.StatusCode, data, err)
	}
	return resp.StatusCode, m
}

func TestPushErrorsOverHTTP(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	start := f.now.AddDate(-1, 0, 0)
	if _, err := f.c.Push(ctx, f.signer(), []trustlist.Op{meta("37010000000001", start)}); err != nil {
		t.Fatal(err)
	}
	next := func(ops ...trustlist.Op) []byte {
		body, err := f.c.Build(ctx, "37", ops)
		if err != nil {
			t.Fatal(err)
		}
		return body
	}
	signed := func(body []byte) (string, string) {
		id, sig, err := f.signer().Sign(body)
		if err != nil {
			t.Fatal(err)
		}
		return id, sig
	}
	other := newKey(t)
	cases := map[string]struct {
		body   func() ([]byte, string, string)
		status int
		code   string
	}{
		"malformed JSON": {func() ([]byte, string, string) {
			b := []byte(`{"registry":"37",`)
			id, s := signed(b)
			return b, id, s
		}, 400, "PUSH_MALFORMED"},
		"too large": {func() ([]byte, string, string) {
			b := append(next(meta("37010000000002", start)), bytes.Repeat([]byte(" "), trustlist.MaxPushBytes)...)
			id, s := signed(b)
			return b, id, s
		}, 413, "BODY_TOO_LARGE"},
		"no signature": {func() ([]byte, string, string) {
			return next(meta("37010000000002", start)), "", ""
		}, 401, "PUSH_SIGNATURE_MISSING"},
		"bad signature": {func() ([]byte, string, string) {
			b := next(meta("37010000000002", start))
			id, _ := signed(b)
			_, s, _ := client.Signer{Registry: "37", Key: other}.Sign(b)
			return b, id, s
		}, 401, "PUSH_SIGNATURE_INVALID"},
		"unknown key": {func() ([]byte, string, string) {
			b := next(meta("37010000000002", start))
			id, s, _ := client.Signer{Registry: "37", Key: other}.Sign(b)
			return b, id, s
		}, 401, "PUSH_KEY_UNKNOWN"},
		"outside jurisdiction": {func() ([]byte, string, string) {
			b := next(meta("11010000000001", start))
			id, s := signed(b)
			return b, id, s
		}, 403, "OP_OUTSIDE_JURISDICTION"},
		"seq gap": {func() ([]byte, string, string) {
			b, _ := client.MarshalPush(trustlist.Push{Registry: "37", Seq: 5, Prev: strings.Repeat("0", 64), IssuedAt: f.now, Ops: []trustlist.Op{meta("37010000000002", start)}})
			id, s := signed(b)
			return b, id, s
		}, 409, "PUSH_SEQ_GAP"},
		"same seq, other bytes": {func() ([]byte, string, string) {
			b, _ := client.MarshalPush(trustlist.Push{Registry: "37", Seq: 1, IssuedAt: f.now, Ops: []trustlist.Op{meta("37010000000009", start)}})
			id, s := signed(b)
			return b, id, s
		}, 409, "PUSH_REPLAY_CONFLICT"},
		"content invalid": {func() ([]byte, string, string) {
			b := next(meta("37010000000001", start))
			id, s := signed(b)
			return b, id, s
		}, 422, "SEAL_EXISTS"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			before := f.h.State().Digest()
			body, id, sig := tc.body()
			status, m := post(t, f.h.URL(), body, id, sig)
			if status != tc.status || m["code"] != tc.code {
				t.Fatalf("got %d %v, want %d %s", status, m, tc.status, tc.code)
			}
			if m["message"] == "" || m["request_id"] == "" || m["request_id"] == nil {
				t.Fatalf("error body lacks message or request_id: %v", m)
			}
			if tc.status == 422 || tc.status == 403 {
				if d, ok := m["details"].(map[string]any); !ok || d["op"] != float64(0) {
					t.Fatalf("an op rejection names the op in details: %v", m)
				}
			}
			if after := f.h.State().Digest(); after != before {
				t.Fatal("a rejected push changed the state")
			}
		})
	}
}

func TestReplayAndRestart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	start := f.now.AddDate(-1, 0, 0)
	body, err := f.c.Build(ctx, "37", []trustlist.Op{meta("37010000000001", start), meta("37010000000002", start)})
	if err != nil {
		t.Fatal(err)
	}
	first, err := f.c.Send(ctx, f.signer(), body)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.c.Send(ctx, f.signer(), body)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replay || again.Index != first.Index || again.Hash != first.Hash || first.Replay {
		t.Fatalf("replay: first %+v again %+v", first, again)
	}
	suspendAt := f.now.Add(-time.Hour)
	if _, err := f.c.Push(ctx, f.signer(), []trustlist.Op{{Op: trustlist.OpSealStatus, Code: "37010000000001", Action: "suspend", EffectiveAt: &suspendAt, Reason: "遗失"}}); err != nil {
		t.Fatal(err)
	}
	digest := f.h.State().Digest()
	index := f.h.State().Index()

	// Restart from the log alone, then from a snapshot plus the log.
	for _, snapshot := range []bool{false, true} {
		if snapshot {
			if err := f.h.Node.Snapshot(); err != nil {
				t.Fatal(err)
			}
		}
		f.stop()
		f.start()
		if got := f.h.State().Digest(); got != digest || f.h.State().Index() < index {
			t.Fatalf("snapshot=%v: state after restart differs (index %d, want ≥ %d)", snapshot, f.h.State().Index(), index)
		}
		s, err := f.c.Seal(ctx, "37010000000001", time.Time{})
		if err != nil || s.Status.Status != trustlist.StatusSuspended {
			t.Fatalf("after restart: %+v %v", s, err)
		}
		before, err := f.c.Seal(ctx, "37010000000001", suspendAt.Add(-time.Minute))
		if err != nil || before.Status.Status != trustlist.StatusValid {
			t.Fatalf("status before the suspension: %+v %v", before, err)
		}
		digest, index = f.h.State().Digest(), f.h.State().Index()
	}
	// The replayed push is still answered with the original result after restarts.
	again, err = f.c.Send(ctx, f.signer(), body)
	if err != nil || !again.Replay || again.Index != first.Index {
		t.Fatalf("replay after restart: %+v %v", again, err)
	}
}

func TestReadAndOpsRoutes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var regs struct {
		Registries []ingest.RegistryView `json:"registries"`
	}
	if err := f.c.Get(ctx, "/v1/registries", &regs); err != nil || len(regs.Registries) != 2 {
		t.Fatalf("registries: %+v %v", regs, err)
	}
	r, err := f.c.Registry(ctx, "37")
	if err != nil || r.Head.Seq != 0 || len(r.Keys) != 1 {
		t.Fatalf("registry: %+v %v", r, err)
	}
	if _, err := f.c.Registry(ctx, "99"); !client.IsCode(err, "REGISTRY_NOT_FOUND") {
		t.Fatalf("unknown registry: %v", err)
	}
	if _, err := f.c.Seal(ctx, "37019999999999", time.Time{}); !client.IsCode(err, "SEAL_NOT_FOUND") {
		t.Fatalf("unknown seal: %v", err)
	}
	var anchors map[string]any
	if err := f.c.Get(ctx, "/v1/anchors", &anchors); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		var m map[string]any
		if err := f.c.Get(ctx, path, &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	resp, err := http.Get(f.h.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, name := range []string{
		"sealhub_ingest_pushes_total", "sealhub_fsm_apply_duration_seconds", "sealhub_http_requests_total",
		"sealhub_raft_", `route="/v1/registries/:id"`,
	} {
		if !bytes.Contains(data, []byte(name)) {
			t.Errorf("metrics lack %s", name)
		}
	}
}
