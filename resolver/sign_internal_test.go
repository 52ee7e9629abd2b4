package resolver

import (
	"bytes"
	"testing"
	"time"

	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// The signer adds the signature to the bytes it signed instead of encoding the report again; the
// result must be exactly the report's own encoding.
func TestSignSplicesLikeMarshal(t *testing.T) {
	k, err := smcrypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	s := NewSigner("n1", k, func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC) })
	rep := formatFailure("seal", ReasonFormatInvalid, `not a seal: <R&D> "quoted"`)
	rep.TrustlistIndex = 7
	rep.DataAge = &DataAge{Millis: 3, Source: SourceTrustList}
	doc := (&OFDReport{Signatures: []*OFDSignature{{ID: "s1", Report: formatFailure("signature", ReasonNotSES, "pkcs7")}}}).finish()
	for name, c := range map[string]struct {
		v    any
		slot **Receipt
	}{"report": {rep, &rep.Receipt}, "document": {doc, &doc.Receipt}} {
		got, err := s.sign(c.v, c.slot)
		if err != nil {
			t.Fatal(err)
		}
		want, err := marshalReport(c.v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: spliced\n%s\nmarshalled\n%s", name, got, want)
		}
		if _, err := VerifyReceipt(got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if bytes.Contains(got, []byte(`\u0026`)) {
			t.Fatalf("%s: HTML-escaped text in the report", name)
		}
	}
}
