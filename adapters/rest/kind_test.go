package rest

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

// A live registry configured in the trust list with kind "rest" is answered through the node's
// directory, with the secrets from the node's credentials; without them it has no adapter.
func TestKindThroughTheDirectory(t *testing.T) {
	fr := fakeregion.NewREST(fakeregion.RESTOptions{AppKey: testKey, AppSecret: testSecret})
	srv := httptest.NewServer(fr)
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() { hc.CloseIdleConnections(); srv.Close() })
	fr.Set("37010200000001", "02", time.Date(2025, 3, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)))

	config := fmt.Sprintf(`{"kind":"rest","credentials":"shandong","endpoint":%q,"path":"/api/seal/status?sealCode={code}",
		"fields":{"code":"code","message":"msg","status":"data.sealStatus","effective_at":"data.statusTime"},
		"statuses":{"01":"valid","02":"suspended","03":"revoked","04":"invalidated"},
		"success_codes":[%q],"not_found_codes":[%q],"auth_codes":[%q,%q],"time_zone":"+08:00"}`,
		srv.URL, fakeregion.CodeOK, fakeregion.CodeNotFound, fakeregion.CodeBadSign, fakeregion.CodeReplay)
	reg := &trustlist.Registry{ID: "37", Mode: trustlist.ModeLive, Adapter: json.RawMessage(config)}
	s := &adapters.Sources{Kinds: map[string]adapters.Kind{KindName: Kind(hc)},
		Credentials: map[string]adapters.Credentials{"shandong": {"app_key": testKey, "app_secret": testSecret}}}
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
	noCreds := &adapters.Sources{Kinds: s.Kinds, Credentials: map[string]adapters.Credentials{"shandong": {}}}
	if _, err := noCreds.Source(reg); !errors.Is(err, adapters.ErrNoAdapter) {
		t.Fatalf("without the secrets: %v, want ErrNoAdapter", err)
	}
}
