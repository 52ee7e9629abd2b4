package alerts

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

const dashboardFile = "../../deploy/grafana/sealhub-cluster.json"

// dashboardDS is the data source every panel and query variable names: the dashboard's own
// datasource variable, so the file works both imported by hand and provisioned from disk.
const dashboardDS = "${DS_PROMETHEUS}"

// The parts of a Grafana dashboard the checks read; Grafana's other fields are left alone.
type dashboard struct {
	UID           string `json:"uid"`
	Title         string `json:"title"`
	SchemaVersion int    `json:"schemaVersion"`
	Templating    struct {
		List []dashVariable `json:"list"`
	} `json:"templating"`
	Panels []dashPanel `json:"panels"`
}

type dashVariable struct {
	Name       string       `json:"name"`
	Type       string       `json:"type"`
	Definition string       `json:"definition"`
	Query      any          `json:"query"` // a string for a datasource variable, an object for a query
	Datasource *dashDatasrc `json:"datasource"`
	Multi      bool         `json:"multi"`
	IncludeAll bool         `json:"includeAll"`
	Options    []any        `json:"options"`
}

type dashDatasrc struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type dashPanel struct {
	ID         int          `json:"id"`
	Type       string       `json:"type"`
	Title      string       `json:"title"`
	Repeat     string       `json:"repeat"`
	Datasource *dashDatasrc `json:"datasource"`
	GridPos    struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []struct {
		RefID      string       `json:"refId"`
		Expr       string       `json:"expr"`
		Datasource *dashDatasrc `json:"datasource"`
	} `json:"targets"`
	Panels []dashPanel `json:"panels"` // a collapsed row's panels
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

// allPanels flattens collapsed rows.
func (d dashboard) allPanels() []dashPanel {
	var out []dashPanel
	for _, p := range d.Panels {
		out = append(out, p)
		out = append(out, p.Panels...)
	}
	return out
}

// labelValues is a query variable's PromQL: label_values(SELECTOR, LABEL).
var labelValues = regexp.MustCompile(`^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$`)

// variableRef finds $name and ${name} (Grafana's own $__ variables included).
var variableRef = regexp.MustCompile(`\$\{?([a-zA-Z_][a-zA-Z0-9_]*)`)

// TestDashboardForm checks the dashboard's structure: what Grafana needs to import it and what
// an operator relies on — the template variables, one data source, the rows, a layout without
// overlaps, and every panel's queries filtered by job and node.
func TestDashboardForm(t *testing.T) {
	d := loadDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("uid %q, title %q: both needed for provisioning", d.UID, d.Title)
	}
	if d.SchemaVersion < 36 {
		t.Errorf("schemaVersion %d, want at least 36 (Grafana 9)", d.SchemaVersion)
	}
	vars := map[string]dashVariable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if ds := vars["DS_PROMETHEUS"]; ds.Type != "datasource" || ds.Query != "prometheus" {
		t.Errorf("variable DS_PROMETHEUS: %+v, want a datasource variable of type prometheus", ds)
	}
	for _, name := range []string{"job", "instance", "region"} {
		v, ok := vars[name]
		switch {
		case !ok:
			t.Errorf("no template variable %q", name)
		case v.Type != "query" || v.Datasource == nil || v.Datasource.UID != dashboardDS || !labelValues.MatchString(v.Definition):
			t.Errorf("variable %s: want a label_values query on %s, got %+v", name, dashboardDS, v)
		case name != "job" && (!v.Multi || !v.IncludeAll):
			t.Errorf("variable %s: want multi-value with All", name)
		case len(v.Options) != 0:
			t.Errorf("variable %s: stored options %v; they are read from Prometheus", name, v.Options)
		}
	}
	ids := map[int]bool{}
	rows := map[string]dashPanel{}
	var region *dashPanel
	for _, p := range d.allPanels() {
		name := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if p.ID <= 0 || ids[p.ID] {
			t.Errorf("%s: id missing or used twice", name)
		}
		ids[p.ID] = true
		if g := p.GridPos; g.W <= 0 || g.H <= 0 || g.X < 0 || g.Y < 0 || g.X+g.W > 24 {
			t.Errorf("%s: gridPos %+v outside the 24-column grid", name, g)
		}
		for _, ref := range variableRef.FindAllStringSubmatch(p.Title+" "+p.Repeat, -1) {
			checkVariable(t, name, ref[1], vars)
		}
		if p.Repeat != "" {
			checkVariable(t, name, p.Repeat, vars)
		}
		if p.Type == "row" {
			rows[strings.Fields(p.Title)[0]] = p
			region = nil
			if p.Repeat == "region" {
				region = &p
			}
			continue
		}
		checkPanelQueries(t, name, p, vars, region != nil)
	}
	for _, want := range []string{"Cluster", "Pushes", "Verifications", "Region"} {
		if _, ok := rows[want]; !ok {
			t.Errorf("no row %q…", want)
		}
	}
	if r := rows["Region"]; r.Repeat != "region" {
		t.Errorf("the Region row repeats by %q, want region (one row per region)", r.Repeat)
	}
	checkOverlaps(t, d.Panels)
}

// checkPanelQueries checks one panel's data source and queries. Every sealhub selector must
// filter by the job and node variables, and, in the repeated region row, by the region (region
// on adapter metrics, registry on sync metrics), or a repeated row would show every region.
func checkPanelQueries(t *testing.T, name string, p dashPanel, vars map[string]dashVariable, inRegion bool) {
	t.Helper()
	if p.Datasource == nil || p.Datasource.UID != dashboardDS {
		t.Errorf("%s: datasource %+v, want uid %s", name, p.Datasource, dashboardDS)
	}
	if len(p.Targets) == 0 {
		t.Errorf("%s: no queries", name)
	}
	refs := map[string]bool{}
	for _, q := range p.Targets {
		if q.RefID == "" || refs[q.RefID] || strings.TrimSpace(q.Expr) == "" {
			t.Errorf("%s: query %q: empty, or its refId missing or repeated", name, q.RefID)
		}
		refs[q.RefID] = true
		if q.Datasource != nil && q.Datasource.UID != dashboardDS {
			t.Errorf("%s/%s: datasource %+v", name, q.RefID, q.Datasource)
		}
		for _, ref := range variableRef.FindAllStringSubmatch(q.Expr, -1) {
			checkVariable(t, name, ref[1], vars)
		}
		for _, sel := range selector.FindAllStringSubmatch(q.Expr, -1) {
			if !strings.Contains(sel[2], `job=~"$job"`) {
				t.Errorf("%s/%s: %s{%s} does not filter by job", name, q.RefID, sel[1], sel[2])
			}
			byRegion := strings.Contains(sel[2], `region=~"$region"`) || strings.Contains(sel[2], `registry=~"$region"`)
			if inRegion != byRegion {
				t.Errorf("%s/%s: %s{%s}: filtered by region %v, in the region row %v", name, q.RefID, sel[1], sel[2], byRegion, inRegion)
			}
		}
		if n, s := len(metricName.FindAllString(q.Expr, -1)), len(selector.FindAllString(q.Expr, -1)); n != s {
			t.Errorf("%s/%s: %d metric names but %d with a selector: every one needs {job=~\"$job\", …}", name, q.RefID, n, s)
		}
	}
}

// checkVariable reports a reference to a variable the dashboard does not define.
func checkVariable(t *testing.T, where, name string, vars map[string]dashVariable) {
	t.Helper()
	if _, ok := vars[name]; !ok && !strings.HasPrefix(name, "__") {
		t.Errorf("%s: uses $%s, which is not a template variable", where, name)
	}
}

// checkOverlaps reports panels drawn over each other (a row's panels follow it in the list).
func checkOverlaps(t *testing.T, panels []dashPanel) {
	t.Helper()
	for i, a := range panels {
		for _, b := range panels[i+1:] {
			ga, gb := a.GridPos, b.GridPos
			if ga.X < gb.X+gb.W && gb.X < ga.X+ga.W && ga.Y < gb.Y+gb.H && gb.Y < ga.Y+ga.H {
				t.Errorf("panels %d %q and %d %q overlap", a.ID, a.Title, b.ID, b.Title)
			}
		}
	}
}

// TestDashboardUsesExportedMetrics scrapes a node that has served live and sync regions,
// verifications and pushes, and checks every query of the dashboard — panels and template
// variables — the way the alert rules are checked: each metric name, label matcher and grouping
// label must be one the node exports.
func TestDashboardUsesExportedMetrics(t *testing.T) {
	d := loadDashboard(t)
	type query struct{ name, expr string }
	var queries []query
	for _, v := range d.Templating.List {
		if m := labelValues.FindStringSubmatch(v.Definition); m != nil {
			queries = append(queries, query{"variable " + v.Name, m[1]})
			queries = append(queries, query{"variable " + v.Name + " label", fmt.Sprintf("count by (%s) (%s)", m[2], m[1])})
		}
	}
	for _, p := range d.allPanels() {
		for _, q := range p.Targets {
			queries = append(queries, query{fmt.Sprintf("%d %s/%s", p.ID, p.Title, q.RefID), q.Expr})
		}
	}
	var need []string
	for _, q := range queries {
		for _, n := range metricName.FindAllString(q.expr, -1) {
			if !slices.Contains(need, n) {
				need = append(need, n)
			}
		}
	}

	url := startRegionalHub(t)
	e := scrapeUntil(t, url, need, 20*time.Second)
	for _, q := range queries {
		t.Run(q.name, func(t *testing.T) {
			checkExpr(t, q.expr, e)
		})
	}
}
