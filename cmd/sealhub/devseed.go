package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/internal/demo/seed"
	"github.com/sealhub/sealhub/internal/ledger"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
	"github.com/spf13/cobra"
)

// The simulated regions: `sealhub dev` runs 44 and 32 itself; `sealhub dev seed` registers any of
// them running elsewhere (the compose file runs all four, one of each adapter kind).

// devRegionSpec is one simulated region: its registry, how the hub reads it, and its seals.
type devRegionSpec struct {
	id, name, kind string
	mode           trustlist.Mode
	latency        time.Duration
	seals          []devRegionSealSpec
}

// devRegionSealSpec is one seal a region holds: its owner, the kind of seal and its status now.
type devRegionSealSpec struct {
	division, owner string
	kind            int // ledger.Type…
	suffix          string
	status          trustlist.Status
}

// devLocalRegions are the regions `sealhub dev` runs as subprocesses.
var devLocalRegions = []string{"44", "32"}

var devRegionSpecs = []devRegionSpec{
	{id: "44", name: "广东省", kind: "rest", mode: trustlist.ModeLive, latency: 20 * time.Millisecond, seals: []devRegionSealSpec{
		{"440106", "广州市天河区人民政府", ledger.TypeOfficial, "", trustlist.StatusValid},
		{"440305", "深圳市南山区市场监督管理局", ledger.TypeOfficial, "", trustlist.StatusValid},
		{"440104", "广州市越秀区住房和城乡建设局", ledger.TypeFinance, "财务专用章", trustlist.StatusSuspended},
		{"440303", "深圳市罗湖区教育局", ledger.TypeContract, "合同专用章", trustlist.StatusRevoked},
	}},
	{id: "35", name: "福建省", kind: "soap", mode: trustlist.ModeLive, seals: []devRegionSealSpec{
		{"350102", "福州市鼓楼区人民政府", ledger.TypeOfficial, "", trustlist.StatusValid},
		{"350203", "厦门市思明区市场监督管理局", ledger.TypeOfficial, "", trustlist.StatusValid},
		{"350104", "福州市仓山区财政局", ledger.TypeFinance, "财务专用章", trustlist.StatusSuspended},
		{"350206", "厦门市湖里区教育局", ledger.TypeContract, "合同专用章", trustlist.StatusRevoked},
	}},
	{id: "33", name: "浙江省", kind: "signed-json", mode: trustlist.ModeSync, seals: []devRegionSealSpec{
		{"330106", "杭州市西湖区人民政府", ledger.TypeOfficial, "", trustlist.StatusValid},
		{"330212", "宁波市鄞州区市场监督管理局", ledger.TypeOfficial, "", trustlist.StatusValid},
		{"330102", "杭州市上城区财政局", ledger.TypeFinance, "财务专用章", trustlist.StatusSuspended},
		{"330302", "温州市鹿城区卫生健康局", ledger.TypeContract, "合同专用章", trustlist.StatusRevoked},
	}},
	{id: "32", name: "江苏省", kind: "crl", mode: trustlist.ModeSync, seals: []devRegionSealSpec{
		{"320102", "南京市玄武区人民政府", ledger.TypeOfficial, "", trustlist.StatusValid},
		{"320505", "苏州市虎丘区市场监督管理局", ledger.TypeOfficial, "", trustlist.StatusValid},
		{"320211", "无锡市滨湖区财政局", ledger.TypeFinance, "财务专用章", trustlist.StatusSuspended},
		{"320106", "南京市鼓楼区卫生健康委员会", ledger.TypeContract, "合同专用章", trustlist.StatusRevoked},
	}},
}

// devSeedMarker is written last into --out: its presence means the cluster was seeded from there.
const devSeedMarker = "seeded.json"

// devSeedConfig holds the flags of `sealhub dev seed`.
type devSeedConfig struct {
	server, adminKey, out string
	regions               []string // base URLs of running fakeregion simulators
	seals                 int
	wait, maxAge          time.Duration
}

func (e *env) devSeedCommand() *cobra.Command {
	var cfg devSeedConfig
	c := &cobra.Command{
		Use:   "seed --server URL --admin-key FILE --out DIR [--region URL]…",
		Short: "Seed a running cluster with the demo data and register running simulated regions",
		Long: `Fill a running cluster, started with the administrator key --admin-key, with what sealhub dev
puts in its own hub: registries "37" (山东省) and "tax" (国家税务总局) with their keys, the demo CA
chain and seal-maker certificates, and --seals seals in every state, all through signed pushes.
Each --region is the base URL of a running simulated region (the fakeregion command); its
registry is created, its seals are given to it, and it is switched to its mode (44 and 35 live,
33 and 32 sync) with the adapter configuration it reports. The hub nodes need the regions'
credentials in their own configuration (adapters.credentials, named by region id).

It waits up to --wait for the server and the regions to answer. The demo keys, certificates and
seal files go to --out, and seeded.json last: when it is there already the command does nothing,
so a compose file can run it on every start. Demo material only: never for production.`,
		Example: `  sealhub dev seed --server http://hub-1:8080 --admin-key /secrets/admin.key --out /demo \
    --region http://region-44:9000 --region http://region-32:9000`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			switch {
			case cfg.server == "" || cfg.adminKey == "" || cfg.out == "":
				return usageError("--server, --admin-key and --out are required")
			case cfg.seals < seed.MinSeals || cfg.seals > seed.MaxSeals:
				return usageError("--seals %d: want %d to %d", cfg.seals, seed.MinSeals, seed.MaxSeals)
			case cfg.wait <= 0 || cfg.maxAge <= 0:
				return usageError("--wait and --region-max-age must be positive")
			}
			return e.devSeed(c.Context(), cfg)
		},
	}
	f := c.Flags()
	f.StringVar(&cfg.server, "server", "", "API URL of a node of the cluster")
	f.StringVar(&cfg.adminKey, "admin-key", "", "the administrator's private key (PEM), whose public key the nodes were started with")
	f.StringVar(&cfg.out, "out", "", "directory for the demo keys, certificates and seal files")
	f.StringArrayVar(&cfg.regions, "region", nil, "base URL of a running simulated region (repeatable)")
	f.IntVar(&cfg.seals, "seals", 300, "how many demo seals to file")
	f.DurationVar(&cfg.wait, "wait", 3*time.Minute, "how long to wait for the server and the regions")
	f.DurationVar(&cfg.maxAge, "region-max-age", 30*time.Second, "max_age of the sync regions")
	return c
}

func (e *env) devSeed(ctx context.Context, cfg devSeedConfig) error {
	marker := filepath.Join(cfg.out, devSeedMarker)
	if _, err := os.Stat(marker); err == nil {
		fmt.Fprintf(e.stdout, "sealhub dev seed: already seeded (%s); nothing to do\n", marker)
		return nil
	}
	data, err := os.ReadFile(cfg.adminKey)
	if err != nil {
		return usageError("--admin-key: %v", err)
	}
	admin, err := smcrypto.ParsePrivateKeyPEM(data)
	if err != nil {
		return usageError("--admin-key %s: %v", cfg.adminKey, err)
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return usageError("--out: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.wait)
	defer cancel()
	server := strings.TrimSuffix(cfg.server, "/")
	var readyz struct{ Ready, Initialized bool }
	if err := waitJSON(ctx, server+"/readyz", &readyz, func() bool { return readyz.Ready && readyz.Initialized }); err != nil {
		return fmt.Errorf("sealhub dev seed: the server at %s is not ready: %w", server, err)
	}
	regions, err := e.seedRegions(ctx, cfg)
	if err != nil {
		return err
	}
	s, err := seed.Plan(seed.Options{Admin: admin, Seals: cfg.seals})
	if err != nil {
		return err
	}
	if err := planRegionSeals(s, regions, cfg.maxAge); err != nil {
		return err
	}
	c := client.New(server)
	if _, err := c.Registry(ctx, s.Registries[0].ID); err == nil {
		return usageError("sealhub dev seed: the cluster already holds registry %s but %s has no %s: it was seeded from elsewhere, or a run failed half way; start from empty volumes (docker-compose down -v)",
			s.Registries[0].ID, cfg.out, devSeedMarker)
	}
	// The keys go to disk before anything is pushed with them.
	files, err := s.WriteFiles(cfg.out)
	if err != nil {
		return err
	}
	for _, r := range regions {
		if err := r.writeFiles(cfg.out, files); err != nil {
			return err
		}
	}
	start := time.Now()
	if err := s.Push(ctx, c); err != nil {
		return fmt.Errorf("sealhub dev seed: %w", err)
	}
	if err := registerDevRegions(ctx, c, s, regions); err != nil {
		return fmt.Errorf("sealhub dev seed: %w", err)
	}
	e.printSeedSummary(server, cfg.out, s, files, regions, time.Since(start))
	info, err := json.MarshalIndent(map[string]any{"server": server, "seeded_at": time.Now().UTC().Format(time.RFC3339),
		"seals": len(s.Seals), "pushes": s.Pushes, "regions": cfg.regions}, "", "  ")
	if err != nil {
		return err
	}
	tmp := marker + ".tmp"
	if err := os.WriteFile(tmp, append(info, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, marker)
}

// seedRegions waits for each --region to answer GET /_sim/adapter and matches it to its spec.
func (e *env) seedRegions(ctx context.Context, cfg devSeedConfig) ([]*devRegion, error) {
	var out []*devRegion
	for _, u := range cfg.regions {
		u = strings.TrimSuffix(u, "/")
		var ready regionReady
		err := waitJSON(ctx, u+"/_sim/adapter", &ready, func() bool { return ready.Region != "" })
		if err != nil {
			return nil, fmt.Errorf("sealhub dev seed: region %s does not answer: %w", u, err)
		}
		var spec *devRegionSpec
		for i := range devRegionSpecs {
			if devRegionSpecs[i].id == ready.Region {
				spec = &devRegionSpecs[i]
			}
		}
		if spec == nil || spec.kind != ready.Kind {
			return nil, usageError("region %s is %s %q: the demo has 44 rest, 35 soap, 33 signed-json and 32 crl", u, ready.Kind, ready.Region)
		}
		for _, r := range out {
			if r.id == ready.Region {
				return nil, usageError("--region %s and --region %s are both region %s", r.ready.URL, u, r.id)
			}
		}
		out = append(out, &devRegion{devRegionSpec: *spec, ready: ready})
	}
	return out, nil
}

// planRegionSeals gives each region its key, maker certificate and seals (planDevRegions' work,
// for regions already running), keeping the ready answer each region gave.
func planRegionSeals(s *seed.Seeded, regions []*devRegion, maxAge time.Duration) error {
	for _, r := range regions {
		planned, err := planDevRegions(s, []string{r.id}, maxAge)
		if err != nil {
			return err
		}
		ready := r.ready
		*r = *planned[0]
		r.ready = ready
	}
	return nil
}

// waitJSON polls url until it answers 200 with JSON that decodes into out and ok accepts, or ctx
// ends.
func waitJSON(ctx context.Context, url string, out any, ok func() bool) error {
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			switch {
			case resp.StatusCode != http.StatusOK:
				last = fmt.Errorf("%s: %s", url, resp.Status)
			case json.Unmarshal(body, out) != nil || !ok():
				last = fmt.Errorf("%s: not yet: %.200s", url, body)
			default:
				return nil
			}
		} else {
			last = err
		}
		t := time.NewTimer(500 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(ctx.Err(), last)
		case <-t.C:
		}
	}
}

// printSeedSummary says what was filed and how to try it.
func (e *env) printSeedSummary(server, out string, s *seed.Seeded, files *seed.Files, regions []*devRegion, took time.Duration) {
	p := func(format string, args ...any) { fmt.Fprintf(e.stdout, format+"\n", args...) }
	p("sealhub dev seed: filed %d demo seals in %d signed pushes to %s (%s); files in %s (demo keys: never for production)",
		len(s.Seals), s.Pushes, server, took.Round(time.Millisecond), out)
	for _, r := range regions {
		p("  region %s %s: %s, %s at %s, %d seals", r.id, r.name, r.kind, r.mode, r.ready.URL, len(r.seals))
	}
	p("Try:")
	if v := validDERSeal(s); v != nil {
		p("  sealhub verify seal --server %s %s   # registry 37, pushed", server, filepath.Join(files.Seals, v.Code+".esl"))
	}
	for _, r := range regions {
		if code := r.firstCode(trustlist.StatusValid); code != "" {
			p("  sealhub verify seal --server %s %s   # region %s (%s, %s)", server, filepath.Join(files.Seals, code+".esl"), r.id, r.kind, r.mode)
		}
	}
	for _, k := range files.Keys {
		if k.Registry == "37" && files.ExamplePush != "" {
			p("  sealhub push --server %s --key %s --registry 37 %s   # suspends %s", server, k.Key, files.ExamplePush, files.ExampleCode)
		}
	}
}
