package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sealhub/sealhub/test/sm2ca"
)

var update = flag.Bool("update", false, "regenerate testdata/example")

// TestGenerateExample regenerates the example the README and `sealhub dev` use: a signed OFD and the
// CA certificates (no keys) of the test PKI that made it. Run with -update.
func TestGenerateExample(t *testing.T) {
	if !*update {
		t.Skip("run with -update to regenerate testdata/example")
	}
	p, err := sm2ca.New(sm2ca.Options{Epoch: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Province: "山东省", SealCode: "37030000000001", OrgName: "示例市自然资源局"})
	if err != nil {
		t.Fatal(err)
	}
	seal, err := p.Seal(sm2ca.SealSpec{Name: "示例市自然资源局(不动产登记专用章)", Type: 6})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := p.OFD(sm2ca.OFDSignature{Seal: seal, TimeInfo: time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", "example")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.WriteTrustDirs(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "makers"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "makers", "maker.pem"), p.Maker.PEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "signed.ofd"), doc, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "seal.esl"), seal, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte(exampleReadme), 0o644); err != nil {
		t.Fatal(err)
	}
}

const exampleReadme = `# Example signed OFD

signed.ofd carries one V4 seal signature (电子签章) made by the test PKI of test/sm2ca: root →
intermediate → seal-maker and signer certificates. roots/ and intermediates/ hold the CA certificates
(no keys); makers/ the seal-maker certificate, as a registry would register it; seal.esl is the seal on
its own.

Regenerate with: go test ./cmd/sealhub -run TestGenerateExample -update
`
