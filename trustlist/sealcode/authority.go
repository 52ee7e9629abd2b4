package sealcode

// registrationAuthority is one GB 32100-2015 registration authority (登记管理部门,
// USCC position 1) and the organisation categories (机构类别, position 2) it
// issues.
type registrationAuthority struct {
	name       string
	categories map[byte]string
}

// authorities is the GB 32100-2015 registration-authority table, including
// the later additions A (中央军委改革和编制办公室) and N (农业). It is never
// modified. Authority 9 was 工商 in the standard; its duties passed to 市场监管
// in 2018.
var authorities = map[byte]registrationAuthority{
	'1': {"机构编制", map[byte]string{'1': "机关", '2': "事业单位", '3': "中央编办直接管理机构编制的群众团体", '9': "其他"}},
	'2': {"外交", map[byte]string{'1': "外国常住新闻机构", '9': "其他"}},
	'3': {"司法行政", map[byte]string{'1': "律师执业机构", '2': "公证处", '3': "基层法律服务所", '4': "司法鉴定机构", '5': "仲裁委员会", '9': "其他"}},
	'4': {"文化", map[byte]string{'1': "外国在华文化中心", '9': "其他"}},
	'5': {"民政", map[byte]string{'1': "社会团体", '2': "民办非企业单位", '3': "基金会", '9': "其他"}},
	'6': {"旅游", map[byte]string{'1': "外国旅游部门常驻代表机构", '2': "港澳台地区旅游部门常驻内地（大陆）代表机构", '9': "其他"}},
	'7': {"宗教", map[byte]string{'1': "宗教活动场所", '2': "宗教院校", '9': "其他"}},
	'8': {"工会", map[byte]string{'1': "基层工会", '9': "其他"}},
	'9': {"工商/市场监管", map[byte]string{'1': "企业", '2': "个体工商户", '3': "农民专业合作社"}},
	'A': {"中央军委改革和编制办公室", map[byte]string{'1': "军队事业单位", '9': "其他"}},
	'N': {"农业", map[byte]string{'1': "组级集体经济组织", '2': "村级集体经济组织", '3': "乡镇级集体经济组织", '9': "其他"}},
	'Y': {"其他", map[byte]string{'1': "其他"}},
}

// authorityNames returns the names of a registration authority code and of
// an organisation category under it; each is "" when unknown.
func authorityNames(authority, category byte) (authName, catName string) {
	a, ok := authorities[authority]
	if !ok {
		return "", ""
	}
	return a.name, a.categories[category]
}

// AuthorityName returns the Chinese name of a USCC registration authority
// code (position 1), e.g. '5' → "民政", or "" if the code is unknown.
func AuthorityName(code byte) string {
	return authorities[code].name
}
