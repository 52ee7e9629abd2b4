package ses

import (
	"fmt"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// ParseSignature decodes an SES_Signature in the V1, V4 or V5 layout, with the seal it embeds.
func ParseSignature(der []byte) (*Signature, error) {
	whole, el, err := sequence("SES_Signature", der)
	if err != nil {
		return nil, err
	}
	if len(el) > 0 && tagOf(el[0]) == cbasn1.OBJECT_IDENTIFIER {
		return nil, notSES(el[0])
	}
	s := &Signature{Raw: whole}
	switch len(el) {
	case 2:
		s.Version = V1
		err = s.parseV1(el)
	case 4, 5:
		s.Version = V4
		err = s.parseV4(el)
	default:
		return nil, malformed("SES_Signature", "%d elements; V1 has 2, V4/V5 4 or 5", len(el))
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Signature) parseV4(el []cryptobyte.String) error {
	var err error
	if err = s.parseTBS(el[0], false); err != nil {
		return err
	}
	if s.SignerCert, err = readOctets("SES_Signature.cert", el[1]); err != nil {
		return err
	}
	if s.SignatureAlgID, err = readOID("SES_Signature.signatureAlgID", el[2]); err != nil {
		return err
	}
	if s.SignatureValue, err = readBits("SES_Signature.signature", el[3]); err != nil {
		return err
	}
	if len(el) == 5 {
		if s.TimeStamp, err = readTaggedBits("SES_Signature.timeStamp", el[4], &s.Quirks); err != nil {
			return err
		}
	}
	if s.TBSVersion == 5 || s.Seal.Version == V5 {
		s.Version = V5
	}
	if s.Seal.Version == V1 {
		s.Quirks = append(s.Quirks, "V4 signature embeds a V1 seal")
	}
	return nil
}

func (s *Signature) parseV1(el []cryptobyte.String) error {
	var err error
	if err = s.parseTBS(el[0], true); err != nil {
		return err
	}
	s.SignatureValue, err = readBits("SES_Signature.signature", el[1])
	return err
}

// parseTBS reads TBS_Sign. V1: {version, eseal, timeInfo, dataHash, propertyInfo, cert, alg}.
// V4/V5: {version, eseal, timeInfo, dataHash, propertyInfo, [0] extDatas OPTIONAL}.
func (s *Signature) parseTBS(raw cryptobyte.String, v1 bool) error {
	const f = "TBS_Sign"
	whole, el, err := sequence(f, raw)
	if err != nil {
		return err
	}
	s.RawTBSSign = whole
	switch {
	case v1 && len(el) != 7:
		return malformed(f, "%d elements, want 7 (V1)", len(el))
	case !v1 && (len(el) < 5 || len(el) > 6):
		return malformed(f, "%d elements, want 5 or 6 (V4/V5)", len(el))
	}
	if s.TBSVersion, err = readInt(f+".version", el[0]); err != nil {
		return err
	}
	if s.Seal, err = ParseSeal(el[1]); err != nil {
		return fmt.Errorf("TBS_Sign.eseal: %w", err)
	}
	if err := s.parseTimeInfo(el[2], v1); err != nil {
		return err
	}
	if v1 {
		s.DataHash, err = readBitsOrOctets(f+".dataHash", el[3], &s.Quirks)
	} else {
		s.DataHash, err = readBits(f+".dataHash", el[3])
	}
	if err != nil {
		return err
	}
	if s.PropertyInfo, err = readString(f+".propertyInfo", el[4]); err != nil {
		return err
	}
	if v1 {
		if s.SignerCert, err = readOctets(f+".cert", el[5]); err != nil {
			return err
		}
		s.SignatureAlgID, err = readOID(f+".signatureAlgorithm", el[6])
		return err
	}
	if len(el) == 6 {
		s.ExtDatas, err = readTBSExtDatas(el[5], &s.Quirks)
	}
	return err
}

// parseTimeInfo: V4 says GeneralizedTime. V1 says BIT STRING ("时间戳或UTCTime") and real V1 files hold
// an ASCII time text in it; vendors also use OCTET STRING, UTCTime or GeneralizedTime. A timeInfo that
// holds no readable time leaves TimeInfo zero (the verifier then needs an explicit time).
func (s *Signature) parseTimeInfo(el cryptobyte.String, v1 bool) error {
	const f = "TBS_Sign.timeInfo"
	switch tagOf(el) {
	case cbasn1.GeneralizedTime, cbasn1.UTCTime:
		t, tag, err := readTime(f, el)
		if err != nil {
			return err
		}
		if v1 || tag != "GeneralizedTime" {
			s.Quirks = append(s.Quirks, fmt.Sprintf("%s timeInfo is a %s", s.Version, tag))
		}
		s.TimeInfo, s.TimeInfoRaw = t, string(contentsOf(el))
		return nil
	case cbasn1.BIT_STRING, cbasn1.OCTET_STRING:
		if !v1 {
			s.Quirks = append(s.Quirks, "V4 timeInfo is not a GeneralizedTime")
		}
		b, err := readBitsOrOctets(f, el, &s.Quirks)
		if err != nil {
			return err
		}
		s.TimeInfoRaw = string(b)
		if t, ok := parseTimeText(string(b), &s.Quirks); ok {
			s.TimeInfo = t
		} else {
			s.Quirks = append(s.Quirks, "timeInfo holds no readable time (perhaps a timestamp token)")
		}
		return nil
	}
	return malformed(f, "unexpected tag %d", tagOf(el))
}

// readTBSExtDatas accepts [0] EXPLICIT (as real data has it), [0] IMPLICIT and untagged ExtensionDatas.
func readTBSExtDatas(el cryptobyte.String, quirks *[]string) ([]ExtData, error) {
	const f = "TBS_Sign.extDatas"
	switch tagOf(el) {
	case cbasn1.SEQUENCE:
		*quirks = append(*quirks, f+" is untagged")
		return readExtDatas(f, el, quirks)
	case cbasn1.Tag(0).Constructed().ContextSpecific():
		inner := contentsOf(el)
		if tagOf(inner) == cbasn1.SEQUENCE {
			// Explicit: the contents are one SEQUENCE OF ExtData. Implicit: the contents are the
			// ExtData SEQUENCEs themselves; an ExtData starts with an OID, an ExtensionDatas with a
			// SEQUENCE (or is empty).
			first := contentsOf(inner)
			rest := inner
			var one cryptobyte.String
			rest.ReadASN1Element(&one, cbasn1.SEQUENCE)
			if rest.Empty() && (len(first) == 0 || tagOf(first) == cbasn1.SEQUENCE) {
				return readExtDatas(f, inner, quirks)
			}
		}
		*quirks = append(*quirks, f+" is [0] IMPLICIT")
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SEQUENCE, func(c *cryptobyte.Builder) { c.AddBytes(inner) })
		return readExtDatas(f, cryptobyte.String(b.BytesOrPanic()), quirks)
	}
	return nil, malformed(f, "unexpected tag %d", tagOf(el))
}

// ClaimedSigningTime is timeInfo: the time the signer's software claims. It is not a verified time.
func (s *Signature) ClaimedSigningTime() (time.Time, bool) { return s.TimeInfo, !s.TimeInfo.IsZero() }
