package resolver

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/sm2"
	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// ReceiptAlgorithm names how receipts are signed: SM2 with SM3 and the default user ID, over the
// RFC 8785 (JCS) canonical form of the report with the receipt's "signature" member left out.
const ReceiptAlgorithm = "SM2-SM3-JCS"

// Receipt is the answering node's signature over a report, so a verifier can later prove what the hub
// answered. It is checked offline with VerifyReceipt and the node keys published at GET /v1/nodes.
type Receipt struct {
	Node      string    `json:"node"`       // the answering node's ID
	KeyID     string    `json:"key_id"`     // first 16 hex digits of the SM3 of the public key
	PublicKey []byte    `json:"public_key"` // uncompressed SM2 point 04‖X‖Y, base64
	Algorithm string    `json:"alg"`
	SignedAt  time.Time `json:"signed_at"`
	Signature []byte    `json:"signature,omitempty"` // DER SM2 signature, base64
}

// Signer signs receipts with a node's SM2 key. It is safe for concurrent use.
type Signer struct {
	node  string
	key   *sm2.PrivateKey
	pub   []byte
	keyID string
	now   func() time.Time
}

// NewSigner makes a receipt signer for the node; now nil means time.Now.
func NewSigner(node string, key *sm2.PrivateKey, now func() time.Time) *Signer {
	if now == nil {
		now = time.Now
	}
	return &Signer{node: node, key: key, pub: smcrypto.PublicKeyBytes(&key.PublicKey),
		keyID: smcrypto.KeyID(&key.PublicKey), now: now}
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
	sig, err := smcrypto.Sign(s.key, canon)
	if err != nil {
		return fail("sign", err)
	}
	rc.Signature = sig
	// The report's JSON ends with the receipt's last member and two closing braces; the signature is
	// the receipt's last member. Adding it to the bytes we have saves encoding the report again.
	if !bytes.HasSuffix(b, []byte("}}")) {
		return marshalReport(v)
	}
	out := make([]byte, 0, len(b)+base64.StdEncoding.EncodedLen(len(sig))+20)
	out = append(out, b[:len(b)-2]...)
	out = append(out, `,"signature":"`...)
	out = base64.StdEncoding.AppendEncode(out, sig)
	return append(out, `"}}`...), nil
}

// marshalReport is json.Marshal without HTML escaping: a report's text (seal names such as "R&D")
// reads as is, and one character has one encoding.
func marshalReport(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
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
// the SM2 signature by the key in the receipt over the canonical report without the signature. It
// returns the receipt; whether its key is one of the hub's node keys (GET /v1/nodes) is the caller's
// question. Any change to a name or value of the report makes it fail.
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
	// The signature is the one member outside the signed text: hold it to the one encoding the hub
	// writes, so a receipt has one text.
	sigRaw, ok := members["signature"]
	if !ok {
		return &rc, fmt.Errorf("%w: the receipt has no signature", ErrReceiptInvalid)
	}
	var sigText string
	if err := jsonv2.Unmarshal(sigRaw, &sigText); err != nil || base64.StdEncoding.EncodeToString(rc.Signature) != sigText {
		return nil, fmt.Errorf("%w: receipt signature is not canonical base64", ErrReceiptMalforms)
	}
	delete(members, "signature")
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
	if _, err := smcrypto.Verify(pub, canon, rc.Signature); err != nil {
		return &rc, ErrReceiptInvalid
	}
	return &rc, nil
}
