package main

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

// example holds a signed OFD document and the CA certificates of the test PKI that made it
// (test/sm2ca, regenerated with `go test ./cmd/sealhub -run TestGenerateExample -update`).
//
//go:embed testdata/example
var example embed.FS

// devCommand verifies the embedded example document. (The one-node developer hub replaces this
// once the replicated trust list lands; the example stays as `sealhub verify` documentation.)
func (e *env) devCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "dev",
		Short: "Try sealhub on an embedded example: verify a signed OFD document offline",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			dir, err := os.MkdirTemp("", "sealhub-dev-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			if err := os.CopyFS(dir, example); err != nil {
				return err
			}
			base := filepath.Join(dir, "testdata", "example")
			fmt.Fprintf(e.stdout, "sealhub dev: verifying the embedded example (a V4 seal signature made by the test PKI)\n")
			fmt.Fprintf(e.stdout, "  same as: go run ./cmd/sealhub verify ofd --roots cmd/sealhub/testdata/example/roots --intermediates cmd/sealhub/testdata/example/intermediates --makers cmd/sealhub/testdata/example/makers cmd/sealhub/testdata/example/signed.ofd\n\n")
			return run(c.Context(), []string{"verify", "ofd", "--roots", filepath.Join(base, "roots"), "--intermediates", filepath.Join(base, "intermediates"), "--makers", filepath.Join(base, "makers"), filepath.Join(base, "signed.ofd")}, e.getenv, e.stdout, e.stderr)
		},
	}
}
