package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/sealhub/sealhub/federation/ingest"
	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/trustlist"
)

// flush sends the batch as the registry's next push. The progress file records the push before it
// is sent and the new position once it is acknowledged.
func (im *importer) flush(ctx context.Context) error {
	b := im.batch
	if b.empty() {
		return nil
	}
	p := &pendingPush{OpLines: b.opLines, Rows: b.rows, Status: b.status, LastLine: b.lastLine}
	before := func(body []byte) error {
		if err := im.files.setPending(im.st, p, body, im.now()); err != nil {
			return usageError("progress file: %v", err)
		}
		return nil
	}
	res, _, err := im.c.PushOps(ctx, im.signer, b.ops, before)
	if err != nil {
		return pushError{err: err, opLines: b.opLines}
	}
	if err := im.acknowledge(res, p); err != nil {
		return err
	}
	b.reset()
	return nil
}

// resendPending sends again the push an earlier run sent without an answer.
func (im *importer) resendPending(ctx context.Context, p *pendingPush) error {
	res, err := im.c.Send(ctx, im.signer, p.body)
	if err == nil {
		return im.acknowledge(res, p)
	}
	for _, code := range []trustlist.Code{trustlist.CodeReplayConflict, trustlist.CodeSeqGap, trustlist.CodePrevMismatch, trustlist.CodeIssuedAtSkew} {
		if client.IsCode(err, string(code)) {
			// The hub did not take it and will not: its rows go again in new pushes.
			fmt.Fprintf(im.e.stderr, "sealhub import: the push left unanswered by the last run was not accepted (%s); its rows are sent again\n", code)
			if err := im.files.clearPending(im.st, im.now()); err != nil {
				return usageError("progress file: %v", err)
			}
			return nil
		}
	}
	return im.stop(pushError{err: err, opLines: p.OpLines})
}

// acknowledge records an accepted push.
func (im *importer) acknowledge(res *ingest.PushResponse, p *pendingPush) error {
	st := im.st
	st.RowsDone += p.Rows
	st.StatusChanges += p.Status
	st.LastLine = max(st.LastLine, p.LastLine)
	st.Pushes++
	st.LastSeq, st.LastHash = res.Seq, res.Hash
	if err := im.files.clearPending(st, im.now()); err != nil {
		return usageError("progress file: %v", err)
	}
	im.sum.SealsFiled += p.Rows
	im.sum.StatusChanges += p.Status
	im.sum.Pushes++
	if im.sum.FirstSeq == 0 {
		im.sum.FirstSeq = res.Seq
	}
	im.sum.LastSeq = res.Seq
	im.progress(p.Rows)
	return nil
}

// pushError is a push that failed, with the ledger lines of its ops.
type pushError struct {
	err     error
	opLines []int
}

func (e pushError) Error() string { return e.err.Error() }
func (e pushError) Unwrap() error { return e.err }

// stop ends a run early: a rejected push (nothing of it applied: the progress file forgets it), an
// interruption or an unreachable hub (the push stays pending, to be sent again next time).
func (im *importer) stop(err error) error {
	im.finishBar()
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	var pe pushError
	var ae *client.Error
	if errors.As(err, &pe) && errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500 {
		if serr := im.files.clearPending(im.st, im.now()); serr != nil {
			fmt.Fprintf(im.e.stderr, "sealhub import: progress file: %v\n", serr)
		}
		im.sum.Stopped = fmt.Sprintf("push rejected: %s", ae.Code)
		im.printSummary()
		where := func(op int) string {
			if op < len(pe.opLines) {
				return fmt.Sprintf("ledger line %d", pe.opLines[op])
			}
			return ""
		}
		out := apiFailure(im.e.stderr, "import: push rejected", err, where)
		if ae.Code == string(trustlist.CodeSealExists) {
			fmt.Fprintln(im.e.stderr, "  (to skip the seals the hub already holds, run again with --skip-existing)")
		}
		return out
	}
	why := "interrupted"
	if !errors.Is(err, context.Canceled) {
		why = "hub unreachable or unavailable: " + err.Error()
		var ae *client.Error
		if errors.As(err, &ae) {
			why = fmt.Sprintf("hub unavailable: %d %s: %s (request %s)", ae.Status, ae.Code, ae.Message, ae.RequestID)
		}
	}
	im.sum.Stopped = why
	im.printSummary()
	fmt.Fprintf(im.e.stderr, "sealhub import: %s; run the same command again to resume from %s\n", why, im.files.state)
	return &exitError{code: exitUsage}
}
