package fakeregion

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/xml"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// The wire of the simulated SOAP region.
const (
	SOAPPath      = "/ws/SealService"
	SOAPNamespace = "http://seal.example.gov.cn/ws"
	SOAPOperation = "QuerySealStatus"
	SOAPAction    = SOAPNamespace + "/" + SOAPOperation
)

// The result codes of the simulated SOAP region (return/resultCode).
const (
	SOAPCodeOK       = "0"
	SOAPCodeError    = "1" // 系统繁忙: the region failing
	SOAPCodeNotFound = "2"
	SOAPCodeAuth     = "3" // unknown account
)

// SOAPCodes are the region's status codes (return/sealStatus), from sealhub's statuses.
var SOAPCodes = map[string]string{"valid": "1", "suspended": "2", "revoked": "3", "invalidated": "4"}

const (
	soapEnvNS      = "http://schemas.xmlsoap.org/soap/envelope/"
	soapWSSENS     = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	soapDigestType = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"
)

// SOAPOptions configure a simulated SOAP region.
type SOAPOptions struct {
	Username string
	Password string
	// Skew is how far wsu:Created may be from Now (default 5 min).
	Skew time.Duration
	// Seed makes the faults drawn reproducible.
	Seed   uint64
	Now    func() time.Time // default time.Now
	Faults Faults
	// GBK: the region's own replies are encoded in GBK and declared encoding="GBK".
	GBK bool
}

// SOAP is a simulated region speaking SOAP 1.1 at POST SOAPPath: the envelope's Header carries a
// WS-Security UsernameToken whose password digest is Base64(SM3(nonce ‖ created ‖ password)), the
// Body a <QuerySealStatus xmlns=SOAPNamespace><sealCode>…</sealCode></QuerySealStatus>. Replies
// look like <ns2:QuerySealStatusResponse xmlns:ns2=SOAPNamespace><return><resultCode>0</resultCode>
// <resultMsg>成功</resultMsg><sealStatus>1</sealStatus><statusTime>2006-01-02 15:04:05</statusTime>
// </return></ns2:QuerySealStatusResponse>. An unknown username is answered with SOAPCodeAuth; a
// wrong digest, a replayed nonce or a stale Created with an HTTP 500 WS-Security fault; a wrong
// SOAPAction or envelope with an HTTP 500 soap:Client fault. It is safe for concurrent use.
type SOAP struct {
	sim
	o      SOAPOptions
	nonces map[string]time.Time
}

// NewSOAP returns a region with no seals.
func NewSOAP(o SOAPOptions) *SOAP {
	if o.Skew <= 0 {
		o.Skew = 5 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &SOAP{sim: newSim(o.Seed, o.Faults, o.Now), o: o, nonces: map[string]time.Time{}}
}

// soapRequest is the part of a request envelope the region reads.
type soapRequest struct {
	XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
	Header  struct {
		Security struct {
			Token soapToken `xml:"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd UsernameToken"`
		} `xml:"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd Security"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Header"`
	Body struct {
		Op *struct {
			SealCode string `xml:"sealCode"`
		} `xml:"http://seal.example.gov.cn/ws QuerySealStatus"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body"`
}

type soapToken struct {
	Username string `xml:"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd Username"`
	Password struct {
		Type   string `xml:"Type,attr"`
		Digest string `xml:",chardata"`
	} `xml:"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd Password"`
	Nonce   string `xml:"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd Nonce"`
	Created string `xml:"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd Created"`
}

// ServeHTTP answers one status query.
func (s *SOAP) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	f, fault := s.draw()
	// Read the request first: the server notices the client going away (and cancels the request's
	// context) only once the body has been read.
	body, rerr := io.ReadAll(http.MaxBytesReader(w, req.Body, 64<<10))
	if !wait(req, f.Latency) {
		return
	}
	if req.URL.Path != SOAPPath {
		http.NotFound(w, req)
		return
	}
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	if mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); mt != "text/xml" {
		http.Error(w, "SOAP 1.1 wants text/xml", http.StatusUnsupportedMediaType)
		return
	}
	if rerr != nil {
		soapFault(w, "soap:Client", "请求读取失败")
		return
	}
	if strings.Trim(req.Header.Get("SOAPAction"), `"`) != SOAPAction {
		soapFault(w, "soap:Client", "SOAPAction不匹配")
		return
	}
	var env soapRequest
	if err := xml.Unmarshal(body, &env); err != nil || env.Body.Op == nil {
		soapFault(w, "soap:Client", "报文格式错误或未知操作")
		return
	}
	if s.unknownUser(env.Header.Security.Token) {
		s.reply(w, req, faultNone, soapReturn(SOAPCodeAuth, "用户不存在", nil), f.DripEvery)
		return
	}
	if code, msg := s.authenticate(env.Header.Security.Token); code != "" {
		soapFault(w, code, msg)
		return
	}
	switch fault {
	case faultError:
		soapFault(w, "soap:Server", "系统繁忙")
		return
	case faultAuth:
		soapFault(w, "wsse:FailedAuthentication", "用户名或密码摘要验证失败")
		return
	}
	raw, isRaw, st, ok := s.lookup(env.Body.Op.SealCode)
	switch {
	case isRaw:
		serve(w, req, fault, raw, s.contentType(), garbleSOAP, f.DripEvery)
	case !ok:
		s.reply(w, req, fault, soapReturn(SOAPCodeNotFound, "印章不存在", nil), f.DripEvery)
	default:
		s.reply(w, req, fault, soapReturn(SOAPCodeOK, "成功", &st), f.DripEvery)
	}
}

func (s *SOAP) contentType() string {
	if s.o.GBK {
		return "text/xml; charset=GBK"
	}
	return "text/xml; charset=utf-8"
}

// reply wraps a <return> in the response envelope, in GBK when the region speaks it, and serves
// it the way the fault says.
func (s *SOAP) reply(w http.ResponseWriter, req *http.Request, f fault, ret string, every time.Duration) {
	decl := `<?xml version="1.0" encoding="UTF-8"?>`
	if s.o.GBK {
		decl = `<?xml version="1.0" encoding="GBK"?>`
	}
	body := []byte(decl + `<soap:Envelope xmlns:soap="` + soapEnvNS + `"><soap:Body>` +
		`<ns2:` + SOAPOperation + `Response xmlns:ns2="` + SOAPNamespace + `">` + ret +
		`</ns2:` + SOAPOperation + `Response></soap:Body></soap:Envelope>`)
	if s.o.GBK {
		// Characters GBK lacks go out as character references, which XML reads back.
		body, _ = encoding.HTMLEscapeUnsupported(simplifiedchinese.GBK.NewEncoder()).Bytes(body)
	}
	serve(w, req, f, body, s.contentType(), garbleSOAP, every)
}

// soapReturn is the <return> element: the result, and the seal's status when st is not nil.
func soapReturn(code, msg string, st *seal) string {
	var b bytes.Buffer
	b.WriteString("<return><resultCode>" + code + "</resultCode><resultMsg>" + msg + "</resultMsg>")
	if st != nil {
		status := string(st.status)
		if c, known := SOAPCodes[status]; known {
			status = c
		}
		b.WriteString("<sealStatus>")
		_ = xml.EscapeText(&b, []byte(status))
		b.WriteString("</sealStatus>")
		if !st.effective.IsZero() {
			b.WriteString("<statusTime>" + st.effective.In(chinaTime).Format("2006-01-02 15:04:05") + "</statusTime>")
		}
	}
	b.WriteString("</return>")
	return b.String()
}

// unknownUser: the token names another account than the region's.
func (s *SOAP) unknownUser(t soapToken) bool {
	return t.Username != "" && t.Username != s.o.Username
}

// authenticate checks the UsernameToken: its digest type, Created within Skew, the digest, and a
// nonce not seen within Skew. It returns the refusal's faultcode and faultstring, or "".
func (s *SOAP) authenticate(t soapToken) (faultCode, msg string) {
	if t.Username == "" {
		return "wsse:InvalidSecurity", "缺少WS-Security用户名令牌"
	}
	if strings.TrimSpace(t.Password.Type) != soapDigestType {
		return "wsse:UnsupportedSecurityToken", "只接受密码摘要"
	}
	now := s.o.Now()
	created, err := time.Parse(time.RFC3339, t.Created)
	if err != nil || now.Sub(created).Abs() > s.o.Skew {
		return "wsse:MessageExpired", "Created时间超出允许范围"
	}
	nonce, err := base64.StdEncoding.DecodeString(t.Nonce)
	got, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(t.Password.Digest))
	h := sm3.New()
	h.Write(nonce)
	h.Write([]byte(t.Created))
	h.Write([]byte(s.o.Password))
	if err != nil || derr != nil || len(nonce) == 0 || subtle.ConstantTimeCompare(got, h.Sum(nil)) != 1 {
		return "wsse:FailedAuthentication", "用户名或密码摘要验证失败"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for n, at := range s.nonces {
		if now.Sub(at) > s.o.Skew {
			delete(s.nonces, n)
		}
	}
	if _, seen := s.nonces[t.Nonce]; seen {
		return "wsse:FailedAuthentication", "Nonce重复使用"
	}
	s.nonces[t.Nonce] = now
	return "", ""
}

// soapFault answers HTTP 500 with a SOAP 1.1 fault.
func soapFault(w http.ResponseWriter, code, msg string) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="` + soapEnvNS +
		`" xmlns:wsse="` + soapWSSENS + `"><soap:Body><soap:Fault><faultcode>` + code + `</faultcode><faultstring>`)
	_ = xml.EscapeText(&b, []byte(msg))
	b.WriteString(`</faultstring></soap:Fault></soap:Body></soap:Envelope>`)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write(b.Bytes())
}

// garbleSOAP makes a reply that does not parse: it opens elements it never closes.
func garbleSOAP(body []byte) []byte {
	return append([]byte(`<soap:Envelope xmlns:soap="`+soapEnvNS+`"><soap:Body><ns2:`+SOAPOperation+
		`Response xmlns:ns2="`+SOAPNamespace+`"><return><sealStatus>`), body...)
}
