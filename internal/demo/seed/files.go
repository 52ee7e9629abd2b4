package seed

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/internal/ledger"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// KeyFile is a key pair written as PEM: the private key (PKCS#8, mode 0600) and the public key.
type KeyFile struct {
	Registry string // "admin" or a registry id
	Key, Pub string
}

// Files are what WriteFiles wrote.
type Files struct {
	Keys          []KeyFile // the administrator's, then each registry's
	Roots         string    // directory with the demo root CA certificate, for --roots
	Intermediates string    // directory with the demo intermediate CA certificate, for --intermediates
	Makers        string    // directory with each registry's seal-maker certificate, for --makers
	Seals         string    // directory with the seals filed from DER, as <code>.esl
	Ledger        string    // the demo ledger CSV; "" when there are no ledger rows
	// ExamplePush is a JSON array of ops for `sealhub push --registry 37`: it suspends one of
	// registry 37's valid seals (ExampleCode).
	ExamplePush, ExampleCode string
}

// WriteFiles writes the demo keys, CA certificates, SES_Seal files, ledger and an example push
// under dir: admin.key/.pub, registry-<id>.key/.pub, roots/, intermediates/, makers/maker-<id>.pem,
// seals/<code>.esl, dev-ledger.csv and example-push.json.
func (s *Seeded) WriteFiles(dir string) (*Files, error) {
	f := &Files{Makers: filepath.Join(dir, "makers"), Seals: filepath.Join(dir, "seals")}
	if err := writeKey(dir, "admin", "admin", s.Admin, f); err != nil {
		return nil, err
	}
	for _, r := range s.Registries {
		if err := writeKey(dir, r.ID, "registry-"+r.ID, r.Key, f); err != nil {
			return nil, err
		}
	}
	var err error
	if f.Roots, f.Intermediates, err = s.PKI.WriteTrustDirs(dir); err != nil {
		return nil, err
	}
	for _, d := range []string{f.Makers, f.Seals} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	for _, r := range s.Registries {
		if err := os.WriteFile(filepath.Join(f.Makers, "maker-"+r.ID+".pem"), r.Maker.PEM(), 0o644); err != nil {
			return nil, err
		}
	}
	for _, v := range s.Seals {
		if v.DER != nil {
			if err := os.WriteFile(filepath.Join(f.Seals, v.Code+".esl"), v.DER, 0o644); err != nil {
				return nil, err
			}
		}
	}
	if len(s.Ledger) > 0 {
		var buf bytes.Buffer
		if err := ledger.WriteCSV(&buf, s.Ledger); err != nil {
			return nil, fmt.Errorf("seed: ledger: %w", err)
		}
		f.Ledger = filepath.Join(dir, "dev-ledger.csv")
		if err := os.WriteFile(f.Ledger, buf.Bytes(), 0o644); err != nil {
			return nil, err
		}
	}
	return f, s.writeExamplePush(dir, f)
}

// writeExamplePush writes example-push.json: the suspension of a valid seal of the first registry.
func (s *Seeded) writeExamplePush(dir string, f *Files) error {
	for _, v := range s.Seals {
		if v.State != StateValid || v.Registry != s.Registries[0].ID {
			continue
		}
		ops := []trustlist.Op{{Op: trustlist.OpSealStatus, Code: v.Code, Action: "suspend", Reason: "演示：单位申请暂停使用"}}
		data, err := json.MarshalIndent(ops, "", "  ")
		if err != nil {
			return err
		}
		f.ExamplePush, f.ExampleCode = filepath.Join(dir, "example-push.json"), v.Code
		return os.WriteFile(f.ExamplePush, append(data, '\n'), 0o644)
	}
	return nil
}

func writeKey(dir, registry, base string, k *sm2.PrivateKey, f *Files) error {
	priv, err := smcrypto.MarshalPrivateKeyPEM(k)
	if err != nil {
		return err
	}
	pub, err := publicPEM(k)
	if err != nil {
		return err
	}
	kf := KeyFile{Registry: registry, Key: filepath.Join(dir, base+".key"), Pub: filepath.Join(dir, base+".pub")}
	if err := os.WriteFile(kf.Key, priv, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(kf.Pub, pub, 0o644); err != nil {
		return err
	}
	f.Keys = append(f.Keys, kf)
	return nil
}

// publicPEM is the key's public half as a "PUBLIC KEY" PEM block.
func publicPEM(k *sm2.PrivateKey) ([]byte, error) { return smcrypto.MarshalPublicKeyPEM(&k.PublicKey) }

// AdminPublicPEM is the administrator's public key, for the node's configuration (hub.Config.AdminKeys).
func (s *Seeded) AdminPublicPEM() (string, error) {
	b, err := publicPEM(s.Admin)
	return string(b), err
}
