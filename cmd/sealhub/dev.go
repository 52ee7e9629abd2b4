package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/internal/demo/seed"
	"github.com/sealhub/sealhub/internal/hub"
	"github.com/spf13/cobra"
)

// example holds a signed OFD document and the CA certificates of the test PKI that made it
// (test/sm2ca, regenerated with `go test ./cmd/sealhub -run TestGenerateExample -update`).
//
//go:embed testdata/example
var example embed.FS

// devConfig holds the flags of `sealhub dev`.
type devConfig struct {
	dir           string
	keep          bool
	http          string
	seals         int
	verbose       bool
	verifyExample bool
	regions       bool          // run the simulated regions 44 and 32
	regionMaxAge  time.Duration // max_age of region 32 (sync); hidden, for tests
}

func (e *env) devCommand() *cobra.Command {
	var cfg devConfig
	c := &cobra.Command{
		Use:   "dev",
		Short: "Run a one-node hub seeded with demo registries, CA certificates and seals",
		Long: `Run a one-node hub on this machine with demo data: an administrator key, a province registry
"37" (山东省) and a department registry "tax" (国家税务总局) with their keys, a demo CA chain and
seal-maker certificates, and a few hundred seals in every state, all filed through the signed push
API. Keys and certificates come from the demo PKI: never use them in production.

Unless --regions=false it also runs two simulated regional seal services (the fakeregion command,
found beside sealhub, on PATH, or built from this source tree): province 44 (广东省), asked live
through the rest adapter, and province 32 (江苏省), synced from its signed status list through the
crl adapter. Their seals are held by the regions, not pushed; stop one to see verifications turn
indeterminate.

The data lives in a fresh temporary directory, removed on exit unless --keep. Ctrl-C stops the hub.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if cfg.verifyExample {
				return e.verifyExample(c.Context())
			}
			if cfg.seals < seed.MinSeals || cfg.seals > seed.MaxSeals {
				return usageError("--seals %d: want %d to %d", cfg.seals, seed.MinSeals, seed.MaxSeals)
			}
			if cfg.regionMaxAge <= 0 {
				return usageError("--region-max-age %s: want a positive duration", cfg.regionMaxAge)
			}
			return e.runDev(c.Context(), cfg)
		},
	}
	c.AddCommand(e.devSeedCommand())
	f := c.Flags()
	f.StringVar(&cfg.dir, "dir", "", "data directory, new or empty, kept on exit (default: a fresh temporary directory)")
	f.BoolVar(&cfg.keep, "keep", false, "keep the temporary data directory on exit")
	f.StringVar(&cfg.http, "http", "127.0.0.1:8080", "API address; when its port is busy a free one is used")
	f.IntVar(&cfg.seals, "seals", 300, "how many demo seals to file")
	f.BoolVarP(&cfg.verbose, "verbose", "v", false, "log the node's work (raft, pushes, requests) on stderr")
	f.BoolVar(&cfg.verifyExample, "verify-example", false, "instead, verify the embedded example OFD document offline")
	f.BoolVar(&cfg.regions, "regions", true, "run the simulated regions 44 (live, rest) and 32 (sync, crl)")
	f.DurationVar(&cfg.regionMaxAge, "region-max-age", 30*time.Second, "max_age of the sync region 32")
	_ = f.MarkHidden("region-max-age")
	return c
}

// runDev starts the node, seeds it, prints where everything is and serves until ctx ends.
func (e *env) runDev(ctx context.Context, cfg devConfig) (err error) {
	dir, temp, err := devDataDir(cfg.dir)
	if err != nil {
		return err
	}
	defer func() {
		if !temp || cfg.keep {
			fmt.Fprintf(e.stdout, "sealhub dev: data kept in %s\n", dir)
			return
		}
		if rmErr := os.RemoveAll(dir); rmErr != nil {
			err = errors.Join(err, rmErr)
			return
		}
		fmt.Fprintf(e.stdout, "sealhub dev: removed %s\n", dir)
	}()
	addr, busy, err := devHTTPAddr(cfg.http)
	if err != nil {
		return usageError("--http %s: %v", cfg.http, err)
	}
	if busy {
		fmt.Fprintf(e.stderr, "sealhub dev: %s is busy; using a free port instead\n", cfg.http)
	}
	cfg.http = addr
	s, err := seed.Plan(seed.Options{Seals: cfg.seals})
	if err != nil {
		return err
	}
	var regions []*devRegion
	if cfg.regions {
		if regions, err = e.startDevRegions(ctx, cfg, dir, s); err != nil {
			if ctx.Err() != nil {
				return nil // interrupted while starting
			}
			return err
		}
		defer stopDevRegions(regions)
	}
	h, err := e.openDevHub(ctx, cfg, dir, s, regionCredentials(regions))
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while starting
		}
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = errors.Join(err, h.Close(closeCtx))
		fmt.Fprintln(e.stdout, "sealhub dev: stopped")
	}()
	start := time.Now()
	c := client.New(h.URL())
	err = s.Push(ctx, c)
	if err == nil && len(regions) > 0 {
		err = registerDevRegions(ctx, c, s, regions)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while seeding
		}
		return err
	}
	took := time.Since(start)
	files, err := s.WriteFiles(dir)
	if err != nil {
		return err
	}
	for _, r := range regions {
		if err := r.writeFiles(dir, files); err != nil {
			return err
		}
	}
	printDevSummary(e.stdout, devSummary{url: h.URL(), dir: dir, removed: temp && !cfg.keep, took: took, seeded: s, files: files, regions: regions})
	<-ctx.Done()
	return nil
}

// openDevHub starts a bootstrapped one-node hub in dir, serving at cfg.http, with the demo
// administrator key and the regions' credentials, and waits until it serves.
func (e *env) openDevHub(ctx context.Context, cfg devConfig, dir string, s *seed.Seeded, creds map[string]adapters.Credentials) (*hub.Hub, error) {
	admin, err := s.AdminPublicPEM()
	if err != nil {
		return nil, err
	}
	level := slog.LevelError
	if cfg.verbose {
		level = slog.LevelInfo
	}
	h, err := hub.Open(hub.Config{
		NodeID: "dev", DataDir: dir, RaftAddr: "127.0.0.1:0", HTTPAddr: cfg.http, Bootstrap: true,
		AdminKeys: []string{admin}, Adapters: hub.AdapterConfig{Credentials: creds},
		Logger: slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		return nil, err
	}
	readyCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := h.WaitReady(readyCtx); err != nil {
		closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return nil, errors.Join(err, h.Close(closeCtx))
	}
	return h, nil
}

// devDataDir is the given directory, which must be new or empty, or else a fresh temporary one
// (temp reports which).
func devDataDir(dir string) (_ string, temp bool, err error) {
	if dir == "" {
		dir, err = os.MkdirTemp("", "sealhub-dev-")
		return dir, true, err
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return dir, false, os.MkdirAll(dir, 0o700)
	case err != nil:
		return "", false, usageError("--dir: %v", err)
	case len(entries) > 0:
		return "", false, usageError("--dir %s is not empty: sealhub dev starts a fresh hub in a new or empty directory", dir)
	}
	return dir, false, nil
}

// devHTTPAddr is addr when it can be bound, or the same host with port 0 (busy = true) when its
// port is taken.
func devHTTPAddr(addr string) (_ string, busy bool, err error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return addr, false, ln.Close()
	}
	host, _, splitErr := net.SplitHostPort(addr)
	if !errors.Is(err, syscall.EADDRINUSE) || splitErr != nil {
		return "", false, err
	}
	return net.JoinHostPort(host, "0"), true, nil
}

// verifyExample verifies the embedded example document offline (what `sealhub dev` did before it
// ran a hub).
func (e *env) verifyExample(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "sealhub-example-")
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
	return run(ctx, []string{"verify", "ofd", "--roots", filepath.Join(base, "roots"), "--intermediates", filepath.Join(base, "intermediates"), "--makers", filepath.Join(base, "makers"), filepath.Join(base, "signed.ofd")}, e.getenv, e.stdout, e.stderr)
}
