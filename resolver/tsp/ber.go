package tsp

import (
	"errors"
	"fmt"
)

// Java CMS libraries write SignedData in BER by default: indefinite lengths on the outer structures
// and the eContent OCTET STRING split into constructed chunks. encoding/asn1 reads DER only, so
// Parse first rewrites the token into DER. Only three things change: indefinite lengths become
// definite, long-form lengths become minimal, and constructed OCTET STRINGs become primitive ones.
// A token that is already DER comes out byte for byte the same. Nothing is re-sorted or re-encoded
// beyond that, so signed attributes (which CMS signs in their DER form) keep their signed bytes.

// maxBERDepth bounds the nesting the rewrite follows. A token nests about 15 deep (ContentInfo,
// SignedData, certificates, TBSCertificate, extensions, names); anything much deeper is hostile and
// would otherwise cost stack.
const maxBERDepth = 40

var errBERDepth = errors.New("nested too deep")

// toDER rewrites the first BER element of in as DER and returns it with the bytes that follow it.
// The work is linear in len(in) times the nesting depth.
func toDER(in []byte) (out, rest []byte, err error) {
	return berElement(in, 0)
}

// berHeader is an element's identifier and length.
type berHeader struct {
	id          []byte // identifier octets, as found
	constructed bool
	universal   bool
	tag         uint32
	length      int // -1 when indefinite
	size        int // bytes of identifier and length
}

func readBERHeader(b []byte) (berHeader, error) {
	var h berHeader
	if len(b) < 2 {
		return h, errors.New("truncated header")
	}
	h.constructed = b[0]&0x20 != 0
	h.universal = b[0]&0xc0 == 0
	h.tag = uint32(b[0] & 0x1f)
	i := 1
	if h.tag == 0x1f {
		// High tag number: base-128, at most four octets, no leading 0x80.
		h.tag = 0
		for {
			if i >= len(b) || i > 4 || (i == 1 && b[i] == 0x80) {
				return h, errors.New("bad high tag number")
			}
			h.tag = h.tag<<7 | uint32(b[i]&0x7f)
			i++
			if b[i-1]&0x80 == 0 {
				break
			}
		}
	}
	h.id = b[:i]
	if i >= len(b) {
		return h, errors.New("truncated length")
	}
	l := b[i]
	i++
	switch {
	case l < 0x80:
		h.length = int(l)
	case l == 0x80:
		if !h.constructed {
			return h, errors.New("indefinite length on a primitive element")
		}
		h.length = -1
	case l > 0x84:
		return h, fmt.Errorf("length of %d octets", l&0x7f)
	default:
		n := int(l & 0x7f)
		if i+n > len(b) {
			return h, errors.New("truncated length")
		}
		for _, c := range b[i : i+n] {
			h.length = h.length<<8 | int(c)
		}
		i += n
		if h.length < 0 || h.length > len(b)-i {
			return h, errors.New("length beyond the data")
		}
	}
	if h.length > len(b)-i {
		return h, errors.New("length beyond the data")
	}
	h.size = i
	return h, nil
}

func berElement(b []byte, depth int) (out, rest []byte, err error) {
	if depth > maxBERDepth {
		return nil, nil, errBERDepth
	}
	h, err := readBERHeader(b)
	if err != nil {
		return nil, nil, err
	}
	body := b[h.size:]
	if !h.constructed {
		end := h.size + h.length
		return appendDER(nil, h.id, b[h.size:end]), b[end:], nil
	}
	var content []byte
	if h.length >= 0 {
		inner := body[:h.length]
		rest = body[h.length:]
		for len(inner) > 0 {
			var child []byte
			if child, inner, err = berElement(inner, depth+1); err != nil {
				return nil, nil, err
			}
			content = append(content, child...)
		}
	} else {
		for {
			if len(body) < 2 {
				return nil, nil, errors.New("missing end-of-contents")
			}
			if body[0] == 0 && body[1] == 0 {
				rest = body[2:]
				break
			}
			var child []byte
			if child, body, err = berElement(body, depth+1); err != nil {
				return nil, nil, err
			}
			content = append(content, child...)
		}
	}
	if h.universal && h.tag == 4 {
		// A constructed OCTET STRING: its value is the concatenation of its (now primitive) parts.
		flat, err := flattenOctets(content)
		if err != nil {
			return nil, nil, err
		}
		return appendDER(nil, []byte{0x04}, flat), rest, nil
	}
	return appendDER(nil, h.id, content), rest, nil
}

// flattenOctets concatenates the values of a sequence of DER primitive OCTET STRINGs.
func flattenOctets(parts []byte) ([]byte, error) {
	var flat []byte
	for len(parts) > 0 {
		h, err := readBERHeader(parts)
		if err != nil || len(h.id) != 1 || h.id[0] != 0x04 {
			return nil, errors.New("constructed OCTET STRING holds something other than OCTET STRINGs")
		}
		flat = append(flat, parts[h.size:h.size+h.length]...)
		parts = parts[h.size+h.length:]
	}
	return flat, nil
}

// appendDER appends identifier, minimal definite length and content.
func appendDER(dst, id, content []byte) []byte {
	dst = append(dst, id...)
	n := len(content)
	switch {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n <= 0xff:
		dst = append(dst, 0x81, byte(n))
	case n <= 0xffff:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	case n <= 0xffffff:
		dst = append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, content...)
}
