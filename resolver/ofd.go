package resolver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/sealhub/sealhub/resolver/ofd"
	"github.com/sealhub/sealhub/trustlist/ses"
)

// OFDReport is the result of verifying every signature of an OFD document.
type OFDReport struct {
	Result     Verdict         `json:"result"`
	Reason     Reason          `json:"reason"`
	Message    string          `json:"message"`
	Signatures []*OFDSignature `json:"signatures"`
	Online
}

// OFDSignature is one signature of the document: where it is, what it is, its References, and the
// same report as a bare signature (flattened into the same JSON object).
type OFDSignature struct {
	ID            string            `json:"id"`
	Type          string            `json:"type"` // Seal | Sign, as Signatures.xml says
	SignaturePath string            `json:"signature_path"`
	Kind          string            `json:"signature_kind"` // ses | pkcs7 | unknown
	References    []ReferenceResult `json:"references"`
	*Report
}

// ReferenceResult is one OFD Reference: SM3 of the file against its CheckValue.
type ReferenceResult struct {
	File   string `json:"file"`
	Result string `json:"result"` // ok | mismatch | missing | unsupported | malformed | error
	Detail string `json:"detail,omitempty"`
}

// VerifyOFDFile opens an OFD file and verifies it. An error is returned only when the file cannot be
// read at all; a file that is not a valid OFD gives an invalid report.
func (v *Verifier) VerifyOFDFile(path string, at time.Time) (*OFDReport, error) {
	doc, err := ofd.OpenFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, os.ErrPermission) {
			return nil, err
		}
		return &OFDReport{Result: Invalid, Reason: ReasonFormatInvalid, Message: err.Error(), Signatures: []*OFDSignature{}}, nil
	}
	defer doc.Close()
	return v.VerifyOFD(doc, at), nil
}

// VerifyOFD verifies every signature of an opened document. The document is invalid when any
// signature is, indeterminate when any is (a PKCS#7 signature, a CA not held …), and valid only when
// it has signatures and all are valid.
func (v *Verifier) VerifyOFD(doc *ofd.Document, at time.Time) *OFDReport {
	out := &OFDReport{Signatures: []*OFDSignature{}}
	for _, sr := range doc.Check() {
		out.Signatures = append(out.Signatures, v.verifyOFDSignature(sr, at))
	}
	return out.finish()
}

// finish derives the document's verdict from its signatures'.
func (out *OFDReport) finish() *OFDReport {
	out.Result, out.Reason, out.Message = Valid, ReasonOK, fmt.Sprintf("all %d signatures are valid", len(out.Signatures))
	if len(out.Signatures) == 0 {
		out.Result, out.Reason, out.Message = Indeterminate, ReasonNoSignatures, "the document carries no signature"
		return out
	}
	for _, want := range []Verdict{Invalid, Indeterminate} {
		for _, s := range out.Signatures {
			if s.Result == want {
				out.Result, out.Reason, out.Message = want, s.Reason, fmt.Sprintf("%s: %s", s.SignaturePath, s.Message)
				return out
			}
		}
	}
	return out
}

func (v *Verifier) verifyOFDSignature(sr *ofd.SignatureReport, at time.Time) *OFDSignature {
	s := &OFDSignature{ID: sr.Signature.ID, Type: sr.Signature.Type, SignaturePath: sr.Signature.Path, Kind: string(sr.Kind), References: []ReferenceResult{}}
	for _, rc := range sr.References {
		s.References = append(s.References, ReferenceResult{File: rc.FileRef, Result: string(rc.Status), Detail: rc.Detail})
	}
	switch {
	case sr.Err != nil && sr.SES == nil:
		s.Report = formatFailure("signature", ReasonFormatInvalid, sr.Err.Error())
	case sr.Kind == ofd.KindPKCS7:
		s.Report = formatFailure("signature", ReasonNotSES, "GM/T 0010 / PKCS#7 signature (OFD Type=\"Sign\"): not an SES seal signature, so not verified here; "+referenceSummary(sr))
	case sr.Kind != ofd.KindSES:
		s.Report = formatFailure("signature", ReasonFormatInvalid, "SignedValue.dat is not an SES_Signature: "+sr.KindDetail)
	default:
		s.Report = v.verifyParsedSignature(sr.SES, SignatureRequest{At: at, dataCheck: func(*ses.Signature) Check { return ofdDataCheck(sr) }})
		for _, n := range sr.Notes {
			s.Warnings = append(s.Warnings, n)
		}
		if sr.Seal.Status == ofd.StatusMismatch {
			s.Warnings = append(s.Warnings, "Seal.esl differs from the seal embedded in the signature: "+sr.Seal.Detail)
		}
	}
	return s
}

// ofdDataCheck turns the container checks into the data_hash check: dataHash over the exact
// Signature.xml bytes, then every Reference.
func ofdDataCheck(sr *ofd.SignatureReport) Check {
	dh := sr.DataHash
	switch {
	case dh.Status == ofd.StatusError:
		return undetermined(ReasonLimitExceeded, fmt.Sprintf("dataHash over %s not computed: %s", dh.PropertyInfo, dh.Detail))
	case dh.Status != ofd.StatusOK:
		return failed(ReasonDataHashMismatch, fmt.Sprintf("dataHash is not the SM3 of %s (%s): %s", dh.PropertyInfo, dh.Status, dh.Detail))
	case dh.Path != sr.Signature.Path:
		return failed(ReasonDataHashMismatch, fmt.Sprintf("dataHash binds %s, not this signature's %s", dh.Path, sr.Signature.Path))
	}
	if len(sr.References) == 0 {
		return undetermined(ReasonNoReferences, "dataHash matches Signature.xml, but it has no References: no document content is bound")
	}
	// A definite mismatch outranks a reference that could not be checked.
	for _, rc := range sr.References {
		switch rc.Status {
		case ofd.StatusOK, ofd.StatusUnsupported, ofd.StatusError:
		default:
			return failed(ReasonReferenceMismatch, fmt.Sprintf("reference %s: %s %s", rc.FileRef, rc.Status, rc.Detail))
		}
	}
	for _, rc := range sr.References {
		switch rc.Status {
		case ofd.StatusUnsupported:
			return undetermined(ReasonCheckMethodUnsupported, fmt.Sprintf("reference %s: CheckMethod %q is not SM3", rc.FileRef, rc.CheckMethod))
		case ofd.StatusError:
			return undetermined(ReasonLimitExceeded, fmt.Sprintf("reference %s not checked: %s", rc.FileRef, rc.Detail))
		}
	}
	return passed(fmt.Sprintf("dataHash is the SM3 of %s; %s", dh.Path, referenceSummary(sr)))
}

func referenceSummary(sr *ofd.SignatureReport) string {
	ok := 0
	for _, rc := range sr.References {
		if rc.Status == ofd.StatusOK {
			ok++
		}
	}
	return fmt.Sprintf("%d of %d References match (SM3)", ok, len(sr.References))
}
