package resolver_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealhub/sealhub/resolver"
)

var update = flag.Bool("update", false, "rewrite docs/result-codes.md from the Go table")

const codesDoc = "../docs/result-codes.md"

// renderCodes is docs/result-codes.md, generated from resolver.Reasons.
func renderCodes() string {
	var b strings.Builder
	b.WriteString("# Result codes\n\n")
	b.WriteString("Every verification report (`sealhub verify --json`, `/v1/verify/…`) has a `result` — `valid`, `invalid` or\n")
	b.WriteString("`indeterminate` — and a `reason` from this table. Failed and indeterminate checks carry the same codes in\n")
	b.WriteString("their `code` field. Codes are stable: they are only ever added, never renamed or reused.\n\n")
	b.WriteString("The reason of a report is the code of the first failed check, in the order signature, signer_in_seal,\n")
	b.WriteString("seal_signature, maker_chain, signer_chain, seal_validity, data_hash, status; when no check failed, the\n")
	b.WriteString("first indeterminate one. Skipped checks (for example `status` offline) count neither way.\n\n")
	b.WriteString("This file is generated from `resolver/codes.go` (`go test ./resolver -run TestResultCodesDoc -update`).\n\n")
	b.WriteString("| code | result | meaning |\n|---|---|---|\n")
	for _, r := range resolver.Reasons {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", r.Code, r.Result, r.Meaning)
	}
	b.WriteString("\nExit codes of `sealhub verify`: 0 valid, 1 invalid, 2 indeterminate, 3 usage or I/O error.\n")
	return b.String()
}

func TestResultCodesDoc(t *testing.T) {
	want := renderCodes()
	if *update {
		if err := os.MkdirAll(filepath.Dir(codesDoc), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(codesDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(codesDoc)
	if err != nil {
		t.Fatalf("%v (regenerate with -update)", err)
	}
	if string(got) != want {
		t.Fatalf("%s differs from resolver.Reasons; regenerate with go test ./resolver -run TestResultCodesDoc -update", codesDoc)
	}
}

func TestReasonTableIsConsistent(t *testing.T) {
	seen := map[resolver.Reason]bool{}
	for _, r := range resolver.Reasons {
		if seen[r.Code] {
			t.Errorf("duplicate code %s", r.Code)
		}
		seen[r.Code] = true
		if r.Code != resolver.Reason(strings.ToUpper(string(r.Code))) || strings.ContainsAny(string(r.Code), " -") {
			t.Errorf("code %q is not UPPER_SNAKE", r.Code)
		}
		if r.Meaning == "" {
			t.Errorf("%s has no meaning", r.Code)
		}
		if info, ok := r.Code.Info(); !ok || info != r {
			t.Errorf("Info(%s)", r.Code)
		}
	}
}
