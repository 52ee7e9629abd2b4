package resolver

import (
	"errors"
	"fmt"
	"time"

	"github.com/sealhub/sealhub/trustlist/sealcode"
	"github.com/sealhub/sealhub/trustlist/ses"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// Art16From is when 《电子印章管理办法》 (国办发〔2025〕33号) was issued. Seals made on or after it must not
// outlive their signer certificate (Art. 16); older seals only get a warning.
var Art16From = time.Date(2025, 9, 27, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))

// Policy holds the choices the standards leave open. The zero value is the documented default.
type Policy struct {
	// StrictAnchorKeyUsage refuses trust anchors whose KeyUsage lacks keyCertSign (default: accept with
	// a warning; see docs/trust-policy.md).
	StrictAnchorKeyUsage bool
	// MakerAtSigningTimeOnly holds the maker certificate to the signing time alone (a strict reading of
	// GB/T 38540). By default a maker certificate that was valid when the seal was made (createDate)
	// passes with a warning, as GM/T 0031-2025 allows.
	MakerAtSigningTimeOnly bool
	// Art16From overrides the date from which Art. 16 is enforced; zero means Art16From.
	Art16From time.Time
}

// Verifier verifies seals and seal signatures against a set of trust anchors. It is safe for
// concurrent use once built; it never reads the clock except through Now, and only for bare seals
// verified without a time.
type Verifier struct {
	Roots         *smcrypto.Pool
	Intermediates *smcrypto.Pool
	// Makers are the registered seal-making systems' certificates (制章系统). When set, a maker
	// certificate not among them is MAKER_NOT_REGISTERED. When nil, registration is not checked and
	// every report says so: a chain to a root proves the CA issued the certificate, not that its holder
	// may make seals (the trust list supplies the makers online).
	Makers *smcrypto.Pool
	Policy Policy
	Now    func() time.Time

	// online, set by Resolver, judges the anchors of every chain by their trust at the time of the
	// check and records what the answer used.
	online *onlineCheck
}

// futureSkew is how far a claimed signing time may lie ahead of the verifier's clock.
const futureSkew = 5 * time.Minute

// SealRequest asks for a bare seal's verification at At (zero: now).
type SealRequest struct {
	DER []byte
	At  time.Time
}

// SignatureRequest asks for a seal signature's verification. The signed original is Data, or its SM3
// in DataSM3; with neither, the data hash is indeterminate. At overrides the signing time.
type SignatureRequest struct {
	DER     []byte
	Data    []byte
	DataSM3 []byte
	At      time.Time
	// dataCheck, when set, replaces the data-hash check (the OFD path checks Signature.xml and every
	// Reference itself).
	dataCheck func(*ses.Signature) Check
}

const offlineStatus = "offline: no trust list consulted, so the seal's status (停用 suspended / 注销 revoked / 无效 invalid) was not checked"

// VerifySeal verifies a bare SES_Seal: its maker signature, the maker's chain and the validity window
// at req.At (or now).
func (v *Verifier) VerifySeal(req SealRequest) *Report {
	seal, err := ses.ParseSeal(req.DER)
	if err != nil {
		return formatFailure("seal", reasonForParse(err), err.Error())
	}
	at := req.At
	if at.IsZero() {
		at = v.now()
	}
	checked := at.UTC()
	r := &Report{Kind: "seal", Format: seal.Version.String(), CheckedAt: &checked, Quirks: seal.Quirks}
	r.Seal = sealInfo(seal)
	r.Checks.Signature = skipped("a bare seal carries no signer's signature")
	r.Checks.SignerInSeal = skipped("a bare seal has no signer")
	r.Checks.SignerChain = skipped("a bare seal has no signer")
	r.Checks.DataHash = skipped("a bare seal signs no document")
	v.checkSealAndMaker(r, seal, at)
	r.Checks.SealValidity = v.sealValidity(r, seal, at, latestSignerEnd(seal))
	r.Checks.Status = skipped(offlineStatus)
	return r.finish()
}

// VerifySignature verifies an SES_Signature: the signature over TBS_Sign, the signer in the seal, the
// seal, both chains, the validity window and the data hash, all at the signing time (or req.At).
func (v *Verifier) VerifySignature(req SignatureRequest) *Report {
	sig, err := ses.ParseSignature(req.DER)
	if err != nil {
		return formatFailure("signature", reasonForParse(err), err.Error())
	}
	return v.verifyParsedSignature(sig, req)
}

func (v *Verifier) verifyParsedSignature(sig *ses.Signature, req SignatureRequest) *Report {
	r := &Report{Kind: "signature", Format: sig.Version.String(), Quirks: append(append([]string(nil), sig.Quirks...), sig.Seal.Quirks...)}
	r.Seal = sealInfo(sig.Seal)
	r.Warnings = append(r.Warnings, criticalExtensions("TBS_Sign", sig.ExtDatas)...)
	if t, ok := sig.ClaimedSigningTime(); ok {
		t = t.UTC()
		r.SigningTime, r.SigningTimeSource = &t, "claimed"
	}
	if len(sig.TimeStamp) == 0 {
		r.Checks.Timestamp = skipped("the signature carries no timeStamp: the signing time is the signer's claim (timeInfo)")
	} else {
		var genTime time.Time
		r.Checks.Timestamp, genTime = v.checkTimestamp(r, sig)
		if r.Checks.Timestamp.Result == Passed {
			if r.SigningTime != nil && r.SigningTime.Sub(genTime).Abs() > futureSkew {
				r.Warnings = append(r.Warnings, fmt.Sprintf("timeInfo (%s) differs from the timestamp's time (%s); the timestamp is used",
					r.SigningTime.Format(time.RFC3339), genTime.Format(time.RFC3339)))
			}
			r.SigningTime, r.SigningTimeSource = &genTime, "timestamp"
		}
	}
	at, haveTime := req.At, !req.At.IsZero()
	if !haveTime && r.SigningTime != nil {
		at, haveTime = *r.SigningTime, true
	}
	if haveTime {
		checked := at.UTC()
		r.CheckedAt = &checked
	}

	signer, err := sig.SignerCertificate()
	if err != nil {
		r.Checks.Signature = failed(ReasonCertMalformed, "signer certificate: "+err.Error())
		r.Checks.SignerChain = failed(ReasonCertMalformed, "signer certificate: "+err.Error())
	} else {
		r.Signer = certInfo(signer)
		if enc, err := sig.VerifySignature(signer); errors.Is(err, ses.ErrAlgorithm) || errors.Is(err, smcrypto.ErrNotSM2Key) {
			r.Checks.Signature = undetermined(ReasonAlgorithmUnsupported, "signature over TBS_Sign: "+err.Error())
		} else if err != nil {
			r.Checks.Signature = failed(ReasonSignatureInvalid, "signature over TBS_Sign: "+err.Error())
		} else {
			r.Checks.Signature = passed(fmt.Sprintf("SM2 signature (%s) over TBS_Sign verifies with the signer certificate", enc))
		}
	}
	switch in, err := sig.SignerInSeal(); {
	case err != nil:
		r.Checks.SignerInSeal = undetermined(ReasonCertDigestUnsupported, err.Error())
	case in:
		r.Checks.SignerInSeal = passed(fmt.Sprintf("the signer certificate is listed in the seal (certListType %d)", sig.Seal.CertListType))
	default:
		r.Checks.SignerInSeal = failed(ReasonSignerNotInSeal, "the signer certificate is not among the seal's certificates")
	}

	if !haveTime {
		msg := "no signing time: timeInfo is unreadable and no time was given (--at)"
		r.Checks.SealSignature, _ = v.sealSignatureOnly(r, sig.Seal)
		r.Checks.MakerChain = undetermined(ReasonSigningTimeUnkn, msg)
		if signer != nil {
			r.Checks.SignerChain = undetermined(ReasonSigningTimeUnkn, msg)
		}
		r.Checks.SealValidity = undetermined(ReasonSigningTimeUnkn, msg)
	} else {
		v.checkSealAndMaker(r, sig.Seal, at)
		var signerEnd time.Time
		if signer != nil {
			r.Checks.SignerChain = v.chainCheck(signer, at, signerReasons, "signer")
			signerEnd = signer.NotAfter
		}
		r.Checks.SealValidity = v.sealValidity(r, sig.Seal, at, signerEnd)
		if now := v.now(); r.SigningTime != nil && r.SigningTime.After(now.Add(futureSkew)) {
			r.Checks.SealValidity = failed(ReasonSigningTimeInFuture, fmt.Sprintf("the claimed signing time %s is later than now (%s)", r.SigningTime.Format(time.RFC3339), now.UTC().Format(time.RFC3339)))
		}
	}

	switch {
	case req.dataCheck != nil:
		r.Checks.DataHash = req.dataCheck(sig)
	case req.Data != nil:
		if sig.DataHashMatches(req.Data) {
			r.Checks.DataHash = passed(fmt.Sprintf("dataHash is the SM3 of the %d-byte original", len(req.Data)))
		} else {
			r.Checks.DataHash = failed(ReasonDataHashMismatch, "dataHash is not the SM3 of the supplied original")
		}
	case req.DataSM3 != nil:
		if sig.DataHashMatchesDigest(req.DataSM3) {
			r.Checks.DataHash = passed("dataHash equals the supplied SM3 digest")
		} else {
			r.Checks.DataHash = failed(ReasonDataHashMismatch, "dataHash differs from the supplied SM3 digest")
		}
	default:
		r.Checks.DataHash = undetermined(ReasonDataMissing, fmt.Sprintf("the signed original (%q) was not supplied", sig.PropertyInfo))
	}
	r.Checks.Status = skipped(offlineStatus)
	return r.finish()
}

// sealSignatureOnly checks the maker's signature and fills the maker's description. It returns the
// parsed maker certificate (nil when unreadable) so that callers do not parse it again.
func (v *Verifier) sealSignatureOnly(r *Report, seal *ses.Seal) (Check, *smcrypto.Certificate) {
	r.Warnings = append(r.Warnings, criticalExtensions("SES_SealInfo", seal.ExtDatas)...)
	maker, err := seal.MakerCertificate()
	if err != nil {
		return failed(ReasonCertMalformed, "maker certificate: "+err.Error()), nil
	}
	r.Maker = certInfo(maker)
	enc, err := seal.VerifySignature(maker)
	if err != nil {
		return failed(ReasonSealSignatureInvalid, fmt.Sprintf("maker signature over %s: %v", signedPart(seal), err)), maker
	}
	return passed(fmt.Sprintf("maker's SM2 signature (%s) over %s verifies", enc, signedPart(seal))), maker
}

// checkSealAndMaker fills seal_signature and maker_chain.
func (v *Verifier) checkSealAndMaker(r *Report, seal *ses.Seal, at time.Time) {
	var maker *smcrypto.Certificate
	r.Checks.SealSignature, maker = v.sealSignatureOnly(r, seal)
	if maker == nil {
		r.Checks.MakerChain = r.Checks.SealSignature // CERT_MALFORMED, with the parser's reason
		return
	}
	chk := v.chainCheck(maker, at, makerReasons, "maker")
	if chk.Result == Failed && (chk.Code == ReasonMakerCertExpired || chk.Code == ReasonMakerCertNotYetValid) &&
		!v.Policy.MakerAtSigningTimeOnly && !seal.CreateDate.IsZero() && !seal.CreateDate.After(at) {
		chk = v.makerAtCreation(r, seal, maker, at, chk)
	}
	if chk.Result == Passed {
		switch {
		case v.Makers == nil && v.online != nil:
			// Online, registration is the trust list's: the status check finds the seal's record.
		case v.Makers == nil:
			r.Warnings = append(r.Warnings, "maker registration not checked: no registered seal-making systems were given (--makers); the chain shows only that a trusted CA issued the maker certificate")
		case !v.Makers.Contains(maker):
			chk = failed(ReasonMakerNotRegistered, fmt.Sprintf("the maker certificate %q (SM3 %s) is not a registered seal-making system", maker.Subject, maker.Fingerprint()))
		}
	}
	r.Checks.MakerChain = chk
}

// makerAtCreation applies the createDate allowance to a maker certificate that was not valid at the
// time of the check. GM/T 0031-2025 (V5) allows it, with a warning. For V1/V4 seals createDate is the
// maker's own claim and a maker whose certificate has expired could backdate it, so without proof of
// when the seal was made the answer is indeterminate. A chain that cannot be completed at createDate
// stays indeterminate either way.
func (v *Verifier) makerAtCreation(r *Report, seal *ses.Seal, maker *smcrypto.Certificate, at time.Time, atUse Check) Check {
	atCreate := v.chainCheck(maker, seal.CreateDate, makerReasons, "maker")
	switch atCreate.Result {
	case Undetermined:
		return atCreate
	case Failed:
		return atUse
	}
	w := fmt.Sprintf("the maker certificate was not valid at %s but was when the seal was made (createDate %s)",
		at.UTC().Format(time.RFC3339), seal.CreateDate.UTC().Format(time.RFC3339))
	if seal.Version != ses.V5 {
		return undetermined(ReasonMakerExpiredSince, w+"; createDate is the maker's own claim and nothing proves it for a "+seal.Version.String()+" seal")
	}
	w += "; accepted as GM/T 0031-2025 allows"
	r.Warnings = append(r.Warnings, w)
	return passed(atCreate.Detail + "; " + w)
}

type roleReasons struct{ expired, notYet, invalid, unknown Reason }

var (
	makerReasons  = roleReasons{ReasonMakerCertExpired, ReasonMakerCertNotYetValid, ReasonMakerChainInvalid, ReasonMakerCAUnknown}
	tsaReasons    = roleReasons{ReasonTimestampInvalid, ReasonTimestampInvalid, ReasonTimestampInvalid, ReasonTimestampUnverified}
	signerReasons = roleReasons{ReasonSignerCertExpired, ReasonSignerCertNotYetValid, ReasonSignerChainInvalid, ReasonSignerCAUnknown}
)

// chainCheck builds the certificate's chain at the time and maps the outcome to a check.
func (v *Verifier) chainCheck(c *smcrypto.Certificate, at time.Time, rr roleReasons, role string) Check {
	chain, err := smcrypto.BuildChain(c, smcrypto.ChainOptions{
		Roots: v.Roots, Intermediates: v.Intermediates, At: at, StrictAnchorKeyUsage: v.Policy.StrictAnchorKeyUsage,
		RequireLeafSigning: true,
	})
	if err == nil && v.online != nil {
		if bad, ok := v.online.chainTrusted(chain, at, rr); !ok {
			// Another path may avoid the anchor: try again over the anchors trusted at the time.
			roots, inters := v.online.tv.poolsAt(at)
			alt, altErr := smcrypto.BuildChain(c, smcrypto.ChainOptions{
				Roots: roots, Intermediates: inters, At: at, StrictAnchorKeyUsage: v.Policy.StrictAnchorKeyUsage,
				RequireLeafSigning: true,
			})
			if altErr != nil {
				return bad
			}
			chain = alt
		}
		v.online.usedChain(chain)
	}
	if err == nil {
		d := fmt.Sprintf("%s certificate chains to %q, valid at %s", role, chain.Anchor().Subject, at.UTC().Format(time.RFC3339))
		for _, w := range chain.Warnings {
			d += "; " + w
		}
		return passed(d)
	}
	var ce *smcrypto.ChainError
	if !errors.As(err, &ce) {
		return failed(rr.invalid, err.Error())
	}
	switch ce.Reason {
	case smcrypto.ReasonExpired:
		return failed(rr.expired, ce.Error())
	case smcrypto.ReasonNotYetValid:
		return failed(rr.notYet, ce.Error())
	case smcrypto.ReasonUnsupportedAlgorithm:
		return undetermined(ReasonAlgorithmUnsupported, ce.Error())
	case smcrypto.ReasonUnknownAuthority:
		if v.Roots.Len() == 0 {
			if v.online != nil {
				return undetermined(rr.unknown, "the trust list holds no root CA: "+ce.Error())
			}
			return undetermined(rr.unknown, "no trust anchors given (--roots): "+ce.Error())
		}
		return undetermined(rr.unknown, ce.Error())
	}
	return failed(rr.invalid, ce.Error())
}

// sealValidity checks the seal's window at the time, that it was made before the time, and Art. 16
// against signerEnd (zero: unknown).
func (v *Verifier) sealValidity(r *Report, seal *ses.Seal, at time.Time, signerEnd time.Time) Check {
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	switch {
	case at.After(seal.ValidEnd):
		return failed(ReasonSealExpired, fmt.Sprintf("the seal's validity ended at %s, before %s", ts(seal.ValidEnd), ts(at)))
	case at.Before(seal.ValidStart):
		return failed(ReasonSealNotYetValid, fmt.Sprintf("the seal's validity starts at %s, after %s", ts(seal.ValidStart), ts(at)))
	case at.Before(seal.CreateDate):
		return failed(ReasonSealNotYetValid, fmt.Sprintf("the seal was made at %s, after %s", ts(seal.CreateDate), ts(at)))
	}
	detail := fmt.Sprintf("%s within the seal's validity %s – %s", ts(at), ts(seal.ValidStart), ts(seal.ValidEnd))
	if !signerEnd.IsZero() && seal.ValidEnd.After(signerEnd) {
		from := v.Policy.Art16From
		if from.IsZero() {
			from = Art16From
		}
		msg := fmt.Sprintf("the seal's validEnd %s is after its signer certificate's end %s (《电子印章管理办法》 Art. 16)", ts(seal.ValidEnd), ts(signerEnd))
		if !seal.CreateDate.Before(from) {
			return failed(ReasonSealOutlivesSigner, msg)
		}
		r.Warnings = append(r.Warnings, msg+"; the seal predates the rule, so this is a warning")
	}
	return passed(detail)
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func reasonForParse(err error) Reason {
	if errors.Is(err, ses.ErrNotSES) {
		return ReasonNotSES
	}
	return ReasonFormatInvalid
}

func signedPart(s *ses.Seal) string {
	if s.Version == ses.V1 {
		return "SEQUENCE{sealInfo, cert, signatureAlgorithm} (V1)"
	}
	return "SES_SealInfo"
}

// latestSignerEnd is the latest NotAfter among the seal's listed signer certificates (zero if none
// can be read): a bare seal is held to Art. 16 against the longest-lived certificate it lists.
func latestSignerEnd(s *ses.Seal) time.Time {
	var end time.Time
	for _, der := range s.CertList {
		if c, err := smcrypto.ParseCertificate(der); err == nil && c.NotAfter.After(end) {
			end = c.NotAfter
		}
	}
	return end
}

func sealInfo(s *ses.Seal) *SealInfo {
	si := &SealInfo{
		Code: s.ESID, Name: s.Name, Type: s.Type, Vid: s.Header.Vid, PictureType: s.Picture.Type,
		CreateDate: s.CreateDate.UTC(), ValidStart: s.ValidStart.UTC(), ValidEnd: s.ValidEnd.UTC(),
		SM3: smcrypto.SM3Hex(s.Raw), CodeKind: "other",
	}
	if code, err := sealcode.Parse(s.ESID); err == nil && code.IsNumeric() {
		si.CodeKind = "numeric14"
		si.Province = code.Province.String()
	}
	return si
}

func certInfo(c *smcrypto.Certificate) *CertInfo {
	ci := &CertInfo{
		Subject: c.Subject, Issuer: c.Issuer, NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(),
		Fingerprint: c.Fingerprint(), Lenient: c.Lenient,
	}
	if c.SerialNumber != nil {
		ci.Serial = fmt.Sprintf("%X", c.SerialNumber)
	}
	for _, o := range c.SubjectName.Organization {
		if u, name, ok := sealcode.SplitOrganization(o); ok {
			ci.USCC, ci.Organization = u.Code, name
			break
		}
	}
	return ci
}

// criticalExtensions warns of critical ExtData: the standards define none, so none is understood
// here. (Real Shandong signatures carry one holding a vendor SM2 signature.)
func criticalExtensions(where string, exts []ses.ExtData) []string {
	var out []string
	for _, e := range exts {
		if e.Critical {
			out = append(out, fmt.Sprintf("%s carries a critical extension %s that this verifier does not understand", where, e.ID))
		}
	}
	return out
}
