package rest

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/sealhub/sealhub/trustlist"
)

// DefaultMaxBody bounds a region's reply when Config.MaxBody is zero.
const DefaultMaxBody = 1 << 20

// DefaultTimeLayout is the layout of effective times when Config.TimeLayout is empty: the
// "yyyy-MM-dd HH:mm:ss" most government platforms use, read in China Standard Time.
const DefaultTimeLayout = "2006-01-02 15:04:05"

// chinaTime is UTC+8 without a tzdata lookup.
var chinaTime = time.FixedZone("CST", 8*60*60)

// Fields say where in a JSON reply each value lives, as dotted paths ("data.sealStatus").
type Fields struct {
	Code        string // the result code ("code"); required
	Message     string // the result message ("msg"); optional, quoted in errors
	Status      string // the seal's status code ("data.sealStatus"); required
	EffectiveAt string // when the status took effect ("data.statusTime"); optional
}

// Config is one region's REST/JSON status service.
type Config struct {
	// Endpoint is the base URL, e.g. "https://seal.example.gov.cn/gateway".
	Endpoint string
	// AppKey and AppSecret are the credentials the region issued; the secret keys the HMAC-SM3.
	AppKey    string
	AppSecret string
	// Path is appended to Endpoint; "{code}" is replaced by the escaped seal code, e.g.
	// "/api/seal/status?sealCode={code}".
	Path   string
	Fields Fields
	// Statuses maps the region's status codes to sealhub's: valid, suspended, revoked, invalidated.
	Statuses map[string]trustlist.Status
	// SuccessCodes, NotFoundCodes and AuthCodes are the result codes meaning a status follows, the
	// region knows no such seal, and the region refused the credentials (signature, key, clock).
	// Any other code is the region failing.
	SuccessCodes  []string
	NotFoundCodes []string
	AuthCodes     []string
	// TimeLayout and Location read effective times (default DefaultTimeLayout in UTC+8).
	TimeLayout string
	Location   *time.Location
	// MaxBody bounds the reply (default DefaultMaxBody).
	MaxBody int64
	// Now stamps CheckedAt and the signature timestamp (default time.Now).
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
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("rest: "+format, a...)) }
	if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("endpoint %q is not an http(s) URL with a host", c.Endpoint)
	} else if u.RawQuery != "" || u.Fragment != "" {
		bad("endpoint %q must not have a query or fragment; put it in the path template", c.Endpoint)
	}
	if c.AppKey == "" {
		bad("app key is empty")
	}
	if c.AppSecret == "" {
		bad("app secret is empty")
	}
	if !strings.HasPrefix(c.Path, "/") || strings.Count(c.Path, "{code}") != 1 {
		bad("path template %q must start with / and hold {code} once", c.Path)
	}
	if c.Fields.Code == "" || c.Fields.Status == "" {
		bad("the fields of the result code and of the status are required")
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
	seen := map[string]string{}
	for _, k := range []struct {
		kind  string
		codes []string
	}{{"success", c.SuccessCodes}, {"not-found", c.NotFoundCodes}, {"auth", c.AuthCodes}} {
		for _, code := range k.codes {
			if other, ok := seen[code]; ok && other != k.kind {
				bad("result code %q is both %s and %s", code, other, k.kind)
			}
			seen[code] = k.kind
		}
	}
	if c.MaxBody < 0 {
		bad("max body %d is negative", c.MaxBody)
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
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
