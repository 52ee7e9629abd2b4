package resolver_test

import (
	"testing"
	"time"

	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/resolver/tsp/tsptest"
	"github.com/sealhub/sealhub/test/sm2ca"
)

// A signature's verified timestamp is its signing time; a bad one makes it invalid, and one whose TSA
// the verifier cannot place leaves it indeterminate with timeInfo as the claimed time.
func TestTimestampedSignatures(t *testing.T) {
	p := must[*sm2ca.PKI](t)(sm2ca.New(sm2ca.Options{Epoch: epoch}))
	other := must[*sm2ca.PKI](t)(sm2ca.New(sm2ca.Options{Epoch: epoch}))
	tsa := must[*tsptest.TSA](t)(tsptest.New(p))
	foreignTSA := must[*tsptest.TSA](t)(tsptest.New(other))
	noEKU := tsptest.CertSpec(p)
	noEKU.ExtraExtensions = nil
	notTSA := must[*tsptest.TSA](t)(tsptest.Issue(p, noEKU))
	data := []byte("<ofd:Signature>timestamped</ofd:Signature>")
	claimed, stamped := day(30), day(31)

	for name, c := range map[string]struct {
		stamp  func([]byte) ([]byte, error)
		result resolver.Verdict
		reason resolver.Reason
		check  resolver.CheckResult
		source string
		at     time.Time
	}{
		"verified: the timestamp's time is the signing time": {tsa.StampFunc(tsptest.Spec{GenTime: stamped}), resolver.Valid, resolver.ReasonOK, resolver.Passed, "timestamp", stamped},
		"token over other data":                              {tsa.StampFunc(tsptest.Spec{GenTime: stamped, Imprint: make([]byte, 32)}), resolver.Invalid, resolver.ReasonTimestampInvalid, resolver.Failed, "claimed", claimed},
		"tampered TSTInfo":                                   {tsa.StampFunc(tsptest.Spec{GenTime: stamped, TamperTSTInfo: true}), resolver.Invalid, resolver.ReasonTimestampInvalid, resolver.Failed, "claimed", claimed},
		"TSA certificate without timeStamping":               {notTSA.StampFunc(tsptest.Spec{GenTime: stamped}), resolver.Invalid, resolver.ReasonTimestampInvalid, resolver.Failed, "claimed", claimed},
		"TSA whose CA is not held":                           {foreignTSA.StampFunc(tsptest.Spec{GenTime: stamped}), resolver.Indeterminate, resolver.ReasonTimestampUnverified, resolver.Undetermined, "claimed", claimed},
		"TSA certificate expired at genTime":                 {tsa.StampFunc(tsptest.Spec{GenTime: epoch.AddDate(6, 0, 0)}), resolver.Invalid, resolver.ReasonTimestampInvalid, resolver.Failed, "claimed", claimed},
	} {
		t.Run(name, func(t *testing.T) {
			der := must[[]byte](t)(p.Sign(sm2ca.SignSpec{Data: data, TimeInfo: claimed, TimeStamp: c.stamp}))
			r := verifier(p).VerifySignature(resolver.SignatureRequest{DER: der, Data: data})
			if r.Result != c.result || r.Reason != c.reason {
				t.Fatalf("%s / %s (%s), want %s / %s", r.Result, r.Reason, r.Message, c.result, c.reason)
			}
			if r.Checks.Timestamp.Result != c.check {
				t.Fatalf("timestamp check %s (%s), want %s", r.Checks.Timestamp.Result, r.Checks.Timestamp.Detail, c.check)
			}
			if r.SigningTimeSource != c.source || !r.SigningTime.Equal(c.at) || !r.CheckedAt.Equal(c.at) {
				t.Fatalf("signing time %v (%s), checked at %v; want %v (%s)", r.SigningTime, r.SigningTimeSource, r.CheckedAt, c.at, c.source)
			}
		})
	}
	t.Run("no timestamp: skipped, claimed time", func(t *testing.T) {
		der := must[[]byte](t)(p.Sign(sm2ca.SignSpec{Data: data, TimeInfo: claimed}))
		r := verifier(p).VerifySignature(resolver.SignatureRequest{DER: der, Data: data})
		if r.Result != resolver.Valid || r.Checks.Timestamp.Result != resolver.Skipped || r.SigningTimeSource != "claimed" {
			t.Fatalf("%s, timestamp %s, source %s", r.Result, r.Checks.Timestamp.Result, r.SigningTimeSource)
		}
	})
}
