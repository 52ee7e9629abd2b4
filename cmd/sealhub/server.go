package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/sealhub/sealhub/internal/hub"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// shutdownTimeout bounds how long a stopping node hands over leadership and waits for requests in
// flight; raft closes after it. It is under the 10 s a container runtime waits after SIGTERM by
// default (docker stop): the chaos test saw a 10 s budget end in SIGKILL when a stop met a lost
// quorum, with writes waiting their apply timeout. Writes cut short are retried by their clients.
const shutdownTimeout = 7 * time.Second

func (e *env) serverCommand() *cobra.Command {
	var cfgPath string
	fl := defaultServerConfig()
	cmd := &cobra.Command{
		Use:   "server [--config FILE] [flags]",
		Short: "Run a hub node: raft, the push intake and the read API",
		Long: `Run one hub node until SIGINT or SIGTERM, then stop it (waiting at most 7 s for requests in flight).

Settings come from the JSON file given with --config (docs/server.example.json shows every field;
unknown fields are errors), then from the flags, which override it. Secrets are never read from
the file or the flags: they come from SEALHUB_* environment variables (none are needed yet).
Logs go to stderr; the API URL is printed on stdout once the node serves.

A cluster: start the first node with --bootstrap, the others with --join FIRST_CLUSTER_ADDR (any
member's cluster address works), or give every node the same --bootstrap-node FIRST_ID and --join
list (a StatefulSet, a compose file). A node on fresh state tries --join before it may bootstrap, so a
rebuilt first node rejoins instead of founding a second cluster; a node with raft state ignores
both. Joined nodes are non-voters until caught up and healthy, then promoted (keeping an odd
number of voters). On SIGTERM a leader hands leadership over before stopping.
Use mutual TLS on the cluster port in production: --tls-ca/--tls-cert/--tls-key (sealhub tls init).

Exit codes: 0 stopped cleanly, 3 bad configuration or a failure to start or stop.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg := defaultServerConfig()
			if cfgPath != "" {
				if err := loadServerConfig(cfgPath, &cfg); err != nil {
					return usageError("config %v", err)
				}
			}
			if err := overrideServerConfig(&cfg, &fl, c.Flags()); err != nil {
				return err
			}
			hc, err := cfg.hubConfig()
			if err != nil {
				return usageError("invalid configuration:\n  %s", strings.ReplaceAll(err.Error(), "\n", "\n  "))
			}
			log, err := newServerLogger(e.stderr, cfg.LogLevel, cfg.LogFormat)
			if err != nil {
				return usageError("%v", err)
			}
			hc.Logger = log
			return e.serve(c.Context(), hc, log)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&cfgPath, "config", "", "JSON configuration file")
	fs.StringVar(&fl.NodeID, "node-id", "", "stable node id (node_id)")
	fs.StringVar(&fl.DataDir, "data-dir", "", "data directory (data_dir)")
	fs.StringVar(&fl.RaftAddr, "raft-addr", fl.RaftAddr, "raft listen address (raft_addr)")
	fs.StringVar(&fl.RaftAdvertiseAddr, "raft-advertise-addr", "", "raft address other nodes dial (raft_advertise_addr)")
	fs.StringVar(&fl.HTTPAddr, "http-addr", fl.HTTPAddr, "API listen address (http_addr)")
	fs.BoolVar(&fl.Bootstrap, "bootstrap", false, "may found a one-node cluster on fresh state, after trying --join (bootstrap)")
	fs.StringVar(&fl.BootstrapNode, "bootstrap-node", "", "only the node with this id may found the cluster, as --bootstrap (bootstrap_node; same flags for every node)")
	fs.StringSliceVar(&fl.Join, "join", nil, "cluster address of an existing member to join on fresh state (join; repeatable)")
	fs.StringVar(&fl.TLS.CA, "tls-ca", "", "cluster CA bundle, PEM (tls.ca)")
	fs.StringVar(&fl.TLS.Cert, "tls-cert", "", "this node's certificate, PEM (tls.cert)")
	fs.StringVar(&fl.TLS.Key, "tls-key", "", "this node's private key, PEM (tls.key)")
	fs.StringVar(&fl.MaxStale, "max-stale", "", "how long since the leader was heard from a default read may be (max_stale; default 5s)")
	fs.StringVar(&fl.StaleReads, "stale-reads", "", "refuse or flag default reads beyond max-stale (stale_reads; default refuse)")
	fs.StringSliceVar(&fl.AdminKeys, "admin-key", nil, "administrator PEM public key file (admin_keys; repeatable, replaces the file's list)")
	fs.StringVar(&fl.MaxPushAge, "max-push-age", fl.MaxPushAge, "how old a new push's issued_at may be (max_push_age)")
	fs.StringVar(&fl.LogLevel, "log-level", fl.LogLevel, "debug, info, warn or error (log_level)")
	fs.StringVar(&fl.LogFormat, "log-format", fl.LogFormat, "json or text (log_format)")
	return cmd
}

// overrideServerConfig copies the flags that were given over cfg.
func overrideServerConfig(cfg, fl *serverConfig, fs *pflag.FlagSet) error {
	set := func(name string, dst *string, v string) {
		if fs.Changed(name) {
			*dst = v
		}
	}
	set("node-id", &cfg.NodeID, fl.NodeID)
	if fs.Changed("data-dir") {
		cfg.DataDir = fl.DataDir
		if cfg.DataDir != "" {
			abs, err := filepath.Abs(fl.DataDir)
			if err != nil {
				return usageError("--data-dir %s: %v", fl.DataDir, err)
			}
			cfg.DataDir = abs
		}
	}
	set("raft-addr", &cfg.RaftAddr, fl.RaftAddr)
	set("raft-advertise-addr", &cfg.RaftAdvertiseAddr, fl.RaftAdvertiseAddr)
	set("http-addr", &cfg.HTTPAddr, fl.HTTPAddr)
	set("max-push-age", &cfg.MaxPushAge, fl.MaxPushAge)
	set("log-level", &cfg.LogLevel, fl.LogLevel)
	set("log-format", &cfg.LogFormat, fl.LogFormat)
	set("max-stale", &cfg.MaxStale, fl.MaxStale)
	set("stale-reads", &cfg.StaleReads, fl.StaleReads)
	if fs.Changed("join") {
		cfg.Join = fl.Join
	}
	for _, f := range []struct {
		name string
		dst  *string
		v    string
	}{{"tls-ca", &cfg.TLS.CA, fl.TLS.CA}, {"tls-cert", &cfg.TLS.Cert, fl.TLS.Cert}, {"tls-key", &cfg.TLS.Key, fl.TLS.Key}} {
		if fs.Changed(f.name) {
			abs, err := filepath.Abs(f.v)
			if err != nil {
				return usageError("--%s %s: %v", f.name, f.v, err)
			}
			*f.dst = abs
		}
	}
	if fs.Changed("bootstrap") {
		cfg.Bootstrap = fl.Bootstrap
	}
	set("bootstrap-node", &cfg.BootstrapNode, fl.BootstrapNode)
	if fs.Changed("admin-key") {
		cfg.AdminKeys = nil
		for _, p := range fl.AdminKeys {
			abs, err := filepath.Abs(p)
			if err != nil {
				return usageError("--admin-key %s: %v", p, err)
			}
			cfg.AdminKeys = append(cfg.AdminKeys, abs)
		}
	}
	return nil
}

// serve runs a node until ctx ends.
func (e *env) serve(ctx context.Context, hc hub.Config, log *slog.Logger) error {
	h, err := hub.Open(hc)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	if waitServing(ctx, h, log) {
		log.Info("serving", "url", h.URL(), "node", h.ID(), "cluster_addr", h.ClusterAddr())
		fmt.Fprintf(e.stdout, "sealhub: node %s serving the API at %s (cluster port %s)\n", h.ID(), h.URL(), h.ClusterAddr())
	}
	<-ctx.Done()
	log.Info("shutting down", "timeout", shutdownTimeout.String())
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := h.Close(cctx); err != nil {
		log.Error("shutdown", "err", err)
		return &exitError{code: exitUsage, err: fmt.Errorf("shutdown: %w", err)}
	}
	log.Info("stopped")
	return nil
}

// waitServing waits until the node is ready, logging why not every 15 s; false if ctx ended first.
func waitServing(ctx context.Context, h *hub.Hub, log *slog.Logger) bool {
	for {
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		err := h.WaitReady(wctx)
		cancel()
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		log.Warn("not ready yet; waiting", "reason", err)
	}
}
