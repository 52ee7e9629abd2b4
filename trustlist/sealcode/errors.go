package sealcode

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them; test with [errors.Is].
var (
	// ErrMalformed reports a seal code that is empty, longer than
	// [MaxCodeLen] bytes, not valid UTF-8, or that contains a control,
	// format or whitespace character.
	ErrMalformed = errors.New("sealcode: malformed seal code")

	// ErrUnknownProvince reports a 14-digit numeric seal code (or a
	// division) whose first two digits are not a GB/T 2260 province code.
	ErrUnknownProvince = errors.New("sealcode: unknown province code")

	// ErrUSCCLength reports a USCC that is not 18 characters long (or, for
	// [ComputeUSCCCheck], a prefix that is not 17 characters long).
	ErrUSCCLength = errors.New("sealcode: wrong USCC length")

	// ErrUSCCChar reports a character outside the GB 32100 alphabet
	// 0-9 A-H J-N P-R T U W-Y, including lower-case letters.
	ErrUSCCChar = errors.New("sealcode: invalid USCC character")

	// ErrUSCCCheck reports a USCC whose check character (position 18) does
	// not match the GB 32100 mod-31 checksum.
	ErrUSCCCheck = errors.New("sealcode: USCC check character mismatch")

	// ErrOrgCodeCheck reports a USCC whose embedded GB 11714 organisation
	// code (positions 9-17) has a wrong check character at position 17.
	ErrOrgCodeCheck = errors.New("sealcode: organisation code check character mismatch")
)

// CodeReason says why a seal code was rejected.
type CodeReason int

// Reasons for a [CodeError]. New reasons are appended at the end.
const (
	// CodeEmpty: the code is the empty string.
	CodeEmpty CodeReason = iota + 1
	// CodeTooLong: the code is longer than MaxCodeLen bytes.
	CodeTooLong
	// CodeInvalidUTF8: the code is not valid UTF-8.
	CodeInvalidUTF8
	// CodeBadChar: the code contains a control, format or whitespace character.
	CodeBadChar
	// CodeUnknownProvince: a 14-digit code starts with an unknown province code.
	CodeUnknownProvince
)

// CodeError is returned by [Parse] for a rejected seal code.
type CodeError struct {
	// Input is the rejected code, cut to MaxCodeLen bytes.
	Input string
	// Reason says what is wrong.
	Reason CodeReason
	// Offset is the byte offset of the offending character for
	// CodeInvalidUTF8 and CodeBadChar, otherwise 0.
	Offset int
}

func (e *CodeError) Error() string {
	var b strings.Builder
	b.WriteString("sealcode: seal code ")
	fmt.Fprintf(&b, "%q: ", e.Input)
	switch e.Reason {
	case CodeEmpty:
		b.WriteString("empty")
	case CodeTooLong:
		fmt.Fprintf(&b, "longer than %d bytes", MaxCodeLen)
	case CodeInvalidUTF8:
		fmt.Fprintf(&b, "invalid UTF-8 at byte %d", e.Offset)
	case CodeBadChar:
		fmt.Fprintf(&b, "control, format or whitespace character at byte %d", e.Offset)
	case CodeUnknownProvince:
		b.WriteString("first two digits are not a GB/T 2260 province code")
	default:
		fmt.Fprintf(&b, "rejected (reason %d)", int(e.Reason))
	}
	return b.String()
}

// Unwrap returns ErrUnknownProvince or ErrMalformed.
func (e *CodeError) Unwrap() error {
	if e.Reason == CodeUnknownProvince {
		return ErrUnknownProvince
	}
	return ErrMalformed
}

// USCCReason says why a USCC was rejected.
type USCCReason int

// Reasons for a [USCCError]. New reasons are appended at the end.
const (
	// USCCBadLength: wrong number of characters.
	USCCBadLength USCCReason = iota + 1
	// USCCBadChar: a character outside the GB 32100 alphabet.
	USCCBadChar
	// USCCLowerCase: a lower-case letter; USCCs are upper case only and
	// this package does not fold case.
	USCCLowerCase
	// USCCBadCheck: the check character at position 18 is wrong.
	USCCBadCheck
	// USCCBadOrgCheck: the organisation-code check character at position
	// 17 is wrong.
	USCCBadOrgCheck
)

// USCCError is returned by [ParseUSCC], [ComputeUSCCCheck] and
// [ComputeOrgCodeCheck] for rejected input.
type USCCError struct {
	// Input is the rejected text, cut to 64 bytes.
	Input string
	// Reason says what is wrong.
	Reason USCCReason
	// Pos is the 1-based character position of the offending character
	// (USCCBadChar, USCCLowerCase, USCCBadCheck, USCCBadOrgCheck);
	// for USCCBadLength it is the number of characters found.
	Pos int
	// Got is the offending character (not set for USCCBadLength).
	Got rune
	// Want is the expected check character for USCCBadCheck and
	// USCCBadOrgCheck, or the expected length for USCCBadLength.
	Want int
}

func (e *USCCError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sealcode: USCC %q: ", e.Input)
	switch e.Reason {
	case USCCBadLength:
		fmt.Fprintf(&b, "%d characters, want %d", e.Pos, e.Want)
	case USCCBadChar:
		fmt.Fprintf(&b, "invalid character %q at position %d", e.Got, e.Pos)
	case USCCLowerCase:
		fmt.Fprintf(&b, "lower-case %q at position %d (USCCs are upper case only)", e.Got, e.Pos)
	case USCCBadCheck:
		fmt.Fprintf(&b, "check character %q at position 18, want %q", e.Got, rune(e.Want))
	case USCCBadOrgCheck:
		fmt.Fprintf(&b, "organisation code check character %q at position 17, want %q", e.Got, rune(e.Want))
	default:
		fmt.Fprintf(&b, "rejected (reason %d)", int(e.Reason))
	}
	return b.String()
}

// Unwrap returns the sentinel for the reason: ErrUSCCLength, ErrUSCCChar
// (also for USCCLowerCase), ErrUSCCCheck or ErrOrgCodeCheck.
func (e *USCCError) Unwrap() error {
	switch e.Reason {
	case USCCBadLength:
		return ErrUSCCLength
	case USCCBadChar, USCCLowerCase:
		return ErrUSCCChar
	case USCCBadCheck:
		return ErrUSCCCheck
	case USCCBadOrgCheck:
		return ErrOrgCodeCheck
	}
	return nil
}

// clip cuts s to at most n bytes without splitting a UTF-8 sequence, so
// that error messages stay short for hostile input.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !isRuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
