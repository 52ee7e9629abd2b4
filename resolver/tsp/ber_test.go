package tsp

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

func TestToDER(t *testing.T) {
	deep := strings.Repeat("3080", maxBERDepth+2) + "0500" + strings.Repeat("0000", maxBERDepth+2)
	cases := map[string]struct {
		in, want string // hex; want "" means an error
	}{
		"DER unchanged":                 {"3006020105040100", "3006020105040100"},
		"indefinite SEQUENCE":           {"30800201050000", "3003020105"},
		"indefinite nested":             {"3080a0800201050000" + "0000", "3005a003020105"},
		"constructed OCTET STRING":      {"24800402aabb0401cc0000", "0403aabbcc"},
		"definite constructed OCTETS":   {"24070402aabb0401cc", "0403aabbcc"},
		"nested constructed OCTETS":     {"248024800401aa00000401bb0000", "0402aabb"},
		"empty constructed OCTETS":      {"24800000", "0400"},
		"non-minimal length":            {"048102aabb", "0402aabb"},
		"high tag number kept":          {"9f810001ff", "9f810001ff"},
		"missing end-of-contents":       {"3080020105", ""},
		"indefinite primitive":          {"0480aabb0000", ""},
		"length beyond the data":        {"3005020105", ""},
		"five-octet length":             {"04850000000001aa", ""},
		"OCTET STRING holding INTEGER":  {"24800201050000", ""},
		"truncated header":              {"30", ""},
		"truncated long length":         {"3082ff", ""},
		"high tag without end":          {"9f8181", ""},
		"nested beyond the depth limit": {deep, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in, _ := hex.DecodeString(tc.in)
			out, rest, err := toDER(in)
			if tc.want == "" {
				if err == nil && len(rest) == 0 {
					t.Fatalf("accepted: %x", out)
				}
				return
			}
			if err != nil || len(rest) != 0 {
				t.Fatalf("error %v, rest %x", err, rest)
			}
			if got := hex.EncodeToString(out); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// TestToDERLeavesTrailingBytes: an element ends at its end-of-contents; what follows is the caller's
// to refuse as trailing data.
func TestToDERLeavesTrailingBytes(t *testing.T) {
	out, rest, err := toDER([]byte{0x30, 0x80, 0x02, 0x01, 0x05, 0, 0, 0, 0})
	if err != nil || !bytes.Equal(out, []byte{0x30, 0x03, 0x02, 0x01, 0x05}) || !bytes.Equal(rest, []byte{0, 0}) {
		t.Fatalf("got %x, rest %x, %v", out, rest, err)
	}
}

// FuzzToDER: the rewrite never panics, and its output is DER it leaves alone.
func FuzzToDER(f *testing.F) {
	for _, s := range []string{"3080a0800201050000" + "0000", "248024800401aa00000401bb0000", "9f810001ff"} {
		b, _ := hex.DecodeString(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, _, err := toDER(in)
		if err != nil {
			return
		}
		again, rest, err := toDER(out)
		if err != nil || len(rest) != 0 || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %x -> %x -> %x (%v, rest %x)", in, out, again, err, rest)
		}
	})
}
