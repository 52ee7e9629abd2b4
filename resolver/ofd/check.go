package ofd

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/sealhub/sealhub/trustlist/ses"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// OIDSM3 is the GM/T 0006 OID of SM3, one of the two CheckMethod spellings accepted (the other is
// "SM3", in any case).
const OIDSM3 = "1.2.156.10197.1.401"

// IsSM3CheckMethod reports whether a References CheckMethod names SM3: the OID 1.2.156.10197.1.401
// or the name "SM3" in any case. Anything else (MD5, SHA-1, 1.2.156.10197.1.401.2 …) is not
// accepted.
func IsSM3CheckMethod(m string) bool {
	m = strings.TrimSpace(m)
	return m == OIDSM3 || strings.EqualFold(m, "SM3")
}

// Check runs the binding checks on every signature, in the order of d.Signatures. It reads
// SignedValue.dat, Seal.esl, the file propertyInfo names and every referenced file, within one
// fresh MaxTotalSize budget. Problems are reported per signature, never as a panic or a lost entry.
func (d *Document) Check() []*SignatureReport {
	b := &budget{left: d.arc.opts.MaxTotalSize}
	out := make([]*SignatureReport, len(d.Signatures))
	for i, s := range d.Signatures {
		out[i] = d.check(s, b)
	}
	return out
}

// CheckSignature runs the binding checks on one signature of d, within its own budget.
func (d *Document) CheckSignature(s *Signature) *SignatureReport {
	return d.check(s, &budget{left: d.arc.opts.MaxTotalSize})
}

func (d *Document) check(s *Signature, b *budget) *SignatureReport {
	r := &SignatureReport{
		Signature: s,
		Kind:      KindUnknown,
		DataHash:  DataHashCheck{Status: StatusNotApplicable},
		Seal:      SealCheck{Status: StatusAbsent},
	}
	if s.TypeAbsent {
		r.note(`Signatures.xml gives no Type; GB/T 33190 defaults it to "Seal"`)
	} else if s.Type != "Seal" && s.Type != "Sign" {
		r.note(fmt.Sprintf("Type %q is neither Seal nor Sign", s.Type))
	}
	if s.Err != nil {
		r.Err = s.Err
		r.DataHash.Detail = "Signature.xml could not be read"
		return r
	}
	d.readValue(r, b)
	d.checkDataHash(r, b)
	d.checkReferences(r, b)
	d.checkSeal(r, b)
	switch {
	case s.Type == "Seal" && r.Kind == KindPKCS7:
		r.note(`Type is "Seal" but SignedValue.dat is a PKCS#7 SignedData, not an SES_Signature`)
	case s.Type == "Sign" && r.Kind == KindSES:
		r.note(`Type is "Sign" but SignedValue.dat is an SES_Signature`)
	}
	return r
}

// readValue reads SignedValue.dat and tells what it is.
func (d *Document) readValue(r *SignatureReport, b *budget) {
	p, err := d.arc.locate(r.Signature.Path, r.Signature.SignedValueLoc)
	r.SignedValuePath = p
	if err == nil {
		r.SignedValue, err = d.arc.read(p, d.arc.opts.MaxEntrySize, b)
	}
	if err != nil {
		r.Err = err
		r.KindDetail = "SignedValue.dat could not be read"
		return
	}
	sig, err := ses.ParseSignature(r.SignedValue)
	switch {
	case err == nil:
		r.Kind, r.SES = KindSES, sig
	case errors.Is(err, ses.ErrNotSES):
		r.Kind, r.KindDetail = KindPKCS7, err.Error()
	default:
		r.Kind, r.KindDetail = KindUnknown, err.Error()
	}
}

// checkDataHash compares TBS_Sign.dataHash with SM3 over the exact bytes of the file propertyInfo
// names, or of the signature's own Signature.xml when propertyInfo names no file.
func (d *Document) checkDataHash(r *SignatureReport, b *budget) {
	if r.Kind != KindSES {
		r.DataHash.Detail = "SignedValue.dat is not an SES_Signature"
		return
	}
	s, dh := r.Signature, &r.DataHash
	dh.PropertyInfo = r.SES.PropertyInfo
	target, err := d.arc.locate(s.Path, dh.PropertyInfo)
	if err != nil {
		target, dh.FellBack = s.Path, true
		dh.Detail = fmt.Sprintf("propertyInfo %q names no file in the archive (%v); checked against %s", dh.PropertyInfo, err, s.Path)
		r.note("dataHash checked against the Signature.xml Signatures.xml points at, not against propertyInfo")
	} else if target != s.Path {
		r.note(fmt.Sprintf("propertyInfo names %s, not this signature's own %s: the dataHash does not bind its References", target, s.Path))
	}
	dh.Path = target
	var sum [32]byte
	if target == s.Path {
		sum = smcrypto.SM3(s.XML)
	} else if sum, err = d.arc.sm3(target, b); err != nil {
		dh.Status, dh.Detail, dh.Err = StatusError, err.Error(), err
		return
	}
	if r.SES.DataHashMatchesDigest(sum[:]) {
		dh.Status = StatusOK
		return
	}
	dh.Status = StatusMismatch
	dh.Detail = strings.TrimPrefix(dh.Detail+"; ", "; ") + fmt.Sprintf("dataHash %s (%d bytes) is not SM3(%s) = %s: the file changed after signing",
		hex.EncodeToString(r.SES.DataHash), len(r.SES.DataHash), target, hex.EncodeToString(sum[:]))
}

// checkReferences checks every Reference's CheckValue against base64(SM3(file)).
func (d *Document) checkReferences(r *SignatureReport, b *budget) {
	s := r.Signature
	method := s.Info.CheckMethod
	sm3 := IsSM3CheckMethod(method)
	if len(s.Info.References) == 0 {
		r.note("Signature.xml has no References: the signature covers no file of the document")
	}
	for _, ref := range s.Info.References {
		rc := ReferenceCheck{FileRef: ref.FileRef, CheckMethod: method, CheckValue: ref.CheckValue}
		d.checkReference(&rc, s.Path, sm3, b)
		r.References = append(r.References, rc)
	}
}

func (d *Document) checkReference(rc *ReferenceCheck, from string, sm3 bool, b *budget) {
	p, err := d.arc.locate(from, rc.FileRef)
	switch {
	case errIs(err, ErrBadPath):
		rc.Status, rc.Detail, rc.Err = StatusMalformed, err.Error(), err
		return
	case err != nil:
		rc.Path, rc.Status, rc.Err = p, StatusMissing, err
		rc.Detail = fmt.Sprintf("referenced file %q is not in the archive (looked for %s)", rc.FileRef, p)
		return
	}
	rc.Path = p
	sum, err := d.arc.sm3(p, b)
	if err != nil {
		rc.Status, rc.Detail, rc.Err = StatusError, err.Error(), err
		return
	}
	rc.Digest = base64.StdEncoding.EncodeToString(sum[:])
	want, decErr := decodeCheckValue(rc.CheckValue)
	if !sm3 {
		rc.Status = StatusUnsupported
		rc.Detail = fmt.Sprintf("CheckMethod %q is not SM3 (%s or \"SM3\"); the reference is not checked", rc.CheckMethod, OIDSM3)
		if decErr == nil && subtle.ConstantTimeCompare(want, sum[:]) == 1 {
			rc.Detail += " (its CheckValue does equal base64(SM3(file)))"
		}
		return
	}
	if decErr != nil {
		rc.Status, rc.Detail = StatusMalformed, fmt.Sprintf("CheckValue is not base64: %v", decErr)
		return
	}
	if subtle.ConstantTimeCompare(want, sum[:]) == 1 {
		rc.Status = StatusOK
		return
	}
	rc.Status = StatusMismatch
	rc.Detail = fmt.Sprintf("CheckValue %s is not base64(SM3(%s)) = %s: the file changed after signing", rc.CheckValue, p, rc.Digest)
}

// decodeCheckValue reads base64 with or without padding, ignoring line breaks and spaces.
func decodeCheckValue(v string) ([]byte, error) {
	v = strings.Join(strings.Fields(v), "")
	if out, err := base64.StdEncoding.DecodeString(v); err == nil {
		return out, nil
	}
	return base64.RawStdEncoding.DecodeString(v)
}

// checkSeal compares Seal.esl with the seal embedded in TBS_Sign, byte for byte.
func (d *Document) checkSeal(r *SignatureReport, b *budget) {
	sc := &r.Seal
	sc.BaseLoc = r.Signature.Info.SealBaseLoc
	if sc.BaseLoc == "" {
		return // StatusAbsent
	}
	p, err := d.arc.locate(r.Signature.Path, sc.BaseLoc)
	switch {
	case errIs(err, ErrBadPath):
		sc.Status, sc.Detail, sc.Err = StatusMalformed, err.Error(), err
		return
	case err != nil:
		sc.Path, sc.Status, sc.Err = p, StatusMissing, err
		sc.Detail = fmt.Sprintf("Seal/BaseLoc %q is not in the archive (looked for %s)", sc.BaseLoc, p)
		return
	}
	sc.Path = p
	if r.Kind != KindSES {
		sc.Status, sc.Detail = StatusNotApplicable, "SignedValue.dat is not an SES_Signature: no embedded seal to compare with"
		return
	}
	esl, err := d.arc.read(p, d.arc.opts.MaxEntrySize, b)
	if err != nil {
		sc.Status, sc.Detail, sc.Err = StatusError, err.Error(), err
		return
	}
	if bytes.Equal(esl, r.SES.Seal.Raw) {
		sc.Status = StatusOK
		return
	}
	sc.Status = StatusMismatch
	sc.Detail = fmt.Sprintf("Seal.esl (%d bytes, SM3 %s) is not the seal embedded in TBS_Sign (%d bytes, SM3 %s)",
		len(esl), smcrypto.SM3Hex(esl), len(r.SES.Seal.Raw), smcrypto.SM3Hex(r.SES.Seal.Raw))
}
