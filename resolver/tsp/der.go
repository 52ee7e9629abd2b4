package tsp

import (
	"encoding/asn1"
	"math/big"
)

// The token is read with encoding/asn1 one element at a time (asn1.RawValue), never by unmarshalling
// into tagged structs: the optional, implicitly tagged fields of CMS are easier to get right by
// looking at each tag, and every signed field stays available as the bytes that were received.

// ASN.1 tag classes and the universal tags used here.
const (
	classUniversal = asn1.ClassUniversal
	classContext   = asn1.ClassContextSpecific
)

// elements splits the contents of the constructed element v (a SEQUENCE, SET or explicit tag) into
// its elements, refusing more than max of them so that hostile input cannot make long lists.
func elements(field string, v asn1.RawValue, max int) ([]asn1.RawValue, error) {
	if !v.IsCompound {
		return nil, malformed(field, "not a constructed element")
	}
	var out []asn1.RawValue
	for b := v.Bytes; len(b) > 0; {
		if len(out) == max {
			return nil, malformed(field, "more than %d elements", max)
		}
		var el asn1.RawValue
		rest, err := asn1.Unmarshal(b, &el)
		if err != nil {
			return nil, malformed(field, "%v", err)
		}
		out = append(out, el)
		b = rest
	}
	return out, nil
}

// sequence checks that v is a SEQUENCE and splits it into between min and max elements.
func sequence(field string, v asn1.RawValue, min, max int) ([]asn1.RawValue, error) {
	if !is(v, classUniversal, asn1.TagSequence, true) {
		return nil, malformed(field, "not a SEQUENCE (class %d, tag %d)", v.Class, v.Tag)
	}
	el, err := elements(field, v, max)
	if err != nil {
		return nil, err
	}
	if len(el) < min {
		return nil, malformed(field, "%d elements, want at least %d", len(el), min)
	}
	return el, nil
}

// is reports whether v has the given class, tag and form.
func is(v asn1.RawValue, class, tag int, compound bool) bool {
	return v.Class == class && v.Tag == tag && v.IsCompound == compound
}

func readOID(field string, v asn1.RawValue) (asn1.ObjectIdentifier, error) {
	var oid asn1.ObjectIdentifier
	if !is(v, classUniversal, asn1.TagOID, false) {
		return nil, malformed(field, "not an OBJECT IDENTIFIER")
	}
	if _, err := asn1.Unmarshal(v.FullBytes, &oid); err != nil {
		return nil, malformed(field, "%v", err)
	}
	return oid, nil
}

func readInt(field string, v asn1.RawValue) (*big.Int, error) {
	n := new(big.Int)
	if !is(v, classUniversal, asn1.TagInteger, false) {
		return nil, malformed(field, "not an INTEGER")
	}
	if _, err := asn1.Unmarshal(v.FullBytes, &n); err != nil {
		return nil, malformed(field, "%v", err)
	}
	return n, nil
}

// readSmallInt reads an INTEGER that must fit in [lo, hi].
func readSmallInt(field string, v asn1.RawValue, lo, hi int64) (int64, error) {
	n, err := readInt(field, v)
	if err != nil {
		return 0, err
	}
	if !n.IsInt64() || n.Int64() < lo || n.Int64() > hi {
		return 0, malformed(field, "%s outside [%d, %d]", n, lo, hi)
	}
	return n.Int64(), nil
}

// implicitSmallInt reads an [n] IMPLICIT INTEGER (the Accuracy fields) within [lo, hi].
func implicitSmallInt(field string, v asn1.RawValue, lo, hi int64) (int64, error) {
	if v.IsCompound {
		return 0, malformed(field, "constructed")
	}
	return readSmallInt(field, asn1.RawValue{Class: classUniversal, Tag: asn1.TagInteger,
		FullBytes: appendDER(nil, []byte{asn1.TagInteger}, v.Bytes)}, lo, hi)
}

func readOctets(field string, v asn1.RawValue) ([]byte, error) {
	if !is(v, classUniversal, asn1.TagOctetString, false) {
		return nil, malformed(field, "not an OCTET STRING")
	}
	return v.Bytes, nil
}

// readBool reads a BOOLEAN leniently: DER wants 0xFF for true, BER writers use any non-zero octet.
func readBool(field string, v asn1.RawValue) (bool, error) {
	if !is(v, classUniversal, asn1.TagBoolean, false) || len(v.Bytes) != 1 {
		return false, malformed(field, "not a BOOLEAN")
	}
	return v.Bytes[0] != 0, nil
}

// readAlgorithm reads an AlgorithmIdentifier and returns its OID; parameters (absent or NULL for
// every algorithm accepted here) are ignored.
func readAlgorithm(field string, v asn1.RawValue) (asn1.ObjectIdentifier, error) {
	el, err := sequence(field, v, 1, 2)
	if err != nil {
		return nil, err
	}
	return readOID(field+".algorithm", el[0])
}
