package resolver

import (
	"errors"
	"fmt"
	"time"

	"github.com/sealhub/sealhub/resolver/tsp"
	"github.com/sealhub/sealhub/trustlist/ses"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// checkTimestamp verifies the signature's timeStamp (GB/T 20520, RFC 3161 shape): the token covers
// the signature value, its TSA signed it, and the TSA certificate chains to a trust anchor at the
// token's time (online: an anchor trusted then). It returns the check and, when it passed, the
// time the TSA vouches for, which becomes the signing time.
func (v *Verifier) checkTimestamp(r *Report, sig *ses.Signature) (Check, time.Time) {
	tok, err := tsp.Parse(sig.TimeStamp)
	if err != nil {
		if errors.Is(err, tsp.ErrUnsupported) {
			return undetermined(ReasonTimestampUnverified, "timeStamp: "+err.Error()), time.Time{}
		}
		return failed(ReasonTimestampInvalid, "timeStamp: "+err.Error()), time.Time{}
	}
	for _, q := range tok.Quirks {
		r.Quirks = append(r.Quirks, "timeStamp: "+q)
	}
	if err := tok.Verify(sig.SignatureValue); err != nil {
		if errors.Is(err, tsp.ErrUnsupported) {
			return undetermined(ReasonTimestampUnverified, "timeStamp: "+err.Error()), time.Time{}
		}
		return failed(ReasonTimestampInvalid, "timeStamp: "+err.Error()), time.Time{}
	}
	// The token's own certificates help build the TSA's path; trust still comes only from anchors.
	withToken := *v
	withToken.Intermediates = smcrypto.NewPool(append(v.Intermediates.Certs(), tok.Certs...)...)
	chain := withToken.chainCheck(tok.Signer, tok.GenTime, tsaReasons, "TSA")
	if chain.Result != Passed {
		chain.Detail = "timeStamp: " + chain.Detail
		return chain, time.Time{}
	}
	return passed(fmt.Sprintf("timeStamp by %q at %s covers the signature value; %s",
		tok.Signer.Subject, tok.GenTime.UTC().Format(time.RFC3339), chain.Detail)), tok.GenTime.UTC()
}
