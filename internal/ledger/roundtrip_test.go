package ledger

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const roundTripRows = 10000

func TestRoundTripCSV(t *testing.T) {
	want := genRows(t, roundTripRows, 1)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, want); err != nil {
		t.Fatal(err)
	}
	r, err := NewCSV(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Total(); got != -1 {
		t.Errorf("Total from NewCSV = %d, want -1", got)
	}
	if got, want := len(r.Columns()), numCols; got != want {
		t.Errorf("Columns() = %v", r.Columns())
	}
	got, errs := readAll(t, r)
	if len(errs) > 0 {
		t.Fatalf("%d row errors, first %v", len(errs), errs[0])
	}
	compareRows(t, got, want)
	prev := 1
	for _, row := range got {
		if row.Line <= prev {
			t.Fatalf("line %d after %d", row.Line, prev)
		}
		prev = row.Line
	}
}

func TestRoundTripXLSX(t *testing.T) {
	want := genRows(t, roundTripRows, 2)
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, want); err != nil {
		t.Fatal(err)
	}
	r, err := NewXLSX(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Total(); got != roundTripRows {
		t.Errorf("Total = %d, want %d", got, roundTripRows)
	}
	got, errs := readAll(t, r)
	if len(errs) > 0 {
		t.Fatalf("%d row errors, first %v", len(errs), errs[0])
	}
	compareRows(t, got, want)
	for i, row := range got {
		if row.Line != i+2 {
			t.Fatalf("row %d: Line = %d, want %d", i, row.Line, i+2)
		}
	}
}

func compareRows(t *testing.T, got, want []Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("read %d rows, wrote %d", len(got), len(want))
	}
	for i := range want {
		if !sameRow(got[i], want[i]) {
			t.Fatalf("row %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestOpen(t *testing.T) {
	rows := genRows(t, 50, 3)
	dir := t.TempDir()
	for _, name := range []string{"ledger.csv", "LEDGER.XLSX"} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			write := WriteCSV
			if filepath.Ext(name) == ".XLSX" {
				write = WriteXLSX
			}
			if err := write(&buf, rows); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			// Multi-line reasons make the CSV line count an upper bound.
			if tot := r.Total(); tot < len(rows) || tot > 2*len(rows) {
				t.Errorf("Total = %d, want about %d", tot, len(rows))
			}
			got, errs := readAll(t, r)
			if len(errs) > 0 {
				t.Fatal(errs[0])
			}
			compareRows(t, got, rows)
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Next(); err == nil {
				t.Error("Next after Close succeeded")
			}
		})
	}
}

func TestWriteNormalises(t *testing.T) {
	in := Row{
		Code: " 33010600000001 ", Name: " 公章 ", Type: TypeOfficial,
		OwnerUSCC:  usccOK,
		ValidStart: base, ValidEnd: base.AddDate(1, 0, 0),
		Status:    "",
		MakerCert: hexB,
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, []Row{in}); err != nil {
		t.Fatal(err)
	}
	r, err := NewCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	got, errs := readAll(t, r)
	if len(errs) > 0 || len(got) != 1 {
		t.Fatalf("rows %v errors %v", got, errs)
	}
	if g := got[0]; g.Code != "33010600000001" || g.Name != "公章" || g.Status != StatusValid || g.MakerCert != strings.ToLower(hexB) {
		t.Errorf("got %+v", g)
	}

	bad := in
	bad.ValidEnd = bad.ValidStart
	for name, write := range map[string]func(*bytes.Buffer, []Row) error{
		"csv":  func(b *bytes.Buffer, r []Row) error { return WriteCSV(b, r) },
		"xlsx": func(b *bytes.Buffer, r []Row) error { return WriteXLSX(b, r) },
	} {
		err := write(new(bytes.Buffer), []Row{in, bad})
		re := asRowError(t, err)
		if re.Line != 3 || re.Column != "valid_end" {
			t.Errorf("%s: error %v, want line 3, column valid_end", name, err)
		}
	}
}
