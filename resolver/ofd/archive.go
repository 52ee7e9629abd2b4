package ofd

import (
	"archive/zip"
	"encoding/binary"
	"errors"
	"io"
	"path"
	"strings"

	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// archive is the zip container with its entries indexed by canonical name. It is read-only after
// openArchive and safe for concurrent use (zip.File.Open only reads through the io.ReaderAt).
type archive struct {
	files map[string]*zip.File // canonical name → regular file
	opts  Options
}

// openArchive reads the central directory and checks every entry name. It reads no entry data.
func openArchive(r io.ReaderAt, size int64, opts Options) (*archive, error) {
	if r == nil || size < 0 {
		return nil, fileErr(ErrNotZip, "", "no input")
	}
	if n, ok := declaredEntries(r, size); ok && n > opts.MaxEntries {
		return nil, fileErr(ErrTooLarge, "", "the archive declares %d entries; the limit is %d", n, opts.MaxEntries)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		// ErrInsecurePath comes with a usable reader (GODEBUG zipinsecurepath=0); the names are
		// checked below by the rules of this package.
		return nil, fileErrCause(ErrNotZip, "", err, "cannot read the central directory")
	}
	if len(zr.File) > opts.MaxEntries {
		return nil, fileErr(ErrTooLarge, "", "the archive holds %d entries; the limit is %d", len(zr.File), opts.MaxEntries)
	}
	a := &archive{files: make(map[string]*zip.File, len(zr.File)), opts: opts}
	for _, f := range zr.File {
		name, dir, err := canonicalEntry(f.Name)
		if err != nil {
			return nil, err
		}
		if dir {
			continue
		}
		if _, dup := a.files[name]; dup {
			return nil, fileErr(ErrBadPath, name, "duplicate entry name")
		}
		a.files[name] = f
	}
	return a, nil
}

// declaredEntries reads the entry count of the end-of-central-directory record, so that an archive
// declaring millions of entries is refused before archive/zip allocates for them. ok is false when
// the record is not found or the count is the ZIP64 escape value; archive/zip then decides.
func declaredEntries(r io.ReaderAt, size int64) (n int, ok bool) {
	const eocdLen, maxComment = 22, 65535
	tail := min(size, eocdLen+maxComment)
	if tail < eocdLen {
		return 0, false
	}
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && !errors.Is(err, io.EOF) {
		return 0, false
	}
	for i := len(buf) - eocdLen; i >= 0; i-- {
		if string(buf[i:i+4]) == "PK\x05\x06" {
			total := binary.LittleEndian.Uint16(buf[i+10:])
			return int(total), total != 0xFFFF
		}
	}
	return 0, false
}

// canonicalEntry turns an entry name into the form paths are looked up by: forward slashes, no
// leading slash, no "." segments. It refuses ".." segments, NUL bytes and empty names. dir is true for
// directory entries and the root.
func canonicalEntry(raw string) (name string, dir bool, err error) {
	n := strings.ReplaceAll(raw, `\`, "/")
	if n == "" || strings.ContainsRune(n, 0) {
		return "", false, fileErr(ErrBadPath, raw, "empty entry name or NUL byte in it")
	}
	dir = strings.HasSuffix(n, "/")
	for _, seg := range strings.Split(n, "/") {
		if seg == ".." {
			return "", false, fileErr(ErrBadPath, raw, "entry name climbs with \"..\"")
		}
	}
	name = path.Clean("/" + n)[1:]
	return name, dir || name == "", nil
}

// budget is what one operation may still read, in uncompressed bytes. It is not shared between
// goroutines: each operation makes its own.
type budget struct{ left int64 }

// limitedReader fails with ErrTooLarge as soon as more than max bytes come out of r, or more than the
// budget has left.
type limitedReader struct {
	r    io.Reader
	name string
	max  int64 // bytes this entry may still yield
	b    *budget
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.max <= 0 || l.b.left <= 0 {
		// Probe for one more byte: an entry of exactly the limit is fine.
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n == 0 {
			return 0, err
		}
		if l.max <= 0 {
			return 0, fileErr(ErrTooLarge, l.name, "the entry decompresses to more than the per-file limit")
		}
		return 0, fileErr(ErrTooLarge, l.name, "reading it exceeds the total uncompressed-size limit")
	}
	if int64(len(p)) > l.max {
		p = p[:l.max]
	}
	if int64(len(p)) > l.b.left {
		p = p[:l.b.left]
	}
	n, err := l.r.Read(p)
	l.max -= int64(n)
	l.b.left -= int64(n)
	return n, err
}

// open returns a reader over the entry's uncompressed bytes that enforces limit and the budget.
func (a *archive) open(name string, limit int64, b *budget) (io.ReadCloser, error) {
	f, ok := a.files[name]
	if !ok {
		return nil, fileErr(ErrMissingFile, name, "no such entry")
	}
	if f.UncompressedSize64 > uint64(limit) {
		// Refusing on the declared size is safe; accepting on it would not be.
		return nil, fileErr(ErrTooLarge, name, "declared size %d exceeds the limit %d", f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fileErrCause(ErrCorrupt, name, err, "cannot open the entry")
	}
	return struct {
		io.Reader
		io.Closer
	}{&limitedReader{r: rc, name: name, max: limit, b: b}, rc}, nil
}

// read returns the entry's bytes, read to the end so that the CRC-32 is checked.
func (a *archive) read(name string, limit int64, b *budget) ([]byte, error) {
	rc, err := a.open(name, limit, b)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, readErr(name, err)
	}
	return data, nil
}

// sm3 streams the entry through SM3 without holding it in memory.
func (a *archive) sm3(name string, b *budget) ([32]byte, error) {
	rc, err := a.open(name, a.opts.MaxEntrySize, b)
	if err != nil {
		return [32]byte{}, err
	}
	defer rc.Close()
	sum, _, err := smcrypto.SM3Reader(rc)
	if err != nil {
		return [32]byte{}, readErr(name, err)
	}
	return sum, nil
}

func (a *archive) has(name string) bool {
	_, ok := a.files[name]
	return ok
}

func readErr(name string, err error) error {
	var fe *FileError
	if errors.As(err, &fe) {
		return fe
	}
	return fileErrCause(ErrCorrupt, name, err, "cannot decompress the entry")
}
