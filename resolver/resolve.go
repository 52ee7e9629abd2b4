package resolver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/resolver/ofd"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// Kind is what a Request asks to verify.
type Kind string

// Request kinds.
const (
	KindSeal      Kind = "seal"      // a bare SES_Seal (电子印章)
	KindSignature Kind = "signature" // an SES_Signature (电子签章), with the signed original or its SM3
	KindOFD       Kind = "ofd"       // a signed OFD document: every signature in it
)

// Request is one online verification.
type Request struct {
	Kind    Kind
	DER     []byte // the SES_Seal or SES_Signature
	Data    []byte // signature: the signed original …
	DataSM3 []byte // … or its SM3
	OFD     []byte // ofd: the document …
	// … or, for a large one, where to read it (OFD nil).
	OFDReader io.ReaderAt
	OFDSize   int64
	// At overrides the time of the checks: by default a signature is judged at its signing time and a
	// seal at the time of the request.
	At time.Time
}

// ErrBadRequest is returned (wrapped) for a request that names no known kind or lacks its input.
var ErrBadRequest = errors.New("bad verification request")

// Result is an online verification's answer: the report of a seal or signature, or of an OFD
// document. Its JSON is that report's.
type Result struct {
	Report   *Report    // seal, signature
	Document *OFDReport // ofd

	json []byte // the signed report's JSON, when signed
}

// JSON is the report's JSON: exactly what was signed, with the receipt.
func (r Result) JSON() ([]byte, error) {
	if r.json != nil {
		return r.json, nil
	}
	return r.MarshalJSON()
}

// Verdict is the overall verdict.
func (r Result) Verdict() Verdict {
	if r.Document != nil {
		return r.Document.Result
	}
	if r.Report != nil {
		return r.Report.Result
	}
	return Indeterminate
}

// MarshalJSON writes the report.
func (r Result) MarshalJSON() ([]byte, error) {
	if r.json != nil {
		return r.json, nil
	}
	if r.Document != nil {
		return marshalReport(r.Document)
	}
	return marshalReport(r.Report)
}

// Resolver verifies seals, signatures and OFD documents against the replicated trust list: trust
// anchors as they were trusted at the time of the check (distrust honoured), seal records and their
// status history, and, for live-mode registries, the region's own status service. Every answer is
// signed by the node (a receipt) when Signer is set. It is safe for concurrent use.
type Resolver struct {
	Trust   trustlist.Source   // the node's state; a request's pinned state (trustlist.WithState) wins
	Regions adapters.Directory // live-mode registries; nil: they answer REGION_UNAVAILABLE
	Signer  *Signer            // nil: no receipts
	Policy  Policy
	Now     func() time.Time
	// LastContact is how long ago this node last heard from the leader (0 on the leader); it is the
	// age of the trust-list data. Nil: 0.
	LastContact func() time.Duration
	// OFDLimits bound the work on one document; zero values are resolver/ofd's defaults.
	OFDLimits ofd.Options

	view atomic.Pointer[trustView]
}

// Verify runs one verification. It returns an error only for a request it cannot run at all
// (ErrBadRequest, a cancelled context, a receipt that could not be signed); every verdict, including
// input that does not decode, is a Result.
func (r *Resolver) Verify(ctx context.Context, req Request) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	st := trustlist.StateFor(ctx, r.Trust)
	oc := &onlineCheck{r: r, st: st, tv: r.trustView(st), heads: map[string]HeadRef{}, now: r.now()}
	v := &Verifier{Roots: oc.tv.roots, Intermediates: oc.tv.inters, Policy: r.Policy, Now: func() time.Time { return oc.now }, online: oc}
	var res Result
	switch req.Kind {
	case KindSeal:
		if len(req.DER) == 0 {
			return Result{}, fmt.Errorf("%w: no seal given", ErrBadRequest)
		}
		res.Report = v.VerifySeal(SealRequest{DER: req.DER, At: req.At})
		oc.statusOf(ctx, res.Report)
		oc.finishOnline(&res.Report.Online)
	case KindSignature:
		if len(req.DER) == 0 {
			return Result{}, fmt.Errorf("%w: no signature given", ErrBadRequest)
		}
		if req.Data != nil && req.DataSM3 != nil {
			return Result{}, fmt.Errorf("%w: give the signed data or its SM3, not both", ErrBadRequest)
		}
		if req.DataSM3 != nil && len(req.DataSM3) != 32 {
			return Result{}, fmt.Errorf("%w: an SM3 digest is 32 bytes, got %d", ErrBadRequest, len(req.DataSM3))
		}
		res.Report = v.VerifySignature(SignatureRequest{DER: req.DER, Data: req.Data, DataSM3: req.DataSM3, At: req.At})
		oc.statusOf(ctx, res.Report)
		oc.finishOnline(&res.Report.Online)
	case KindOFD:
		if len(req.OFD) == 0 && (req.OFDReader == nil || req.OFDSize <= 0) {
			return Result{}, fmt.Errorf("%w: no document given", ErrBadRequest)
		}
		res.Document = r.verifyOFD(ctx, v, oc, req)
		oc.finishOnline(&res.Document.Online)
	default:
		return Result{}, fmt.Errorf("%w: unknown kind %q (seal, signature or ofd)", ErrBadRequest, req.Kind)
	}
	if r.Signer != nil {
		var slot **Receipt
		var body any
		if res.Document != nil {
			slot, body = &res.Document.Receipt, res.Document
		} else {
			slot, body = &res.Report.Receipt, res.Report
		}
		b, err := r.Signer.sign(body, slot)
		if err != nil {
			return Result{}, err
		}
		res.json = b
	}
	return res, nil
}

func (r *Resolver) verifyOFD(ctx context.Context, v *Verifier, oc *onlineCheck, req Request) *OFDReport {
	ra, size := req.OFDReader, req.OFDSize
	if req.OFD != nil {
		ra, size = bytes.NewReader(req.OFD), int64(len(req.OFD))
	}
	doc, err := ofd.OpenWithOptions(ra, size, r.OFDLimits)
	if err != nil {
		return &OFDReport{Result: Invalid, Reason: ReasonFormatInvalid, Message: err.Error(), Signatures: []*OFDSignature{}}
	}
	defer doc.Close()
	out := v.VerifyOFD(doc, req.At)
	for _, s := range out.Signatures {
		oc.statusOf(ctx, s.Report)
	}
	return out.finish()
}

func (r *Resolver) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// trustView is what the resolver derives from one set of trust anchors: pools of every anchor the
// trust list holds (trusted or not; whether an anchor was trusted at the time of a check is decided
// per chain), and the anchors by certificate.
type trustView struct {
	id     uint64
	roots  *smcrypto.Pool
	inters *smcrypto.Pool
	byRaw  map[string]*trustlist.Anchor
	all    []*trustlist.Anchor
}

func (r *Resolver) trustView(st *trustlist.State) *trustView {
	if tv := r.view.Load(); tv != nil && tv.id == st.AnchorsID() {
		return tv
	}
	tv := &trustView{id: st.AnchorsID(), roots: smcrypto.NewPool(), inters: smcrypto.NewPool(), byRaw: map[string]*trustlist.Anchor{}}
	for _, a := range st.Anchors() {
		c := a.Cert()
		if c == nil {
			continue
		}
		tv.all = append(tv.all, a)
		tv.byRaw[string(c.Raw)] = a
		if a.Root {
			tv.roots.Add(c)
		} else {
			tv.inters.Add(c)
		}
	}
	r.view.Store(tv)
	return tv
}

// poolsAt are the pools of the anchors trusted at t (the slow path, when the first chain found runs
// through an anchor that was not).
func (tv *trustView) poolsAt(t time.Time) (roots, inters *smcrypto.Pool) {
	roots, inters = smcrypto.NewPool(), smcrypto.NewPool()
	for _, a := range tv.all {
		if !a.TrustedAt(t) {
			continue
		}
		if a.Root {
			roots.Add(a.Cert())
		} else {
			inters.Add(a.Cert())
		}
	}
	return roots, inters
}
