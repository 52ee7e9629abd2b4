package ses

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"

	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// MakerCertificate parses the seal's maker certificate (制章者证书), strictly or leniently.
func (s *Seal) MakerCertificate() (*smcrypto.Certificate, error) {
	if len(s.MakerCert) == 0 {
		return nil, ErrNoMakerCert
	}
	return smcrypto.ParseCertificate(s.MakerCert)
}

// VerifySignature checks the maker's signature over exactly the bytes this layout signs. The error is
// ErrNoMakerCert, ErrAlgorithm or a smcrypto signature error.
func (s *Seal) VerifySignature(maker *smcrypto.Certificate) (smcrypto.SigEncoding, error) {
	if s.SignedBytes == nil {
		return smcrypto.SigUnknown, ErrNoMakerCert
	}
	if !s.SignAlgID.Equal(smcrypto.OIDSM2WithSM3) {
		return smcrypto.SigUnknown, fmt.Errorf("%w: %s", ErrAlgorithm, s.SignAlgID)
	}
	return maker.VerifySignature(s.SignedBytes, s.SignedValue)
}

// SignerCertificate parses the signer's certificate (签章者证书), strictly or leniently.
func (s *Signature) SignerCertificate() (*smcrypto.Certificate, error) {
	return smcrypto.ParseCertificate(s.SignerCert)
}

// VerifySignature checks the signer's signature over the raw TBS_Sign.
func (s *Signature) VerifySignature(signer *smcrypto.Certificate) (smcrypto.SigEncoding, error) {
	if !s.SignatureAlgID.Equal(smcrypto.OIDSM2WithSM3) {
		return smcrypto.SigUnknown, fmt.Errorf("%w: %s", ErrAlgorithm, s.SignatureAlgID)
	}
	return signer.VerifySignature(s.RawTBSSign, s.SignatureValue)
}

// SignerInSeal checks that the signer's certificate is one the seal lists ("验证签章者证书与电子印章的
// 匹配性"): byte for byte for certListType 1, by digest for certListType 2.
func (s *Signature) SignerInSeal() (bool, error) {
	switch s.Seal.CertListType {
	case CertListCerts:
		for _, c := range s.Seal.CertList {
			if bytes.Equal(c, s.SignerCert) {
				return true, nil
			}
		}
		return false, nil
	case CertListDigests:
		for _, d := range s.Seal.CertDigests {
			sum, err := certDigest(d.Type, s.SignerCert)
			if err != nil {
				return false, err
			}
			if subtle.ConstantTimeCompare(sum, d.Value) == 1 {
				return true, nil
			}
		}
		return false, nil
	}
	return false, fmt.Errorf("%w: certListType %d", ErrUnsupportedCertList, s.Seal.CertListType)
}

// certDigest computes a CertDigestObj digest. The standard leaves the type free ("自定义类型"); the
// names accepted here are the algorithm names and OIDs vendors could reasonably write.
func certDigest(typ string, cert []byte) ([]byte, error) {
	switch strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(typ), "-", "")) {
	case "SM3", "1.2.156.10197.1.401":
		d := smcrypto.SM3(cert)
		return d[:], nil
	case "SHA256", "2.16.840.1.101.3.4.2.1":
		d := sha256.Sum256(cert)
		return d[:], nil
	case "SHA1", "1.3.14.3.2.26":
		d := sha1.Sum(cert)
		return d[:], nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnsupportedCertList, typ)
}

// DataHashMatches reports whether dataHash is the SM3 of data (for OFD: of the exact bytes of the
// Signature.xml that propertyInfo names).
func (s *Signature) DataHashMatches(data []byte) bool {
	d := smcrypto.SM3(data)
	return subtle.ConstantTimeCompare(d[:], s.DataHash) == 1
}

// DataHashMatchesDigest compares dataHash with an SM3 digest computed elsewhere.
func (s *Signature) DataHashMatchesDigest(sm3 []byte) bool {
	return len(sm3) == 32 && subtle.ConstantTimeCompare(sm3, s.DataHash) == 1
}
