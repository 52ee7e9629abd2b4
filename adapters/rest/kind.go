package rest

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/trustlist"
)

// KindName is the adapter kind's name in a registry's adapter configuration.
const KindName = "rest"

// replicated is the REST adapter's part of a registry's adapter configuration, as the administrator
// sets it in the trust list: everything but the secrets, which each node holds as credentials
// (fields app_key and app_secret).
type replicated struct {
	adapters.Config
	Endpoint string `json:"endpoint"`
	Path     string `json:"path"`
	Fields   struct {
		Code        string `json:"code"`
		Message     string `json:"message"`
		Status      string `json:"status"`
		EffectiveAt string `json:"effective_at"`
	} `json:"fields"`
	Statuses      map[string]trustlist.Status `json:"statuses"`
	SuccessCodes  []string                    `json:"success_codes"`
	NotFoundCodes []string                    `json:"not_found_codes"`
	AuthCodes     []string                    `json:"auth_codes"`
	TimeLayout    string                      `json:"time_layout"`
	TimeZone      string                      `json:"time_zone"` // IANA name or "+08:00"; default UTC+8
}

// Kind builds a REST source from a registry's adapter configuration and the node's credentials;
// register it in adapters.Sources.Kinds under KindName.
func Kind(hc *http.Client) adapters.Kind {
	return func(config json.RawMessage, creds adapters.Credentials) (adapters.Source, error) {
		var r replicated
		if err := json.Unmarshal(config, &r); err != nil {
			return nil, fmt.Errorf("configuration: %v", err)
		}
		cfg := Config{
			Endpoint: r.Endpoint, AppKey: creds["app_key"], AppSecret: creds["app_secret"], Path: r.Path,
			Fields:   Fields{Code: r.Fields.Code, Message: r.Fields.Message, Status: r.Fields.Status, EffectiveAt: r.Fields.EffectiveAt},
			Statuses: r.Statuses, SuccessCodes: r.SuccessCodes, NotFoundCodes: r.NotFoundCodes, AuthCodes: r.AuthCodes,
			TimeLayout: r.TimeLayout,
		}
		if r.TimeZone != "" {
			loc, err := adapters.ParseZone(r.TimeZone)
			if err != nil {
				return nil, err
			}
			cfg.Location = loc
		}
		return New(cfg, hc)
	}
}
