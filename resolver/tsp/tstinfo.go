package tsp

import (
	"encoding/asn1"
	"math"
	"time"

	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// TSTInfo ::= SEQUENCE {
//   version INTEGER { v1(1) }, policy TSAPolicyId, messageImprint MessageImprint,
//   serialNumber INTEGER, genTime GeneralizedTime, accuracy Accuracy OPTIONAL,
//   ordering BOOLEAN DEFAULT FALSE, nonce INTEGER OPTIONAL, tsa [0] GeneralName OPTIONAL,
//   extensions [1] IMPLICIT Extensions OPTIONAL }
// RFC 3161 §2.4.2; GB/T 20520 keeps the same structure.

// maxAccuracySeconds bounds Accuracy.seconds so that the Duration cannot overflow. A TSA that
// claims to be a day off is useless anyway, but the value is reported, not judged, here.
const maxAccuracySeconds = math.MaxInt32

// parseTSTInfo reads the eContent into t's TSTInfo fields.
func (t *Token) parseTSTInfo(der []byte) error {
	const f = "TSTInfo"
	var top asn1.RawValue
	rest, err := asn1.Unmarshal(der, &top)
	if err != nil {
		return malformed(f, "%v", err)
	}
	if len(rest) > 0 {
		return malformed(f, "%d bytes after the TSTInfo", len(rest))
	}
	el, err := sequence(f, top, 5, 10)
	if err != nil {
		return err
	}
	if v, err := readSmallInt(f+".version", el[0], math.MinInt64, math.MaxInt64); err != nil {
		return err
	} else if v != 1 {
		return unsupported(f+".version", "version %d; only v1 is defined", v)
	}
	if t.Policy, err = readOID(f+".policy", el[1]); err != nil {
		return err
	}
	if err := t.parseImprint(el[2]); err != nil {
		return err
	}
	if t.Serial, err = readInt(f+".serialNumber", el[3]); err != nil {
		return err
	}
	if !is(el[4], classUniversal, asn1.TagGeneralizedTime, false) {
		return malformed(f+".genTime", "not a GeneralizedTime")
	}
	// encoding/asn1 refuses fractional seconds, which TSAs routinely write; smcrypto's reader takes
	// them (and a ±hhmm offset, which RFC 3161 forbids but which still names one instant).
	if t.GenTime, err = smcrypto.ParseGeneralizedTime(string(el[4].Bytes)); err != nil {
		return malformed(f+".genTime", "%v", err)
	}
	if s := string(el[4].Bytes); s[len(s)-1] != 'Z' {
		t.Quirks = append(t.Quirks, "TSTInfo.genTime is not in UTC (Z)")
	}
	return t.parseTSTOptional(el[5:])
}

func (t *Token) parseImprint(v asn1.RawValue) error {
	const f = "TSTInfo.messageImprint"
	el, err := sequence(f, v, 2, 2)
	if err != nil {
		return err
	}
	if t.HashAlg, err = readAlgorithm(f+".hashAlgorithm", el[0]); err != nil {
		return err
	}
	if t.Imprint, err = readOctets(f+".hashedMessage", el[1]); err != nil {
		return err
	}
	h := imprintHash(t.HashAlg)
	if h == nil {
		return unsupported(f+".hashAlgorithm", "%s; SM3 or SHA-256 expected", t.HashAlg)
	}
	if n := h().Size(); len(t.Imprint) != n {
		return malformed(f+".hashedMessage", "%d bytes, the hash gives %d", len(t.Imprint), n)
	}
	return nil
}

// parseTSTOptional reads accuracy, ordering, nonce, tsa and extensions, each at most once and in
// that order.
func (t *Token) parseTSTOptional(el []asn1.RawValue) error {
	const f = "TSTInfo"
	next := 0 // index of the first optional field still allowed
	for _, v := range el {
		var pos int
		var err error
		switch {
		case is(v, classUniversal, asn1.TagSequence, true):
			pos, err = 1, t.parseAccuracy(v)
		case is(v, classUniversal, asn1.TagBoolean, false):
			pos = 2
			t.Ordering, err = readBool(f+".ordering", v)
		case is(v, classUniversal, asn1.TagInteger, false):
			pos = 3
			t.Nonce, err = readInt(f+".nonce", v)
		case is(v, classContext, 0, true):
			pos = 4
			t.TSAName = v.Bytes
		case is(v, classContext, 1, true):
			pos, err = 5, t.parseTSTExtensions(v)
		default:
			return malformed(f, "unexpected element (class %d, tag %d)", v.Class, v.Tag)
		}
		if pos <= next {
			return malformed(f, "optional fields repeated or out of order")
		}
		if err != nil {
			return err
		}
		next = pos
	}
	return nil
}

// parseAccuracy: Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL,
// millis [0] IMPLICIT INTEGER (1..999) OPTIONAL, micros [1] IMPLICIT INTEGER (1..999) OPTIONAL }.
// Zero millis or micros are read as zero rather than refused: they say nothing false.
func (t *Token) parseAccuracy(v asn1.RawValue) error {
	const f = "TSTInfo.accuracy"
	el, err := sequence(f, v, 0, 3)
	if err != nil {
		return err
	}
	next := 0
	for _, e := range el {
		var pos int
		var n int64
		switch {
		case is(e, classUniversal, asn1.TagInteger, false):
			pos = 1
			n, err = readSmallInt(f+".seconds", e, 0, maxAccuracySeconds)
			t.Accuracy += time.Duration(n) * time.Second
		case e.Class == classContext && e.Tag == 0:
			pos = 2
			n, err = implicitSmallInt(f+".millis", e, 0, 999)
			t.Accuracy += time.Duration(n) * time.Millisecond
		case e.Class == classContext && e.Tag == 1:
			pos = 3
			n, err = implicitSmallInt(f+".micros", e, 0, 999)
			t.Accuracy += time.Duration(n) * time.Microsecond
		default:
			return malformed(f, "unexpected element (class %d, tag %d)", e.Class, e.Tag)
		}
		if err != nil {
			return err
		}
		if pos <= next {
			return malformed(f, "fields repeated or out of order")
		}
		next = pos
	}
	return nil
}

// parseTSTExtensions refuses critical extensions: RFC 3161 defines none, so a critical one changes
// the meaning of the token in a way this package cannot know.
func (t *Token) parseTSTExtensions(v asn1.RawValue) error {
	const f = "TSTInfo.extensions"
	exts, err := elements(f, v, maxExtensions)
	if err != nil {
		return err
	}
	for _, e := range exts {
		id, critical, _, err := readExtension(f, e)
		if err != nil {
			return err
		}
		if critical {
			return unsupported(f, "critical extension %s", id)
		}
		t.Quirks = append(t.Quirks, "TSTInfo carries extension "+id.String())
	}
	return nil
}

// readExtension reads Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE,
// extnValue OCTET STRING }, as in certificates.
func readExtension(field string, v asn1.RawValue) (id asn1.ObjectIdentifier, critical bool, value []byte, err error) {
	el, err := sequence(field, v, 2, 3)
	if err != nil {
		return nil, false, nil, err
	}
	if id, err = readOID(field+".extnID", el[0]); err != nil {
		return nil, false, nil, err
	}
	if len(el) == 3 {
		if critical, err = readBool(field+".critical", el[1]); err != nil {
			return nil, false, nil, err
		}
	}
	value, err = readOctets(field+".extnValue", el[len(el)-1])
	return id, critical, value, err
}
