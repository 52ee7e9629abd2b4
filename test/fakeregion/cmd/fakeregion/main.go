// Command fakeregion serves one simulated region (test/fakeregion) of a kind — rest, soap,
// signed-json or crl — for `sealhub dev`, compose and manual tests. Once it listens it prints one
// JSON line on stdout: the kind, region, URL, the credentials a sealhub node needs (under
// credentials_name) and the complete adapter configuration for the region's registry. It serves the
// control API under /_sim/ (seed seals, set faults, read stats) until SIGINT or SIGTERM. Logs go to
// stderr.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/test/fakeregion"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "fakeregion:", err)
		os.Exit(1)
	}
}

// credentialsEnv holds the region's credentials as a JSON object ({"app_key": …, "app_secret": …}),
// so a deployment can give the region and the hub nodes the same secrets; unset: fresh ones.
const credentialsEnv = "FAKEREGION_CREDENTIALS"

// errUsage: the flags were wrong (the flag package has said how).
var errUsage = errors.New("usage")

// config holds the flags.
type config struct {
	kind, region, listen, key, credsName, seals string
	seed                                        uint64
	faults                                      fakeregion.Faults
	stopWithStdin, sealsOptional                bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("fakeregion", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.kind, "kind", "", "the region's kind: "+strings.Join(fakeregion.Kinds, ", "))
	fs.StringVar(&c.region, "region", "", "the region's registry id, e.g. 44")
	fs.StringVar(&c.listen, "listen", "127.0.0.1:0", "address to listen on")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the faults drawn")
	fs.DurationVar(&c.faults.Latency, "latency", 0, "delay before every answer")
	fs.Float64Var(&c.faults.ErrorRate, "error-rate", 0, "fraction of requests answered with a server error")
	fs.Float64Var(&c.faults.AuthRate, "auth-rate", 0, "fraction of requests refused as unauthenticated")
	fs.Float64Var(&c.faults.MalformedRate, "malformed-rate", 0, "fraction of requests answered with a body that does not parse")
	fs.Float64Var(&c.faults.TruncatedRate, "truncated-rate", 0, "fraction of requests whose body stops short")
	fs.Float64Var(&c.faults.HTMLRate, "html-rate", 0, "fraction of requests answered with a gateway's HTML page")
	fs.Float64Var(&c.faults.DripRate, "drip-rate", 0, "fraction of requests answered one byte per --drip-every")
	fs.DurationVar(&c.faults.DripEvery, "drip-every", 50*time.Millisecond, "pace of a dripped answer")
	fs.StringVar(&c.key, "key", "", "SM2 private key (PEM) the signed kinds sign with; generated and written there when missing (default: a fresh key, not kept)")
	fs.StringVar(&c.credsName, "credentials-name", "", "name of the credentials in the adapter configuration (default: the region id)")
	fs.StringVar(&c.seals, "seals", "", "JSON file of seals to start with, as POST /_sim/seals takes them")
	fs.BoolVar(&c.sealsOptional, "seals-optional", false, "start empty when the --seals file does not exist yet (a deployment's setup job writes it later)")
	fs.BoolVar(&c.stopWithStdin, "stop-with-stdin", false, "also stop when stdin closes (for a parent process that may die without stopping it)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, errUsage
	}
	var bad []string
	if fs.NArg() > 0 {
		bad = append(bad, "no arguments are taken")
	}
	if c.region == "" {
		bad = append(bad, "--region is required")
	}
	if _, err := (fakeregion.FaultsJSON{ErrorRate: c.faults.ErrorRate, AuthRate: c.faults.AuthRate, MalformedRate: c.faults.MalformedRate,
		TruncatedRate: c.faults.TruncatedRate, HTMLRate: c.faults.HTMLRate, DripRate: c.faults.DripRate}).Faults(); err != nil || c.faults.Latency < 0 {
		bad = append(bad, "fault rates must be 0 to 1 and --latency not negative")
	}
	if len(bad) > 0 {
		fmt.Fprintf(stderr, "fakeregion: %s\n", strings.Join(bad, "; "))
		fs.Usage()
		return c, errUsage
	}
	if c.credsName == "" {
		c.credsName = c.region
	}
	return c, nil
}

// run serves the region until ctx ends (or stdin closes, with --stop-with-stdin).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil)).With("region", c.region, "kind", c.kind)
	sim, err := newSimulator(c, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	line, err := json.Marshal(sim.Info(url, c.credsName))
	if err == nil {
		_, err = fmt.Fprintf(stdout, "%s\n", line)
	}
	if err != nil {
		ln.Close()
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if c.stopWithStdin {
		go func() {
			_, _ = io.Copy(io.Discard, stdin)
			log.Info("stdin closed")
			cancel()
		}()
	}
	srv := &http.Server{Handler: logControl(sim, log), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("serving", "url", url, "seals", sim.Stats().Seals)
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("stopping")
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("requests still running at shutdown; closing them", "err", err)
		return srv.Close()
	}
	return nil
}

// newSimulator builds the region from the flags: its key and its seals.
func newSimulator(c config, log *slog.Logger) (*fakeregion.Simulator, error) {
	spec := fakeregion.Spec{Kind: c.kind, Region: c.region, Seed: c.seed, Faults: c.faults}
	if v := os.Getenv(credentialsEnv); v != "" {
		if err := json.Unmarshal([]byte(v), &spec.Credentials); err != nil {
			return nil, fmt.Errorf("%s: want a JSON object of strings: %w", credentialsEnv, err)
		}
	}
	if c.key != "" && (c.kind == fakeregion.KindSignedJSON || c.kind == fakeregion.KindCRL) {
		k, err := loadKey(c.key, log)
		if err != nil {
			return nil, err
		}
		spec.Key = k
	}
	sim, err := fakeregion.NewSimulator(spec)
	if err != nil {
		return nil, err
	}
	if c.seals != "" {
		data, err := os.ReadFile(c.seals)
		if errors.Is(err, fs.ErrNotExist) && c.sealsOptional {
			log.Info("no seals file yet; starting empty", "seals", c.seals)
			return sim, nil
		}
		if err != nil {
			return nil, err
		}
		entries, err := fakeregion.ParseSeals(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.seals, err)
		}
		if err := sim.Load(entries); err != nil {
			return nil, err
		}
	}
	return sim, nil
}

// loadKey reads the SM2 key at path, or makes one and writes it there (mode 0600) when there is none.
func loadKey(path string, log *slog.Logger) (*sm2.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		k, err := smcrypto.ParsePrivateKeyPEM(data)
		if err != nil {
			return nil, fmt.Errorf("--key %s: %w", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	k, err := smcrypto.GenerateKey()
	if err != nil {
		return nil, err
	}
	pemKey, err := smcrypto.MarshalPrivateKeyPEM(k)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pemKey, 0o600); err != nil {
		return nil, err
	}
	log.Info("wrote a new signing key", "path", path)
	return k, nil
}

// logControl logs the control API's requests (the region's own are not logged: they can be many).
func logControl(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasPrefix(req.URL.Path, fakeregion.ControlPrefix) {
			log.Info("control", "method", req.Method, "path", req.URL.Path)
		}
		next.ServeHTTP(w, req)
	})
}
