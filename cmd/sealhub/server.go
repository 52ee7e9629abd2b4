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

// shutdownTimeout bounds how long a stopping node waits for requests in flight and for raft.
const shutdownTimeout = 10 * time.Second

func (e *env) serverCommand() *cobra.Command {
	var cfgPath string
	fl := defaultServerConfig()
	cmd := &cobra.Command{
		Use:   "server [--config FILE] [flags]",
		Short: "Run a hub node: raft, the push intake and the read API",
		Long: `Run one hub node until SIGINT or SIGTERM, then stop it (waiting at most 10 s).

Settings come from the JSON file given with --config (docs/server.example.json shows every field;
unknown fields are errors), then from the flags, which override it. Secrets are never read from
the file or the flags: they come from SEALHUB_* environment variables (none are needed yet).
Logs go to stderr; the API URL is printed on stdout once the node serves.

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
	fs.BoolVar(&fl.Bootstrap, "bootstrap", false, "make a one-node cluster on fresh state (bootstrap)")
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
	if fs.Changed("bootstrap") {
		cfg.Bootstrap = fl.Bootstrap
	}
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
		log.Info("serving", "url", h.URL(), "node", hc.NodeID)
		fmt.Fprintf(e.stdout, "sealhub: node %s serving the API at %s\n", hc.NodeID, h.URL())
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
