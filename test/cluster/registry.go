package cluster

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// Registry is a registry the harness pushes for (or the administrator). It keeps the head of its
// acknowledged pushes, so bodies are built without reading the hub: the harness is its only writer.
type Registry struct {
	ID     string
	Key    *sm2.PrivateKey
	num    int          // makes the registry's seal codes unique
	serial atomic.Int64 // last seal number used

	mu   sync.Mutex
	seq  uint64 // head of the acknowledged pushes
	hash string
}

// Signer signs the registry's pushes.
func (r *Registry) Signer() client.Signer { return client.Signer{Registry: r.ID, Key: r.Key} }

// Head is the seq and hash of the registry's last acknowledged push.
func (r *Registry) Head() (seq uint64, hash string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seq, r.hash
}

// advance moves the head to an acknowledged push, if it is newer.
func (r *Registry) advance(seq uint64, hash string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if seq > r.seq {
		r.seq, r.hash = seq, hash
	}
}

// Body is one signed push ready to send; resending the same Body is an idempotent retry.
type Body struct {
	Reg   *Registry
	Seq   uint64
	Bytes []byte
	KeyID string
	Sig   string
	Codes []string // seals the push files
}

// Next builds and signs the push that follows the registry's acknowledged head.
func (r *Registry) Next(ops []trustlist.Op) (*Body, error) {
	seq, prev := r.Head()
	opsJSON, err := client.MarshalOps(ops)
	if err != nil {
		return nil, err
	}
	p := trustlist.Push{Registry: r.ID, Seq: seq + 1, Prev: prev, IssuedAt: time.Now().UTC().Truncate(time.Second)}
	data, err := client.MarshalPushOps(p, opsJSON)
	if err != nil {
		return nil, err
	}
	keyID, sig, err := r.Signer().Sign(data)
	if err != nil {
		return nil, err
	}
	b := &Body{Reg: r, Seq: p.Seq, Bytes: data, KeyID: keyID, Sig: sig}
	for _, op := range ops {
		if op.Op == trustlist.OpSealFile && op.Meta != nil {
			b.Codes = append(b.Codes, op.Meta.Code)
		}
	}
	return b, nil
}

// SealOps makes k seal.file ops for new seals of the registry (codes 370100 + registry number +
// serial; every registry's jurisdiction is Shandong, 37).
func (r *Registry) SealOps(k int) []trustlist.Op {
	start := time.Now().UTC().Truncate(time.Second).AddDate(-1, 0, 0)
	ops := make([]trustlist.Op, k)
	for i := range ops {
		code := fmt.Sprintf("370100%02d%06d", r.num, r.serial.Add(1))
		ops[i] = trustlist.Op{Op: trustlist.OpSealFile, Meta: &trustlist.SealMeta{
			Code: code, Name: "测试单位公章", Type: 1, ValidStart: start, ValidEnd: start.AddDate(3, 0, 0),
		}}
	}
	return ops
}

// createOps are the administrator's ops that create regs.
func createOps(regs []*Registry) ([]trustlist.Op, error) {
	ops := make([]trustlist.Op, 0, len(regs))
	for _, r := range regs {
		pemKey, err := smcrypto.MarshalPublicKeyPEM(&r.Key.PublicKey)
		if err != nil {
			return nil, err
		}
		ops = append(ops, trustlist.Op{Op: trustlist.OpRegistryCreate, RegistrySpec: &trustlist.RegistrySpec{
			ID: r.ID, Name: fmt.Sprintf("测试登记机关 %d", r.num), Kind: trustlist.KindDepartment,
			Jurisdiction: []string{"37"}, Keys: []trustlist.KeySpec{{PublicKey: string(pemKey)}},
		}})
	}
	return ops, nil
}

func newRegistry(id string, num int) (*Registry, error) {
	k, err := smcrypto.GenerateKey()
	if err != nil {
		return nil, err
	}
	return &Registry{ID: id, Key: k, num: num}, nil
}
