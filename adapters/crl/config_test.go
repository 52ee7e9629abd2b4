package crl

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/trustlist"
)

func TestConfigValidate(t *testing.T) {
	cases := map[string]struct {
		edit func(*Config)
		want string
	}{
		"no endpoint":    {func(c *Config) { c.Endpoint = "" }, "endpoint"},
		"endpoint query": {func(c *Config) { c.Endpoint = "https://x/?a=1" }, "query"},
		"no issuer":      {func(c *Config) { c.Issuer = "" }, "issuer"},
		"no keys":        {func(c *Config) { c.PublicKeys = nil }, "no public key"},
		"bad key": {func(c *Config) {
			c.PublicKeys = map[string]string{"k": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"}
		}, `public key "k"`},
		"empty key id":     {func(c *Config) { c.PublicKeys = map[string]string{"": c.PublicKeys[testKeyID]} }, "empty key id"},
		"no statuses":      {func(c *Config) { c.Statuses = nil }, "status-code"},
		"expired status":   {func(c *Config) { c.Statuses = map[string]trustlist.Status{"x": trustlist.StatusExpired} }, `"x"`},
		"negative refresh": {func(c *Config) { c.Refresh = -time.Second }, "refresh"},
		"negative grace":   {func(c *Config) { c.Grace = -time.Second }, "grace"},
		"negative body":    {func(c *Config) { c.MaxBody = -1 }, "max body"},
	}
	good := Config{Endpoint: "https://crl.example.gov.cn/api", Issuer: "37",
		PublicKeys: map[string]string{testKeyID: publicPEM(t, testKey(t))}, Statuses: testStatuses}
	if _, err := New(good, nil); err != nil {
		t.Fatal(err)
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := good
			c.PublicKeys = maps.Clone(good.PublicKeys)
			tc.edit(&c)
			_, err := New(c, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error about %s", err, tc.want)
			}
		})
	}
}
