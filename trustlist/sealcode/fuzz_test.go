package sealcode

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// seedCodes are the real seal codes of STANDARDS.md §5.1 plus edge cases.
var seedCodes = []string{
	"33010600000001", "32010600000001", "50011200000323", "50011200000399",
	"37030000001721", "53011200000556",
	"51f044b76510434e9bc67a1185c2fba5", "ZhelibanTaxSeal", "esID130600", "esID",
	"", "99010600000001", "3301060000000\n", "\ufeff33010600000001", "esID\xff",
	strings.Repeat("1", MaxCodeLen+1),
}

func FuzzParse(f *testing.F) {
	for _, s := range seedCodes {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownProvince) {
				t.Fatalf("Parse(%q): error %v wraps no sentinel", s, err)
			}
			if c != (Code{}) {
				t.Fatalf("Parse(%q): non-zero Code %+v with error", s, c)
			}
			_ = err.Error()
			return
		}
		if c.Raw != s || s == "" || len(s) > MaxCodeLen || !utf8.ValidString(s) {
			t.Fatalf("Parse(%q) accepted as %+v", s, c)
		}
		switch c.Kind {
		case Numeric14:
			if c.Division+c.Sequence != s || len(c.Division) != 6 || len(c.Sequence) != 8 {
				t.Fatalf("Parse(%q): Division %q + Sequence %q", s, c.Division, c.Sequence)
			}
			if !ValidDivision(c.Division) || c.ProvinceCode() != s[:2] {
				t.Fatalf("Parse(%q): division %q, province %q", s, c.Division, c.ProvinceCode())
			}
			if !JurisdictionContains([]string{c.ProvinceCode()}, c) {
				t.Fatalf("Parse(%q): not in its own province", s)
			}
		case Other:
			if c.Division != "" || c.Sequence != "" || !c.Province.IsZero() {
				t.Fatalf("Parse(%q): Other code with fields %+v", s, c)
			}
			if JurisdictionContains([]string{s, s[:1]}, c) {
				t.Fatalf("Parse(%q): Other code inside a jurisdiction", s)
			}
		default:
			t.Fatalf("Parse(%q): kind %v", s, c.Kind)
		}
	})
}

func FuzzParseUSCC(f *testing.F) {
	for _, s := range realUSCCs {
		f.Add(s)
		f.Add(strings.ToLower(s))
		f.Add(s[:17])
	}
	f.Add("11370306MB2867521A")
	f.Add("11370306MB2867520Q")
	f.Add("11370306MB2867521淄")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseUSCC(s)
		if err != nil {
			var ue *USCCError
			if !errors.As(err, &ue) || ue.Unwrap() == nil {
				t.Fatalf("ParseUSCC(%q): error %v is not a reasoned *USCCError", s, err)
			}
			_ = err.Error()
			return
		}
		if len(s) != USCCLen || u.Code != s || u.String() != s {
			t.Fatalf("ParseUSCC(%q) accepted as %+v", s, u)
		}
		c, err := ComputeUSCCCheck(s[:17])
		if err != nil || c != s[17] {
			t.Fatalf("ParseUSCC(%q) ok but ComputeUSCCCheck = %q, %v", s, c, err)
		}
		o, err := ComputeOrgCodeCheck(s[8:16])
		if err != nil || o != s[16] {
			t.Fatalf("ParseUSCC(%q) ok but ComputeOrgCodeCheck = %q, %v", s, o, err)
		}
		if string(u.Authority)+string(u.Category)+u.Division+u.OrgCode+string(u.Check) != s {
			t.Fatalf("ParseUSCC(%q): fields %+v do not reassemble", s, u)
		}
	})
}

func FuzzSplitOrganization(f *testing.F) {
	f.Add("11370306MB2867521U淄博市周村区自然资源局")
	f.Add("115300000151003540 云南省住房和城乡建设厅")
	f.Add("12100000000018032A")
	f.Add("91350100M000100Y43\u3000某某有限公司")
	f.Add("11370306MB2867521淄博")
	f.Add("淄博市周村区自然资源局")
	f.Add("")
	f.Fuzz(func(t *testing.T, o string) {
		u, name, ok := SplitOrganization(o)
		if !ok {
			if u != (USCC{}) || name != "" {
				t.Fatalf("SplitOrganization(%q): ok=false with %+v, %q", o, u, name)
			}
			return
		}
		if !strings.HasPrefix(o, u.Code) || len(u.Code) != USCCLen {
			t.Fatalf("SplitOrganization(%q): USCC %q is not the prefix", o, u.Code)
		}
		if _, err := ParseUSCC(u.Code); err != nil {
			t.Fatalf("SplitOrganization(%q): returned invalid USCC: %v", o, err)
		}
		if name != strings.TrimSpace(name) || !strings.Contains(o[USCCLen:], name) {
			t.Fatalf("SplitOrganization(%q): name %q", o, name)
		}
	})
}
