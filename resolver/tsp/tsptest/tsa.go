// Package tsptest makes GB/T 20520 / RFC 3161 timestamp tokens for tests: an SM2 time-stamping
// authority issued by the demo PKI, and tokens from it — valid ones in the forms real TSAs write
// (PKCS#7 or GM/T 0010 OIDs, DER or BER, with or without signed attributes, bare or inside a
// TimeStampResp) and deliberately broken ones, one defect at a time.
//
// Nothing here is for production: keys live in memory and serial numbers count up from 1.
package tsptest

import (
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"sync/atomic"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	"github.com/sealhub/sealhub/internal/demo"
	"github.com/sealhub/sealhub/resolver/tsp"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// Policy is the TSA policy of tokens whose Spec names none: an OID under the ITU-T/ISO "example"
// arc (2.999), so that it cannot be mistaken for a real TSA's.
var Policy = asn1.ObjectIdentifier{2, 999, 1}

var (
	oidExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidExtSKI      = asn1.ObjectIdentifier{2, 5, 29, 14}
)

// TSA is a time-stamping authority: a certificate and its SM2 key, with the certificates it sends
// along with each token.
type TSA struct {
	*demo.Authority
	// Chain is sent in every token after the TSA certificate; Issue sets it to the issuing CA, as
	// real TSAs send theirs.
	Chain [][]byte
	// GenTime is the genTime of tokens whose Spec leaves it zero: Issue sets it to the PKI epoch plus
	// 30 days, the demo's default signing time.
	GenTime time.Time

	serial atomic.Int64
}

// CertSpec is the certificate New issues: CN "sealhub Test TSA", valid five years from the PKI
// epoch, keyUsage digitalSignature and nonRepudiation, and extendedKeyUsage id-kp-timeStamping
// marked critical, as RFC 3161 §2.3 asks. Change it and pass it to Issue for a certificate a TSA
// must not have (drop ExtraExtensions for one without the timeStamping purpose).
func CertSpec(p *demo.PKI) demo.CertSpec {
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{tsp.OIDKPTimeStamping})
	if err != nil {
		panic(err) // a constant list of one OID always marshals
	}
	return demo.CertSpec{
		Subject:         demo.Subject("sealhub Test TSA", "sealhub test PKI", ""),
		NotBefore:       p.Epoch,
		NotAfter:        p.Epoch.AddDate(5, 0, 0),
		KeyUsage:        smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment,
		ExtraExtensions: []pkix.Extension{{Id: oidExtKeyUsage, Critical: true, Value: eku}},
	}
}

// New issues a TSA certificate (CertSpec) under the PKI's intermediate.
func New(p *demo.PKI) (*TSA, error) { return Issue(p, CertSpec(p)) }

// Issue issues a TSA certificate from s under the PKI's intermediate. A subjectKeyIdentifier is
// added (Go adds none to leaves), so that tokens can name their signer by key identifier too.
func Issue(p *demo.PKI, s demo.CertSpec) (*TSA, error) {
	key, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	ski := smcrypto.SM3(smcrypto.PublicKeyBytes(&key.PublicKey))
	skiExt, err := asn1.Marshal(ski[:20])
	if err != nil {
		return nil, err
	}
	s.ExtraExtensions = append(append([]pkix.Extension(nil), s.ExtraExtensions...), pkix.Extension{Id: oidExtSKI, Value: skiExt})
	a, err := p.IssueWithKey(p.Intermediate, s, key)
	if err != nil {
		return nil, fmt.Errorf("tsptest: issue TSA certificate: %w", err)
	}
	return &TSA{Authority: a, Chain: [][]byte{p.Intermediate.DER}, GenTime: p.Epoch.AddDate(0, 0, 30)}, nil
}

// Spec describes a token. The zero value gives a valid token: SM3 imprint, PKCS#7 signedData,
// SM2-with-SM3, signed attributes with content-type, message-digest and signing-certificate-v2,
// the sid as issuer and serial number, the TSA certificate and Chain enclosed, DER throughout.
type Spec struct {
	GenTime  time.Time     // default TSA.GenTime; fractions of a second are written
	Accuracy time.Duration // written as seconds, millis and micros; absent when 0
	Policy   asn1.ObjectIdentifier
	Serial   *big.Int // default: the TSA's counter, from 1
	Nonce    *big.Int
	Ordering bool

	HashAlg      asn1.ObjectIdentifier // messageImprint hash: tsp.OIDSM3 (default) or tsp.OIDSHA256
	ContentType  asn1.ObjectIdentifier // outer type: tsp.OIDSignedData (default) or tsp.OIDGMSignedData
	SignatureAlg asn1.ObjectIdentifier // tsp.OIDSM2WithSM3 (default) or tsp.OIDSM2Sign

	SubjectKeyID  bool // name the signer by [0] subjectKeyIdentifier
	NoSignedAttrs bool // sign the TSTInfo itself, with no signed attributes
	NoSigningCert bool // leave out the signing-certificate-v2 attribute
	OmitCerts     bool // enclose no certificates, as a TSA asked with certReq false does
	Raw64         bool // write the SM2 signature as raw r‖s
	Response      bool // wrap the token in a TimeStampResp (status granted)
	BER           bool // write BER: indefinite lengths, OCTET STRINGs in chunks

	// Deliberate defects.
	Imprint           []byte                // stamp these bytes instead of the hash of the message
	TamperTSTInfo     bool                  // move genTime by an hour after signing
	SignWith          *sm2.PrivateKey       // sign with this key instead of the TSA's
	OmitMessageDigest bool                  // leave out the message-digest attribute
	OmitContentType   bool                  // leave out the content-type attribute
	AttrContentType   asn1.ObjectIdentifier // content-type attribute value (default id-ct-TSTInfo)
	EContentType      asn1.ObjectIdentifier // eContentType (default id-ct-TSTInfo)
	WrongSigningCert  bool                  // signing-certificate-v2 names the issuing CA instead
}

// StampFunc returns a function that stamps a signature value with s, for demo.SignSpec.TimeStamp
// (and ses.SignatureTemplate.TimeStamp).
func (a *TSA) StampFunc(s Spec) func(signature []byte) ([]byte, error) {
	return func(signature []byte) ([]byte, error) { return a.Stamp(signature, s) }
}
