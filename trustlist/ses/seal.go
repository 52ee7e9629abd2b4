package ses

import (
	"fmt"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// ParseSeal decodes an SES_Seal in the V1, V4 or V5 layout.
func ParseSeal(der []byte) (*Seal, error) {
	whole, el, err := sequence("SESeal", der)
	if err != nil {
		return nil, err
	}
	if len(el) > 0 && tagOf(el[0]) == cbasn1.OBJECT_IDENTIFIER {
		return nil, notSES(el[0])
	}
	s := &Seal{Raw: whole}
	switch len(el) {
	case 2:
		s.Version = V1
		err = s.parseV1(el)
	case 4, 5:
		s.Version = V4
		err = s.parseV4(el)
	default:
		return nil, malformed("SESeal", "%d elements; V1 has 2, V4 4, V5 4 or 5", len(el))
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Seal) parseV4(el []cryptobyte.String) error {
	if err := s.parseSealInfo(el[0]); err != nil {
		return err
	}
	var err error
	if s.MakerCert, err = readOctets("SESeal.cert", el[1]); err != nil {
		return err
	}
	if s.SignAlgID, err = readOID("SESeal.signAlgID", el[2]); err != nil {
		return err
	}
	if s.SignedValue, err = readBits("SESeal.signedValue", el[3]); err != nil {
		return err
	}
	s.SignedBytes = s.RawSealInfo
	if len(el) == 5 {
		if s.TimeStamp, err = readTaggedBits("SESeal.timeStamp", el[4], &s.Quirks); err != nil {
			return err
		}
	}
	switch {
	case s.Header.Version == 5 || len(el) == 5:
		s.Version = V5
		if s.Header.Version != 5 {
			s.Quirks = append(s.Quirks, fmt.Sprintf("V5 layout (timeStamp present) with header version %d", s.Header.Version))
		}
	case s.Header.Version != 4:
		s.Quirks = append(s.Quirks, fmt.Sprintf("V4 layout with header version %d", s.Header.Version))
	}
	return nil
}

func (s *Seal) parseV1(el []cryptobyte.String) error {
	if err := s.parseSealInfo(el[0]); err != nil {
		return err
	}
	if s.Header.Version != 1 {
		s.Quirks = append(s.Quirks, fmt.Sprintf("V1 layout with header version %d", s.Header.Version))
	}
	// SES_SignInfo ::= SEQUENCE { cert OCTET STRING, signatureAlgorithm OID, signData BIT STRING }.
	// A signInfo that does not parse leaves the seal readable; its signature check then fails.
	_, si, err := sequence("SES_SignInfo", el[1])
	if err != nil || len(si) != 3 {
		s.Quirks = append(s.Quirks, "SES_SignInfo does not parse; the maker signature cannot be checked")
		return nil
	}
	cert, err1 := readOctets("SES_SignInfo.cert", si[0])
	alg, err2 := readOID("SES_SignInfo.signatureAlgorithm", si[1])
	sig, err3 := readBits("SES_SignInfo.signData", si[2])
	if err1 != nil || err2 != nil || err3 != nil {
		s.Quirks = append(s.Quirks, "SES_SignInfo fields do not parse; the maker signature cannot be checked")
		return nil
	}
	s.MakerCert, s.SignAlgID, s.SignedValue = cert, alg, sig
	// The V1 maker signs SEQUENCE{ sealInfo, cert, signatureAlgorithm }, built from the raw elements.
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(c *cryptobyte.Builder) {
		c.AddBytes(el[0])
		c.AddBytes(si[0])
		c.AddBytes(si[1])
	})
	s.SignedBytes = b.BytesOrPanic()
	return nil
}

func (s *Seal) parseSealInfo(raw cryptobyte.String) error {
	whole, el, err := sequence("SES_SealInfo", raw)
	if err != nil {
		return err
	}
	s.RawSealInfo = whole
	if len(el) < 4 || len(el) > 5 {
		return malformed("SES_SealInfo", "%d elements, want 4 or 5", len(el))
	}
	if err := s.parseHeader(el[0]); err != nil {
		return err
	}
	if s.ESID, err = readString("SES_SealInfo.esID", el[1]); err != nil {
		return err
	}
	if err := s.parseProperty(el[2]); err != nil {
		return err
	}
	if err := s.parsePicture(el[3]); err != nil {
		return err
	}
	if len(el) == 5 {
		if s.ExtDatas, err = readExtDatas("SES_SealInfo.extDatas", el[4], &s.Quirks); err != nil {
			return err
		}
	}
	return nil
}

func (s *Seal) parseHeader(raw cryptobyte.String) error {
	_, el, err := sequence("SES_Header", raw)
	if err != nil {
		return err
	}
	if len(el) != 3 {
		return malformed("SES_Header", "%d elements, want 3", len(el))
	}
	if s.Header.ID, err = readString("SES_Header.ID", el[0]); err != nil {
		return err
	}
	if s.Header.ID != "ES" {
		s.Quirks = append(s.Quirks, fmt.Sprintf("SES_Header.ID is %q, not \"ES\"", s.Header.ID))
	}
	if s.Header.Version, err = readInt("SES_Header.version", el[1]); err != nil {
		return err
	}
	s.Header.Vid, err = readString("SES_Header.Vid", el[2])
	return err
}

// parseProperty reads SES_ESPropertyInfo in either shape: V4/V5 with certListType (7 elements) or V1
// without it (6 elements). The shape is chosen by the tag of the third element.
func (s *Seal) parseProperty(raw cryptobyte.String) error {
	const f = "SES_ESPropertyInfo"
	_, el, err := sequence(f, raw)
	if err != nil {
		return err
	}
	if len(el) < 6 {
		return malformed(f, "%d elements, want 6 (V1) or 7 (V4)", len(el))
	}
	if s.Type, err = readInt(f+".type", el[0]); err != nil {
		return err
	}
	if s.Name, err = readString(f+".name", el[1]); err != nil {
		return err
	}
	rest := el[2:]
	if tagOf(el[2]) == cbasn1.INTEGER {
		if len(el) != 7 {
			return malformed(f, "%d elements with certListType, want 7", len(el))
		}
		if s.CertListType, err = readInt(f+".certListType", el[2]); err != nil {
			return err
		}
		if s.Version == V1 {
			s.Quirks = append(s.Quirks, "V1 seal with a V4-style certListType")
		}
		rest = el[3:]
	} else {
		if len(el) != 6 {
			return malformed(f, "%d elements without certListType, want 6", len(el))
		}
		s.CertListType = CertListCerts
		if s.Version != V1 {
			s.Quirks = append(s.Quirks, "V4 seal without certListType (V1-style property)")
		}
	}
	if err := s.parseCertList(rest[0]); err != nil {
		return err
	}
	names := [3]string{"createDate", "validStart", "validEnd"}
	dst := [3]*time.Time{&s.CreateDate, &s.ValidStart, &s.ValidEnd}
	var tags [3]string
	for i := range names {
		if *dst[i], tags[i], err = readTime(f+"."+names[i], rest[1+i]); err != nil {
			return err
		}
	}
	s.TimeTag = tags[0]
	want := "GeneralizedTime"
	if s.Version == V1 {
		want = "UTCTime"
	}
	if tags[0] != want || tags[1] != want || tags[2] != want {
		s.Quirks = append(s.Quirks, fmt.Sprintf("%s layout with %s/%s/%s times", s.Version, tags[0], tags[1], tags[2]))
	}
	return nil
}

func (s *Seal) parseCertList(raw cryptobyte.String) error {
	const f = "SES_ESPropertyInfo.certList"
	if tagOf(raw) != cbasn1.SEQUENCE {
		return malformed(f, "not a SEQUENCE")
	}
	items, ok := elements(contentsOf(raw))
	if !ok {
		return malformed(f, "bad element encoding")
	}
	switch s.CertListType {
	case CertListCerts:
		ignored := 0
		for _, it := range items {
			if tagOf(it) != cbasn1.OCTET_STRING {
				ignored++
				continue
			}
			s.CertList = append(s.CertList, contentsOf(it))
		}
		if ignored > 0 { // one quirk, however many entries: hostile input must not multiply memory
			s.Quirks = append(s.Quirks, fmt.Sprintf("%d certList entries are not OCTET STRINGs; ignored", ignored))
		}
	case CertListDigests:
		for i, it := range items {
			_, d, err := sequence(fmt.Sprintf("%s[%d]", f, i), it)
			if err != nil {
				return err
			}
			if len(d) != 2 {
				return malformed(f, "CertDigestObj %d has %d elements, want 2", i, len(d))
			}
			typ, err := readString(f+".type", d[0])
			if err != nil {
				return err
			}
			val, err := readOctets(f+".value", d[1])
			if err != nil {
				return err
			}
			s.CertDigests = append(s.CertDigests, CertDigest{Type: typ, Value: val})
		}
	default:
		return malformed("SES_ESPropertyInfo.certListType", "%d, want 1 or 2", s.CertListType)
	}
	return nil
}

func (s *Seal) parsePicture(raw cryptobyte.String) error {
	const f = "SES_ESPictrueInfo"
	_, el, err := sequence(f, raw)
	if err != nil {
		return err
	}
	if len(el) != 4 {
		return malformed(f, "%d elements, want 4", len(el))
	}
	if s.Picture.Type, err = readString(f+".type", el[0]); err != nil {
		return err
	}
	if s.Picture.Data, err = readOctets(f+".data", el[1]); err != nil {
		return err
	}
	if s.Picture.Width, err = readInt(f+".width", el[2]); err != nil {
		return err
	}
	s.Picture.Height, err = readInt(f+".height", el[3])
	return err
}

// readTaggedBits reads an optional timeStamp: [0] EXPLICIT BIT STRING (as ofdrw writes it),
// [0] IMPLICIT BIT STRING, or an untagged BIT STRING.
func readTaggedBits(field string, el cryptobyte.String, quirks *[]string) ([]byte, error) {
	switch tagOf(el) {
	case cbasn1.Tag(0).Constructed().ContextSpecific():
		return readBits(field, contentsOf(el))
	case cbasn1.Tag(0).ContextSpecific():
		*quirks = append(*quirks, field+" is [0] IMPLICIT")
		c := contentsOf(el)
		if len(c) == 0 || c[0] != 0 {
			return nil, malformed(field, "bad implicit BIT STRING")
		}
		return c[1:], nil
	case cbasn1.BIT_STRING:
		*quirks = append(*quirks, field+" is untagged")
		return readBits(field, el)
	}
	return nil, malformed(field, "unexpected tag %d", tagOf(el))
}

func notSES(oidEl cryptobyte.String) error {
	oid, _ := readOID("ContentInfo.contentType", oidEl)
	return fmt.Errorf("%w: contentType %s", ErrNotSES, oid)
}
