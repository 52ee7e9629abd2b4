package verifyapi

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/sealhub/sealhub/federation"
	"github.com/sealhub/sealhub/internal/hub"
	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/resolver/httpapi"
	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist"
)

// TestVerificationOnACluster: the verification API holds unchanged on three nodes. Every node gives
// the same verdicts from the same trust-list index (linearizable reads on followers), each signs its
// receipts with its own key, and GET /v1/nodes on any node publishes all three keys.
func TestVerificationOnACluster(t *testing.T) {
	t.Parallel()
	f := newHub(t, nil)
	nodes := []*fixture{f}
	for _, id := range []string{"n2", "n3"} {
		h, err := hub.Open(hub.Config{
			NodeID: id, DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Join: []string{f.h.ClusterAddr()},
			Raft: federation.Config{HeartbeatTimeout: 200 * time.Millisecond, ElectionTimeout: 200 * time.Millisecond, LeaderLeaseTimeout: 100 * time.Millisecond},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = h.Close(ctx)
		})
		g := *f
		g.h, g.url = h, h.URL()
		nodes = append(nodes, &g)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, n := range nodes[1:] {
		if err := n.h.WaitReady(ctx); err != nil {
			t.Fatal(err)
		}
	}

	p := newPKI(t, sm2ca.Options{})
	reg := f.createRegistry("37", trustlist.KindProvince, "37")
	f.trustPKI(reg, p)
	code := code14("37", 21)
	seal := makeSeal(t, p, sm2ca.SealSpec{ESID: code})
	f.push(reg.signer(), fileOp(seal))
	suspended := utc(2025, 5, 1, 0)
	f.push(reg.signer(), statusOp(code, "suspend", suspended, "印章遗失"))
	last := f.pushedIndex()
	data := []byte("<ofd:Signature>集群</ofd:Signature>")
	before, after := sign(t, p, seal, data, utc(2025, 4, 1, 0)), sign(t, p, seal, data, utc(2025, 6, 1, 0))

	// The keys, as node n2 publishes them.
	res := nodes[1].do(http.MethodGet, "/v1/nodes", "", nil, nil)
	if res.status != http.StatusOK {
		t.Fatalf("GET /v1/nodes on n2: %d %s", res.status, res.body)
	}
	var listed struct {
		Nodes []httpapi.NodeInfo `json:"nodes"`
	}
	res.decode(t, &listed)
	keys := map[string]string{}
	for _, n := range listed.Nodes {
		if !n.Reachable || n.KeyID == "" {
			t.Errorf("node %s: reachable %v, key %q, error %q", n.ID, n.Reachable, n.KeyID, n.Error)
		}
		if n.Self != (n.ID == "n2") {
			t.Errorf("node %s: self %v on n2's list", n.ID, n.Self)
		}
		keys[n.ID] = n.KeyID
	}
	if len(keys) != 3 || keys["n1"] == keys["n2"] || keys["n2"] == keys["n3"] || keys["n1"] == keys["n3"] {
		t.Fatalf("want three nodes with distinct keys, got %v", keys)
	}

	for i, n := range nodes {
		id := []string{"n1", "n2", "n3"}[i]
		for _, c := range []struct {
			der    []byte
			result resolver.Verdict
			reason resolver.Reason
		}{{before, resolver.Valid, resolver.ReasonOK}, {after, resolver.Invalid, resolver.ReasonSealSuspended}} {
			body, _ := json.Marshal(map[string][]byte{"signature": c.der, "data": data})
			s := n.do(http.MethodPost, "/v1/verify/signature?consistency=linearizable", "application/json", body, nil)
			if s.status != http.StatusOK {
				t.Fatalf("%s: %d %s", id, s.status, s.body)
			}
			var r resolver.Report
			s.decode(t, &r)
			if r.Result != c.result || r.Reason != c.reason {
				t.Errorf("%s: %s / %s (%s), want %s / %s", id, r.Result, r.Reason, r.Message, c.result, c.reason)
			}
			if r.TrustlistIndex < last {
				t.Errorf("%s: answered from index %d, before the last push (%d), at linearizable consistency", id, r.TrustlistIndex, last)
			}
			rc, err := resolver.VerifyReceipt(s.body)
			if err != nil {
				t.Fatalf("%s: receipt: %v", id, err)
			}
			if rc.Node != id || rc.KeyID != keys[id] {
				t.Errorf("%s: receipt by %s with key %s, want %s with %s", id, rc.Node, rc.KeyID, id, keys[id])
			}
		}
	}
}
