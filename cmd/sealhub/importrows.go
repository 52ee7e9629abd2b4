package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sealhub/sealhub/internal/ledger"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/sealcode"
)

// rowProblem is a ledger row that is not imported, and why.
type rowProblem struct {
	Line    int    `json:"line"`
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

func (p rowProblem) String() string {
	if p.Column != "" {
		return fmt.Sprintf("line %d, column %s: %s", p.Line, p.Column, p.Message)
	}
	return fmt.Sprintf("line %d: %s", p.Line, p.Message)
}

// actionOf maps a ledger status to the seal.status action that reaches it.
var actionOf = map[string]string{
	ledger.StatusSuspended:   "suspend",
	ledger.StatusRevoked:     "revoke",
	ledger.StatusInvalidated: "invalidate",
}

// maxOpText is the hub's limit on names and reasons, in bytes (trustlist's maxText).
const maxOpText = 1024

// rowChecker refuses, before anything is sent, the rows the hub would refuse for reasons a
// ledger can show: a push stops at its first bad op, a row problem only skips the row.
type rowChecker struct {
	jurisdiction []string
	now          func() time.Time
}

// A status change dated in the future cannot be pushed yet (the hub refuses effective times past its
// clock): the seal is filed without it, and later reports that as a warning.
func (rc rowChecker) check(r *ledger.Row) *rowProblem {
	bad := func(col, format string, args ...any) *rowProblem {
		return &rowProblem{Line: r.Line, Column: col, Message: fmt.Sprintf(format, args...)}
	}
	switch {
	case len(r.Code) > 64 || strings.ContainsAny(r.Code, " \t"):
		return bad("code", "a seal code is at most 64 characters without spaces")
	case len(r.Name) > maxOpText:
		return bad("name", "longer than %d bytes", maxOpText)
	case len(r.OwnerName) > maxOpText:
		return bad("owner_name", "longer than %d bytes", maxOpText)
	case len(r.SignerCerts) > 16:
		return bad("signer_certs", "at most 16 signer certificates")
	}
	if !slices.Contains(rc.jurisdiction, "*") {
		c, err := sealcode.Parse(r.Code)
		if err != nil || !sealcode.JurisdictionContains(rc.jurisdiction, c) {
			return bad("code", "seal %s is outside the registry's jurisdiction %v", r.Code, rc.jurisdiction)
		}
	}
	if r.Status == ledger.StatusValid {
		return nil
	}
	if _, ok := actionOf[r.Status]; !ok {
		return bad("status", "unknown status %q", r.Status)
	}
	switch {
	case r.StatusAt.Before(r.ValidStart):
		return bad("status_at", "%s is before valid_start %s (the filing takes effect at valid_start)",
			r.StatusAt.Format(time.RFC3339), r.ValidStart.Format(time.RFC3339))
	case len(oneLine(r.StatusReason)) > maxOpText:
		return bad("status_reason", "longer than %d bytes", maxOpText)
	}
	return nil
}

// oneLine joins the lines of a ledger reason with spaces: the hub takes no control characters.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") {
		return s
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' || r == '\t' })
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return strings.Join(slices.DeleteFunc(parts, func(p string) bool { return p == "" }), " ")
}

// futureStatus reports a row whose status change takes effect too late to be pushed now.
func (rc rowChecker) futureStatus(r *ledger.Row) *rowProblem {
	if r.Status == ledger.StatusValid || !r.StatusAt.After(rc.now().Add(trustlist.MaxClockSkew)) {
		return nil
	}
	return &rowProblem{Line: r.Line, Column: "status_at", Message: fmt.Sprintf(
		"seal %s filed as valid; its change to %s at %s is in the future: push it when it takes effect",
		r.Code, r.Status, r.StatusAt.Format(time.RFC3339))}
}

// rowOps turns a checked row into its ops: seal.file from the metadata, then, if withStatus and
// the seal is not valid, the seal.status that gives it its ledger status from status_at on.
func rowOps(r *ledger.Row, withStatus bool) []trustlist.Op {
	ops := []trustlist.Op{{Op: trustlist.OpSealFile, Meta: &trustlist.SealMeta{
		Code: r.Code, Name: r.Name, Type: r.Type, OwnerName: r.OwnerName, OwnerUSCC: r.OwnerUSCC,
		MakerCert: r.MakerCert, SignerCerts: r.SignerCerts, ValidStart: r.ValidStart, ValidEnd: r.ValidEnd,
		SealSM3: r.SealSM3, PictureSM3: r.PictureSM3,
	}}}
	if withStatus && r.Status != ledger.StatusValid {
		at := r.StatusAt
		ops = append(ops, trustlist.Op{Op: trustlist.OpSealStatus, Code: r.Code, Action: actionOf[r.Status], EffectiveAt: &at, Reason: oneLine(r.StatusReason)})
	}
	return ops
}

// pushBatch collects the ops of whole rows for one push, in JSON (client.MarshalOps), within the op and
// byte limits. The size is exact: a push body is the envelope plus the ops.
type pushBatch struct {
	maxOps, maxBytes int // maxBytes: for the ops, the envelope taken off
	ops              []byte
	opLines          []int // ledger line of each op
	rows, status     int
	lastLine         int
}

func newPushBatch(registry string, maxOps int) *pushBatch {
	return &pushBatch{maxOps: maxOps, maxBytes: trustlist.MaxPushBytes - pushOverhead(registry)}
}

// fits reports whether a row of n ops, in JSON, can join the batch. An empty batch takes any row:
// a row's ops are never split.
func (b *pushBatch) fits(n int, ops []byte) bool {
	if len(b.opLines) == 0 {
		return true
	}
	return len(b.opLines)+n <= b.maxOps && len(b.ops)+1+len(ops) <= b.maxBytes
}

func (b *pushBatch) add(line, n int, ops []byte) {
	if len(b.ops) > 0 {
		b.ops = append(b.ops, ',')
	}
	b.ops = append(b.ops, ops...)
	for range n {
		b.opLines = append(b.opLines, line)
	}
	b.rows++
	b.status += n - 1
	b.lastLine = line
}

func (b *pushBatch) empty() bool { return len(b.opLines) == 0 }

func (b *pushBatch) reset() {
	b.ops, b.opLines = nil, nil
	b.rows, b.status, b.lastLine = 0, 0, 0
}
