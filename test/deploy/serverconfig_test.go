package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"testing"
)

const exampleConfig = "../../docs/server.example.json"

// secretFields are the credential fields of the adapter kinds that are secrets (app_key and
// username are not): in a ConfigMap they must be file: or env: references.
var secretFields = map[string]bool{"app_secret": true, "password": true, "api_key": true}

// freeKeys are objects of the server configuration whose keys are names the operator chooses,
// each an object of string fields.
var freeKeys = map[string]bool{"adapters.credentials": true}

// perPod are settings that differ between pods: they are flags in statefulset.yaml, never in the
// shared file, where one value would be wrong for all pods but one.
var perPod = []string{"node_id", "raft_advertise_addr", "bootstrap", "bootstrap_node", "join", "tls"}

// serverConfig is the server.json of the ConfigMap the pod reads its --config from.
func serverConfig(t *testing.T, d deployment) map[string]any {
	t.Helper()
	var raw string
	for _, k := range d.config {
		if v, ok := k.Data["server.json"]; ok {
			raw = v
		}
	}
	if raw == "" {
		t.Fatal("no ConfigMap holds server.json")
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var cfg map[string]any
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("server.json: %v", err)
	}
	return cfg
}

// TestServerConfig checks the ConfigMap's server.json. The configuration parser is unexported
// in package main (cmd/sealhub/serverconfig.go), so its strictness is approximated here: every
// key must be one docs/server.example.json — which shows every field — has, with a value of the
// same JSON type. Then the settings are related to the pod: listen ports, the data directory, and
// every file or variable an adapter credential or administrator key is read from.
func TestServerConfig(t *testing.T) {
	d := loadDeployment(t)
	cfg := serverConfig(t, d)
	data, err := os.ReadFile(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	var example map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&example); err != nil {
		t.Fatalf("%s: %v", exampleConfig, err)
	}
	for _, e := range sameShape(cfg, example, "") {
		t.Error(e)
	}
	for _, k := range perPod {
		if _, ok := cfg[k]; ok {
			t.Errorf("server.json sets %s, which differs per pod: give it as a flag", k)
		}
	}

	for key, port := range map[string]string{"raft_addr": "raft", "http_addr": "http"} {
		addr, _ := cfg[key].(string)
		_, p, err := net.SplitHostPort(addr)
		if err != nil || p != fmt.Sprint(d.portNamed(port)) {
			t.Errorf("%s %q: want the container port %s (%d)", key, addr, port, d.portNamed(port))
		}
	}
	keys, _ := cfg["admin_keys"].([]any)
	if len(keys) == 0 {
		t.Error("admin_keys is empty: a fresh cluster would have no administrator")
	}
	for i, k := range keys {
		d.file(t, fmt.Sprintf("admin_keys[%d]", i), fmt.Sprint(k))
	}
	adapters, _ := cfg["adapters"].(map[string]any)
	creds, _ := adapters["credentials"].(map[string]any)
	for name, fields := range creds {
		fm, _ := fields.(map[string]any) // its shape is sameShape's to check
		for field, v := range fm {
			what := fmt.Sprintf("adapters.credentials.%s.%s", name, field)
			s, _ := v.(string)
			switch {
			case strings.HasPrefix(s, "file:"):
				d.file(t, what, strings.TrimPrefix(s, "file:"))
			case strings.HasPrefix(s, "env:"):
				if !d.envDefined(strings.TrimPrefix(s, "env:")) {
					t.Errorf("%s: %s is not set in the container", what, s)
				}
			case secretFields[field]:
				t.Errorf("%s: a secret written into the ConfigMap; use file: or env:", what)
			}
		}
	}
}

// sameShape lists the keys of v that example does not have, and the values whose JSON type
// differs from the example's.
func sameShape(v, example any, path string) []string {
	switch ex := example.(type) {
	case map[string]any:
		obj, ok := v.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want an object, got a %s", path, configType(v))}
		}
		var errs []string
		names := make([]string, 0, len(obj))
		for k := range obj {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			p := strings.TrimPrefix(path+"."+k, ".")
			if freeKeys[path] {
				errs = append(errs, stringFields(obj[k], p)...)
				continue
			}
			sub, ok := ex[k]
			if !ok {
				errs = append(errs, fmt.Sprintf("%s: not a field of %s (the node refuses unknown fields)", p, exampleConfig))
				continue
			}
			errs = append(errs, sameShape(obj[k], sub, p)...)
		}
		return errs
	case []any:
		list, ok := v.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want a list, got a %s", path, configType(v))}
		}
		var errs []string
		for i, e := range list {
			if len(ex) > 0 {
				errs = append(errs, sameShape(e, ex[0], fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
		return errs
	}
	if got, want := configType(v), configType(example); got != want {
		return []string{fmt.Sprintf("%s: %v is a %s, the example's is a %s", path, v, got, want)}
	}
	return nil
}

// configType is the JSON type of a value decoded with UseNumber.
func configType(v any) string {
	switch v.(type) {
	case json.Number:
		return "number"
	case string:
		return "string"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "list"
	}
	return "null"
}

// stringFields checks a credentials entry: an object whose fields, which differ per adapter kind,
// are all strings.
func stringFields(v any, path string) []string {
	fields, ok := v.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("%s: want an object of field: value", path)}
	}
	var errs []string
	for k, f := range fields {
		if _, ok := f.(string); !ok {
			errs = append(errs, fmt.Sprintf("%s.%s: want a string, got a %s", path, k, configType(f)))
		}
	}
	return errs
}
