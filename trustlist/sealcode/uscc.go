package sealcode

import (
	"unicode/utf8"
)

// USCCLen is the length of a 统一社会信用代码 in characters (and bytes).
const USCCLen = 18

// usccAlphabet is the GB 32100-2015 code alphabet: 31 symbols without I, O,
// S, V and Z. A symbol's value is its index.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are the GB 32100 weights 3^(i-1) mod 31 for positions 1..17.
var usccWeights = [USCCLen - 1]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// orgWeights are the GB 11714 weights for the 8 body characters of an
// organisation code.
var orgWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

// usccValue maps an ASCII byte to its USCC value plus one (0 means not in
// the alphabet).
var usccValue = func() (v [256]uint8) {
	for i := 0; i < len(usccAlphabet); i++ {
		v[usccAlphabet[i]] = uint8(i + 1)
	}
	return v
}()

// USCC is a validated 统一社会信用代码 (GB 32100-2015).
type USCC struct {
	// Code is the full 18-character code.
	Code string
	// Authority is the registration authority code (position 1), e.g.
	// '1' 机构编制, '5' 民政, '9' 工商/市场监管, 'Y' 其他.
	Authority byte
	// AuthorityName is the Chinese name of Authority, or "" if unknown.
	AuthorityName string
	// Category is the organisation category code (position 2); its meaning
	// depends on Authority.
	Category byte
	// CategoryName is the Chinese name of Category under Authority, or ""
	// if unknown.
	CategoryName string
	// Division is the GB/T 2260 code of the registration authority
	// (positions 3-8). It is not checked against the province table:
	// central-level bodies use "100000", and the registering authority is
	// not necessarily the seal registry.
	Division string
	// OrgCode is the 9-character GB 11714 organisation code (positions
	// 9-17), including its check character.
	OrgCode string
	// Check is the check character (position 18).
	Check byte
}

// String returns the 18-character code.
func (u USCC) String() string { return u.Code }

// Province returns the province named by the first two digits of Division,
// if they are a known province code.
func (u USCC) Province() (Province, bool) {
	if len(u.Division) < 2 {
		return Province{}, false
	}
	return LookupProvince(u.Division[:2])
}

// ParseUSCC validates an 18-character 统一社会信用代码 and splits it into its
// fields. It checks, in order: the length; that every character is in the
// GB 32100 alphabet (upper case only: a lower-case letter is reported as
// such, never folded); the check character at position 18; and the GB 11714
// organisation-code check character at position 17. Each failure is a
// [*USCCError] wrapping [ErrUSCCLength], [ErrUSCCChar], [ErrUSCCCheck] or
// [ErrOrgCodeCheck].
func ParseUSCC(s string) (USCC, error) {
	if err := checkUSCCChars(s, USCCLen); err != nil {
		return USCC{}, err
	}
	want, _ := usccCheck(s[:USCCLen-1])
	if s[USCCLen-1] != want {
		return USCC{}, &USCCError{Input: s, Reason: USCCBadCheck, Pos: USCCLen, Got: rune(s[USCCLen-1]), Want: int(want)}
	}
	org := s[8:17]
	if w, ok := orgCheck(org[:8]); !ok || org[8] != w {
		return USCC{}, &USCCError{Input: s, Reason: USCCBadOrgCheck, Pos: 17, Got: rune(org[8]), Want: int(w)}
	}
	auth, cat := authorityNames(s[0], s[1])
	return USCC{
		Code:          s,
		Authority:     s[0],
		AuthorityName: auth,
		Category:      s[1],
		CategoryName:  cat,
		Division:      s[2:8],
		OrgCode:       org,
		Check:         s[USCCLen-1],
	}, nil
}

// ComputeUSCCCheck returns the GB 32100 check character (position 18) for
// the first 17 characters of a USCC. It does not check the organisation code
// at positions 9-17; use [ComputeOrgCodeCheck] to build a position 17 that
// [ParseUSCC] will accept.
func ComputeUSCCCheck(first17 string) (byte, error) {
	if err := checkUSCCChars(first17, USCCLen-1); err != nil {
		return 0, err
	}
	c, _ := usccCheck(first17)
	return c, nil
}

// ComputeOrgCodeCheck returns the GB 11714 check character for the 8 body
// characters of an organisation code (USCC positions 9-16): '0'-'9' or 'X'.
// body must consist of USCC alphabet characters.
func ComputeOrgCodeCheck(body8 string) (byte, error) {
	if err := checkUSCCChars(body8, 8); err != nil {
		return 0, err
	}
	c, _ := orgCheck(body8)
	return c, nil
}

// checkUSCCChars checks that s is exactly n characters from the USCC
// alphabet. Positions in errors are 1-based character positions.
func checkUSCCChars(s string, n int) error {
	if utf8.RuneCountInString(s) != n {
		return &USCCError{Input: clip(s, 64), Reason: USCCBadLength, Pos: utf8.RuneCountInString(s), Want: n}
	}
	pos := 0
	for _, r := range s {
		pos++
		if r < utf8.RuneSelf && usccValue[r] != 0 {
			continue
		}
		reason := USCCBadChar
		if 'a' <= r && r <= 'z' {
			reason = USCCLowerCase
		}
		return &USCCError{Input: clip(s, 64), Reason: reason, Pos: pos, Got: r}
	}
	return nil
}

// usccCheck computes the check character for 17 alphabet characters.
// ok is false if s is not 17 alphabet characters.
func usccCheck(s string) (c byte, ok bool) {
	if len(s) != USCCLen-1 {
		return 0, false
	}
	sum := 0
	for i := 0; i < len(s); i++ {
		v := usccValue[s[i]]
		if v == 0 {
			return 0, false
		}
		sum += int(v-1) * usccWeights[i]
	}
	return usccAlphabet[(31-sum%31)%31], true
}

// orgCheck computes the GB 11714 check character for 8 body characters.
// Digits count at face value, letters A=10 ... Z=35. ok is false if s is
// not 8 digits or upper-case letters.
func orgCheck(s string) (c byte, ok bool) {
	if len(s) != len(orgWeights) {
		return 0, false
	}
	sum := 0
	for i := 0; i < len(s); i++ {
		var v int
		switch b := s[i]; {
		case isDigit(b):
			v = int(b - '0')
		case 'A' <= b && b <= 'Z':
			v = int(b-'A') + 10
		default:
			return 0, false
		}
		sum += v * orgWeights[i]
	}
	switch r := 11 - sum%11; r {
	case 10:
		return 'X', true
	case 11:
		return '0', true
	default:
		return byte('0' + r), true
	}
}
