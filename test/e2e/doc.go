// Package e2e tests the sealhub binary as an operator runs it: TestMain builds cmd/sealhub once,
// and each test starts real `sealhub server` processes on loopback ports, each with its own data
// directory, mutual TLS on the cluster port (`sealhub tls init`) and its output captured to files
// (printed when the test fails). The tests drive the nodes only through their public surface: the
// HTTP API, the CLI (`sealhub admin`, `sealhub snapshot save`) and signals (SIGKILL, SIGTERM).
//
// Waits poll against a deadline (waitFor), never sleep-then-assert. The tests skip when `go` is not
// on PATH and under -short.
//
// Only tests live here; the package has no API.
package e2e
