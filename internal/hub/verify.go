package hub

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/internal/rpc"
	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/resolver/httpapi"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// nodeKeyFile holds the node's SM2 key for verification receipts, in the data dir. It is made on
// first start and never replaced: receipts signed with it stay checkable against GET /v1/nodes.
const nodeKeyFile = "node-key.pem"

// loadNodeKey reads the node's receipt key, making it on first start.
func loadNodeKey(dir string) (*sm2.PrivateKey, error) {
	path := filepath.Join(dir, nodeKeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := smcrypto.ParsePrivateKeyPEM(b)
		if err != nil {
			return nil, fmt.Errorf("hub: %s: %w", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("hub: node key: %w", err)
	}
	k, err := smcrypto.GenerateKey()
	if err != nil {
		return nil, err
	}
	pemBytes, err := smcrypto.MarshalPrivateKeyPEM(k)
	if err != nil {
		return nil, err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, pemBytes, 0o600); err != nil {
		return nil, fmt.Errorf("hub: node key: %w", err)
	}
	if err := syncRename(tmp, path); err != nil {
		return nil, fmt.Errorf("hub: node key: %w", err)
	}
	return k, nil
}

func syncRename(tmp, path string) error {
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	f.Close()
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// identities caches other nodes' receipt keys by node ID and cluster address: a node's key lives in
// its data dir, so a node that keeps its ID and address keeps its key.
type identities struct {
	mu   sync.Mutex
	byID map[string]cachedIdentity
}

type cachedIdentity struct {
	addr string
	id   rpc.Identity
}

// nodes lists the cluster's servers with their receipt keys, asking the others over the cluster port
// (in parallel, once per node while its address stays the same).
func (h *Hub) nodes(ctx context.Context) ([]httpapi.NodeInfo, error) {
	servers, _, err := h.Node.Servers()
	if err != nil {
		return nil, err
	}
	out := make([]httpapi.NodeInfo, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		out[i] = httpapi.NodeInfo{ID: s.ID, ClusterAddr: s.Address, Leader: s.Leader, Voter: s.Voter, Self: s.ID == h.cfg.NodeID}
		if out[i].Self {
			h.fillIdentity(&out[i], *h.rpcServer.Identity)
			continue
		}
		h.idents.mu.Lock()
		c, ok := h.idents.byID[s.ID]
		h.idents.mu.Unlock()
		if ok && c.addr == s.Address {
			h.fillIdentity(&out[i], c.id)
			continue
		}
		wg.Add(1)
		go func(n *httpapi.NodeInfo) {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			id, err := h.rpcClient.Identity(cctx, n.ClusterAddr)
			switch {
			case err != nil:
				n.Error = err.Error()
				return
			case id.ID != n.ID:
				n.Error = fmt.Sprintf("the node at %s says it is %q", n.ClusterAddr, id.ID)
				return
			}
			h.idents.mu.Lock()
			h.idents.byID[n.ID] = cachedIdentity{addr: n.ClusterAddr, id: id}
			h.idents.mu.Unlock()
			h.fillIdentity(n, id)
		}(&out[i])
	}
	wg.Wait()
	return out, nil
}

func (h *Hub) fillIdentity(n *httpapi.NodeInfo, id rpc.Identity) {
	n.Reachable, n.KeyID, n.PublicKey = true, id.KeyID, id.PublicKey
	if pub, err := smcrypto.PublicKeyFromBytes(id.PublicKey); err == nil {
		if p, err := smcrypto.MarshalPublicKeyPEM(pub); err == nil {
			n.PublicKeyPEM = string(p)
		}
	}
}

// newResolver builds the node's verification engine and its receipt signer.
func (h *Hub) newResolver(key *sm2.PrivateKey) *resolver.Resolver {
	return &resolver.Resolver{
		Trust: h.FSM, Regions: h.cfg.Regions, Signer: resolver.NewSigner(h.cfg.NodeID, key, h.cfg.Now),
		Now: h.cfg.Now, LastContact: h.Node.LastContact,
	}
}
