package httpapi

import (
	"bytes"
	"io"
	"net/http"
	"os"

	"github.com/sealhub/sealhub/internal/httpx"
)

// spoolMemory is how much of an uploaded document is kept in memory; the rest goes to a temporary
// file, so that many uploads at once cost disk, not memory.
const spoolMemory = 1 << 20

// spooled is an uploaded document, in memory or in a temporary file.
type spooled struct {
	mem  []byte
	file *os.File
	size int64
}

func (s *spooled) readerAt() io.ReaderAt {
	if s.file != nil {
		return s.file
	}
	return bytes.NewReader(s.mem)
}

// Close removes the temporary file, if any.
func (s *spooled) Close() {
	if s.file != nil {
		name := s.file.Name()
		s.file.Close()
		os.Remove(name)
	}
}

// spool reads r (at most limit bytes) into memory, moving to a temporary file in dir ("" is the
// system's) once it outgrows spoolMemory.
func spool(r io.Reader, limit int64, dir string) (*spooled, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, min(limit, spoolMemory)+1))
	if err != nil {
		return nil, readErr(err)
	}
	if n <= spoolMemory {
		if n > limit {
			return nil, tooLarge(limit)
		}
		return &spooled{mem: buf.Bytes(), size: n}, nil
	}
	f, err := os.CreateTemp(dir, "sealhub-upload-*.ofd")
	if err != nil {
		return nil, err
	}
	s := &spooled{file: f}
	if _, err := f.Write(buf.Bytes()); err != nil {
		s.Close()
		return nil, err
	}
	m, err := io.Copy(f, io.LimitReader(r, limit-n+1))
	if err != nil {
		s.Close()
		return nil, readErr(err)
	}
	if s.size = n + m; s.size > limit {
		s.Close()
		return nil, tooLarge(limit)
	}
	return s, nil
}

func tooLarge(limit int64) error {
	return httpx.Errorf(http.StatusRequestEntityTooLarge, httpx.CodeBodyTooLarge, "a document is limited to %d bytes", limit)
}
