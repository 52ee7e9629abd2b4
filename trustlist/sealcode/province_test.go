package sealcode

import (
	"cmp"
	"slices"
	"testing"
)

func TestLookupProvince(t *testing.T) {
	tests := map[string]struct {
		code   string
		want   Province
		wantOK bool
	}{
		"beijing":        {"11", Province{"11", "北京市", "京", "Beijing"}, true},
		"shandong":       {"37", Province{"37", "山东省", "鲁", "Shandong"}, true},
		"inner mongolia": {"15", Province{"15", "内蒙古自治区", "蒙", "Inner Mongolia"}, true},
		"chongqing":      {"50", Province{"50", "重庆市", "渝", "Chongqing"}, true},
		"xinjiang":       {"65", Province{"65", "新疆维吾尔自治区", "新", "Xinjiang"}, true},
		"hong kong":      {"81", Province{"81", "香港特别行政区", "港", "Hong Kong"}, true},
		"macao":          {"82", Province{"82", "澳门特别行政区", "澳", "Macao"}, true},
		"national 10":    {"10", Province{}, false},
		"gap 16":         {"16", Province{}, false},
		"gap 55":         {"55", Province{}, false},
		"99":             {"99", Province{}, false},
		"00":             {"00", Province{}, false},
		"empty":          {"", Province{}, false},
		"one digit":      {"3", Province{}, false},
		"three digits":   {"370", Province{}, false},
		"letters":        {"a7", Province{}, false},
		"fullwidth":      {"３７", Province{}, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := LookupProvince(tc.code)
			if ok != tc.wantOK || got != tc.want {
				t.Errorf("LookupProvince(%q) = %+v, %v; want %+v, %v", tc.code, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestProvinces(t *testing.T) {
	wantCodes := []string{
		"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34",
		"35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52",
		"53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
	}
	ps := Provinces()

	t.Run("codes in order", func(t *testing.T) {
		var got []string
		for _, p := range ps {
			got = append(got, p.Code)
		}
		if !slices.Equal(got, wantCodes) {
			t.Errorf("codes = %v, want %v", got, wantCodes)
		}
	})
	t.Run("sorted", func(t *testing.T) {
		if !slices.IsSortedFunc(ps, func(a, b Province) int { return cmp.Compare(a.Code, b.Code) }) {
			t.Error("Provinces() not sorted by code")
		}
	})
	t.Run("complete entries", func(t *testing.T) {
		seenAbbr := map[string]string{}
		for _, p := range ps {
			if p.Name == "" || p.Abbr == "" || p.English == "" {
				t.Errorf("incomplete entry %+v", p)
			}
			if prev, dup := seenAbbr[p.Abbr]; dup {
				t.Errorf("abbreviation %s used by %s and %s", p.Abbr, prev, p.Code)
			}
			seenAbbr[p.Abbr] = p.Code
			if got, ok := LookupProvince(p.Code); !ok || got != p {
				t.Errorf("LookupProvince(%q) = %+v, %v; want %+v", p.Code, got, ok, p)
			}
		}
	})
	t.Run("abbreviations match STANDARDS 5.1", func(t *testing.T) {
		const abbrs = "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵云藏陕甘青宁新台港澳"
		var got string
		for _, p := range ps {
			got += p.Abbr
		}
		if got != abbrs {
			t.Errorf("abbreviations = %s, want %s", got, abbrs)
		}
	})
	t.Run("returns a copy", func(t *testing.T) {
		ps[0].Name = "changed"
		if p, _ := LookupProvince("11"); p.Name != "北京市" {
			t.Errorf("modifying Provinces() result changed the table: %+v", p)
		}
	})
}

func TestProvinceString(t *testing.T) {
	tests := map[string]struct {
		p    Province
		want string
	}{
		"shandong": {mustProvince(t, "37"), "37 山东省"},
		"zero":     {Province{}, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.p.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			if got := tc.p.IsZero(); got != (tc.want == "") {
				t.Errorf("IsZero() = %v", got)
			}
		})
	}
}

func mustProvince(t *testing.T, code string) Province {
	t.Helper()
	p, ok := LookupProvince(code)
	if !ok {
		t.Fatalf("LookupProvince(%q) failed", code)
	}
	return p
}
