package soap

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/sealhub/sealhub/trustlist"
)

// DefaultMaxBody bounds a region's reply when Config.MaxBody is zero.
const DefaultMaxBody = 1 << 20

// DefaultTimeLayout is the layout of effective times when Config.TimeLayout is empty: the
// "yyyy-MM-dd HH:mm:ss" most government platforms use, read in China Standard Time.
const DefaultTimeLayout = "2006-01-02 15:04:05"

// DefaultCodeElement is the request element carrying the seal code when Config.CodeElement is empty.
const DefaultCodeElement = "sealCode"

// chinaTime is UTC+8 without a tzdata lookup.
var chinaTime = time.FixedZone("CST", 8*60*60)

// Fields say where in the operation's response element each value lives, as paths of local names
// separated by "/" ("return/sealStatus"). A step matches an element of that local name in no
// namespace or in the region's namespace, whatever its prefix.
type Fields struct {
	Code        string // the result code ("return/resultCode"); required
	Message     string // the result message ("return/resultMsg"); optional, quoted in errors
	Status      string // the seal's status code ("return/sealStatus"); required
	EffectiveAt string // when the status took effect ("return/statusTime"); optional
}

// Config is one region's SOAP 1.1 status service.
type Config struct {
	// Endpoint is the service URL the envelope is POSTed to, e.g.
	// "https://seal.example.gov.cn/ws/SealService".
	Endpoint string
	// Username and Password are the account the region issued, sent as a WS-Security
	// UsernameToken with an SM3 password digest (see PasswordDigest).
	Username string
	Password string
	// Namespace is the service's target namespace, e.g. "http://seal.example.gov.cn/ws"; the
	// operation element is sent in it and the response element must come back in it.
	Namespace string
	// Operation is the request element's local name, e.g. "QuerySealStatus".
	Operation string
	// Response is the response element's local name (default Operation + "Response").
	Response string
	// SOAPAction is the SOAPAction header, sent quoted (default Namespace + "/" + Operation).
	SOAPAction string
	// CodeElement is the local name of the operation's child carrying the seal code (default
	// DefaultCodeElement).
	CodeElement string
	Fields      Fields
	// Statuses maps the region's status codes to sealhub's: valid, suspended, revoked, invalidated.
	Statuses map[string]trustlist.Status
	// SuccessCodes, NotFoundCodes and AuthCodes are the result codes meaning a status follows, the
	// region knows no such seal, and the region refused the account. Any other code is the region
	// failing.
	SuccessCodes  []string
	NotFoundCodes []string
	AuthCodes     []string
	// TimeLayout and Location read effective times (default DefaultTimeLayout in UTC+8); "unix"
	// and "unixms" read epoch seconds and milliseconds.
	TimeLayout string
	Location   *time.Location
	// MaxBody bounds the reply (default DefaultMaxBody).
	MaxBody int64
	// Now stamps CheckedAt and the UsernameToken's Created (default time.Now).
	Now func() time.Time
}

// regionStatuses are the statuses a region may report; expiry and not-yet-valid come from the
// seal's validity period, never from a region.
var regionStatuses = map[trustlist.Status]bool{
	trustlist.StatusValid: true, trustlist.StatusSuspended: true,
	trustlist.StatusRevoked: true, trustlist.StatusInvalidated: true,
}

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("soap: "+format, a...)) }
	if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("endpoint %q is not an http(s) URL with a host", c.Endpoint)
	} else if u.Fragment != "" {
		bad("endpoint %q must not have a fragment", c.Endpoint)
	}
	if c.Username == "" {
		bad("username is empty")
	}
	if c.Password == "" {
		bad("password is empty")
	}
	if u, err := url.Parse(c.Namespace); err != nil || u.Scheme == "" {
		bad("namespace %q is not an absolute URI", c.Namespace)
	}
	for _, n := range []struct{ what, v string }{{"operation", c.Operation}, {"response", c.Response}, {"code element", c.CodeElement}} {
		if (n.v != "" || n.what == "operation") && !ncName(n.v) {
			bad("%s %q is not an XML local name", n.what, n.v)
		}
	}
	if strings.ContainsFunc(c.SOAPAction, func(r rune) bool { return r == '"' || unicode.IsControl(r) }) {
		bad("SOAPAction %q holds a quote or a control character", c.SOAPAction)
	}
	if c.Fields.Code == "" || c.Fields.Status == "" {
		bad("the fields of the result code and of the status are required")
	}
	for _, p := range []string{c.Fields.Code, c.Fields.Message, c.Fields.Status, c.Fields.EffectiveAt} {
		if p != "" && !validPath(p) {
			bad("field path %q: want local names separated by /, without prefixes", p)
		}
	}
	if len(c.Statuses) == 0 {
		bad("no status-code mapping")
	}
	for code, s := range c.Statuses {
		if !regionStatuses[s] {
			bad("status code %q maps to %q; want valid, suspended, revoked or invalidated", code, s)
		}
	}
	if len(c.SuccessCodes) == 0 {
		bad("no success result code")
	}
	errs = append(errs, overlaps(c.SuccessCodes, c.NotFoundCodes, c.AuthCodes)...)
	if c.MaxBody < 0 {
		bad("max body %d is negative", c.MaxBody)
	}
	return errors.Join(errs...)
}

// overlaps reports result codes listed under two meanings.
func overlaps(success, notFound, auth []string) []error {
	var errs []error
	seen := map[string]string{}
	for _, k := range []struct {
		kind  string
		codes []string
	}{{"success", success}, {"not-found", notFound}, {"auth", auth}} {
		for _, code := range k.codes {
			if other, ok := seen[code]; ok && other != k.kind {
				errs = append(errs, fmt.Errorf("soap: result code %q is both %s and %s", code, other, k.kind))
			}
			seen[code] = k.kind
		}
	}
	return errs
}

func (c Config) withDefaults() Config {
	if c.Response == "" {
		c.Response = c.Operation + "Response"
	}
	if c.SOAPAction == "" {
		c.SOAPAction = strings.TrimSuffix(c.Namespace, "/") + "/" + c.Operation
	}
	if c.CodeElement == "" {
		c.CodeElement = DefaultCodeElement
	}
	if c.TimeLayout == "" {
		c.TimeLayout = DefaultTimeLayout
	}
	if c.Location == nil {
		c.Location = chinaTime
	}
	if c.MaxBody == 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// validPath: local names separated by "/".
func validPath(p string) bool {
	for step := range strings.SplitSeq(p, "/") {
		if !ncName(step) {
			return false
		}
	}
	return true
}

// ncName reports whether s is an XML name without a colon (letters, digits, '_', '-', '.', not
// starting with a digit, '-' or '.').
func ncName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || unicode.IsLetter(r):
		case i > 0 && (r == '-' || r == '.' || unicode.IsDigit(r)):
		default:
			return false
		}
	}
	return true
}
