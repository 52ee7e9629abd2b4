package resolver

import (
	"time"
)

// Verdict is the outcome of a verification.
type Verdict string

// Verdicts.
const (
	Valid         Verdict = "valid"
	Invalid       Verdict = "invalid"
	Indeterminate Verdict = "indeterminate" // the hub lacks what it needs to decide; never "valid"
)

// CheckResult is the outcome of one check.
type CheckResult string

// Check outcomes.
const (
	Passed        CheckResult = "passed"
	Failed        CheckResult = "failed"
	Undetermined  CheckResult = "indeterminate"
	Skipped       CheckResult = "skipped"
	checkNotSetUp CheckResult = ""
)

// Check is one line of a report.
type Check struct {
	Result CheckResult `json:"result"`
	Detail string      `json:"detail"`
	Code   Reason      `json:"code,omitempty"` // for failed and indeterminate checks
}

func passed(detail string) Check  { return Check{Result: Passed, Detail: detail} }
func skipped(detail string) Check { return Check{Result: Skipped, Detail: detail} }
func failed(code Reason, detail string) Check {
	return Check{Result: Failed, Detail: detail, Code: code}
}
func undetermined(code Reason, detail string) Check {
	return Check{Result: Undetermined, Detail: detail, Code: code}
}

// Checks are the nine checks of every report, always all present.
type Checks struct {
	Signature     Check `json:"signature"`      // the signer's signature over TBS_Sign
	Timestamp     Check `json:"timestamp"`      // the signature's GB/T 20520 timeStamp, when it has one
	SealSignature Check `json:"seal_signature"` // the maker's signature over the seal
	SignerInSeal  Check `json:"signer_in_seal"` // the signer's certificate is listed in the seal
	MakerChain    Check `json:"maker_chain"`    // maker certificate → trust anchor
	SignerChain   Check `json:"signer_chain"`   // signer certificate → trust anchor
	SealValidity  Check `json:"seal_validity"`  // validStart ≤ t ≤ validEnd, createDate ≤ t, Art. 16
	DataHash      Check `json:"data_hash"`      // dataHash = SM3(original); OFD References
	Status        Check `json:"status"`         // the seal's status (停用/注销/无效) at t
}

// ordered lists the checks in the order that decides the reason of a report.
func (c *Checks) ordered() []*Check {
	return []*Check{&c.Signature, &c.Timestamp, &c.SignerInSeal, &c.SealSignature, &c.MakerChain, &c.SignerChain, &c.SealValidity, &c.DataHash, &c.Status}
}

// SealInfo describes the seal in a report.
type SealInfo struct {
	Code        string    `json:"code"`
	CodeKind    string    `json:"code_kind"`          // numeric14 | other
	Province    string    `json:"province,omitempty"` // from a 14-digit code: "37 山东省"
	Name        string    `json:"name"`
	Type        int       `json:"type"`
	Vid         string    `json:"vid"`
	CreateDate  time.Time `json:"create_date"`
	ValidStart  time.Time `json:"valid_start"`
	ValidEnd    time.Time `json:"valid_end"`
	PictureType string    `json:"picture_type"`
	SM3         string    `json:"sm3"` // SM3 of the SES_Seal DER
}

// CertInfo describes a certificate in a report.
type CertInfo struct {
	Subject      string    `json:"subject"`
	Issuer       string    `json:"issuer"`
	Serial       string    `json:"serial"`
	NotBefore    time.Time `json:"not_before"`
	NotAfter     time.Time `json:"not_after"`
	Fingerprint  string    `json:"fingerprint_sm3"`
	Lenient      bool      `json:"lenient_parse,omitempty"` // the strict X.509 parser refused it
	USCC         string    `json:"uscc,omitempty"`          // 统一社会信用代码 found in O
	Organization string    `json:"organization,omitempty"`
}

// Report is the result of verifying one seal or one seal signature. Its JSON form is the contract of
// `sealhub verify --json` and of the /v1/verify API.
type Report struct {
	Result  Verdict `json:"result"`
	Reason  Reason  `json:"reason"`
	Message string  `json:"message"`
	Kind    string  `json:"kind"`   // seal | signature
	Format  string  `json:"format"` // V1 | V4 | V5; empty when the input could not be decoded

	Seal   *SealInfo `json:"seal"` // null when the input could not be decoded
	Maker  *CertInfo `json:"maker,omitempty"`
	Signer *CertInfo `json:"signer,omitempty"`

	// SigningTime is the verified timestamp's time (SigningTimeSource "timestamp") when the signature
	// carries one that verifies, else timeInfo, the time the signer's software claims ("claimed").
	SigningTime       *time.Time `json:"signing_time"`
	SigningTimeSource string     `json:"signing_time_source,omitempty"`
	// CheckedAt is the time every validity check used: the signing time, or the time asked for;
	// null when there was none.
	CheckedAt *time.Time `json:"checked_at"`

	Checks   Checks   `json:"checks"`
	Warnings []string `json:"warnings,omitempty"`
	Quirks   []string `json:"quirks,omitempty"` // departures from the standard the decoder tolerated

	// StatusAtSigning and StatusNow are the seal's status from the trust list or its region at the
	// time of the check and now (online only; the verdict uses the first).
	StatusAtSigning *StatusInfo `json:"status_at_signing,omitempty"`
	StatusNow       *StatusInfo `json:"status_now,omitempty"`
	Online
}

// finish derives Result, Reason and Message from the checks: the first failed check makes the report
// invalid; otherwise the first indeterminate check makes it indeterminate; otherwise it is valid.
// Skipped checks do not count either way.
func (r *Report) finish() *Report {
	for _, c := range r.Checks.ordered() {
		if c.Result == checkNotSetUp {
			*c = skipped("not applicable")
		}
	}
	r.Result, r.Reason, r.Message = Valid, ReasonOK, "every check passed"
	for _, c := range r.Checks.ordered() {
		if c.Result == Failed {
			r.Result, r.Reason, r.Message = Invalid, c.Code, c.Detail
			return r
		}
	}
	for _, c := range r.Checks.ordered() {
		if c.Result == Undetermined {
			r.Result, r.Reason, r.Message = Indeterminate, c.Code, c.Detail
			return r
		}
	}
	return r
}

// formatFailure is the report for input that is not a seal or signature at all.
func formatFailure(kind string, code Reason, detail string) *Report {
	r := &Report{Kind: kind}
	r.Checks.Signature = failed(code, detail)
	if code == ReasonNotSES {
		r.Checks.Signature = undetermined(code, detail)
	}
	for _, c := range r.Checks.ordered()[1:] {
		*c = skipped("the input could not be decoded")
	}
	return r.finish()
}
