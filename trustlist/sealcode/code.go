package sealcode

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxCodeLen is the longest seal code, in bytes, that [Parse] accepts.
const MaxCodeLen = 64

// Lengths of the parts of a numeric seal code.
const (
	divisionLen = 6
	sequenceLen = 8
	numericLen  = divisionLen + sequenceLen
)

// Kind classifies a seal code by shape.
type Kind uint8

// Kinds of seal code. The zero Kind is not valid and only appears in a zero
// [Code].
const (
	// Numeric14 is a 14-digit code: a 6-digit GB/T 2260 division followed
	// by an 8-digit sequence.
	Numeric14 Kind = iota + 1
	// Other is any other well-formed code (UUID, "ZhelibanTaxSeal",
	// "esID130600", ...). It carries no division or province.
	Other
)

// String returns "numeric14", "other", or "invalid".
func (k Kind) String() string {
	switch k {
	case Numeric14:
		return "numeric14"
	case Other:
		return "other"
	}
	return "invalid"
}

// Code is a parsed seal code (esID).
type Code struct {
	// Raw is the code exactly as given to Parse.
	Raw string
	// Kind is the shape of the code.
	Kind Kind
	// Division is the 6-digit GB/T 2260 code of the approving authority
	// (Numeric14 only; "" otherwise).
	Division string
	// Sequence is the 8-digit sequence number (Numeric14 only).
	Sequence string
	// Province is the province named by the first two digits (Numeric14
	// only; the zero Province otherwise).
	Province Province
}

// Parse classifies and splits a seal code.
//
// A code of exactly 14 ASCII digits is [Numeric14]; its first two digits must
// be a known province code or Parse returns an error wrapping
// [ErrUnknownProvince]. Any other non-empty, printable code of at most
// [MaxCodeLen] bytes is [Other]: not an error, but not attributable to a
// province by its shape. Codes that are empty, too long, not valid UTF-8, or
// that contain control, format (e.g. zero-width or bidi) or whitespace
// characters are rejected with an error wrapping [ErrMalformed]; such
// characters are never part of a real code and could make two different
// codes look alike.
//
// Parse does not fold case, trim, or otherwise normalise its input.
func Parse(code string) (Code, error) {
	if err := checkWellFormed(code); err != nil {
		return Code{}, err
	}
	if len(code) != numericLen || !allDigits(code) {
		return Code{Raw: code, Kind: Other}, nil
	}
	p, ok := LookupProvince(code[:2])
	if !ok {
		return Code{}, &CodeError{Input: code, Reason: CodeUnknownProvince}
	}
	return Code{
		Raw:      code,
		Kind:     Numeric14,
		Division: code[:divisionLen],
		Sequence: code[divisionLen:],
		Province: p,
	}, nil
}

// checkWellFormed applies the rules shared by every kind of seal code.
func checkWellFormed(code string) error {
	switch {
	case code == "":
		return &CodeError{Reason: CodeEmpty}
	case len(code) > MaxCodeLen:
		return &CodeError{Input: clip(code, MaxCodeLen), Reason: CodeTooLong}
	}
	for i, r := range code {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(code[i:]); size == 1 {
				return &CodeError{Input: code, Reason: CodeInvalidUTF8, Offset: i}
			}
		}
		if unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return &CodeError{Input: code, Reason: CodeBadChar, Offset: i}
		}
	}
	return nil
}

// String returns the raw code.
func (c Code) String() string { return c.Raw }

// IsNumeric reports whether c is a [Numeric14] code.
func (c Code) IsNumeric() bool { return c.Kind == Numeric14 }

// ProvinceCode returns the 2-digit province code of a numeric code, or ""
// for any other code.
func (c Code) ProvinceCode() string {
	if !c.IsNumeric() {
		return ""
	}
	return c.Province.Code
}

// ValidDivision reports whether s is a 6-digit GB/T 2260 division code whose
// first two digits are a known province code. Only the province level is
// checked against the table; the remaining four digits need only be ASCII
// digits.
func ValidDivision(s string) bool {
	if len(s) != divisionLen || !allDigits(s) {
		return false
	}
	_, ok := LookupProvince(s[:2])
	return ok
}

// JurisdictionContains reports whether code falls within a registry's
// jurisdiction, given as GB/T 2260 prefixes such as "37" (a province) or
// "3703" (a prefecture). It is true when code is numeric and its division
// starts with at least one of the prefixes. It is always false for a
// non-numeric code, which has no division. Empty prefixes and prefixes
// longer than a division never match, so a malformed jurisdiction fails
// closed rather than matching everything.
func JurisdictionContains(prefixes []string, code Code) bool {
	if !code.IsNumeric() || len(code.Division) != divisionLen {
		return false
	}
	for _, p := range prefixes {
		if p != "" && len(p) <= divisionLen && strings.HasPrefix(code.Division, p) {
			return true
		}
	}
	return false
}
