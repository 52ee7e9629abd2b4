package ofd

import (
	"bytes"
	"crypto/rand"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/sealhub/sealhub/trustlist/ses"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// testSigner makes SES seals and signatures with a fresh SM2 key and a self-signed certificate that
// serves as maker and signer certificate alike.
type testSigner struct {
	cert []byte
	sign ses.SignFunc
	seal []byte
}

func newTestSigner(t testing.TB) *testSigner {
	t.Helper()
	key, err := smcrypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tmpl := &smx509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "resolver/ofd test signer", Organization: []string{"sealhub"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(1, 0, 0),
		KeyUsage:              smx509.KeyUsageDigitalSignature | smx509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	cert, err := smx509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	s := &testSigner{cert: cert, sign: func(m []byte) ([]byte, error) { return smcrypto.Sign(key, m) }}
	s.seal, err = ses.EncodeSeal(ses.SealTemplate{
		Vid: "sealhub-test", ESID: "11010000000001", Type: 1, Name: "测试章",
		CertList: [][]byte{cert}, MakerCert: cert,
		CreateDate: now, ValidStart: now, ValidEnd: now.AddDate(1, 0, 0),
		Picture: ses.Picture{Type: "png", Data: []byte("\x89PNG"), Width: 40, Height: 40},
	}, s.sign)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signOFD returns a Sign callback for signature n: an SES_Signature over SM3(Signature.xml).
func (s *testSigner) signOFD(n int) func([]byte) ([]byte, error) {
	return func(sigXML []byte) ([]byte, error) {
		h := smcrypto.SM3(sigXML)
		return ses.EncodeSignature(ses.SignatureTemplate{
			Seal: s.seal, TimeInfo: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			DataHash: h[:], PropertyInfo: SignatureXMLPath(n), SignerCert: s.cert,
		}, s.sign)
	}
}

// fakePKCS7 is a ContentInfo{signedData, [0] {}}: enough to be told apart from SES.
var fakePKCS7 = []byte{0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xa0, 0x00}

func TestWriteRoundTrip(t *testing.T) {
	s := newTestSigner(t)
	spec := WriteSpec{Signatures: []SignSpec{
		{Seal: s.seal, Sign: s.signOFD(0)},
		{Provider: Provider{Name: "second", Company: "c&o <x>", Version: "2"}, CheckMethod: "sm3", Sign: s.signOFD(1)},
		{Type: "Sign", Sign: func([]byte) ([]byte, error) { return fakePKCS7, nil }},
	}}
	var buf bytes.Buffer
	if err := Write(&buf, spec); err != nil {
		t.Fatal(err)
	}
	d := mustOpen(t, buf.Bytes(), Options{})
	reports := d.Check()
	if len(reports) != 3 {
		t.Fatalf("%d reports", len(reports))
	}
	// Each signature references the files written before it: 3 document files, its own Seal.esl,
	// and 2 (or 3, with a Seal.esl) files per earlier signature.
	wantRefs := []int{4, 6, 8}
	for i, r := range reports[:2] {
		if !r.OK() || r.Kind != KindSES || len(r.References) != wantRefs[i] || len(r.Notes) != 0 {
			t.Errorf("signature %d: OK %v kind %s refs %d notes %q err %v dataHash %+v seal %+v",
				i, r.OK(), r.Kind, len(r.References), r.Notes, r.Err, r.DataHash, r.Seal)
		}
		signer, err := r.SES.SignerCertificate()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.SES.VerifySignature(signer); err != nil {
			t.Errorf("signature %d does not verify: %v", i, err)
		}
	}
	if reports[0].Seal.Status != StatusOK || reports[1].Seal.Status != StatusAbsent {
		t.Errorf("seal statuses %s %s", reports[0].Seal.Status, reports[1].Seal.Status)
	}
	if p := reports[1].Signature.Info.Provider; p.Company != "c&o <x>" {
		t.Errorf("provider %+v", p)
	}
	third := reports[2]
	if third.Kind != KindPKCS7 || third.OK() || !third.ReferencesOK() || len(third.References) != wantRefs[2] || third.Signature.Type != "Sign" {
		t.Errorf("third: kind %s OK %v refs %d type %s", third.Kind, third.OK(), len(third.References), third.Signature.Type)
	}

	// Appending to the page after signing breaks its reference in every signature.
	tampered := rezip(t, buf.Bytes(), replace("Doc_0/Pages/Page_0/Content.xml", func(b []byte) []byte { return append(b, ' ') }))
	for i, r := range mustOpen(t, tampered, Options{}).Check() {
		if st := refStatuses(r)["Doc_0/Pages/Page_0/Content.xml"]; st != StatusMismatch || r.OK() {
			t.Errorf("signature %d after tampering: page %s, OK %v", i, st, r.OK())
		}
	}
}

func TestWriteErrors(t *testing.T) {
	boom := errors.New("boom")
	cases := map[string]struct {
		spec WriteSpec
		want error
	}{
		"no callback":    {WriteSpec{Signatures: []SignSpec{{}}}, ErrBadSpec},
		"callback fails": {WriteSpec{Signatures: []SignSpec{{Sign: func([]byte) ([]byte, error) { return nil, boom }}}}, boom},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if err := Write(&bytes.Buffer{}, tc.spec); !errors.Is(err, tc.want) {
				t.Errorf("Write = %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("unsigned document", func(t *testing.T) {
		var buf bytes.Buffer
		if err := Write(&buf, WriteSpec{PageContent: []byte("<Page/>")}); err != nil {
			t.Fatal(err)
		}
		d := mustOpen(t, buf.Bytes(), Options{})
		if len(d.Signatures) != 0 || d.Bodies[0].SignaturesPath != "" || len(d.Check()) != 0 {
			t.Errorf("unsigned document: bodies %+v, %d signatures", d.Bodies, len(d.Signatures))
		}
	})
}

// TestDataHashTarget: propertyInfo that names no file falls back to the signature's own
// Signature.xml; propertyInfo that names another signature's Signature.xml is checked against that
// file, and the report is not OK because the dataHash then does not bind this signature's References.
func TestDataHashTarget(t *testing.T) {
	s := newTestSigner(t)
	withProperty := func(prop string, over func([]byte) []byte) func([]byte) ([]byte, error) {
		return func(sigXML []byte) ([]byte, error) {
			h := smcrypto.SM3(over(sigXML))
			return ses.EncodeSignature(ses.SignatureTemplate{Seal: s.seal, DataHash: h[:], PropertyInfo: prop, SignerCert: s.cert}, s.sign)
		}
	}
	self := func(b []byte) []byte { return b }
	var first []byte
	capture := func(b []byte) []byte { first = bytes.Clone(b); return b }
	cases := map[string]struct {
		sign     []SignSpec
		fellBack bool
		path     string
		ok       bool
		note     bool
	}{
		"propertyInfo is not a path": {
			sign: []SignSpec{{Sign: withProperty("original document", self)}}, fellBack: true,
			path: "Doc_0/Signs/Sign_0/Signature.xml", ok: true, note: true,
		},
		"propertyInfo climbs": {
			sign: []SignSpec{{Sign: withProperty("../../../../Signature.xml", self)}}, fellBack: true,
			path: "Doc_0/Signs/Sign_0/Signature.xml", ok: true, note: true,
		},
		"relative propertyInfo": {
			sign: []SignSpec{{Sign: withProperty("Signature.xml", self)}},
			path: "Doc_0/Signs/Sign_0/Signature.xml", ok: true,
		},
		"propertyInfo names another Signature.xml": {
			sign: []SignSpec{
				{Sign: withProperty(SignatureXMLPath(0), capture)},
				{Sign: withProperty(SignatureXMLPath(0), func([]byte) []byte { return first })},
			},
			path: "Doc_0/Signs/Sign_0/Signature.xml", note: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, WriteSpec{Signatures: tc.sign}); err != nil {
				t.Fatal(err)
			}
			reports := mustOpen(t, buf.Bytes(), Options{}).Check()
			r := reports[len(reports)-1]
			dh := r.DataHash
			if dh.Status != StatusOK || dh.FellBack != tc.fellBack || dh.Path != tc.path {
				t.Errorf("dataHash %+v", dh)
			}
			if r.OK() != tc.ok || (len(r.Notes) > 0) != tc.note {
				t.Errorf("OK() %v, notes %q", r.OK(), r.Notes)
			}
		})
	}
}

// TestConcurrentCheck runs Check from several goroutines on one Document (run with -race).
func TestConcurrentCheck(t *testing.T) {
	s := newTestSigner(t)
	var buf bytes.Buffer
	if err := Write(&buf, WriteSpec{Signatures: []SignSpec{{Seal: s.seal, Sign: s.signOFD(0)}, {Sign: s.signOFD(1)}}}); err != nil {
		t.Fatal(err)
	}
	d := mustOpen(t, buf.Bytes(), Options{})
	done := make(chan bool)
	for range 4 {
		go func() {
			ok := true
			for _, r := range d.Check() {
				ok = ok && r.OK()
			}
			done <- ok
		}()
	}
	for range 4 {
		if !<-done {
			t.Error("a concurrent Check failed")
		}
	}
}
