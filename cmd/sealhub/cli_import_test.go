package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/internal/ledger"
	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// ledgerRows makes n seals for registry 37 with a mix of statuses: every 13th invalidated, every
// 11th revoked, every 7th suspended, the rest valid. maker, if set, is the maker fingerprint.
func ledgerRows(n int, maker string) []ledger.Row {
	base := time.Date(2024, 1, 1, 9, 0, 0, 0, ledger.Zone)
	rows := make([]ledger.Row, n)
	for i := range rows {
		code := fmt.Sprintf("370102%08d", i+1)
		start := base.Add(time.Duration(i) * time.Minute)
		r := ledger.Row{
			Code: code, Name: fmt.Sprintf("测试单位%d(合同专用章)", i+1), Type: 1 + i%5,
			OwnerName: "测试市自然资源局", OwnerUSCC: "11370306MB2867521U",
			ValidStart: start, ValidEnd: start.AddDate(5, 0, 0), Status: ledger.StatusValid,
			SealSM3: smcrypto.SM3Hex([]byte("seal " + code)), PictureSM3: smcrypto.SM3Hex([]byte("picture " + code)),
		}
		if maker != "" {
			r.MakerCert = maker
			r.SignerCerts = []string{smcrypto.SM3Hex([]byte("signer " + code))}
		}
		switch {
		case i%13 == 5:
			r.Status, r.StatusReason = ledger.StatusInvalidated, "依法认定无效"
		case i%11 == 3:
			r.Status, r.StatusReason = ledger.StatusRevoked, "单位注销\n已收回"
		case i%7 == 2:
			r.Status, r.StatusReason = ledger.StatusSuspended, "印章遗失"
		}
		if r.Status != ledger.StatusValid {
			r.StatusAt = start.AddDate(0, 6, 0)
		}
		rows[i] = r
	}
	return rows
}

var recordedStatus = map[string]trustlist.Status{
	ledger.StatusValid: trustlist.StatusValid, ledger.StatusSuspended: trustlist.StatusSuspended,
	ledger.StatusRevoked: trustlist.StatusRevoked, ledger.StatusInvalidated: trustlist.StatusInvalidated,
}

func writeLedger(t *testing.T, path string, rows []ledger.Row) string {
	t.Helper()
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".xlsx") {
		err = ledger.WriteXLSX(fh, rows)
	} else {
		err = ledger.WriteCSV(fh, rows)
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// assertImported checks that the hub holds exactly the ledger's seals, each filed once with its
// ledger status (and, for a changed status, exactly one status event).
func (f *hubFixture) assertImported(t *testing.T, rows []ledger.Row) {
	t.Helper()
	st := f.h.State()
	if n := st.SealCount(); n != len(rows) {
		t.Errorf("hub holds %d seals, the ledger %d", n, len(rows))
	}
	bad := 0
	for i := range rows {
		r := &rows[i]
		s, ok := st.Seal(r.Code)
		want := recordedStatus[r.Status]
		events := 1
		if r.Status != ledger.StatusValid {
			events = 2
		}
		switch {
		case !ok:
			t.Errorf("line %d: seal %s not on the hub", r.Line, r.Code)
		case s.Registry != "37" || s.Name != r.Name || s.MakerCert != r.MakerCert || s.SealSM3 != r.SealSM3 || !s.ValidStart.Equal(r.ValidStart):
			t.Errorf("seal %s: %+v", r.Code, s)
		case len(s.Events) != events || s.Latest().Status != want:
			t.Errorf("seal %s: events %+v, want %d ending %s", r.Code, s.Events, events, want)
		case events == 2 && (!s.Events[1].EffectiveAt.Equal(r.StatusAt) || s.Events[1].Reason != oneLine(r.StatusReason)):
			t.Errorf("seal %s: status event %+v", r.Code, s.Events[1])
		default:
			continue
		}
		if bad++; bad > 10 {
			t.Fatal("too many errors")
		}
	}
}

func (f *hubFixture) importJSON(t *testing.T, ctx context.Context, args ...string) (int, importSummary, string) {
	t.Helper()
	code, out, errOut := f.cliCtx(ctx, append([]string{"import", "--json", "--key", f.regKey, "--registry", "37"}, args...)...)
	if out == "" {
		return code, importSummary{}, errOut
	}
	return code, decodeOut[importSummary](t, out), errOut
}

func statusChanges(rows []ledger.Row) int {
	n := 0
	for _, r := range rows {
		if r.Status != ledger.StatusValid {
			n++
		}
	}
	return n
}

func TestImportLedgers(t *testing.T) {
	t.Parallel()
	p, err := sm2ca.New(sm2ca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows := ledgerRows(10000, p.Maker.Cert.Fingerprint())
	for i := range rows {
		rows[i].Line = i + 2 // header on line 1; the writers ignore Line
	}
	for _, ext := range []string{"csv", "xlsx"} {
		t.Run(ext, func(t *testing.T) {
			t.Parallel()
			f := newHubFixture(t)
			f.createRegistry()
			f.registerPKI(p)
			path := writeLedger(t, filepath.Join(f.dir, "seals."+ext), rows)
			code, sum, errOut := f.importJSON(t, context.Background(), path)
			if code != 0 || !sum.Complete {
				t.Fatalf("exit %d: %+v\n%s", code, sum, errOut)
			}
			t.Logf("%s: %d seals in %d pushes, %.2fs, %.0f seals/s", ext, sum.SealsFiled, sum.Pushes, sum.ElapsedSeconds, sum.SealsPerSecond)
			if sum.RowsRead != len(rows) || sum.SealsFiled != len(rows) || sum.StatusChanges != statusChanges(rows) || len(sum.RejectedRows) != 0 {
				t.Errorf("summary %+v", sum)
			}
			// 10,000 rows with fingerprints are over 512 KiB: split by size, under the 1000-op batch.
			if sum.Pushes < 2 || sum.LastSeq-sum.FirstSeq+1 != uint64(sum.Pushes) {
				t.Errorf("pushes %d (seq %d to %d)", sum.Pushes, sum.FirstSeq, sum.LastSeq)
			}
			f.assertImported(t, rows)
			st, found, err := progressFilesOf(path).load()
			if err != nil || !found || !st.Complete || st.RowsDone != len(rows) || st.Pending != nil || st.LastSeq != sum.LastSeq {
				t.Errorf("progress file: %v %+v", err, st)
			}
			if ext != "csv" {
				return
			}
			// Again: nothing to do.
			code, again, errOut := f.importJSON(t, context.Background(), "--quiet", path)
			if code != 0 || again.Pushes != 0 || again.RowsResumed != len(rows) || again.SealsFiled != 0 {
				t.Errorf("second run: exit %d %+v %s", code, again, errOut)
			}
		})
	}
}

// cutProxy stands between the CLI and the hub. When the cut-th push has been answered by the hub,
// it calls onCut and then, if drop is set, closes the connection instead of passing the answer on:
// the push is on the hub, and the CLI never hears of it.
type cutProxy struct {
	rp     *httputil.ReverseProxy
	cut    int
	drop   bool
	onCut  func()
	mu     sync.Mutex
	pushes int
}

func newCutProxy(t *testing.T, target string, cut int, drop bool, onCut func()) *httptest.Server {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{rp: httputil.NewSingleHostReverseProxy(u), cut: cut, drop: drop, onCut: onCut}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv
}

func (p *cutProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/updates" {
		p.rp.ServeHTTP(w, r)
		return
	}
	p.mu.Lock()
	p.pushes++
	n := p.pushes
	p.mu.Unlock()
	if n != p.cut {
		p.rp.ServeHTTP(w, r)
		return
	}
	if !p.drop {
		p.rp.ServeHTTP(w, r)
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		p.onCut()
		return
	}
	rec := httptest.NewRecorder()
	p.rp.ServeHTTP(rec, r)
	p.onCut()
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestImportResumes(t *testing.T) {
	t.Parallel()
	rows := ledgerRows(3000, "")
	for i := range rows {
		rows[i].Line = i + 2
	}
	cases := map[string]struct {
		cut  int
		drop bool
	}{
		"cancelled after the first acknowledged push": {cut: 1},
		"answer of the second push lost":              {cut: 2, drop: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newHubFixture(t)
			f.createRegistry()
			path := writeLedger(t, filepath.Join(f.dir, "seals.csv"), rows)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			proxy := newCutProxy(t, f.h.URL(), tc.cut, tc.drop, cancel)

			code, first, errOut := f.importJSON(t, ctx, "--server", proxy.URL, "--batch", "500", path)
			if code != exitUsage || first.Complete || !strings.Contains(errOut, "run the same command again") {
				t.Fatalf("interrupted run: exit %d %+v\n%s", code, first, errOut)
			}
			st, _, err := progressFilesOf(path).load()
			if err != nil {
				t.Fatal(err)
			}
			if tc.drop && (st.Pending == nil || first.SealsFiled != st.RowsDone) {
				t.Fatalf("the unanswered push is not pending: %+v", st)
			}
			if st.Pending != nil {
				// The pending push is a push body on its own.
				body, err := os.ReadFile(path + ".import-pending.json")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := trustlist.ParsePush(body); err != nil {
					t.Fatal(err)
				}
			}

			code, second, errOut := f.importJSON(t, context.Background(), "--batch", "500", path)
			if code != 0 || !second.Complete || strings.Contains(errOut, "rejected") {
				t.Fatalf("resumed run: exit %d %+v\n%s", code, second, errOut)
			}
			if second.RowsResumed != first.SealsFiled || first.SealsFiled+second.SealsFiled != len(rows) ||
				first.StatusChanges+second.StatusChanges != statusChanges(rows) || len(second.RejectedRows) != 0 {
				t.Errorf("first %+v\nsecond %+v", first, second)
			}
			if tc.drop && (first.SealsFiled == 0 || second.FirstSeq != first.LastSeq+1) {
				t.Errorf("the lost push was not replayed: first %+v second %+v", first, second)
			}
			f.assertImported(t, rows)
			// Every push exactly once: the registry's head counts them.
			reg, _ := f.h.State().Registry("37")
			if reg.Head.Seq != uint64(first.Pushes+second.Pushes) || second.LastSeq != reg.Head.Seq {
				t.Errorf("head %d, pushes %d + %d", reg.Head.Seq, first.Pushes, second.Pushes)
			}
		})
	}
}

const problemLedger = "code,name,valid_start,valid_end,status,status_at,status_reason\n" +
	"37010200000001,甲单位公章,2024-01-01,2029-12-31,,,\n" +
	"37010200000002,乙单位公章,2024-01-01,2023-12-31,,,\n" +
	"11010200000003,丙单位公章,2024-01-01,2029-12-31,,,\n" +
	"37010200000004,丁单位公章,2024-01-01,2029-12-31,停用,2023-06-01,原因\n" +
	"37010200000005,戊单位公章,2024-01-01,2029-12-31,注销,2024-06-01,\"两行\n原因\"\n" +
	"37010200000006,己单位公章,2024-01-01,2029-12-31,停用,2099-01-01,未来\n"

func TestImportRowProblemsAndExistingSeals(t *testing.T) {
	t.Parallel()
	f := newHubFixture(t)
	f.createRegistry()
	path := f.writeFile("problems.csv", []byte(problemLedger))

	// --strict checks everything first and sends nothing.
	code, sum, errOut := f.importJSON(t, context.Background(), "--strict", path)
	if code != exitRejected || len(sum.RejectedRows) != 3 || f.h.State().SealCount() != 0 {
		t.Fatalf("--strict: exit %d %+v %s (seals %d)", code, sum, errOut, f.h.State().SealCount())
	}

	code, sum, errOut = f.importJSON(t, context.Background(), path)
	if code != 0 || sum.SealsFiled != 3 || sum.StatusChanges != 1 || sum.Pushes != 1 || len(sum.Warnings) != 1 || sum.Warnings[0].Line != 8 {
		t.Fatalf("exit %d %+v %s", code, sum, errOut)
	}
	lines := map[int]string{}
	for _, p := range sum.RejectedRows {
		lines[p.Line] = p.Column
	}
	want := map[int]string{3: "valid_end", 4: "code", 5: "status_at"}
	if fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Errorf("rejected rows %v, want %v (%+v)", lines, want, sum.RejectedRows)
	}
	if s, ok := f.h.State().Seal("37010200000005"); !ok || s.Latest().Status != trustlist.StatusRevoked || s.Latest().Reason != "两行 原因" {
		t.Errorf("seal 5: %+v", s)
	}
	// A status change in the future: the seal is filed, valid, and the change is left for later.
	if s, ok := f.h.State().Seal("37010200000006"); !ok || len(s.Events) != 1 || s.Latest().Status != trustlist.StatusValid {
		t.Errorf("seal 6: %+v", s)
	}
	// The text summary lists the rows with their lines.
	code, out, _ := f.cli("import", "--key", f.regKey, "--registry", "37", path)
	if code != 0 || !strings.Contains(out, "line 3, column valid_end") || !strings.Contains(out, "rejected rows:    3") || !strings.Contains(out, "done earlier:     3") {
		t.Errorf("text summary: exit %d\n%s", code, out)
	}

	// Without its progress file, the import meets the seals already filed: the push is rejected
	// and the error names the ledger line.
	if err := os.Remove(path + ".import-state.json"); err != nil {
		t.Fatal(err)
	}
	code, sum, errOut = f.importJSON(t, context.Background(), path)
	if code != exitRejected || sum.Complete || !strings.Contains(errOut, "SEAL_EXISTS") || !strings.Contains(errOut, "ledger line 2 (op 0)") || !strings.Contains(errOut, "--skip-existing") {
		t.Fatalf("exit %d %+v\n%s", code, sum, errOut)
	}
	code, sum, errOut = f.importJSON(t, context.Background(), "--skip-existing", path)
	if code != 0 || sum.Skipped != 3 || sum.SealsFiled != 0 || sum.Pushes != 0 || len(sum.RejectedRows) != 3 {
		t.Fatalf("--skip-existing: exit %d %+v %s", code, sum, errOut)
	}

	// An edited ledger does not match the progress file.
	if err := os.WriteFile(path, []byte(problemLedger+"37010200000007,庚单位公章,2024-01-01,2029-12-31,,,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := f.importJSON(t, context.Background(), path); code != exitUsage || !strings.Contains(errOut, "--restart --skip-existing") {
		t.Errorf("changed ledger: exit %d %s", code, errOut)
	}
	code, sum, errOut = f.importJSON(t, context.Background(), "--restart", "--skip-existing", path)
	if code != 0 || sum.Skipped != 3 || sum.SealsFiled != 1 {
		t.Errorf("--restart: exit %d %+v %s", code, sum, errOut)
	}

	for name, args := range map[string][]string{
		"no registry":    {"import", "--key", f.regKey, path},
		"bad batch":      {"import", "--key", f.regKey, "--registry", "37", "--batch", "0", path},
		"unknown format": {"import", "--key", f.regKey, "--registry", "37", f.writeFile("seals.xls", []byte("x"))},
		"unknown key":    {"import", "--key", f.adminKey, "--registry", "37", path},
		"missing ledger": {"import", "--key", f.regKey, "--registry", "37", filepath.Join(f.dir, "nope.csv")},
		"no such ledger": {"import", "--key", f.regKey, "--registry", "37", "--restart", f.writeFile("empty.csv", nil)},
	} {
		t.Run(name, func(t *testing.T) {
			if code, out, errOut := f.cli(args...); code != exitUsage {
				t.Errorf("exit %d: %s %s", code, out, errOut)
			}
		})
	}
	// An unknown registry is the hub's answer: 1.
	if code, _, errOut := f.cli("import", "--key", f.regKey, "--registry", "38", path); code != exitRejected {
		t.Errorf("unknown registry: exit %d %s", code, errOut)
	}
}

// TestPushBatchSizeIsExact fills a batch to its byte limit and checks the body: within 512 KiB at
// the largest seq and prev, a push the hub parses, and one more row would not fit.
func TestPushBatchSizeIsExact(t *testing.T) {
	rows := ledgerRows(3000, smcrypto.SM3Hex([]byte("maker")))
	b := newPushBatch("37", trustlist.MaxOps)
	var next []byte
	for i := range rows {
		ops := rowOps(&rows[i], true)
		js, err := client.MarshalOps(ops)
		if err != nil {
			t.Fatal(err)
		}
		if !b.fits(len(ops), js) {
			next = js
			break
		}
		b.add(i+2, len(ops), js)
	}
	if next == nil {
		t.Fatal("the batch never filled")
	}
	largest := trustlist.Push{Registry: "37", Seq: ^uint64(0), Prev: strings.Repeat("a", 64), IssuedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	body, err := client.MarshalPushOps(largest, b.ops)
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > trustlist.MaxPushBytes || len(body)+1+len(next) <= trustlist.MaxPushBytes {
		t.Fatalf("body %d bytes, next row %d", len(body), len(next))
	}
	p, err := trustlist.ParsePush(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Ops) != len(b.opLines) || p.Ops[0].Meta.Code != rows[0].Code {
		t.Errorf("%d ops, want %d", len(p.Ops), len(b.opLines))
	}
	// The same body as client.MarshalPush makes.
	want, _ := client.MarshalPush(trustlist.Push{Registry: largest.Registry, Seq: largest.Seq, Prev: largest.Prev, IssuedAt: largest.IssuedAt, Ops: p.Ops})
	if !bytes.Equal(body, want) {
		t.Error("client.MarshalPushOps differs from client.MarshalPush")
	}
	// The op limit: a row of two ops does not join a batch of three with two in it.
	small := newPushBatch("37", 3)
	two, _ := client.MarshalOps(rowOps(&rows[2], true))
	small.add(2, 1, []byte("{}"))
	small.add(3, 1, []byte("{}"))
	if small.fits(2, two) || !small.fits(1, []byte("{}")) {
		t.Error("op limit")
	}
}
