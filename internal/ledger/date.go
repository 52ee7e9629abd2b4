package ledger

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// dateLayout is one accepted text form of a date.
type dateLayout struct {
	layout   string
	dateOnly bool
}

// dateLayouts are tried in order for dates without a zone, which are read
// in [Zone]. Single-digit months, days and hours are accepted too, as
// spreadsheets export them ("2024/1/2 9:05"); a fraction of a second may
// follow the seconds.
var dateLayouts = []dateLayout{
	{"2006-1-2", true},
	{"2006/1/2", true},
	{"2006年1月2日", true},
	{"2006-1-2 15:04:05", false},
	{"2006-1-2T15:04:05", false},
	{"2006/1/2 15:04:05", false},
	{"2006-1-2 15:04", false},
	{"2006/1/2 15:04", false},
	{"2006年1月2日 15:04:05", false},
}

// maxSerial is 10000-01-01 in the 1900 date system; the year check
// bounds the 1904 system.
const maxSerial = 2958466

var errNoDate = errors.New("date")

// parseDate reads a date cell. Accepted: RFC 3339 (any offset; the result
// is moved to Zone), the layouts of dateLayouts in Zone, and in XLSX a
// numeric Excel serial date (a cell formatted as a date reads as one).
//
// A date without a time of day means the start of that day, except for the
// end of validity (end = true), where it means the last second of that day
// (23:59:59): 有效期止 2025-12-31 includes 31 December. For a serial date
// "without a time of day" means an integral serial.
func parseDate(s string, end bool, opt cellOptions) (time.Time, error) {
	s = foldWidth(s)
	t, dateOnly, err := parseDateText(s)
	if err != nil && opt.src == fromXLSX {
		t, dateOnly, err = parseSerial(s, opt.date1904)
	}
	if err != nil {
		return time.Time{}, errors.New("not a date: " + strconv.Quote(clip(s, 64)) +
			" (want RFC 3339, 2006-01-02, 2006/01/02, 2006-01-02 15:04:05 or 2006年01月02日)")
	}
	if y := t.Year(); y < 1900 || y > 9999 {
		return time.Time{}, errors.New("date " + strconv.Quote(clip(s, 64)) + " out of range (years 1900 to 9999)")
	}
	if dateOnly && end {
		t = t.Add(24*time.Hour - time.Second)
	}
	return t, nil
}

func parseDateText(s string) (t time.Time, dateOnly bool, err error) {
	if len(s) < 8 || len(s) > 40 {
		return time.Time{}, false, errNoDate
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(Zone), false, nil
	}
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l.layout, s, Zone); err == nil {
			return t, l.dateOnly, nil
		}
	}
	return time.Time{}, false, errNoDate
}

// parseSerial reads an Excel serial date: days since 1899-12-30 (1900
// system, with Excel's phantom 1900-02-29) or 1904-01-01, the fraction being
// the time of day, which is read as a wall-clock time in Zone.
func parseSerial(s string, date1904 bool) (time.Time, bool, error) {
	if s == "" || strings.Trim(s, "0123456789.eE+-") != "" {
		return time.Time{}, false, errNoDate
	}
	f, err := strconv.ParseFloat(s, 64)
	minSerial := 1.0 // 1900-01-01; serial 0 is "1900-01-00"
	if date1904 {
		minSerial = 0 // 1904-01-01
	}
	if err != nil || math.IsNaN(f) || f < minSerial || f >= maxSerial {
		return time.Time{}, false, errNoDate
	}
	u, err := excelize.ExcelDateToTime(f, date1904)
	if err != nil {
		return time.Time{}, false, errNoDate
	}
	t := time.Date(u.Year(), u.Month(), u.Day(), u.Hour(), u.Minute(), u.Second(), 0, Zone)
	return t, f == math.Trunc(f), nil
}

// formatDate writes t as RFC 3339 in Zone, with a fraction of a second
// only when there is one.
func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(Zone).Format(time.RFC3339Nano)
}
