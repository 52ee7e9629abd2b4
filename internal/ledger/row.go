package ledger

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sealhub/sealhub/trustlist/sealcode"
)

// Row is one seal of a ledger, normalised.
//
// Every Row returned by [Reader.Next] satisfies: Code and Name are
// non-empty, ValidEnd is after ValidStart, Status is one of the Status
// constants, StatusAt is set when Status is not [StatusValid], fingerprints
// are 64 lower-case hex digits, and every time is in [Zone].
type Row struct {
	// Line is the 1-based line (CSV) or row number (XLSX) for error
	// messages. The writers ignore it.
	Line int
	// Code is the seal code (印章编码, esID): 14 digits normally, any other
	// code accepted by [sealcode.Parse] otherwise.
	Code string
	// Name is the seal name (印章名称).
	Name string
	// Type is the 印章类型 as its numeric code (see [TypeOfficial] and the
	// following constants), or 0 when the ledger leaves it empty.
	Type int
	// OwnerName is the name of the owning organisation (单位名称), optional.
	OwnerName string
	// OwnerUSCC is the owner's 统一社会信用代码, optional; when set it is
	// valid by [sealcode.ParseUSCC].
	OwnerUSCC string
	// ValidStart and ValidEnd are the validity period (有效期起, 有效期止).
	ValidStart time.Time
	ValidEnd   time.Time
	// Status is StatusValid, StatusSuspended, StatusRevoked or
	// StatusInvalidated.
	Status string
	// StatusAt is when the status took effect (状态生效时间); zero only
	// when Status is StatusValid and the ledger gives no time.
	StatusAt time.Time
	// StatusReason is the reason for the status (原因), optional.
	StatusReason string
	// MakerCert is the SM3 fingerprint of the seal-maker certificate (64
	// lower-case hex digits), optional.
	MakerCert string
	// SignerCerts are the SM3 fingerprints of the signer certificates, nil
	// when none.
	SignerCerts []string
	// SealSM3 is the SM3 of the SES_Seal (64 lower-case hex), optional.
	SealSM3 string
	// PictureSM3 is the SM3 of the seal picture (64 lower-case hex),
	// optional.
	PictureSM3 string
}

// Zone is the time zone of dates written without one: China Standard Time,
// a fixed UTC+8 (the zone of Asia/Shanghai since 1991). It does not depend
// on the tzdata of the machine. Every time in a [Row] returned by the
// Reader is in Zone.
var Zone = time.FixedZone("CST", 8*60*60)

// Seal statuses, as in the trust list.
const (
	StatusValid       = "valid"       // 有效 / 正常 / 启用 / 恢复
	StatusSuspended   = "suspended"   // 停用 / 暂停
	StatusRevoked     = "revoked"     // 注销 / 吊销
	StatusInvalidated = "invalidated" // 无效 / 作废
)

// Seal types: the 公安 seal-management codes of STANDARDS.md §5.3. A ledger
// may give the number (1, "01", ...) or one of the names listed in the
// package comment. Other numbers from 1 to 99 are accepted as they are, for
// local extensions of the table.
const (
	TypeUnspecified = 0  // the ledger leaves the type empty
	TypeOfficial    = 1  // 单位专用章(公章), 法定名称章
	TypeFinance     = 2  // 财务专用章
	TypeInvoice     = 3  // 发票专用章
	TypeContract    = 4  // 合同专用章
	TypeLegalRep    = 5  // 法定代表人名章
	TypeOther       = 99 // 其他, including 业务专用章
)

// Limits on the input, enforced with errors, never panics.
const (
	// MaxCellBytes is the longest cell, in bytes of UTF-8.
	MaxCellBytes = 4 << 10
	// MaxColumns is the largest number of columns in a row (including
	// empty ones in CSV).
	MaxColumns = 64
)

// Column indexes, in canonical order.
const (
	colCode = iota
	colName
	colType
	colOwnerName
	colOwnerUSCC
	colValidStart
	colValidEnd
	colStatus
	colStatusAt
	colStatusReason
	colMakerCert
	colSignerCerts
	colSealSM3
	colPictureSM3
	numCols
)

type column struct {
	name     string   // canonical English name
	aliases  []string // folded (see foldHeader) other names
	required bool
}

var columns = [numCols]column{
	colCode:         {"code", []string{"印章编码"}, true},
	colName:         {"name", []string{"印章名称"}, true},
	colType:         {"type", []string{"印章类型"}, false},
	colOwnerName:    {"owner_name", []string{"单位名称"}, false},
	colOwnerUSCC:    {"owner_uscc", []string{"统一社会信用代码"}, false},
	colValidStart:   {"valid_start", []string{"有效期起"}, true},
	colValidEnd:     {"valid_end", []string{"有效期止"}, true},
	colStatus:       {"status", []string{"状态"}, false},
	colStatusAt:     {"status_at", []string{"状态生效时间"}, false},
	colStatusReason: {"status_reason", []string{"原因"}, false},
	colMakerCert:    {"maker_cert", []string{"制章者证书"}, false},
	colSignerCerts:  {"signer_certs", []string{"签章者证书"}, false},
	colSealSM3:      {"seal_sm3", []string{"印章sm3"}, false},
	colPictureSM3:   {"picture_sm3", []string{"印模sm3", "图片sm3"}, false},
}

// headerIndex maps folded header names to column indexes.
var headerIndex = func() map[string]int {
	m := make(map[string]int)
	for i, c := range columns {
		m[c.name] = i
		for _, a := range c.aliases {
			m[a] = i
		}
	}
	return m
}()

// CanonicalColumns returns the canonical column names in the order the
// writers use.
func CanonicalColumns() []string {
	out := make([]string, numCols)
	for i, c := range columns {
		out[i] = c.name
	}
	return out
}

// foldHeader normalises a header cell for lookup: surrounding white space
// and byte-order marks removed, full-width ASCII folded to ASCII, lower
// case, and spaces and hyphens inside turned into underscores.
func foldHeader(s string) string {
	s = strings.TrimFunc(foldWidth(s), func(r rune) bool { return unicode.IsSpace(r) || r == '\uFEFF' })
	s = strings.ToLower(s)
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return '_'
		}
		return r
	}, s)
}

// foldWidth maps full-width ASCII forms (U+FF01-U+FF5E) and the
// ideographic space to their ASCII equivalents, so that codes, dates and
// numbers typed with a Chinese input method read as intended.
func foldWidth(s string) string {
	for _, r := range s {
		if (r >= 0xFF01 && r <= 0xFF5E) || r == 0x3000 {
			return strings.Map(func(r rune) rune {
				switch {
				case r >= 0xFF01 && r <= 0xFF5E:
					return r - 0xFEE0
				case r == 0x3000:
					return ' '
				}
				return r
			}, s)
		}
	}
	return s
}

// typeTable lists the accepted names of each seal type, folded (lower
// case, no spaces, ASCII parentheses).
var typeTable = []struct {
	code  int
	names []string
}{
	{TypeOfficial, []string{"单位专用章", "单位专用章(公章)", "公章", "单位公章", "法定名称章", "单位法定名称章", "official"}},
	{TypeFinance, []string{"财务专用章", "财务章", "finance"}},
	{TypeInvoice, []string{"发票专用章", "发票章", "invoice"}},
	{TypeContract, []string{"合同专用章", "合同章", "contract"}},
	{TypeLegalRep, []string{"法定代表人名章", "法定代表人章", "法人名章", "法人章", "legal_representative"}},
	{TypeOther, []string{"其他", "其它", "业务专用章", "其他专用章", "other"}},
}

// typeNames maps folded type names to codes.
var typeNames = func() map[string]int {
	m := make(map[string]int)
	for _, t := range typeTable {
		for _, n := range t.names {
			m[n] = t.code
		}
	}
	return m
}()

// TypeName returns the Chinese name of a seal type code, or "" for a code
// outside the table.
func TypeName(t int) string {
	switch t {
	case TypeOfficial:
		return "单位专用章"
	case TypeFinance:
		return "财务专用章"
	case TypeInvoice:
		return "发票专用章"
	case TypeContract:
		return "合同专用章"
	case TypeLegalRep:
		return "法定代表人名章"
	case TypeOther:
		return "其他"
	}
	return ""
}

// ParseType reads a 印章类型 cell: a number from 1 to 99 (leading zeros
// and a ".0" as written by spreadsheets allowed) or one of the names listed
// in the package comment. Case, surrounding white space, full-width forms
// and full-width parentheses do not matter. An empty cell is
// TypeUnspecified.
func ParseType(s string) (int, bool) {
	s = strings.TrimSpace(foldWidth(s))
	if s == "" {
		return TypeUnspecified, true
	}
	if n, ok := parseSmallInt(s); ok {
		if n >= 1 && n <= 99 {
			return n, true
		}
		return 0, false
	}
	key := strings.ToLower(strings.Join(strings.Fields(s), ""))
	key = strings.NewReplacer("（", "(", "）", ")").Replace(key)
	t, ok := typeNames[key]
	return t, ok
}

// parseSmallInt parses 1-3 ASCII digits, optionally followed by "." and
// zeros.
func parseSmallInt(s string) (int, bool) {
	if i := strings.IndexByte(s, '.'); i > 0 {
		if strings.Trim(s[i+1:], "0") != "" {
			return 0, false
		}
		s = s[:i]
	}
	if s == "" || len(s) > 3 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// statusNames maps folded status names to statuses.
var statusNames = map[string]string{
	"valid": StatusValid, "有效": StatusValid, "正常": StatusValid, "启用": StatusValid, "恢复": StatusValid,
	"suspended": StatusSuspended, "停用": StatusSuspended, "暂停": StatusSuspended,
	"revoked": StatusRevoked, "注销": StatusRevoked, "吊销": StatusRevoked,
	"invalidated": StatusInvalidated, "无效": StatusInvalidated, "作废": StatusInvalidated,
}

// ParseStatus reads a 状态 cell: one of the English statuses (any case) or
// 有效, 正常, 启用, 恢复 (valid); 停用, 暂停 (suspended); 注销, 吊销
// (revoked); 无效, 作废 (invalidated), each also with the prefix 已
// (已注销). An empty cell is StatusValid.
func ParseStatus(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(foldWidth(s)))
	if s == "" {
		return StatusValid, true
	}
	if st, ok := statusNames[s]; ok {
		return st, true
	}
	if rest, ok := strings.CutPrefix(s, "已"); ok {
		if st, ok := statusNames[rest]; ok && !isASCII(rest) {
			return st, true
		}
	}
	return "", false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// source says where cells come from; it changes how numbers are read.
type source uint8

const (
	fromCSV source = iota
	fromXLSX
)

// cellOptions are the per-reader settings of parseCells.
type cellOptions struct {
	src        source
	date1904   bool // XLSX workbook uses the 1904 date system
	headerLine int  // line or row of the header
}

// parseCells turns the cells of one row, indexed by column, into a Row. It
// trims the cells in place. It reports one problem: a bad character
// encoding or control character in any cell first, then the first bad
// value in canonical column order.
func parseCells(line int, c *[numCols]string, opt cellOptions) (Row, *RowError) {
	row := Row{Line: line}
	bad := func(col int, msg string, err error) (Row, *RowError) {
		return Row{}, &RowError{Line: line, Column: columns[col].name, Msg: msg, Err: err}
	}
	for i := range c {
		s := c[i]
		if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
			return bad(i, "invalid character encoding (not UTF-8 or GB18030)", nil)
		}
		c[i] = strings.TrimSpace(s)
		allowed := "" // control characters allowed inside the cell
		if i == colStatusReason {
			allowed = "\n\t"
		}
		if j := strings.IndexFunc(c[i], func(r rune) bool {
			return (unicode.IsControl(r) && !strings.ContainsRune(allowed, r)) || r == '\u2028' || r == '\u2029'
		}); j >= 0 {
			return bad(i, "control character at byte "+strconv.Itoa(j), nil)
		}
	}

	// code
	code := foldWidth(c[colCode])
	if code == "" {
		return bad(colCode, "seal code is required", nil)
	}
	code, ok := numericCode(code)
	if !ok {
		return bad(colCode, "seal code "+strconv.Quote(clip(code, 64))+
			" is a number in scientific notation whose digits were lost by a spreadsheet; format the column as text", nil)
	}
	if _, err := sealcode.Parse(code); err != nil {
		return bad(colCode, "invalid seal code: "+strings.TrimPrefix(err.Error(), "sealcode: "), err)
	}
	row.Code = code

	// name
	if c[colName] == "" {
		return bad(colName, "seal name is required", nil)
	}
	row.Name = c[colName]

	// type
	t, ok := ParseType(c[colType])
	if !ok {
		return bad(colType, "unknown seal type "+strconv.Quote(clip(c[colType], 64)), nil)
	}
	row.Type = t

	row.OwnerName = c[colOwnerName]

	// owner_uscc
	if u := foldWidth(c[colOwnerUSCC]); u != "" {
		if u, ok = numericCode(u); !ok {
			return bad(colOwnerUSCC, "统一社会信用代码 "+strconv.Quote(clip(u, 64))+
				" is a number in scientific notation whose digits were lost by a spreadsheet; format the column as text", nil)
		}
		if _, err := sealcode.ParseUSCC(u); err != nil {
			return bad(colOwnerUSCC, "invalid 统一社会信用代码: "+strings.TrimPrefix(err.Error(), "sealcode: "), err)
		}
		row.OwnerUSCC = u
	}

	// validity
	var err error
	if c[colValidStart] == "" {
		return bad(colValidStart, "start of validity is required", nil)
	}
	if row.ValidStart, err = parseDate(c[colValidStart], false, opt); err != nil {
		return bad(colValidStart, err.Error(), nil)
	}
	if c[colValidEnd] == "" {
		return bad(colValidEnd, "end of validity is required", nil)
	}
	if row.ValidEnd, err = parseDate(c[colValidEnd], true, opt); err != nil {
		return bad(colValidEnd, err.Error(), nil)
	}
	if !row.ValidEnd.After(row.ValidStart) {
		return bad(colValidEnd, "end of validity "+row.ValidEnd.Format(time.RFC3339)+
			" is not after its start "+row.ValidStart.Format(time.RFC3339), nil)
	}

	// status
	st, ok := ParseStatus(c[colStatus])
	if !ok {
		return bad(colStatus, "unknown status "+strconv.Quote(clip(c[colStatus], 64))+
			" (want valid, suspended, revoked, invalidated or 有效, 停用, 注销, 无效 ...)", nil)
	}
	row.Status = st
	if c[colStatusAt] != "" {
		if row.StatusAt, err = parseDate(c[colStatusAt], false, opt); err != nil {
			return bad(colStatusAt, err.Error(), nil)
		}
	} else if st != StatusValid {
		return bad(colStatusAt, "time of the status is required when the status is "+st, nil)
	}
	row.StatusReason = c[colStatusReason]

	// fingerprints
	for _, f := range []struct {
		col int
		dst *string
	}{{colMakerCert, &row.MakerCert}, {colSealSM3, &row.SealSM3}, {colPictureSM3, &row.PictureSM3}} {
		if v := foldWidth(c[f.col]); v != "" {
			h, ok := parseSM3(v)
			if !ok {
				return bad(f.col, "not an SM3 fingerprint (64 hex digits): "+strconv.Quote(clip(v, 80)), nil)
			}
			*f.dst = h
		}
	}
	if v := foldWidth(c[colSignerCerts]); v != "" {
		seen := make(map[string]bool)
		for part := range strings.FieldsFuncSeq(v, func(r rune) bool { return r == ';' || r == '；' || r == '|' }) {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			h, ok := parseSM3(part)
			if !ok {
				return bad(colSignerCerts, "not an SM3 fingerprint (64 hex digits): "+strconv.Quote(clip(part, 80)), nil)
			}
			if seen[h] {
				return bad(colSignerCerts, "fingerprint "+h+" listed twice", nil)
			}
			seen[h] = true
			row.SignerCerts = append(row.SignerCerts, h)
		}
	}
	return row, nil
}

// numericCode undoes what spreadsheets do to a long numeric code stored
// as a number. "33010600000001.0" becomes "33010600000001", and so does
// "3.3010600000001E+13", where every digit is still there. A code in
// scientific notation that has lost digits ("3.30106E+13", as a
// spreadsheet displays and exports it) is reported with ok = false. Any
// other code is returned unchanged.
func numericCode(s string) (code string, ok bool) {
	mant, exp, sci := strings.Cut(s, "E")
	if !sci {
		mant, exp, sci = strings.Cut(s, "e")
	}
	intPart, frac, dot := strings.Cut(mant, ".")
	if !isDigits(intPart) || (dot && !isDigits(frac)) {
		return s, true
	}
	if !sci {
		if dot && strings.Trim(frac, "0") == "" {
			return intPart, true // "33010600000001.0"
		}
		return s, true
	}
	e, err := strconv.Atoi(strings.TrimPrefix(exp, "+"))
	if err != nil || exp == "" || exp[0] == '-' || e > 30 {
		return s, true
	}
	digits := intPart + frac
	// The value has len(intPart)+e integer digits; all of them are given
	// when the mantissa has at least as many digits.
	n := len(intPart) + e
	if strings.TrimLeft(intPart, "0") != intPart || len(digits) < n {
		return s, false
	}
	if strings.Trim(digits[n:], "0") != "" {
		return s, true // not an integer; leave it to the code checks
	}
	return digits[:n], true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseSM3 accepts 64 hex digits in any case and returns them in lower
// case.
func parseSM3(s string) (string, bool) {
	if len(s) != 64 {
		return "", false
	}
	b := []byte(s)
	for i, ch := range b {
		switch {
		case ch >= '0' && ch <= '9', ch >= 'a' && ch <= 'f':
		case ch >= 'A' && ch <= 'F':
			b[i] = ch + ('a' - 'A')
		default:
			return "", false
		}
	}
	return string(b), true
}
