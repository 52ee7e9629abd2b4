package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sealhub/sealhub/resolver/httpapi"
)

func TestAPIKeyPrintsKeyAndItsEntry(t *testing.T) {
	code, out, errOut := runCLI(t, "apikey", "national-platform")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(out, "\n")
	var key string
	var entry httpapi.APIKey
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "shk_") {
			key = l
		}
		if strings.HasPrefix(l, "{") {
			if err := json.Unmarshal([]byte(l), &entry); err != nil {
				t.Fatalf("line %d: %v", i, err)
			}
		}
	}
	if key == "" || entry.Name != "national-platform" || entry.SM3 != httpapi.HashAPIKey(key) {
		t.Fatalf("key %q, entry %+v: the entry must hold the SM3 of the printed key", key, entry)
	}
	if strings.Contains(strings.Join(lines[len(lines)-3:], "\n"), key) {
		t.Fatal("the configuration entry must not contain the key itself")
	}
	if code, _, _ := runCLI(t, "apikey", "two words"); code != exitUsage {
		t.Fatalf("a name with a space: exit %d, want %d", code, exitUsage)
	}
	_, out2, _ := runCLI(t, "apikey", "national-platform")
	if out2 == out {
		t.Fatal("two keys must differ")
	}
}
