package ledger

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

const zhHeader = "印章编码,印章名称,印章类型,单位名称,统一社会信用代码,有效期起,有效期止,状态,状态生效时间,原因,制章者证书,签章者证书,印章SM3,图片SM3"

var zhLines = []string{
	zhHeader,
	"37030000001721,淄博市周村区自然资源局,法定名称章,淄博市周村区自然资源局," + usccOK + ",2021年03月01日,2031年02月28日,有效,,,,,,",
	"37030000001722,财务专用章,财务专用章,淄博市周村区自然资源局,,2021/03/01,2031/02/28,已停用,2024-05-06 09:30:00,“主体变更”，待审核,,,,",
	"37030000001723,发票专用章,03,某公司,,2021-3-1,2031-2-28,注销,2024年5月6日,,,,,",
	"37030000001724,合同专用章,合同专用章,某公司,,2021-03-01T08:00:00+08:00,2031-02-28 18:00:00,作废,2024-05-06,重复刻制," + hexB + "," + hexA + "；" + strings.ToUpper(hexB) + "," + hexA + "," + hexB,
	"37030000001725,业务专用章,业务专用章,某公司,,２０２１－０３－０１,2031-02-28,吊销,2024-05-06T00:00:00Z,,,,,",
	"esID130600,法人名章,法定代表人名章,某公司,,2021-03-01,2031-02-28,正常,,,,,,",
}

// checkZh checks the rows of zhLines.
func checkZh(t *testing.T, rows []Row) {
	t.Helper()
	if len(rows) != 6 {
		t.Fatalf("%d rows, want 6: %+v", len(rows), rows)
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, Zone) }
	endOfDay := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 23, 59, 59, 0, Zone) }
	want := []Row{
		{Line: 2, Code: "37030000001721", Name: "淄博市周村区自然资源局", Type: TypeOfficial, OwnerName: "淄博市周村区自然资源局", OwnerUSCC: usccOK,
			ValidStart: day(2021, 3, 1), ValidEnd: endOfDay(2031, 2, 28), Status: StatusValid},
		{Line: 3, Code: "37030000001722", Name: "财务专用章", Type: TypeFinance, OwnerName: "淄博市周村区自然资源局",
			ValidStart: day(2021, 3, 1), ValidEnd: endOfDay(2031, 2, 28), Status: StatusSuspended,
			StatusAt: time.Date(2024, 5, 6, 9, 30, 0, 0, Zone), StatusReason: "“主体变更”，待审核"},
		{Line: 4, Code: "37030000001723", Name: "发票专用章", Type: TypeInvoice, OwnerName: "某公司",
			ValidStart: day(2021, 3, 1), ValidEnd: endOfDay(2031, 2, 28), Status: StatusRevoked, StatusAt: day(2024, 5, 6)},
		{Line: 5, Code: "37030000001724", Name: "合同专用章", Type: TypeContract, OwnerName: "某公司",
			ValidStart: time.Date(2021, 3, 1, 8, 0, 0, 0, Zone), ValidEnd: time.Date(2031, 2, 28, 18, 0, 0, 0, Zone),
			Status: StatusInvalidated, StatusAt: day(2024, 5, 6), StatusReason: "重复刻制",
			MakerCert: strings.ToLower(hexB), SignerCerts: []string{hexA, strings.ToLower(hexB)}, SealSM3: hexA, PictureSM3: strings.ToLower(hexB)},
		{Line: 6, Code: "37030000001725", Name: "业务专用章", Type: TypeOther, OwnerName: "某公司",
			ValidStart: day(2021, 3, 1), ValidEnd: endOfDay(2031, 2, 28), Status: StatusRevoked, StatusAt: time.Date(2024, 5, 6, 8, 0, 0, 0, Zone)},
		{Line: 7, Code: "esID130600", Name: "法人名章", Type: TypeLegalRep, OwnerName: "某公司",
			ValidStart: day(2021, 3, 1), ValidEnd: endOfDay(2031, 2, 28), Status: StatusValid},
	}
	for i := range want {
		if !sameRow(rows[i], want[i]) || rows[i].Line != want[i].Line {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, rows[i], want[i])
		}
	}
}

func TestChineseCSV(t *testing.T) {
	r, err := NewCSV(csvOf(zhLines...))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Columns(), ","); got != strings.Join(CanonicalColumns(), ",") {
		t.Errorf("Columns() = %s", got)
	}
	rows, errs := readAll(t, r)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	checkZh(t, rows)
}

func TestBOMAndCRLF(t *testing.T) {
	in := "\xEF\xBB\xBF" + strings.Join(zhLines, "\r\n") + "\r\n"
	r, err := NewCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	rows, errs := readAll(t, r)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	checkZh(t, rows)
}

func TestGBK(t *testing.T) {
	gbk := func(t *testing.T, s string) []byte {
		t.Helper()
		b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	t.Run("header", func(t *testing.T) {
		r, err := NewCSV(bytes.NewReader(gbk(t, strings.Join(zhLines, "\r\n")+"\r\n")))
		if err != nil {
			t.Fatal(err)
		}
		rows, errs := readAll(t, r)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		checkZh(t, rows)
	})
	t.Run("late", func(t *testing.T) {
		// The first non-ASCII byte comes after more than one buffer of
		// ASCII; the English header is the same in both encodings.
		var b strings.Builder
		b.WriteString(hdr + "\n")
		for i := range 3000 {
			b.WriteString("330106" + strings.Repeat("0", 4) + string(rune('1'+i%9)) + "000,seal,1,,2024-01-01,2026-12-31,,,,,\n")
		}
		b.WriteString("33010600000001,财务专用章,财务专用章,,2024-01-01,2026-12-31,,,,,\n")
		data := gbk(t, b.String())
		if len(data) < sniffSize+1000 {
			t.Fatalf("test input too short: %d", len(data))
		}
		r, err := NewCSV(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		rows, errs := readAll(t, r)
		if len(errs) > 0 || len(rows) != 3001 {
			t.Fatalf("%d rows, errors %v", len(rows), errs)
		}
		if last := rows[3000]; last.Name != "财务专用章" || last.Type != TypeFinance || last.Line != 3002 {
			t.Errorf("last row %+v", last)
		}
	})
}

func TestDateFormats(t *testing.T) {
	noon := time.Date(2024, 3, 5, 12, 34, 56, 0, Zone)
	day := time.Date(2024, 3, 5, 0, 0, 0, 0, Zone)
	eod := time.Date(2024, 3, 5, 23, 59, 59, 0, Zone)
	tests := []struct {
		in         string
		start, end time.Time
	}{
		{"2024-03-05T12:34:56+08:00", noon, noon},
		{"2024-03-05T04:34:56Z", noon, noon},
		{"2024-03-05T12:34:56.5+08:00", noon.Add(500 * time.Millisecond), noon.Add(500 * time.Millisecond)},
		{"2024-03-05", day, eod},
		{"2024-3-5", day, eod},
		{"2024/03/05", day, eod},
		{"2024/3/5", day, eod},
		{"2024-03-05 12:34:56", noon, noon},
		{"2024-03-05T12:34:56", noon, noon},
		{"2024/3/5 12:34:56", noon, noon},
		{"2024-03-05 12:34", noon.Add(-56 * time.Second), noon.Add(-56 * time.Second)},
		{"2024年03月05日", day, eod},
		{"2024年3月5日", day, eod},
		{"2024年03月05日 12:34:56", noon, noon},
		{"２０２４－０３－０５", day, eod},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			in := csvOf("code,name,valid_start,valid_end,status,status_at",
				"33010600000001,公章,"+tc.in+",2099-01-01,停用,"+tc.in,
				"33010600000002,公章,2000-01-01,"+tc.in+",,")
			r, err := NewCSV(in)
			if err != nil {
				t.Fatal(err)
			}
			rows, errs := readAll(t, r)
			if len(errs) > 0 || len(rows) != 2 {
				t.Fatalf("rows %v errors %v", rows, errs)
			}
			if !rows[0].ValidStart.Equal(tc.start) || rows[0].ValidStart.Location() != Zone {
				t.Errorf("valid_start = %v, want %v", rows[0].ValidStart, tc.start)
			}
			if !rows[0].StatusAt.Equal(tc.start) {
				t.Errorf("status_at = %v, want %v", rows[0].StatusAt, tc.start)
			}
			if !rows[1].ValidEnd.Equal(tc.end) || rows[1].ValidEnd.Location() != Zone {
				t.Errorf("valid_end = %v, want %v", rows[1].ValidEnd, tc.end)
			}
		})
	}
}

func TestTypesAndStatuses(t *testing.T) {
	types := map[string]int{
		"": TypeUnspecified, "1": 1, "01": 1, "1.0": 1, "99": 99, "7": 7, "公章": 1, "单位专用章（公章）": 1,
		"单位专用章(公章)": 1, "法定名称章": 1, "财务专用章": 2, "发票专用章": 3, "合同专用章": 4,
		"法定代表人名章": 5, "业务专用章": 99, "其他": 99, "Official": 1, " 财务 专用章 ": 2, "０２": 2,
	}
	for in, want := range types {
		if got, ok := ParseType(in); !ok || got != want {
			t.Errorf("ParseType(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"0", "100", "1.5", "私章", "-1", "1e1"} {
		if got, ok := ParseType(in); ok {
			t.Errorf("ParseType(%q) = %d, want error", in, got)
		}
	}
	for code := range 100 {
		if name := TypeName(code); name != "" {
			if got, ok := ParseType(name); !ok || got != code {
				t.Errorf("ParseType(TypeName(%d)) = %d, %v", code, got, ok)
			}
		}
	}
	statuses := map[string]string{
		"": StatusValid, "valid": StatusValid, "VALID": StatusValid, "有效": StatusValid, "正常": StatusValid,
		"启用": StatusValid, "恢复": StatusValid, "已启用": StatusValid,
		"suspended": StatusSuspended, "停用": StatusSuspended, "暂停": StatusSuspended, "已停用": StatusSuspended,
		"revoked": StatusRevoked, "注销": StatusRevoked, "吊销": StatusRevoked, "已注销": StatusRevoked,
		"invalidated": StatusInvalidated, "无效": StatusInvalidated, "作废": StatusInvalidated, "已作废": StatusInvalidated,
	}
	for in, want := range statuses {
		if got, ok := ParseStatus(in); !ok || got != want {
			t.Errorf("ParseStatus(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"挂失", "expired", "已valid", "已", "invalid"} {
		if got, ok := ParseStatus(in); ok {
			t.Errorf("ParseStatus(%q) = %q, want error", in, got)
		}
	}
}

func TestHeaderFolding(t *testing.T) {
	r, err := NewCSV(csvOf(" CODE ,Name,Valid Start,valid-end,ＴＹＰＥ,,\uFEFFstatus", "33010600000001,公章,2024-01-01,2025-01-01,1,,"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Columns(), ","); got != "code,name,valid_start,valid_end,type,status" {
		t.Errorf("Columns() = %s", got)
	}
	rows, errs := readAll(t, r)
	if len(errs) > 0 || len(rows) != 1 {
		t.Fatal(rows, errs)
	}
}

func TestQuoting(t *testing.T) {
	r, err := NewCSV(csvOf("code,name,valid_start,valid_end,status,status_at,status_reason",
		`33010600000001,"公章, ""甲""",2024-01-01,2025-01-01,停用,2024-06-01,"第一行`,
		`第二行"`,
		`33010600000002,公"章,2024-01-01,2025-01-01,,,`))
	if err != nil {
		t.Fatal(err)
	}
	rows, errs := readAll(t, r)
	if len(errs) > 0 || len(rows) != 2 {
		t.Fatal(rows, errs)
	}
	if rows[0].Name != `公章, "甲"` || rows[0].StatusReason != "第一行\n第二行" || rows[1].Line != 4 || rows[1].Name != `公"章` {
		t.Errorf("rows %+v", rows)
	}
}

// hugeReader yields a header, one record with a cell of n bytes, and a
// good record, without holding the big cell in memory.
type hugeReader struct {
	parts []io.Reader
}

func (h *hugeReader) Read(p []byte) (int, error) {
	for len(h.parts) > 0 {
		n, err := h.parts[0].Read(p)
		if errors.Is(err, io.EOF) {
			h.parts = h.parts[1:]
			if n == 0 {
				continue
			}
			err = nil
		}
		return n, err
	}
	return 0, io.EOF
}

type repeatByte struct {
	b byte
	n int
}

func (r *repeatByte) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n)
	for i := range p[:k] {
		p[i] = r.b
	}
	r.n -= k
	return k, nil
}

func TestBoundedMemory(t *testing.T) {
	const size = 8 << 20
	for name, parts := range map[string][]io.Reader{
		"long cell":  {strings.NewReader(hdr + "\n33010600000001,"), &repeatByte{'x', size}, strings.NewReader("\n" + goodLine + "\n")},
		"many cells": {strings.NewReader(hdr + "\n33010600000001,"), &repeatByte{',', size}, strings.NewReader("\n" + goodLine + "\n")},
		"long quoted lines": {strings.NewReader(hdr + "\n33010600000001,\""), &repeatByte{'\n', size},
			strings.NewReader("\"\n" + goodLine + "\n")},
	} {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			r, err := NewCSV(&hugeReader{parts: parts})
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Next()
			re := asRowError(t, err)
			if re.Line != 2 {
				t.Errorf("error %v, want line 2", err)
			}
			row, err := r.Next()
			if err != nil || row.Code != "33010600000099" {
				t.Fatalf("row after: %+v %v", row, err)
			}
			runtime.ReadMemStats(&after)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
				t.Errorf("allocated %d bytes for a %d-byte record", alloc, size)
			}
		})
	}
}

func TestNumericCode(t *testing.T) {
	tests := map[string]struct {
		want string
		ok   bool
	}{
		"33010600000001":        {"33010600000001", true},
		"33010600000001.0":      {"33010600000001", true},
		"33010600000001.000":    {"33010600000001", true},
		"3.3010600000001E+13":   {"33010600000001", true},
		"3.3010600000001e13":    {"33010600000001", true},
		"3.30106000000010E+13":  {"33010600000001", true},
		"3.30106E+13":           {"3.30106E+13", false},
		"1.15300000151004E+17":  {"1.15300000151004E+17", false},
		"1.2E-5":                {"1.2E-5", true},
		"3.30106000000015E+13":  {"3.30106000000015E+13", true}, // not an integer
		"esID130600":            {"esID130600", true},
		"ZhelibanTaxSeal":       {"ZhelibanTaxSeal", true},
		"51f044b76510434e9bc67": {"51f044b76510434e9bc67", true},
		"12.5":                  {"12.5", true},
	}
	for in, tc := range tests {
		if got, ok := numericCode(in); got != tc.want || ok != tc.ok {
			t.Errorf("numericCode(%q) = %q, %v; want %q, %v", in, got, ok, tc.want, tc.ok)
		}
	}
}
