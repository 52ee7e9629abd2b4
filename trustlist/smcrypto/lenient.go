package smcrypto

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// parseTBS is the minimal certificate parser. It never re-encodes: every Raw* field is a slice of der.
func parseTBS(der []byte) (*Certificate, error) {
	in := cryptobyte.String(der)
	var certSeq, tbsFull cryptobyte.String
	if !in.ReadASN1Element(&certSeq, cbasn1.SEQUENCE) {
		return nil, errors.New("not a DER SEQUENCE")
	}
	if !in.Empty() {
		return nil, errTrailing
	}
	c := &Certificate{Raw: []byte(certSeq), MaxPathLen: -1}
	var body cryptobyte.String
	if !certSeq.ReadASN1(&body, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed certificate SEQUENCE")
	}
	if !body.ReadASN1Element(&tbsFull, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed TBSCertificate")
	}
	c.RawTBSCertificate = []byte(tbsFull)
	var outerAlg, outerAlgFull cryptobyte.String
	if !body.ReadASN1Element(&outerAlgFull, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed signatureAlgorithm")
	}
	outerAlgCopy := outerAlgFull
	outerAlgCopy.ReadASN1(&outerAlg, cbasn1.SEQUENCE)
	var algOID asn1.ObjectIdentifier
	if !outerAlg.ReadASN1ObjectIdentifier(&algOID) {
		return nil, errors.New("malformed signatureAlgorithm OID")
	}
	c.SignatureAlgorithm = algOID
	var sig asn1.BitString
	if !body.ReadASN1BitString(&sig) || sig.BitLength%8 != 0 {
		return nil, errors.New("malformed signatureValue")
	}
	c.Signature = sig.RightAlign()
	if !body.Empty() {
		return nil, errors.New("data after signatureValue")
	}

	var tbs cryptobyte.String
	tbsCopy := tbsFull
	if !tbsCopy.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed TBSCertificate")
	}
	if tbs.PeekASN1Tag(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		var v cryptobyte.String
		tbs.ReadASN1(&v, cbasn1.Tag(0).Constructed().ContextSpecific())
	}
	c.SerialNumber = new(big.Int)
	if !tbs.ReadASN1Integer(c.SerialNumber) {
		return nil, errors.New("malformed serialNumber")
	}
	var innerAlg cryptobyte.String
	if !tbs.ReadASN1Element(&innerAlg, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed TBS signature algorithm")
	}
	if string(innerAlg) != string(outerAlgFull) {
		return nil, errors.New("signatureAlgorithm differs from the TBSCertificate's signature field")
	}
	var issuer, validity, subject, spki cryptobyte.String
	if !tbs.ReadASN1Element(&issuer, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed issuer")
	}
	c.RawIssuer = []byte(issuer)
	if !tbs.ReadASN1(&validity, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed validity")
	}
	var err error
	if c.NotBefore, err = readLenientTime(&validity); err != nil {
		return nil, fmt.Errorf("notBefore: %w", err)
	}
	if c.NotAfter, err = readLenientTime(&validity); err != nil {
		return nil, fmt.Errorf("notAfter: %w", err)
	}
	if !tbs.ReadASN1Element(&subject, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed subject")
	}
	c.RawSubject = []byte(subject)
	if c.IssuerName, err = parseNameLenient(c.RawIssuer); err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	if c.SubjectName, err = parseNameLenient(c.RawSubject); err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	c.Issuer, c.Subject = c.IssuerName.String(), c.SubjectName.String()
	if !tbs.ReadASN1(&spki, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed subjectPublicKeyInfo")
	}
	if err := parseSPKI(spki, c); err != nil {
		return nil, err
	}
	// issuerUniqueID [1], subjectUniqueID [2]: skipped.
	for _, t := range []cbasn1.Tag{cbasn1.Tag(1).ContextSpecific(), cbasn1.Tag(2).ContextSpecific()} {
		if tbs.PeekASN1Tag(t) || tbs.PeekASN1Tag(t.Constructed()) {
			var skip cryptobyte.String
			var tag cbasn1.Tag
			tbs.ReadAnyASN1(&skip, &tag)
		}
	}
	if tbs.PeekASN1Tag(cbasn1.Tag(3).Constructed().ContextSpecific()) {
		var exts, seq cryptobyte.String
		if !tbs.ReadASN1(&exts, cbasn1.Tag(3).Constructed().ContextSpecific()) || !exts.ReadASN1(&seq, cbasn1.SEQUENCE) {
			return nil, errors.New("malformed extensions")
		}
		parseExtensions(seq, c)
	}
	return c, nil
}

func parseSPKI(spki cryptobyte.String, c *Certificate) error {
	var alg cryptobyte.String
	var algOID asn1.ObjectIdentifier
	if !spki.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&algOID) {
		return errors.New("malformed public key algorithm")
	}
	c.PublicKeyAlgorithm = algOID
	var point asn1.BitString
	if !spki.ReadASN1BitString(&point) {
		return errors.New("malformed public key")
	}
	isSM2 := algOID.Equal(OIDSM2Curve)
	if algOID.Equal(OIDECPublicKey) {
		var curve asn1.ObjectIdentifier
		isSM2 = alg.ReadASN1ObjectIdentifier(&curve) && curve.Equal(OIDSM2Curve)
	}
	if !isSM2 {
		return nil // not an SM2 key: PublicKey stays nil, and signatures by it fail with ErrNotSM2Key
	}
	pub, err := PublicKeyFromBytes(point.RightAlign())
	if err != nil {
		return fmt.Errorf("SM2 public key: %w", err)
	}
	c.PublicKey = pub
	return nil
}

// parseExtensions reads the few extensions chain building needs. An unreadable basicConstraints leaves
// IsCA false; an unreadable keyUsage counts as present and empty: a malformed extension never grants.
// When the list itself cannot be read to the end, a keyUsage that may follow is unreadable too.
func parseExtensions(seq cryptobyte.String, c *Certificate) {
	seen := map[string]bool{}
	defer func() {
		// A repeated basicConstraints or keyUsage is ambiguous: it never grants.
		if seen["dup-bc"] {
			c.IsCA, c.MaxPathLen = false, 0
		}
		if seen["dup-ku"] {
			c.KeyUsagePresent, c.KeyUsage = true, 0
		}
	}()
	for !seq.Empty() {
		var ext, val cryptobyte.String
		var id asn1.ObjectIdentifier
		if !seq.ReadASN1(&ext, cbasn1.SEQUENCE) || !ext.ReadASN1ObjectIdentifier(&id) {
			c.KeyUsagePresent = true
			return
		}
		var critical bool
		if ext.PeekASN1Tag(cbasn1.BOOLEAN) {
			if !readLenientBool(&ext, &critical) {
				c.KeyUsagePresent = true
				return
			}
		}
		if !ext.ReadASN1(&val, cbasn1.OCTET_STRING) {
			if id.Equal(oidExtKeyUsage) {
				c.KeyUsagePresent = true
			}
			continue
		}
		switch {
		case id.Equal(oidExtBasicCons):
			if seen["bc"] {
				seen["dup-bc"] = true
			}
			seen["bc"] = true
			var bc cryptobyte.String
			if !val.ReadASN1(&bc, cbasn1.SEQUENCE) {
				continue
			}
			c.BasicConstraintsValid = true
			if bc.PeekASN1Tag(cbasn1.BOOLEAN) {
				var isCA bool
				if readLenientBool(&bc, &isCA) {
					c.IsCA = isCA
				}
			}
			c.MaxPathLen = -1
			if bc.PeekASN1Tag(cbasn1.INTEGER) {
				var n int64
				if !bc.ReadASN1Integer(&n) || n < 0 {
					c.IsCA = false // an unreadable constraint never grants
				} else {
					c.MaxPathLen = int(n)
				}
			}
		case id.Equal(oidExtKeyUsage):
			if c.KeyUsagePresent {
				seen["dup-ku"] = true
			}
			c.KeyUsagePresent = true
			var bits asn1.BitString
			if !val.ReadASN1BitString(&bits) {
				continue
			}
			var ku KeyUsage
			for i := 0; i < 9; i++ {
				if bits.At(i) != 0 {
					ku |= 1 << uint(i)
				}
			}
			c.KeyUsage = ku
		case id.Equal(oidExtSKI):
			var ski cryptobyte.String
			if val.ReadASN1(&ski, cbasn1.OCTET_STRING) {
				c.SubjectKeyID = []byte(ski)
			}
		case id.Equal(oidExtAKI):
			var aki, kid cryptobyte.String
			if val.ReadASN1(&aki, cbasn1.SEQUENCE) && aki.PeekASN1Tag(cbasn1.Tag(0).ContextSpecific()) &&
				aki.ReadASN1(&kid, cbasn1.Tag(0).ContextSpecific()) {
				c.AuthorityKeyID = []byte(kid)
			}
		}
	}
}

// readLenientBool accepts any non-zero byte as TRUE (BER), not only DER's 0xFF.
func readLenientBool(s *cryptobyte.String, out *bool) bool {
	var b cryptobyte.String
	if !s.ReadASN1(&b, cbasn1.BOOLEAN) || len(b) != 1 {
		return false
	}
	*out = b[0] != 0
	return true
}

func readLenientTime(s *cryptobyte.String) (time.Time, error) {
	var v cryptobyte.String
	var tag cbasn1.Tag
	if !s.ReadAnyASN1(&v, &tag) {
		return time.Time{}, errors.New("missing time")
	}
	switch tag {
	case cbasn1.UTCTime:
		return ParseUTCTime(string(v))
	case cbasn1.GeneralizedTime:
		return ParseGeneralizedTime(string(v))
	}
	return time.Time{}, fmt.Errorf("unexpected tag %d for a time", tag)
}

// ParseUTCTime reads an ASN.1 UTCTime, also in the forms without seconds and with a ±hhmm offset that
// BER allows and real certificates carry. Two-digit years 50–99 are 19xx, 00–49 are 20xx (RFC 5280).
func ParseUTCTime(s string) (time.Time, error) {
	for _, layout := range []string{"0601021504Z0700", "060102150405Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() >= 2050 {
				t = t.AddDate(-100, 0, 0)
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad UTCTime %q", s)
}

// ParseGeneralizedTime reads an ASN.1 GeneralizedTime with optional fractional seconds and a Z or
// ±hhmm offset. Local time without a zone is refused: it names no instant.
func ParseGeneralizedTime(s string) (time.Time, error) {
	for _, layout := range []string{"20060102150405Z0700", "20060102150405.999999999Z0700", "200601021504Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad GeneralizedTime %q", s)
}

// parseNameLenient reads an X.501 Name, decoding every string type to UTF-8 without policing which
// characters each type allows (UTF-8 in IA5String is what real certificates carry).
func parseNameLenient(raw []byte) (pkix.Name, error) {
	var name pkix.Name
	in := cryptobyte.String(raw)
	var rdns cryptobyte.String
	if !in.ReadASN1(&rdns, cbasn1.SEQUENCE) {
		return name, errors.New("malformed Name")
	}
	var seq pkix.RDNSequence
	for !rdns.Empty() {
		var set cryptobyte.String
		if !rdns.ReadASN1(&set, cbasn1.SET) {
			return name, errors.New("malformed RelativeDistinguishedName")
		}
		var rdn pkix.RelativeDistinguishedNameSET
		for !set.Empty() {
			var atv, val cryptobyte.String
			var oid asn1.ObjectIdentifier
			var tag cbasn1.Tag
			if !set.ReadASN1(&atv, cbasn1.SEQUENCE) || !atv.ReadASN1ObjectIdentifier(&oid) || !atv.ReadAnyASN1(&val, &tag) {
				return name, errors.New("malformed AttributeTypeAndValue")
			}
			rdn = append(rdn, pkix.AttributeTypeAndValue{Type: oid, Value: DecodeASN1String(tag, val)})
		}
		seq = append(seq, rdn)
	}
	name.FillFromRDNSequence(&seq)
	return name, nil
}

// DecodeASN1String decodes the contents of an ASN.1 character string of any type to UTF-8:
// BMPString as UTF-16BE (surrogate pairs included), UniversalString as UTF-32BE, the others as bytes
// (real data puts UTF-8 in IA5String). Contents that are not text are returned quoted after "#".
func DecodeASN1String(tag cbasn1.Tag, v []byte) string {
	switch tag {
	case 30: // BMPString: UTF-16BE
		if len(v)%2 != 0 {
			break
		}
		u := make([]uint16, len(v)/2)
		for i := range u {
			u[i] = uint16(v[2*i])<<8 | uint16(v[2*i+1])
		}
		return string(utf16.Decode(u))
	case 28: // UniversalString: UTF-32BE
		if len(v)%4 != 0 {
			break
		}
		var sb strings.Builder
		for i := 0; i < len(v); i += 4 {
			sb.WriteRune(rune(uint32(v[i])<<24 | uint32(v[i+1])<<16 | uint32(v[i+2])<<8 | uint32(v[i+3])))
		}
		return sb.String()
	}
	if utf8.Valid(v) {
		return string(v)
	}
	// Not text: keep it visible and unambiguous rather than inventing characters.
	return "#" + strconv.Quote(string(v))
}
