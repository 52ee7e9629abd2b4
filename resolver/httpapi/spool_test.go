package httpapi

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/sealhub/sealhub/internal/httpx"
)

// Small uploads stay in memory, large ones go to a temporary file that Close removes; both read back
// byte for byte, and one byte over the limit is 413.
func TestSpool(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{0, 10, spoolMemory, spoolMemory + 1, 3 * spoolMemory} {
		data := bytes.Repeat([]byte{0xA5, 0x5A, 0x01}, n/3+1)[:n]
		s, err := spool(bytes.NewReader(data), int64(n), dir)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if (s.file != nil) != (n > spoolMemory) || s.size != int64(n) {
			t.Fatalf("%d bytes: file %v, size %d", n, s.file != nil, s.size)
		}
		got, err := io.ReadAll(io.NewSectionReader(s.readerAt(), 0, s.size))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: read back %d bytes, %v", n, len(got), err)
		}
		s.Close()
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Fatalf("%d bytes: %d files left after Close", n, len(left))
		}
		if n == 0 {
			continue
		}
		_, err = spool(bytes.NewReader(data), int64(n-1), dir)
		var he *httpx.Error
		if !errors.As(err, &he) || he.Status != 413 {
			t.Fatalf("%d bytes over a limit of %d: %v, want 413", n, n-1, err)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Fatalf("%d bytes refused: %d files left", n, len(left))
		}
	}
}
