package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes. verify and inspect use 0–3 as documented in the README.
const (
	exitValid         = 0
	exitInvalid       = 1
	exitIndeterminate = 2
	exitUsage         = 3 // usage or I/O error
)

// exitError carries a process exit code through run's error return.
type exitError struct {
	code int
	err  error // nil: the output already said everything
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitUsage
}

// env is what commands get from the process, injected so tests can run them in-process.
type env struct {
	ctx    context.Context
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// run parses args and runs one subcommand. Errors are printed to stderr here; the returned error
// carries the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	e := &env{ctx: ctx, getenv: getenv, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "sealhub",
		Short:         "Trust federation hub for electronic seals (电子印章跨地区跨部门互信互认)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetContext(ctx)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError("%v", err) })
	root.AddCommand(e.verifyCommand(), e.inspectCommand(), e.devCommand(), versionCommand(e),
		e.serverCommand(), e.keygenCommand(), e.tlsCommand(), e.pushCommand(), e.importCommand(), e.adminCommand(), e.statusCommand(),
		e.clusterCommand(), e.snapshotCommand(), e.receiptCommand(), e.apikeyCommand(), e.healthCommand())
	err := root.ExecuteContext(ctx)
	if err != nil {
		var ee *exitError
		if !errors.As(err, &ee) || ee.err != nil {
			fmt.Fprintln(stderr, "sealhub:", err)
		}
		if !errors.As(err, &ee) {
			err = &exitError{code: exitUsage, err: err}
		}
	}
	return err
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func versionCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(e.stdout, "sealhub", version)
			return err
		},
	}
}
