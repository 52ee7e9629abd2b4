// Package ledger reads and writes the seal ledgers (台账) that provincial
// and departmental registries bulk-load with `sealhub import`.
//
// A ledger is a CSV file or an .xlsx workbook with one header row and one
// seal per row. [Open], [NewCSV] and [NewXLSX] return a [Reader] whose
// [Reader.Next] yields normalised [Row] values one at a time; [WriteCSV]
// and [WriteXLSX] write ledgers (for tests and demo data) that read back
// as equal rows.
//
// # Columns
//
// Columns are found by the header (the first non-blank row), in any
// order. Header names are matched after trimming, folding full-width
// forms, lower-casing, and turning spaces and hyphens into underscores:
//
//	canonical      also accepted        required  content
//	code           印章编码              yes       seal code (esID), see sealcode.Parse
//	name           印章名称              yes       seal name
//	type           印章类型                        type code or name, see below
//	owner_name     单位名称                        owner organisation
//	owner_uscc     统一社会信用代码                 owner USCC, checked by sealcode.ParseUSCC
//	valid_start    有效期起              yes       date
//	valid_end      有效期止              yes       date, after valid_start
//	status         状态                            status, see below; empty = valid
//	status_at      状态生效时间                     date; required unless the status is valid
//	status_reason  原因                            free text (may contain line breaks)
//	maker_cert     制章者证书                       SM3 fingerprint, 64 hex digits
//	signer_certs   签章者证书                       SM3 fingerprints separated by ; ； or |
//	seal_sm3       印章SM3                         SM3 of the SES_Seal, 64 hex digits
//	picture_sm3    印模SM3, 图片SM3                 SM3 of the seal picture, 64 hex digits
//
// The header is strict: an unknown name ([ErrUnknownColumn]), a column
// named twice ([ErrDuplicateColumn]) and a missing required column
// ([ErrMissingColumn]) are errors, all reported at once as [*HeaderError]
// values joined with errors.Join. A header cell may be empty; the column
// under it must then be empty too.
//
// # Values
//
// Cells are trimmed. Control characters are rejected, except line feeds
// and tabs in status_reason. Codes, USCCs, numbers, dates, statuses and
// fingerprints may be typed in full-width forms (３３０１…), which are
// folded to ASCII. A seal code or USCC that a spreadsheet turned into a
// number is restored when all its digits are still there
// ("33010600000001.0", "3.3010600000001E+13") and rejected when they are
// not ("3.30106E+13", as a spreadsheet displays and exports a long
// number). Fingerprints are returned in lower case. Duplicate seal codes
// within a ledger are not detected here; that is the importer's job.
//
// Seal types are the 公安 codes of STANDARDS.md §5.3. A cell holds the
// number (1 to 99; leading zeros and ".0" allowed, numbers outside the
// table kept as they are) or a name:
//
//	1   单位专用章, 单位专用章(公章), 公章, 单位公章, 法定名称章, 单位法定名称章, official
//	2   财务专用章, 财务章, finance
//	3   发票专用章, 发票章, invoice
//	4   合同专用章, 合同章, contract
//	5   法定代表人名章, 法定代表人章, 法人名章, 法人章, legal_representative
//	99  其他, 其它, 业务专用章, 其他专用章, other
//
// An empty type cell is [TypeUnspecified] (0).
//
// Statuses are valid, suspended, revoked and invalidated (any case), or
// 有效, 正常, 启用, 恢复 → valid; 停用, 暂停 → suspended; 注销, 吊销 →
// revoked; 无效, 作废 → invalidated, each also with the prefix 已.
//
// Dates are RFC 3339 (any offset), or, in [Zone] (fixed UTC+8, independent
// of the machine's tzdata): 2006-01-02, 2006/01/02, 2006-01-02 15:04:05,
// 2006-01-02T15:04:05, 2006/01/02 15:04:05, 2006-01-02 15:04, 2006年01月02日
// and 2006年01月02日 15:04:05, with or without leading zeros and with an
// optional fraction of a second. A workbook may also hold Excel serial
// dates (a cell formatted as a date holds one), in the 1900 or 1904 date
// system of the workbook. A date without a time of day is the start of
// that day, except in valid_end, where it is the last second of the day
// (23:59:59): 有效期止 2025-12-31 includes 31 December. Years must be 1900
// to 9999. All times are returned in [Zone].
//
// # Files
//
// A CSV is comma-separated with RFC 4180 quoting, LF or CRLF line ends, in
// UTF-8 (a byte-order mark is skipped) or in GB18030/GBK, as spreadsheets
// in Chinese offices save it. The encoding is decided on the 64 KiB from
// the first non-ASCII byte on: valid UTF-8, or fewer invalid sequences as
// UTF-8 than as GB18030, means UTF-8, so a stray bad byte in a UTF-8 file
// is an error in its cell rather than a reason to misread the whole file.
// UTF-16 files are refused ([ErrUnsupported]). A quote
// inside an unquoted field is kept literally; text after the closing quote
// of a field and an unclosed quote are errors. Reading is a stream: memory
// stays bounded whatever the file, since at most [MaxColumns] cells of
// [MaxCellBytes] bytes are kept per row; longer rows and cells are
// reported as errors.
//
// A workbook is read from the worksheet named "seals" or "印章", or else
// from the first worksheet, with excelize's row iterator. Cells are read
// as stored, not as displayed. excelize reads a workbook into memory
// (large worksheets go to temporary files, removed by [Reader.Close]), so
// its zip directory is checked first: at most 1 GiB of file, 2 GiB
// unpacked, and 256 MiB unpacked outside the worksheets and shared
// strings; a small file declaring huge parts is refused before anything is
// allocated. A panic inside excelize on a malformed workbook is turned
// into an error wrapping [ErrFormat].
//
// # Errors
//
// A bad data row gives a [*RowError] naming the line and the column; the
// Reader goes on with the next row on the next call to [Reader.Next], so
// a caller collects all errors of a ledger in one pass:
//
//	for {
//		row, err := r.Next()
//		if errors.Is(err, io.EOF) {
//			break
//		}
//		var re *ledger.RowError
//		if errors.As(err, &re) {
//			problems = append(problems, re)
//			continue
//		}
//		if err != nil {
//			return err
//		}
//		use(row)
//	}
//
// All sentinels are declared in errors.go.
//
// # Concurrency
//
// A Reader is not safe for concurrent use. The writers and the Parse
// functions are safe for concurrent use.
package ledger
