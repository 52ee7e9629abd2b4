package deploy

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	// The root package of k8s.io/api is documentation only. Importing it keeps the module in go.mod
	// and in the module cache, where its testdata holds the schema the manifests are checked against.
	_ "k8s.io/api"
	"sigs.k8s.io/yaml"
)

const (
	k8sDir        = "../../deploy/k8s"
	templatesDir  = "../../deploy/k8s/templates"
	kustomization = "kustomization.yaml"
)

// manifest is one YAML document of deploy/k8s: its identity, its JSON and where it came from.
type manifest struct {
	file       string // relative to deploy/k8s
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	json []byte
}

func (m manifest) String() string { return fmt.Sprintf("%s %s/%s", m.file, m.Kind, m.Metadata.Name) }

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// parseManifests splits YAML into documents and converts each to JSON, refusing duplicate keys.
func parseManifests(t *testing.T, file string, data []byte) []manifest {
	t.Helper()
	var out []manifest
	for _, doc := range docSeparator.Split(string(data), -1) {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		js, err := yaml.YAMLToJSONStrict([]byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		m := manifest{file: file, json: js}
		if err := json.Unmarshal(js, &m); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out = append(out, m)
	}
	return out
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// loadManifests reads every manifest of deploy/k8s (kustomization.yaml aside) and, when templates
// is set, of deploy/k8s/templates too.
func loadManifests(t *testing.T, templates bool) []manifest {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	if templates {
		more, _ := filepath.Glob(filepath.Join(templatesDir, "*.yaml"))
		files = append(files, more...)
	}
	var out []manifest
	for _, f := range files {
		if filepath.Base(f) == kustomization {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(k8sDir, f)
		out = append(out, parseManifests(t, rel, data)...)
	}
	if len(out) == 0 {
		t.Fatalf("no manifests in %s", k8sDir)
	}
	return out
}

// fixtureFor names k8s.io/api's round-trip fixture of an apiVersion and kind: apps/v1 StatefulSet
// is apps.v1.StatefulSet.json, v1 Service is core.v1.Service.json.
func fixtureFor(apiVersion, kind string) string {
	group, version, ok := strings.Cut(apiVersion, "/")
	if !ok {
		group, version = "core", apiVersion
	}
	return fmt.Sprintf("%s.%s.%s.json", group, version, kind)
}

var (
	apiDirOnce sync.Once
	apiDir     string
	apiDirErr  error
)

// k8sAPIDir is where the go command keeps k8s.io/api at the version go.mod requires.
func k8sAPIDir(t *testing.T) string {
	t.Helper()
	apiDirOnce.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "k8s.io/api").Output()
		apiDir, apiDirErr = strings.TrimSpace(string(out)), err
	})
	if apiDirErr != nil || apiDir == "" {
		t.Fatalf("go list -m k8s.io/api: %v (dir %q)", apiDirErr, apiDir)
	}
	return apiDir
}

// TestManifestsStrict decodes every manifest against k8s.io/api's schema of its kind: every field
// must be one the type has, with a value of the field's JSON type. The schema is the module's
// fixture of the type, in which every field is set: maps appear as {"fieldKey": value}, lists with
// one element. A string there also admits a number, for int-or-string fields (ports,
// maxUnavailable) and quantities (cpu: 1).
func TestManifestsStrict(t *testing.T) {
	dir := filepath.Join(k8sAPIDir(t), "testdata", "HEAD")
	for _, m := range loadManifests(t, true) {
		t.Run(m.String(), func(t *testing.T) {
			fixture, err := os.ReadFile(filepath.Join(dir, fixtureFor(m.APIVersion, m.Kind)))
			if err != nil {
				t.Fatalf("%s %s is not a kind of k8s.io/api: %v", m.APIVersion, m.Kind, err)
			}
			var schema, doc any
			if err := json.Unmarshal(fixture, &schema); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(m.json, &doc); err != nil {
				t.Fatal(err)
			}
			for _, e := range conform(doc, schema, "", "") {
				t.Error(e)
			}
			if m.Metadata.Name == "" || m.Metadata.Namespace != "" {
				t.Errorf("metadata: name %q, namespace %q: want a name and no namespace", m.Metadata.Name, m.Metadata.Namespace)
			}
		})
	}
}

// conform lists where v does not fit schema. field is the name v has in its parent.
func conform(v, schema any, path, field string) []string {
	switch s := schema.(type) {
	case map[string]any:
		obj, ok := v.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want an object, got %s", path, jsonType(v))}
		}
		if len(s) == 0 { // opaque in the fixture (managedFields' fieldsV1)
			return nil
		}
		if sample, ok := s[field+"Key"]; ok && len(s) == 1 { // a map: any key, values alike
			var errs []string
			for k, val := range obj {
				errs = append(errs, conform(val, sample, path+"."+k, k)...)
			}
			return errs
		}
		var errs []string
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub, ok := s[k]
			if !ok {
				errs = append(errs, fmt.Sprintf("%s.%s: unknown field", path, k))
				continue
			}
			errs = append(errs, conform(obj[k], sub, path+"."+k, k)...)
		}
		return errs
	case []any:
		list, ok := v.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want a list, got %s", path, jsonType(v))}
		}
		if len(s) == 0 {
			return nil
		}
		var errs []string
		for i, e := range list {
			errs = append(errs, conform(e, s[0], fmt.Sprintf("%s[%d]", path, i), field)...)
		}
		return errs
	}
	want, got := jsonType(schema), jsonType(v)
	if want == got || (want == "string" && got == "number") {
		return nil
	}
	return []string{fmt.Sprintf("%s: want a %s, got %s", path, want, got)}
}

func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "list"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	}
	return "null"
}

// TestConformCatchesTypos makes sure the schema check is not vacuous: a misspelt field, a field
// of the wrong type and a list given as a map are all reported, a map's free keys are not.
func TestConformCatchesTypos(t *testing.T) {
	fixture, err := os.ReadFile(filepath.Join(k8sAPIDir(t), "testdata", "HEAD", fixtureFor("apps/v1", "StatefulSet")))
	if err != nil {
		t.Fatal(err)
	}
	var schema any
	if err := json.Unmarshal(fixture, &schema); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		yaml string
		errs int
	}{
		"good":         {"spec: {replicas: 3, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: x, ports: [{containerPort: 1}]}]}}}", 0},
		"misspelt":     {"spec: {replica: 3}", 1},
		"nested typo":  {"spec: {template: {spec: {containers: [{name: x, imagePullPolicy: Always, readinessProbe: {httpGet: {pth: /}}}]}}}", 1},
		"wrong type":   {"spec: {replicas: three}", 1},
		"map for list": {"spec: {template: {spec: {containers: {name: x}}}}", 1},
		"int or str":   {"spec: {template: {spec: {containers: [{name: x, livenessProbe: {httpGet: {port: 8080}}}]}}}", 0},
	}
	for name, c := range cases {
		js, err := yaml.YAMLToJSONStrict([]byte(c.yaml))
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		_ = json.Unmarshal(js, &doc)
		if errs := conform(doc, schema, "", ""); len(errs) != c.errs {
			t.Errorf("%s: %d errors %q, want %d", name, len(errs), errs, c.errs)
		}
	}
}

// TestKustomization checks that kustomization.yaml lists every manifest of deploy/k8s and no
// template, and, with kubectl installed, that `kubectl kustomize` builds exactly those objects
// with the image it names.
func TestKustomization(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(k8sDir, kustomization))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Resources  []string `json:"resources"`
		Images     []struct {
			Name    string `json:"name"`
			NewName string `json:"newName"`
			NewTag  string `json:"newTag"`
		} `json:"images"`
	}
	if err := yaml.UnmarshalStrict(data, &k); err != nil {
		t.Fatalf("%s: %v", kustomization, err)
	}
	var files []string
	for _, m := range loadManifests(t, false) {
		if !slices.Contains(files, m.file) {
			files = append(files, m.file)
		}
	}
	sort.Strings(files)
	listed := slices.Sorted(slices.Values(k.Resources))
	if !slices.Equal(files, listed) {
		t.Errorf("%s lists %v, want every manifest of deploy/k8s and nothing else: %v", kustomization, listed, files)
	}
	if len(k.Images) != 1 || k.Images[0].Name != "sealhub" {
		t.Errorf("images: %+v, want one entry for the image sealhub", k.Images)
	}

	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Log("kubectl not installed: kubectl kustomize not run")
		return
	}
	out, err := exec.Command(kubectl, "kustomize", k8sDir).Output()
	if err != nil {
		t.Fatalf("kubectl kustomize: %v", err)
	}
	var built, want []string
	for _, m := range parseManifests(t, "kustomize output", out) {
		built = append(built, m.Kind+"/"+m.Metadata.Name)
	}
	for _, m := range loadManifests(t, false) {
		want = append(want, m.Kind+"/"+m.Metadata.Name)
	}
	sort.Strings(built)
	sort.Strings(want)
	if !slices.Equal(built, want) {
		t.Errorf("kubectl kustomize built %v, want %v", built, want)
	}
	img := "image: sealhub"
	if i := k.Images[0]; i.NewName != "" || i.NewTag != "" {
		img = "image: " + cmp.Or(i.NewName, "sealhub") + ":" + i.NewTag
	}
	if !bytes.Contains(out, []byte(img)) {
		t.Errorf("kubectl kustomize output has no %q", img)
	}
	// Even a client-side dry run asks the API server for its resource types, so
	// `kubectl apply -k deploy/k8s --dry-run=server -n NAMESPACE` is for a real cluster.
	t.Log("kubectl apply --dry-run not run: it needs a cluster")
}
