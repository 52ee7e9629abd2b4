package smcrypto

import (
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// ErrKeyEncoding reports a key that is neither PEM nor a base64 uncompressed point.
var ErrKeyEncoding = errors.New("smcrypto: unreadable key")

// PublicKeyBytes is the uncompressed point 0x04‖X‖Y of an SM2 public key (65 bytes).
func PublicKeyBytes(pub *ecdsa.PublicKey) []byte {
	b := make([]byte, 65)
	b[0] = 4
	pub.X.FillBytes(b[1:33])
	pub.Y.FillBytes(b[33:])
	return b
}

// KeyID names a public key: the first 16 hex digits of the SM3 of its uncompressed point. Registries
// send it with every push so the hub knows which of their keys signed.
func KeyID(pub *ecdsa.PublicKey) string { return SM3Hex(PublicKeyBytes(pub))[:16] }

// ParsePublicKey reads an SM2 public key given as PEM ("PUBLIC KEY", SubjectPublicKeyInfo) or as the
// base64 of its uncompressed point.
func ParsePublicKey(s string) (*ecdsa.PublicKey, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		block, rest := pem.Decode([]byte(s))
		if block == nil || block.Type != "PUBLIC KEY" || strings.TrimSpace(string(rest)) != "" {
			return nil, fmt.Errorf("%w: want one PEM block of type PUBLIC KEY", ErrKeyEncoding)
		}
		k, err := smx509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrKeyEncoding, err)
		}
		pub, ok := k.(*ecdsa.PublicKey)
		if !ok || !sm2.IsSM2PublicKey(pub) {
			return nil, ErrNotSM2Key
		}
		// Round-trip through the point so the compressed-point trap of PublicKeyFromBytes applies.
		return PublicKeyFromBytes(PublicKeyBytes(pub))
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: neither PEM nor base64", ErrKeyEncoding)
	}
	return PublicKeyFromBytes(raw)
}

// MarshalPublicKeyPEM writes pub as a "PUBLIC KEY" PEM block.
func MarshalPublicKeyPEM(pub *ecdsa.PublicKey) ([]byte, error) {
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePrivateKeyPEM reads an SM2 private key from PEM: PKCS#8 ("PRIVATE KEY") or SEC 1
// ("EC PRIVATE KEY"). Encrypted keys are not read.
func ParsePrivateKeyPEM(data []byte) (*sm2.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrKeyEncoding)
	}
	switch block.Type {
	case "PRIVATE KEY":
		k, err := smx509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrKeyEncoding, err)
		}
		priv, ok := k.(*sm2.PrivateKey)
		if !ok {
			return nil, ErrNotSM2Key
		}
		return priv, nil
	case "EC PRIVATE KEY":
		priv, err := smx509.ParseSM2PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrKeyEncoding, err)
		}
		return priv, nil
	}
	return nil, fmt.Errorf("%w: PEM block %q, want PRIVATE KEY", ErrKeyEncoding, block.Type)
}

// MarshalPrivateKeyPEM writes priv as a PKCS#8 "PRIVATE KEY" PEM block.
func MarshalPrivateKeyPEM(priv *sm2.PrivateKey) ([]byte, error) {
	der, err := smx509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
