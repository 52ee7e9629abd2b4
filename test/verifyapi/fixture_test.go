package verifyapi

import (
	"context"
	"errors"
	"fmt"
	"github.com/sealhub/sealhub/test/hubtest"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/federation"
	"github.com/sealhub/sealhub/federation/ingest"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/internal/hub"
	"github.com/sealhub/sealhub/resolver/httpapi"
	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// nodeID is the ID of every fixture's one node.
const nodeID = "n1"

// fixture is a one-node hub in a temporary directory, whose administrator key the test holds.
type fixture struct {
	t     *testing.T
	h     *hub.Hub
	url   string
	hc    *http.Client
	c     *client.Client
	admin client.Signer
	// apiKey, when set, is sent as X-API-Key with every API request of the helpers.
	apiKey string
	*shared
}

// shared is what the fixtures of one hub share.
type shared struct {
	mu        sync.Mutex
	lastIndex uint64 // index of the last acknowledged push
	keyID     string // the node's receipt key id as GET /v1/nodes publishes it
}

// with is the fixture for a subtest (parallel ones included).
func (f *fixture) with(t *testing.T) *fixture {
	g := *f
	g.t = t
	return &g
}

// newHub opens a bootstrapped one-node hub on loopback ports; configure adjusts its configuration
// (API keys, limits, regions) before it opens. It is closed when the test ends.
func newHub(t *testing.T, configure func(*hub.Config)) *fixture {
	t.Helper()
	adminKey := newKey(t)
	adminPEM, err := smcrypto.MarshalPublicKeyPEM(&adminKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg := hub.Config{
		NodeID: nodeID, Bootstrap: true, AdminKeys: []string{string(adminPEM)},
		// A one-node cluster elects itself after one election timeout: keep it short.
		Raft: federation.Config{HeartbeatTimeout: 200 * time.Millisecond, ElectionTimeout: 200 * time.Millisecond, LeaderLeaseTimeout: 100 * time.Millisecond},
	}
	if configure != nil {
		configure(&cfg)
	}
	h := hubtest.Open(t, cfg, 20*time.Second)
	c := client.New(h.URL())
	c.Retries = 3
	return &fixture{t: t, h: h, url: h.URL(), hc: &http.Client{Timeout: 30 * time.Second}, c: c,
		admin: client.Signer{Registry: trustlist.AdminID, Key: adminKey}, shared: &shared{}}
}

func newKey(t *testing.T) *sm2.PrivateKey {
	t.Helper()
	k, err := smcrypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newPKI(t *testing.T, o sm2ca.Options) *sm2ca.PKI {
	t.Helper()
	p, err := sm2ca.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// registry is a registry the test pushes for.
type registry struct {
	ID  string
	Key *sm2.PrivateKey
}

func (r registry) signer() client.Signer { return client.Signer{Registry: r.ID, Key: r.Key} }

// tryPush sends ops as the signer's next push.
func (f *fixture) tryPush(s client.Signer, ops ...trustlist.Op) (*ingest.PushResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := f.c.Push(ctx, s, ops)
	if err == nil {
		f.mu.Lock()
		f.lastIndex = max(f.lastIndex, res.Index)
		f.mu.Unlock()
	}
	return res, err
}

// push sends ops as the signer's next push, which must be accepted.
func (f *fixture) push(s client.Signer, ops ...trustlist.Op) *ingest.PushResponse {
	f.t.Helper()
	res, err := f.tryPush(s, ops...)
	if err != nil {
		f.t.Fatalf("push by %s: %v", s.Registry, err)
	}
	// On a one-node hub the push is applied when its answer returns.
	if got := f.h.State().Index(); got < res.Index {
		f.t.Fatalf("push acknowledged at index %d, but the state is at %d", res.Index, got)
	}
	return res
}

// pushRefused sends ops, which must be refused with code.
func (f *fixture) pushRefused(s client.Signer, code trustlist.Code, ops ...trustlist.Op) *client.Error {
	f.t.Helper()
	_, err := f.tryPush(s, ops...)
	var ae *client.Error
	if !errors.As(err, &ae) || ae.Code != string(code) {
		f.t.Fatalf("push by %s: got %v, want refusal %s", s.Registry, err, code)
	}
	return ae
}

// pushedIndex is the index of the last acknowledged push.
func (f *fixture) pushedIndex() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastIndex
}

// createRegistry has the administrator create a push-mode registry with a fresh key.
func (f *fixture) createRegistry(id string, kind trustlist.RegistryKind, jurisdiction ...string) registry {
	f.t.Helper()
	r := registry{ID: id, Key: newKey(f.t)}
	pub, err := smcrypto.MarshalPublicKeyPEM(&r.Key.PublicKey)
	if err != nil {
		f.t.Fatal(err)
	}
	f.push(f.admin, trustlist.Op{Op: trustlist.OpRegistryCreate, RegistrySpec: &trustlist.RegistrySpec{
		ID: id, Name: "测试登记机关 " + id, Kind: kind, Jurisdiction: jurisdiction,
		Keys: []trustlist.KeySpec{{PublicKey: string(pub)}},
	}})
	return r
}

// trustPKI makes the PKI's CAs trust anchors and registers its maker for the registry, as a province
// does: the administrator adds the root, the registry its intermediate and its maker certificate.
func (f *fixture) trustPKI(r registry, p *sm2ca.PKI) {
	f.t.Helper()
	from := p.Root.Cert.NotBefore
	f.push(f.admin, trustlist.Op{Op: trustlist.OpAnchorAdd, Cert: p.Root.DER, EffectiveAt: &from, Reason: "test root"})
	f.push(r.signer(),
		trustlist.Op{Op: trustlist.OpAnchorAdd, Cert: p.Intermediate.DER, Reason: "test seal CA"},
		trustlist.Op{Op: trustlist.OpMakerAdd, Cert: p.Maker.DER})
}

// makeSeal makes a seal with the code, failing the test if it cannot.
func makeSeal(t *testing.T, p *sm2ca.PKI, spec sm2ca.SealSpec) []byte {
	t.Helper()
	der, err := p.Seal(spec)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// sign makes a seal signature over data at timeInfo.
func sign(t *testing.T, p *sm2ca.PKI, seal, data []byte, at time.Time) []byte {
	t.Helper()
	der, err := p.Sign(sm2ca.SignSpec{Seal: seal, Data: data, TimeInfo: at})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func fileOp(der []byte) trustlist.Op { return trustlist.Op{Op: trustlist.OpSealFile, Seal: der} }

func statusOp(code, action string, at time.Time, reason string) trustlist.Op {
	return trustlist.Op{Op: trustlist.OpSealStatus, Code: code, Action: action, EffectiveAt: &at, Reason: reason}
}

// nodeKeyID is the receipt key id GET /v1/nodes publishes for the node (asked once).
func (f *fixture) nodeKeyID() string {
	f.t.Helper()
	f.mu.Lock()
	id := f.keyID
	f.mu.Unlock()
	if id != "" {
		return id
	}
	res := f.do(http.MethodGet, "/v1/nodes", "", nil, nil)
	if res.status != http.StatusOK {
		f.t.Fatalf("GET /v1/nodes: %d %s", res.status, res.body)
	}
	var out struct {
		Nodes []httpapi.NodeInfo `json:"nodes"`
	}
	res.decode(f.t, &out)
	for _, n := range out.Nodes {
		if n.Self && n.ID == nodeID {
			id = n.KeyID
		}
	}
	if len(out.Nodes) != 1 || id == "" {
		f.t.Fatalf("GET /v1/nodes lists no key for %s: %s", nodeID, res.body)
	}
	f.mu.Lock()
	f.keyID = id
	f.mu.Unlock()
	return id
}

// utc is a UTC time for tables.
func utc(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func code14(province string, n int) string { return fmt.Sprintf("%s03000%07d", province, n) }
