package alerts

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/internal/hub"
	"github.com/sealhub/sealhub/test/fakeregion"
	"github.com/sealhub/sealhub/test/hubtest"
	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// regionalHub is a one-node hub that has exercised every kind of metric the dashboard shows, so
// that each family has series to check the dashboard's expressions against:
//
//   - registry 44 is live, answered by a simulated REST region with a 30 s cache: one seal
//     verified twice gives a cache miss and a hit;
//   - registry 45 is live without a cache: one seal verified, then the region fails, and the
//     second verification gets an adapter error and the last known answer (stale);
//   - registry 32 is synced from a signed status list holding one seal, so the sync loop writes;
//   - registry 33 is synced from a region that only answers errors, so sync rounds fail;
//   - a garbage push is rejected, beside the administrator's accepted ones.
type regionalHub struct {
	t      *testing.T
	h      *hub.Hub
	c      *client.Client
	admin  client.Signer
	sims   map[string]*fakeregion.Simulator
	urls   map[string]string
	seals  map[string][]byte // the seal of each live region, DER
	issued time.Time         // effective time of the regions' statuses
}

// regionSpecs are the simulated regions: kind and the adapter settings beside the endpoint.
var regionSpecs = []struct {
	id, kind string
	extra    map[string]any
}{
	{"44", fakeregion.KindREST, map[string]any{"ttl": "30s", "timeout": "2s"}},
	{"45", fakeregion.KindREST, map[string]any{"ttl": "1ns", "timeout": "2s"}},
	{"32", fakeregion.KindSignedJSON, map[string]any{"poll": "100ms", "max_age": "1h", "timeout": "2s"}},
	{"33", fakeregion.KindSignedJSON, map[string]any{"poll": "100ms", "max_age": "1h", "timeout": "2s"}},
}

// startRegionalHub opens the hub, sets up the regions and makes the calls described above; it
// returns the node's URL.
func startRegionalHub(t *testing.T) string {
	t.Helper()
	r := &regionalHub{t: t, sims: map[string]*fakeregion.Simulator{}, urls: map[string]string{}, seals: map[string][]byte{},
		issued: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)}
	creds := map[string]adapters.Credentials{}
	for _, s := range regionSpecs {
		sim, err := fakeregion.NewSimulator(fakeregion.Spec{Kind: s.kind, Region: s.id, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		r.sims[s.id], r.urls[s.id], creds["r"+s.id] = sim, srv.URL, sim.Credentials()
	}
	adminKey := newKey(t)
	r.h = hubtest.Open(t, hub.Config{NodeID: "n1", Bootstrap: true, AdminKeys: []string{pubPEM(t, adminKey)}, MaxPushAge: -1,
		Adapters: hub.AdapterConfig{Credentials: creds}}, 20*time.Second)
	r.c = client.New(r.h.URL())
	r.admin = client.Signer{Registry: trustlist.AdminID, Key: adminKey}

	r.sims["33"].SetFaults(fakeregion.Faults{ErrorRate: 1}) // before the sync loop first reads it
	for _, s := range regionSpecs {
		r.addRegion(s.id, s.kind, s.extra)
	}
	r.verify("44", "a miss")
	r.verify("44", "a hit")
	r.verify("45", "a good answer to fall back on")
	r.sims["45"].SetFaults(fakeregion.Faults{ErrorRate: 1})
	r.verify("45", "an error and a stale answer")
	r.garbagePush()
	return r.h.URL()
}

// addRegion creates registry id with its own PKI (root trusted by the administrator, intermediate
// and maker added by the registry) and switches it to its mode with the simulator's adapter
// configuration. A live region holds one seal of its PKI; a sync region's feed files one seal.
func (r *regionalHub) addRegion(id, kind string, extra map[string]any) {
	t := r.t
	t.Helper()
	p, err := sm2ca.New(sm2ca.Options{Province: "测试省" + id})
	if err != nil {
		t.Fatal(err)
	}
	key := newKey(t)
	from := p.Root.Cert.NotBefore
	r.push(r.admin, trustlist.Op{Op: trustlist.OpRegistryCreate, RegistrySpec: &trustlist.RegistrySpec{ID: id, Name: "省" + id,
		Kind: trustlist.KindProvince, Jurisdiction: []string{id}, Keys: []trustlist.KeySpec{{PublicKey: pubPEM(t, key)}}}},
		trustlist.Op{Op: trustlist.OpAnchorAdd, Cert: p.Root.DER, EffectiveAt: &from})
	r.push(client.Signer{Registry: id, Key: key}, trustlist.Op{Op: trustlist.OpAnchorAdd, Cert: p.Intermediate.DER},
		trustlist.Op{Op: trustlist.OpMakerAdd, Cert: p.Maker.DER})

	code := id + "0300" + "00000001"
	entry := fakeregion.SealEntry{Code: code, Status: trustlist.StatusValid, EffectiveAt: r.issued}
	mode := trustlist.ModeLive
	if kind == fakeregion.KindSignedJSON {
		mode = trustlist.ModeSync
		entry.Name, entry.Type, entry.ValidStart, entry.ValidEnd = "测试印章", 1, r.issued, r.issued.AddDate(3, 0, 0)
	} else {
		der, err := p.Seal(sm2ca.SealSpec{ESID: code})
		if err != nil {
			t.Fatal(err)
		}
		r.seals[id] = der
	}
	if err := r.sims[id].Load([]fakeregion.SealEntry{entry}); err != nil {
		t.Fatal(err)
	}
	r.push(r.admin, trustlist.Op{Op: trustlist.OpRegistryUpdate, RegistrySpec: &trustlist.RegistrySpec{ID: id, Mode: mode,
		Adapter: r.sims[id].AdapterConfig(r.urls[id], "r"+id, extra)}})
}

func (r *regionalHub) push(s client.Signer, ops ...trustlist.Op) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := r.c.Push(ctx, s, ops); err != nil {
		r.t.Fatalf("push by %s: %v", s.Registry, err)
	}
}

// verify verifies the live region's seal through the API; why says what the call is for.
func (r *regionalHub) verify(id, why string) {
	r.t.Helper()
	resp, err := http.Post(r.h.URL()+"/v1/verify/seal", "application/octet-stream", bytes.NewReader(r.seals[id]))
	if err != nil {
		r.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		r.t.Fatalf("verify a seal of region %s (%s): %d %s", id, why, resp.StatusCode, body)
	}
}

// garbagePush sends a body that is not a push, which the node counts as rejected.
func (r *regionalHub) garbagePush() {
	r.t.Helper()
	resp, err := http.Post(r.h.URL()+"/v1/updates", "application/json", strings.NewReader(`{"not":"a push"}`))
	if err != nil {
		r.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
}

func newKey(t *testing.T) *sm2.PrivateKey {
	t.Helper()
	k, err := smcrypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pubPEM(t *testing.T, k *sm2.PrivateKey) string {
	t.Helper()
	p, err := smcrypto.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(p)
}
