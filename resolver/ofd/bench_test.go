package ofd

import (
	"bytes"
	"testing"
)

// BenchmarkOpenAndCheck opens the ofdrw V4 sample from memory and runs every check.
func BenchmarkOpenAndCheck(b *testing.B) {
	z := readSample(b, "ofd", "ofdrw-v4.ofd")
	b.SetBytes(int64(len(z)))
	b.ReportAllocs()
	for b.Loop() {
		d, err := Open(bytes.NewReader(z), int64(len(z)))
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range d.Check() {
			if !r.OK() {
				b.Fatal("sample does not pass")
			}
		}
	}
}
