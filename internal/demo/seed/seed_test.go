package seed_test

import (
	"context"
	"github.com/sealhub/sealhub/test/hubtest"
	"testing"
	"time"

	"github.com/sealhub/sealhub/internal/client"
	"github.com/sealhub/sealhub/internal/demo/seed"
	"github.com/sealhub/sealhub/internal/hub"
	"github.com/sealhub/sealhub/trustlist"
)

// openHub starts a one-node hub in a temporary directory with the plan's administrator key and
// waits until it is ready.
func openHub(t *testing.T, s *seed.Seeded) *client.Client {
	t.Helper()
	pub, err := s.AdminPublicPEM()
	if err != nil {
		t.Fatal(err)
	}
	h := hubtest.Open(t, hub.Config{NodeID: "n1", Bootstrap: true, AdminKeys: []string{pub}}, 20*time.Second)
	return client.New(h.URL())
}

// TestPushFilesEverySeal seeds a hub through the push API and reads every seal back: its record
// and its status now and just before each change are what Seeded says.
func TestPushFilesEverySeal(t *testing.T) {
	s, err := seed.Plan(seed.Options{Seals: 60, BatchOps: 25})
	if err != nil {
		t.Fatal(err)
	}
	c := openHub(t, s)
	ctx := context.Background()
	if err := s.Push(ctx, c); err != nil {
		t.Fatal(err)
	}
	// 1 admin push, 2 certificate pushes, and filings and changes in batches of 25.
	if s.Pushes < 7 {
		t.Errorf("%d pushes; batches of 25 ops should need more", s.Pushes)
	}
	now := time.Now()
	for _, v := range s.Seals {
		got, err := c.Seal(ctx, v.Code, time.Time{})
		if err != nil {
			t.Fatalf("%s: %v", v.Code, err)
		}
		if want := v.StatusAt(now); got.Status.Status != want {
			t.Errorf("%s (%s): status %s, want %s", v.Code, v.State, got.Status.Status, want)
		}
		if got.Registry != v.Registry || got.Name != v.Name || got.Type != v.Type || got.OwnerName != v.OwnerName ||
			got.OwnerUSCC != v.OwnerUSCC || got.MakerCert != v.MakerCert || got.FromDER != (v.DER != nil) ||
			!got.ValidStart.Equal(v.ValidStart) || !got.ValidEnd.Equal(v.ValidEnd) {
			t.Errorf("%s: record %+v, want %+v", v.Code, got.Seal, v)
		}
		if len(got.Events) != 1+len(v.Changes) {
			t.Errorf("%s: %d events, want %d", v.Code, len(got.Events), 1+len(v.Changes))
			continue
		}
		for i, ch := range v.Changes {
			if e := got.Events[i+1]; !e.EffectiveAt.Equal(ch.At) || e.Reason != ch.Reason {
				t.Errorf("%s: event %d %+v, want %+v", v.Code, i+1, e, ch)
			}
			before := ch.At.Add(-time.Minute)
			old, err := c.Seal(ctx, v.Code, before)
			if err != nil {
				t.Fatal(err)
			}
			if want := v.StatusAt(before); old.Status.Status != want {
				t.Errorf("%s: status at %s is %s, want %s", v.Code, before, old.Status.Status, want)
			}
		}
	}
}

// TestRun seeds with Run and checks the states a user sees, and the registries and anchors.
func TestRun(t *testing.T) {
	plan, err := seed.Plan(seed.Options{Seals: 20})
	if err != nil {
		t.Fatal(err)
	}
	c := openHub(t, plan)
	ctx := context.Background()
	if _, err := seed.Run(ctx, c, seed.Options{Seals: 20}); err == nil {
		t.Fatal("Run without the administrator key succeeded")
	}
	s, err := seed.Run(ctx, c, seed.Options{Seals: 20, Admin: plan.Admin})
	if err != nil {
		t.Fatal(err)
	}
	want := map[seed.State]trustlist.Status{
		seed.StateValid: trustlist.StatusValid, seed.StateSuspended: trustlist.StatusSuspended,
		seed.StateRestored: trustlist.StatusValid, seed.StateRevoked: trustlist.StatusRevoked,
		seed.StateInvalidated: trustlist.StatusInvalidated, seed.StateExpired: trustlist.StatusExpired,
	}
	for st, status := range want {
		codes := s.Codes(st)
		if len(codes) == 0 {
			t.Errorf("no %s seal", st)
			continue
		}
		got, err := c.Seal(ctx, codes[0], time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status.Status != status {
			t.Errorf("%s seal %s: status %s, want %s", st, codes[0], got.Status.Status, status)
		}
	}
	for _, r := range s.Registries {
		v, err := c.Registry(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Name != r.Name || len(v.Makers) != 1 || v.Makers[0].Fingerprint != r.Maker.Cert.Fingerprint() || v.Head.Seq == 0 {
			t.Errorf("registry %s: %+v", r.ID, v)
		}
	}
	var anchors struct {
		Anchors []struct {
			Owner string `json:"owner"`
			Root  bool   `json:"root"`
		} `json:"anchors"`
	}
	if err := c.Get(ctx, "/v1/anchors", &anchors); err != nil {
		t.Fatal(err)
	}
	if len(anchors.Anchors) != 2 {
		t.Fatalf("anchors: %+v", anchors)
	}
	for _, a := range anchors.Anchors {
		if a.Root != (a.Owner == trustlist.AdminID) || !a.Root && a.Owner != "37" {
			t.Errorf("anchor %+v: the administrator adds the root, registry 37 the intermediate", a)
		}
	}
}
