package ses

import (
	"encoding/asn1"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sealhub/sealhub/trustlist/smcrypto"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Universal tags not named by cryptobyte/asn1.
const (
	tagUTF8String      = cbasn1.UTF8String
	tagIA5String       = cbasn1.IA5String
	tagPrintableString = cbasn1.PrintableString
	tagBMPString       = cbasn1.Tag(30)
	tagVisibleString   = cbasn1.Tag(26)
	tagT61String       = cbasn1.T61String
)

// elements splits a constructed element's contents into its raw child elements (tag and length kept).
func elements(contents cryptobyte.String) ([]cryptobyte.String, bool) {
	var out []cryptobyte.String
	for !contents.Empty() {
		var el cryptobyte.String
		var tag cbasn1.Tag
		if !contents.ReadAnyASN1Element(&el, &tag) {
			return nil, false
		}
		out = append(out, el)
	}
	return out, true
}

// sequence reads one SEQUENCE element and returns it whole and its children.
func sequence(field string, data []byte) (cryptobyte.String, []cryptobyte.String, error) {
	in := cryptobyte.String(data)
	var whole cryptobyte.String
	if !in.ReadASN1Element(&whole, cbasn1.SEQUENCE) {
		return nil, nil, malformed(field, "not a SEQUENCE")
	}
	if !in.Empty() {
		return nil, nil, malformed(field, "%d bytes of trailing data", len(in))
	}
	body := whole
	var contents cryptobyte.String
	body.ReadASN1(&contents, cbasn1.SEQUENCE)
	children, ok := elements(contents)
	if !ok {
		return nil, nil, malformed(field, "bad element encoding inside the SEQUENCE")
	}
	return whole, children, nil
}

func tagOf(el cryptobyte.String) cbasn1.Tag {
	if len(el) == 0 {
		return 0
	}
	return cbasn1.Tag(el[0])
}

// contents returns an element's contents, whatever its tag.
func contentsOf(el cryptobyte.String) cryptobyte.String {
	var c cryptobyte.String
	var tag cbasn1.Tag
	el.ReadAnyASN1(&c, &tag)
	return c
}

func readInt(field string, el cryptobyte.String) (int, error) {
	var v int64
	if tagOf(el) != cbasn1.INTEGER || !el.ReadASN1Integer(&v) {
		return 0, malformed(field, "not an INTEGER")
	}
	if v < -1<<31 || v > 1<<31-1 {
		return 0, malformed(field, "INTEGER out of range")
	}
	return int(v), nil
}

// readString reads any of the character string types. The standards name IA5String or UTF8String;
// vendors use others, and put UTF-8 into IA5String.
func readString(field string, el cryptobyte.String) (string, error) {
	switch tagOf(el) {
	case tagUTF8String, tagIA5String, tagPrintableString, tagVisibleString, tagT61String:
		c := contentsOf(el)
		if !utf8.Valid(c) {
			return strings.ToValidUTF8(string(c), "\uFFFD"), nil
		}
		return string(c), nil
	case tagBMPString:
		c := contentsOf(el)
		if len(c)%2 != 0 {
			return "", malformed(field, "odd-length BMPString")
		}
		return smcrypto.DecodeASN1String(tagBMPString, c), nil
	}
	return "", malformed(field, "not a character string (tag %d)", tagOf(el))
}

func readOctets(field string, el cryptobyte.String) ([]byte, error) {
	if tagOf(el) != cbasn1.OCTET_STRING {
		return nil, malformed(field, "not an OCTET STRING")
	}
	return contentsOf(el), nil
}

// readBits reads a BIT STRING's whole bytes; unused bits are refused (every BIT STRING in SES holds
// octets).
func readBits(field string, el cryptobyte.String) ([]byte, error) {
	var bs asn1.BitString
	if tagOf(el) != cbasn1.BIT_STRING || !el.ReadASN1BitString(&bs) {
		return nil, malformed(field, "not a BIT STRING")
	}
	if bs.BitLength%8 != 0 {
		return nil, malformed(field, "BIT STRING with %d unused bits", 8-bs.BitLength%8)
	}
	return bs.Bytes, nil
}

// readBitsOrOctets is for fields that vendors encode either way (V1 dataHash and timeInfo).
func readBitsOrOctets(field string, el cryptobyte.String, quirks *[]string) ([]byte, error) {
	if tagOf(el) == cbasn1.OCTET_STRING {
		*quirks = append(*quirks, field+" is an OCTET STRING, not a BIT STRING")
		return contentsOf(el), nil
	}
	return readBits(field, el)
}

func readOID(field string, el cryptobyte.String) (asn1.ObjectIdentifier, error) {
	var oid asn1.ObjectIdentifier
	if !el.ReadASN1ObjectIdentifier(&oid) {
		return nil, malformed(field, "not an OBJECT IDENTIFIER")
	}
	return oid, nil
}

// readTime reads a UTCTime or a GeneralizedTime, whichever the element is, and says which.
func readTime(field string, el cryptobyte.String) (time.Time, string, error) {
	switch tagOf(el) {
	case cbasn1.UTCTime:
		t, err := smcrypto.ParseUTCTime(string(contentsOf(el)))
		if err != nil {
			return time.Time{}, "", malformed(field, "%v", err)
		}
		return t, "UTCTime", nil
	case cbasn1.GeneralizedTime:
		t, err := smcrypto.ParseGeneralizedTime(string(contentsOf(el)))
		if err != nil {
			return time.Time{}, "", malformed(field, "%v", err)
		}
		return t, "GeneralizedTime", nil
	}
	return time.Time{}, "", malformed(field, "not a UTCTime or GeneralizedTime")
}

// cst is China Standard Time, used only for time texts that carry no zone (see parseTimeText).
var cst = time.FixedZone("CST", 8*3600)

// parseTimeText reads the time texts vendors write into V1 timeInfo: RFC 3339, ASN.1 Generalized or
// UTC time, or "2006-01-02 15:04:05". A text without a zone is read as China Standard Time and the
// quirk recorded.
func parseTimeText(s string, quirks *[]string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	if t, err := smcrypto.ParseGeneralizedTime(s); err == nil {
		return t, true
	}
	if t, err := smcrypto.ParseUTCTime(s); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "20060102150405", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.ParseInLocation(layout, s, cst); err == nil {
			*quirks = append(*quirks, "timeInfo has no time zone; read as China Standard Time (UTC+8)")
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// readExtDatas reads ExtensionDatas (SEQUENCE OF ExtData). critical is BOOLEAN DEFAULT FALSE; real
// files encode FALSE explicitly, which is accepted and noted.
func readExtDatas(field string, el cryptobyte.String, quirks *[]string) ([]ExtData, error) {
	var seq cryptobyte.String
	if !el.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return nil, malformed(field, "not a SEQUENCE")
	}
	var out []ExtData
	explicitFalse := false
	for !seq.Empty() {
		var ext cryptobyte.String
		if !seq.ReadASN1(&ext, cbasn1.SEQUENCE) {
			return nil, malformed(field, "ExtData is not a SEQUENCE")
		}
		var d ExtData
		if !ext.ReadASN1ObjectIdentifier(&d.ID) {
			return nil, malformed(field, "ExtData.extnID is not an OBJECT IDENTIFIER")
		}
		if ext.PeekASN1Tag(cbasn1.BOOLEAN) {
			var b cryptobyte.String
			if !ext.ReadASN1(&b, cbasn1.BOOLEAN) || len(b) != 1 {
				return nil, malformed(field, "ExtData.critical is not a BOOLEAN")
			}
			d.Critical = b[0] != 0
			if !d.Critical && !explicitFalse {
				explicitFalse = true
				*quirks = append(*quirks, field+": BOOLEAN FALSE encoded explicitly under DEFAULT FALSE")
			}
		}
		var v cryptobyte.String
		if !ext.ReadASN1(&v, cbasn1.OCTET_STRING) {
			return nil, malformed(field, "ExtData.extnValue is not an OCTET STRING")
		}
		if !ext.Empty() {
			return nil, malformed(field, "data after ExtData.extnValue")
		}
		d.Value = v
		out = append(out, d)
	}
	return out, nil
}
