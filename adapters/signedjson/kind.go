package signedjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/trustlist"
)

// KindName is the adapter kind's name in a registry's adapter configuration.
const KindName = "signed-json"

// replicated is the signed-json adapter's part of a registry's adapter configuration, as the
// administrator sets it in the trust list. The public keys are not secret and are replicated;
// the API key, if the region wants one, is each node's credential field "api_key".
type replicated struct {
	adapters.Config
	Endpoint   string                      `json:"endpoint"`
	Path       string                      `json:"path,omitempty"`
	PublicKeys map[string]string           `json:"public_keys"`
	Statuses   map[string]trustlist.Status `json:"statuses,omitempty"`
	UID        string                      `json:"uid,omitempty"`
	FeedLimit  int                         `json:"feed_limit,omitempty"`
}

// Kind builds a signed-json source from a registry's adapter configuration (decoded strictly: an
// unknown field is an error) and the node's credentials; register it in adapters.Sources.Kinds
// under KindName.
func Kind(hc *http.Client) adapters.Kind {
	return func(config json.RawMessage, creds adapters.Credentials) (adapters.Source, error) {
		dec := json.NewDecoder(bytes.NewReader(config))
		dec.DisallowUnknownFields()
		var r replicated
		if err := dec.Decode(&r); err != nil {
			return nil, fmt.Errorf("signed-json: configuration: %v", err)
		}
		return New(Config{
			Endpoint: r.Endpoint, Path: r.Path, PublicKeys: r.PublicKeys, Statuses: r.Statuses,
			UID: r.UID, FeedLimit: r.FeedLimit, APIKey: creds["api_key"],
		}, hc)
	}
}
