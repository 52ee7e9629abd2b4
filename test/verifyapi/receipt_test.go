package verifyapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/sealhub/sealhub/resolver"
	"github.com/sealhub/sealhub/resolver/httpapi"
	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist"
)

// TestReceipts checks the receipt of a served report byte by byte: it verifies over the body as
// served and re-indented, by the key GET /v1/nodes publishes, and no change of a single byte of the
// body leaves it verifying.
func TestReceipts(t *testing.T) {
	t.Parallel()
	f := newHub(t, nil)
	p := newPKI(t, sm2ca.Options{})
	reg := f.createRegistry("37", trustlist.KindProvince, "37")
	f.trustPKI(reg, p)
	code := code14("37", 1)
	seal := makeSeal(t, p, sm2ca.SealSpec{ESID: code})
	f.push(reg.signer(), fileOp(seal))
	f.push(reg.signer(), statusOp(code, "suspend", utc(2025, 3, 1, 0), "印章遗失"))
	data := []byte("合同")

	// A report whose receipt signature's base64 ends with padding, so that its last character carries
	// bits the decoder drops (most SM2 DER signatures are 70 or 71 bytes).
	var body []byte
	var rc *resolver.Receipt
	for range 40 {
		r := f.verifySignature(sign(t, p, seal, data, utc(2025, 4, 1, 0)), data, time.Time{})
		if len(r.Receipt.Signature)%3 != 0 {
			body, rc = r.raw, r.Receipt
			break
		}
	}
	if body == nil {
		t.Fatal("40 receipts, all with 72-byte signatures")
	}

	t.Run("published key", func(t *testing.T) {
		got, err := resolver.VerifyReceipt(body)
		if err != nil {
			t.Fatal(err)
		}
		s := f.do(http.MethodGet, "/v1/nodes", "", nil, nil)
		var nodes struct {
			Nodes []httpapi.NodeInfo `json:"nodes"`
		}
		s.decode(t, &nodes)
		if len(nodes.Nodes) != 1 {
			t.Fatalf("nodes: %s", s.body)
		}
		n := nodes.Nodes[0]
		if got.Node != n.ID || got.KeyID != n.KeyID || !bytes.Equal(got.PublicKey, n.PublicKey) || !n.Self || !n.Leader {
			t.Errorf("receipt %s/%s, GET /v1/nodes %+v", got.Node, got.KeyID, n)
		}
		if got.Algorithm != resolver.ReceiptAlgorithm || time.Since(got.SignedAt) > time.Minute {
			t.Errorf("receipt alg %s signed at %v", got.Algorithm, got.SignedAt)
		}
	})

	t.Run("re-indented", func(t *testing.T) {
		for name, re := range map[string]func(*bytes.Buffer) error{
			"two spaces": func(b *bytes.Buffer) error { return json.Indent(b, body, "", "  ") },
			"tabs":       func(b *bytes.Buffer) error { return json.Indent(b, body, "\t", "\t") },
			"compact":    func(b *bytes.Buffer) error { return json.Compact(b, body) },
		} {
			var b bytes.Buffer
			if err := re(&b); err != nil {
				t.Fatal(err)
			}
			if _, err := resolver.VerifyReceipt(b.Bytes()); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	})

	t.Run("every byte", func(t *testing.T) {
		// A whitespace byte is changed to a letter: whitespace for whitespace is re-indentation.
		change := func(b byte) byte {
			switch b {
			case ' ', '\t', '\n', '\r':
				return 'x'
			}
			return b ^ 0x01
		}
		accepted := changedBytesAccepted(t, body, func(i int) []byte { return []byte{change(body[i])} })
		for _, a := range accepted {
			t.Errorf("BUG: %s", a)
		}
	})

	t.Run("the last characters of the signature", func(t *testing.T) {
		// The receipt's own signature is not signed; its encoding must still be the only one accepted.
		// Its last character before the padding carries bits a lenient decoder drops; every other
		// character is changed by "every byte".
		b64 := base64.StdEncoding.EncodeToString(rc.Signature)
		at := bytes.Index(body, []byte(`"signature":"`+b64+`"`))
		if at < 0 {
			t.Fatalf("the body does not carry the receipt signature as %s", b64)
		}
		end := at + len(`"signature":"`) + len(b64) // the closing quote
		last := end - 1 - bytes.Count([]byte(b64), []byte("="))
		alphabet := []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
		accepted := changedBytesAccepted(t, body, func(i int) []byte {
			if i < last || i >= end {
				return nil
			}
			return alphabet
		})
		if len(accepted) > 0 {
			t.Errorf("BUG: %d one-character changes of the receipt signature's base64 still verify (it is decoded leniently: "+
				"the unused low bits of its last character are not checked), e.g. %s", len(accepted), accepted[0])
		}
	})
}

// changedBytesAccepted replaces each byte i of body by each of with(i) (none: left alone) other than itself and
// returns a description of every change VerifyReceipt accepts. A refusal must be a parse error
// (ErrReceiptMalforms, ErrNoReceipt) or ErrReceiptInvalid.
func changedBytesAccepted(t *testing.T, body []byte, with func(i int) []byte) []string {
	t.Helper()
	var mu sync.Mutex
	var accepted []string
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := bytes.Clone(body)
			for i := w; i < len(body); i += workers {
				orig := b[i]
				for _, r := range with(i) {
					if r == orig {
						continue
					}
					b[i] = r
					_, err := resolver.VerifyReceipt(b)
					switch {
					case err == nil:
						mu.Lock()
						accepted = append(accepted, fmt.Sprintf("VerifyReceipt accepts the body with byte %d changed from %q to %q: %q", i, orig, r, around(b, i)))
						mu.Unlock()
					case !errors.Is(err, resolver.ErrReceiptInvalid) && !errors.Is(err, resolver.ErrReceiptMalforms) && !errors.Is(err, resolver.ErrNoReceipt):
						mu.Lock()
						accepted = append(accepted, fmt.Sprintf("byte %d changed to %q: unexpected error %v", i, r, err))
						mu.Unlock()
					}
				}
				b[i] = orig
			}
		}()
	}
	wg.Wait()
	return accepted
}

func around(b []byte, i int) string {
	return string(b[max(0, i-24):min(len(b), i+24)])
}
