package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/sealhub/sealhub/internal/demo/seed"
	"github.com/sealhub/sealhub/trustlist"
)

// devSummary is what `sealhub dev` tells the user once the hub is seeded.
type devSummary struct {
	url     string
	dir     string
	removed bool // the data dir is removed on exit
	took    time.Duration
	seeded  *seed.Seeded
	files   *seed.Files
	regions []*devRegion // the simulated regions running; none when they could not be had
}

var stateLabels = []struct {
	state seed.State
	label string
}{
	{seed.StateValid, "valid"}, {seed.StateSuspended, "suspended (停用)"}, {seed.StateRestored, "restored (恢复)"},
	{seed.StateRevoked, "revoked (注销)"}, {seed.StateInvalidated, "invalidated (无效)"}, {seed.StateExpired, "expired"},
}

// printDevSummary prints where everything is and what to try.
func printDevSummary(w io.Writer, d devSummary) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("sealhub dev: a one-node hub with demo data (demo keys and CA: never for production)")
	p("  filed %d demo seals through the push API in %d signed pushes (%s)", len(d.seeded.Seals), d.seeded.Pushes, d.took.Round(time.Millisecond))
	p("")
	d.printFiles(p)
	p("")
	var counts []string
	for _, l := range stateLabels {
		counts = append(counts, fmt.Sprintf("%d %s", len(d.seeded.Codes(l.state)), l.label))
	}
	p("  seals: %s", strings.Join(counts, ", "))
	d.printRegions(p)
	p("")
	p("Try:")
	d.printExamples(p)
	d.printRegionExamples(p)
	p("")
	p("Ctrl-C stops the hub.")
}

// printFiles prints the URL and the files written.
func (d devSummary) printFiles(p func(string, ...any)) {
	s, f := d.seeded, d.files
	row := func(label, format string, args ...any) { p("  %-10s %s", label, fmt.Sprintf(format, args...)) }
	row("URL", "%s", d.url)
	keep := "kept on exit"
	if d.removed {
		keep = "removed on exit; --keep keeps it"
	}
	row("data dir", "%s  (%s)", d.dir, keep)
	for i, k := range f.Keys {
		label := ""
		if i == 0 {
			label = "keys"
		}
		who := "administrator"
		if r := s.Registry(k.Registry); r != nil {
			who = "registry " + r.ID + " " + r.Name
		}
		row(label, "%s, %s  %s", k.Key, filepath.Base(k.Pub), who)
	}
	row("CA certs", "%s, %s, %s  (demo root, intermediate, seal-maker certificates)", f.Roots, filepath.Base(f.Intermediates), filepath.Base(f.Makers))
	row("seal files", "%s  (%d SES_Seal files, filed from DER)", f.Seals, s.FromDER())
	if f.Ledger != "" {
		row("ledger", "%s  (%d seals of registry 37, not filed yet)", f.Ledger, len(s.Ledger))
	}
}

// printExamples prints commands to try against the hub: a status read at a past time and now, a
// push, an import and an offline verification.
func (d devSummary) printExamples(p func(string, ...any)) {
	s, f := d.seeded, d.files
	if codes := s.Codes(seed.StateSuspended); len(codes) > 0 {
		v := s.Seal(codes[0])
		suspended := v.Changes[0].At
		before := suspended.Add(-24 * time.Hour).UTC().Format(time.RFC3339)
		p("  curl -s '%s/v1/seals/%s?at=%s'   # valid then: suspended from %s", d.url, v.Code, before, suspended.Format("2006-01-02 15:04 MST"))
		p("  sealhub status %s --server %s", v.Code, d.url)
	}
	key := filepath.Join(d.dir, "registry-37.key")
	for _, k := range f.Keys {
		if k.Registry == "37" {
			key = k.Key
		}
	}
	if f.ExamplePush != "" {
		p("  sealhub push --server %s --key %s --registry 37 %s   # suspends %s", d.url, key, f.ExamplePush, f.ExampleCode)
	} else {
		p("  sealhub push --server %s --key %s --registry 37 FILE.json", d.url, key)
	}
	if f.Ledger != "" {
		p("  sealhub import --server %s --key %s --registry 37 %s", d.url, key, f.Ledger)
	}
	if v := validDERSeal(s); v != nil {
		esl := filepath.Join(f.Seals, v.Code+".esl")
		p("  curl -s --data-binary @%s -H 'Content-Type: application/octet-stream' %s/v1/verify/seal   # online, with a signed receipt", esl, d.url)
		p("  sealhub verify seal --server %s --json %s > report.json && sealhub receipt verify report.json --server %s", d.url, esl, d.url)
		p("  sealhub verify seal --roots %s --intermediates %s --makers %s %s   # offline", f.Roots, f.Intermediates, f.Makers, esl)
	}
}

// validDERSeal is a seal filed from DER and valid now, or nil.
func validDERSeal(s *seed.Seeded) *seed.Seal {
	for _, v := range s.Seals {
		if v.DER != nil && v.State == seed.StateValid {
			return v
		}
	}
	return nil
}

// printRegions prints the simulated regions: id, kind, mode, URL and process, and what they hold.
func (d devSummary) printRegions(p func(string, ...any)) {
	if len(d.regions) == 0 {
		return
	}
	p("")
	for i, r := range d.regions {
		label := ""
		if i == 0 {
			label = "regions"
		}
		p("  %-10s %s %s  %s, %-4s  %s  pid %d  log %s", label, r.id, r.name, r.kind, r.mode, r.ready.URL, r.cmd.Process.Pid, filepath.Base(r.logPath))
	}
	p("  %-10s simulated regional services (fakeregion), each holding %d seals (valid, suspended 停用, revoked 注销) listed in region-<id>-seals.json;", "", len(d.regions[0].seals))
	p("  %-10s nothing of theirs is pushed: the hub asks a live region per query and reads a sync region's signed list into the log", "")
}

// printRegionExamples prints a verification of a valid seal of each region, where to see a
// region's health, and how to stop each region.
func (d devSummary) printRegionExamples(p func(string, ...any)) {
	for _, r := range d.regions {
		how := fmt.Sprintf("asked live (ttl %v)", r.extra["ttl"])
		if r.mode == trustlist.ModeSync {
			how = fmt.Sprintf("synced from its signed list every %v", r.extra["poll"])
		}
		if code := r.firstCode(trustlist.StatusValid); code != "" {
			p("  sealhub verify seal --server %s %s   # region %s, %s: valid", d.url, filepath.Join(d.files.Seals, code+".esl"), r.id, how)
		}
	}
	if len(d.regions) > 0 {
		r := d.regions[0]
		p("  curl -s %s/v1/registries/%s   # the region's mode, adapter and health as the hub sees it", d.url, r.id)
	}
	for _, r := range d.regions {
		after := fmt.Sprintf("once its ttl of %v has passed", r.extra["ttl"])
		if r.mode == trustlist.ModeSync {
			after = fmt.Sprintf("once its data is older than its max_age of %v", r.extra["max_age"])
		}
		p("  curl -s -X PUT %s/_sim/faults -d '{\"error_rate\":1}'   # stop region %s (or: kill %d); %s its seals verify indeterminate (REGION_UNAVAILABLE), never valid; -d '{}' restores it",
			r.ready.URL, r.id, r.cmd.Process.Pid, after)
	}
}
