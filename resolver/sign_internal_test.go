package resolver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"

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
		var std bytes.Buffer
		enc := json.NewEncoder(&std)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(c.v); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(want, bytes.TrimSuffix(std.Bytes(), []byte("\n"))) {
			t.Fatalf("%s: marshalReport differs from encoding/json:\n%s\n%s", name, want, std.Bytes())
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

// Every audit path leads from its leaf to the root, for every size and index; a path used with
// another index or size does not.
func TestMerklePaths(t *testing.T) {
	for n := 1; n <= 33; n++ {
		leaves := make([][32]byte, n)
		for i := range leaves {
			leaves[i] = sm3.Sum([]byte(fmt.Sprint(n, i)))
		}
		tree := newMerkleTree(leaves)
		root := tree.root(0, n)
		for i := range leaves {
			p := tree.path(i, 0, n)
			if got, ok := rootFromPath(leaves[i], i, n, p); !ok || got != root {
				t.Fatalf("size %d index %d: path does not lead to the root", n, i)
			}
			if n > 1 {
				j := (i + 1) % n
				if got, ok := rootFromPath(leaves[i], j, n, p); ok && got == root {
					t.Fatalf("size %d: the path of %d also fits index %d", n, i, j)
				}
			}
		}
	}
}

// Reports signed concurrently share signatures, and every receipt verifies on its own.
func TestConcurrentReceiptsShareSignatures(t *testing.T) {
	k, err := smcrypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	s := NewSigner("n1", k, nil)
	const n = 64
	out := make([][]byte, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep := formatFailure("seal", ReasonFormatInvalid, fmt.Sprintf("report %d", i))
			b, err := s.sign(rep, &rep.Receipt)
			if err != nil {
				t.Error(err)
				return
			}
			out[i] = b
		}()
	}
	wg.Wait()
	maxSize := 0
	for i, b := range out {
		rc, err := VerifyReceipt(b)
		if err != nil {
			t.Fatalf("report %d: %v", i, err)
		}
		maxSize = max(maxSize, rc.Batch.Size)
	}
	t.Logf("largest batch: %d of %d concurrent reports", maxSize, n)
	if maxSize < 2 {
		t.Skip("no two reports were signed together on this run; the batching path was not exercised")
	}
}
