package ledger

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// workbook builds an .xlsx with the given sheets; each sheet is a list of
// rows of cell values (nil leaves a cell empty).
func workbook(t *testing.T, date1904 bool, sheets map[string][][]any, order ...string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if date1904 {
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &date1904}); err != nil {
			t.Fatal(err)
		}
	}
	for i, name := range order {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for r, row := range sheets[name] {
			for c, v := range row {
				if v == nil {
					continue
				}
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if err := f.SetCellValue(name, cell, v); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zhSheet() [][]any {
	var rows [][]any
	for _, l := range zhLines {
		var row []any
		for _, c := range splitCSVLine(l) {
			row = append(row, c)
		}
		rows = append(rows, row)
	}
	return rows
}

// splitCSVLine splits an unquoted CSV line.
func splitCSVLine(l string) []string { return strings.Split(l, ",") }

func TestChineseXLSX(t *testing.T) {
	data := workbook(t, false, map[string][][]any{"台账": zhSheet()}, "台账")
	r, err := NewXLSX(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Total(); got != 6 {
		t.Errorf("Total = %d, want 6", got)
	}
	rows, errs := readAll(t, r)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	checkZh(t, rows)
}

func TestXLSXSheetChoice(t *testing.T) {
	other := [][]any{{"说明"}, {"本工作簿为印章台账"}}
	for name, order := range map[string][]string{
		"seals":  {"说明", "Seals"},
		"印章":     {"说明", "印章"},
		"first":  {"台账", "说明"},
		"seals2": {"印章", "seals"}, // "seals" is preferred over "印章"
	} {
		t.Run(name, func(t *testing.T) {
			sheets := map[string][][]any{}
			for _, s := range order {
				sheets[s] = other
			}
			target := order[0]
			if name == "seals" || name == "印章" || name == "seals2" {
				target = order[1]
			}
			sheets[target] = zhSheet()
			r, err := NewXLSX(bytes.NewReader(workbook(t, false, sheets, order...)))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			rows, errs := readAll(t, r)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			checkZh(t, rows)
		})
	}
}

func TestXLSXSerialDates(t *testing.T) {
	header := []any{"code", "name", "valid_start", "valid_end", "status", "status_at"}
	noon := time.Date(2024, 3, 5, 12, 0, 0, 0, Zone)
	for _, date1904 := range []bool{false, true} {
		day := 45356.0 // 2024-03-05 in the 1900 system
		if date1904 {
			day -= 1462
		}
		sheet := [][]any{
			header,
			// numbers in date cells: integral = a date, fraction = time of day
			{"33010600000001", "公章", day, day, "停用", day + 0.5},
			// strings holding serials read the same
			{"33010600000002", "公章", "45356.5", "45357", nil, nil},
			// time.Time values become date-formatted cells
			{"33010600000003", "公章", time.Date(2024, 3, 5, 12, 0, 0, 0, time.UTC), time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC), nil, nil},
			// code as a number
			{33010600000004, "公章", "2024-03-05", "2025-03-05", nil, nil},
			{3.3010600000005e13, "公章", "2024-03-05", "2025-03-05", nil, nil},
		}
		if date1904 {
			sheet[2][2], sheet[2][3] = "43894.5", "43895"
		}
		r, err := NewXLSX(bytes.NewReader(workbook(t, date1904, map[string][][]any{"seals": sheet}, "seals")))
		if err != nil {
			t.Fatal(err)
		}
		rows, errs := readAll(t, r)
		r.Close()
		if len(errs) > 0 || len(rows) != 5 {
			t.Fatalf("1904=%v: rows %v errors %v", date1904, rows, errs)
		}
		check := func(what string, got, want time.Time) {
			t.Helper()
			if !got.Equal(want) || got.Location() != Zone {
				t.Errorf("1904=%v %s = %v, want %v", date1904, what, got, want)
			}
		}
		day0 := time.Date(2024, 3, 5, 0, 0, 0, 0, Zone)
		check("row 2 start", rows[0].ValidStart, day0)
		check("row 2 end", rows[0].ValidEnd, day0.Add(24*time.Hour-time.Second))
		check("row 2 status_at", rows[0].StatusAt, noon)
		check("row 3 start", rows[1].ValidStart, noon)
		check("row 3 end", rows[1].ValidEnd, day0.Add(48*time.Hour-time.Second))
		check("row 4 start", rows[2].ValidStart, noon)
		check("row 4 end", rows[2].ValidEnd, time.Date(2025, 3, 5, 23, 59, 59, 0, Zone))
		if rows[3].Code != "33010600000004" || rows[4].Code != "33010600000005" {
			t.Errorf("numeric codes read as %q, %q", rows[3].Code, rows[4].Code)
		}
	}
}

func TestXLSXErrors(t *testing.T) {
	header := []any{"code", "name", "valid_start", "valid_end", "owner_uscc", "maker_cert"}
	good := func(code string) []any { return []any{code, "公章", "2024-01-01", "2025-01-01", usccOK, hexA} }
	wide := good("33010600000005")
	for len(wide) < MaxColumns+1 {
		wide = append(wide, nil)
	}
	wide = append(wide, "x")
	sheet := [][]any{
		nil, // a blank row before the header
		header,
		good("33010600000001"),
		{"33010600000002", "公章", "2024-01-01", 45000.0, nil, nil},      // 4: end before start
		{"33010600000003", "公章", "2024-01-01", "2025-01-01", "X", nil}, // 5: bad USCC
		nil,
		{"33010600000004", strings.Repeat("名", 2000), "2024-01-01", "2025-01-01", nil, nil}, // 7: oversize
		wide, // 8: too many columns
		{"33010600000006", "公章", "2024-01-01", "2025-01-01", nil, "00"}, // 9: bad hex
		{"33010600000007", "公章", -5.0, "2025-01-01", nil, nil},          // 10: negative serial
		good("33010600000008"),
	}
	r, err := NewXLSX(bytes.NewReader(workbook(t, false, map[string][][]any{"seals": sheet}, "seals")))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Total(); got != 9 {
		t.Errorf("Total = %d, want 9", got)
	}
	rows, errs := readAll(t, r)
	if len(rows) != 2 || rows[0].Line != 3 || rows[1].Line != 11 {
		t.Errorf("rows %+v", rows)
	}
	want := []struct {
		line   int
		column string
	}{{4, "valid_end"}, {5, "owner_uscc"}, {7, "name"}, {8, ""}, {9, "maker_cert"}, {10, "valid_start"}}
	if len(errs) != len(want) {
		t.Fatalf("errors %v", errs)
	}
	for i, w := range want {
		if errs[i].Line != w.line || errs[i].Column != w.column {
			t.Errorf("error %d: %v, want line %d column %q", i, errs[i], w.line, w.column)
		}
	}

	// Header errors in a workbook.
	bad := [][]any{{"code", "名称", "valid_start"}}
	_, err = NewXLSX(bytes.NewReader(workbook(t, false, map[string][][]any{"seals": bad}, "seals")))
	var he *HeaderError
	if !errors.Is(err, ErrUnknownColumn) || !errors.Is(err, ErrMissingColumn) || !errors.As(err, &he) || he.Line != 1 {
		t.Errorf("header errors: %v", err)
	}
	empty := workbook(t, false, map[string][][]any{"seals": nil}, "seals")
	if _, err := NewXLSX(bytes.NewReader(empty)); !errors.Is(err, ErrNoHeader) {
		t.Errorf("empty sheet: %v, want ErrNoHeader", err)
	}
}

// TestXLSXDateEdges writes times at the edges of the Excel date range and
// of a day, and reads them back.
func TestXLSXDateEdges(t *testing.T) {
	times := []time.Time{
		time.Date(1900, 1, 1, 0, 0, 0, 0, Zone),
		time.Date(1900, 2, 28, 23, 59, 59, 0, Zone),
		time.Date(1900, 3, 1, 0, 0, 0, 0, Zone),
		time.Date(1900, 3, 1, 12, 0, 1, 0, Zone),
		time.Date(1999, 12, 31, 23, 59, 59, 0, Zone),
		time.Date(2024, 2, 29, 0, 0, 1, 0, Zone),
		time.Date(2024, 2, 29, 0, 0, 0, 1, Zone),
		time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), // another zone
		time.Date(9999, 12, 31, 0, 0, 0, 0, Zone),
	}
	var rows []Row
	for i, a := range times {
		for j, b := range times {
			if !b.After(a) {
				continue
			}
			rows = append(rows, Row{Code: "esID" + strconv.Itoa(i) + "-" + strconv.Itoa(j), Name: "n",
				ValidStart: a.In(Zone), ValidEnd: b.In(Zone), Status: StatusRevoked, StatusAt: b.In(Zone)})
		}
	}
	for name, rt := range map[string]struct {
		write func(io.Writer, []Row) error
		read  func(io.Reader) (*Reader, error)
	}{"csv": {WriteCSV, NewCSV}, "xlsx": {WriteXLSX, NewXLSX}} {
		var buf bytes.Buffer
		if err := rt.write(&buf, rows); err != nil {
			t.Fatal(err)
		}
		r, err := rt.read(&buf)
		if err != nil {
			t.Fatal(err)
		}
		got, errs := readAll(t, r)
		r.Close()
		if len(errs) > 0 {
			t.Fatalf("%s: %v", name, errs)
		}
		if len(got) != len(rows) {
			t.Fatalf("%s: %d rows, want %d", name, len(got), len(rows))
		}
		for i := range rows {
			if !sameRow(got[i], rows[i]) {
				t.Errorf("%s: row %d:\n got %+v\nwant %+v", name, i, got[i], rows[i])
			}
		}
	}
}

// TestXLSXZipLimits checks that parts declared larger than the limits are
// refused before excelize allocates memory for them.
func TestXLSXZipLimits(t *testing.T) {
	valid := new(bytes.Buffer)
	if err := WriteXLSX(valid, genRows(t, 2, 4)); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(valid.Bytes()), int64(valid.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for name, declared := range map[string]uint64{
		"xl/styles.xml":            maxInMemory + 1, // kept in memory by excelize
		"xl/worksheets/sheet1.xml": maxUnzip + 1,    // extracted to a temporary file
		"xl/media/image1.png":      3 << 30,
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			zw := zip.NewWriter(&out)
			for _, f := range zr.File {
				if err := zw.Copy(f); err != nil {
					t.Fatal(err)
				}
			}
			w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store, CompressedSize64: 1, UncompressedSize64: declared})
			if err != nil {
				t.Fatal(err)
			}
			_, _ = w.Write([]byte("x"))
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err = NewXLSX(bytes.NewReader(out.Bytes()))
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "too large") {
				t.Errorf("got %v, want a too-large ErrFormat", err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("allocated %d bytes", alloc)
			}
		})
	}
}
