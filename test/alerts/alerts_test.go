package alerts

import (
	"errors"
	"github.com/sealhub/sealhub/test/hubtest"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/sealhub/sealhub/internal/hub"
)

const (
	rulesFile     = "../../deploy/prometheus/alerts.yml"
	rulesTestFile = "../../deploy/prometheus/alerts_test.yml"
	operationsDoc = "../../docs/operations.md"
)

// targetLabels are added by Prometheus (job, instance) or by the scrape
// configuration (cluster), not exported by the node.
var targetLabels = []string{"job", "instance", "cluster"}

// scrapeOnly are series Prometheus makes itself for each target.
var scrapeOnly = []string{"up"}

// requiredAnchors are the docs/operations.md sections the rules must point to.
var requiredAnchors = []string{"no-leader", "leader-contact", "applied-lag", "elections", "snapshots", "freelist", "quorum"}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func loadRules(t *testing.T) []rule {
	t.Helper()
	data, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	if err := yaml.UnmarshalWithOptions(data, &f, yaml.Strict()); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	if len(f.Groups) != 1 || f.Groups[0].Name != "sealhub-cluster" {
		t.Fatalf("%s: want exactly one group, sealhub-cluster", rulesFile)
	}
	return f.Groups[0].Rules
}

// exported is what a node's /metrics offers: for each sample name (a
// histogram's name_bucket, name_sum and name_count included), the labels
// and the values each label takes.
type exported map[string]map[string][]string

func (e exported) add(name string, labels []*dto.LabelPair, extra ...string) {
	m := e[name]
	if m == nil {
		m = map[string][]string{}
		e[name] = m
	}
	for _, l := range labels {
		if !slices.Contains(m[l.GetName()], l.GetValue()) {
			m[l.GetName()] = append(m[l.GetName()], l.GetValue())
		}
	}
	for _, l := range extra {
		if _, ok := m[l]; !ok {
			m[l] = nil
		}
	}
}

func parseExposition(t *testing.T, r io.Reader) exported {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	families, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	e := exported{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			switch f.GetType() {
			case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
				e.add(name+"_bucket", m.GetLabel(), "le")
				e.add(name+"_sum", m.GetLabel())
				e.add(name+"_count", m.GetLabel())
			case dto.MetricType_SUMMARY:
				e.add(name, m.GetLabel(), "quantile")
				e.add(name+"_sum", m.GetLabel())
				e.add(name+"_count", m.GetLabel())
			default:
				e.add(name, m.GetLabel())
			}
		}
	}
	return e
}

// startHub opens a one-node hub and makes it count one API request and one
// rejected push, so that the HTTP and ingest counters have series.
func startHub(t *testing.T) string {
	t.Helper()
	h := hubtest.Open(t, hub.Config{NodeID: "n1", Bootstrap: true}, 20*time.Second)
	get(t, h.URL()+"/healthz")
	resp, err := http.Post(h.URL()+"/v1/updates", "application/json", strings.NewReader(`{"not":"a push"}`))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnauthorized {
		t.Logf("garbage push answered %d", resp.StatusCode)
	}
	return h.URL()
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return body
}

var (
	metricName = regexp.MustCompile(`\bsealhub_[a-z0-9_]+\b|\bup\b`)
	selector   = regexp.MustCompile(`\b(sealhub_[a-z0-9_]+|up)\s*\{([^}]*)\}`)
	matcher    = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"`)
	grouping   = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)`)
)

// TestRulesUseExportedMetrics scrapes a running node and checks every metric
// name, matcher and grouping label in the rules against what it exports.
func TestRulesUseExportedMetrics(t *testing.T) {
	rules := loadRules(t)
	url := startHub(t)

	e := scrapeUntil(t, url, []string{"sealhub_http_requests_total", "sealhub_ingest_pushes_total"}, 10*time.Second)

	for _, r := range rules {
		t.Run(r.Alert, func(t *testing.T) {
			checkExpr(t, r.Expr, e)
		})
	}
}

// scrapeUntil scrapes the node's /metrics until every metric in need is exported or timeout has
// passed (saying which are still missing), and returns the last scrape: counters are written after
// the responses that move them, and the sync loop runs on its own.
func scrapeUntil(t *testing.T, url string, need []string, timeout time.Duration) exported {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		e := parseExposition(t, strings.NewReader(string(get(t, url+"/metrics"))))
		missing := slices.DeleteFunc(slices.Clone(need), func(n string) bool { return e[n] != nil })
		if len(missing) == 0 {
			return e
		}
		if time.Now().After(deadline) {
			t.Logf("still not exported after %s: %v", timeout, missing)
			return e
		}
		time.Sleep(20 * time.Millisecond) // poll against the deadline
	}
}

func checkExpr(t *testing.T, expr string, e exported) {
	t.Helper()
	used := map[string]bool{}
	for _, name := range metricName.FindAllString(expr, -1) {
		used[name] = true
		if _, ok := e[name]; !ok && !slices.Contains(scrapeOnly, name) {
			t.Errorf("%s is not exported by the node", name)
		}
	}
	if len(used) == 0 {
		t.Errorf("expression uses no sealhub metric: %s", expr)
	}
	for _, sel := range selector.FindAllStringSubmatch(expr, -1) {
		name := sel[1]
		labels, ok := e[name]
		if !ok {
			continue // reported above, or a Prometheus series
		}
		for _, m := range matcher.FindAllStringSubmatch(sel[2], -1) {
			label, op, value := m[1], m[2], m[3]
			values, has := labels[label]
			switch {
			case slices.Contains(targetLabels, label):
			case !has:
				t.Errorf("%s has no label %q", name, label)
			case op == "=" && !slices.Contains(values, value):
				t.Errorf("%s{%s=%q}: the node exports %s only with %q", name, label, value, label, values)
			}
		}
	}
	for _, g := range grouping.FindAllStringSubmatch(expr, -1) {
		for _, label := range strings.Split(g[1], ",") {
			label = strings.TrimSpace(label)
			if label == "" || slices.Contains(targetLabels, label) {
				continue
			}
			found := false
			for name := range used {
				if _, ok := e[name][label]; ok {
					found = true
				}
			}
			if !found {
				t.Errorf("grouping label %q is on none of the metrics the expression uses", label)
			}
		}
	}
}

// TestRuleForm checks what promtool does not: every rule is an alert with
// a for, a severity, a summary, a description and a runbook section.
func TestRuleForm(t *testing.T) {
	anchor := regexp.MustCompile(`^docs/operations\.md#([a-z0-9-]+)$`)
	used := map[string]bool{}
	names := map[string]bool{}
	for _, r := range loadRules(t) {
		if r.Alert == "" {
			t.Errorf("rule %q is not an alert", r.Record)
			continue
		}
		if names[r.Alert] {
			t.Errorf("%s: defined twice", r.Alert)
		}
		names[r.Alert] = true
		if _, err := model.ParseDuration(r.For); err != nil {
			t.Errorf("%s: for %q: %v", r.Alert, r.For, err)
		}
		if s := r.Labels["severity"]; s != "warning" && s != "critical" {
			t.Errorf("%s: severity %q, want warning or critical", r.Alert, s)
		}
		for _, a := range []string{"summary", "description"} {
			if strings.TrimSpace(r.Annotations[a]) == "" {
				t.Errorf("%s: no %s", r.Alert, a)
			}
		}
		m := anchor.FindStringSubmatch(r.Annotations["runbook_url"])
		if m == nil {
			t.Errorf("%s: runbook_url %q, want docs/operations.md#section", r.Alert, r.Annotations["runbook_url"])
			continue
		}
		used[m[1]] = true
	}
	for _, a := range requiredAnchors {
		if !used[a] {
			t.Errorf("no rule points to docs/operations.md#%s", a)
		}
	}
	checkAnchorsDocumented(t, used)
}

// checkAnchorsDocumented checks that docs/operations.md has a heading for
// every runbook section, once that document exists.
func checkAnchorsDocumented(t *testing.T, used map[string]bool) {
	t.Helper()
	doc, err := os.ReadFile(operationsDoc)
	if errors.Is(err, os.ErrNotExist) {
		t.Logf("%s does not exist yet: runbook sections not checked", operationsDoc)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	headings := map[string]bool{}
	strip := regexp.MustCompile(`[^\p{L}\p{N} _-]`)
	for _, line := range strings.Split(string(doc), "\n") {
		if h, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " "); ok && strings.HasPrefix(line, "#") {
			slug := strings.ReplaceAll(strings.ToLower(strip.ReplaceAllString(strings.TrimSpace(h), "")), " ", "-")
			headings[slug] = true
		}
	}
	for a := range used {
		if !headings[a] {
			t.Errorf("%s has no heading for #%s", operationsDoc, a)
		}
	}
}

// TestPromtool runs promtool's syntax check and the rule unit tests in
// deploy/prometheus/alerts_test.yml when promtool is installed.
func TestPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian: apt-get install prometheus)")
	}
	for _, args := range [][]string{
		{"check", "rules", filepath.Base(rulesFile)},
		{"test", "rules", filepath.Base(rulesTestFile)},
	} {
		cmd := exec.CommandContext(t.Context(), promtool, args...)
		cmd.Dir = filepath.Dir(rulesFile)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
