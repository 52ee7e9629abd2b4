// Command sealhub is the trust federation hub for electronic seals (电子印章): one binary for the
// server, the developer node, registry pushes and offline verification. main only wires the process
// to run, which does the work and is what the tests call.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := exitCode(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	stop()
	os.Exit(code)
}
