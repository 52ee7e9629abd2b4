package ledger

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error returned by this package, other than io.EOF
// at the end of a ledger and errors from the operating system or the
// io.Reader (including os.ErrClosed from Next after Close), wraps one of
// them; test with [errors.Is].
var (
	// ErrNoHeader reports a ledger without a header row: an empty file, a
	// file of blank lines, or an empty worksheet.
	ErrNoHeader = errors.New("ledger: no header row")

	// ErrUnknownColumn reports a header cell that names no known column
	// (see [CanonicalColumns] and the aliases in the package comment).
	ErrUnknownColumn = errors.New("ledger: unknown column")

	// ErrDuplicateColumn reports a column named twice in the header, by the
	// same name or by two aliases of it (e.g. "code" and "印章编码").
	ErrDuplicateColumn = errors.New("ledger: duplicate column")

	// ErrMissingColumn reports a required column (code, name, valid_start,
	// valid_end) absent from the header.
	ErrMissingColumn = errors.New("ledger: missing required column")

	// ErrFormat reports malformed content: a bad value in a row (every
	// [*RowError] wraps it), a malformed CSV record, a header over the
	// size limits, or a workbook that cannot be read.
	ErrFormat = errors.New("ledger: malformed ledger")

	// ErrUnsupported reports a file type the package does not read: an
	// extension other than .csv or .xlsx in [Open], or a UTF-16 CSV.
	ErrUnsupported = errors.New("ledger: unsupported file type")
)

// RowError reports one bad data row. The [Reader] stays usable after
// returning it: call [Reader.Next] again to go on with the next row, so a
// caller can collect every error of a ledger in one pass.
//
// RowError wraps [ErrFormat] and, when set, Err.
type RowError struct {
	// Line is the 1-based line of the record in a CSV (the line where it
	// starts, for a record with multi-line cells) or the 1-based row number
	// in a worksheet.
	Line int
	// Column is the canonical name of the offending column ("valid_end"),
	// "#N" for the N-th (1-based) column when it has no header, or "" when
	// the problem is the row as a whole.
	Column string
	// Msg says what is wrong, in English.
	Msg string
	// Err is the underlying cause (for example a sealcode error for a bad
	// USCC), or nil.
	Err error

	pos int // 1-based column position, when Column is "#N", for renaming
}

// Error returns "ledger: line 12, column valid_end: ...".
func (e *RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("ledger: line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("ledger: line %d, column %s: %s", e.Line, e.Column, e.Msg)
}

// Unwrap returns ErrFormat and, if set, Err.
func (e *RowError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrFormat, e.Err}
	}
	return []error{ErrFormat}
}

// HeaderError reports one problem with the header row. [NewCSV], [NewXLSX]
// and [Open] return every problem of a header at once, joined with
// [errors.Join]; find them with [errors.As] or test with [errors.Is].
type HeaderError struct {
	// Line is the line (CSV) or row (XLSX) of the header.
	Line int
	// Position is the 1-based column position of the offending cell, or 0
	// for a missing column or a problem with the whole header.
	Position int
	// Name is the header text as found (cut to 64 bytes), or for
	// ErrMissingColumn the canonical name of the missing column.
	Name string
	// Err is ErrUnknownColumn, ErrDuplicateColumn, ErrMissingColumn or
	// ErrFormat.
	Err error
	// Msg adds detail, or is empty.
	Msg string
}

// Error returns for example `ledger: line 1, header column 3 "foo": unknown column`.
func (e *HeaderError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ledger: line %d, header", e.Line)
	if e.Position > 0 {
		fmt.Fprintf(&b, " column %d", e.Position)
	}
	if e.Name != "" {
		fmt.Fprintf(&b, " %q", e.Name)
	}
	b.WriteString(": ")
	b.WriteString(strings.TrimPrefix(e.Err.Error(), "ledger: "))
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	return b.String()
}

// Unwrap returns Err.
func (e *HeaderError) Unwrap() error { return e.Err }

// clip cuts s to at most n bytes without splitting a UTF-8 sequence, so
// that error messages stay short for hostile input.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "…"
}
