package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/sealhub/sealhub/adapters"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/sealhub/sealhub/federation"
	"github.com/sealhub/sealhub/federation/transport"
	"github.com/sealhub/sealhub/internal/hub"
	"github.com/sealhub/sealhub/resolver/httpapi"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// serverConfig is everything `sealhub server` can be told, in one place: the JSON config file
// (docs/server.example.json) is decoded strictly over the defaults, then flags override it. Secrets
// never go here (see the environment variables in remote.go). Durations are Go duration strings
// ("30s", "24h"), parsed by resolve so errors name the field.
type serverConfig struct {
	NodeID            string `json:"node_id"`             // stable raft server id; required
	DataDir           string `json:"data_dir"`            // raft log, snapshots; required, relative to the config file
	RaftAddr          string `json:"raft_addr"`           // raft TCP listen address
	RaftAdvertiseAddr string `json:"raft_advertise_addr"` // address other nodes dial (default: raft_addr)
	HTTPAddr          string `json:"http_addr"`           // API listen address
	Bootstrap         bool   `json:"bootstrap"`           // may found a one-node cluster on fresh state (after trying join)
	// BootstrapNode is bootstrap for the node whose node_id it equals, and false for the others, so
	// every node of a set (a StatefulSet, a compose file) can be given the same settings.
	BootstrapNode string `json:"bootstrap_node"`
	// Join lists cluster (raft) addresses of existing members: a node on fresh state asks them to add
	// it; any member forwards to the leader. Ignored once the node holds raft state.
	Join         []string `json:"join"`
	JoinAttempts int      `json:"join_attempts"` // rounds over join before a bootstrap node founds a cluster (default 3)
	// TLS for the cluster port (raft and the internal RPC): PEM files, all three or none.
	TLS serverTLSConfig `json:"tls"`
	// Reads: how far a default read may be from the leader, and what happens beyond.
	MaxStale    string `json:"max_stale"`    // default 5s
	StaleReads  string `json:"stale_reads"`  // refuse (default) or flag
	ReadTimeout string `json:"read_timeout"` // linearizable read wait; default 5s
	// NoLeaderTransfer skips handing leadership over on SIGTERM (default: hand over).
	NoLeaderTransfer bool                  `json:"no_leader_transfer"`
	Autopilot        serverAutopilotConfig `json:"autopilot"`
	// AdminKeys are files of the administrator's PEM public keys, written into the trust list when a
	// fresh cluster first elects a leader. Relative paths (here and in data_dir) are relative to the
	// config file; those given by flags, to the working directory.
	AdminKeys  []string         `json:"admin_keys"`
	MaxPushAge string           `json:"max_push_age"` // how old a new push's issued_at may be
	LogLevel   string           `json:"log_level"`    // debug, info, warn, error
	LogFormat  string           `json:"log_format"`   // json or text
	Raft       serverRaftConfig `json:"raft"`
	// API guards the verifier routes: API keys, per-client rate limits, request limits.
	API serverAPIConfig `json:"api"`
	// Adapters: this node's credentials for the regions' own services, and the wrapper's settings.
	Adapters serverAdaptersConfig `json:"adapters"`

	dir string // directory of the config file, for relative paths
}

// serverAPIConfig is the verifier API's guard. With no keys the API is open; with keys every
// verifier route wants one (X-API-Key or Authorization: Bearer). `sealhub apikey NAME` makes a key
// and prints its entry.
type serverAPIConfig struct {
	Keys             []httpapi.APIKey  `json:"keys"`
	RateLimit        httpapi.RateLimit `json:"rate_limit"`         // per client (key, or address without keys); per_second 0: none
	MaxRequestBytes  int64             `json:"max_request_bytes"`  // default 8 MiB
	MaxDocumentBytes int64             `json:"max_document_bytes"` // OFD and multipart uploads; default 64 MiB
	MaxBatch         int               `json:"max_batch"`          // codes per seals:batchGet; default 1000
	RequestTimeout   string            `json:"request_timeout"`    // one verification; default 10s
	MaxDocuments     int               `json:"max_documents"`      // OFD verifications at once; default 2 × CPUs
}

// serverAdaptersConfig is the node-local side of the regional adapters. A registry's adapter
// configuration in the trust list names its credentials; each node holds them here, by name, field
// by field (app_key, app_secret, username, password, api_key …). A value "file:PATH" is read from
// the file (relative to the config file; trailing newline dropped), "env:NAME" from the environment,
// so secrets need not sit in the config.
type serverAdaptersConfig struct {
	Credentials map[string]map[string]string `json:"credentials"`
	Timeout     string                       `json:"timeout"`   // one call to a region; default 2s
	TTL         string                       `json:"ttl"`       // cache of good answers; default 30s
	StaleFor    string                       `json:"stale_for"` // last known answers kept to report stale; default 24h
	Failures    uint32                       `json:"failures"`  // failures in a row opening the breaker; default 5
	OpenFor     string                       `json:"open_for"`  // how long the breaker stays open; default 30s
}

// serverTLSConfig names the cluster CA bundle and this node's certificate and key (`sealhub tls init`).
type serverTLSConfig struct {
	CA   string `json:"ca"`
	Cert string `json:"cert"`
	Key  string `json:"key"`
}

// serverAutopilotConfig tunes the promotion of joined non-voters; empty keeps federation's defaults.
type serverAutopilotConfig struct {
	StabilizationTime    string `json:"stabilization_time"`     // default 10s
	LastContactThreshold string `json:"last_contact_threshold"` // default 500ms
	MaxTrailingLogs      uint64 `json:"max_trailing_logs"`      // default 250
}

// serverRaftConfig is the raft tuning of federation.Config; zero or empty keeps its default.
type serverRaftConfig struct {
	SnapshotInterval   string `json:"snapshot_interval"`
	SnapshotThreshold  uint64 `json:"snapshot_threshold"`
	TrailingLogs       uint64 `json:"trailing_logs"`
	SnapshotRetain     int    `json:"snapshot_retain"`
	MaxRPCsInFlight    int    `json:"max_rpcs_in_flight"`
	LogCacheSize       int    `json:"log_cache_size"`
	MaxPool            int    `json:"max_pool"`
	TransportTimeout   string `json:"transport_timeout"`
	HeartbeatTimeout   string `json:"heartbeat_timeout"`
	ElectionTimeout    string `json:"election_timeout"`
	LeaderLeaseTimeout string `json:"leader_lease_timeout"`
	CommitTimeout      string `json:"commit_timeout"`
	ApplyTimeout       string `json:"apply_timeout"`
}

// defaultServerConfig is the configuration before the file and the flags.
func defaultServerConfig() serverConfig {
	return serverConfig{
		RaftAddr:   "127.0.0.1:7000",
		HTTPAddr:   "127.0.0.1:8080",
		MaxPushAge: "24h",
		LogLevel:   "info",
		LogFormat:  "json",
	}
}

// maxConfigBytes bounds a config file.
const maxConfigBytes = 1 << 20

// loadServerConfig decodes the JSON file at path over cfg. Unknown fields, wrong types and trailing
// data are errors naming the field or the line.
func loadServerConfig(path string, cfg *serverConfig) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(data) > maxConfigBytes {
		return fmt.Errorf("%s: larger than %d bytes", path, maxConfigBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return fmt.Errorf("%s: %s", path, configJSONError(data, err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: trailing data after the configuration object", path)
	}
	cfg.dir = filepath.Dir(path)
	return nil
}

// configJSONError words a decoding error for a person: the field at fault or the line and column.
func configJSONError(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(data, se.Offset)
		return fmt.Sprintf("line %d, column %d: %v", line, col, se)
	case errors.As(err, &te) && te.Field == "":
		return fmt.Sprintf("want a JSON object, got JSON %s", te.Value)
	case errors.As(err, &te):
		return fmt.Sprintf("field %s: want %s, got JSON %s", te.Field, te.Type, te.Value)
	case errors.Is(err, io.EOF):
		return "empty file: want a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of file"
	}
	// "json: unknown field \"x\"" and the like.
	return strings.TrimPrefix(err.Error(), "json: ")
}

func lineCol(data []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// Validate reports every problem of the configuration at once, joined.
func (c *serverConfig) Validate() error {
	_, err := c.hubConfig()
	return err
}

// hubConfig checks the configuration and turns it into the node's: durations parsed, admin key
// files read. Errors name the setting and are all returned, joined.
func (c *serverConfig) hubConfig() (hub.Config, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	dur := func(name, s string, positive bool) time.Duration {
		if s == "" {
			return 0
		}
		d, err := time.ParseDuration(s)
		switch {
		case err != nil:
			bad("%s: %q is not a duration (e.g. \"30s\", \"24h\")", name, s)
		case d < 0 || (positive && d == 0):
			bad("%s: %s must be positive", name, s)
		}
		return d
	}
	switch {
	case c.NodeID == "":
		bad("node_id is required (--node-id): a stable name for this node, e.g. hub-1")
	case len(c.NodeID) > 64 || strings.IndexFunc(c.NodeID, func(r rune) bool { return !unicode.IsGraphic(r) || unicode.IsSpace(r) }) >= 0:
		bad("node_id %q: want at most 64 printable characters without spaces", c.NodeID)
	}
	if c.DataDir == "" {
		bad("data_dir is required (--data-dir)")
	}
	for _, a := range []struct{ name, v string }{{"raft_addr", c.RaftAddr}, {"http_addr", c.HTTPAddr}, {"raft_advertise_addr", c.RaftAdvertiseAddr}} {
		if a.v == "" && a.name == "raft_advertise_addr" {
			continue
		}
		if err := checkHostPort(a.v); err != nil {
			bad("%s %q: %v", a.name, a.v, err)
		}
	}
	if c.MaxPushAge == "" {
		bad("max_push_age must not be empty (default 24h)")
	}
	maxAge := dur("max_push_age", c.MaxPushAge, true)
	if _, err := parseLogLevel(c.LogLevel); err != nil {
		bad("log_level: %v", err)
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		bad("log_format %q: want json or text", c.LogFormat)
	}
	var keys []string
	for i, p := range c.AdminKeys {
		p = c.path(p)
		data, err := os.ReadFile(p)
		if err != nil {
			bad("admin_keys[%d]: %v", i, err)
			continue
		}
		if _, err := smcrypto.ParsePublicKey(string(data)); err != nil {
			bad("admin_keys[%d] %s: %v", i, p, err)
			continue
		}
		keys = append(keys, string(data))
	}
	r := c.Raft
	rc := federation.Config{
		AdvertiseAddr:      c.RaftAdvertiseAddr,
		SnapshotInterval:   dur("raft.snapshot_interval", r.SnapshotInterval, true),
		SnapshotThreshold:  r.SnapshotThreshold,
		TrailingLogs:       r.TrailingLogs,
		SnapshotRetain:     r.SnapshotRetain,
		MaxRPCsInFlight:    r.MaxRPCsInFlight,
		LogCacheSize:       r.LogCacheSize,
		MaxPool:            r.MaxPool,
		TransportTimeout:   dur("raft.transport_timeout", r.TransportTimeout, true),
		HeartbeatTimeout:   dur("raft.heartbeat_timeout", r.HeartbeatTimeout, true),
		ElectionTimeout:    dur("raft.election_timeout", r.ElectionTimeout, true),
		LeaderLeaseTimeout: dur("raft.leader_lease_timeout", r.LeaderLeaseTimeout, true),
		CommitTimeout:      dur("raft.commit_timeout", r.CommitTimeout, true),
		ApplyTimeout:       dur("raft.apply_timeout", r.ApplyTimeout, true),
	}
	for _, n := range []struct {
		name string
		v    int
	}{{"raft.snapshot_retain", r.SnapshotRetain}, {"raft.max_rpcs_in_flight", r.MaxRPCsInFlight}, {"raft.log_cache_size", r.LogCacheSize}, {"raft.max_pool", r.MaxPool}} {
		if n.v < 0 {
			bad("%s: %d must not be negative (0 keeps the default)", n.name, n.v)
		}
	}
	if len(errs) == 0 {
		// The raft rules that depend on several fields (timeouts) are federation's to check.
		check := rc
		check.NodeID, check.Dir, check.BindAddr = c.NodeID, c.path(c.DataDir), c.RaftAddr
		if err := check.Validate(); err != nil {
			bad("raft: %v", strings.TrimPrefix(err.Error(), "federation: config: "))
		}
	}
	for i, j := range c.Join {
		if err := checkHostPort(j); err != nil {
			bad("join[%d] %q: %v", i, j, err)
		}
	}
	if c.JoinAttempts < 0 {
		bad("join_attempts: %d must not be negative", c.JoinAttempts)
	}
	if c.Bootstrap && c.BootstrapNode != "" {
		bad("bootstrap and bootstrap_node %q: give one (bootstrap_node decides by node_id)", c.BootstrapNode)
	}
	var tlsConf *transport.TLS
	switch t := c.TLS; {
	case t.CA == "" && t.Cert == "" && t.Key == "":
	case t.CA == "" || t.Cert == "" || t.Key == "":
		bad("tls: give all of ca, cert and key (--tls-ca, --tls-cert, --tls-key), or none")
	default:
		var err error
		if tlsConf, err = transport.LoadTLS(c.path(t.CA), c.path(t.Cert), c.path(t.Key)); err != nil {
			bad("tls: %v", err)
		}
	}
	if c.StaleReads != "" && c.StaleReads != hub.StaleRefuse && c.StaleReads != hub.StaleFlag {
		bad("stale_reads %q: want refuse or flag", c.StaleReads)
	}
	api := c.API
	if api.MaxRequestBytes < 0 || api.MaxDocumentBytes < 0 || api.MaxBatch < 0 || api.MaxDocuments < 0 {
		bad("api: max_request_bytes, max_document_bytes, max_batch and max_documents must not be negative (0 keeps the default)")
	}
	if api.RateLimit.PerSecond < 0 || api.RateLimit.Burst < 0 {
		bad("api.rate_limit: per_second and burst must not be negative")
	}
	for i, k := range api.Keys {
		if len(k.SM3) != 64 || strings.Trim(k.SM3, "0123456789abcdef") != "" || k.Name == "" {
			bad("api.keys[%d]: want {\"name\": \"…\", \"sm3\": \"64 lower-case hex digits\"} (sealhub apikey NAME prints one)", i)
		}
	}
	ad := c.Adapters
	creds := map[string]adapters.Credentials{}
	for name, fields := range ad.Credentials {
		cr := adapters.Credentials{}
		for field, v := range fields {
			val, err := c.secret(v)
			if err != nil {
				bad("adapters.credentials.%s.%s: %v", name, field, err)
			}
			cr[field] = val
		}
		creds[name] = cr
	}
	a := c.Autopilot
	hc := hub.Config{
		Adapters: hub.AdapterConfig{Credentials: creds, Options: adapters.Options{
			Timeout: dur("adapters.timeout", ad.Timeout, true), TTL: dur("adapters.ttl", ad.TTL, true),
			StaleFor: dur("adapters.stale_for", ad.StaleFor, true), Failures: ad.Failures, OpenFor: dur("adapters.open_for", ad.OpenFor, true)}},
		APIKeys: api.Keys, RateLimit: api.RateLimit,
		Limits: httpapi.Limits{MaxRequestBytes: api.MaxRequestBytes, MaxDocumentBytes: api.MaxDocumentBytes, MaxBatch: api.MaxBatch,
			RequestTimeout: dur("api.request_timeout", api.RequestTimeout, true), MaxDocuments: api.MaxDocuments},
		NodeID: c.NodeID, DataDir: c.path(c.DataDir), RaftAddr: c.RaftAddr, AdvertiseAddr: c.RaftAdvertiseAddr, HTTPAddr: c.HTTPAddr,
		Bootstrap: c.Bootstrap || (c.BootstrapNode != "" && c.BootstrapNode == c.NodeID), Join: c.Join, JoinAttempts: c.JoinAttempts, TLS: tlsConf, AdminKeys: keys, MaxPushAge: maxAge, Raft: rc,
		MaxStale: dur("max_stale", c.MaxStale, true), StaleReads: c.StaleReads, ReadTimeout: dur("read_timeout", c.ReadTimeout, true),
		NoLeaderTransfer: c.NoLeaderTransfer,
		Autopilot: federation.AutopilotConfig{
			StabilizationTime:    dur("autopilot.stabilization_time", a.StabilizationTime, false),
			LastContactThreshold: dur("autopilot.last_contact_threshold", a.LastContactThreshold, true),
			MaxTrailingLogs:      a.MaxTrailingLogs,
		},
	}
	return hc, errors.Join(errs...)
}

// secret reads a credential value: "file:PATH", "env:NAME", or the value itself.
func (c *serverConfig) secret(v string) (string, error) {
	switch {
	case strings.HasPrefix(v, "file:"):
		b, err := os.ReadFile(c.path(strings.TrimPrefix(v, "file:")))
		if err != nil {
			return "", err
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	case strings.HasPrefix(v, "env:"):
		name := strings.TrimPrefix(v, "env:")
		s, ok := os.LookupEnv(name)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", name)
		}
		return s, nil
	}
	return v, nil
}

// path resolves a path of the config file against its directory.
func (c *serverConfig) path(p string) string {
	if p == "" || filepath.IsAbs(p) || c.dir == "" {
		return p
	}
	return filepath.Join(c.dir, p)
}

func checkHostPort(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return errors.New("want host:port")
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || (port != "0" && p == 0) {
		return errors.New("want a port from 0 to 65535")
	}
	return nil
}

func parseLogLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil || strings.ContainsAny(s, "+-") {
		return 0, fmt.Errorf("%q: want debug, info, warn or error", s)
	}
	return l, nil
}

// newServerLogger makes the node's logger: level and format from the configuration, to w.
func newServerLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	l, err := parseLogLevel(level)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: l}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return slog.New(slog.NewJSONHandler(w, opts)), nil
}
