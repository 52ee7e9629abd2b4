package signedjson

import (
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	"github.com/sealhub/sealhub/trustlist"
)

// Defaults of Config.
const (
	// DefaultPath is the status route when Config.Path is empty.
	DefaultPath = "/api/v2/seals/{code}/status"
	// DefaultUID is the SM2 user id (ZA) of GM/T 0009 when Config.UID is empty.
	DefaultUID = "1234567812345678"
	// DefaultMaxBody bounds a region's reply when Config.MaxBody is zero.
	DefaultMaxBody = 1 << 20
	// DefaultFeedLimit is how many changes one feed page asks for when Config.FeedLimit is zero.
	DefaultFeedLimit = 500
	// MaxFeedLimit bounds Config.FeedLimit.
	MaxFeedLimit = 10_000
)

// defaultStatuses map the region's statuses to sealhub's when Config.Statuses is empty: the
// region speaks sealhub's names.
var defaultStatuses = map[string]trustlist.Status{
	"valid": trustlist.StatusValid, "suspended": trustlist.StatusSuspended,
	"revoked": trustlist.StatusRevoked, "invalidated": trustlist.StatusInvalidated,
}

// regionStatuses are the statuses a region may report; expiry and not-yet-valid come from the
// seal's validity period, never from a region.
var regionStatuses = map[trustlist.Status]bool{
	trustlist.StatusValid: true, trustlist.StatusSuspended: true,
	trustlist.StatusRevoked: true, trustlist.StatusInvalidated: true,
}

// Config is one region's SM2-signed JSON status service.
type Config struct {
	// Endpoint is the base URL, e.g. "https://seal.example.gov.cn/gateway".
	Endpoint string
	// Path is appended to Endpoint; "{code}" is replaced by the escaped seal code (default
	// DefaultPath). The request's nonce is added to its query.
	Path string
	// PublicKeys are the region's SM2 reply-signing keys (PEM "PUBLIC KEY", SubjectPublicKeyInfo)
	// by key id (16 hex digits). They are not secret. Several allow a key rotation: a reply is
	// checked with the key its keyId names.
	PublicKeys map[string]string
	// Statuses maps the region's status names to sealhub's: valid, suspended, revoked,
	// invalidated (default: the identity over those four).
	Statuses map[string]trustlist.Status
	// UID is the SM2 user id the region signs with (default DefaultUID).
	UID string
	// APIKey, when set, is sent as the X-Api-Key header: the region's credential for sealhub.
	APIKey string
	// FeedLimit is how many changes one feed page asks for (default DefaultFeedLimit).
	FeedLimit int
	// MaxBody bounds every reply (default DefaultMaxBody).
	MaxBody int64
	// Now stamps CheckedAt when the region's payload does not (default time.Now).
	Now func() time.Time
	// Nonce makes the nonce of each request (default 16 random bytes in hex). Tests fix it to
	// replay recorded replies; nothing else should.
	Nonce func() string
}

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("signed-json: "+format, a...)) }
	if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("endpoint %q is not an http(s) URL with a host", c.Endpoint)
	} else if u.RawQuery != "" || u.Fragment != "" {
		bad("endpoint %q must not have a query or fragment; put it in the path template", c.Endpoint)
	}
	if c.Path != "" && (!strings.HasPrefix(c.Path, "/") || strings.Count(c.Path, "{code}") != 1 || strings.Contains(c.Path, "#")) {
		bad("path template %q must start with / and hold {code} once", c.Path)
	}
	if len(c.PublicKeys) == 0 {
		bad("no public key to check the region's replies with")
	}
	if _, kerrs := parseKeys(c.PublicKeys); len(kerrs) > 0 {
		errs = append(errs, kerrs...)
	}
	for name, s := range c.Statuses {
		if !regionStatuses[s] {
			bad("status %q maps to %q; want valid, suspended, revoked or invalidated", name, s)
		}
	}
	if len(c.UID) >= 1<<13 {
		bad("user id of %d bytes is too long for SM2 (at most 8191)", len(c.UID))
	}
	if strings.ContainsAny(c.APIKey, "\r\n") {
		bad("API key holds a line break")
	}
	if c.FeedLimit < 0 || c.FeedLimit > MaxFeedLimit {
		bad("feed limit %d is not within 0..%d", c.FeedLimit, MaxFeedLimit)
	}
	if c.MaxBody < 0 {
		bad("max body %d is negative", c.MaxBody)
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if len(c.Statuses) == 0 {
		c.Statuses = defaultStatuses
	}
	c.Statuses = maps.Clone(c.Statuses)
	if c.UID == "" {
		c.UID = DefaultUID
	}
	if c.FeedLimit == 0 {
		c.FeedLimit = DefaultFeedLimit
	}
	if c.MaxBody == 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Nonce == nil {
		c.Nonce = newNonce
	}
	return c
}

// parseKeys reads the public keys by key id (lower-cased), with every problem found.
func parseKeys(pems map[string]string) (map[string]*ecdsa.PublicKey, []error) {
	keys := make(map[string]*ecdsa.PublicKey, len(pems))
	var errs []error
	for id, p := range pems {
		if !validKeyID(id) {
			errs = append(errs, fmt.Errorf("signed-json: key id %q is not 16 hex digits", id))
			continue
		}
		pub, err := ParsePublicKey([]byte(p))
		if err != nil {
			errs = append(errs, fmt.Errorf("signed-json: key %s: %w", id, err))
			continue
		}
		lid := strings.ToLower(id)
		if _, dup := keys[lid]; dup {
			errs = append(errs, fmt.Errorf("signed-json: key id %s is given twice", lid))
		}
		keys[lid] = pub
	}
	return keys, errs
}

// validKeyID: 16 hex digits.
func validKeyID(id string) bool {
	if len(id) != 16 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

// ParsePublicKey reads one SM2 public key from PEM ("PUBLIC KEY", a SubjectPublicKeyInfo), with
// nothing but white space around it.
func ParsePublicKey(pemText []byte) (*ecdsa.PublicKey, error) {
	block, rest := pem.Decode(pemText)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("not a PEM PUBLIC KEY block")
	}
	if len(strings.TrimSpace(string(rest))) != 0 {
		return nil, errors.New("data after the PEM PUBLIC KEY block")
	}
	key, err := smx509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	if !sm2.IsSM2PublicKey(key) {
		return nil, fmt.Errorf("public key is a %T, not an SM2 key", key)
	}
	return key.(*ecdsa.PublicKey), nil
}
