package trustlist

import (
	"errors"
	"strings"
	"time"

	"github.com/sealhub/sealhub/trustlist/sealcode"
	"github.com/sealhub/sealhub/trustlist/ses"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// inJurisdiction reports whether a registry may file or change the seal with this code: "*" covers
// every code; otherwise the code must be numeric and its division start with one of the prefixes.
func inJurisdiction(r *Registry, code string) bool {
	for _, p := range r.Jurisdiction {
		if p == "*" {
			return true
		}
	}
	c, err := sealcode.Parse(code)
	if err != nil {
		return false
	}
	return sealcode.JurisdictionContains(r.Jurisdiction, c)
}

func (t *tx) sealFile(i int, op *Op) error {
	if t.isAdmin() {
		return rejectOp(i, CodeNotPermitted, "the administrator does not file seals; the registry does")
	}
	var v *Seal
	var err error
	if op.Meta != nil {
		v, err = t.sealFromMeta(i, op.Meta)
	} else {
		v, err = t.sealFromDER(i, op.Seal)
	}
	if err != nil {
		return err
	}
	if !inJurisdiction(t.reg, v.Code) {
		return rejectOp(i, CodeOutsideJuris, "seal %s is outside %s's jurisdiction %v", v.Code, t.reg.ID, t.reg.Jurisdiction)
	}
	if old, ok := t.seal(v.Code); ok {
		if old.Registry != t.reg.ID {
			return rejectOp(i, CodeNotPermitted, "seal %s is filed by registry %s", v.Code, old.Registry)
		}
		return rejectOp(i, CodeSealExists, "seal %s is already filed (push %s/%d)", v.Code, old.Events[0].Push.Registry, old.Events[0].Push.Seq)
	}
	if v.MakerCert != "" {
		m, ok := t.reg.Maker(v.MakerCert)
		if !ok || m.RemovedIndex != 0 {
			return rejectOp(i, CodeMakerUnknown, "maker certificate %s is not a current seal-maker certificate of %s", short(v.MakerCert), t.reg.ID)
		}
	}
	v.Registry = t.reg.ID
	v.FiledIndex = t.index
	// The filing takes effect at validStart: the registry states the seal existed from then, which
	// is what a ledger of older seals needs.
	v.Events = []Event{{
		Status: StatusValid, EffectiveAt: v.ValidStart, RecordedAt: t.env.RecordedAt,
		Index: t.index, Push: t.ref(),
	}}
	t.putSeal(v)
	return nil
}

// checkCode accepts a seal code however it arrives (metadata or esID): 1-64 characters, none of them
// white space, control or format characters; a numeric code must have a 6-digit division (an unknown
// province is left to the jurisdiction check).
func checkCode(code string) error {
	if code == "" || len(code) > 64 || strings.ContainsAny(code, " \t") {
		return errors.New("a seal code is 1 to 64 characters without spaces")
	}
	if _, err := sealcode.Parse(code); err != nil && !errors.Is(err, sealcode.ErrUnknownProvince) {
		return err
	}
	return nil
}

func short(fp string) string {
	if len(fp) > 16 {
		return fp[:16] + "…"
	}
	return fp
}

func (t *tx) sealFromMeta(i int, m *SealMeta) (*Seal, error) {
	if err := checkCode(m.Code); err != nil {
		return nil, rejectOp(i, CodeSealInvalid, "meta.code: %v", err)
	}
	switch {
	case m.Name == "" || !textOK(m.Name):
		return nil, rejectOp(i, CodeSealInvalid, "meta.name is required")
	case !textOK(m.OwnerName):
		return nil, rejectOp(i, CodeSealInvalid, "meta.owner_name is not acceptable text")
	case m.Type < 0 || m.Type > 99:
		return nil, rejectOp(i, CodeSealInvalid, "meta.type %d: want 0-99", m.Type)
	case m.ValidStart.IsZero() || !m.ValidEnd.After(m.ValidStart):
		return nil, rejectOp(i, CodeSealInvalid, "meta.valid_start and meta.valid_end are required, end after start")
	case m.MakerCert != "" && !isSM3Hex(m.MakerCert),
		m.SealSM3 != "" && !isSM3Hex(m.SealSM3),
		m.PictureSM3 != "" && !isSM3Hex(m.PictureSM3):
		return nil, rejectOp(i, CodeSealInvalid, "maker_cert, seal_sm3 and picture_sm3 are SM3 values (64 lower-case hex digits)")
	case len(m.SignerCerts) > 16:
		return nil, rejectOp(i, CodeSealInvalid, "at most 16 signer certificates")
	}
	for _, fp := range m.SignerCerts {
		if !isSM3Hex(fp) {
			return nil, rejectOp(i, CodeSealInvalid, "signer_certs are SM3 fingerprints (64 lower-case hex digits)")
		}
	}
	if m.OwnerUSCC != "" {
		if _, err := sealcode.ParseUSCC(m.OwnerUSCC); err != nil {
			return nil, rejectOp(i, CodeSealInvalid, "owner_uscc: %v", err)
		}
	}
	return &Seal{
		Code: m.Code, Name: m.Name, Type: m.Type, OwnerName: m.OwnerName, OwnerUSCC: m.OwnerUSCC,
		MakerCert: m.MakerCert, SignerCerts: m.SignerCerts, ValidStart: m.ValidStart.UTC(),
		ValidEnd: m.ValidEnd.UTC(), SealSM3: m.SealSM3, PictureSM3: m.PictureSM3,
	}, nil
}

// sealFromDER reads a filed SES_Seal: it must parse, carry its maker certificate, be signed by it
// (checked where the push is received), chain to a trust anchor trusted when it was made, and end no
// later than its signer certificates (Art. 16).
func (t *tx) sealFromDER(i int, der []byte) (*Seal, error) {
	s, err := ses.ParseSeal(der)
	if err != nil {
		return nil, rejectOp(i, CodeSealInvalid, "SES_Seal: %v", err)
	}
	if err := checkCode(s.ESID); err != nil {
		return nil, rejectOp(i, CodeSealInvalid, "SES_Seal esID (seal code): %v", err)
	}
	if s.ValidStart.IsZero() || !s.ValidEnd.After(s.ValidStart) {
		return nil, rejectOp(i, CodeSealInvalid, "SES_Seal validity window is empty")
	}
	if s.Name == "" || !textOK(s.Name) || s.Type < 0 || s.Type > 99 {
		return nil, rejectOp(i, CodeSealInvalid, "SES_Seal name must be non-empty text and type 0-99")
	}
	maker, err := s.MakerCertificate()
	if err != nil {
		return nil, rejectOp(i, CodeSealInvalid, "maker certificate: %v", err)
	}
	if t.opts != nil && !t.opts.SkipSealSignatures {
		if _, err := s.VerifySignature(maker); err != nil {
			return nil, rejectOp(i, CodeSealSignature, "seal %s: %v", s.ESID, err)
		}
	}
	made := s.CreateDate
	if made.IsZero() || made.Before(s.ValidStart) {
		made = s.ValidStart
	}
	if err := t.chainOK(maker, made); err != nil {
		return nil, rejectOp(i, CodeChainInvalid, "maker certificate of seal %s at %s: %v", s.ESID, made.Format(time.RFC3339), err)
	}
	var signers []string
	var certs []*smcrypto.Certificate
	for _, raw := range s.CertList {
		c, err := smcrypto.ParseCertificate(raw)
		if err != nil {
			return nil, rejectOp(i, CodeSealInvalid, "signer certificate in the seal: %v", err)
		}
		if s.ValidEnd.After(c.NotAfter) {
			return nil, rejectOp(i, CodeSealOutlives, "seal %s ends %s, after its signer certificate %s (%s)",
				s.ESID, s.ValidEnd.Format(time.RFC3339), short(c.Fingerprint()), c.NotAfter.Format(time.RFC3339))
		}
		signers = append(signers, c.Fingerprint())
		certs = append(certs, c)
	}
	v := &Seal{
		Code: s.ESID, Name: s.Name, Type: s.Type, MakerCert: maker.Fingerprint(), SignerCerts: signers,
		ValidStart: s.ValidStart.UTC(), ValidEnd: s.ValidEnd.UTC(), SealSM3: smcrypto.SM3Hex(der),
		FromDER: true,
	}
	if len(s.Picture.Data) > 0 {
		v.PictureSM3 = smcrypto.SM3Hex(s.Picture.Data)
	}
	v.OwnerName, v.OwnerUSCC = ownerOf(certs)
	return v, nil
}

// ownerOf reads the owner (name, USCC) from the first signer certificate whose O is USCC + name, as
// real provincial certificates carry it.
func ownerOf(certs []*smcrypto.Certificate) (name, uscc string) {
	for _, c := range certs {
		for _, o := range c.SubjectName.Organization {
			if u, n, ok := sealcode.SplitOrganization(o); ok {
				return n, u.Code
			}
		}
	}
	return "", ""
}

func (t *tx) sealStatus(i int, op *Op) error {
	if t.isAdmin() {
		return rejectOp(i, CodeNotPermitted, "the administrator does not change seal status; the registry does")
	}
	v, ok := t.seal(op.Code)
	if !ok {
		if !inJurisdiction(t.reg, op.Code) {
			return rejectOp(i, CodeOutsideJuris, "seal %s is outside %s's jurisdiction", op.Code, t.reg.ID)
		}
		return rejectOp(i, CodeSealUnknown, "seal %s is not filed", op.Code)
	}
	if v.Registry != t.reg.ID {
		return rejectOp(i, CodeNotPermitted, "seal %s is filed by registry %s", op.Code, v.Registry)
	}
	if !inJurisdiction(t.reg, op.Code) {
		return rejectOp(i, CodeOutsideJuris, "seal %s is outside %s's jurisdiction", op.Code, t.reg.ID)
	}
	at := t.effective(op).UTC()
	last := v.Latest()
	if at.Before(last.EffectiveAt) {
		return rejectOp(i, CodeEffectiveOrder, "effective_at %s is before the seal's latest event (%s at %s)",
			at.Format(time.RFC3339), last.Status, last.EffectiveAt.Format(time.RFC3339))
	}
	if at.After(t.env.RecordedAt.Add(MaxClockSkew)) {
		return rejectOp(i, CodeEffectiveFuture, "effective_at %s is in the future", at.Format(time.RFC3339))
	}
	to, ok := transition(op.Action, last.Status)
	if !ok {
		return rejectOp(i, CodeTransition, "cannot %s seal %s: it is %s", op.Action, op.Code, last.Status)
	}
	ev := Event{Status: to, EffectiveAt: at, RecordedAt: t.env.RecordedAt, Index: t.index, Reason: op.Reason, Push: t.ref()}
	if t.owned[v] {
		// Already this push's private copy: append in place, so many changes to one seal in one
		// push cost linear, not quadratic, time.
		v.Events = append(v.Events, ev)
		return nil
	}
	n := *v
	n.Events = make([]Event, len(v.Events), len(v.Events)+1)
	copy(n.Events, v.Events)
	n.Events = append(n.Events, ev)
	t.putSeal(&n)
	return nil
}
