package tsp_test

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/sealhub/sealhub/internal/demo"
	"github.com/sealhub/sealhub/resolver/tsp"
	"github.com/sealhub/sealhub/resolver/tsp/tsptest"
	"github.com/sealhub/sealhub/trustlist/ses"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// message stands for an SES_Signature signature value, the data a seal-signature timestamp stamps.
var message = []byte("0E\x02\x21 an SM2 signature value over TBS_Sign")

var sentinels = []error{tsp.ErrMalformed, tsp.ErrUnsupported, tsp.ErrImprintMismatch, tsp.ErrSignatureInvalid, tsp.ErrNotTSA}

type fixture struct {
	pki *demo.PKI
	tsa *tsptest.TSA
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	p, err := demo.New(demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := tsptest.New(p)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{pki: p, tsa: a}
}

func stamp(t testing.TB, a *tsptest.TSA, msg []byte, s tsptest.Spec) []byte {
	t.Helper()
	tok, err := a.Stamp(msg, s)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// checkOneSentinel fails unless err wraps exactly want among the package's sentinels.
func checkOneSentinel(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want %v", err, want)
	}
	for _, s := range sentinels {
		if s != want && errors.Is(err, s) {
			t.Errorf("error %v wraps %v as well as %v", err, s, want)
		}
	}
	if !strings.HasPrefix(err.Error(), "tsp: ") {
		t.Errorf("error %q lacks the tsp: prefix", err)
	}
}

func TestValidTokens(t *testing.T) {
	fx := newFixture(t)
	genTime := time.Date(2024, 3, 1, 8, 30, 15, 123_000_000, time.UTC)
	cases := map[string]struct {
		spec  tsptest.Spec
		quirk string // a quirk the token must report; "" for none at all
	}{
		"default":                  {},
		"GM/T 0010 content type":   {spec: tsptest.Spec{ContentType: tsp.OIDGMSignedData}},
		"sm2-1 signature OID":      {spec: tsptest.Spec{SignatureAlg: tsp.OIDSM2Sign}},
		"SHA-256 imprint":          {spec: tsptest.Spec{HashAlg: tsp.OIDSHA256}},
		"SM3 without key OID":      {spec: tsptest.Spec{HashAlg: tsp.OIDSM3NoKey}},
		"subjectKeyIdentifier":     {spec: tsptest.Spec{SubjectKeyID: true}},
		"no signing certificate":   {spec: tsptest.Spec{NoSigningCert: true}},
		"no signed attributes":     {spec: tsptest.Spec{NoSignedAttrs: true}, quirk: "no signed attributes"},
		"raw r||s signature":       {spec: tsptest.Spec{Raw64: true}, quirk: "raw r||s"},
		"inside a TimeStampResp":   {spec: tsptest.Spec{Response: true}, quirk: "TimeStampResp"},
		"BER":                      {spec: tsptest.Spec{BER: true}, quirk: "BER encoding"},
		"BER without signed attrs": {spec: tsptest.Spec{BER: true, NoSignedAttrs: true}, quirk: "BER encoding"},
		"every optional field": {spec: tsptest.Spec{GenTime: genTime, Accuracy: 1*time.Second + 500*time.Millisecond + 200*time.Microsecond,
			Nonce: big.NewInt(0x1234567890), Ordering: true, Serial: new(big.Int).Lsh(big.NewInt(1), 159)}},
		"all forms at once": {spec: tsptest.Spec{BER: true, Response: true, ContentType: tsp.OIDGMSignedData, SignatureAlg: tsp.OIDSM2Sign,
			SubjectKeyID: true, Raw64: true, HashAlg: tsp.OIDSHA256}, quirk: "BER encoding"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			der := stamp(t, fx.tsa, message, tc.spec)
			tok, err := tsp.Parse(der)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if err := tok.Verify(message); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := tc.spec.GenTime
			if want.IsZero() {
				want = fx.tsa.GenTime
			}
			if !tok.GenTime.Equal(want) || tok.GenTime.Location() != time.UTC {
				t.Errorf("GenTime %v, want %v in UTC", tok.GenTime, want)
			}
			if tok.Accuracy != tc.spec.Accuracy {
				t.Errorf("Accuracy %v, want %v", tok.Accuracy, tc.spec.Accuracy)
			}
			if tok.Signer == nil || !bytes.Equal(tok.Signer.Raw, fx.tsa.DER) {
				t.Fatalf("Signer is not the TSA certificate")
			}
			if len(tok.Certs) != 2 || !bytes.Equal(tok.Certs[1].Raw, fx.pki.Intermediate.DER) {
				t.Errorf("Certs: %d, want the TSA's and the intermediate", len(tok.Certs))
			}
			if !tok.Policy.Equal(tsptest.Policy) {
				t.Errorf("Policy %v", tok.Policy)
			}
			quirks := strings.Join(tok.Quirks, "; ")
			if tc.quirk == "" && len(tok.Quirks) > 0 || !strings.Contains(quirks, tc.quirk) {
				t.Errorf("quirks %q, want %q", quirks, tc.quirk)
			}
		})
	}
}

func TestOptionalFields(t *testing.T) {
	fx := newFixture(t)
	spec := tsptest.Spec{Accuracy: 2*time.Second + 3*time.Millisecond + 4*time.Microsecond, Nonce: big.NewInt(-7), Ordering: true, Serial: big.NewInt(42), HashAlg: tsp.OIDSHA256}
	tok, err := tsp.Parse(stamp(t, fx.tsa, message, spec))
	if err != nil {
		t.Fatal(err)
	}
	if tok.Nonce.Int64() != -7 || !tok.Ordering || tok.Serial.Int64() != 42 || !tok.HashAlg.Equal(tsp.OIDSHA256) || len(tok.Imprint) != 32 {
		t.Errorf("fields: nonce %v ordering %v serial %v hash %v imprint %d bytes", tok.Nonce, tok.Ordering, tok.Serial, tok.HashAlg, len(tok.Imprint))
	}
	lo, hi := tok.Bounds()
	if !lo.Equal(fx.tsa.GenTime.Add(-spec.Accuracy)) || !hi.Equal(fx.tsa.GenTime.Add(spec.Accuracy)) {
		t.Errorf("Bounds %v – %v", lo, hi)
	}
	if !tok.ContentType.Equal(tsp.OIDSignedData) {
		t.Errorf("ContentType %v", tok.ContentType)
	}
}

// issueTSA issues a would-be TSA certificate from the default spec changed by edit.
func issueTSA(t *testing.T, p *demo.PKI, edit func(*demo.CertSpec)) *tsptest.TSA {
	t.Helper()
	s := tsptest.CertSpec(p)
	edit(&s)
	a, err := tsptest.Issue(p, s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestBrokenTokens(t *testing.T) {
	fx := newFixture(t)
	otherKey, err := smcrypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	noEKU := issueTSA(t, fx.pki, func(s *demo.CertSpec) { s.ExtraExtensions = nil })
	clientAuth := issueTSA(t, fx.pki, func(s *demo.CertSpec) {
		s.ExtraExtensions, s.ExtKeyUsage = nil, []smx509.ExtKeyUsage{smx509.ExtKeyUsageClientAuth}
	})
	encipherOnly := issueTSA(t, fx.pki, func(s *demo.CertSpec) { s.KeyUsage = smx509.KeyUsageKeyEncipherment })
	valid := stamp(t, fx.tsa, message, tsptest.Spec{})
	refused, err := asn1.Marshal(struct{ Status struct{ Code int } }{Status: struct{ Code int }{Code: 2}})
	if err != nil {
		t.Fatal(err)
	}

	cases := map[string]struct {
		tsa   *tsptest.TSA
		spec  tsptest.Spec
		der   []byte // used instead of a stamp when set
		msg   []byte // stamped instead of message when set
		parse error  // the error Parse must give, or nil
		want  error  // the error Verify must give when Parse succeeds
	}{
		"imprint of another message":   {msg: []byte("another signature"), want: tsp.ErrImprintMismatch},
		"imprint bytes replaced":       {spec: tsptest.Spec{Imprint: make([]byte, 32)}, want: tsp.ErrImprintMismatch},
		"imprint of the wrong length":  {spec: tsptest.Spec{Imprint: make([]byte, 20)}, parse: tsp.ErrMalformed},
		"tampered TSTInfo":             {spec: tsptest.Spec{TamperTSTInfo: true}, want: tsp.ErrSignatureInvalid},
		"tampered TSTInfo, no attrs":   {spec: tsptest.Spec{TamperTSTInfo: true, NoSignedAttrs: true}, want: tsp.ErrSignatureInvalid},
		"tampered TSTInfo in BER":      {spec: tsptest.Spec{TamperTSTInfo: true, BER: true}, want: tsp.ErrSignatureInvalid},
		"signed by another key":        {spec: tsptest.Spec{SignWith: otherKey}, want: tsp.ErrSignatureInvalid},
		"another key, no attrs":        {spec: tsptest.Spec{SignWith: otherKey, NoSignedAttrs: true}, want: tsp.ErrSignatureInvalid},
		"signing-certificate mismatch": {spec: tsptest.Spec{WrongSigningCert: true}, want: tsp.ErrSignatureInvalid},
		"wrong content-type attribute": {spec: tsptest.Spec{AttrContentType: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}}, want: tsp.ErrSignatureInvalid},
		"TSA certificate without EKU":  {tsa: noEKU, want: tsp.ErrNotTSA},
		"TSA certificate for clients":  {tsa: clientAuth, want: tsp.ErrNotTSA},
		"TSA key usage cannot sign":    {tsa: encipherOnly, want: tsp.ErrNotTSA},
		"missing message-digest":       {spec: tsptest.Spec{OmitMessageDigest: true}, parse: tsp.ErrMalformed},
		"missing content-type":         {spec: tsptest.Spec{OmitContentType: true}, parse: tsp.ErrMalformed},
		"eContentType is not TSTInfo":  {spec: tsptest.Spec{EContentType: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}}, parse: tsp.ErrMalformed},
		"outer type is not signedData": {spec: tsptest.Spec{ContentType: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}}, parse: tsp.ErrUnsupported},
		"no TSA certificate enclosed":  {spec: tsptest.Spec{OmitCerts: true}, parse: tsp.ErrUnsupported},
		"unknown signature algorithm":  {spec: tsptest.Spec{SignatureAlg: asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}}, parse: tsp.ErrUnsupported},
		"truncated DER":                {der: valid[:len(valid)-1], parse: tsp.ErrMalformed},
		"trailing data":                {der: append(bytes.Clone(valid), 0), parse: tsp.ErrMalformed},
		"trailing token":               {der: append(bytes.Clone(valid), valid...), parse: tsp.ErrMalformed},
		"empty":                        {der: []byte{}, parse: tsp.ErrMalformed},
		"too large":                    {der: make([]byte, tsp.MaxSize+1), parse: tsp.ErrMalformed},
		"TSA refused (TimeStampResp)":  {der: refused, parse: tsp.ErrMalformed},
		"a certificate, not a token":   {der: fx.tsa.DER, parse: tsp.ErrMalformed},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			der := tc.der
			if der == nil {
				a, msg := fx.tsa, message
				if tc.tsa != nil {
					a = tc.tsa
				}
				if tc.msg != nil {
					msg = tc.msg
				}
				der = stamp(t, a, msg, tc.spec)
			}
			tok, err := tsp.Parse(der)
			if tc.parse != nil {
				if tok != nil {
					t.Error("a token with the error")
				}
				checkOneSentinel(t, err, tc.parse)
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkOneSentinel(t, tok.Verify(message), tc.want)
		})
	}
}

// TestEveryTruncationFails cuts a token at every length: each prefix must be refused as malformed,
// never accepted and never a panic.
func TestEveryTruncationFails(t *testing.T) {
	fx := newFixture(t)
	for _, spec := range []tsptest.Spec{{}, {BER: true}} {
		der := stamp(t, fx.tsa, message, spec)
		for n := range len(der) {
			if _, err := tsp.Parse(der[:n]); !errors.Is(err, tsp.ErrMalformed) {
				t.Fatalf("BER %v, %d of %d bytes: %v", spec.BER, n, len(der), err)
			}
		}
	}
}

// TestSignatureCarriesTimeStamp makes a demo seal signature whose timeStamp stamps its signature
// value, reads it back with ses, and verifies the token against that value, then the TSA chain the
// way the resolver will: against the trust list at GenTime with the token's certificates.
func TestSignatureCarriesTimeStamp(t *testing.T) {
	fx := newFixture(t)
	der, err := fx.pki.Sign(demo.SignSpec{Data: []byte("Signature.xml"), TimeStamp: fx.tsa.StampFunc(tsptest.Spec{})})
	if err != nil {
		t.Fatal(err)
	}
	sig, err := ses.ParseSignature(der)
	if err != nil {
		t.Fatal(err)
	}
	if len(sig.TimeStamp) == 0 {
		t.Fatal("the signature carries no timeStamp")
	}
	if len(sig.Quirks) > 0 {
		t.Errorf("quirks %v", sig.Quirks)
	}
	tok, err := tsp.Parse(sig.TimeStamp)
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Verify(sig.SignatureValue); err != nil {
		t.Fatal(err)
	}
	if err := tok.Verify(sig.RawTBSSign); !errors.Is(err, tsp.ErrImprintMismatch) {
		t.Errorf("Verify over TBS_Sign: %v", err)
	}
	chain, err := smcrypto.BuildChain(tok.Signer, smcrypto.ChainOptions{
		Roots: fx.pki.Roots(), Intermediates: smcrypto.NewPool(tok.Certs...), At: tok.GenTime, RequireLeafSigning: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if chain.Anchor().Fingerprint() != fx.pki.Root.Cert.Fingerprint() {
		t.Errorf("chain ends at %s", chain.Anchor().Subject)
	}
}

func TestTSACertificateQuirks(t *testing.T) {
	fx := newFixture(t)
	nonCritical := issueTSA(t, fx.pki, func(s *demo.CertSpec) {
		s.ExtraExtensions = nil
		s.ExtKeyUsage = []smx509.ExtKeyUsage{smx509.ExtKeyUsageTimeStamping, smx509.ExtKeyUsageCodeSigning}
	})
	tok, err := tsp.Parse(stamp(t, nonCritical, message, tsptest.Spec{}))
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Verify(message); err != nil {
		t.Fatal(err)
	}
	q := strings.Join(tok.Quirks, "; ")
	if !strings.Contains(q, "not critical") || !strings.Contains(q, "purposes besides") {
		t.Errorf("quirks %q", q)
	}
}

// TestSidIssuerReencoded names the signer by an issuer name with other string types than the
// certificate's: the names are then matched as text.
func TestSidIssuerReencoded(t *testing.T) {
	p, err := demo.New(demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Go writes the intermediate's name in PrintableStrings; the sid gets it in UTF8Strings (same
	// length, so the token's lengths still hold).
	a, err := tsptest.New(p)
	if err != nil {
		t.Fatal(err)
	}
	der := stamp(t, a, message, tsptest.Spec{})
	var rdn pkix.RDNSequence
	if _, err := asn1.Unmarshal(a.Cert.RawIssuer, &rdn); err != nil {
		t.Fatal(err)
	}
	for i := range rdn {
		for j := range rdn[i] {
			if s, ok := rdn[i][j].Value.(string); ok {
				rdn[i][j].Value = asn1.RawValue{Tag: asn1.TagUTF8String, Bytes: []byte(s)}
			}
		}
	}
	other, err := asn1.Marshal(rdn)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other, a.Cert.RawIssuer) {
		t.Skip("re-encoding gave the same bytes")
	}
	if len(other) != len(a.Cert.RawIssuer) {
		t.Skipf("re-encoded name has another length (%d vs %d)", len(other), len(a.Cert.RawIssuer))
	}
	// The sid comes after the certificates; replace its copy of the issuer, the last one.
	i := bytes.LastIndex(der, a.Cert.RawIssuer)
	der = append(append(append([]byte(nil), der[:i]...), other...), der[i+len(other):]...)
	tok, err := tsp.Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Verify(message); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(tok.Quirks, "; "), "encoded differently") {
		t.Errorf("quirks %v", tok.Quirks)
	}
}

// TestTwoCertificatesForOneSid: a sid that matches two different certificates (here, two
// certificates for one key, named by key identifier) is refused rather than guessed between.
func TestTwoCertificatesForOneSid(t *testing.T) {
	fx := newFixture(t)
	ski, err := asn1.Marshal(fx.tsa.Cert.SubjectKeyID)
	if err != nil {
		t.Fatal(err)
	}
	spec := tsptest.CertSpec(fx.pki)
	spec.ExtraExtensions = append(spec.ExtraExtensions, pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 14}, Value: ski})
	twin, err := fx.pki.IssueWithKey(fx.pki.Intermediate, spec, fx.tsa.Key)
	if err != nil {
		t.Fatal(err)
	}
	fx.tsa.Chain = append(fx.tsa.Chain, twin.DER)
	_, err = tsp.Parse(stamp(t, fx.tsa, message, tsptest.Spec{SubjectKeyID: true}))
	checkOneSentinel(t, err, tsp.ErrMalformed)
}

func BenchmarkParseVerify(b *testing.B) {
	fx := newFixture(b)
	der := stamp(b, fx.tsa, message, tsptest.Spec{})
	b.ReportAllocs()
	for b.Loop() {
		tok, err := tsp.Parse(der)
		if err != nil {
			b.Fatal(err)
		}
		if err := tok.Verify(message); err != nil {
			b.Fatal(err)
		}
	}
}
