package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/sealhub/sealhub/internal/ledger"
	"golang.org/x/term"
)

// importSummary is what an import run did.
type importSummary struct {
	Ledger         string       `json:"ledger"`
	Registry       string       `json:"registry"`
	Complete       bool         `json:"complete"`
	Stopped        string       `json:"stopped,omitempty"` // why the run ended early
	RowsRead       int          `json:"rows_read"`
	RowsResumed    int          `json:"rows_resumed"` // handled by an earlier run (filed or skipped)
	SealsFiled     int          `json:"seals_filed"`
	StatusChanges  int          `json:"status_changes"`
	Skipped        int          `json:"skipped_existing"`
	RejectedRows   []rowProblem `json:"rejected_rows"`
	Warnings       []rowProblem `json:"warnings"` // rows filed without their (future) status change
	Pushes         int          `json:"pushes"`
	FirstSeq       uint64       `json:"first_seq,omitempty"`
	LastSeq        uint64       `json:"last_seq,omitempty"`
	ElapsedSeconds float64      `json:"elapsed_seconds"`
	SealsPerSecond float64      `json:"seals_per_second"`
}

// startBar shows a progress bar on stderr if it is a terminal (and not --quiet). Its length is
// the ledger's row count (an upper bound for a CSV; one extra pass over a workbook without a
// dimension), or unknown.
func (im *importer) startBar(r *ledger.Reader) {
	f, ok := im.e.stderr.(*os.File)
	if im.f.quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return
	}
	im.bar = progressbar.NewOptions64(int64(r.Total()),
		progressbar.OptionSetWriter(im.e.stderr),
		progressbar.OptionSetDescription("importing "+filepath.Base(im.path)),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetRenderBlankState(true),
	)
}

func (im *importer) progress(n int) {
	if im.bar != nil {
		_ = im.bar.Add(n)
	}
}

func (im *importer) finishBar() {
	if im.bar != nil {
		_ = im.bar.Finish()
		im.bar = nil
	}
}

// maxListedProblems bounds the rejected rows the text summary lists (--json lists them all).
const maxListedProblems = 100

func (im *importer) printSummary() {
	s := &im.sum
	if !im.start.IsZero() {
		el := time.Since(im.start)
		s.ElapsedSeconds = el.Seconds()
		if el > 0 {
			s.SealsPerSecond = float64(s.SealsFiled) / el.Seconds()
		}
	}
	if im.f.json {
		_ = writeJSON(im.e.stdout, s)
		return
	}
	w := im.e.stdout
	state := "complete"
	if !s.Complete {
		state = "stopped: " + s.Stopped
	}
	fmt.Fprintf(w, "import of %s into registry %s: %s\n", s.Ledger, s.Registry, state)
	fmt.Fprintf(w, "  rows read:        %d\n", s.RowsRead)
	if s.RowsResumed > 0 {
		fmt.Fprintf(w, "  done earlier:     %d (by an earlier run of this import)\n", s.RowsResumed)
	}
	fmt.Fprintf(w, "  seals filed:      %d\n  status changes:   %d\n", s.SealsFiled, s.StatusChanges)
	if im.f.skipExisting {
		fmt.Fprintf(w, "  skipped:          %d (already on the hub)\n", s.Skipped)
	}
	fmt.Fprintf(w, "  rejected rows:    %d\n", len(s.RejectedRows))
	for i, p := range s.RejectedRows {
		if i == maxListedProblems {
			fmt.Fprintf(w, "    … and %d more (--json lists them all)\n", len(s.RejectedRows)-i)
			break
		}
		fmt.Fprintf(w, "    %s\n", p)
	}
	if len(s.Warnings) > 0 {
		fmt.Fprintf(w, "  warnings:         %d\n", len(s.Warnings))
		for i, p := range s.Warnings {
			if i == maxListedProblems {
				fmt.Fprintf(w, "    … and %d more (--json lists them all)\n", len(s.Warnings)-i)
				break
			}
			fmt.Fprintf(w, "    %s\n", p)
		}
	}
	if s.Pushes > 0 {
		fmt.Fprintf(w, "  pushes:           %d (seq %d to %d)\n", s.Pushes, s.FirstSeq, s.LastSeq)
	} else {
		fmt.Fprintf(w, "  pushes:           0\n")
	}
	fmt.Fprintf(w, "  elapsed:          %s (%.0f seals/s)\n", time.Duration(s.ElapsedSeconds*float64(time.Second)).Round(time.Millisecond), s.SealsPerSecond)
}
