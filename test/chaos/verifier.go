package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/resolver/httpapi"
)

// SealFile is a demo seal (an SES_Seal DER) the verifier sends, with the verdict the cluster gave
// before any fault. Nothing the chaos run does touches these seals, so a node may answer
// indeterminate (its data too old, a region not answering) but never turn valid into invalid or
// invalid into valid.
type SealFile struct {
	Name     string
	DER      []byte
	Baseline resolver.Verdict
}

// LoadSeals reads the *.esl files of dir.
func LoadSeals(dir string) ([]*SealFile, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.esl"))
	if err != nil {
		return nil, err
	}
	slices.Sort(paths)
	var out []*SealFile
	for _, p := range paths {
		der, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, &SealFile{Name: strings.TrimSuffix(filepath.Base(p), ".esl"), DER: der})
	}
	return out, nil
}

// Baseline verifies each seal on n until it gets a well-formed answer, and keeps its verdict.
func (w *Workload) Baseline(ctx context.Context, n *Node) error {
	for _, s := range w.Seals {
		err := poll(ctx, "a baseline verification of "+s.Name, func(ctx context.Context) error {
			a := w.do(ctx, VerifyTimeout, http.MethodPost, n.URL()+"/v1/verify/seal", sealHeader(), s.DER)
			if a.status != http.StatusOK {
				return fmt.Errorf("%s answered %d %s", n.Name, a.status, a.code)
			}
			rep, err := checkReport(a)
			if err != nil {
				return permanent{err}
			}
			s.Baseline = rep.Result
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// verify sends random demo seals to random nodes (default consistency) until ctx ends.
func (w *Workload) verify(ctx context.Context, r *rand.Rand) {
	for ctx.Err() == nil {
		s := w.Seals[r.IntN(len(w.Seals))]
		n := w.Nodes.Pick(r, nil)
		a := w.do(ctx, VerifyTimeout, http.MethodPost, n.URL()+"/v1/verify/seal", sealHeader(), s.DER)
		switch {
		case a.status == http.StatusOK:
			rep, err := checkReport(a)
			if err != nil {
				w.Violate("%s: verification of %s: %v", n.Name, s.Name, err)
				break
			}
			w.Counters.Inc("verify." + string(rep.Result))
			if rep.TrustlistIndex == 0 {
				// A node still re-applying its log after a start must refuse default reads
				// (STALE_READ), not answer from the empty trust list it begins with.
				w.Counters.Inc("verify-empty." + string(rep.Result))
				w.Violate("%s: verification of %s answered from an empty trust list (index 0) at default consistency", n.Name, s.Name)
			}
			if flipped(s.Baseline, rep.Result) {
				w.Violate("%s: seal %s verified %s (%s) at trust-list index %d, was %s before any fault",
					n.Name, s.Name, rep.Result, rep.Reason, rep.TrustlistIndex, s.Baseline)
			}
		case a.status == http.StatusServiceUnavailable || a.code == "TRANSPORT":
			w.Counters.Inc("verify.refused." + a.code)
		default:
			w.Counters.Inc("verify.unexpected." + a.code)
			w.Violate("%s: verification of %s: unexpected answer %d %s", n.Name, s.Name, a.status, clip(a.body))
		}
		sleepCtx(ctx, 50*time.Millisecond)
	}
}

func sealHeader() http.Header {
	return http.Header{"Content-Type": []string{"application/octet-stream"}}
}

// flipped reports a verdict that contradicts the baseline: valid for invalid or the reverse.
func flipped(baseline, got resolver.Verdict) bool {
	return (baseline == resolver.Valid && got == resolver.Invalid) || (baseline == resolver.Invalid && got == resolver.Valid)
}

// checkReport decodes a 200 verification answer and checks it is well-formed: a seal report with a
// verdict and a reason, the answering node's receipt, and the verdict header agreeing with the
// body. (An answer at trust-list index 0, from a node that has not loaded its trust list, is
// counted and reported as a violation by the caller.)
func checkReport(a answer) (*resolver.Report, error) {
	var rep resolver.Report
	if err := json.Unmarshal(a.body, &rep); err != nil {
		return nil, fmt.Errorf("unreadable report: %w", err)
	}
	switch {
	case rep.Result != resolver.Valid && rep.Result != resolver.Invalid && rep.Result != resolver.Indeterminate:
		return nil, fmt.Errorf("result %q", rep.Result)
	case rep.Reason == "" || rep.Kind != "seal":
		return nil, fmt.Errorf("reason %q, kind %q", rep.Reason, rep.Kind)
	case rep.Receipt == nil:
		return nil, fmt.Errorf("no receipt (%s %s)", rep.Result, rep.Reason)
	case a.header.Get(httpapi.HeaderResult) != string(rep.Result):
		return nil, fmt.Errorf("%s header %q, body %q", httpapi.HeaderResult, a.header.Get(httpapi.HeaderResult), rep.Result)
	}
	return &rep, nil
}
