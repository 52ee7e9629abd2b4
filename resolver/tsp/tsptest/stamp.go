package tsptest

import (
	"bytes"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"slices"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/sealhub/sealhub/resolver/tsp"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// DER identifier octets used by the writer.
const (
	tagBoolean     = 0x01
	tagInteger     = 0x02
	tagOctetString = 0x04
	tagOID         = 0x06
	tagGenTime     = 0x18
	tagSequence    = 0x30
	tagSet         = 0x31
	tagCtx0        = 0xa0 // [0] constructed
	tagCtx0Prim    = 0x80 // [0] primitive
	tagCtx1Prim    = 0x81 // [1] primitive
)

// Stamp makes a token over message as s describes.
func (a *TSA) Stamp(message []byte, s Spec) ([]byte, error) {
	s = a.defaults(s)
	h := hashOf(s.HashAlg)
	if h == nil {
		return nil, fmt.Errorf("tsptest: no hash for %s", s.HashAlg)
	}
	imprint := s.Imprint
	if imprint == nil {
		d := h()
		d.Write(message)
		imprint = d.Sum(nil)
	}
	tst := tstInfo(s, imprint, s.GenTime)
	signed := tst
	var attrs []byte
	if !s.NoSignedAttrs {
		var err error
		if attrs, err = a.signedAttrs(s, tst); err != nil {
			return nil, err
		}
		signed = attrs
	}
	key := a.Key
	if s.SignWith != nil {
		key = s.SignWith
	}
	sig, err := sign(key, signed, s.Raw64)
	if err != nil {
		return nil, err
	}
	if s.TamperTSTInfo {
		tst = tstInfo(s, imprint, s.GenTime.Add(time.Hour))
	}
	token := a.contentInfo(s, tst, attrs, sig)
	if s.Response {
		token = tlv(tagSequence, tlv(tagSequence, integer(big.NewInt(0))), token)
	}
	if s.BER {
		return ToBER(token)
	}
	return token, nil
}

func (a *TSA) defaults(s Spec) Spec {
	if s.GenTime.IsZero() {
		s.GenTime = a.GenTime
	}
	if s.Policy == nil {
		s.Policy = Policy
	}
	if s.Serial == nil {
		s.Serial = big.NewInt(a.serial.Add(1))
	}
	if s.HashAlg == nil {
		s.HashAlg = tsp.OIDSM3
	}
	if s.ContentType == nil {
		s.ContentType = tsp.OIDSignedData
	}
	if s.SignatureAlg == nil {
		s.SignatureAlg = tsp.OIDSM2WithSM3
	}
	if s.AttrContentType == nil {
		s.AttrContentType = tsp.OIDTSTInfo
	}
	if s.EContentType == nil {
		s.EContentType = tsp.OIDTSTInfo
	}
	return s
}

func hashOf(oid asn1.ObjectIdentifier) func() hash.Hash {
	switch {
	case oid.Equal(tsp.OIDSM3), oid.Equal(tsp.OIDSM3NoKey):
		return sm3.New
	case oid.Equal(tsp.OIDSHA256):
		return sha256.New
	}
	return nil
}

func sign(key *sm2.PrivateKey, msg []byte, raw64 bool) ([]byte, error) {
	sig, err := smcrypto.Sign(key, msg)
	if err != nil || !raw64 {
		return sig, err
	}
	return smcrypto.RawSignature(sig)
}

// tstInfo writes TSTInfo { version 1, policy, messageImprint, serialNumber, genTime, accuracy,
// ordering, nonce }.
func tstInfo(s Spec, imprint []byte, genTime time.Time) []byte {
	var b [][]byte
	b = append(b, integer(big.NewInt(1)), oid(s.Policy),
		tlv(tagSequence, algorithm(s.HashAlg), tlv(tagOctetString, imprint)),
		integer(s.Serial),
		tlv(tagGenTime, []byte(genTime.UTC().Format("20060102150405.999999999Z"))))
	if acc := s.Accuracy; acc > 0 {
		var parts [][]byte
		if sec := int64(acc / time.Second); sec > 0 {
			parts = append(parts, integer(big.NewInt(sec)))
		}
		if ms := int64(acc % time.Second / time.Millisecond); ms > 0 {
			parts = append(parts, implicit(tagCtx0Prim, ms))
		}
		if us := int64(acc % time.Millisecond / time.Microsecond); us > 0 {
			parts = append(parts, implicit(tagCtx1Prim, us))
		}
		b = append(b, tlv(tagSequence, parts...))
	}
	if s.Ordering {
		b = append(b, tlv(tagBoolean, []byte{0xff}))
	}
	if s.Nonce != nil {
		b = append(b, integer(s.Nonce))
	}
	return tlv(tagSequence, b...)
}

// signedAttrs writes the DER SET OF Attribute that is signed.
func (a *TSA) signedAttrs(s Spec, tst []byte) ([]byte, error) {
	var attrs [][]byte
	if !s.OmitContentType {
		attrs = append(attrs, attribute(tsp.OIDAttrContentType, oid(s.AttrContentType)))
	}
	if !s.OmitMessageDigest {
		d := smcrypto.SM3(tst)
		attrs = append(attrs, attribute(tsp.OIDAttrMessageDigest, tlv(tagOctetString, d[:])))
	}
	if !s.NoSigningCert {
		named := a.DER
		if s.WrongSigningCert {
			if len(a.Chain) == 0 {
				return nil, errors.New("tsptest: WrongSigningCert needs a Chain certificate to name")
			}
			named = a.Chain[0]
		}
		d := smcrypto.SM3(named)
		essCertIDv2 := tlv(tagSequence, algorithm(tsp.OIDSM3), tlv(tagOctetString, d[:]))
		attrs = append(attrs, attribute(tsp.OIDAttrSigningCertV2, tlv(tagSequence, tlv(tagSequence, essCertIDv2))))
	}
	// DER orders a SET OF by the encodings of its elements.
	slices.SortFunc(attrs, bytes.Compare)
	return tlv(tagSet, attrs...), nil
}

// contentInfo writes ContentInfo { contentType, [0] SignedData }.
func (a *TSA) contentInfo(s Spec, tst, attrs, sig []byte) []byte {
	version, sid := int64(1), tlv(tagSequence, a.Cert.RawIssuer, integer(a.Cert.SerialNumber))
	if s.SubjectKeyID {
		version, sid = 3, tlv(tagCtx0Prim, a.Cert.SubjectKeyID)
	}
	si := [][]byte{integer(big.NewInt(version)), sid, algorithm(tsp.OIDSM3)}
	if attrs != nil {
		si = append(si, append([]byte{tagCtx0}, attrs[1:]...)) // [0] IMPLICIT SET OF
	}
	si = append(si, algorithm(s.SignatureAlg), tlv(tagOctetString, sig))

	sd := [][]byte{
		integer(big.NewInt(3)), // RFC 5652 §5.1: version 3 when eContentType is not id-data
		tlv(tagSet, algorithm(tsp.OIDSM3)),
		tlv(tagSequence, oid(s.EContentType), tlv(tagCtx0, tlv(tagOctetString, tst))),
	}
	if !s.OmitCerts {
		sd = append(sd, tlv(tagCtx0, append([][]byte{a.DER}, a.Chain...)...))
	}
	sd = append(sd, tlv(tagSet, tlv(tagSequence, si...)))
	return tlv(tagSequence, oid(s.ContentType), tlv(tagCtx0, tlv(tagSequence, sd...)))
}

// implicit writes an [n] IMPLICIT INTEGER: the INTEGER's contents under the context tag.
func implicit(id byte, n int64) []byte {
	der := integer(big.NewInt(n))
	return tlv(id, der[2:]) // small values: one-octet tag and length
}

func attribute(id asn1.ObjectIdentifier, value []byte) []byte {
	return tlv(tagSequence, oid(id), tlv(tagSet, value))
}

func algorithm(id asn1.ObjectIdentifier) []byte { return tlv(tagSequence, oid(id)) }

func oid(id asn1.ObjectIdentifier) []byte {
	b, err := asn1.Marshal(id)
	if err != nil {
		panic(fmt.Sprintf("tsptest: OID %v: %v", id, err)) // only the writer's own OIDs get here
	}
	return b
}

func integer(n *big.Int) []byte {
	b, err := asn1.Marshal(n)
	if err != nil {
		panic(fmt.Sprintf("tsptest: INTEGER %v: %v", n, err))
	}
	return b
}

// tlv writes one DER element with a one-octet identifier and the parts as its contents.
func tlv(id byte, parts ...[]byte) []byte {
	content := bytes.Join(parts, nil)
	out := []byte{id}
	switch n := len(content); {
	case n < 0x80:
		out = append(out, byte(n))
	case n <= 0xff:
		out = append(out, 0x81, byte(n))
	case n <= 0xffff:
		out = append(out, 0x82, byte(n>>8), byte(n))
	default:
		out = append(out, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(out, content...)
}
