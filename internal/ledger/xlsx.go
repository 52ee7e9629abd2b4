package ledger

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Limits on a workbook, checked on its zip directory before excelize
// opens it. excelize reads every part of a workbook into memory, sized by
// the size the zip directory declares, except worksheets and the shared
// strings over xmlInMemory, which it extracts to temporary files. Without
// these checks a small file declaring huge parts would exhaust memory.
const (
	// maxXLSXFile is the largest workbook file.
	maxXLSXFile = 1 << 30
	// maxUnzip bounds the declared uncompressed size of all parts.
	maxUnzip = 2 << 30
	// maxInMemory bounds the declared size of the parts excelize keeps in
	// memory.
	maxInMemory = 256 << 20
	// xmlInMemory is excelize's UnzipXMLSizeLimit: larger worksheets and
	// shared strings go to temporary files.
	xmlInMemory = 16 << 20
)

// sheetNames are the preferred worksheet names, compared case-insensitively;
// without one of them the first worksheet is read.
var sheetNames = []string{"seals", "印章"}

func xlsxOptions() excelize.Options {
	return excelize.Options{UnzipSizeLimit: maxUnzip, UnzipXMLSizeLimit: xmlInMemory}
}

// checkZip applies the workbook limits to the zip directory of r.
func checkZip(r io.ReaderAt, size int64) error {
	if size > maxXLSXFile {
		return fmt.Errorf("%w: workbook larger than %d MiB; save the ledger as CSV", ErrFormat, maxXLSXFile>>20)
	}
	z, err := zip.NewReader(r, size)
	if err != nil {
		return fmt.Errorf("%w: not a readable .xlsx workbook: %w", ErrFormat, err)
	}
	var total, inMem uint64
	for _, f := range z.File {
		n := f.UncompressedSize64
		total += n
		name := strings.ToLower(strings.ReplaceAll(f.Name, "\\", "/"))
		toDisk := n > xmlInMemory && (name == "xl/sharedstrings.xml" || strings.HasPrefix(name, "xl/worksheets/sheet"))
		if !toDisk {
			inMem += n
		}
		if n > maxUnzip || total > maxUnzip || inMem > maxInMemory {
			return fmt.Errorf("%w: workbook too large when unpacked (more than %d MiB, or %d MiB outside the worksheets); "+
				"remove pictures or save the ledger as CSV", ErrFormat, maxUnzip>>20, maxInMemory>>20)
		}
	}
	return nil
}

// NewXLSX reads a workbook ledger from the worksheet named "seals" or
// "印章" if there is one, else from the first worksheet. The workbook is
// read into memory (excelize moves large worksheets to temporary files);
// rows are then read one at a time with excelize's row iterator. Close
// the Reader to remove the temporary files.
//
// Cells are read as stored, without number formats: a date column may
// hold text dates or Excel serial dates (which is what a cell formatted as
// a date holds), and a seal code stored as a number reads as its digits.
func NewXLSX(r io.Reader) (*Reader, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxXLSXFile+1))
	if err != nil {
		return nil, err
	}
	if err := checkZip(bytes.NewReader(data), int64(len(data))); err != nil {
		return nil, err
	}
	return openXLSXBytes(data)
}

func openXLSXBytes(data []byte) (rd *Reader, err error) {
	defer recoverXLSX(&err)
	f, err := excelize.OpenReader(bytes.NewReader(data), xlsxOptions())
	if err != nil {
		return nil, fmt.Errorf("%w: not a readable .xlsx workbook: %w", ErrFormat, err)
	}
	return newXLSXReader(f)
}

func openXLSXFile(path string) (rd *Reader, err error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := file.Stat()
	if err == nil {
		err = checkZip(file, fi.Size())
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	defer recoverXLSX(&err)
	f, err := excelize.OpenFile(path, xlsxOptions())
	if err != nil {
		return nil, fmt.Errorf("%w: %s: not a readable .xlsx workbook: %w", ErrFormat, path, err)
	}
	return newXLSXReader(f)
}

// recoverXLSX turns a panic inside excelize, on a malformed workbook, into
// an error.
func recoverXLSX(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%w: malformed workbook (%v)", ErrFormat, p)
	}
}

func newXLSXReader(f *excelize.File) (*Reader, error) {
	sheet := pickSheet(f.GetSheetList())
	if sheet == "" {
		_ = f.Close()
		return nil, fmt.Errorf("%w: workbook has no worksheet", ErrNoHeader)
	}
	opt := cellOptions{src: fromXLSX}
	if p, err := f.GetWorkbookProps(); err == nil && p.Date1904 != nil {
		opt.date1904 = *p.Date1904
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("%w: worksheet %q: %w", ErrFormat, sheet, err)
	}
	src := &xlsxSource{f: f, rows: rows}
	r, err := newReader(src, opt, -1)
	if err != nil {
		_ = src.close()
		return nil, err
	}
	r.totalFunc = func() int { return xlsxTotal(f, sheet, r.opt.headerLine) }
	return r, nil
}

// pickSheet returns the preferred worksheet, or the first.
func pickSheet(list []string) string {
	for _, want := range sheetNames {
		for _, s := range list {
			if strings.EqualFold(strings.TrimSpace(s), want) {
				return s
			}
		}
	}
	if len(list) == 0 {
		return ""
	}
	return list[0]
}

// xlsxTotal returns the number of rows after the header: from the sheet's
// dimension when it has one, else by counting the rows.
func xlsxTotal(f *excelize.File, sheet string, header int) (n int) {
	defer func() {
		if recover() != nil {
			n = -1
		}
	}()
	last := 0
	// A one-cell dimension ("A1") is what excelize's streaming writer
	// leaves; only a range is trusted.
	if ref, err := f.GetSheetDimension(sheet); err == nil {
		if _, cell, ok := strings.Cut(ref, ":"); ok {
			if _, row, err := excelize.CellNameToCoordinates(cell); err == nil {
				last = row
			}
		}
	}
	if last == 0 {
		rows, err := f.Rows(sheet)
		if err != nil {
			return -1
		}
		for rows.Next() {
			last++
		}
		if rows.Close() != nil {
			return -1
		}
	}
	return max(last-header, 0)
}

// xlsxSource reads the rows of one worksheet.
type xlsxSource struct {
	f    *excelize.File
	rows *excelize.Rows
	row  int
}

func (s *xlsxSource) next() (line int, cells []string, err error) {
	defer recoverXLSX(&err)
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return 0, nil, fmt.Errorf("%w: %w", ErrFormat, err)
		}
		return 0, nil, io.EOF
	}
	s.row++
	cells, err = s.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return s.row, nil, &RowError{Line: s.row, Msg: "unreadable row: " + err.Error(), Err: err}
	}
	return s.row, cells, nil
}

func (s *xlsxSource) close() error {
	err := s.rows.Close()
	if ferr := s.f.Close(); err == nil {
		err = ferr
	}
	return err
}

// WriteXLSX writes rows as a workbook with one worksheet, "seals", with the
// header and checks of [WriteCSV]. Dates are date cells (format
// yyyy-mm-dd hh:mm:ss, wall-clock time in [Zone]), except a time with a
// fraction of a second, or an end of validity at exactly midnight (which
// would read back as the end of that day), which is written as RFC 3339
// text. The type is a number cell and every other value a text cell, so
// seal codes keep their digits. What it writes reads back with [NewXLSX]
// as equal rows (except Line).
func WriteXLSX(w io.Writer, rows []Row) error {
	f := excelize.NewFile()
	err := writeXLSX(f, w, rows)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func writeXLSX(f *excelize.File, w io.Writer, rows []Row) error {
	const sheet = "seals"
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		return err
	}
	dateFmt := "yyyy-mm-dd hh:mm:ss"
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	header := make([]any, numCols)
	for i, c := range columns {
		header[i] = c.name
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	values := make([]any, numCols)
	for i, r := range rows {
		cells, norm, err := normalise(r, i+2)
		if err != nil {
			return err
		}
		for j, c := range cells {
			if c == "" {
				values[j] = nil
			} else {
				values[j] = c
			}
		}
		if norm.Type != TypeUnspecified {
			values[colType] = norm.Type
		}
		for _, d := range []struct {
			col int
			t   time.Time
			end bool
		}{{colValidStart, norm.ValidStart, false}, {colValidEnd, norm.ValidEnd, true}, {colStatusAt, norm.StatusAt, false}} {
			if d.t.IsZero() || d.t.Nanosecond() != 0 {
				continue
			}
			wall := d.t.In(Zone)
			if d.end && wall.Hour() == 0 && wall.Minute() == 0 && wall.Second() == 0 {
				continue
			}
			values[d.col] = excelize.Cell{StyleID: dateStyle, Value: wall}
		}
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, values); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}

var _ recordSource = (*xlsxSource)(nil)
