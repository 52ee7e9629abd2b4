package sealcode

import "strings"

// SplitOrganization splits a certificate Organization (O) value of the form
// used by provincial seal platforms, a USCC immediately followed by the
// organisation name, e.g.
//
//	11370306MB2867521U淄博市周村区自然资源局
//
// If the first 18 bytes of o form a valid USCC (see [ParseUSCC]), it returns
// that USCC, the rest of o with surrounding white space removed (possibly
// empty), and ok = true. Otherwise it returns ok = false. Leading white space
// before the USCC is not skipped.
func SplitOrganization(o string) (uscc USCC, name string, ok bool) {
	if len(o) < USCCLen {
		return USCC{}, "", false
	}
	u, err := ParseUSCC(o[:USCCLen])
	if err != nil {
		return USCC{}, "", false
	}
	return u, strings.TrimSpace(o[USCCLen:]), true
}
