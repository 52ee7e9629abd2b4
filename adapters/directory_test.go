package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

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

type feedSource struct{ fakeSource }

func (f *feedSource) Changes(context.Context, uint64) (Changes, error) {
	return Changes{Through: 7}, nil
}

// A registry's feed is its kind's own source when the kind has one; the wrapped live source's health
// is kept by registry; sync timing has defaults and reads the configuration.
func TestFeedsHealthAndTiming(t *testing.T) {
	kinds := map[string]Kind{
		"feed":  func(json.RawMessage, Credentials) (Source, error) { return &feedSource{fakeSource{answer: valid}}, nil },
		"plain": func(json.RawMessage, Credentials) (Source, error) { return &fakeSource{answer: valid}, nil },
	}
	s := &Sources{Kinds: kinds}
	withFeed := &trustlist.Registry{ID: "tax", Mode: trustlist.ModeSync, Adapter: json.RawMessage(`{"kind":"feed","poll":"1s","max_age":"2m"}`)}
	f, err := s.Feed(withFeed)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := f.Changes(context.Background(), 0); c.Through != 7 {
		t.Fatalf("feed %+v", c)
	}
	if _, err := s.Feed(&trustlist.Registry{ID: "37", Adapter: json.RawMessage(`{"kind":"plain"}`)}); !errors.Is(err, ErrNoAdapter) {
		t.Fatalf("a kind without a feed: %v", err)
	}
	if _, ok := s.Health("tax"); !ok {
		t.Fatal("no health for a built source")
	}
	src, _ := s.Source(withFeed)
	src.Status(context.Background(), "A")
	if h, _ := s.Health("tax"); h.Calls != 1 {
		t.Fatalf("health %+v", h)
	}
	if _, ok := s.Health("nobody"); ok {
		t.Fatal("health for a registry never built")
	}
	if p, m := SyncTiming(withFeed.Adapter); p != time.Second || m != 2*time.Minute {
		t.Fatalf("timing %s %s", p, m)
	}
	if p, m := SyncTiming(json.RawMessage(`{"kind":"feed","poll":"never"}`)); p != DefaultPoll || m != DefaultMaxAge {
		t.Fatalf("defaults %s %s", p, m)
	}
}
