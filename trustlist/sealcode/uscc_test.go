package sealcode

import (
	"errors"
	"strings"
	"testing"
)

// realUSCCs are valid codes taken from real certificates (STANDARDS.md §5.2).
var realUSCCs = []string{
	"11370306MB2867521U",
	"115300000151003540",
	"12100000000018032A",
	"91350100M000100Y43",
}

func TestParseUSCCReal(t *testing.T) {
	tests := map[string]struct {
		code string
		want USCC
		prov string
	}{
		"zhoucun natural resources": {"11370306MB2867521U", USCC{
			Code: "11370306MB2867521U", Authority: '1', AuthorityName: "机构编制", Category: '1', CategoryName: "机关",
			Division: "370306", OrgCode: "MB2867521", Check: 'U',
		}, "37"},
		"yunnan agency": {"115300000151003540", USCC{
			Code: "115300000151003540", Authority: '1', AuthorityName: "机构编制", Category: '1', CategoryName: "机关",
			Division: "530000", OrgCode: "015100354", Check: '0',
		}, "53"},
		"central institution": {"12100000000018032A", USCC{
			Code: "12100000000018032A", Authority: '1', AuthorityName: "机构编制", Category: '2', CategoryName: "事业单位",
			Division: "100000", OrgCode: "000018032", Check: 'A',
		}, ""},
		"fuzhou enterprise": {"91350100M000100Y43", USCC{
			Code: "91350100M000100Y43", Authority: '9', AuthorityName: "工商/市场监管", Category: '1', CategoryName: "企业",
			Division: "350100", OrgCode: "M000100Y4", Check: '3',
		}, "35"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseUSCC(tc.code)
			if err != nil {
				t.Fatalf("ParseUSCC(%q): %v", tc.code, err)
			}
			if got != tc.want {
				t.Errorf("ParseUSCC(%q) =\n %+v\nwant\n %+v", tc.code, got, tc.want)
			}
			if got.String() != tc.code {
				t.Errorf("String() = %q", got.String())
			}
			p, ok := got.Province()
			if p.Code != tc.prov || ok != (tc.prov != "") {
				t.Errorf("Province() = %+v, %v; want %q", p, ok, tc.prov)
			}
			c, err := ComputeUSCCCheck(tc.code[:17])
			if err != nil || c != tc.code[17] {
				t.Errorf("ComputeUSCCCheck = %q, %v; want %q", c, err, tc.code[17])
			}
			o, err := ComputeOrgCodeCheck(tc.code[8:16])
			if err != nil || o != tc.code[16] {
				t.Errorf("ComputeOrgCodeCheck = %q, %v; want %q", o, err, tc.code[16])
			}
		})
	}
}

func TestParseUSCCErrors(t *testing.T) {
	tests := map[string]struct {
		code   string
		reason USCCReason
		pos    int
		got    rune
		want   int
		target error
	}{
		"empty":              {"", USCCBadLength, 0, 0, 18, ErrUSCCLength},
		"17 chars":           {"11370306MB2867521", USCCBadLength, 17, 0, 18, ErrUSCCLength},
		"19 chars":           {"11370306MB2867521U0", USCCBadLength, 19, 0, 18, ErrUSCCLength},
		"trailing space":     {"11370306MB2867521U ", USCCBadLength, 19, 0, 18, ErrUSCCLength},
		"15-digit old code":  {"370306123456789", USCCBadLength, 15, 0, 18, ErrUSCCLength},
		"lower case":         {"11370306mb2867521u", USCCLowerCase, 9, 'm', 0, ErrUSCCChar},
		"lower check":        {"12100000000018032a", USCCLowerCase, 18, 'a', 0, ErrUSCCChar},
		"letter I":           {"11370306IB2867521U", USCCBadChar, 9, 'I', 0, ErrUSCCChar},
		"letter O":           {"1137030OMB2867521U", USCCBadChar, 8, 'O', 0, ErrUSCCChar},
		"letter S":           {"S1370306MB2867521U", USCCBadChar, 1, 'S', 0, ErrUSCCChar},
		"letter V":           {"11370306MB2867521V", USCCBadChar, 18, 'V', 0, ErrUSCCChar},
		"letter Z":           {"11370306MB28675Z1U", USCCBadChar, 16, 'Z', 0, ErrUSCCChar},
		"hyphen":             {"11370306-B2867521U", USCCBadChar, 9, '-', 0, ErrUSCCChar},
		"inner space":        {"11370306 B2867521U", USCCBadChar, 9, ' ', 0, ErrUSCCChar},
		"nul":                {"11370306\x00B2867521U", USCCBadChar, 9, 0, 0, ErrUSCCChar},
		"fullwidth digit":    {"１1370306MB2867521U", USCCBadChar, 1, '１', 0, ErrUSCCChar},
		"chinese in 18":      {"11370306MB2867521淄", USCCBadChar, 18, '淄', 0, ErrUSCCChar},
		"invalid utf8":       {"11370306MB2867521\xff", USCCBadChar, 18, '\uFFFD', 0, ErrUSCCChar},
		"bad check":          {"11370306MB2867521A", USCCBadCheck, 18, 'A', 'U', ErrUSCCCheck},
		"bad check digit":    {"115300000151003541", USCCBadCheck, 18, '1', '0', ErrUSCCCheck},
		"swapped org digits": {"11370306MB2867512U", USCCBadCheck, 18, 'U', 'X', ErrUSCCCheck},
		"bad org check":      {withUSCCCheck("11370306MB2867520"), USCCBadOrgCheck, 17, '0', '1', ErrOrgCodeCheck},
		"org check letter":   {withUSCCCheck("11370306MB286752A"), USCCBadOrgCheck, 17, 'A', '1', ErrOrgCodeCheck},
		"org check X wrong":  {withUSCCCheck("91350100M000100YX"), USCCBadOrgCheck, 17, 'X', '4', ErrOrgCodeCheck},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			u, err := ParseUSCC(tc.code)
			if err == nil {
				t.Fatalf("ParseUSCC(%q) = %+v, want error", tc.code, u)
			}
			if u != (USCC{}) {
				t.Errorf("non-zero USCC %+v returned with error", u)
			}
			if !errors.Is(err, tc.target) {
				t.Errorf("error %v does not wrap %v", err, tc.target)
			}
			ue, ok := errors.AsType[*USCCError](err)
			if !ok {
				t.Fatalf("error %T is not *USCCError", err)
			}
			if ue.Reason != tc.reason || ue.Pos != tc.pos || ue.Got != tc.got || ue.Want != tc.want {
				t.Errorf("USCCError{Reason:%d Pos:%d Got:%q Want:%d}, want {%d %d %q %d}",
					ue.Reason, ue.Pos, ue.Got, ue.Want, tc.reason, tc.pos, tc.got, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "sealcode: USCC ") {
				t.Errorf("message %q lacks prefix", err.Error())
			}
		})
	}
}

func TestUSCCErrorMessages(t *testing.T) {
	tests := map[string]struct {
		code string
		want string
	}{
		"length":     {"1137", "4 characters, want 18"},
		"lower case": {"11370306mb2867521u", `lower-case 'm' at position 9 (USCCs are upper case only)`},
		"bad char":   {"11370306IB2867521U", `invalid character 'I' at position 9`},
		"check":      {"11370306MB2867521A", `check character 'A' at position 18, want 'U'`},
		"org check":  {withUSCCCheck("11370306MB2867520"), `organisation code check character '0' at position 17, want '1'`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseUSCC(tc.code)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseUSCC(%q) error = %v, want it to contain %q", tc.code, err, tc.want)
			}
		})
	}
}

// TestParseUSCCMutations changes every position of every real code to every
// other printable ASCII character and checks that none is accepted. For
// substitutions within the alphabet the mod-31 check (31 is prime, every
// weight is non-zero) guarantees detection.
func TestParseUSCCMutations(t *testing.T) {
	for _, code := range realUSCCs {
		t.Run(code, func(t *testing.T) {
			for pos := range USCCLen {
				for c := byte(0x20); c < 0x7f; c++ {
					if c == code[pos] {
						continue
					}
					m := code[:pos] + string(c) + code[pos+1:]
					u, err := ParseUSCC(m)
					if err == nil {
						t.Errorf("mutation %q (pos %d) accepted as %+v", m, pos+1, u)
						continue
					}
					ue, _ := errors.AsType[*USCCError](err)
					inAlphabet := strings.IndexByte(usccAlphabet, c) >= 0
					if inAlphabet && ue.Reason != USCCBadCheck && ue.Reason != USCCBadOrgCheck {
						t.Errorf("mutation %q: reason %d, want a check failure", m, ue.Reason)
					}
					if !inAlphabet && ue.Reason != USCCBadChar && ue.Reason != USCCLowerCase {
						t.Errorf("mutation %q: reason %d, want a character failure", m, ue.Reason)
					}
				}
			}
		})
	}
}

// TestParseUSCCTranspositions swaps every adjacent pair among positions
// 1-17; distinct weights mod 31 guarantee the swap is detected.
func TestParseUSCCTranspositions(t *testing.T) {
	for _, code := range realUSCCs {
		t.Run(code, func(t *testing.T) {
			for i := range USCCLen - 2 {
				if code[i] == code[i+1] {
					continue
				}
				b := []byte(code)
				b[i], b[i+1] = b[i+1], b[i]
				if _, err := ParseUSCC(string(b)); err == nil {
					t.Errorf("transposition %q (positions %d-%d) accepted", b, i+1, i+2)
				}
			}
		})
	}
}

func TestUSCCAuthorityNames(t *testing.T) {
	tests := map[string]struct {
		prefix2  string
		authName string
		catName  string
	}{
		"organ":            {"11", "机构编制", "机关"},
		"institution":      {"12", "机构编制", "事业单位"},
		"civil affairs":    {"51", "民政", "社会团体"},
		"foundation":       {"53", "民政", "基金会"},
		"law firm":         {"31", "司法行政", "律师执业机构"},
		"enterprise":       {"91", "工商/市场监管", "企业"},
		"sole trader":      {"92", "工商/市场监管", "个体工商户"},
		"cooperative":      {"93", "工商/市场监管", "农民专业合作社"},
		"rural collective": {"N2", "农业", "村级集体经济组织"},
		"military":         {"A1", "中央军委改革和编制办公室", "军队事业单位"},
		"other":            {"Y1", "其他", "其他"},
		"unknown category": {"97", "工商/市场监管", ""},
		"unknown auth":     {"B1", "", ""},
		"zero auth":        {"01", "", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			code := makeUSCC(t, tc.prefix2+"370100", "MA3C1234")
			u, err := ParseUSCC(code)
			if err != nil {
				t.Fatalf("ParseUSCC(%q): %v", code, err)
			}
			if u.Authority != tc.prefix2[0] || u.Category != tc.prefix2[1] {
				t.Errorf("Authority, Category = %q, %q", u.Authority, u.Category)
			}
			if u.AuthorityName != tc.authName || u.CategoryName != tc.catName {
				t.Errorf("names = %q, %q; want %q, %q", u.AuthorityName, u.CategoryName, tc.authName, tc.catName)
			}
			if got := AuthorityName(tc.prefix2[0]); got != tc.authName {
				t.Errorf("AuthorityName(%q) = %q, want %q", tc.prefix2[0], got, tc.authName)
			}
		})
	}
}

func TestComputeOrgCodeCheck(t *testing.T) {
	tests := map[string]struct {
		body string
		want byte
		err  error
	}{
		"zhoucun":       {"MB286752", '1', nil},
		"all zeros → 0": {"00000000", '0', nil},
		"sum 12 → X":    {"00000030", 'X', nil},
		"letters":       {"M000100Y", '4', nil},
		"7 chars":       {"MB28675", 0, ErrUSCCLength},
		"9 chars":       {"MB2867521", 0, ErrUSCCLength},
		"lower case":    {"mb286752", 0, ErrUSCCChar},
		"letter I":      {"IB286752", 0, ErrUSCCChar},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ComputeOrgCodeCheck(tc.body)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Errorf("ComputeOrgCodeCheck(%q) = %q, %v; want %q, %v", tc.body, got, err, tc.want, tc.err)
			}
		})
	}
}

func TestComputeUSCCCheck(t *testing.T) {
	tests := map[string]struct {
		first17 string
		want    byte
		err     error
	}{
		"zhoucun":       {"11370306MB2867521", 'U', nil},
		"check 0":       {"11530000015100354", '0', nil},
		"check letter":  {"12100000000018032", 'A', nil},
		"all zeros":     {"00000000000000000", '0', nil},
		"16 chars":      {"11370306MB286752", 0, ErrUSCCLength},
		"18 chars":      {"11370306MB2867521U", 0, ErrUSCCLength},
		"lower case":    {"11370306mb2867521", 0, ErrUSCCChar},
		"letter O":      {"11370306MO2867521", 0, ErrUSCCChar},
		"non-ascii":     {"11370306MB286752é", 0, ErrUSCCChar},
		"empty":         {"", 0, ErrUSCCLength},
		"bad org check": {"11370306MB2867520", 'Q', nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ComputeUSCCCheck(tc.first17)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Errorf("ComputeUSCCCheck(%q) = %q, %v; want %q, %v", tc.first17, got, err, tc.want, tc.err)
			}
		})
	}
}

// makeUSCC builds a valid USCC from its first 8 characters and the 8-character
// organisation code body, the way a test PKI would.
func makeUSCC(t *testing.T, prefix8, body8 string) string {
	t.Helper()
	o, err := ComputeOrgCodeCheck(body8)
	if err != nil {
		t.Fatalf("ComputeOrgCodeCheck(%q): %v", body8, err)
	}
	first17 := prefix8 + body8 + string(o)
	c, err := ComputeUSCCCheck(first17)
	if err != nil {
		t.Fatalf("ComputeUSCCCheck(%q): %v", first17, err)
	}
	return first17 + string(c)
}

// withUSCCCheck appends the correct position-18 check to first17 without
// fixing the organisation code, to build codes that fail only at position 17.
func withUSCCCheck(first17 string) string {
	c, err := ComputeUSCCCheck(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(c)
}
