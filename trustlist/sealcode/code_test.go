package sealcode

import (
	"errors"
	"strings"
	"testing"
)

func TestParseNumeric(t *testing.T) {
	// Real esIDs from STANDARDS.md §5.1.
	tests := map[string]struct {
		code     string
		division string
		sequence string
		province string
		name     string
	}{
		"zhejiang tax":       {"33010600000001", "330106", "00000001", "33", "浙江省"},
		"jiangsu tax":        {"32010600000001", "320106", "00000001", "32", "江苏省"},
		"chongqing tax 323":  {"50011200000323", "500112", "00000323", "50", "重庆市"},
		"chongqing tax 399":  {"50011200000399", "500112", "00000399", "50", "重庆市"},
		"zibo natural res":   {"37030000001721", "370300", "00001721", "37", "山东省"},
		"yunnan housing":     {"53011200000556", "530112", "00000556", "53", "云南省"},
		"macao all zeros":    {"82000000000000", "820000", "00000000", "82", "澳门特别行政区"},
		"beijing all nines":  {"11999999999999", "119999", "99999999", "11", "北京市"},
		"hong kong sequence": {"81000012345678", "810000", "12345678", "81", "香港特别行政区"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := Parse(tc.code)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.code, err)
			}
			if c.Raw != tc.code || c.String() != tc.code {
				t.Errorf("Raw = %q, String() = %q", c.Raw, c.String())
			}
			if c.Kind != Numeric14 || !c.IsNumeric() {
				t.Errorf("Kind = %v, want numeric14", c.Kind)
			}
			if c.Division != tc.division || c.Sequence != tc.sequence {
				t.Errorf("Division, Sequence = %q, %q; want %q, %q", c.Division, c.Sequence, tc.division, tc.sequence)
			}
			if c.ProvinceCode() != tc.province || c.Province.Code != tc.province || c.Province.Name != tc.name {
				t.Errorf("province = %q %+v, want %s %s", c.ProvinceCode(), c.Province, tc.province, tc.name)
			}
		})
	}
}

func TestParseOther(t *testing.T) {
	tests := map[string]string{
		"uuid from ofdrw":    "51f044b76510434e9bc67a1185c2fba5",
		"antchain":           "ZhelibanTaxSeal",
		"esID prefix":        "esID130600",
		"bare esID":          "esID",
		"hyphenated uuid":    "51f044b7-6510-434e-9bc6-7a1185c2fba5",
		"13 digits":          "3301060000000",
		"15 digits":          "330106000000011",
		"14 with letter":     "3301060000000A",
		"14 fullwidth":       "３３０１０６００００００００",
		"chinese":            "浙江税务电子印章",
		"single char":        "x",
		"exactly 64 bytes":   strings.Repeat("a", MaxCodeLen),
		"gb2260 6 digits":    "370300",
		"unknown prov short": "9901060000000",
	}
	for name, code := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := Parse(code)
			if err != nil {
				t.Fatalf("Parse(%q): %v", code, err)
			}
			want := Code{Raw: code, Kind: Other}
			if c != want {
				t.Errorf("Parse(%q) = %+v, want %+v", code, c, want)
			}
			if c.IsNumeric() || c.ProvinceCode() != "" {
				t.Errorf("IsNumeric() = %v, ProvinceCode() = %q", c.IsNumeric(), c.ProvinceCode())
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := map[string]struct {
		code   string
		reason CodeReason
		offset int
		target error
	}{
		"empty":             {"", CodeEmpty, 0, ErrMalformed},
		"65 bytes":          {strings.Repeat("a", MaxCodeLen+1), CodeTooLong, 0, ErrMalformed},
		"long numeric":      {strings.Repeat("3", 100), CodeTooLong, 0, ErrMalformed},
		"leading space":     {" 33010600000001", CodeBadChar, 0, ErrMalformed},
		"trailing newline":  {"33010600000001\n", CodeBadChar, 14, ErrMalformed},
		"inner tab":         {"esID\t130600", CodeBadChar, 4, ErrMalformed},
		"nul":               {"esID\x00", CodeBadChar, 4, ErrMalformed},
		"del":               {"esID\x7f", CodeBadChar, 4, ErrMalformed},
		"c1 control":        {"esID\u0085", CodeBadChar, 4, ErrMalformed},
		"ideographic space": {"印章\u3000编码", CodeBadChar, 6, ErrMalformed},
		"nbsp":              {"esID\u00a0x", CodeBadChar, 4, ErrMalformed},
		"zero width space":  {"33010600000001\u200b", CodeBadChar, 14, ErrMalformed},
		"bom":               {"\ufeff33010600000001", CodeBadChar, 0, ErrMalformed},
		"bidi override":     {"esID\u202e", CodeBadChar, 4, ErrMalformed},
		"invalid utf8":      {"esID\xff", CodeInvalidUTF8, 4, ErrMalformed},
		"truncated utf8":    {"esID\xe6\xb5", CodeInvalidUTF8, 4, ErrMalformed},
		"province 00":       {"00010600000001", CodeUnknownProvince, 0, ErrUnknownProvince},
		"national 10":       {"10000000000001", CodeUnknownProvince, 0, ErrUnknownProvince},
		"province 99":       {"99010600000001", CodeUnknownProvince, 0, ErrUnknownProvince},
		"gap 24":            {"24010600000001", CodeUnknownProvince, 0, ErrUnknownProvince},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := Parse(tc.code)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want error", tc.code, c)
			}
			if c != (Code{}) {
				t.Errorf("Parse returned non-zero Code %+v with error", c)
			}
			if !errors.Is(err, tc.target) {
				t.Errorf("error %v does not wrap %v", err, tc.target)
			}
			ce, ok := errors.AsType[*CodeError](err)
			if !ok {
				t.Fatalf("error %T is not *CodeError", err)
			}
			if ce.Reason != tc.reason || ce.Offset != tc.offset {
				t.Errorf("Reason, Offset = %d, %d; want %d, %d", ce.Reason, ce.Offset, tc.reason, tc.offset)
			}
			if len(ce.Input) > MaxCodeLen+len("…") {
				t.Errorf("error input not clipped: %d bytes", len(ce.Input))
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "sealcode: ") {
				t.Errorf("message %q lacks package prefix", msg)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	tests := map[string]struct {
		k    Kind
		want string
	}{
		"numeric": {Numeric14, "numeric14"},
		"other":   {Other, "other"},
		"zero":    {0, "invalid"},
		"unknown": {99, "invalid"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.k.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestValidDivision(t *testing.T) {
	tests := map[string]struct {
		s    string
		want bool
	}{
		"xihu":            {"330106", true},
		"zibo":            {"370300", true},
		"shandong":        {"370000", true},
		"macao":           {"820000", true},
		"any local part":  {"379999", true},
		"national":        {"100000", false},
		"unknown 99":      {"990000", false},
		"five digits":     {"37030", false},
		"seven digits":    {"3703000", false},
		"empty":           {"", false},
		"letter":          {"37030A", false},
		"space":           {"37030 ", false},
		"fullwidth digit": {"37030０", false},
		"sign":            {"-37030", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := ValidDivision(tc.s); got != tc.want {
				t.Errorf("ValidDivision(%q) = %v, want %v", tc.s, got, tc.want)
			}
		})
	}
}

func TestJurisdictionContains(t *testing.T) {
	zibo := mustParse(t, "37030000001721")
	xihu := mustParse(t, "33010600000001")
	other := mustParse(t, "esID130600")
	tests := map[string]struct {
		prefixes []string
		code     Code
		want     bool
	}{
		"province match":          {[]string{"37"}, zibo, true},
		"prefecture match":        {[]string{"3703"}, zibo, true},
		"full division match":     {[]string{"370300"}, zibo, true},
		"one of several":          {[]string{"11", "33", "37"}, zibo, true},
		"other province":          {[]string{"33"}, zibo, false},
		"other prefecture":        {[]string{"3701"}, zibo, false},
		"other district":          {[]string{"330105"}, xihu, false},
		"district match":          {[]string{"330106"}, xihu, true},
		"prefix longer than div":  {[]string{"37030000"}, zibo, false},
		"empty prefix fails safe": {[]string{""}, zibo, false},
		"empty and match":         {[]string{"", "37"}, zibo, true},
		"no prefixes":             {nil, zibo, false},
		"non-numeric code":        {[]string{"13", "1306"}, other, false},
		"non-numeric empty pref":  {[]string{""}, other, false},
		"zero code":               {[]string{"37"}, Code{}, false},
		"forged division":         {[]string{"37"}, Code{Kind: Numeric14, Division: "37"}, false},
		"province not substring":  {[]string{"03"}, zibo, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := JurisdictionContains(tc.prefixes, tc.code); got != tc.want {
				t.Errorf("JurisdictionContains(%q, %q) = %v, want %v", tc.prefixes, tc.code.Division, got, tc.want)
			}
		})
	}
}

func mustParse(t *testing.T, code string) Code {
	t.Helper()
	c, err := Parse(code)
	if err != nil {
		t.Fatalf("Parse(%q): %v", code, err)
	}
	return c
}
