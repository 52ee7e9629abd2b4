package soap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/test/fakeregion"
	"github.com/sealhub/sealhub/trustlist"
)

// kindConfig is the replicated adapter configuration of the simulated region at base.
func kindConfig(base string) string {
	return fmt.Sprintf(`{"kind":"soap","credentials":"guangdong","timeout":"2s",
		"endpoint":%q,"namespace":%q,"operation":%q,"soap_action":%q,
		"fields":{"code":"return/resultCode","message":"return/resultMsg","status":"return/sealStatus","effective_at":"return/statusTime"},
		"statuses":{"1":"valid","2":"suspended","3":"revoked","4":"invalidated"},
		"success_codes":[%q],"not_found_codes":[%q],"auth_codes":[%q],"time_zone":"Asia/Shanghai"}`,
		base+fakeregion.SOAPPath, fakeregion.SOAPNamespace, fakeregion.SOAPOperation, fakeregion.SOAPAction,
		fakeregion.SOAPCodeOK, fakeregion.SOAPCodeNotFound, fakeregion.SOAPCodeAuth)
}

// A live registry configured in the trust list with kind "soap" is answered through the node's
// directory, with the account from the node's credentials; without them it has no adapter.
func TestKindThroughTheDirectory(t *testing.T) {
	noLeaks(t)
	fr := fakeregion.NewSOAP(fakeregion.SOAPOptions{Username: testUser, Password: testPassword, GBK: true})
	srv := httptest.NewServer(fr)
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() { hc.CloseIdleConnections(); srv.Close() })
	fr.Set("44010200000001", "revoked", time.Date(2025, 3, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)))

	reg := &trustlist.Registry{ID: "44", Mode: trustlist.ModeLive, Adapter: json.RawMessage(kindConfig(srv.URL))}
	s := &adapters.Sources{Kinds: map[string]adapters.Kind{KindName: Kind(hc)},
		Credentials: map[string]adapters.Credentials{"guangdong": {"username": testUser, "password": testPassword}}}
	src, err := s.Source(reg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := src.Status(context.Background(), "44010200000001")
	if err != nil || r.Status != trustlist.StatusRevoked || !r.EffectiveAt.Equal(time.Date(2025, 3, 1, 1, 0, 0, 0, time.UTC)) {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := src.Status(context.Background(), "44010200000099"); !errors.Is(err, adapters.ErrNotFound) {
		t.Fatalf("unknown seal: %v", err)
	}
	for name, creds := range map[string]adapters.Credentials{
		"no credentials": {},
		"no password":    {"username": testUser},
	} {
		noCreds := &adapters.Sources{Kinds: s.Kinds, Credentials: map[string]adapters.Credentials{"guangdong": creds}}
		if _, err := noCreds.Source(reg); !errors.Is(err, adapters.ErrNoAdapter) {
			t.Fatalf("%s: %v, want ErrNoAdapter", name, err)
		}
	}
}

// TestKindConfigErrors: a replicated configuration the kind cannot use is no adapter, with a
// message saying what is wrong.
func TestKindConfigErrors(t *testing.T) {
	good := kindConfig("http://127.0.0.1:1")
	cases := map[string]string{
		"not JSON":           `{"kind":"soap",`,
		"wrong field type":   `{"kind":"soap","statuses":["1"]}`,
		"bad time zone":      replace(t, good, `"time_zone":"Asia/Shanghai"`, `"time_zone":"Mars/Olympus"`),
		"no namespace":       replace(t, good, `"namespace":"`+fakeregion.SOAPNamespace+`"`, `"namespace":""`),
		"bad field path":     replace(t, good, `"status":"return/sealStatus"`, `"status":"return/ns:sealStatus"`),
		"status not sealhub": replace(t, good, `"4":"invalidated"`, `"4":"expired"`),
	}
	kinds := map[string]adapters.Kind{KindName: Kind(nil)}
	creds := map[string]adapters.Credentials{"guangdong": {"username": testUser, "password": testPassword}}
	for name, config := range cases {
		t.Run(name, func(t *testing.T) {
			s := &adapters.Sources{Kinds: kinds, Credentials: creds}
			_, err := s.Source(&trustlist.Registry{ID: "44", Mode: trustlist.ModeLive, Adapter: json.RawMessage(config)})
			if !errors.Is(err, adapters.ErrNoAdapter) {
				t.Fatalf("got %v, want ErrNoAdapter", err)
			}
		})
	}
	s := &adapters.Sources{Kinds: kinds, Credentials: creds}
	if _, err := s.Source(&trustlist.Registry{ID: "44", Mode: trustlist.ModeLive, Adapter: json.RawMessage(good)}); err != nil {
		t.Fatal(err)
	}
}

func replace(t *testing.T, s, old, new string) string {
	t.Helper()
	var out string
	if out = strings.Replace(s, old, new, 1); out == s {
		t.Fatalf("%q is not in the configuration", old)
	}
	return out
}
