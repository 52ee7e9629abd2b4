package resolver

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// ReceiptAlgorithm names how receipts are signed. The report, with the receipt's "batch" and
// "signature" members left out, is put in RFC 8785 (JCS) canonical form; its leaf hash
// SM3(0x00 ‖ canonical) is one leaf of a batch of reports answered together, hashed into an RFC 6962
// Merkle tree with SM3 (node = SM3(0x01 ‖ left ‖ right)); the node signs, with SM2-with-SM3 and the
// default user ID, batchMessage(root, size). A lone report is a batch of one whose root is its leaf.
const ReceiptAlgorithm = "SM2-SM3-JCS-MERKLE"

// Receipt is the answering node's signature over a report, so a verifier can later prove what the hub
// answered. It is checked offline with VerifyReceipt and the node keys published at GET /v1/nodes.
type Receipt struct {
	Node      string        `json:"node"`       // the answering node's ID
	KeyID     string        `json:"key_id"`     // first 16 hex digits of the SM3 of the public key
	PublicKey []byte        `json:"public_key"` // uncompressed SM2 point 04‖X‖Y, base64
	Algorithm string        `json:"alg"`
	SignedAt  time.Time     `json:"signed_at"`
	Batch     *ReceiptBatch `json:"batch,omitempty"`
	Signature []byte        `json:"signature,omitempty"` // DER SM2 signature over the batch, base64
}

// ReceiptBatch places the report in the batch the node signed: the leaf's index, the batch size and
// the RFC 6962 audit path (SM3 hex, leaf to root).
type ReceiptBatch struct {
	Index int      `json:"index"`
	Size  int      `json:"size"`
	Path  []string `json:"path"`
}

// batchMessage is what the node signs for a batch: a label, the Merkle root and the batch size.
func batchMessage(root [32]byte, size int) []byte {
	m := append([]byte("sealhub receipt batch\x00"), root[:]...)
	return binary.BigEndian.AppendUint64(m, uint64(size))
}

// Signer signs receipts with a node's SM2 key. It is safe for concurrent use. Reports answered while
// a signature is being made wait and are signed together, with one SM2 signature over the Merkle
// root of their hashes: under load the cost of signing is shared, and alone a report is signed at
// once.
type Signer struct {
	node  string
	key   *sm2.PrivateKey
	pub   []byte
	keyID string
	now   func() time.Time
	batch batcher
}

// maxBatch bounds how many reports share one signature.
const maxBatch = 256

// NewSigner makes a receipt signer for the node; now nil means time.Now.
func NewSigner(node string, key *sm2.PrivateKey, now func() time.Time) *Signer {
	if now == nil {
		now = time.Now
	}
	s := &Signer{node: node, key: key, pub: smcrypto.PublicKeyBytes(&key.PublicKey),
		keyID: smcrypto.KeyID(&key.PublicKey), now: now}
	s.batch.sign = func(m []byte) ([]byte, error) { return smcrypto.Sign(key, m) }
	return s
}

// KeyID identifies the signer's public key.
func (s *Signer) KeyID() string { return s.keyID }

// Node is the node ID receipts name.
func (s *Signer) Node() string { return s.node }

// PublicKey is the signer's public key.
func (s *Signer) PublicKey() *ecdsa.PublicKey { return &s.key.PublicKey }

// sign puts a signed receipt into *slot, which must be the last member of v's JSON (the report
// being signed), and returns v's JSON with it, as json.Marshal without HTML escaping would.
func (s *Signer) sign(v any, slot **Receipt) ([]byte, error) {
	rc := &Receipt{Node: s.node, KeyID: s.keyID, PublicKey: s.pub, Algorithm: ReceiptAlgorithm, SignedAt: s.now().UTC()}
	*slot = rc
	fail := func(what string, err error) ([]byte, error) {
		*slot = nil
		return nil, fmt.Errorf("receipt: %s: %w", what, err)
	}
	b, err := marshalReport(v)
	if err != nil {
		return fail("encode report", err)
	}
	canon := jsontext.Value(bytes.Clone(b))
	if err := canon.Canonicalize(); err != nil {
		return fail("canonicalize report", err)
	}
	j := &job{leaf: leafHash(canon), wake: make(chan struct{}, 1)}
	s.batch.do(j)
	if j.err != nil {
		return fail("sign", j.err)
	}
	rc.Batch, rc.Signature = &ReceiptBatch{Index: j.index, Size: j.size, Path: j.path}, j.sig
	// The report's JSON ends with the receipt's last member and two closing braces; batch and
	// signature are the receipt's last members. Adding them to the bytes we have saves encoding the
	// report again.
	if !bytes.HasSuffix(b, []byte("}}")) {
		return marshalReport(v)
	}
	batch, err := json.Marshal(rc.Batch)
	if err != nil {
		return fail("encode batch", err)
	}
	out := make([]byte, 0, len(b)+len(batch)+base64.StdEncoding.EncodedLen(len(j.sig))+32)
	out = append(out, b[:len(b)-2]...)
	out = append(out, `,"batch":`...)
	out = append(out, batch...)
	out = append(out, `,"signature":"`...)
	out = base64.StdEncoding.AppendEncode(out, j.sig)
	return append(out, `"}}`...), nil
}

// marshalReport is json.Marshal without HTML escaping: a report's text (seal names such as "R&D")
// reads as is, and one character has one encoding. It runs the JSON v2 engine in encoding/json's
// mode, which writes the same bytes faster.
func marshalReport(v any) ([]byte, error) {
	return jsonv2.Marshal(v, jsonv1.DefaultOptionsV1(), jsontext.EscapeForHTML(false))
}

// Receipt errors.
var (
	ErrNoReceipt       = errors.New("the report carries no receipt")
	ErrReceiptInvalid  = errors.New("the receipt's signature does not verify over the report")
	ErrReceiptMalforms = errors.New("the report or its receipt is malformed")
)

// maxReceiptReport bounds the report VerifyReceipt reads.
const maxReceiptReport = 64 << 20

// VerifyReceipt checks the receipt in a report's JSON text (as the API served it, or re-indented):
// the report's leaf hash, its audit path to the batch root, and the SM2 signature by the key in the
// receipt over the root. It returns the receipt; whether its key is one of the hub's node keys
// (GET /v1/nodes) is the caller's question. Any change to a name or value of the report makes it
// fail.
func VerifyReceipt(report []byte) (*Receipt, error) {
	if len(report) > maxReceiptReport {
		return nil, fmt.Errorf("%w: larger than %d MiB", ErrReceiptMalforms, maxReceiptReport>>20)
	}
	var top map[string]jsontext.Value
	if err := jsonv2.Unmarshal(report, &top); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrReceiptMalforms, err)
	}
	raw, ok := top["receipt"]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, ErrNoReceipt
	}
	var members map[string]jsontext.Value
	if err := jsonv2.Unmarshal(raw, &members); err != nil {
		return nil, fmt.Errorf("%w: receipt: %v", ErrReceiptMalforms, err)
	}
	var rc Receipt
	if err := jsonv2.Unmarshal(raw, &rc, jsonv2.RejectUnknownMembers(true)); err != nil {
		return nil, fmt.Errorf("%w: receipt: %v", ErrReceiptMalforms, err)
	}
	if rc.Algorithm != ReceiptAlgorithm {
		return nil, fmt.Errorf("%w: receipt algorithm %q; this build checks %s", ErrReceiptMalforms, rc.Algorithm, ReceiptAlgorithm)
	}
	pub, err := smcrypto.PublicKeyFromBytes(rc.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: receipt public key: %v", ErrReceiptMalforms, err)
	}
	if id := smcrypto.KeyID(pub); id != rc.KeyID {
		return nil, fmt.Errorf("%w: key_id %q is not the id of the receipt's public key (%s)", ErrReceiptInvalid, rc.KeyID, id)
	}
	// batch and signature are the members outside the signed text: hold them to the one encoding
	// the hub writes, so a receipt has one text.
	if _, ok := members["signature"]; !ok || rc.Batch == nil {
		return &rc, fmt.Errorf("%w: the receipt has no signature or batch", ErrReceiptInvalid)
	}
	var sigText string
	if err := jsonv2.Unmarshal(members["signature"], &sigText); err != nil || base64.StdEncoding.EncodeToString(rc.Signature) != sigText {
		return nil, fmt.Errorf("%w: receipt signature is not canonical base64", ErrReceiptMalforms)
	}
	path, err := parsePath(rc.Batch)
	if err != nil {
		return nil, err
	}
	delete(members, "signature")
	delete(members, "batch")
	if top["receipt"], err = jsonv2.Marshal(members); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrReceiptMalforms, err)
	}
	b, err := jsonv2.Marshal(top)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrReceiptMalforms, err)
	}
	canon := jsontext.Value(b)
	if err := canon.Canonicalize(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrReceiptMalforms, err)
	}
	root, ok := rootFromPath(leafHash(canon), rc.Batch.Index, rc.Batch.Size, path)
	if !ok {
		return nil, fmt.Errorf("%w: the batch path does not fit index %d of %d", ErrReceiptMalforms, rc.Batch.Index, rc.Batch.Size)
	}
	if _, err := smcrypto.Verify(pub, batchMessage(root, rc.Batch.Size), rc.Signature); err != nil {
		return &rc, ErrReceiptInvalid
	}
	return &rc, nil
}

func parsePath(b *ReceiptBatch) ([][32]byte, error) {
	if b.Size < 1 || b.Size > maxBatch || b.Index < 0 || b.Index >= b.Size || len(b.Path) > 8 {
		return nil, fmt.Errorf("%w: batch index %d, size %d, path of %d", ErrReceiptMalforms, b.Index, b.Size, len(b.Path))
	}
	out := make([][32]byte, len(b.Path))
	for i, h := range b.Path {
		d, err := hex.DecodeString(h)
		if err != nil || len(d) != 32 || hex.EncodeToString(d) != h {
			return nil, fmt.Errorf("%w: batch path[%d] is not a lower-case hex SM3", ErrReceiptMalforms, i)
		}
		out[i] = [32]byte(d)
	}
	return out, nil
}

// leafHash and nodeHash are RFC 6962's, with SM3.
func leafHash(data []byte) [32]byte {
	h := sm3.New()
	h.Write([]byte{0})
	h.Write(data)
	return [32]byte(h.Sum(nil))
}

func nodeHash(l, r [32]byte) [32]byte {
	var b [65]byte
	b[0] = 1
	copy(b[1:], l[:])
	copy(b[33:], r[:])
	return sm3.Sum(b[:])
}

// merkleTree computes RFC 6962 roots and audit paths over one batch's leaves (§2.1: a tree splits at
// the largest power of two smaller than its size). Subtree roots are remembered, so the paths of a
// whole batch cost O(n) hashes, not O(n²).
type merkleTree struct {
	leaves [][32]byte
	memo   map[[2]int][32]byte
}

func newMerkleTree(leaves [][32]byte) *merkleTree {
	return &merkleTree{leaves: leaves, memo: map[[2]int][32]byte{}}
}

// root is the root of leaves[lo:hi].
func (t *merkleTree) root(lo, hi int) [32]byte {
	if hi-lo == 1 {
		return t.leaves[lo]
	}
	if h, ok := t.memo[[2]int{lo, hi}]; ok {
		return h
	}
	k := lo + split(hi-lo)
	h := nodeHash(t.root(lo, k), t.root(k, hi))
	t.memo[[2]int{lo, hi}] = h
	return h
}

// path is the audit path of leaf m within leaves[lo:hi], leaf to root.
func (t *merkleTree) path(m, lo, hi int) [][32]byte {
	if hi-lo <= 1 {
		return nil
	}
	k := lo + split(hi-lo)
	if m < k {
		return append(t.path(m, lo, k), t.root(k, hi))
	}
	return append(t.path(m, k, hi), t.root(lo, k))
}

func split(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

// rootFromPath recomputes the root from a leaf and its audit path (RFC 9162 §2.1.3.2); ok is false
// when the path does not fit the index and size.
func rootFromPath(leaf [32]byte, index, size int, path [][32]byte) ([32]byte, bool) {
	fn, sn := uint64(index), uint64(size-1)
	r := leaf
	for _, p := range path {
		if sn == 0 {
			return r, false
		}
		if fn&1 == 1 || fn == sn {
			r = nodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = nodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	return r, sn == 0
}
