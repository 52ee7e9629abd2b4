// Package demo is the demo and test PKI — keys in memory, predictable serials, never for production.
//
// It makes an SM2 PKI on the spot: a root, an intermediate, a seal-maker (制章者) certificate and
// signer (签章者) certificates, and from them V4/V5 SES_Seal seals, seal signatures (电子签章) and
// signed OFD documents — valid ones and, on request, deliberately broken ones. `sealhub dev` seeds its
// one-node hub from it (internal/demo/seed); tests use it through test/sm2ca, a thin alias of this
// package.
//
// Nothing here is for production: private keys are generated in memory and never protected,
// certificate serial numbers count up from 1001 in each process, and the certificates carry no
// revocation information.
package demo

import (
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// Authority is a certificate with its private key.
type Authority struct {
	DER  []byte
	Cert *smcrypto.Certificate
	Key  *sm2.PrivateKey
	x509 *smx509.Certificate
}

// Sign signs msg with the authority's key (SM2-with-SM3, default user ID, DER).
func (a *Authority) Sign(msg []byte) ([]byte, error) { return smcrypto.Sign(a.Key, msg) }

// SignRaw64 signs msg and returns the raw 64-byte r‖s form (as the Shandong platform writes it).
func (a *Authority) SignRaw64(msg []byte) ([]byte, error) {
	der, err := a.Sign(msg)
	if err != nil {
		return nil, err
	}
	return smcrypto.RawSignature(der)
}

// PEM is the certificate in PEM form.
func (a *Authority) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.DER})
}

// KeyPEM is the private key in PKCS#8 PEM form.
func (a *Authority) KeyPEM() ([]byte, error) {
	der, err := smx509.MarshalPKCS8PrivateKey(a.Key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// CertSpec describes a certificate to issue.
type CertSpec struct {
	Subject   pkix.Name
	NotBefore time.Time
	NotAfter  time.Time
	IsCA      bool
	KeyUsage  smx509.KeyUsage // zero: a sensible default for CA or leaf
	// ExtKeyUsage lists extended key usages (e.g. ExtKeyUsageTimeStamping for a TSA); none when empty.
	ExtKeyUsage []smx509.ExtKeyUsage
	// ExtraExtensions are added as given; as in crypto/x509, one here replaces the extension the
	// template would make (a critical extendedKeyUsage for a TSA, say).
	ExtraExtensions []pkix.Extension
}

// PKI is root → intermediate → {maker, signer}. Times are fixed at construction (Epoch), never read
// from the clock later, so tests are reproducible.
type PKI struct {
	Epoch        time.Time // NotBefore of every certificate
	Root         *Authority
	Intermediate *Authority
	Maker        *Authority // seal-maker system certificate (制章系统)
	Signer       *Authority // the seal owner's signing certificate
}

// Options tune New. The zero value gives certificates valid from 2024-01-01 for ten years (leaves:
// five years), a maker named after a provincial seal system, and a signer carrying the seal code in
// CN and USCC + organisation name in O, as real provincial certificates do.
type Options struct {
	Epoch      time.Time
	Province   string // e.g. "山东省"; default "测试省"
	SealCode   string // signer CN; default "37030000000001"
	OrgUSCC    string // default "11370306MB2867521U" (a real, valid code)
	OrgName    string // default "测试市自然资源局"
	LeafYears  int    // default 5
	ChainYears int    // default 10
}

// serial numbers every certificate of the process, whatever its PKI: two PKIs made by one test
// binary share names ("sealhub Test SM2 Root CA"), so they must not share serial numbers too.
var serial atomic.Int64

// New makes a fresh PKI.
func New(o Options) (*PKI, error) {
	if o.Epoch.IsZero() {
		o.Epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if o.Province == "" {
		o.Province = "测试省"
	}
	if o.SealCode == "" {
		o.SealCode = "37030000000001"
	}
	if o.OrgUSCC == "" {
		o.OrgUSCC = "11370306MB2867521U"
	}
	if o.OrgName == "" {
		o.OrgName = "测试市自然资源局"
	}
	if o.LeafYears == 0 {
		o.LeafYears = 5
	}
	if o.ChainYears == 0 {
		o.ChainYears = 10
	}
	p := &PKI{Epoch: o.Epoch}
	var err error
	chainEnd := o.Epoch.AddDate(o.ChainYears, 0, 0)
	if p.Root, err = p.Issue(nil, CertSpec{Subject: Subject("sealhub Test SM2 Root CA", "sealhub test PKI", ""), NotBefore: o.Epoch, NotAfter: chainEnd, IsCA: true}); err != nil {
		return nil, err
	}
	if p.Intermediate, err = p.Issue(p.Root, CertSpec{Subject: Subject("sealhub Test SM2 Seal CA", "sealhub test PKI", ""), NotBefore: o.Epoch, NotAfter: chainEnd, IsCA: true}); err != nil {
		return nil, err
	}
	leafEnd := o.Epoch.AddDate(o.LeafYears, 0, 0)
	if p.Maker, err = p.Issue(p.Intermediate, CertSpec{Subject: Subject(o.Province+"政府统一电子印章制作系统", o.Province+"大数据局", o.Province), NotBefore: o.Epoch, NotAfter: leafEnd}); err != nil {
		return nil, err
	}
	if p.Signer, err = p.Issue(p.Intermediate, CertSpec{Subject: Subject(o.SealCode, o.OrgUSCC+o.OrgName, ""), NotBefore: o.Epoch, NotAfter: leafEnd}); err != nil {
		return nil, err
	}
	return p, nil
}

// Subject is a certificate subject as provincial seal systems write it: C=CN, CN=cn, O=org and
// ST=province (each left out when empty). A signer (签章者) certificate carries the seal code in CN
// and the owner's 统一社会信用代码 followed by its name in O.
func Subject(cn, org, province string) pkix.Name {
	n := pkix.Name{CommonName: cn, Country: []string{"CN"}}
	if org != "" {
		n.Organization = []string{org}
	}
	if province != "" {
		n.Province = []string{province}
	}
	return n
}

// Issue makes a certificate signed by parent (self-signed when parent is nil).
func (p *PKI) Issue(parent *Authority, s CertSpec) (*Authority, error) {
	key, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return p.IssueWithKey(parent, s, key)
}

// IssueWithKey is Issue with a given subject key (for same-name/different-key and cross-sign cases).
func (p *PKI) IssueWithKey(parent *Authority, s CertSpec, key *sm2.PrivateKey) (*Authority, error) {
	ku := s.KeyUsage
	if ku == 0 {
		ku = smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment
		if s.IsCA {
			ku = smx509.KeyUsageCertSign | smx509.KeyUsageCRLSign
		}
	}
	tmpl := &smx509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1) + 1000),
		Subject:               s.Subject,
		NotBefore:             s.NotBefore,
		NotAfter:              s.NotAfter,
		KeyUsage:              ku,
		BasicConstraintsValid: true,
		IsCA:                  s.IsCA,
		ExtKeyUsage:           s.ExtKeyUsage,
		ExtraExtensions:       s.ExtraExtensions,
	}
	issuerCert, signer := tmpl, any(key)
	if parent != nil {
		issuerCert, signer = parent.x509, parent.Key
	}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, issuerCert, key.Public(), signer)
	if err != nil {
		return nil, fmt.Errorf("demo: create %q: %w", s.Subject.CommonName, err)
	}
	x, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	c, err := smcrypto.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Authority{DER: der, Cert: c, Key: key, x509: x}, nil
}

// Leaf issues a signing (non-CA) certificate under the intermediate, valid over [from, to].
func (p *PKI) Leaf(cn string, from, to time.Time) (*Authority, error) {
	return p.Issue(p.Intermediate, CertSpec{Subject: Subject(cn, "sealhub test", ""), NotBefore: from, NotAfter: to})
}

// Roots is a pool holding the root.
func (p *PKI) Roots() *smcrypto.Pool { return smcrypto.NewPool(p.Root.Cert) }

// Intermediates is a pool holding the intermediate.
func (p *PKI) Intermediates() *smcrypto.Pool { return smcrypto.NewPool(p.Intermediate.Cert) }

// WriteTrustDirs writes roots/root.pem and intermediates/intermediate.pem under dir, for the CLI's
// --roots and --intermediates.
func (p *PKI) WriteTrustDirs(dir string) (roots, intermediates string, err error) {
	roots, intermediates = filepath.Join(dir, "roots"), filepath.Join(dir, "intermediates")
	for d, a := range map[string]*Authority{roots: p.Root, intermediates: p.Intermediate} {
		if err = os.MkdirAll(d, 0o755); err != nil {
			return "", "", err
		}
		if err = os.WriteFile(filepath.Join(d, "ca.pem"), a.PEM(), 0o644); err != nil {
			return "", "", err
		}
	}
	return roots, intermediates, nil
}
