package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/internal/demo"
	"github.com/sealhub/sealhub/internal/demo/seed"
	"github.com/sealhub/sealhub/internal/ledger"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/sealcode"
	"github.com/sealhub/sealhub/trustlist/ses"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// `sealhub dev` runs two simulated regions as subprocesses of the fakeregion command
// (test/fakeregion/cmd/fakeregion, never imported here): province 44 answered live through the rest
// adapter, province 32 synced from its signed list through the crl adapter. Their seals are held by
// the regions, not pushed: the hub learns of them only through the adapters.

// fakeRegionPkg is the simulator command, built from this module when no binary is found.
const fakeRegionPkg = "github.com/sealhub/sealhub/test/fakeregion/cmd/fakeregion"

// regionSeal is a seal as POST /_sim/seals takes it.
type regionSeal struct {
	Code        string           `json:"code"`
	Status      trustlist.Status `json:"status"`
	EffectiveAt time.Time        `json:"effective_at"`
	Name        string           `json:"name"`
	Type        int              `json:"type"`
	OwnerName   string           `json:"owner_name"`
	OwnerUSCC   string           `json:"owner_uscc"`
	ValidStart  time.Time        `json:"valid_start"`
	ValidEnd    time.Time        `json:"valid_end"`
}

// regionReady is the line the fakeregion command prints once it listens.
type regionReady struct {
	Kind            string               `json:"kind"`
	Region          string               `json:"region"`
	URL             string               `json:"url"`
	CredentialsName string               `json:"credentials_name"`
	Credentials     adapters.Credentials `json:"credentials"`
	Adapter         json.RawMessage      `json:"adapter"`
}

// devRegion is one simulated region: its registry's key and maker certificate, its seals (as SES_Seal
// DER and as the region holds them), and its process once started.
type devRegion struct {
	devRegionSpec
	extra   map[string]any // merged into the adapter configuration: ttl, poll, max_age …
	key     *sm2.PrivateKey
	maker   *demo.Authority
	der     map[string][]byte // by code
	seals   []regionSeal
	logPath string

	cmd   *exec.Cmd
	stdin io.Closer // closing it stops the region (--stop-with-stdin)
	done  chan struct{}
	ready regionReady
}

// planDevRegions makes the registry keys, maker certificates (from the demo PKI) and seals of the
// regions with the given ids.
func planDevRegions(s *seed.Seeded, ids []string, maxAge time.Duration) ([]*devRegion, error) {
	var out []*devRegion
	for _, spec := range devRegionSpecs {
		if !slices.Contains(ids, spec.id) {
			continue
		}
		r := &devRegion{devRegionSpec: spec, der: map[string][]byte{}, extra: map[string]any{"ttl": "5s", "timeout": "2s"}}
		if spec.mode == trustlist.ModeSync {
			r.extra = map[string]any{"poll": "1s", "max_age": maxAge.String(), "timeout": "5s"}
		}
		var err error
		if r.key, err = smcrypto.GenerateKey(); err != nil {
			return nil, err
		}
		epoch := s.PKI.Epoch
		if r.maker, err = s.PKI.Issue(s.PKI.Intermediate, demo.CertSpec{
			Subject:   demo.Subject(spec.name+"电子印章制作系统", spec.name+"公安厅", spec.name),
			NotBefore: epoch, NotAfter: epoch.AddDate(20, 0, 0),
		}); err != nil {
			return nil, err
		}
		for i, ss := range spec.seals {
			if err := r.planSeal(s, i, ss); err != nil {
				return nil, fmt.Errorf("region %s: %w", spec.id, err)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// planSeal makes the i-th seal: an SES_Seal (V4) by the region's maker, and the region's record of
// it, whose name, type and validity are read back from the seal.
func (r *devRegion) planSeal(s *seed.Seeded, i int, ss devRegionSealSpec) error {
	code := fmt.Sprintf("%s%08d", ss.division, 90000001+i) // far above the demo's own sequences
	uscc, err := demoUSCC(ss.division, i)
	if err != nil {
		return err
	}
	now := s.Now.In(ledger.Zone)
	start := time.Date(now.Year(), now.Month(), now.Day()-200-90*i, 0, 0, 0, 0, ledger.Zone)
	end := start.AddDate(3+2*(i%2), 0, 0).Add(-time.Second)
	signer, err := s.PKI.Issue(s.PKI.Intermediate, demo.CertSpec{
		Subject: demo.Subject(code, uscc+ss.owner, ""), NotBefore: start.Add(-time.Hour), NotAfter: end.AddDate(0, 0, 30),
	})
	if err != nil {
		return err
	}
	der, err := s.PKI.Seal(demo.SealSpec{Version: 4, ESID: code, Name: ss.owner + ss.suffix, Type: ss.kind, Vid: "SEALHUB.DEMO",
		CreateDate: start, ValidStart: start, ValidEnd: end, Maker: r.maker, Signers: []*demo.Authority{signer}})
	if err != nil {
		return err
	}
	made, err := ses.ParseSeal(der)
	if err != nil {
		return err
	}
	effective := made.ValidStart
	switch ss.status {
	case trustlist.StatusSuspended:
		effective = start.AddDate(0, 0, 60).Add(10 * time.Hour)
	case trustlist.StatusRevoked:
		effective = start.AddDate(0, 0, 90).Add(15*time.Hour + 30*time.Minute)
	}
	r.der[code] = der
	r.seals = append(r.seals, regionSeal{Code: code, Status: ss.status, EffectiveAt: effective.UTC(), Name: made.Name, Type: made.Type,
		OwnerName: ss.owner, OwnerUSCC: uscc, ValidStart: made.ValidStart.UTC(), ValidEnd: made.ValidEnd.UTC()})
	return nil
}

// demoUSCC is a valid 统一社会信用代码 of a public body in division, the i-th of the region's.
func demoUSCC(division string, i int) (string, error) {
	body := fmt.Sprintf("MB%06d", 190000+37*i)
	orgCheck, err := sealcode.ComputeOrgCodeCheck(body)
	if err != nil {
		return "", err
	}
	first17 := "11" + division + body + string(orgCheck)
	check, err := sealcode.ComputeUSCCCheck(first17)
	return first17 + string(check), err
}

// firstCode is the code of the region's first seal in status st, or "".
func (r *devRegion) firstCode(st trustlist.Status) string {
	for _, v := range r.seals {
		if v.Status == st {
			return v.Code
		}
	}
	return ""
}

// fakeRegionBinary finds the fakeregion command: next to this executable, else on PATH, else built
// from this module into dir/bin when the go tool is on PATH and the working directory is inside the
// module.
func (e *env) fakeRegionBinary(ctx context.Context, dir string) (string, error) {
	name := "fakeregion"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	if p, err := exec.LookPath("fakeregion"); err == nil {
		return p, nil
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("no fakeregion command beside sealhub or on PATH, and no go tool to build one")
	}
	root, err := sealhubModuleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "bin", name)
	fmt.Fprintf(e.stderr, "sealhub dev: building the region simulator: go build -o %s %s\n", out, fakeRegionPkg)
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", out, fakeRegionPkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", fakeRegionPkg, err, b)
	}
	return out, nil
}

// sealhubModuleRoot is the directory of the go.mod of module github.com/sealhub/sealhub that holds
// the working directory.
func sealhubModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil {
			for _, line := range strings.Split(string(data), "\n") {
				if f := strings.Fields(line); len(f) == 2 && f[0] == "module" && strings.Trim(f[1], `"`) == "github.com/sealhub/sealhub" {
					return dir, nil
				}
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no fakeregion command beside sealhub or on PATH, and the working directory is not inside the sealhub module to build one")
		}
		dir = parent
	}
}

// start runs the region's simulator and reads its ready line; its log goes to dir/region-<id>.log
// (and to logs, when not nil).
func (r *devRegion) start(ctx context.Context, bin, dir string, logs io.Writer) (err error) {
	r.logPath = filepath.Join(dir, "region-"+r.id+".log")
	logFile, err := os.OpenFile(r.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child holds its own descriptor
	args := []string{"--kind", r.kind, "--region", r.id, "--seed", "1", "--stop-with-stdin"}
	if r.latency > 0 {
		args = append(args, "--latency", r.latency.String())
	}
	r.cmd = exec.Command(bin, args...)
	r.cmd.Stderr = logFile
	if logs != nil {
		r.cmd.Stderr = io.MultiWriter(logFile, logs)
	}
	if r.stdin, err = r.cmd.StdinPipe(); err != nil {
		return err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer outR.Close()
	r.cmd.Stdout = outW
	err = r.cmd.Start()
	outW.Close()
	if err != nil {
		return fmt.Errorf("region %s: %w", r.id, err)
	}
	r.done = make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(r.done) }()
	line := make(chan []byte, 1)
	go func() { b, _ := bufio.NewReader(outR).ReadBytes('\n'); line <- b }()
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	select {
	case b := <-line:
		if err := json.Unmarshal(b, &r.ready); err != nil || r.ready.URL == "" {
			return fmt.Errorf("region %s did not start (see %s): ready line %q", r.id, r.logPath, b)
		}
		return nil
	case <-timeout.C:
		return fmt.Errorf("region %s did not start within 30 s (see %s)", r.id, r.logPath)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop ends the region's process: SIGTERM, then a kill after 5 s. It is safe to call on a region
// never started or already stopped.
func (r *devRegion) stop() {
	if r.cmd == nil || r.done == nil {
		return
	}
	select {
	case <-r.done:
		return
	default:
	}
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		_ = r.cmd.Process.Kill() // no SIGTERM on this system
	}
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	select {
	case <-r.done:
	case <-t.C:
		_ = r.cmd.Process.Kill()
		<-r.done
	}
	_ = r.stdin.Close()
}

// adapter is the region's adapter configuration as the registry gets it.
func (r *devRegion) adapter() (json.RawMessage, error) {
	var c map[string]any
	if err := json.Unmarshal(r.ready.Adapter, &c); err != nil {
		return nil, fmt.Errorf("region %s: adapter configuration: %w", r.id, err)
	}
	for k, v := range r.extra {
		c[k] = v
	}
	return json.Marshal(c)
}

// startDevRegions plans the regions and starts their simulators; nil (after one warning) when the
// simulator cannot be had. On an error the regions already started are stopped.
func (e *env) startDevRegions(ctx context.Context, cfg devConfig, dir string, s *seed.Seeded) ([]*devRegion, error) {
	bin, err := e.fakeRegionBinary(ctx, dir)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		fmt.Fprintf(e.stderr, "sealhub dev: WARNING: running without the simulated regions 44 and 32: %v\n", err)
		return nil, nil
	}
	regions, err := planDevRegions(s, devLocalRegions, cfg.regionMaxAge)
	if err != nil {
		return nil, err
	}
	var logs io.Writer
	if cfg.verbose {
		logs = e.stderr
	}
	for i, r := range regions {
		if err := r.start(ctx, bin, dir, logs); err != nil {
			stopDevRegions(regions[:i+1])
			return nil, err
		}
	}
	return regions, nil
}

// stopDevRegions stops every region's process.
func stopDevRegions(regions []*devRegion) {
	for _, r := range regions {
		r.stop()
	}
}

// regionCredentials are the credentials the hub needs for the regions, by name.
func regionCredentials(regions []*devRegion) map[string]adapters.Credentials {
	out := map[string]adapters.Credentials{}
	for _, r := range regions {
		out[r.ready.CredentialsName] = r.ready.Credentials
	}
	return out
}

// registerDevRegions creates the regions' registries the way a province joins: in push mode, with
// its maker certificate (which chains to the demo CA already trusted), then the administrator's
// registry.update to its mode with its adapter. The seals go to the regions, never into a push.
func registerDevRegions(ctx context.Context, c *client.Client, s *seed.Seeded, regions []*devRegion) error {
	admin := client.Signer{Registry: trustlist.AdminID, Key: s.Admin}
	var create, update []trustlist.Op
	for _, r := range regions {
		pub, err := smcrypto.MarshalPublicKeyPEM(&r.key.PublicKey)
		if err != nil {
			return err
		}
		create = append(create, trustlist.Op{Op: trustlist.OpRegistryCreate, RegistrySpec: &trustlist.RegistrySpec{
			ID: r.id, Name: r.name, Kind: trustlist.KindProvince, Jurisdiction: []string{r.id}, Keys: []trustlist.KeySpec{{PublicKey: string(pub)}},
		}})
		adapter, err := r.adapter()
		if err != nil {
			return err
		}
		update = append(update, trustlist.Op{Op: trustlist.OpRegistryUpdate, RegistrySpec: &trustlist.RegistrySpec{ID: r.id, Mode: r.mode, Adapter: adapter}})
	}
	if _, err := c.Push(ctx, admin, create); err != nil {
		return fmt.Errorf("creating the regions' registries: %w", err)
	}
	for _, r := range regions {
		if _, err := c.Push(ctx, client.Signer{Registry: r.id, Key: r.key}, []trustlist.Op{{Op: trustlist.OpMakerAdd, Cert: r.maker.DER}}); err != nil {
			return fmt.Errorf("registry %s: its maker certificate: %w", r.id, err)
		}
		if err := r.seed(ctx); err != nil {
			return err
		}
	}
	if _, err := c.Push(ctx, admin, update); err != nil {
		return fmt.Errorf("switching the regions' registries to live and sync: %w", err)
	}
	return nil
}

// seed gives the region its seals through its control API.
func (r *devRegion) seed(ctx context.Context) error {
	body, err := json.Marshal(r.seals)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.ready.URL+"/_sim/seals", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("region %s: seeding its seals: %w", r.id, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return fmt.Errorf("region %s: seeding its seals: %s: %s", r.id, resp.Status, b)
	}
	return nil
}

// writeFiles writes the region's seals (<code>.esl beside the demo's), its maker certificate and
// region-<id>-seals.json (what the region was seeded with, as fakeregion --seals takes it).
func (r *devRegion) writeFiles(dir string, f *seed.Files) error {
	for code, der := range r.der {
		if err := os.WriteFile(filepath.Join(f.Seals, code+".esl"), der, 0o644); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(f.Makers, "maker-"+r.id+".pem"), r.maker.PEM(), 0o644); err != nil {
		return err
	}
	data, err := json.MarshalIndent(r.seals, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(r.sealsPath(dir), append(data, '\n'), 0o644)
}

func (r *devRegion) sealsPath(dir string) string {
	return filepath.Join(dir, "region-"+r.id+"-seals.json")
}
