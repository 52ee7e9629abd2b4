package smcrypto

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// DefaultUID is the SM2 user ID that GM/T 0009 fixes as the default and that every seal, signature and
// certificate seen in real data uses.
const DefaultUID = "1234567812345678"

// SigEncoding says how an SM2 signature value was encoded.
type SigEncoding int

// Signature encodings seen in real data.
const (
	SigUnknown SigEncoding = iota
	SigDER                 // SEQUENCE { r INTEGER, s INTEGER }: the majority, 70–72 bytes
	SigRaw64               // raw r‖s, 32 bytes each: the Shandong provincial platform
)

func (e SigEncoding) String() string {
	switch e {
	case SigDER:
		return "DER"
	case SigRaw64:
		return "raw-r||s-64"
	default:
		return "unknown"
	}
}

// SM3 returns the SM3 digest of data.
func SM3(data []byte) [32]byte { return sm3.Sum(data) }

// SM3Hex returns the SM3 digest of data as lower-case hex.
func SM3Hex(data []byte) string {
	d := sm3.Sum(data)
	return hex.EncodeToString(d[:])
}

// SM3Reader streams r through SM3.
func SM3Reader(r io.Reader) ([32]byte, int64, error) {
	h := sm3.New()
	n, err := io.Copy(h, r)
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out, n, err
}

var sm2N = sm2.P256().Params().N

// NormalizeSignature returns the DER encoding of an SM2 signature given either as DER or as raw
// 64-byte r‖s, and which encoding it was. r and s must lie in [1, n-1].
func NormalizeSignature(sig []byte) ([]byte, SigEncoding, error) {
	if r, s, ok := parseDERSig(sig); ok {
		if validScalar(r) && validScalar(s) {
			return sig, SigDER, nil
		}
		return nil, SigDER, fmt.Errorf("%w: r or s out of range", ErrMalformedSignature)
	}
	if len(sig) == 64 {
		r := new(big.Int).SetBytes(sig[:32])
		s := new(big.Int).SetBytes(sig[32:])
		if !validScalar(r) || !validScalar(s) {
			return nil, SigRaw64, fmt.Errorf("%w: r or s out of range", ErrMalformedSignature)
		}
		der, err := derSig(r, s)
		return der, SigRaw64, err
	}
	return nil, SigUnknown, fmt.Errorf("%w: %d bytes, neither DER SEQUENCE{r,s} nor raw 64-byte r||s", ErrMalformedSignature, len(sig))
}

func validScalar(v *big.Int) bool { return v.Sign() > 0 && v.Cmp(sm2N) < 0 }

func parseDERSig(sig []byte) (r, s *big.Int, ok bool) {
	in := cryptobyte.String(sig)
	var inner cryptobyte.String
	r, s = new(big.Int), new(big.Int)
	if !in.ReadASN1(&inner, cbasn1.SEQUENCE) || !in.Empty() ||
		!inner.ReadASN1Integer(r) || !inner.ReadASN1Integer(s) || !inner.Empty() {
		return nil, nil, false
	}
	return r, s, true
}

func derSig(r, s *big.Int) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(c *cryptobyte.Builder) {
		c.AddASN1BigInt(r)
		c.AddASN1BigInt(s)
	})
	return b.Bytes()
}

// RawSignature converts a DER SM2 signature to raw 64-byte r‖s (used by tests and by encoders that
// must reproduce the Shandong form).
func RawSignature(der []byte) ([]byte, error) {
	r, s, ok := parseDERSig(der)
	if !ok || !validScalar(r) || !validScalar(s) {
		return nil, ErrMalformedSignature
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out, nil
}

// Verify checks an SM2-with-SM3 signature (default user ID) over msg. sig may be DER or raw r‖s. It
// returns the encoding seen; the error is ErrBadSignature or ErrMalformedSignature (wrapped).
func Verify(pub *ecdsa.PublicKey, msg, sig []byte) (SigEncoding, error) {
	if pub == nil || !sm2.IsSM2PublicKey(pub) {
		return SigUnknown, ErrNotSM2Key
	}
	der, enc, err := NormalizeSignature(sig)
	if err != nil {
		return enc, err
	}
	if !sm2.VerifyASN1WithSM2(pub, []byte(DefaultUID), msg, der) {
		return enc, ErrBadSignature
	}
	return enc, nil
}

// Sign makes an SM2-with-SM3 signature (default user ID, DER) over msg.
func Sign(priv *sm2.PrivateKey, msg []byte) ([]byte, error) {
	return priv.Sign(rand.Reader, msg, sm2.NewSM2SignerOption(true, []byte(DefaultUID)))
}

// GenerateKey makes a new SM2 key pair.
func GenerateKey() (*sm2.PrivateKey, error) { return sm2.GenerateKey(rand.Reader) }

// PublicKeyFromBytes parses an uncompressed SM2 point (0x04‖X‖Y).
func PublicKeyFromBytes(b []byte) (*ecdsa.PublicKey, error) {
	// sm2.NewPublicKey (and ParseUncompressedPublicKey) also take the compressed form, but then return
	// a key with Y = 0 that verifies nothing. Only the uncompressed form is read, as smx509 does.
	if len(b) != 65 || b[0] != 4 {
		return nil, fmt.Errorf("%w: %d-byte point, want an uncompressed 65-byte 0x04||X||Y", ErrNotSM2Key, len(b))
	}
	pub, err := sm2.NewPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotSM2Key, err)
	}
	return pub, nil
}

// SelfTest runs gmsm's own SM2 and SM3 known-answer tests plus the gmsm issue #560 vector (a valid
// signature that v0.30–v0.44.0 rejected on CPUs with ADX+BMI2). A process must refuse to verify
// anything when it fails.
func SelfTest() error {
	if err := sm3.SelfTest(); err != nil {
		return fmt.Errorf("smcrypto: SM3 self-test: %w", err)
	}
	if err := sm2.SelfTest(); err != nil {
		return fmt.Errorf("smcrypto: SM2 self-test: %w", err)
	}
	pub, err := sm2.NewPublicKey(issue560Pub)
	if err != nil {
		return fmt.Errorf("smcrypto: self-test key: %w", err)
	}
	if !sm2.VerifyASN1(pub, make([]byte, 32), issue560Sig) {
		return errors.New("smcrypto: SM2 self-test failed: a known-valid signature (gmsm #560 vector) does not verify; the SM2 assembly on this CPU is wrong")
	}
	bad := bytes.Clone(issue560Sig)
	bad[len(bad)-1] ^= 1
	if sm2.VerifyASN1(pub, make([]byte, 32), bad) {
		return errors.New("smcrypto: SM2 self-test failed: a corrupted signature verifies")
	}
	return nil
}

var (
	issue560Pub = mustHex("04ef4de57af00ae424c00c4caadff7193f804a19dd73a7e2954db9d0d15ab4cbba67728c3f4572878b7a674735da9fde1682fe2d9e0799c4a5cde57e3d473039a2")
	issue560Sig = mustHex("3046022100BE0EA64E1EC06F0D247093F3CCBBADCFB6260224272F86DDB78326E7CD6C7560022100E9F6AB2FCC48A2CEF94838E66B5C7E21FD8E4DE25990DD98CA5243F4966F2853")
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
