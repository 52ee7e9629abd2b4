package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// recordSource yields the raw records of a ledger.
type recordSource interface {
	// next returns the next record and its line or row number. It returns
	// a *RowError for a bad record after which reading can go on, io.EOF
	// at the end, and any other error for a failure that ends reading.
	next() (line int, cells []string, err error)
	close() error
}

// Reader reads the seals of a ledger one row at a time. Create it with
// [Open], [NewCSV] or [NewXLSX]. A Reader is not safe for concurrent use.
type Reader struct {
	src    recordSource
	opt    cellOptions
	colOf  []int    // source column → column index, -1 for a column without header
	names  []string // canonical names in header order
	err    error    // sticky error that ended reading
	closer io.Closer

	total     int
	totalFunc func() int // computes total lazily when set
	totalOnce sync.Once
}

// Open opens a ledger file by its extension, .csv or .xlsx (any case).
// For a CSV it counts the lines first, so [Reader.Total] is known. The
// caller must Close the Reader.
func Open(path string) (*Reader, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv":
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		lines, err := countLines(f)
		if err == nil {
			_, err = f.Seek(0, io.SeekStart)
		}
		if err != nil {
			_ = f.Close()
			return nil, err
		}
		r, err := NewCSV(f)
		if err != nil {
			_ = f.Close()
			return nil, err
		}
		r.closer = f
		r.total = max(lines-r.headerLine(), 0)
		return r, nil
	case ".xlsx":
		return openXLSXFile(path)
	case ".xls", ".et", ".ods", ".numbers":
		return nil, fmt.Errorf("%w: %q; save the ledger as .xlsx or .csv", ErrUnsupported, ext)
	default:
		return nil, fmt.Errorf("%w: %q (want .csv or .xlsx)", ErrUnsupported, ext)
	}
}

// countLines counts the lines of a file: its line feeds, plus one for a
// last line without one.
func countLines(r io.Reader) (int, error) {
	buf := make([]byte, 64<<10)
	n, last := 0, byte('\n')
	for {
		k, err := r.Read(buf)
		if k > 0 {
			n += bytes.Count(buf[:k], []byte{'\n'})
			last = buf[k-1]
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	if last != '\n' {
		n++
	}
	return n, nil
}

// NewCSV reads a CSV ledger: comma-separated, RFC 4180 quoting, UTF-8 with
// or without a byte-order mark, or GB18030/GBK (detected). It reads the
// header at once and returns its errors; the rows are read by Next, in a
// stream with bounded memory. [Reader.Total] is -1.
func NewCSV(r io.Reader) (*Reader, error) {
	src, err := newCSVSource(r)
	if err != nil {
		return nil, err
	}
	return newReader(src, cellOptions{src: fromCSV}, -1)
}

// newReader reads the header from src.
func newReader(src recordSource, opt cellOptions, total int) (*Reader, error) {
	r := &Reader{src: src, opt: opt, total: total}
	for {
		line, cells, err := src.next()
		if errors.Is(err, io.EOF) {
			return nil, ErrNoHeader
		}
		var re *RowError
		if errors.As(err, &re) {
			return nil, &HeaderError{Line: re.Line, Err: ErrFormat, Msg: re.Msg}
		}
		if err != nil {
			return nil, err
		}
		if blank(cells) {
			continue
		}
		if err := r.header(line, cells); err != nil {
			return nil, err
		}
		return r, nil
	}
}

// header maps the header cells to columns.
func (r *Reader) header(line int, cells []string) error {
	r.opt.headerLine = line
	if len(cells) > MaxColumns {
		return &HeaderError{Line: line, Err: ErrFormat, Msg: "more than " + strconv.Itoa(MaxColumns) + " columns"}
	}
	var errs []error
	var seen [numCols]bool
	r.colOf = make([]int, len(cells))
	for i, c := range cells {
		r.colOf[i] = -1
		if len(c) > MaxCellBytes {
			errs = append(errs, &HeaderError{Line: line, Position: i + 1, Err: ErrFormat,
				Msg: "cell longer than " + strconv.Itoa(MaxCellBytes) + " bytes"})
			continue
		}
		key := foldHeader(c)
		if key == "" {
			continue // a column without header must stay empty
		}
		col, ok := headerIndex[key]
		switch {
		case !ok:
			errs = append(errs, &HeaderError{Line: line, Position: i + 1, Name: clip(c, 64), Err: ErrUnknownColumn})
		case seen[col]:
			errs = append(errs, &HeaderError{Line: line, Position: i + 1, Name: clip(c, 64), Err: ErrDuplicateColumn,
				Msg: "column " + columns[col].name + " named twice"})
		default:
			seen[col] = true
			r.colOf[i] = col
			r.names = append(r.names, columns[col].name)
		}
	}
	for col, c := range columns {
		if c.required && !seen[col] {
			errs = append(errs, &HeaderError{Line: line, Name: c.name, Err: ErrMissingColumn})
		}
	}
	return errors.Join(errs...)
}

func (r *Reader) headerLine() int { return r.opt.headerLine }

// blank reports whether every cell is empty or white space.
func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// Next returns the next seal. It skips blank rows, returns io.EOF at the
// end, and returns a *RowError for a bad row; after a *RowError, call Next
// again to go on. Any other error ends reading and is returned again by
// later calls.
func (r *Reader) Next() (Row, error) {
	if r.err != nil {
		return Row{}, r.err
	}
	for {
		line, cells, err := r.src.next()
		if err != nil {
			var re *RowError
			if errors.As(err, &re) {
				if re.pos > 0 && re.pos <= len(r.colOf) && r.colOf[re.pos-1] >= 0 {
					re.Column = columns[r.colOf[re.pos-1]].name
				}
				return Row{}, re
			}
			r.err = err
			return Row{}, err
		}
		if blank(cells) {
			continue
		}
		row, rerr := r.convert(line, cells)
		if rerr != nil {
			return Row{}, rerr
		}
		return row, nil
	}
}

// convert checks the limits of a record and parses it.
func (r *Reader) convert(line int, cells []string) (Row, *RowError) {
	if len(cells) > MaxColumns {
		return Row{}, &RowError{Line: line, Msg: "more than " + strconv.Itoa(MaxColumns) + " columns"}
	}
	var raw [numCols]string
	for i, c := range cells {
		name := "#" + strconv.Itoa(i+1)
		if i < len(r.colOf) && r.colOf[i] >= 0 {
			name = columns[r.colOf[i]].name
		}
		if len(c) > MaxCellBytes {
			return Row{}, &RowError{Line: line, Column: name, Msg: "cell longer than " + strconv.Itoa(MaxCellBytes) + " bytes"}
		}
		if i >= len(r.colOf) || r.colOf[i] < 0 {
			if strings.TrimSpace(c) != "" {
				return Row{}, &RowError{Line: line, Column: name, Msg: "value in a column without a header"}
			}
			continue
		}
		raw[r.colOf[i]] = c
	}
	return parseCells(line, &raw, r.opt)
}

// Columns returns the canonical names of the columns found in the header,
// in header order.
func (r *Reader) Columns() []string { return append([]string(nil), r.names...) }

// Total returns the number of data rows if it is known cheaply, or -1.
// For a CSV opened with [Open] it is the number of lines after the header
// (an upper bound: blank lines and multi-line cells count); for a CSV from
// [NewCSV] it is -1; for a workbook it is the number of rows after the
// header (blank rows count), from the sheet's dimension or from one pass
// over the sheet on the first call. Meant for progress bars.
func (r *Reader) Total() int {
	if r.totalFunc != nil {
		r.totalOnce.Do(func() { r.total = r.totalFunc() })
	}
	return r.total
}

// Close releases the file and any temporary files. It does not close the
// io.Reader given to NewCSV or NewXLSX.
func (r *Reader) Close() error {
	err := r.src.close()
	if r.closer != nil {
		if cerr := r.closer.Close(); err == nil {
			err = cerr
		}
		r.closer = nil
	}
	if r.err == nil {
		r.err = errClosed
	}
	return err
}

// errClosed is returned by Next after Close.
var errClosed = fmt.Errorf("ledger: reader closed: %w", os.ErrClosed)

// formatCells formats a row as the cells a writer emits.
func formatCells(r Row) [numCols]string {
	var c [numCols]string
	c[colCode] = r.Code
	c[colName] = r.Name
	if r.Type != TypeUnspecified {
		c[colType] = strconv.Itoa(r.Type)
	}
	c[colOwnerName] = r.OwnerName
	c[colOwnerUSCC] = r.OwnerUSCC
	c[colValidStart] = formatDate(r.ValidStart)
	c[colValidEnd] = formatDate(r.ValidEnd)
	c[colStatus] = r.Status
	c[colStatusAt] = formatDate(r.StatusAt)
	c[colStatusReason] = r.StatusReason
	c[colMakerCert] = r.MakerCert
	c[colSignerCerts] = strings.Join(r.SignerCerts, ";")
	c[colSealSM3] = r.SealSM3
	c[colPictureSM3] = r.PictureSM3
	return c
}

// normalise checks that the reader accepts a row as a writer would write
// it, and returns the normalised row and its cells. line is the line the
// row would have, for the error.
func normalise(r Row, line int) ([numCols]string, Row, error) {
	c := formatCells(r)
	for i, s := range c {
		if len(s) > MaxCellBytes {
			return c, Row{}, &RowError{Line: line, Column: columns[i].name,
				Msg: "cell longer than " + strconv.Itoa(MaxCellBytes) + " bytes"}
		}
	}
	row, err := parseCells(line, &c, cellOptions{src: fromCSV})
	if err != nil {
		return c, Row{}, err
	}
	return formatCells(row), row, nil
}
