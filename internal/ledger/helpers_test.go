package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/trustlist/sealcode"
)

// provinces are valid GB/T 2260 province prefixes for generated codes.
var provinces = []string{"11", "31", "32", "33", "37", "44", "50", "53", "65"}

// genUSCC returns a valid 统一社会信用代码 built from rng.
func genUSCC(t testing.TB, rng *rand.Rand) string {
	t.Helper()
	const alpha = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	var body [8]byte
	for i := range body {
		body[i] = alpha[rng.IntN(10)] // digits keep it simple
	}
	oc, err := sealcode.ComputeOrgCodeCheck(string(body[:]))
	if err != nil {
		t.Fatal(err)
	}
	first17 := "91" + provinces[rng.IntN(len(provinces))] + "0100" + string(body[:]) + string(oc)
	c, err := sealcode.ComputeUSCCCheck(first17)
	if err != nil {
		t.Fatal(err)
	}
	u := first17 + string(c)
	if _, err := sealcode.ParseUSCC(u); err != nil {
		t.Fatalf("generated USCC %s: %v", u, err)
	}
	return u
}

func genHex(rng *rand.Rand) string {
	const hexd = "0123456789abcdef"
	b := make([]byte, 64)
	for i := range b {
		b[i] = hexd[rng.IntN(16)]
	}
	return string(b)
}

var base = time.Date(2020, 1, 1, 0, 0, 0, 0, Zone)

// genRows returns n valid, normalised rows covering the value space:
// numeric and other codes, all types and statuses, Chinese text with
// separators and quotes, multi-line reasons, optional fields left empty,
// sub-second times and ends of validity at midnight.
func genRows(t testing.TB, n int, seed uint64) []Row {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x5ea1))
	types := []int{0, 1, 2, 3, 4, 5, 99, 7}
	statuses := []string{StatusValid, StatusValid, StatusSuspended, StatusRevoked, StatusInvalidated}
	names := []string{"公章", "财务专用章", `合同专用章 "甲"`, "发票专用章,二号", "业务专用章；测试", "Seal, Ltd."}
	rows := make([]Row, n)
	for i := range rows {
		r := Row{
			Code: fmt.Sprintf("%s%04d%08d", provinces[rng.IntN(len(provinces))], rng.IntN(10000), i),
			Name: names[rng.IntN(len(names))] + fmt.Sprint(i),
			Type: types[rng.IntN(len(types))],
		}
		if i%17 == 3 {
			r.Code = fmt.Sprintf("esID-%d-%x", i, rng.Uint32())
		}
		if rng.IntN(4) > 0 {
			r.OwnerName = fmt.Sprintf("某某市第%d有限公司", i)
		}
		if rng.IntN(3) > 0 {
			r.OwnerUSCC = genUSCC(t, rng)
		}
		r.ValidStart = base.Add(time.Duration(rng.IntN(5*365*24*3600)) * time.Second)
		r.ValidEnd = r.ValidStart.Add(time.Duration(1+rng.IntN(3*365*24*3600)) * time.Second)
		switch i % 50 {
		case 7: // midnight end of validity
			r.ValidEnd = time.Date(2030, 6, 1, 0, 0, 0, 0, Zone)
		case 8: // fractions of a second
			r.ValidStart = r.ValidStart.Add(123456789 * time.Nanosecond)
		}
		r.Status = statuses[rng.IntN(len(statuses))]
		if r.Status != StatusValid || rng.IntN(5) == 0 {
			r.StatusAt = r.ValidStart.Add(time.Duration(rng.IntN(1000*24*3600)) * time.Second)
		}
		if r.Status != StatusValid {
			r.StatusReason = []string{"单位注销", "印章损毁\n重新制作", "temporary, under review", ""}[rng.IntN(4)]
		}
		if rng.IntN(2) == 0 {
			r.MakerCert = genHex(rng)
		}
		for range rng.IntN(4) {
			r.SignerCerts = append(r.SignerCerts, genHex(rng))
		}
		if rng.IntN(2) == 0 {
			r.SealSM3 = genHex(rng)
			r.PictureSM3 = genHex(rng)
		}
		rows[i] = r
	}
	return rows
}

// sameRow compares rows ignoring Line, with time.Time compared by instant
// and location.
func sameRow(a, b Row) bool {
	a.Line, b.Line = 0, 0
	for _, p := range [][2]*time.Time{{&a.ValidStart, &b.ValidStart}, {&a.ValidEnd, &b.ValidEnd}, {&a.StatusAt, &b.StatusAt}} {
		if !p[0].Equal(*p[1]) {
			return false
		}
		if !p[0].IsZero() && p[0].Location() != p[1].Location() {
			return false
		}
		*p[0], *p[1] = time.Time{}, time.Time{}
	}
	return reflect.DeepEqual(a, b)
}

// readAll reads every row, collecting row errors.
func readAll(t testing.TB, r *Reader) ([]Row, []*RowError) {
	t.Helper()
	var rows []Row
	var errs []*RowError
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows, errs
		}
		var re *RowError
		if errors.As(err, &re) {
			errs = append(errs, re)
			continue
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, row)
	}
}

// csvOf builds a CSV from lines joined with LF.
func csvOf(lines ...string) *bytes.Reader {
	return bytes.NewReader([]byte(strings.Join(lines, "\n") + "\n"))
}

const (
	hexA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	hexB = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
	// usccOK is a real, valid USCC from STANDARDS.md §5.2.
	usccOK = "11370306MB2867521U"
)
