package sealcode

// Province is one province-level entry of GB/T 2260: a province, autonomous
// region, municipality directly under the central government, or special
// administrative region.
type Province struct {
	// Code is the 2-digit GB/T 2260 province code, e.g. "37".
	Code string
	// Name is the full Chinese name, e.g. "山东省".
	Name string
	// Abbr is the one-character Chinese abbreviation, e.g. "鲁".
	Abbr string
	// English is the English (mostly pinyin) name, e.g. "Shandong".
	English string
}

// IsZero reports whether p is the zero Province (no province).
func (p Province) IsZero() bool { return p.Code == "" }

// String returns the code and the full name, e.g. "37 山东省", or "" for the
// zero Province.
func (p Province) String() string {
	if p.IsZero() {
		return ""
	}
	return p.Code + " " + p.Name
}

// provinces is the GB/T 2260 province table, sorted by code. It is never
// modified.
var provinces = [...]Province{
	{"11", "北京市", "京", "Beijing"},
	{"12", "天津市", "津", "Tianjin"},
	{"13", "河北省", "冀", "Hebei"},
	{"14", "山西省", "晋", "Shanxi"},
	{"15", "内蒙古自治区", "蒙", "Inner Mongolia"},
	{"21", "辽宁省", "辽", "Liaoning"},
	{"22", "吉林省", "吉", "Jilin"},
	{"23", "黑龙江省", "黑", "Heilongjiang"},
	{"31", "上海市", "沪", "Shanghai"},
	{"32", "江苏省", "苏", "Jiangsu"},
	{"33", "浙江省", "浙", "Zhejiang"},
	{"34", "安徽省", "皖", "Anhui"},
	{"35", "福建省", "闽", "Fujian"},
	{"36", "江西省", "赣", "Jiangxi"},
	{"37", "山东省", "鲁", "Shandong"},
	{"41", "河南省", "豫", "Henan"},
	{"42", "湖北省", "鄂", "Hubei"},
	{"43", "湖南省", "湘", "Hunan"},
	{"44", "广东省", "粤", "Guangdong"},
	{"45", "广西壮族自治区", "桂", "Guangxi"},
	{"46", "海南省", "琼", "Hainan"},
	{"50", "重庆市", "渝", "Chongqing"},
	{"51", "四川省", "川", "Sichuan"},
	{"52", "贵州省", "贵", "Guizhou"},
	{"53", "云南省", "云", "Yunnan"},
	{"54", "西藏自治区", "藏", "Tibet"},
	{"61", "陕西省", "陕", "Shaanxi"},
	{"62", "甘肃省", "甘", "Gansu"},
	{"63", "青海省", "青", "Qinghai"},
	{"64", "宁夏回族自治区", "宁", "Ningxia"},
	{"65", "新疆维吾尔自治区", "新", "Xinjiang"},
	{"71", "台湾省", "台", "Taiwan"},
	{"81", "香港特别行政区", "港", "Hong Kong"},
	{"82", "澳门特别行政区", "澳", "Macao"},
}

// provinceIndex maps the two ASCII digits of a province code, as a number
// 0-99, to its index in provinces plus one (0 means unknown).
var provinceIndex = func() (idx [100]uint8) {
	for i, p := range provinces {
		idx[int(p.Code[0]-'0')*10+int(p.Code[1]-'0')] = uint8(i + 1)
	}
	return idx
}()

// LookupProvince returns the province with the given 2-digit GB/T 2260 code.
// The code must be exactly two ASCII digits.
func LookupProvince(code string) (Province, bool) {
	if len(code) != 2 || !isDigit(code[0]) || !isDigit(code[1]) {
		return Province{}, false
	}
	i := provinceIndex[int(code[0]-'0')*10+int(code[1]-'0')]
	if i == 0 {
		return Province{}, false
	}
	return provinces[i-1], true
}

// Provinces returns all GB/T 2260 province-level entries sorted by code.
// The slice is a fresh copy; callers may modify it.
func Provinces() []Province {
	out := make([]Province, len(provinces))
	copy(out, provinces[:])
	return out
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
