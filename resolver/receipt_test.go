package resolver_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// receiptNow is the clock of the receipt tests: the signer's and the resolver's.
var receiptNow = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// stateSource is a trustlist.Source over a fixed state.
type stateSource struct{ st *trustlist.State }

func (s stateSource) State() *trustlist.State { return s.st }

// receiptFixture is a demo PKI and a receipt-signing resolver over an empty trust list.
type receiptFixture struct {
	pki    *sm2ca.PKI
	key    *sm2.PrivateKey
	signer *resolver.Signer
	r      *resolver.Resolver
}

func newReceiptFixture(tb testing.TB) *receiptFixture {
	tb.Helper()
	p, err := sm2ca.New(sm2ca.Options{Epoch: epoch})
	if err != nil {
		tb.Fatal(err)
	}
	key, err := smcrypto.GenerateKey()
	if err != nil {
		tb.Fatal(err)
	}
	clock := func() time.Time { return receiptNow }
	s := resolver.NewSigner("n1", key, clock)
	return &receiptFixture{pki: p, key: key, signer: s, r: &resolver.Resolver{Trust: stateSource{trustlist.New()}, Signer: s, Now: clock}}
}

// report verifies req and returns the answer's JSON as encoding/json writes it.
func (f *receiptFixture) report(tb testing.TB, req resolver.Request) []byte {
	tb.Helper()
	res, err := f.r.Verify(context.Background(), req)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// sealReport is the signed report of a demo seal.
func (f *receiptFixture) sealReport(tb testing.TB) []byte {
	tb.Helper()
	der, err := f.pki.Seal(sm2ca.SealSpec{})
	if err != nil {
		tb.Fatal(err)
	}
	return f.report(tb, resolver.Request{Kind: resolver.KindSeal, DER: der})
}

// receiptMembers splits a report into its members and its receipt's.
func receiptMembers(tb testing.TB, report []byte) (top, rc map[string]jsontext.Value) {
	tb.Helper()
	if err := jsonv2.Unmarshal(report, &top); err != nil {
		tb.Fatal(err)
	}
	if err := jsonv2.Unmarshal(top["receipt"], &rc); err != nil {
		tb.Fatal(err)
	}
	return top, rc
}

// withReceipt puts rc back into top and encodes the report.
func withReceipt(tb testing.TB, top, rc map[string]jsontext.Value) []byte {
	tb.Helper()
	var err error
	if top["receipt"], err = jsonv2.Marshal(rc); err != nil {
		tb.Fatal(err)
	}
	b, err := jsonv2.Marshal(top)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func indent(tb testing.TB, b []byte, prefix, ind string) []byte {
	tb.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, prefix, ind); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// TestVerifyReceiptAccepts: the report verifies as the resolver wrote it, with HTML escaped (as
// encoding/json writes it by default) and re-indented, for a seal, a signature and an OFD document;
// VerifyReceipt returns the receipt it checked.
func TestVerifyReceiptAccepts(t *testing.T) {
	f := newReceiptFixture(t)
	// A name with characters HTML escaping changes, and a non-ASCII one.
	seal := must[[]byte](t)(f.pki.Seal(sm2ca.SealSpec{Name: "R&D <研发专用章>"}))
	data := []byte("<ofd:Signature>the original</ofd:Signature>")
	sig := must[[]byte](t)(f.pki.Sign(sm2ca.SignSpec{Seal: seal, Data: data}))
	doc := must[[]byte](t)(f.pki.OFD(sm2ca.OFDSignature{Seal: seal}))
	reports := map[string][]byte{
		"seal":      f.report(t, resolver.Request{Kind: resolver.KindSeal, DER: seal}),
		"signature": f.report(t, resolver.Request{Kind: resolver.KindSignature, DER: sig, Data: data}),
		"ofd":       f.report(t, resolver.Request{Kind: resolver.KindOFD, OFD: doc}),
	}
	for kind, report := range reports {
		var escaped bytes.Buffer
		json.HTMLEscape(&escaped, report)
		if !bytes.Contains(escaped.Bytes(), []byte(`\u0026`)) {
			t.Fatalf("%s: test setup: no & in the report", kind)
		}
		encodings := map[string][]byte{
			"json.Marshal":      report,
			"indented":          indent(t, report, "", "  "),
			"tabs and a prefix": indent(t, report, "\t", "\t"),
			"HTML escaped":      escaped.Bytes(),
			"surrounding space": append(append([]byte("\n \t"), report...), "\r\n"...),
		}
		for name, b := range encodings {
			t.Run(kind+"/"+name, func(t *testing.T) {
				rc, err := resolver.VerifyReceipt(b)
				if err != nil {
					t.Fatalf("VerifyReceipt: %v", err)
				}
				if rc.Node != "n1" || rc.KeyID != f.signer.KeyID() || rc.Algorithm != resolver.ReceiptAlgorithm || !rc.SignedAt.Equal(receiptNow) {
					t.Errorf("receipt node %q key %q alg %q at %v, want n1 %s %s %v", rc.Node, rc.KeyID, rc.Algorithm, rc.SignedAt, f.signer.KeyID(), resolver.ReceiptAlgorithm, receiptNow)
				}
				if !bytes.Equal(rc.PublicKey, smcrypto.PublicKeyBytes(f.signer.PublicKey())) || len(rc.Signature) == 0 {
					t.Errorf("receipt public key %x, signature %x", rc.PublicKey, rc.Signature)
				}
			})
		}
	}
}

// TestVerifyUndecodableInput: input that does not decode is a verdict (invalid, FORMAT_INVALID) with
// a receipt like any other, not a failure of Verify.
func TestVerifyUndecodableInput(t *testing.T) {
	f := newReceiptFixture(t)
	for _, kind := range []resolver.Kind{resolver.KindSeal, resolver.KindSignature} {
		for name, der := range map[string][]byte{"junk": []byte("<not DER>"), "integer": {2, 1, 1}} {
			t.Run(string(kind)+"/"+name, func(t *testing.T) {
				var res resolver.Result
				var err error
				func() {
					defer func() {
						if p := recover(); p != nil {
							t.Fatalf("Resolver.Verify panics on a %s that does not decode: %v", kind, p)
						}
					}()
					res, err = f.r.Verify(context.Background(), resolver.Request{Kind: kind, DER: der})
				}()
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if res.Verdict() != resolver.Invalid || res.Report.Reason != resolver.ReasonFormatInvalid || res.Report.Receipt == nil {
					t.Fatalf("verdict %s/%s, receipt %v", res.Verdict(), res.Report.Reason, res.Report.Receipt)
				}
				b, err := json.Marshal(res)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := resolver.VerifyReceipt(b); err != nil {
					t.Errorf("VerifyReceipt: %v", err)
				}
			})
		}
	}
}

// TestVerifyReceiptRejectsEveryByteChange flips one bit of every byte of a signed report in turn: no
// changed report verifies, the receipt's signature included.
func TestVerifyReceiptRejectsEveryByteChange(t *testing.T) {
	f := newReceiptFixture(t)
	report := f.sealReport(t)
	if _, err := resolver.VerifyReceipt(report); err != nil {
		t.Fatal(err)
	}
	for i := range report {
		b := bytes.Clone(report)
		b[i] ^= 0x01
		_, err := resolver.VerifyReceipt(b)
		if err == nil {
			t.Errorf("byte %d changed %q → %q: the report still verifies", i, report[i], b[i])
			continue
		}
		if !errors.Is(err, resolver.ErrReceiptInvalid) && !errors.Is(err, resolver.ErrReceiptMalforms) && !errors.Is(err, resolver.ErrNoReceipt) {
			t.Errorf("byte %d: error %v is none of the receipt errors", i, err)
		}
	}
}

// TestVerifyReceiptSignatureEncoding: a receipt signature re-encoded with other bits in the unused
// low bits of its last base64 digit decodes to the same signature, but it is another text for the
// receipt: it must not verify.
func TestVerifyReceiptSignatureEncoding(t *testing.T) {
	f := newReceiptFixture(t)
	// A DER SM2 signature is 70 to 72 bytes; one whose length is not a multiple of 3 leaves unused
	// bits in the last base64 digit.
	var report []byte
	var sig []byte
	for range 100 {
		report = f.sealReport(t)
		_, rc := receiptMembers(t, report)
		if err := jsonv2.Unmarshal(rc["signature"], &sig); err != nil {
			t.Fatal(err)
		}
		if len(sig)%3 != 0 {
			break
		}
	}
	if len(sig)%3 == 0 {
		t.Skip("no signature with a partial last base64 quantum in 100 tries")
	}
	enc := base64.StdEncoding.EncodeToString(sig)
	last := strings.TrimRight(enc, "=")
	k := len(last) - 1
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	v := strings.IndexByte(alphabet, last[k])
	alt := last[:k] + string(alphabet[v^1]) + enc[len(last):] // the lowest bit is never used
	if dec, err := base64.StdEncoding.DecodeString(alt); err != nil || !bytes.Equal(dec, sig) {
		t.Fatalf("test setup: %q does not decode to the same signature (%v)", alt, err)
	}
	changed := bytes.Replace(report, []byte(`"`+enc+`"`), []byte(`"`+alt+`"`), 1)
	if bytes.Equal(changed, report) {
		t.Fatal("test setup: the signature is not in the report")
	}
	if _, err := resolver.VerifyReceipt(changed); !errors.Is(err, resolver.ErrReceiptMalforms) {
		t.Errorf("a receipt signature re-encoded (%q → %q, the unused bits of the last base64 digit): VerifyReceipt = %v, want %v",
			enc[k:], alt[k:], err, resolver.ErrReceiptMalforms)
	}
}

// TestVerifyReceiptRejects: each broken report gets its error.
func TestVerifyReceiptRejects(t *testing.T) {
	f := newReceiptFixture(t)
	report := f.sealReport(t)
	other := newReceiptFixture(t)
	otherReport := other.sealReport(t)
	otherKey := must[[]byte](t)(json.Marshal(smcrypto.PublicKeyBytes(other.signer.PublicKey())))
	otherKeyID := must[[]byte](t)(json.Marshal(other.signer.KeyID()))

	// Edits of the receipt's members (rcSet, rcDel), of the report's (set, del), and of the text.
	editReceipt := func(edit func(rc map[string]jsontext.Value)) []byte {
		top, rc := receiptMembers(t, report)
		edit(rc)
		return withReceipt(t, top, rc)
	}
	rcSet := func(name string, v jsontext.Value) []byte {
		return editReceipt(func(rc map[string]jsontext.Value) { rc[name] = v })
	}
	rcDel := func(name string) []byte {
		return editReceipt(func(rc map[string]jsontext.Value) { delete(rc, name) })
	}
	set := func(name string, v jsontext.Value) []byte {
		top, _ := receiptMembers(t, report)
		top[name] = v
		return must[[]byte](t)(jsonv2.Marshal(top))
	}
	del := func(names ...string) []byte {
		top, _ := receiptMembers(t, report)
		for _, n := range names {
			delete(top, n)
		}
		return must[[]byte](t)(jsonv2.Marshal(top))
	}
	insertAfter := func(marker, text string) []byte {
		i := bytes.Index(report, []byte(marker))
		if i < 0 {
			t.Fatalf("%q not in the report", marker)
		}
		i += len(marker)
		return append(append(bytes.Clone(report[:i]), text...), report[i:]...)
	}
	otherTop, otherRC := receiptMembers(t, otherReport)
	renamed := editReceipt(func(rc map[string]jsontext.Value) { rc["Node"] = rc["node"]; delete(rc, "node") })
	otherKeyAndID := editReceipt(func(rc map[string]jsontext.Value) { rc["key_id"], rc["public_key"] = otherKeyID, otherKey })

	cases := map[string]struct {
		report []byte
		want   error
	}{
		"receipt removed":          {del("receipt"), resolver.ErrNoReceipt},
		"receipt null":             {set("receipt", jsontext.Value("null")), resolver.ErrNoReceipt},
		"key_id of another key":    {rcSet("key_id", otherKeyID), resolver.ErrReceiptInvalid},
		"key_id empty":             {rcSet("key_id", jsontext.Value(`""`)), resolver.ErrReceiptInvalid},
		"another key and its id":   {otherKeyAndID, resolver.ErrReceiptInvalid},
		"signature of another":     {rcSet("signature", otherRC["signature"]), resolver.ErrReceiptInvalid},
		"receipt of another":       {set("receipt", otherTop["receipt"]), resolver.ErrReceiptInvalid},
		"signature removed":        {rcDel("signature"), resolver.ErrReceiptInvalid},
		"signature null":           {rcSet("signature", jsontext.Value("null")), resolver.ErrReceiptInvalid},
		"signature not base64":     {rcSet("signature", jsontext.Value(`"MEUC*"`)), resolver.ErrReceiptMalforms},
		"node changed":             {rcSet("node", jsontext.Value(`"n2"`)), resolver.ErrReceiptInvalid},
		"signed_at changed":        {rcSet("signed_at", jsontext.Value(`"2025-03-01T08:00:01Z"`)), resolver.ErrReceiptInvalid},
		"signed_at not a time":     {rcSet("signed_at", jsontext.Value(`"yesterday"`)), resolver.ErrReceiptMalforms},
		"alg changed":              {rcSet("alg", jsontext.Value(`"SM2-SM3"`)), resolver.ErrReceiptMalforms},
		"alg in lower case":        {rcSet("alg", jsontext.Value(`"sm2-sm3-jcs"`)), resolver.ErrReceiptMalforms},
		"alg removed":              {rcDel("alg"), resolver.ErrReceiptMalforms},
		"public key not a point":   {rcSet("public_key", jsontext.Value(`"BAEC"`)), resolver.ErrReceiptMalforms},
		"unknown receipt member":   {rcSet("note", jsontext.Value(`"x"`)), resolver.ErrReceiptMalforms},
		"receipt member renamed":   {renamed, resolver.ErrReceiptMalforms},
		"result changed":           {set("result", jsontext.Value(`"valid"`)), resolver.ErrReceiptInvalid},
		"member added":             {set("extra", jsontext.Value(`1`)), resolver.ErrReceiptInvalid},
		"member removed":           {del("message"), resolver.ErrReceiptInvalid},
		"receipt not an object":    {set("receipt", jsontext.Value(`"n1"`)), resolver.ErrReceiptMalforms},
		"duplicate report member":  {insertAfter(`{`, `"result":"valid",`), resolver.ErrReceiptMalforms},
		"duplicate receipt member": {insertAfter(`"receipt":{`, `"node":"n2",`), resolver.ErrReceiptMalforms},
		"duplicate nested member":  {insertAfter(`"checks":{`, `"status":{},`), resolver.ErrReceiptMalforms},
		"duplicate, escaped":       {insertAfter(`"receipt":{`, `"no\u0064e":"n2",`), resolver.ErrReceiptMalforms},
		"invalid UTF-8 in a value": {insertAfter(`"message":"`, "\xff"), resolver.ErrReceiptMalforms},
		"invalid UTF-8 in a name":  {insertAfter(`{`, "\"\xc3\":1,"), resolver.ErrReceiptMalforms},
		"lone surrogate":           {insertAfter(`"message":"`, `\ud800`), resolver.ErrReceiptMalforms},
		"trailing data":            {append(bytes.Clone(report), `{}`...), resolver.ErrReceiptMalforms},
		"two reports":              {append(bytes.Clone(report), report...), resolver.ErrReceiptMalforms},
		"truncated":                {report[:len(report)-1], resolver.ErrReceiptMalforms},
		"an array":                 {append(append([]byte("["), report...), ']'), resolver.ErrReceiptMalforms},
		"empty":                    {nil, resolver.ErrReceiptMalforms},
		"not JSON":                 {[]byte("receipt"), resolver.ErrReceiptMalforms},
		"null":                     {[]byte("null"), resolver.ErrNoReceipt},
		"empty object":             {[]byte("{}"), resolver.ErrNoReceipt},
		"larger than the limit":    {append(bytes.Clone(report), bytes.Repeat([]byte(" "), 64<<20)...), resolver.ErrReceiptMalforms},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rc, err := resolver.VerifyReceipt(tc.report)
			if !errors.Is(err, tc.want) {
				t.Fatalf("VerifyReceipt = %v, want %v", err, tc.want)
			}
			if errors.Is(err, resolver.ErrReceiptMalforms) || errors.Is(err, resolver.ErrNoReceipt) {
				if rc != nil {
					t.Errorf("a receipt returned with %v", err)
				}
			}
		})
	}
}

// TestVerifyReceiptBatchMembers: the batch member of a lone report's receipt (index 0 of 1, no
// path) is checked like the rest: any other value fails.
func TestVerifyReceiptBatchMembers(t *testing.T) {
	f := newReceiptFixture(t)
	report := f.sealReport(t)
	_, rc := receiptMembers(t, report)
	if string(rc["batch"]) != `{"index":0,"size":1,"path":[]}` {
		t.Fatalf("a lone report's batch: %s", rc["batch"])
	}
	h := strings.Repeat("ab", 32)
	cases := map[string]struct {
		batch string // "" removes the member
		want  error
	}{
		"removed":           {"", resolver.ErrReceiptInvalid},
		"null":              {`null`, resolver.ErrReceiptInvalid},
		"index 1":           {`{"index":1,"size":1,"path":[]}`, resolver.ErrReceiptMalforms},
		"index -1":          {`{"index":-1,"size":1,"path":[]}`, resolver.ErrReceiptMalforms},
		"size 0":            {`{"index":0,"size":0,"path":[]}`, resolver.ErrReceiptMalforms},
		"size 2, no path":   {`{"index":0,"size":2,"path":[]}`, resolver.ErrReceiptMalforms},
		"size 2 with path":  {`{"index":0,"size":2,"path":["` + h + `"]}`, resolver.ErrReceiptInvalid},
		"size too large":    {`{"index":0,"size":1000000,"path":[]}`, resolver.ErrReceiptMalforms},
		"size huge":         {`{"index":0,"size":9223372036854775807,"path":[]}`, resolver.ErrReceiptMalforms},
		"size overflows":    {`{"index":0,"size":9223372036854775808,"path":[]}`, resolver.ErrReceiptMalforms},
		"a path of one":     {`{"index":0,"size":1,"path":["` + h + `"]}`, resolver.ErrReceiptMalforms},
		"a long path":       {`{"index":0,"size":1,"path":[` + strings.Repeat(`"`+h+`",`, 40) + `"` + h + `"]}`, resolver.ErrReceiptMalforms},
		"path not hex":      {`{"index":0,"size":2,"path":["` + strings.Repeat("zz", 32) + `"]}`, resolver.ErrReceiptMalforms},
		"path upper case":   {`{"index":0,"size":2,"path":["` + strings.ToUpper(h) + `"]}`, resolver.ErrReceiptMalforms},
		"path short":        {`{"index":0,"size":2,"path":["` + h[:62] + `"]}`, resolver.ErrReceiptMalforms},
		"path null":         {`{"index":0,"size":1,"path":null}`, nil},
		"index a string":    {`{"index":"0","size":1,"path":[]}`, resolver.ErrReceiptMalforms},
		"index a fraction":  {`{"index":0.5,"size":1,"path":[]}`, resolver.ErrReceiptMalforms},
		"unknown member":    {`{"index":0,"size":1,"path":[],"root":"` + h + `"}`, resolver.ErrReceiptMalforms},
		"an array":          {`[0,1]`, resolver.ErrReceiptMalforms},
		"members reordered": {`{"size":1,"path":[],"index":0}`, nil},
	}
	dup := bytes.Replace(report, []byte(`"batch":{"index":0,`), []byte(`"batch":{"index":0,"index":0,`), 1)
	if _, err := resolver.VerifyReceipt(dup); !errors.Is(err, resolver.ErrReceiptMalforms) || bytes.Equal(dup, report) {
		t.Errorf("a duplicate batch member: VerifyReceipt = %v", err)
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			top, rc := receiptMembers(t, report)
			if tc.batch == "" {
				delete(rc, "batch")
			} else {
				rc["batch"] = jsontext.Value(tc.batch)
			}
			_, err := resolver.VerifyReceipt(withReceipt(t, top, rc))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("VerifyReceipt = %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("VerifyReceipt = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestVerifyReceiptBatches: reports answered at once share one signature; each verifies alone,
// and none verifies with another position in its batch, another report's path, or another size.
func TestVerifyReceiptBatches(t *testing.T) {
	f := newReceiptFixture(t)
	der := must[[]byte](t)(f.pki.Seal(sm2ca.SealSpec{}))
	type signed struct {
		report []byte
		rc     *resolver.Receipt
	}
	var batches map[string][]signed // by signature
	for round := 0; round < 20 && len(batches) == 0; round++ {
		const n = 48
		// The signer's clock is read as a report starts being signed: holding every report there
		// until all have arrived makes their signatures overlap.
		var mu sync.Mutex
		arrived, all := 0, make(chan struct{})
		gate := func() time.Time {
			mu.Lock()
			if arrived++; arrived == n {
				close(all)
			}
			mu.Unlock()
			<-all
			return receiptNow
		}
		r := &resolver.Resolver{Trust: f.r.Trust, Signer: resolver.NewSigner("n1", f.key, gate), Now: f.r.Now}
		out := make([][]byte, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				res, err := r.Verify(context.Background(), resolver.Request{Kind: resolver.KindSeal, DER: der, At: day(i + 2)})
				if err != nil {
					t.Error(err)
					return
				}
				out[i] = must[[]byte](t)(res.JSON())
			})
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		bySig := map[string][]signed{}
		for i, b := range out {
			rc, err := resolver.VerifyReceipt(b)
			if err != nil {
				t.Fatalf("report %d: %v", i, err)
			}
			bySig[string(rc.Signature)] = append(bySig[string(rc.Signature)], signed{b, rc})
		}
		for sig, reports := range bySig {
			if len(reports) < 2 {
				continue
			}
			if batches == nil {
				batches = map[string][]signed{}
			}
			batches[sig] = reports
		}
	}
	if len(batches) == 0 {
		t.Skip("no two reports were signed together in 20 rounds")
	}
	setBatch := func(report []byte, b resolver.ReceiptBatch) []byte {
		top, rc := receiptMembers(t, report)
		rc["batch"] = must[[]byte](t)(json.Marshal(b))
		return withReceipt(t, top, rc)
	}
	for _, reports := range batches {
		size := reports[0].rc.Batch.Size
		seen := map[int]bool{}
		for _, s := range reports {
			b := *s.rc.Batch
			if b.Size != size || seen[b.Index] || b.Index >= size {
				t.Fatalf("batch: %+v (size %d, indexes seen %v)", b, size, seen)
			}
			seen[b.Index] = true
			for j := range size {
				if j == b.Index {
					continue
				}
				moved := b
				moved.Index = j
				if _, err := resolver.VerifyReceipt(setBatch(s.report, moved)); err == nil {
					t.Errorf("index %d of %d also verifies as index %d", b.Index, size, j)
				}
			}
			for _, d := range []int{-1, 1} {
				resized := b
				resized.Size += d
				if _, err := resolver.VerifyReceipt(setBatch(s.report, resized)); err == nil {
					t.Errorf("index %d of %d also verifies in a batch of %d", b.Index, size, resized.Size)
				}
			}
			for _, o := range reports {
				if o.rc.Batch.Index == b.Index {
					continue
				}
				if _, err := resolver.VerifyReceipt(setBatch(s.report, *o.rc.Batch)); err == nil {
					t.Errorf("report %d verifies with the batch member of report %d", b.Index, o.rc.Batch.Index)
				}
			}
			for k := range b.Path {
				changed := b
				changed.Path = slices.Clone(b.Path)
				changed.Path[k] = strings.Repeat("0", 64)
				if _, err := resolver.VerifyReceipt(setBatch(s.report, changed)); err == nil {
					t.Errorf("index %d of %d verifies with path[%d] changed", b.Index, size, k)
				}
			}
		}
	}
}

// reportValue is the report as a JSON value without its receipt signature: what the receipt signs,
// decoded independently of VerifyReceipt (numbers as float64, as JCS compares them). ok is false
// when the report is not a JSON object with a receipt object.
func reportValue(report []byte) (v map[string]any, sig any, ok bool) {
	if err := jsonv2.Unmarshal(report, &v); err != nil {
		return nil, nil, false
	}
	rc, isObj := v["receipt"].(map[string]any)
	if !isObj {
		return nil, nil, false
	}
	sig = rc["signature"]
	delete(rc, "signature")
	return v, sig, true
}

// FuzzVerifyReceipt: no input panics; every error is one of the receipt errors; a report that
// verifies, changed in one byte, verifies again only if it is still the same report (the change was
// to insignificant text: white space, an escape's spelling, the unused bits of the signature's
// encoding) with the same signature.
func FuzzVerifyReceipt(f *testing.F) {
	fx := newReceiptFixture(f)
	report := fx.sealReport(f)
	doc, err := fx.pki.OFD()
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][]byte{
		report,
		indent(f, report, "", "  "),
		fx.report(f, resolver.Request{Kind: resolver.KindOFD, OFD: doc}),
		[]byte(`{"receipt":null}`),
		[]byte(`{"receipt":{"node":"n1","key_id":"0011223344556677","public_key":"BA==","alg":"` + resolver.ReceiptAlgorithm +
			`","signed_at":"2025-03-01T08:00:00Z","batch":{"index":1,"size":2,"path":["` + strings.Repeat("0", 64) + `"]},"signature":"MAA="}}`),
		[]byte(`[]`), []byte(``),
	} {
		f.Add(seed, uint(len(seed)/2), byte(1))
	}
	f.Fuzz(func(t *testing.T, report []byte, pos uint, mask byte) {
		rc, err := resolver.VerifyReceipt(report)
		if err != nil {
			if !errors.Is(err, resolver.ErrNoReceipt) && !errors.Is(err, resolver.ErrReceiptInvalid) && !errors.Is(err, resolver.ErrReceiptMalforms) {
				t.Fatalf("error %v is none of the receipt errors", err)
			}
			return
		}
		if rc == nil || rc.Algorithm != resolver.ReceiptAlgorithm {
			t.Fatalf("verified, with receipt %+v", rc)
		}
		if pub, err := smcrypto.PublicKeyFromBytes(rc.PublicKey); err != nil || smcrypto.KeyID(pub) != rc.KeyID {
			t.Fatalf("verified, with key_id %q for public key %x (%v)", rc.KeyID, rc.PublicKey, err)
		}
		if len(report) == 0 {
			t.Fatal("the empty report verified")
		}
		if mask == 0 {
			mask = 1
		}
		changed := bytes.Clone(report)
		changed[pos%uint(len(report))] ^= mask
		rc2, err := resolver.VerifyReceipt(changed)
		if err != nil {
			return
		}
		v1, _, ok1 := reportValue(report)
		v2, _, ok2 := reportValue(changed)
		if !ok1 || !ok2 || !reflect.DeepEqual(v1, v2) || !bytes.Equal(rc.Signature, rc2.Signature) {
			t.Fatalf("byte %d changed (%q → %q) and the report still verifies:\n%s\n%s", pos%uint(len(report)),
				report[pos%uint(len(report))], changed[pos%uint(len(report))], report, changed)
		}
	})
}
