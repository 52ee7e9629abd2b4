package smcrypto_test

import (
	"bufio"
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/sealhub/sealhub/trustlist/ses"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

func TestParseSampleCertificates(t *testing.T) {
	samples := samplesDir(t)
	for _, d := range sampleCertDirs {
		t.Run(d.dir, func(t *testing.T) {
			files := sampleCertFiles(t, samples, d.dir)
			if len(files) != d.count {
				t.Fatalf("%d certificates, want %d", len(files), d.count)
			}
			for _, f := range files {
				t.Run(filepath.Base(f.name), func(t *testing.T) {
					c, err := smcrypto.ParseCertificate(f.der)
					if err != nil {
						t.Fatalf("ParseCertificate: %v", err)
					}
					if c.Lenient || c.X509 == nil || c.StrictError != nil {
						t.Fatalf("parsed leniently (%v); every sample certificate parses strictly", c.StrictError)
					}
					if !bytes.Equal(c.Raw, f.der) {
						t.Fatal("Raw is not the input")
					}
					if !c.SignatureAlgorithm.Equal(smcrypto.OIDSM2WithSM3) || c.PublicKey == nil {
						t.Fatalf("signature algorithm %v, key %v: want SM2-with-SM3 and an SM2 key", c.SignatureAlgorithm, c.PublicKey)
					}
					if c.NotBefore.IsZero() || !c.NotAfter.After(c.NotBefore) {
						t.Fatalf("validity %v – %v", c.NotBefore, c.NotAfter)
					}
					if c.SelfIssued() {
						if err := c.CheckSignatureFrom(c); err != nil {
							t.Fatalf("self-signature: %v", err)
						}
					}
				})
			}
		})
	}
}

func TestNationalRootFingerprints(t *testing.T) {
	// From samples/README.md.
	tests := map[string]string{
		"ROOTCA.pem":             "9C28D3847414BFFF1A5749E7E2381146F82842083E8C592E16A612D04A5BA8CD",
		"Civil_Servant_ROOT.pem": "F9881C5640C0E76C64075732A08C2F03968B90BEFB71AD48326BAB01E2AA070E",
		"Device_ROOT.pem":        "63EB6BDF99EBA2540D12838E188BB47C4A5CDE0F0F55F95FDE969CF20FFF67A4",
	}
	for file, want := range tests {
		t.Run(file, func(t *testing.T) {
			certs, err := smcrypto.LoadFile(samplePath(t, "certs/national-sm2-roots/"+file))
			if err != nil || len(certs) != 1 {
				t.Fatalf("LoadFile = %d certificates, %v", len(certs), err)
			}
			c := certs[0]
			if got := c.SHA256Fingerprint(); got != want {
				t.Fatalf("SHA256Fingerprint = %s, want %s", got, want)
			}
			if got, want := c.Fingerprint(), smcrypto.SM3Hex(c.Raw); got != want {
				t.Fatalf("Fingerprint = %s, want SM3 of the DER %s", got, want)
			}
			if !c.SelfIssued() || !c.IsCA || c.KeyUsage&smcrypto.KeyUsageCertSign == 0 {
				t.Fatalf("root: self-issued %v, CA %v, key usage %b", c.SelfIssued(), c.IsCA, c.KeyUsage)
			}
		})
	}
}

// indexNames are the attribute short names that national-sm2-ca-operating.INDEX.tsv prints.
var indexNames = map[string]string{
	"2.5.4.6":                    "C",
	"2.5.4.8":                    "ST",
	"2.5.4.7":                    "L",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.3":                    "CN",
	"1.2.840.113549.1.9.1":       "emailAddress",
	"0.9.2342.19200300.100.1.1":  "UID",
	"2.5.4.5":                    "serialNumber",
	"2.5.4.9":                    "street",
	"0.9.2342.19200300.100.1.25": "DC",
}

// indexDN prints a raw X.501 Name the way the index does: RDNs in encoded order, "," between
// attributes.
func indexDN(t *testing.T, raw []byte) string {
	t.Helper()
	var rdns []atvSET
	if rest, err := asn1.Unmarshal(raw, &rdns); err != nil || len(rest) != 0 {
		t.Fatalf("name: %v", err)
	}
	var parts []string
	for _, set := range rdns {
		for _, atv := range set {
			short, ok := indexNames[atv.Type.String()]
			if !ok {
				short = atv.Type.String()
			}
			parts = append(parts, short+"="+string(atv.Value.Bytes))
		}
	}
	return strings.Join(parts, ",")
}

// atvSET is a RelativeDistinguishedName read without interpreting the values (encoding/asn1 reads a
// slice type whose name ends in SET as a SET OF).
type atvSET []struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

func TestOperatingCAIndex(t *testing.T) {
	samples := samplesDir(t)
	f, err := os.Open(filepath.Join(samples, "certs", "national-sm2-ca-operating.INDEX.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const indexTime = "Jan _2 15:04:05 2006 MST"
	sc := bufio.NewScanner(f)
	rows := 0
	issuers := map[string]int{}
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 6 {
			t.Fatalf("index line %q: %d columns", sc.Text(), len(cols))
		}
		if cols[0] == "file" {
			continue
		}
		rows++
		file, subject, issuer, notBefore, notAfter, sha := cols[0], cols[1], cols[2], cols[3], cols[4], cols[5]
		t.Run(file, func(t *testing.T) {
			certs, err := smcrypto.LoadFile(filepath.Join(samples, "certs", "national-sm2-ca-operating", file))
			if err != nil || len(certs) != 1 {
				t.Fatalf("LoadFile = %d certificates, %v", len(certs), err)
			}
			c := certs[0]
			if got := c.SHA256Fingerprint(); got != sha {
				t.Errorf("SHA256Fingerprint = %s, index says %s", got, sha)
			}
			for _, tc := range []struct {
				name string
				got  time.Time
				text string
			}{{"notBefore", c.NotBefore, notBefore}, {"notAfter", c.NotAfter, notAfter}} {
				want, err := time.Parse(indexTime, tc.text)
				if err != nil {
					t.Fatalf("index %s %q: %v", tc.name, tc.text, err)
				}
				if !tc.got.Equal(want) {
					t.Errorf("%s = %v, index says %v", tc.name, tc.got, want)
				}
			}
			if got := indexDN(t, c.RawSubject); got != subject {
				t.Errorf("subject = %q, index says %q", got, subject)
			}
			if got := indexDN(t, c.RawIssuer); got != issuer {
				t.Errorf("issuer = %q, index says %q", got, issuer)
			}
			if c.IssuerName.CommonName == "" || !strings.HasSuffix(issuer, "CN="+c.IssuerName.CommonName) {
				t.Errorf("IssuerName.CommonName = %q, index issuer %q", c.IssuerName.CommonName, issuer)
			}
			issuers[c.IssuerName.CommonName]++
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if rows != 86 {
		t.Fatalf("index has %d rows, want 86", rows)
	}
	want := map[string]int{"ROOTCA": 72, "Civil Servant ROOT": 12, "Device ROOT": 2}
	if fmt.Sprint(issuers) != fmt.Sprint(want) {
		t.Fatalf("issuers %v, want %v (samples/README.md)", issuers, want)
	}
}

// allSampleCerts is every certificate of the sample folder: the certs/ folders and those carried by
// seals and signatures.
func allSampleCerts(t *testing.T) []sampleCertFile {
	samples := samplesDir(t)
	var all []sampleCertFile
	for _, d := range sampleCertDirs {
		all = append(all, sampleCertFiles(t, samples, d.dir)...)
	}
	return append(all, sesCertificates(t, samples)...)
}

// TestStrictLenientAgreement: for every certificate that parses strictly, the lenient parser reads the
// same values, and both agree with smx509's own reading.
func TestStrictLenientAgreement(t *testing.T) {
	inputs := allSampleCerts(t)
	pki := newTestPKI(t)
	for name, c := range map[string]*testCert{"generated root": pki.root, "generated intermediate": pki.inter, "generated leaf": pki.leaf} {
		inputs = append(inputs, sampleCertFile{name: name, der: c.der})
	}
	strict := 0
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			s, err := smcrypto.ParseCertificateStrict(in.der)
			if err != nil {
				t.Skipf("not strictly parseable: %v", err)
			}
			strict++
			l, err := smcrypto.ParseCertificateLenient(in.der)
			if err != nil {
				t.Fatalf("strict parse succeeds, lenient fails: %v", err)
			}
			if !l.Lenient || s.Lenient || l.X509 != nil || s.X509 == nil {
				t.Fatalf("Lenient flags: strict %v, lenient %v", s.Lenient, l.Lenient)
			}
			compareCerts(t, s, l)
			x := s.X509
			checks := []struct {
				field string
				ok    bool
			}{
				{"Raw", bytes.Equal(x.Raw, l.Raw)},
				{"RawTBSCertificate", bytes.Equal(x.RawTBSCertificate, l.RawTBSCertificate)},
				{"RawSubject", bytes.Equal(x.RawSubject, l.RawSubject)},
				{"RawIssuer", bytes.Equal(x.RawIssuer, l.RawIssuer)},
				{"SerialNumber", x.SerialNumber.Cmp(l.SerialNumber) == 0},
				{"NotBefore", x.NotBefore.Equal(l.NotBefore)},
				{"NotAfter", x.NotAfter.Equal(l.NotAfter)},
				{"PublicKey", l.PublicKey != nil && l.PublicKey.Equal(x.PublicKey)},
				{"Signature", bytes.Equal(x.Signature, l.Signature)},
				{"BasicConstraintsValid", x.BasicConstraintsValid == l.BasicConstraintsValid},
				{"IsCA", x.IsCA == l.IsCA},
				{"KeyUsage", int(x.KeyUsage) == int(l.KeyUsage)},
				{"SubjectKeyId", bytes.Equal(x.SubjectKeyId, l.SubjectKeyID)},
				{"AuthorityKeyId", bytes.Equal(x.AuthorityKeyId, l.AuthorityKeyID)},
				{"Subject", x.Subject.String() == l.Subject},
				{"Issuer", x.Issuer.String() == l.Issuer},
				{"SignatureAlgorithm", x.SignatureAlgorithm == smx509.SM2WithSM3 && l.SignatureAlgorithm.Equal(smcrypto.OIDSM2WithSM3)},
			}
			for _, c := range checks {
				if !c.ok {
					t.Errorf("lenient %s differs from smx509's", c.field)
				}
			}
			if t.Failed() {
				t.Logf("smx509: subject %q, KU %b, SKI %x, AKI %x; lenient: subject %q, KU %b, SKI %x, AKI %x",
					x.Subject, x.KeyUsage, x.SubjectKeyId, x.AuthorityKeyId, l.Subject, l.KeyUsage, l.SubjectKeyID, l.AuthorityKeyID)
			}
		})
	}
	if strict < 100 {
		t.Fatalf("only %d strictly parseable certificates compared", strict)
	}
}

// compareCerts fails unless two parses of the same certificate agree on everything verification uses.
func compareCerts(t *testing.T, a, b *smcrypto.Certificate) {
	t.Helper()
	checks := []struct {
		field string
		ok    bool
	}{
		{"Raw", bytes.Equal(a.Raw, b.Raw)},
		{"RawTBSCertificate", bytes.Equal(a.RawTBSCertificate, b.RawTBSCertificate)},
		{"RawSubject", bytes.Equal(a.RawSubject, b.RawSubject)},
		{"RawIssuer", bytes.Equal(a.RawIssuer, b.RawIssuer)},
		{"Subject", a.Subject == b.Subject},
		{"Issuer", a.Issuer == b.Issuer},
		{"SerialNumber", a.SerialNumber.Cmp(b.SerialNumber) == 0},
		{"NotBefore", a.NotBefore.Equal(b.NotBefore)},
		{"NotAfter", a.NotAfter.Equal(b.NotAfter)},
		{"PublicKey", (a.PublicKey == nil && b.PublicKey == nil) || (a.PublicKey != nil && a.PublicKey.Equal(b.PublicKey))},
		{"PublicKeyAlgorithm", a.PublicKeyAlgorithm.Equal(b.PublicKeyAlgorithm)},
		{"SignatureAlgorithm", a.SignatureAlgorithm.Equal(b.SignatureAlgorithm)},
		{"Signature", bytes.Equal(a.Signature, b.Signature)},
		{"BasicConstraintsValid", a.BasicConstraintsValid == b.BasicConstraintsValid},
		{"IsCA", a.IsCA == b.IsCA},
		{"KeyUsagePresent", a.KeyUsagePresent == b.KeyUsagePresent},
		{"KeyUsage", a.KeyUsage == b.KeyUsage},
		{"SubjectKeyID", bytes.Equal(a.SubjectKeyID, b.SubjectKeyID)},
		{"AuthorityKeyID", bytes.Equal(a.AuthorityKeyID, b.AuthorityKeyID)},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("strict and lenient parses differ in %s", c.field)
		}
	}
}

// TestLenientDms360 uses the real certificates that the strict parser refuses: the dms360 signer and
// maker certificate (one self-signed certificate with an invalid SubjectAltName).
func TestLenientDms360(t *testing.T) {
	data := readSample(t, "ses-signature/dms360-v1/SignedValue.dat")
	sig, err := ses.ParseSignature(data)
	if err != nil {
		t.Fatal(err)
	}
	signer, maker := dms360Certs(t)
	for name, der := range map[string][]byte{"signer": signer, "maker": maker} {
		t.Run(name, func(t *testing.T) {
			if _, err := smcrypto.ParseCertificateStrict(der); err == nil || !strings.Contains(err.Error(), "invalid subject alternative names") {
				t.Fatalf("strict parse error = %v, want invalid subject alternative names", err)
			}
			c, err := smcrypto.ParseCertificate(der)
			if err != nil {
				t.Fatalf("ParseCertificate: %v", err)
			}
			if !c.Lenient || c.X509 != nil {
				t.Fatalf("Lenient = %v, X509 = %v; want a lenient parse", c.Lenient, c.X509)
			}
			if c.StrictError == nil || !strings.Contains(c.StrictError.Error(), "invalid subject alternative names") {
				t.Fatalf("StrictError = %v", c.StrictError)
			}
			if c.Subject != "CN=www.dms360.cn,OU=OrgUnit1+OU=OrgUnit2+OU=OrgUnit3,O=Org,C=CN" {
				t.Fatalf("Subject = %q", c.Subject)
			}
			want := time.Date(2019, 9, 26, 13, 2, 43, 0, time.UTC)
			if !c.NotBefore.Equal(want) || !c.NotAfter.Equal(want.AddDate(10, 0, 0)) {
				t.Fatalf("validity %v – %v", c.NotBefore, c.NotAfter)
			}
			if c.PublicKey == nil || !c.SelfIssued() {
				t.Fatalf("key %v, self-issued %v", c.PublicKey, c.SelfIssued())
			}
			// The lenient key is the right one: the certificate's self-signature and the seal's
			// maker signature (V1 rule, samples/README.md) both verify with it.
			if err := c.CheckSignatureFrom(c); err != nil {
				t.Fatalf("self-signature: %v", err)
			}
			if _, err := c.VerifySignature(sig.Seal.SignedBytes, sig.Seal.SignedValue); err != nil {
				t.Fatalf("seal signature: %v", err)
			}
			chain, err := smcrypto.BuildChain(c, smcrypto.ChainOptions{Roots: smcrypto.NewPool(c), At: want.AddDate(1, 0, 0)})
			if err != nil || len(chain.Certs) != 1 {
				t.Fatalf("BuildChain with itself as root = %v, %v", chain, err)
			}
		})
	}
}

// patchOnce replaces the single occurrence of old in b with new (same length).
func patchOnce(t *testing.T, b, old, new []byte) []byte {
	t.Helper()
	if len(old) != len(new) {
		t.Fatalf("patch %q → %q changes the length", old, new)
	}
	if n := bytes.Count(b, old); n != 1 {
		t.Fatalf("patch: %q occurs %d times", old, n)
	}
	return bytes.Replace(b, old, new, 1)
}

var oidEmailAddress = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}

// TestLenientGeneratedBrokenCertificates builds certificates the strict parser refuses, in the ways
// real ones are broken, by patching a good certificate's TBSCertificate and re-signing it with the
// issuer's key.
func TestLenientGeneratedBrokenCertificates(t *testing.T) {
	root := issue(t, caTemplate("Broken Test Root"), nil, nil)
	tests := map[string]struct {
		tmpl       func(*smx509.Certificate)
		old, new   []byte // TBS bytes to patch
		wantStrict string
		check      func(t *testing.T, c *smcrypto.Certificate)
	}{
		"UTF-8 in IA5String emailAddress": {
			tmpl: func(c *smx509.Certificate) {
				c.Subject.ExtraNames = []pkix.AttributeTypeAndValue{{Type: oidEmailAddress, Value: asn1.RawValue{Tag: asn1.TagIA5String, Bytes: []byte("zhangs@example.cn")}}}
			},
			old: []byte("zhangs@example.cn"), new: []byte("张三@example.cn"),
			wantStrict: "IA5String",
			check: func(t *testing.T, c *smcrypto.Certificate) {
				for _, atv := range c.SubjectName.Names {
					if atv.Type.Equal(oidEmailAddress) && atv.Value == "张三@example.cn" {
						return
					}
				}
				t.Fatalf("subject names %v lack the UTF-8 e-mail address", c.SubjectName.Names)
			},
		},
		"UTF-8 in SAN rfc822Name": {
			tmpl: func(c *smx509.Certificate) { c.EmailAddresses = []string{"zhangs@example.cn"} },
			old:  []byte("zhangs@example.cn"), new: []byte("张三@example.cn"),
			wantStrict: "SAN rfc822Name is malformed",
		},
		"UTF-8 in SAN dNSName": {
			tmpl: func(c *smx509.Certificate) { c.DNSNames = []string{"zhangs.example.cn"} },
			old:  []byte("zhangs.example.cn"), new: []byte("张三.example.cn"),
			wantStrict: "SAN dNSName is malformed",
		},
		"SubjectAltName not a SEQUENCE": {
			tmpl: func(c *smx509.Certificate) { c.DNSNames = []string{"zhangs.example.cn"} },
			// GeneralNames SEQUENCE (0x30) turned into a SET (0x31), as in the dms360 certificate.
			old:        append([]byte{0x30, 19, 0x82, 17}, "zhangs.example.cn"...),
			new:        append([]byte{0x31, 19, 0x82, 17}, "zhangs.example.cn"...),
			wantStrict: "invalid subject alternative names",
		},
		"negative serial number": {
			tmpl: func(c *smx509.Certificate) {
				c.SerialNumber = new(big.Int).SetBytes([]byte{0x7e, 0x5e, 0xa1, 0x5e, 0xa1, 0x00, 0x00, 0x01})
			},
			old:        []byte{0x02, 0x08, 0x7e, 0x5e, 0xa1, 0x5e, 0xa1, 0x00, 0x00, 0x01},
			new:        []byte{0x02, 0x08, 0xfe, 0x5e, 0xa1, 0x5e, 0xa1, 0x00, 0x00, 0x01},
			wantStrict: "negative serial number",
			check: func(t *testing.T, c *smcrypto.Certificate) {
				if c.SerialNumber.Sign() >= 0 {
					t.Fatalf("SerialNumber = %v, want negative", c.SerialNumber)
				}
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tmpl := leafTemplate("Broken Leaf")
			tc.tmpl(tmpl)
			good := issue(t, tmpl, root, nil)
			goodTBS, _, _ := certParts(t, good.der)
			tbs := patchOnce(t, goodTBS, tc.old, tc.new)
			der := resign(t, good.der, tbs, root.sm2Key())

			if _, err := smcrypto.ParseCertificateStrict(der); err == nil || !strings.Contains(err.Error(), tc.wantStrict) {
				t.Fatalf("strict parse error = %v, want %q", err, tc.wantStrict)
			}
			c, err := smcrypto.ParseCertificate(der)
			if err != nil {
				t.Fatalf("ParseCertificate: %v", err)
			}
			if !c.Lenient || c.StrictError == nil || c.X509 != nil {
				t.Fatalf("Lenient %v, StrictError %v", c.Lenient, c.StrictError)
			}
			if !bytes.Equal(c.RawTBSCertificate, tbs) || !bytes.Equal(c.Raw, der) {
				t.Fatal("raw fields are not the patched bytes")
			}
			g := good.cert
			if !c.NotBefore.Equal(g.NotBefore) || !c.NotAfter.Equal(g.NotAfter) || !c.PublicKey.Equal(g.PublicKey) ||
				!bytes.Equal(c.RawIssuer, g.RawIssuer) || c.KeyUsage != g.KeyUsage || c.IsCA != g.IsCA ||
				!bytes.Equal(c.AuthorityKeyID, g.AuthorityKeyID) {
				t.Fatal("lenient parse differs from the unpatched certificate in validity, key, issuer or extensions")
			}
			if tc.check != nil {
				tc.check(t, c)
			}
			if err := c.CheckSignatureFrom(root.cert); err != nil {
				t.Fatalf("CheckSignatureFrom(issuer): %v", err)
			}
			chain, err := smcrypto.BuildChain(c, smcrypto.ChainOptions{Roots: smcrypto.NewPool(root.cert), At: t0})
			if err != nil || len(chain.Certs) != 2 {
				t.Fatalf("BuildChain = %v, %v", chain, err)
			}

			// One flipped bit in the TBSCertificate, same signature: the signature check fails.
			tampered := bytes.Clone(tbs)
			tampered[bytes.Index(tbs, tc.new)+len(tc.new)-1] ^= 1
			_, alg, sig := certParts(t, der)
			bad, err := smcrypto.ParseCertificate(assembleCert(tampered, alg, sig))
			if err != nil {
				t.Fatalf("ParseCertificate(tampered): %v", err)
			}
			if err := bad.CheckSignatureFrom(root.cert); !errors.Is(err, smcrypto.ErrBadSignature) {
				t.Fatalf("CheckSignatureFrom(tampered) = %v, want ErrBadSignature", err)
			}
			_, err = smcrypto.BuildChain(bad, smcrypto.ChainOptions{Roots: smcrypto.NewPool(root.cert), At: t0})
			if ce := chainError(t, err); ce.Reason != smcrypto.ReasonBadSignature {
				t.Fatalf("BuildChain(tampered) reason %v, want bad_signature", ce.Reason)
			}
		})
	}
}

// TestCompressedPublicKeyRefused: a certificate whose SM2 key is a compressed point is refused by both
// parsers (gmsm's sm2.NewPublicKey would return a key with Y = 0, which verifies nothing).
func TestCompressedPublicKeyRefused(t *testing.T) {
	root := issue(t, caTemplate("Compressed Test Root"), nil, nil)
	leaf := issue(t, leafTemplate("Compressed Leaf"), root, nil)
	tbs, _, _ := certParts(t, leaf.der)
	pub := leaf.cert.PublicKey
	point := make([]byte, 33)
	point[0] = 2 | byte(pub.Y.Bit(0))
	pub.X.FillBytes(point[1:])
	// Rebuild the TBSCertificate with the SPKI's BIT STRING holding the compressed point.
	in := cryptobyte.String(tbs)
	var body cryptobyte.String
	if !in.ReadASN1(&body, cbasn1.SEQUENCE) {
		t.Fatal("TBS")
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(out *cryptobyte.Builder) {
		for i := 0; !body.Empty(); i++ {
			var el cryptobyte.String
			var tag cbasn1.Tag
			if !body.ReadAnyASN1Element(&el, &tag) {
				t.Fatal("TBS element")
			}
			if i != 6 { // version, serial, signature, issuer, validity, subject, subjectPublicKeyInfo
				out.AddBytes(el)
				continue
			}
			var spki, alg cryptobyte.String
			if !el.ReadASN1(&spki, cbasn1.SEQUENCE) || !spki.ReadASN1Element(&alg, cbasn1.SEQUENCE) {
				t.Fatal("SPKI")
			}
			out.AddASN1(cbasn1.SEQUENCE, func(s *cryptobyte.Builder) {
				s.AddBytes(alg)
				s.AddASN1BitString(point)
			})
		}
	})
	der := resign(t, leaf.der, b.BytesOrPanic(), root.sm2Key())
	if _, err := smcrypto.ParseCertificateStrict(der); err == nil {
		t.Fatal("strict parser accepts a compressed SM2 point")
	}
	if c, err := smcrypto.ParseCertificateLenient(der); err == nil {
		t.Fatalf("lenient parser accepts a compressed SM2 point as %v", c.PublicKey)
	}
	if _, err := smcrypto.ParseCertificate(der); !errors.Is(err, smcrypto.ErrMalformedCertificate) {
		t.Fatalf("ParseCertificate error = %v, want ErrMalformedCertificate", err)
	}
}

func TestParseCertificateMalformed(t *testing.T) {
	pki := newTestPKI(t)
	der := pki.leaf.der
	tbs, _, _ := certParts(t, der)
	tests := map[string][]byte{
		"empty":           nil,
		"junk":            []byte("not a certificate"),
		"trailing byte":   append(bytes.Clone(der), 0),
		"truncated":       der[:len(der)-1],
		"TBSCertificate":  tbs,
		"empty SEQUENCE":  {0x30, 0x00},
		"PEM text as DER": []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := smcrypto.ParseCertificate(in)
			if !errors.Is(err, smcrypto.ErrMalformedCertificate) || c != nil {
				t.Fatalf("ParseCertificate = %v, %v; want ErrMalformedCertificate", c, err)
			}
			if _, err := smcrypto.ParseCertificateLenient(in); err == nil {
				t.Fatal("lenient parser accepts it")
			}
		})
	}
}

func TestCertificateValidAt(t *testing.T) {
	c := newTestPKI(t).leaf.cert
	tests := map[string]struct {
		at   time.Time
		want bool
	}{
		"at NotBefore":          {c.NotBefore, true},
		"just before":           {c.NotBefore.Add(-time.Second), false},
		"at NotAfter":           {c.NotAfter, true},
		"just after":            {c.NotAfter.Add(time.Second), false},
		"t0":                    {t0, true},
		"t0 in another zone":    {t0.In(time.FixedZone("CST", 8*3600)), true},
		"zero time":             {time.Time{}, false},
		"far future":            {time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), false},
		"NotAfter, +08:00 zone": {c.NotAfter.In(time.FixedZone("CST", 8*3600)), true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := c.ValidAt(tc.at); got != tc.want {
				t.Fatalf("ValidAt(%v) = %v, want %v", tc.at, got, tc.want)
			}
		})
	}
}

func TestParseASN1Times(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	tests := map[string]struct {
		parse func(string) (time.Time, error)
		in    string
		want  time.Time // zero: an error is expected
	}{
		"UTCTime":                    {smcrypto.ParseUTCTime, "200422021807Z", utc(2020, 4, 22, 2, 18, 7, 0)},
		"UTCTime without seconds":    {smcrypto.ParseUTCTime, "2004220218Z", utc(2020, 4, 22, 2, 18, 0, 0)},
		"UTCTime with offset":        {smcrypto.ParseUTCTime, "200422101807+0800", utc(2020, 4, 22, 2, 18, 7, 0)},
		"UTCTime year 49 is 2049":    {smcrypto.ParseUTCTime, "491231235959Z", utc(2049, 12, 31, 23, 59, 59, 0)},
		"UTCTime year 50 is 1950":    {smcrypto.ParseUTCTime, "500101000000Z", utc(1950, 1, 1, 0, 0, 0, 0)},
		"UTCTime without zone":       {smcrypto.ParseUTCTime, "200422021807", time.Time{}},
		"UTCTime bad month":          {smcrypto.ParseUTCTime, "201322021807Z", time.Time{}},
		"UTCTime empty":              {smcrypto.ParseUTCTime, "", time.Time{}},
		"GeneralizedTime":            {smcrypto.ParseGeneralizedTime, "20200422020900Z", utc(2020, 4, 22, 2, 9, 0, 0)},
		"GeneralizedTime fraction":   {smcrypto.ParseGeneralizedTime, "20200422020900.25Z", utc(2020, 4, 22, 2, 9, 0, 250000000)},
		"GeneralizedTime offset":     {smcrypto.ParseGeneralizedTime, "20200422100900+0800", utc(2020, 4, 22, 2, 9, 0, 0)},
		"GeneralizedTime no seconds": {smcrypto.ParseGeneralizedTime, "202004220209Z", utc(2020, 4, 22, 2, 9, 0, 0)},
		"GeneralizedTime after 2049": {smcrypto.ParseGeneralizedTime, "20600101000000Z", utc(2060, 1, 1, 0, 0, 0, 0)},
		"GeneralizedTime local time": {smcrypto.ParseGeneralizedTime, "20200422020900", time.Time{}},
		"GeneralizedTime as UTCTime": {smcrypto.ParseGeneralizedTime, "200422021807Z", time.Time{}},
		"GeneralizedTime garbage":    {smcrypto.ParseGeneralizedTime, "2020-04-22T02:09:00Z", time.Time{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := tc.parse(tc.in)
			if tc.want.IsZero() {
				if err == nil {
					t.Fatalf("parsed %q as %v, want an error", tc.in, got)
				}
				return
			}
			if err != nil || !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Fatalf("parse(%q) = %v, %v; want %v UTC", tc.in, got, err, tc.want)
			}
		})
	}
}
