package ledger

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// sniffSize is how many bytes, from the first non-ASCII byte on, decide
// between UTF-8 and GB18030.
const sniffSize = 64 << 10

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// newDecoder returns a reader of UTF-8 text from a CSV in UTF-8 (with or
// without a byte-order mark) or in GB18030 (and so GBK and GB2312, its
// subsets). The encoding is decided at the first non-ASCII byte, by
// isUTF8 on the 64 KiB from there on; ASCII, and so everything before that
// byte, is the same in both.
func newDecoder(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(3)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if bytes.HasPrefix(head, utf8BOM) {
		_, _ = br.Discard(3)
		return br, nil
	}
	if len(head) >= 2 && (head[0] == 0xFF && head[1] == 0xFE || head[0] == 0xFE && head[1] == 0xFF) {
		return nil, fmt.Errorf("%w: UTF-16 text; save the ledger as CSV (UTF-8)", ErrUnsupported)
	}
	return &sniffReader{br: br}, nil
}

// sniffReader passes ASCII through until the first non-ASCII byte, then
// decides the encoding and reads the rest through dec.
type sniffReader struct {
	br  *bufio.Reader
	dec io.Reader
}

func (s *sniffReader) Read(p []byte) (int, error) {
	if s.dec != nil {
		return s.dec.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if _, err := s.br.Peek(1); err != nil {
		return 0, err
	}
	buf, _ := s.br.Peek(s.br.Buffered())
	i := 0
	for i < len(buf) && buf[i] < utf8.RuneSelf {
		i++
	}
	if i > 0 {
		n := copy(p, buf[:i])
		_, _ = s.br.Discard(n)
		return n, nil
	}
	window, err := s.br.Peek(sniffSize)
	atEOF := err != nil
	if isUTF8(window, atEOF) {
		s.dec = s.br
	} else {
		s.dec = transform.NewReader(s.br, simplifiedchinese.GB18030.NewDecoder())
	}
	return s.dec.Read(p)
}

// isUTF8 decides whether b, the start of the non-ASCII part of a file, is
// UTF-8 rather than GB18030. Valid UTF-8 is UTF-8. Otherwise the encoding
// with fewer invalid sequences wins, so that a UTF-8 file with a stray bad
// byte stays UTF-8 (the bad byte is then an error in its cell) instead of
// turning into plausible-looking mojibake. An incomplete sequence at the
// end of b is ignored when more input follows.
func isUTF8(b []byte, atEOF bool) bool {
	if !atEOF {
		for k := 1; k <= 3 && k <= len(b); k++ {
			if utf8.RuneStart(b[len(b)-k]) {
				if !utf8.FullRune(b[len(b)-k:]) {
					b = b[:len(b)-k]
				}
				break
			}
		}
	}
	if utf8.Valid(b) {
		return true
	}
	bad8 := 0
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			bad8++
		}
		i += size
	}
	gb, _, err := transform.Bytes(simplifiedchinese.GB18030.NewDecoder(), b)
	if err != nil {
		return true
	}
	badGB := bytes.Count(gb, []byte(string(utf8.RuneError)))
	return bad8 <= badGB
}

// csvSource reads CSV records (RFC 4180, comma separated, LF or CRLF line
// ends) with bounded memory: at most MaxColumns+1 fields of at most
// MaxCellBytes+1 bytes are kept per record, whatever the input. Longer
// input is read and dropped, and the record is reported by the common
// limit checks. Quoting errors are reported as *RowError after the rest of
// the record has been read, so reading goes on with the next record.
type csvSource struct {
	br   *bufio.Reader
	line int // line of the next byte
	eof  bool
	// current record
	fields []string
	field  []byte
}

func newCSVSource(r io.Reader) (*csvSource, error) {
	dec, err := newDecoder(r)
	if err != nil {
		return nil, err
	}
	return &csvSource{br: bufio.NewReaderSize(dec, 64<<10), line: 1}, nil
}

func (s *csvSource) close() error { return nil }

func (s *csvSource) endField() {
	if len(s.fields) <= MaxColumns {
		s.fields = append(s.fields, string(s.field))
	}
	s.field = s.field[:0]
}

func (s *csvSource) addByte(c byte) {
	if len(s.field) <= MaxCellBytes {
		s.field = append(s.field, c)
	}
}

// takeRun appends the buffered bytes up to the next byte in special to the
// current field (within the limit) and consumes them.
func (s *csvSource) takeRun(special string) {
	buf, _ := s.br.Peek(s.br.Buffered())
	i := bytes.IndexAny(buf, special)
	if i < 0 {
		i = len(buf)
	}
	if room := MaxCellBytes + 1 - len(s.field); room > 0 {
		s.field = append(s.field, buf[:min(i, room)]...)
	}
	_, _ = s.br.Discard(i)
}

// CSV parser states.
const (
	stFieldStart = iota // at the start of a field
	stUnquoted          // inside an unquoted field
	stQuoted            // inside a quoted field
	stAfterQuote        // right after the closing quote of a field
)

// next returns the next record with the line where it starts. A quote
// inside an unquoted field is kept as it is, as spreadsheets do; text
// after the closing quote of a quoted field, or a quoted field still open
// at the end of the file, is an error.
func (s *csvSource) next() (int, []string, error) {
	if s.eof {
		return 0, nil, io.EOF
	}
	start := s.line
	s.fields = s.fields[:0]
	s.field = s.field[:0]
	var problem *RowError
	fail := func(msg string) {
		if problem == nil {
			pos := len(s.fields) + 1
			problem = &RowError{Line: start, Column: "#" + strconv.Itoa(pos), Msg: msg, pos: pos}
		}
	}
	state, consumed := stFieldStart, false
	for {
		c, err := s.br.ReadByte()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return 0, nil, err
			}
			s.eof = true
			if !consumed {
				return 0, nil, io.EOF
			}
			if state == stQuoted {
				fail("quoted field not closed before the end of the file")
			}
			s.endField()
			break
		}
		consumed = true
		if c == '\n' {
			s.line++
		}
		if c == '\r' {
			if nx, err := s.br.Peek(1); err == nil && nx[0] == '\n' {
				continue // CRLF reads as LF, inside quotes too
			}
		}
		if state == stQuoted {
			if c == '"' {
				if nx, err := s.br.Peek(1); err == nil && nx[0] == '"' {
					_, _ = s.br.Discard(1)
					s.addByte('"')
				} else {
					state = stAfterQuote
				}
				continue
			}
			s.addByte(c)
			s.takeRun("\"\r\n")
			continue
		}
		if c == ',' {
			s.endField()
			state = stFieldStart
			continue
		}
		if c == '\n' {
			s.endField()
			break
		}
		switch state {
		case stFieldStart:
			if c == '"' {
				state = stQuoted
				continue
			}
		case stAfterQuote:
			fail(`unexpected text after the closing quote of a field`)
		}
		s.addByte(c)
		s.takeRun(",\r\n")
		state = stUnquoted
	}
	if problem != nil {
		return start, nil, problem
	}
	return start, s.fields, nil
}

// WriteCSV writes rows as a UTF-8 CSV with a byte-order mark (so that
// spreadsheets open it as UTF-8), the canonical English header of
// [CanonicalColumns], RFC 3339 dates in [Zone] and fingerprints separated
// by ';'. It writes the normalised form of each row (trimmed, statuses in
// English, fingerprints in lower case, times in Zone) and rejects a row
// that [Reader.Next] would reject, with a *RowError whose Line is the
// row's index in rows plus 2 (the header being line 1). What it writes
// reads back with [NewCSV] as equal rows (except Line).
func WriteCSV(w io.Writer, rows []Row) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.Write(utf8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	if err := cw.Write(CanonicalColumns()); err != nil {
		return err
	}
	for i, r := range rows {
		cells, _, err := normalise(r, i+2)
		if err != nil {
			return err
		}
		if err := cw.Write(cells[:]); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

var _ recordSource = (*csvSource)(nil)
