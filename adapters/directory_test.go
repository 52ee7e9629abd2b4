package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/sealhub/sealhub/trustlist"
)

// The directory builds a registry's source from its replicated configuration and its node-local
// credentials, once, rebuilds it when the configuration changes, and refuses unusable ones with
// ErrNoAdapter.
func TestSourcesBuildFromConfiguration(t *testing.T) {
	built := 0
	var gotCreds Credentials
	kinds := map[string]Kind{"fake": func(cfg json.RawMessage, creds Credentials) (Source, error) {
		built++
		gotCreds = creds
		var c struct {
			Answer string `json:"answer"`
		}
		if err := json.Unmarshal(cfg, &c); err != nil {
			return nil, err
		}
		if c.Answer == "" {
			return nil, errors.New("answer is required")
		}
		return &fakeSource{answer: func(string) (Report, error) { return Report{Status: trustlist.Status(c.Answer)}, nil }}, nil
	}}
	s := &Sources{Kinds: kinds, Credentials: map[string]Credentials{"sd": {"app_key": "k", "app_secret": "s"}}}
	reg := &trustlist.Registry{ID: "37", Mode: trustlist.ModeLive, Adapter: json.RawMessage(`{"kind":"fake","credentials":"sd","ttl":"5s","answer":"suspended"}`)}
	for i := 0; i < 2; i++ {
		src, err := s.Source(reg)
		if err != nil {
			t.Fatal(err)
		}
		r, err := src.Status(context.Background(), "A")
		if err != nil || r.Status != trustlist.StatusSuspended {
			t.Fatalf("%+v %v", r, err)
		}
	}
	if built != 1 || gotCreds["app_secret"] != "s" {
		t.Fatalf("built %d times with credentials %v; want once, with sd's", built, gotCreds)
	}
	reg2 := *reg
	reg2.Adapter = json.RawMessage(`{"kind":"fake","credentials":"sd","answer":"revoked"}`)
	src, err := s.Source(&reg2)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := src.Status(context.Background(), "A"); r.Status != trustlist.StatusRevoked || built != 2 {
		t.Fatalf("after a configuration change: %s, built %d times", r.Status, built)
	}
	for name, cfg := range map[string]string{
		"none":             ``,
		"not JSON":         `{`,
		"unknown kind":     `{"kind":"carrier-pigeon"}`,
		"no credentials":   `{"kind":"fake","credentials":"missing","answer":"valid"}`,
		"bad ttl":          `{"kind":"fake","ttl":"soon","answer":"valid"}`,
		"kind refuses it":  `{"kind":"fake"}`,
		"negative timeout": `{"kind":"fake","timeout":"-1s","answer":"valid"}`,
	} {
		r := &trustlist.Registry{ID: "x-" + name, Adapter: json.RawMessage(cfg)}
		if _, err := s.Source(r); !errors.Is(err, ErrNoAdapter) {
			t.Errorf("%s: %v, want ErrNoAdapter", name, err)
		}
	}
}
