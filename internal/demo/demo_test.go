package demo_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sealhub/sealhub/internal/demo"
	"github.com/sealhub/sealhub/trustlist/ses"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

func newPKI(t *testing.T) *demo.PKI {
	t.Helper()
	p, err := demo.New(demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLeavesChainToTheRoot(t *testing.T) {
	p := newPKI(t)
	at := p.Epoch.AddDate(1, 0, 0)
	leaf, err := p.Leaf("a leaf", p.Epoch, p.Epoch.AddDate(2, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]*demo.Authority{"maker": p.Maker, "signer": p.Signer, "leaf": leaf} {
		chain, err := smcrypto.BuildChain(a.Cert, smcrypto.ChainOptions{Roots: p.Roots(), Intermediates: p.Intermediates(), At: at, RequireLeafSigning: true})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(chain.Certs) != 3 || chain.Anchor().Fingerprint() != p.Root.Cert.Fingerprint() {
			t.Errorf("%s: chain of %d to %s", name, len(chain.Certs), chain.Anchor().Subject)
		}
	}
	if _, err := smcrypto.BuildChain(p.Signer.Cert, smcrypto.ChainOptions{Roots: p.Roots(), Intermediates: p.Intermediates(), At: p.Epoch.AddDate(6, 0, 0)}); err == nil {
		t.Error("a five-year leaf chains after six years")
	}
}

func TestSerialsNeverRepeat(t *testing.T) {
	seen := map[string]bool{}
	for range 2 {
		p := newPKI(t)
		for _, a := range []*demo.Authority{p.Root, p.Intermediate, p.Maker, p.Signer} {
			s := a.Cert.SerialNumber.String()
			if seen[s] {
				t.Errorf("serial %s twice", s)
			}
			seen[s] = true
		}
	}
}

func TestSeals(t *testing.T) {
	p := newPKI(t)
	cases := map[string]struct {
		spec    demo.SealSpec
		version ses.Version
		valid   bool
	}{
		"V4 by default":       {demo.SealSpec{}, ses.V4, true},
		"V5":                  {demo.SealSpec{Version: 5}, ses.V5, true},
		"raw r‖s signature":   {demo.SealSpec{Raw64: true}, ses.V4, true},
		"bad maker signature": {demo.SealSpec{BadMakerSignature: true}, ses.V4, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			der, err := p.Seal(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			s, err := ses.ParseSeal(der)
			if err != nil {
				t.Fatal(err)
			}
			if s.Version != tc.version || s.ESID != p.Signer.Cert.SubjectName.CommonName || !s.ValidStart.Equal(p.Epoch.Add(24*time.Hour)) {
				t.Errorf("version %v esID %q start %s", s.Version, s.ESID, s.ValidStart)
			}
			maker, err := s.MakerCertificate()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.VerifySignature(maker); (err == nil) != tc.valid {
				t.Errorf("maker signature: %v", err)
			}
		})
	}
}

func TestSubject(t *testing.T) {
	n := demo.Subject("37030000000001", "11370306MB2867521U测试市自然资源局", "")
	if n.CommonName != "37030000000001" || len(n.Organization) != 1 || len(n.Province) != 0 || n.Country[0] != "CN" {
		t.Errorf("%+v", n)
	}
	if n := demo.Subject("cn", "", "山东省"); len(n.Organization) != 0 || n.Province[0] != "山东省" {
		t.Errorf("%+v", n)
	}
}

// Make a seal-maker's V4 seal for an owner's signer certificate and read it back.
func ExamplePKI_Seal() {
	p, err := demo.New(demo.Options{Province: "山东省"})
	if err != nil {
		panic(err)
	}
	der, err := p.Seal(demo.SealSpec{ESID: "37030000000001", Name: "测试市自然资源局(不动产登记专用章)"})
	if err != nil {
		panic(err)
	}
	s, err := ses.ParseSeal(der)
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Version, s.ESID, s.Name)
	fmt.Println(p.Maker.Cert.SubjectName.CommonName)
	// Output:
	// V4 37030000000001 测试市自然资源局(不动产登记专用章)
	// 山东省政府统一电子印章制作系统
}
