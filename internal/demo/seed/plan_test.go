package seed_test

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/internal/demo/seed"
	"github.com/sealhub/sealhub/internal/ledger"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/sealcode"
	"github.com/sealhub/sealhub/trustlist/ses"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

var fixedNow = func() time.Time { return time.Date(2026, 3, 15, 6, 30, 0, 0, time.UTC) }

func plan(t *testing.T, o seed.Options) *seed.Seeded {
	t.Helper()
	if o.Now == nil {
		o.Now = fixedNow
	}
	s, err := seed.Plan(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fingerprint is what the plan makes of a seal, without keys and DER (fresh each time).
func fingerprint(s *seed.Seeded) []string {
	var out []string
	for _, v := range s.Seals {
		out = append(out, strings.Join([]string{v.Code, v.Registry, v.Name, v.OwnerName, v.OwnerUSCC, string(v.State),
			v.ValidStart.String(), v.ValidEnd.String()}, "|"))
		for _, c := range v.Changes {
			out = append(out, c.Action+"@"+c.At.String()+":"+c.Reason)
		}
	}
	for _, r := range s.Ledger {
		out = append(out, r.Code+"|"+r.Name+"|"+r.Status)
	}
	return out
}

func TestPlanIsDeterministic(t *testing.T) {
	a, b := plan(t, seed.Options{Seed: 7}), plan(t, seed.Options{Seed: 7})
	if !reflect.DeepEqual(fingerprint(a), fingerprint(b)) {
		t.Error("the same seed and time gave different demo data")
	}
	if c := plan(t, seed.Options{Seed: 8}); reflect.DeepEqual(fingerprint(a), fingerprint(c)) {
		t.Error("another seed gave the same demo data")
	}
}

func TestPlanShape(t *testing.T) {
	for _, n := range []int{seed.MinSeals, 50, 300, 1000} {
		t.Run("seals="+strconv.Itoa(n), func(t *testing.T) {
			s := plan(t, seed.Options{Seals: n})
			now := s.Now
			if len(s.Seals) != n {
				t.Fatalf("%d seals, want %d", len(s.Seals), n)
			}
			for _, st := range seed.States {
				if len(s.Codes(st)) == 0 {
					t.Errorf("no %s seal", st)
				}
			}
			if der := s.FromDER(); der < 2 || der > 8 {
				t.Errorf("%d seals from DER, want a handful", der)
			}
			seen := map[string]bool{}
			byRegistry := map[string]int{}
			versions := map[ses.Version]bool{}
			validDER := map[string]bool{}
			otherProvince := false
			for _, v := range s.Seals {
				checkSeal(t, s, v)
				if seen[v.Code] {
					t.Errorf("code %s twice", v.Code)
				}
				seen[v.Code] = true
				byRegistry[v.Registry]++
				if v.Registry == "tax" && !strings.HasPrefix(v.Code, "37") {
					otherProvince = true
				}
				if v.DER != nil {
					seal, err := ses.ParseSeal(v.DER)
					if err != nil {
						t.Fatal(err)
					}
					versions[seal.Version] = true
					validDER[v.Registry] = validDER[v.Registry] || v.State == seed.StateValid
				}
				if want := map[seed.State]trustlist.Status{
					seed.StateValid: trustlist.StatusValid, seed.StateRestored: trustlist.StatusValid,
					seed.StateSuspended: trustlist.StatusSuspended, seed.StateRevoked: trustlist.StatusRevoked,
					seed.StateInvalidated: trustlist.StatusInvalidated, seed.StateExpired: trustlist.StatusExpired,
				}[v.State]; v.StatusAt(now) != want {
					t.Errorf("%s (%s): status now %s, want %s", v.Code, v.State, v.StatusAt(now), want)
				}
			}
			if byRegistry["tax"] < 2 || byRegistry["37"] < n/2 || !otherProvince {
				t.Errorf("seals by registry %v; tax files other provinces' codes: %v", byRegistry, otherProvince)
			}
			if !validDER["37"] || !validDER["tax"] {
				t.Errorf("valid seals from DER by registry: %v", validDER)
			}
			if !versions[4] || !versions[5] {
				t.Errorf("DER versions %v, want V4 and V5", versions)
			}
			if len(s.Ledger) != 20 {
				t.Errorf("%d ledger rows", len(s.Ledger))
			}
			for _, r := range s.Ledger {
				if seen[r.Code] {
					t.Errorf("ledger code %s is filed already", r.Code)
				}
			}
		})
	}
}

// checkSeal checks one planned seal's code, owner, window and changes.
func checkSeal(t *testing.T, s *seed.Seeded, v *seed.Seal) {
	t.Helper()
	code, err := sealcode.Parse(v.Code)
	if err != nil || !code.IsNumeric() {
		t.Errorf("code %q: %v", v.Code, err)
	}
	if v.Registry == "37" && !strings.HasPrefix(v.Code, "37") {
		t.Errorf("registry 37 files %s", v.Code)
	}
	if u, err := sealcode.ParseUSCC(v.OwnerUSCC); err != nil {
		t.Errorf("%s: owner USCC %q: %v", v.Code, v.OwnerUSCC, err)
	} else if u.Division != code.Division {
		t.Errorf("%s: owner registered in %s", v.Code, u.Division)
	}
	if v.Name == "" || !strings.HasPrefix(v.Name, v.OwnerName) || v.Type == 0 {
		t.Errorf("%s: name %q owner %q type %d", v.Code, v.Name, v.OwnerName, v.Type)
	}
	if !v.ValidEnd.After(v.ValidStart) || v.ValidStart.After(s.Now) {
		t.Errorf("%s: window %s – %s", v.Code, v.ValidStart, v.ValidEnd)
	}
	if (v.State == seed.StateExpired) != v.ValidEnd.Before(s.Now) {
		t.Errorf("%s (%s): ends %s", v.Code, v.State, v.ValidEnd)
	}
	last := v.ValidStart
	for _, c := range v.Changes {
		if !c.At.After(last) || !c.At.Before(s.Now) || c.Reason == "" {
			t.Errorf("%s: change %+v out of order (after %s, before %s)", v.Code, c, last, s.Now)
		}
		last = c.At
	}
	if v.DER != nil {
		seal, err := ses.ParseSeal(v.DER)
		if err != nil {
			t.Fatalf("%s: %v", v.Code, err)
		}
		maker, err := seal.MakerCertificate()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := seal.VerifySignature(maker); err != nil || seal.ESID != v.Code || seal.Name != v.Name ||
			!seal.ValidStart.Equal(v.ValidStart) || !seal.ValidEnd.Equal(v.ValidEnd) || maker.Fingerprint() != v.MakerCert {
			t.Errorf("%s: SES_Seal %s %q %s–%s: %v", v.Code, seal.ESID, seal.Name, seal.ValidStart, seal.ValidEnd, err)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	cases := map[string]struct {
		o  seed.Options
		ok bool
	}{
		"zero":           {seed.Options{}, true},
		"minimum":        {seed.Options{Seals: seed.MinSeals}, true},
		"too few":        {seed.Options{Seals: seed.MinSeals - 1}, false},
		"too many":       {seed.Options{Seals: seed.MaxSeals + 1}, false},
		"negative batch": {seed.Options{BatchOps: -1}, false},
		"batch too big":  {seed.Options{BatchOps: 1001}, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if err := tc.o.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v", err)
			}
			if _, err := seed.Plan(tc.o); (err == nil) != tc.ok {
				t.Errorf("Plan() = %v", err)
			}
		})
	}
}

func TestWriteFiles(t *testing.T) {
	s := plan(t, seed.Options{Seals: 40})
	dir := t.TempDir()
	f, err := s.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Keys) != 3 || f.Keys[0].Registry != "admin" || filepath.Base(f.Keys[1].Key) != "registry-37.key" {
		t.Fatalf("keys %+v", f.Keys)
	}
	for _, k := range f.Keys {
		data, err := os.ReadFile(k.Key)
		if err != nil {
			t.Fatal(err)
		}
		priv, err := smcrypto.ParsePrivateKeyPEM(data)
		if err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(k.Key); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v", k.Key, fi.Mode())
		}
		pubPEM, err := os.ReadFile(k.Pub)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := smcrypto.ParsePublicKey(string(pubPEM))
		if err != nil || !pub.Equal(&priv.PublicKey) {
			t.Errorf("%s does not match %s: %v", k.Pub, k.Key, err)
		}
	}
	for _, d := range []string{f.Roots, f.Intermediates, f.Makers} {
		pool, err := smcrypto.LoadPool(d)
		if err != nil || pool.Len() == 0 {
			t.Errorf("%s: %v", d, err)
		}
	}
	data, err := os.ReadFile(f.ExamplePush)
	if err != nil {
		t.Fatal(err)
	}
	var ops []trustlist.Op
	if err := json.Unmarshal(data, &ops); err != nil || len(ops) != 1 || ops[0].Code != f.ExampleCode ||
		s.Seal(f.ExampleCode).State != seed.StateValid || s.Seal(f.ExampleCode).Registry != "37" {
		t.Errorf("example push %s for %s: %v", data, f.ExampleCode, err)
	}
	esl, _ := filepath.Glob(filepath.Join(f.Seals, "*.esl"))
	if len(esl) != s.FromDER() {
		t.Errorf("%d seal files, %d seals from DER", len(esl), s.FromDER())
	}
	r, err := ledger.Open(f.Ledger)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var rows []ledger.Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		row.Line = 0
		rows = append(rows, row)
	}
	if !reflect.DeepEqual(rows, s.Ledger) {
		t.Errorf("ledger reads back as\n%+v\nwant\n%+v", rows, s.Ledger)
	}
}
