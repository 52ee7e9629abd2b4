package ledger

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// checkRow checks the invariants every returned Row satisfies.
func checkRow(t *testing.T, row Row) {
	t.Helper()
	if row.Code == "" || row.Name == "" {
		t.Fatalf("empty code or name: %+v", row)
	}
	if !row.ValidEnd.After(row.ValidStart) {
		t.Fatalf("valid_end not after valid_start: %+v", row)
	}
	switch row.Status {
	case StatusValid:
	case StatusSuspended, StatusRevoked, StatusInvalidated:
		if row.StatusAt.IsZero() {
			t.Fatalf("status %s without status_at: %+v", row.Status, row)
		}
	default:
		t.Fatalf("bad status %q", row.Status)
	}
	if row.ValidStart.Location() != Zone || row.ValidEnd.Location() != Zone || (!row.StatusAt.IsZero() && row.StatusAt.Location() != Zone) {
		t.Fatalf("time not in Zone: %+v", row)
	}
	for _, h := range append([]string{row.MakerCert, row.SealSM3, row.PictureSM3}, row.SignerCerts...) {
		if h == "" {
			continue
		}
		if _, ok := parseSM3(h); !ok || h != strings.ToLower(h) {
			t.Fatalf("bad fingerprint %q", h)
		}
	}
	if row.SignerCerts != nil && len(row.SignerCerts) == 0 {
		t.Fatalf("empty non-nil SignerCerts")
	}
	if row.Line < 1 {
		t.Fatalf("line %d", row.Line)
	}
}

// checkRoundTrip writes row with write and reads it back with read.
func checkRoundTrip(t *testing.T, row Row, write func(io.Writer, []Row) error, read func(io.Reader) (*Reader, error)) {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf, []Row{row}); err != nil {
		t.Fatalf("writing %+v: %v", row, err)
	}
	r, err := read(&buf)
	if err != nil {
		t.Fatalf("reading back %+v: %v", row, err)
	}
	defer r.Close()
	got, err := r.Next()
	if err != nil {
		t.Fatalf("reading back %+v: %v", row, err)
	}
	if !sameRow(got, row) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, row)
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("extra row: %v", err)
	}
}

// checkErr checks that a constructor error wraps a sentinel.
func checkErr(t *testing.T, err error) {
	t.Helper()
	for _, s := range []error{ErrNoHeader, ErrUnknownColumn, ErrDuplicateColumn, ErrMissingColumn, ErrFormat, ErrUnsupported} {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error %v wraps no sentinel", err)
}

// drain reads r to the end, checking rows and errors, and returns the
// rows.
func drain(t *testing.T, r *Reader, limit int) []Row {
	t.Helper()
	var rows []Row
	for range limit {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				// A fatal error ends reading and sticks.
				checkErr(t, err)
				if _, err2 := r.Next(); !errors.Is(err2, err) {
					t.Fatalf("error not sticky: %v then %v", err, err2)
				}
				return rows
			}
			if re.Line < 1 || !errors.Is(err, ErrFormat) {
				t.Fatalf("bad row error %#v", re)
			}
			_ = err.Error()
			continue
		}
		checkRow(t, row)
		rows = append(rows, row)
	}
	t.Fatalf("more than %d calls to Next", limit)
	return nil
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte(strings.Join(zhLines, "\n")))
	f.Add([]byte("\xEF\xBB\xBF" + strings.Join(zhLines, "\r\n") + "\r\n"))
	if gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(strings.Join(zhLines, "\r\n"))); err == nil {
		f.Add(gbk)
	}
	f.Add([]byte(hdr + "\n" + goodLine + "\n"))
	f.Add([]byte(hdr + "\n" + goodLine + ",\"x\"y\n\"open"))
	f.Add([]byte("code,name,valid_start,valid_end,status,status_at,status_reason,signer_certs\n" +
		"33010600000001,\"a\"\"b\",2024-01-01 10:00:00.5,2024年1月2日,停用,2024/1/1,\"x\r\ny\"," + hexA + "；" + hexB + "\n"))
	var buf bytes.Buffer
	if err := WriteCSV(&buf, genRows(f, 5, 9)); err == nil {
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewCSV(bytes.NewReader(data))
		if err != nil {
			checkErr(t, err)
			return
		}
		if r.Total() != -1 {
			t.Fatalf("Total %d", r.Total())
		}
		// Every row read back is what WriteCSV writes for it. (The
		// workbook round trip is too slow for fuzzing; TestXLSXDateEdges
		// covers its edge cases.)
		for _, row := range drain(t, r, len(data)+2) {
			checkRoundTrip(t, row, WriteCSV, NewCSV)
		}
	})
}

func FuzzXLSX(f *testing.F) {
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, genRows(f, 3, 7)); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	buf.Reset()
	if err := WriteXLSX(&buf, nil); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			t.Skip()
		}
		r, err := NewXLSX(bytes.NewReader(data))
		if err != nil {
			checkErr(t, err)
			return
		}
		defer r.Close()
		_ = r.Total()
		for _, row := range drain(t, r, 1<<21) {
			checkRoundTrip(t, row, WriteCSV, NewCSV)
		}
	})
}
