package soap

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/trustlist"
)

// KindName is the adapter kind's name in a registry's adapter configuration.
const KindName = "soap"

// replicated is the SOAP adapter's part of a registry's adapter configuration, as the administrator
// sets it in the trust list: everything but the account, which each node holds as credentials
// (fields username and password).
type replicated struct {
	adapters.Config
	Endpoint    string `json:"endpoint"`
	Namespace   string `json:"namespace"`
	Operation   string `json:"operation"`
	Response    string `json:"response"`     // default operation + "Response"
	SOAPAction  string `json:"soap_action"`  // default namespace + "/" + operation
	CodeElement string `json:"code_element"` // default "sealCode"
	Fields      struct {
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
	MaxBody       int64                       `json:"max_body"`
}

// Kind builds a SOAP source from a registry's adapter configuration and the node's credentials;
// register it in adapters.Sources.Kinds under KindName.
func Kind(hc *http.Client) adapters.Kind {
	return func(config json.RawMessage, creds adapters.Credentials) (adapters.Source, error) {
		var r replicated
		if err := json.Unmarshal(config, &r); err != nil {
			return nil, fmt.Errorf("configuration: %v", err)
		}
		cfg := Config{
			Endpoint: r.Endpoint, Username: creds["username"], Password: creds["password"],
			Namespace: r.Namespace, Operation: r.Operation, Response: r.Response, SOAPAction: r.SOAPAction,
			CodeElement: r.CodeElement,
			Fields:      Fields{Code: r.Fields.Code, Message: r.Fields.Message, Status: r.Fields.Status, EffectiveAt: r.Fields.EffectiveAt},
			Statuses:    r.Statuses, SuccessCodes: r.SuccessCodes, NotFoundCodes: r.NotFoundCodes, AuthCodes: r.AuthCodes,
			TimeLayout: r.TimeLayout, MaxBody: r.MaxBody,
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
