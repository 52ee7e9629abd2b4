package tsp

import (
	"encoding/asn1"
	"math/big"
	"time"

	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// MaxSize bounds the token Parse reads. Real tokens are 1–6 KB (a TSTInfo, a signature and a
// few certificates); a megabyte leaves room for CRLs some TSAs enclose, and bounds the work on
// hostile input.
const MaxSize = 1 << 20

// Token is a parsed TimeStampToken. Parse fills it without any cryptography; Verify then checks
// it against the stamped data. Parse works on a copy of its input, which the caller may reuse.
// Verify does not modify the Token, so one Token may be verified from several goroutines.
type Token struct {
	// ContentType is the outer ContentInfo type: OIDSignedData (PKCS#7) or OIDGMSignedData
	// (GM/T 0010).
	ContentType asn1.ObjectIdentifier

	// TSTInfo fields.
	GenTime  time.Time     // the time the TSA vouches for, in UTC
	Accuracy time.Duration // 0 when absent: the TSA then claims no bound of its own
	Ordering bool
	Policy   asn1.ObjectIdentifier
	Serial   *big.Int
	Nonce    *big.Int              // nil when absent
	HashAlg  asn1.ObjectIdentifier // of the messageImprint: SM3 (either OID) or SHA-256
	Imprint  []byte
	TSAName  []byte // the DER GeneralName of the optional tsa field, nil when absent

	// Signer is the TSA certificate, found among the token's certificates by the SignerInfo's sid.
	// Its chain is not checked here: a verifier builds it against its trust list at GenTime,
	// with Certs as intermediates.
	Signer *smcrypto.Certificate
	// Certs are all the certificates the token carries, Signer included.
	Certs []*smcrypto.Certificate

	// Quirks lists the tolerated departures from RFC 3161 / GB/T 20520 DER, for the report.
	Quirks []string

	eContent  []byte       // the TSTInfo DER that the TSA signed (via messageDigest, or directly)
	attrs     *signedAttrs // nil when the SignerInfo has no signed attributes
	signature []byte       // SignerInfo.signature: SM2, DER or raw r‖s
	tsaErr    error        // why Signer is not a TSA certificate, found by Parse, reported by Verify
}

// Bounds is the interval the TSA vouches the stamped data existed in: GenTime ± Accuracy.
func (t *Token) Bounds() (earliest, latest time.Time) {
	return t.GenTime.Add(-t.Accuracy), t.GenTime.Add(t.Accuracy)
}
