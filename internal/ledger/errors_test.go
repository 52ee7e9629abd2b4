package ledger

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/sealhub/sealhub/trustlist/sealcode"
)

func asRowError(t *testing.T, err error) *RowError {
	t.Helper()
	var re *RowError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a *RowError", err, err)
	}
	if !errors.Is(err, ErrFormat) {
		t.Fatalf("error %v does not wrap ErrFormat", err)
	}
	return re
}

const hdr = "code,name,type,owner_uscc,valid_start,valid_end,status,status_at,maker_cert,signer_certs,seal_sm3"

// goodLine is a valid data row for hdr; its code is 33010600000099.
const goodLine = "33010600000099,公章,1," + usccOK + ",2024-01-01,2026-12-31,valid,,,,"

func TestHeaderErrors(t *testing.T) {
	tests := map[string]struct {
		header   string
		sentinel error
		position int
		name     string
	}{
		"unknown":          {"code,name,valid_start,valid_end,colour", ErrUnknownColumn, 5, "colour"},
		"unknown chinese":  {"印章编码,印章名称,有效期起,有效期止,备注", ErrUnknownColumn, 5, "备注"},
		"duplicate":        {"code,name,valid_start,valid_end,name", ErrDuplicateColumn, 5, "name"},
		"duplicate alias":  {"code,name,valid_start,valid_end,印章编码", ErrDuplicateColumn, 5, "印章编码"},
		"missing":          {"code,name,valid_start", ErrMissingColumn, 0, "valid_end"},
		"missing name":     {"code,valid_start,valid_end,type", ErrMissingColumn, 0, "name"},
		"too many columns": {strings.Repeat(",", MaxColumns) + "code", ErrFormat, 0, ""},
		"oversize header":  {"code,name,valid_start,valid_end," + strings.Repeat("x", MaxCellBytes+1), ErrFormat, 5, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := NewCSV(csvOf(tc.header, goodLine))
			if r != nil || !errors.Is(err, tc.sentinel) {
				t.Fatalf("NewCSV: %v, %v; want %v", r, err, tc.sentinel)
			}
			var he *HeaderError
			if !errors.As(err, &he) {
				t.Fatalf("%v is not a *HeaderError", err)
			}
			if he.Line != 1 || he.Position != tc.position || he.Name != tc.name {
				t.Errorf("got line %d position %d name %q; want 1, %d, %q (%v)", he.Line, he.Position, he.Name, tc.position, tc.name, err)
			}
			if !strings.HasPrefix(err.Error(), "ledger: line 1, header") {
				t.Errorf("message %q", err)
			}
		})
	}

	// Several problems are reported together.
	_, err := NewCSV(csvOf("code,foo,code,bar"))
	for _, s := range []error{ErrUnknownColumn, ErrDuplicateColumn, ErrMissingColumn} {
		if !errors.Is(err, s) {
			t.Errorf("%v does not wrap %v", err, s)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 6 { // foo, code, bar, name, valid_start, valid_end
		t.Errorf("%d problems reported, want 6:\n%v", n, err)
	}
}

func TestNoHeader(t *testing.T) {
	for name, in := range map[string]string{
		"empty": "", "blank lines": "\n\r\n  ,  ,\n", "bom only": "\xEF\xBB\xBF",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := NewCSV(strings.NewReader(in)); !errors.Is(err, ErrNoHeader) {
				t.Errorf("got %v, want ErrNoHeader", err)
			}
		})
	}
}

// TestRowErrors checks every row-level error: its line, its column, its
// sentinel, and that the reader goes on with the next row.
func TestRowErrors(t *testing.T) {
	tests := map[string]struct {
		line   string
		column string
		msg    string
		cause  error
	}{
		"missing code":          {",公章,1,,2024-01-01,2026-12-31,,,,,", "code", "required", nil},
		"code with space":       {"3301 0600000001,公章,1,,2024-01-01,2026-12-31,,,,,", "code", "invalid seal code", sealcode.ErrMalformed},
		"code unknown province": {"99010600000001,公章,1,,2024-01-01,2026-12-31,,,,,", "code", "invalid seal code", sealcode.ErrUnknownProvince},
		"code excel mangled":    {"3.30106E+13,公章,1,,2024-01-01,2026-12-31,,,,,", "code", "scientific notation", nil},
		"code too long":         {strings.Repeat("A", 65) + ",公章,1,,2024-01-01,2026-12-31,,,,,", "code", "longer than 64", sealcode.ErrMalformed},
		"missing name":          {"33010600000001, ,1,,2024-01-01,2026-12-31,,,,,", "name", "required", nil},
		"control char":          {"33010600000001,\"公\x01章\",1,,2024-01-01,2026-12-31,,,,,", "name", "control character", nil},
		"bad type":              {"33010600000001,公章,私章,,2024-01-01,2026-12-31,,,,,", "type", "unknown seal type", nil},
		"type zero":             {"33010600000001,公章,0,,2024-01-01,2026-12-31,,,,,", "type", "unknown seal type", nil},
		"uscc excel mangled":    {"33010600000001,公章,1,1.153E+17,2024-01-01,2026-12-31,,,,,", "owner_uscc", "scientific notation", nil},
		"bad uscc check":        {"33010600000001,公章,1,11370306MB2867521A,2024-01-01,2026-12-31,,,,,", "owner_uscc", "check character", sealcode.ErrUSCCCheck},
		"bad uscc length":       {"33010600000001,公章,1,1137030,2024-01-01,2026-12-31,,,,,", "owner_uscc", "characters", sealcode.ErrUSCCLength},
		"missing start":         {"33010600000001,公章,1,,,2026-12-31,,,,,", "valid_start", "required", nil},
		"bad date":              {"33010600000001,公章,1,,2024-13-01,2026-12-31,,,,,", "valid_start", "not a date", nil},
		"bad date text":         {"33010600000001,公章,1,,yesterday,2026-12-31,,,,,", "valid_start", "not a date", nil},
		"serial in csv":         {"33010600000001,公章,1,,45000,2026-12-31,,,,,", "valid_start", "not a date", nil},
		"year out of range":     {"33010600000001,公章,1,,1800-01-01,2026-12-31,,,,,", "valid_start", "out of range", nil},
		"missing end":           {"33010600000001,公章,1,,2024-01-01,,,,,,", "valid_end", "required", nil},
		"end before start":      {"33010600000001,公章,1,,2024-01-01,2023-12-31,,,,,", "valid_end", "not after", nil},
		"end equals start":      {"33010600000001,公章,1,,2024-01-01 10:00:00,2024-01-01T10:00:00+08:00,,,,,", "valid_end", "not after", nil},
		"bad status":            {"33010600000001,公章,1,,2024-01-01,2026-12-31,挂失,,,,", "status", "unknown status", nil},
		"status without at":     {"33010600000001,公章,1,,2024-01-01,2026-12-31,注销,,,,", "status_at", "required", nil},
		"bad status_at":         {"33010600000001,公章,1,,2024-01-01,2026-12-31,停用,soon,,,", "status_at", "not a date", nil},
		"short hex":             {"33010600000001,公章,1,,2024-01-01,2026-12-31,,," + hexA[:63] + ",,", "maker_cert", "SM3 fingerprint", nil},
		"non-hex":               {"33010600000001,公章,1,,2024-01-01,2026-12-31,,," + hexA[:63] + "g,,", "maker_cert", "SM3 fingerprint", nil},
		"bad signer hex":        {"33010600000001,公章,1,,2024-01-01,2026-12-31,,,," + hexA + ";xyz,", "signer_certs", "SM3 fingerprint", nil},
		"duplicate signer":      {"33010600000001,公章,1,,2024-01-01,2026-12-31,,,," + hexA + "|" + strings.ToUpper(hexA) + ",", "signer_certs", "twice", nil},
		"bad seal_sm3":          {"33010600000001,公章,1,,2024-01-01,2026-12-31,,,,," + hexA + "00", "seal_sm3", "SM3 fingerprint", nil},
		"oversize cell":         {"33010600000001," + strings.Repeat("章", MaxCellBytes/3+1) + ",1,,2024-01-01,2026-12-31,,,,,", "name", "longer than 4096", nil},
		"oversize quoted cell":  {"33010600000001,\"" + strings.Repeat("a\n", MaxCellBytes) + "\",1,,2024-01-01,2026-12-31,,,,,", "name", "longer than 4096", nil},
		"too many columns":      {goodLine + strings.Repeat(",", MaxColumns), "", "more than 64 columns", nil},
		"value without header":  {goodLine + ",extra", "#12", "without a header", nil},
		"text after quote":      {"33010600000001,\"公章\"x,1,,2024-01-01,2026-12-31,,,,,", "name", "after the closing quote", nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			// line 1 header, 2 good, 3 blank, 4 the bad row, 5 good
			r, err := NewCSV(csvOf(hdr, goodLine, "", tc.line, strings.Replace(goodLine, "99,", "98,", 1)))
			if err != nil {
				t.Fatal(err)
			}
			if row, err := r.Next(); err != nil || row.Line != 2 {
				t.Fatalf("first row: %+v, %v", row, err)
			}
			_, err = r.Next()
			re := asRowError(t, err)
			if re.Line != 4 || re.Column != tc.column || !strings.Contains(re.Msg, tc.msg) {
				t.Errorf("got line %d column %q msg %q; want line 4 column %q msg containing %q", re.Line, re.Column, re.Msg, tc.column, tc.msg)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("%v does not wrap %v", err, tc.cause)
			}
			prefix := "ledger: line 4, column " + tc.column + ": "
			if tc.column == "" {
				prefix = "ledger: line 4: "
			}
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("message %q, want prefix %q", err, prefix)
			}
			row, err := r.Next()
			if err != nil || row.Code != "33010600000098" {
				t.Fatalf("row after the error: %+v, %v", row, err)
			}
			if _, err := r.Next(); !errors.Is(err, io.EOF) {
				t.Fatalf("want EOF, got %v", err)
			}
		})
	}
}

func TestInvalidUTF8(t *testing.T) {
	// A stray byte in a UTF-8 file is an error in its cell, not a reason
	// to read the file as GB18030, with or without a byte-order mark.
	for _, bom := range []string{"", "\xEF\xBB\xBF"} {
		in := bom + hdr + "\n" + goodLine + "\n33010600000001,公章\xff,1,,2024-01-01,2026-12-31,,,,,\n" +
			strings.Replace(goodLine, "99,公章,", "98,合同专用章,", 1) + "\n"
		r, err := NewCSV(strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		rows, errs := readAll(t, r)
		if len(rows) != 2 || rows[0].Name != "公章" || rows[1].Name != "合同专用章" ||
			len(errs) != 1 || errs[0].Line != 3 || errs[0].Column != "name" || !strings.Contains(errs[0].Msg, "encoding") {
			t.Errorf("BOM %q: rows %v, errors %v", bom, rows, errs)
		}
	}
}

func TestUnclosedQuote(t *testing.T) {
	r, err := NewCSV(csvOf(hdr, goodLine, "33010600000001,\"公章,1", "more"))
	if err != nil {
		t.Fatal(err)
	}
	rows, errs := readAll(t, r)
	if len(rows) != 1 || len(errs) != 1 || errs[0].Line != 3 || errs[0].Column != "name" || !strings.Contains(errs[0].Msg, "not closed") {
		t.Fatalf("rows %v, errors %v", rows, errs)
	}
}

func TestUnsupported(t *testing.T) {
	for _, p := range []string{"ledger.txt", "ledger.xls", "ledger"} {
		if _, err := Open(p); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Open(%q): %v, want ErrUnsupported", p, err)
		}
	}
	if _, err := NewCSV(bytes.NewReader([]byte{0xFF, 0xFE, 'c', 0})); !errors.Is(err, ErrUnsupported) {
		t.Errorf("UTF-16: %v, want ErrUnsupported", err)
	}
	if _, err := NewXLSX(strings.NewReader("code,name\n")); !errors.Is(err, ErrFormat) {
		t.Errorf("NewXLSX(csv): %v, want ErrFormat", err)
	}
	if _, err := Open("/nonexistent/ledger.xlsx"); err == nil || errors.Is(err, ErrFormat) {
		t.Errorf("Open(missing .xlsx): %v, want a file error", err)
	}
}
