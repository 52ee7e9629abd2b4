package seed

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/trustlist"
)

// Batch limits: at most maxBatchOps ops and about maxBatchBytes of JSON per push, well under
// trustlist.MaxPushBytes (512 KiB) with the envelope.
const (
	maxBatchOps   = 1000
	maxBatchBytes = 384 << 10
)

// step is one signer's ops, sent in as many pushes as the batch limits need.
type step struct {
	what   string
	signer client.Signer
	ops    []trustlist.Op
}

// Push sends the demo data to the node c talks to, whose administrator key is s.Admin, as signed
// pushes: the administrator creates the registries and adds the root CA; registry 37 adds the
// intermediate CA; each registry registers its seal-maker certificate, files its seals and then
// pushes their status changes. It counts accepted pushes in s.Pushes.
func (s *Seeded) Push(ctx context.Context, c *client.Client) error {
	steps, err := s.steps()
	if err != nil {
		return err
	}
	for _, st := range steps {
		for _, b := range batches(st.ops, s.batchOps, maxBatchBytes) {
			if _, err := c.Push(ctx, st.signer, b); err != nil {
				return fmt.Errorf("seed: %s: %w", st.what, err)
			}
			s.Pushes++
		}
	}
	return nil
}

func (s *Seeded) steps() ([]step, error) {
	admin := step{what: "administrator", signer: client.Signer{Registry: trustlist.AdminID, Key: s.Admin}}
	for _, r := range s.Registries {
		pub, err := publicPEM(r.Key)
		if err != nil {
			return nil, err
		}
		admin.ops = append(admin.ops, trustlist.Op{Op: trustlist.OpRegistryCreate, RegistrySpec: &trustlist.RegistrySpec{
			ID: r.ID, Name: r.Name, Kind: r.Kind, Jurisdiction: r.Jurisdiction, Keys: []trustlist.KeySpec{{PublicKey: string(pub)}},
		}})
	}
	admin.ops = append(admin.ops, trustlist.Op{Op: trustlist.OpAnchorAdd, Cert: s.PKI.Root.DER, Reason: "demo root CA"})
	steps := []step{admin}
	for i, r := range s.Registries {
		trust := step{what: "registry " + r.ID + " certificates", signer: r.Signer()}
		if i == 0 {
			trust.ops = append(trust.ops, trustlist.Op{Op: trustlist.OpAnchorAdd, Cert: s.PKI.Intermediate.DER, Reason: "demo seal CA"})
		}
		trust.ops = append(trust.ops, trustlist.Op{Op: trustlist.OpMakerAdd, Cert: r.Maker.DER})
		steps = append(steps, trust)
	}
	for _, r := range s.Registries {
		files := step{what: "registry " + r.ID + " filings", signer: r.Signer()}
		status := step{what: "registry " + r.ID + " status changes", signer: r.Signer()}
		for _, v := range s.Seals {
			if v.Registry == r.ID {
				files.ops = append(files.ops, v.FileOp())
				status.ops = append(status.ops, v.StatusOps()...)
			}
		}
		steps = append(steps, files, status)
	}
	return steps, nil
}

// batches splits ops into pushes of at most maxOps ops and about maxBytes of JSON.
func batches(ops []trustlist.Op, maxOps, maxBytes int) [][]trustlist.Op {
	var out [][]trustlist.Op
	start, size := 0, 0
	for i := range ops {
		n := opSize(&ops[i])
		if i > start && (i-start >= maxOps || size+n > maxBytes) {
			out = append(out, ops[start:i])
			start, size = i, 0
		}
		size += n
	}
	if start < len(ops) {
		out = append(out, ops[start:])
	}
	return out
}

func opSize(op *trustlist.Op) int {
	b, err := json.Marshal(op)
	if err != nil {
		return maxBatchBytes // cannot happen for these ops; a push of its own then
	}
	return len(b) + 1
}
