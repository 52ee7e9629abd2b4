package seed

import (
	"fmt"
	"math/rand/v2"

	"github.com/sealhub/sealhub/internal/ledger"
	"github.com/sealhub/sealhub/trustlist/sealcode"
)

// place is a GB/T 2260 division and its name.
type place struct {
	code string // 6 digits
	name string // 济南市历下区
	city string // the city's short name for company names: 济南
}

// shandong are divisions of Shandong (37), where registry 37 files seals.
var shandong = []place{
	{"370100", "济南市", "济南"}, {"370102", "济南市历下区", "济南"}, {"370103", "济南市市中区", "济南"},
	{"370104", "济南市槐荫区", "济南"}, {"370105", "济南市天桥区", "济南"}, {"370112", "济南市历城区", "济南"},
	{"370200", "青岛市", "青岛"}, {"370202", "青岛市市南区", "青岛"}, {"370203", "青岛市市北区", "青岛"},
	{"370211", "青岛市黄岛区", "青岛"}, {"370212", "青岛市崂山区", "青岛"}, {"370213", "青岛市李沧区", "青岛"},
	{"370302", "淄博市淄川区", "淄博"}, {"370303", "淄博市张店区", "淄博"}, {"370306", "淄博市周村区", "淄博"},
	{"370402", "枣庄市市中区", "枣庄"}, {"370502", "东营市东营区", "东营"}, {"370602", "烟台市芝罘区", "烟台"},
	{"370702", "潍坊市潍城区", "潍坊"}, {"370705", "潍坊市奎文区", "潍坊"}, {"370811", "济宁市任城区", "济宁"},
	{"370902", "泰安市泰山区", "泰安"}, {"371002", "威海市环翠区", "威海"}, {"371102", "日照市东港区", "日照"},
	{"371302", "临沂市兰山区", "临沂"}, {"371402", "德州市德城区", "德州"}, {"371502", "聊城市东昌府区", "聊城"},
	{"371602", "滨州市滨城区", "滨州"}, {"371702", "菏泽市牡丹区", "菏泽"},
}

// taxPlaces are where the tax registry's bureaus sit: all over the country, Shandong included.
var taxPlaces = []place{
	{"110000", "北京市", "北京"}, {"110105", "北京市朝阳区", "北京"}, {"110108", "北京市海淀区", "北京"},
	{"310000", "上海市", "上海"}, {"310104", "上海市徐汇区", "上海"}, {"310115", "上海市浦东新区", "上海"},
	{"320102", "南京市玄武区", "南京"}, {"330106", "杭州市西湖区", "杭州"}, {"420106", "武汉市武昌区", "武汉"},
	{"440106", "广州市天河区", "广州"}, {"440305", "深圳市南山区", "深圳"}, {"510104", "成都市锦江区", "成都"},
	{"370000", "山东省", "济南"}, {"370102", "济南市历下区", "济南"}, {"370202", "青岛市市南区", "青岛"},
}

// sealKind is one kind of seal an owner may hold: its type code (公安 table) and the suffix of its
// name after the owner's name.
type sealKind struct {
	typ    int
	suffix string
}

var (
	official  = sealKind{ledger.TypeOfficial, ""}
	finance   = sealKind{ledger.TypeFinance, "财务专用章"}
	invoice   = sealKind{ledger.TypeInvoice, "发票专用章"}
	contract  = sealKind{ledger.TypeContract, "合同专用章"}
	business  = sealKind{ledger.TypeOther, "业务专用章"}
	landReg   = sealKind{ledger.TypeOther, "不动产登记专用章"}
	approval  = sealKind{ledger.TypeOther, "行政审批专用章"}
	taxOffice = sealKind{ledger.TypeOther, "第一税务所(办税服务厅)业务专用章"}
)

// ownerKind is a kind of organisation: its USCC registration authority and category, the names it
// may have (formats taking the place name; nil: a company name), and the seals such an organisation
// holds, official seal first.
type ownerKind struct {
	authority, category byte
	names               []string
	seals               []sealKind
}

// provinceKinds are the organisations whose seals a provincial registry files.
var provinceKinds = []ownerKind{
	{'1', '1', []string{"%s人民政府", "%s市场监督管理局", "%s人力资源和社会保障局", "%s住房和城乡建设局", "%s教育和体育局",
		"%s民政局", "%s财政局", "%s农业农村局", "%s卫生健康局", "%s文化和旅游局"}, []sealKind{official, finance, business}},
	{'1', '1', []string{"%s自然资源局"}, []sealKind{official, landReg, finance}},
	{'1', '1', []string{"%s行政审批服务局"}, []sealKind{official, approval}},
	{'1', '2', []string{"%s人民医院", "%s不动产登记中心", "%s公共资源交易中心", "%s第一中学", "%s实验小学", "%s社会保险事业中心"},
		[]sealKind{official, finance, contract}},
	{'9', '1', nil, []sealKind{official, contract, finance, invoice}},
	{'9', '1', nil, []sealKind{official, contract, finance, invoice}}, // companies are common
}

// taxKinds are the tax bureaus whose seals the tax system makes itself.
var taxKinds = []ownerKind{{'1', '1', []string{"国家税务总局%s税务局"}, taxSeals}}

var taxSeals = func() []sealKind {
	ks := []sealKind{official, finance, business}
	for _, n := range []string{"一", "二", "三", "四", "五", "六", "七", "八"} {
		ks = append(ks, sealKind{ledger.TypeOther, "第" + n + "税务所(办税服务厅)业务专用章"})
	}
	return ks
}()

var (
	companyWords    = []string{"瑞丰", "金桥", "恒泰", "海联", "泰和", "宏远", "鼎盛", "嘉禾", "正通", "信达", "华岳", "民安"}
	companyTrades   = []string{"信息技术", "建设工程", "商贸", "物流", "食品", "机械制造", "医药", "建材", "农业发展", "环保科技"}
	companySuffixes = []string{"有限公司", "有限公司", "有限责任公司", "股份有限公司"}
)

// name makes the name of an organisation of kind k in p.
func (k ownerKind) name(r *rand.Rand, p place) string {
	if k.names == nil {
		return p.city + pick(r, companyWords) + pick(r, companyTrades) + pick(r, companySuffixes)
	}
	return fmt.Sprintf(pick(r, k.names), p.name)
}

// owner is an organisation that holds seals, and how many of its seal kinds are taken.
type owner struct {
	name, uscc string
	place      place
	seals      []sealKind
	used       int
}

// owners hands out organisations, each with one 统一社会信用代码 however often it comes up.
type owners struct {
	r      *rand.Rand
	places []place
	kinds  []ownerKind
	byName map[string]*owner
}

func newOwners(r *rand.Rand, places []place, kinds []ownerKind) *owners {
	return &owners{r: r, places: places, kinds: kinds, byName: map[string]*owner{}}
}

// next picks an organisation and the kind of its next seal. After a few organisations that hold
// every kind already, it lets one have a second seal of a kind (large demos run out of names).
func (w *owners) next() (*owner, sealKind, error) {
	for try := 0; ; try++ {
		p, k := pick(w.r, w.places), pick(w.r, w.kinds)
		name := k.name(w.r, p)
		o, ok := w.byName[name]
		if !ok {
			u, err := newUSCC(w.r, k.authority, k.category, p.code)
			if err != nil {
				return nil, sealKind{}, err
			}
			o = &owner{name: name, uscc: u, place: p, seals: k.seals}
			w.byName[name] = o
		}
		if o.used < len(o.seals) {
			o.used++
			return o, o.seals[o.used-1], nil
		}
		if try >= 20 {
			return o, pick(w.r, o.seals), nil
		}
	}
}

// usccChars are the characters of a 统一社会信用代码 (GB 32100: no I, O, S, V, Z).
const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// newUSCC makes a valid 统一社会信用代码: authority and category, the division, an organisation
// code (MB… for public bodies, MA… for companies, as issued since 2015) with its check character,
// and the check character of the whole code.
func newUSCC(r *rand.Rand, authority, category byte, division string) (string, error) {
	body := []byte("MB")
	if authority == '9' {
		body = []byte("MA")
	}
	for len(body) < 8 {
		body = append(body, usccChars[r.IntN(len(usccChars))])
	}
	orgCheck, err := sealcode.ComputeOrgCodeCheck(string(body))
	if err != nil {
		return "", err
	}
	first17 := string([]byte{authority, category}) + division + string(body) + string(orgCheck)
	check, err := sealcode.ComputeUSCCCheck(first17)
	if err != nil {
		return "", err
	}
	return first17 + string(check), nil
}

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// codes hands out seal codes: division + an 8-digit sequence that counts up per division from a
// random start, so codes never repeat across registries.
type codes struct {
	r    *rand.Rand
	next map[string]int
}

func newCodes(r *rand.Rand) *codes { return &codes{r: r, next: map[string]int{}} }

func (c *codes) code(division string) string {
	n, ok := c.next[division]
	if !ok {
		n = 1 + c.r.IntN(4000)
	}
	c.next[division] = n + 1 + c.r.IntN(5)
	return fmt.Sprintf("%s%08d", division, n)
}
