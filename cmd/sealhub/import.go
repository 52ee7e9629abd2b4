package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/sealhub/sealhub/federation/ingest"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/internal/ledger"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
	"github.com/spf13/cobra"
)

type importFlags struct {
	remote       remoteFlags
	registry     string
	batch        int
	skipExisting bool
	strict       bool
	quiet        bool
	restart      bool
	json         bool
}

func (e *env) importCommand() *cobra.Command {
	f := &importFlags{}
	cmd := &cobra.Command{
		Use:   "import --key KEYFILE --registry ID LEDGER.csv|LEDGER.xlsx",
		Short: "Bulk-load a registry's seal ledger (台账) as signed pushes",
		Long: `Read a seal ledger (CSV or .xlsx; the columns are described in internal/ledger) and file every
row as a seal (seal.file from its metadata), followed, when its status is not valid, by the status
change (seal.status: suspend, revoke or invalidate, effective at status_at). Rows are packed into
pushes of at most --batch ops and 512 KiB.

The import can be stopped and run again: progress is kept in LEDGER.import-state.json beside the
ledger, written before each push is sent and after it is acknowledged, and a later run with the
same ledger goes on after the last acknowledged row (sending an unanswered push again byte for byte,
which the hub accepts once). If the ledger changed, start again with --restart --skip-existing.

Rows the ledger or the hub would refuse (bad values, outside the registry's jurisdiction, status
times out of order) are listed in the summary and not imported; with --strict the whole ledger is
checked first and nothing is sent if any row is bad. A push the hub rejects stops the import and
names the ledger line at fault.

Exit codes: 0 done (rejected rows, if any, are listed), 1 the hub rejected a push or --strict found
bad rows, 3 usage, I/O error, hub unreachable, or interrupted (run again to resume).`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return e.importLedger(c.Context(), f, args[0])
		},
	}
	fs := cmd.Flags()
	f.remote.addServer(fs)
	f.remote.addKey(fs, "the registry's signing key")
	fs.StringVar(&f.registry, "registry", "", "registry id")
	fs.IntVar(&f.batch, "batch", 1000, "most ops per push (a push is also at most 512 KiB)")
	fs.BoolVar(&f.skipExisting, "skip-existing", false, "ask the hub for every seal first and skip those it already holds for this registry")
	fs.BoolVar(&f.strict, "strict", false, "check the whole ledger first; send nothing if a row is bad")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar")
	fs.BoolVar(&f.restart, "restart", false, "ignore the progress of an earlier import of this ledger")
	fs.BoolVar(&f.json, "json", false, "print the summary as JSON")
	return cmd
}

// importer is one run of `sealhub import`.
type importer struct {
	e          *env
	f          *importFlags
	c          *client.Client
	signer     client.Signer
	path       string
	files      progressFiles
	st         *importState
	resumeLine int // st.LastLine when the run started
	rows       rowChecker
	batch      *pushBatch
	bar        *progressbar.ProgressBar
	sum        importSummary
	start      time.Time
	now        func() time.Time
}

// lookupChunk is how many rows are read ahead; --skip-existing asks about them lookupWorkers at a time.
const (
	lookupChunk   = 256
	lookupWorkers = 8
)

func (e *env) importLedger(ctx context.Context, f *importFlags, path string) error {
	if f.registry == "" {
		return usageError("--registry is required")
	}
	if f.batch < 1 || f.batch > trustlist.MaxOps {
		return usageError("--batch %d: want 1 to %d", f.batch, trustlist.MaxOps)
	}
	key, err := f.remote.signingKey()
	if err != nil {
		return err
	}
	c, err := e.newClient(&f.remote)
	if err != nil {
		return err
	}
	im := &importer{
		e: e, f: f, c: c, signer: client.Signer{Registry: f.registry, Key: key}, path: path,
		files: progressFilesOf(path), now: time.Now,
	}
	if err := im.prepare(ctx); err != nil {
		return err
	}
	if f.strict {
		if err := im.precheck(ctx); err != nil {
			return err
		}
	}
	return im.run(ctx)
}

// prepare reads the progress file and the registry, and checks that the key may sign for it.
func (im *importer) prepare(ctx context.Context) error {
	retries := im.c.Retries
	im.c.Retries = 2 // fail fast when the hub is not there at all; pushes retry longer
	reg, err := im.c.Registry(ctx, im.f.registry)
	im.c.Retries = retries
	if err != nil {
		return apiFailure(im.e.stderr, "registry "+im.f.registry, err, nil)
	}
	if err := keyUsable(reg, im.signer, im.now()); err != nil {
		return err
	}
	sum, err := hashFile(im.path)
	if err != nil {
		return usageError("%v", err)
	}
	st, found, err := im.files.load()
	if err != nil && !im.f.restart {
		return usageError("progress file: %v (run again with --restart --skip-existing to start over, skipping the seals the hub holds)", err)
	}
	if found && !im.f.restart && (st.Registry != im.f.registry || st.LedgerSM3 != sum) {
		return usageError("%s records an import of another ledger or registry (%s, ledger SM3 %.16s…); "+
			"the ledger changed since? Run again with --restart --skip-existing to skip the seals the hub already holds",
			im.files.state, st.Registry, st.LedgerSM3)
	}
	if !found || im.f.restart {
		st = &importState{Version: importStateVersion, Registry: im.f.registry, Ledger: filepath.Base(im.path), LedgerSM3: sum}
	}
	im.st = st
	im.rows = rowChecker{jurisdiction: reg.Jurisdiction, now: im.now}
	im.batch = newPushBatch(im.f.registry, im.f.batch)
	im.sum = importSummary{Ledger: im.path, Registry: im.f.registry, RejectedRows: []rowProblem{}, Warnings: []rowProblem{}}
	return nil
}

// keyUsable checks that the signing key is one of the registry's current keys.
func keyUsable(reg *ingest.RegistryView, s client.Signer, now time.Time) error {
	id := smcrypto.KeyID(&s.Key.PublicKey)
	for _, k := range reg.Keys {
		if k.ID == id {
			if now.Before(k.NotBefore) || (!k.NotAfter.IsZero() && now.After(k.NotAfter)) {
				return usageError("key %s of registry %s is not valid now (%s – %s)", id, reg.ID, ts(k.NotBefore), ts(k.NotAfter))
			}
			return nil
		}
	}
	return usageError("key %s is not a key of registry %s", id, reg.ID)
}

// precheck reads the whole ledger and sends nothing (--strict): any bad row stops the import.
func (im *importer) precheck(ctx context.Context) error {
	if err := im.pass(ctx, true); err != nil {
		return err
	}
	if n := len(im.sum.RejectedRows); n > 0 {
		im.sum.Stopped = fmt.Sprintf("--strict: %d bad row(s), nothing sent", n)
		im.printSummary()
		return &exitError{code: exitRejected}
	}
	im.sum = importSummary{Ledger: im.path, Registry: im.f.registry, RejectedRows: []rowProblem{}, Warnings: []rowProblem{}}
	return nil
}

func (im *importer) run(ctx context.Context) error {
	im.start = time.Now()
	im.resumeLine = im.st.LastLine
	if p := im.st.Pending; p != nil {
		if err := im.resendPending(ctx, p); err != nil {
			return err
		}
	}
	if err := im.pass(ctx, false); err != nil {
		return im.stop(err)
	}
	im.finishBar()
	im.st.Complete = true
	if err := im.files.save(im.st, im.now()); err != nil {
		return usageError("progress file: %v", err)
	}
	im.sum.Complete = true
	im.printSummary()
	return nil
}

// pass reads the ledger once. A dry pass only checks rows.
func (im *importer) pass(ctx context.Context, dry bool) error {
	r, err := ledger.Open(im.path)
	if err != nil {
		return usageError("%s: %v", im.path, err)
	}
	defer r.Close()
	if !dry {
		im.startBar(r)
	}
	chunk := make([]ledger.Row, 0, lookupChunk)
	last := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *ledger.RowError
		if errors.As(err, &re) {
			im.problem(rowProblem{Line: re.Line, Column: re.Column, Message: re.Msg})
			last = max(last, re.Line)
			continue
		}
		if err != nil {
			return usageError("%s: %v", im.path, err)
		}
		im.sum.RowsRead++
		last = max(last, row.Line)
		if p := im.rows.check(&row); p != nil {
			im.problem(*p) // reported by every run: the row is never imported
			continue
		}
		if row.Line <= im.st.LastLine {
			if row.Line <= im.resumeLine { // else acknowledged by this run: the pending push sent again
				im.sum.RowsResumed++
				im.progress(1)
			}
			continue
		}
		if dry {
			continue
		}
		if chunk = append(chunk, row); len(chunk) == lookupChunk {
			if err := im.feed(ctx, chunk); err != nil {
				return err
			}
			chunk = chunk[:0]
		}
	}
	if dry {
		return nil
	}
	if err := im.feed(ctx, chunk); err != nil {
		return err
	}
	if err := im.flush(ctx); err != nil {
		return err
	}
	// Every row is handled now: a later run has nothing to do.
	im.st.LastLine = max(im.st.LastLine, last)
	return nil
}

func (im *importer) problem(p rowProblem) {
	im.sum.RejectedRows = append(im.sum.RejectedRows, p)
	im.progress(1)
}

// feed packs rows into pushes, sending each push when full.
func (im *importer) feed(ctx context.Context, rows []ledger.Row) error {
	var holders []string
	if im.f.skipExisting && len(rows) > 0 {
		var err error
		if holders, err = im.lookup(ctx, rows); err != nil {
			return err
		}
	}
	for i := range rows {
		row := &rows[i]
		if holders != nil && holders[i] != "" {
			if holders[i] == im.f.registry {
				im.sum.Skipped++
				im.progress(1)
			} else {
				im.problem(rowProblem{Line: row.Line, Column: "code", Message: "seal " + row.Code + " is filed by registry " + holders[i]})
			}
			continue
		}
		warn := im.rows.futureStatus(row)
		if warn != nil {
			im.sum.Warnings = append(im.sum.Warnings, *warn)
		}
		ops := rowOps(row, warn == nil)
		js, err := client.MarshalOps(ops)
		if err != nil {
			return &exitError{code: exitUsage, err: err}
		}
		if !im.batch.fits(len(ops), js) {
			if err := im.flush(ctx); err != nil {
				return err
			}
		}
		im.batch.add(row.Line, len(ops), js)
	}
	return nil
}

// lookup asks the hub which registry holds each row's seal ("" when none).
func (im *importer) lookup(ctx context.Context, rows []ledger.Row) ([]string, error) {
	holders := make([]string, len(rows))
	errs := make([]error, len(rows))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(lookupWorkers, len(rows)) {
		wg.Go(func() {
			for i := range next {
				v, err := im.c.Seal(ctx, rows[i].Code, time.Time{})
				var ae *client.Error
				switch {
				case err == nil:
					holders[i] = v.Registry
				case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
				default:
					errs[i] = err
				}
			}
		})
	}
	for i := range rows {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("looking up seal %s (line %d): %w", rows[i].Code, rows[i].Line, err)
		}
	}
	return holders, nil
}
