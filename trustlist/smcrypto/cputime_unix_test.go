//go:build unix

package smcrypto_test

import (
	"syscall"
	"testing"
	"time"
)

// reportCPU, called before the timed loop, returns a function to call after it that reports the
// process CPU time (user + system) per operation as "cpu-ns/op". On a shared machine that number is
// steadier than wall time.
func reportCPU(b *testing.B) func() {
	start := processCPU()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
