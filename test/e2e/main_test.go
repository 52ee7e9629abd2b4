package e2e

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// binary is the sealhub executable TestMain built, or why there is none.
var binary struct {
	path    string
	skip    string // reason to skip: no go toolchain, -short
	err     error  // the build failed
	elapsed time.Duration
}

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "sealhub-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(2)
	}
	buildBinary(dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildBinary builds cmd/sealhub into dir, unless the tests are going to skip.
func buildBinary(dir string) {
	if testing.Short() {
		binary.skip = "e2e tests start real processes; skipped with -short"
		return
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		binary.skip = "go is not on PATH: cannot build cmd/sealhub"
		return
	}
	root, err := moduleRoot()
	if err != nil {
		binary.err = err
		return
	}
	start := time.Now()
	out := filepath.Join(dir, "sealhub")
	// The binary is built without -race whatever the test's flags: only the test process is
	// instrumented, and the nodes run at their normal speed.
	cmd := exec.Command(gobin, "build", "-o", out, "./cmd/sealhub")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		binary.err = fmt.Errorf("go build ./cmd/sealhub: %w\n%s", err, msg)
		return
	}
	binary.path, binary.elapsed = out, time.Since(start)
}

// moduleRoot is the directory of go.mod two levels above this package (test/e2e).
func moduleRoot() (string, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("module root: %w", err)
	}
	for line := range strings.Lines(string(data)) {
		if strings.TrimSpace(line) == "module github.com/sealhub/sealhub" {
			return root, nil
		}
	}
	return "", errors.New("module root: " + root + "/go.mod is not github.com/sealhub/sealhub's")
}

// sealhubBinary returns the built binary, skipping or failing t if there is none.
func sealhubBinary(t *testing.T) string {
	t.Helper()
	switch {
	case binary.skip != "":
		t.Skip(binary.skip)
	case binary.err != nil:
		t.Fatal(binary.err)
	}
	return binary.path
}
