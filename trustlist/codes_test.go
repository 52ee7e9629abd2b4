package trustlist_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sealhub/sealhub/trustlist"
)

var update = flag.Bool("update", false, "rewrite docs/push-codes.md from the Go table")

const codesDoc = "../docs/push-codes.md"

var kindNames = map[trustlist.Kind]string{
	trustlist.KindMalformed:       "malformed",
	trustlist.KindUnauthenticated: "unauthenticated",
	trustlist.KindForbidden:       "forbidden",
	trustlist.KindConflict:        "conflict",
	trustlist.KindTooLarge:        "too large",
	trustlist.KindInvalid:         "invalid",
}

// renderCodes is docs/push-codes.md, generated from trustlist.Codes.
func renderCodes() string {
	var b strings.Builder
	b.WriteString("# Push rejection codes\n\n")
	b.WriteString("A registry push (`POST /v1/updates`, `sealhub push`, `sealhub import`) that the hub refuses changes\n")
	b.WriteString("nothing. The answer carries an HTTP status and a `code` from this table; when one op of the push is at\n")
	b.WriteString("fault, its index too. Codes are stable: they are only ever added, never renamed or reused.\n\n")
	b.WriteString("Checks run in this order, and the first that fails gives the code: size and shape (400, 413);\n")
	b.WriteString("signature, registry and key (401); a seq accepted before (answered with the original result when the\n")
	b.WriteString("bytes are the same, `PUSH_REPLAY_CONFLICT` otherwise); issued_at against the receiving node's clock\n")
	b.WriteString("(401); seq, prev and issued_at order (409); then each op in turn (403, 422).\n\n")
	b.WriteString("This file is generated from `trustlist/errors.go` (`go test ./trustlist -run TestPushCodesDoc -update`).\n\n")
	b.WriteString("| code | HTTP | kind | meaning |\n|---|---|---|---|\n")
	for _, c := range trustlist.Codes {
		fmt.Fprintf(&b, "| `%s` | %d | %s | %s |\n", c.Code, c.Kind.HTTPStatus(), kindNames[c.Kind], c.Meaning)
	}
	return b.String()
}

func TestPushCodesDoc(t *testing.T) {
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
		t.Fatalf("%s differs from trustlist.Codes; regenerate with go test ./trustlist -run TestPushCodesDoc -update", codesDoc)
	}
}

var upperSnake = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$`)

func TestCodeTableIsConsistent(t *testing.T) {
	if len(trustlist.Codes) == 0 {
		t.Fatal("no codes")
	}
	seen := map[trustlist.Code]bool{}
	for _, c := range trustlist.Codes {
		if seen[c.Code] {
			t.Errorf("duplicate code %s", c.Code)
		}
		seen[c.Code] = true
		if !upperSnake.MatchString(string(c.Code)) {
			t.Errorf("code %q is not UPPER_SNAKE", c.Code)
		}
		if strings.TrimSpace(c.Meaning) == "" || strings.Contains(c.Meaning, "|") || strings.Contains(c.Meaning, "\n") {
			t.Errorf("%s: meaning %q (needed, on one line, without |)", c.Code, c.Meaning)
		}
		if _, ok := kindNames[c.Kind]; !ok || c.Kind.HTTPStatus() == 500 {
			t.Errorf("%s has no valid kind (%d)", c.Code, c.Kind)
		}
		if info, ok := c.Code.Info(); !ok || info != c {
			t.Errorf("Info(%s) = %+v, %v", c.Code, info, ok)
		}
		r := &trustlist.Rejection{Code: c.Code, Op: -1}
		if r.Kind() != c.Kind {
			t.Errorf("Rejection{%s}.Kind() = %d, want %d", c.Code, r.Kind(), c.Kind)
		}
	}
	if _, ok := trustlist.Code("NO_SUCH_CODE").Info(); ok {
		t.Error("Info of an unknown code")
	}
}
