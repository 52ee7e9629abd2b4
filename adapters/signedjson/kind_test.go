package signedjson

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

// A live registry configured in the trust list with kind "signed-json" is answered through the
// node's directory, with the region's public keys from the replicated configuration and the API
// key from the node's credentials; a configuration it cannot use leaves it without an adapter.
func TestKindThroughTheDirectory(t *testing.T) {
	noLeaks(t)
	const apiKey = "api-key-of-33"
	fr := fakeregion.NewSignedJSON(fakeregion.SignedJSONOptions{APIKey: apiKey})
	srv := httptest.NewServer(fr)
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() { hc.CloseIdleConnections(); srv.Close() })
	fr.Set("33010200000001", "02", time.Date(2025, 3, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)))

	rotated, err := json.Marshal(publicPEM(t, newKey(t)))
	if err != nil {
		t.Fatal(err)
	}
	current, err := json.Marshal(fr.PublicKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	config := func(extra string) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"kind":"signed-json","credentials":"zhejiang","timeout":"2s","endpoint":%q,
			"path":"/api/v2/seals/{code}/status","public_keys":{%q:%s,"00000000000000b2":%s},
			"statuses":{"01":"valid","02":"suspended","03":"revoked","04":"invalidated"},"uid":%q%s}`,
			srv.URL, fr.KeyID(), current, rotated, DefaultUID, extra))
	}
	reg := &trustlist.Registry{ID: "33", Mode: trustlist.ModeLive, Adapter: config("")}
	kinds := map[string]adapters.Kind{KindName: Kind(hc)}
	s := &adapters.Sources{Kinds: kinds, Credentials: map[string]adapters.Credentials{"zhejiang": {"api_key": apiKey}}}
	src, err := s.Source(reg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := src.Status(context.Background(), "33010200000001")
	if err != nil || r.Status != trustlist.StatusSuspended || !r.EffectiveAt.Equal(time.Date(2025, 3, 1, 1, 0, 0, 0, time.UTC)) {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := src.Status(context.Background(), "33010200000099"); !errors.Is(err, adapters.ErrNotFound) {
		t.Fatalf("unknown seal: %v", err)
	}

	// The kind's source has the optional capabilities (the directory's wrapper answers Status only).
	raw, err := Kind(hc)(config(""), adapters.Credentials{"api_key": apiKey})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := raw.(adapters.Batch); !ok {
		t.Fatal("no Batch")
	}
	if feed, ok := raw.(adapters.Feed); !ok {
		t.Fatal("no Feed")
	} else if c, err := feed.Changes(context.Background(), 0); err != nil || len(c.Changes) != 1 || c.Changes[0].Status != trustlist.StatusSuspended {
		t.Fatalf("feed: %+v, %v", c, err)
	}

	// Without the API key the region refuses sealhub: the source is built, the region says no.
	noKey := &adapters.Sources{Kinds: kinds, Credentials: map[string]adapters.Credentials{"zhejiang": {}}}
	src, err = noKey.Source(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Status(context.Background(), "33010200000001"); !errors.Is(err, adapters.ErrUnavailable) {
		t.Fatalf("without the API key: %v", err)
	}

	for name, cfg := range map[string]json.RawMessage{
		"unknown field": config(`,"public_key":"x"`),
		"bad key":       json.RawMessage(`{"kind":"signed-json","endpoint":"https://x","public_keys":{"0000000000000001":"x"}}`),
		"no keys":       json.RawMessage(`{"kind":"signed-json","endpoint":"https://x"}`),
		"not JSON":      json.RawMessage(`{"kind":"signed-json",`),
	} {
		bad := &adapters.Sources{Kinds: kinds, Credentials: s.Credentials}
		if _, err := bad.Source(&trustlist.Registry{ID: "33", Mode: trustlist.ModeLive, Adapter: cfg}); !errors.Is(err, adapters.ErrNoAdapter) {
			t.Errorf("%s: %v, want ErrNoAdapter", name, err)
		}
	}
}
