package tsptest

import (
	"encoding/asn1"
	"fmt"
)

// berChunk is the size of the pieces ToBER cuts OCTET STRINGs into. It is small so that tokens
// really carry constructed strings; Java writers cut at 1000 octets.
const berChunk = 16

// ToBER rewrites DER as Java CMS libraries write BER: every constructed element with an indefinite
// length, and every OCTET STRING longer than a chunk as a constructed string of chunks. A DER reader
// that folds these back recovers der exactly.
func ToBER(der []byte) ([]byte, error) {
	var v asn1.RawValue
	rest, err := asn1.Unmarshal(der, &v)
	if err != nil {
		return nil, fmt.Errorf("tsptest: ToBER: %w", err)
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("tsptest: ToBER: %d bytes after the element", len(rest))
	}
	return berOf(v)
}

func berOf(v asn1.RawValue) ([]byte, error) {
	id := v.FullBytes[0]
	switch {
	case v.IsCompound:
		out := []byte{id, 0x80}
		for b := v.Bytes; len(b) > 0; {
			var child asn1.RawValue
			var err error
			if b, err = asn1.Unmarshal(b, &child); err != nil {
				return nil, err
			}
			enc, err := berOf(child)
			if err != nil {
				return nil, err
			}
			out = append(out, enc...)
		}
		return append(out, 0, 0), nil
	case v.Class == asn1.ClassUniversal && v.Tag == asn1.TagOctetString && len(v.Bytes) > berChunk:
		out := []byte{0x24, 0x80}
		for b := v.Bytes; len(b) > 0; {
			n := min(berChunk, len(b))
			out = append(out, tlv(tagOctetString, b[:n])...)
			b = b[n:]
		}
		return append(out, 0, 0), nil
	}
	return v.FullBytes, nil
}
