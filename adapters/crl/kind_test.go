package crl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/test/fakeregion"
	"github.com/sealhub/sealhub/trustlist"
)

// A registry configured in the trust list with kind "crl" is answered through the node's
// directory, with the API key from the node's credentials; its feed is the kind's own.
func TestKindThroughTheDirectory(t *testing.T) {
	noLeaks(t)
	const apiKey = "sealhub-at-37"
	fr := fakeregion.NewCRL(fakeregion.CRLOptions{Issuer: "37", APIKey: apiKey})
	srv := httptest.NewServer(fr)
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() { hc.CloseIdleConnections(); srv.Close() })
	fr.Set("37010200000001", trustlist.StatusSuspended, time.Date(2025, 3, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)))

	keys, _ := json.Marshal(map[string]string{fr.KeyID(): fr.PublicKeyPEM()})
	config := func(extra string) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"kind":"crl","credentials":"shandong","endpoint":%q,"issuer":"37","public_keys":%s,
			"statuses":{"normal":"valid","frozen":"suspended","revoked":"revoked","void":"invalidated"},
			"refresh":"10s","grace":"5m","uid":"1234567812345678"%s}`, srv.URL, keys, extra))
	}
	reg := &trustlist.Registry{ID: "37", Mode: trustlist.ModeLive, Adapter: config("")}
	s := &adapters.Sources{Kinds: map[string]adapters.Kind{KindName: Kind(hc)},
		Credentials: map[string]adapters.Credentials{"shandong": {"api_key": apiKey}}}
	src, err := s.Source(reg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := src.Status(context.Background(), "37010200000001")
	if err != nil || r.Status != trustlist.StatusSuspended || !r.EffectiveAt.Equal(time.Date(2025, 3, 1, 1, 0, 0, 0, time.UTC)) {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := src.Status(context.Background(), "37010200000099"); !errors.Is(err, adapters.ErrNotFound) {
		t.Fatalf("unknown seal: %v", err)
	}
	built, err := Kind(hc)(reg.Adapter, adapters.Credentials{"api_key": apiKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = built.(*Source).Close() })
	feed, ok := built.(adapters.Feed)
	if !ok {
		t.Fatal("the kind's source is no adapters.Feed")
	}
	if c, err := feed.Changes(context.Background(), 0); err != nil || !c.Full || c.Through != 1 || len(c.Changes) != 1 {
		t.Fatalf("feed from 0: %+v, %v", c, err)
	}

	bad := map[string]json.RawMessage{
		"unknown field":     config(`,"public_key":"x"`),
		"zero refresh":      json.RawMessage(`{"kind":"crl","endpoint":"http://x","issuer":"37","refresh":"0s"}`),
		"negative grace":    json.RawMessage(`{"kind":"crl","endpoint":"http://x","issuer":"37","grace":"-1s"}`),
		"unreadable key":    json.RawMessage(`{"kind":"crl","endpoint":"http://x","issuer":"37","public_keys":{"k":"AAAA"},"statuses":{"1":"valid"}}`),
		"status not mapped": json.RawMessage(`{"kind":"crl","endpoint":"http://x","issuer":"37","public_keys":` + string(keys) + `,"statuses":{"1":"expired"}}`),
	}
	for name, cfg := range bad {
		t.Run(name, func(t *testing.T) {
			reg := &trustlist.Registry{ID: "37", Mode: trustlist.ModeLive, Adapter: cfg}
			if _, err := s.Source(reg); !errors.Is(err, adapters.ErrNoAdapter) {
				t.Fatalf("got %v, want ErrNoAdapter", err)
			}
		})
	}
}
