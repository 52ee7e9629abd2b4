package trustlist

import (
	"strings"
	"unicode/utf8"
)

// Field names of Op, as they appear in JSON.
const (
	fSeal        = "seal"
	fMeta        = "meta"
	fCode        = "code"
	fAction      = "action"
	fEffectiveAt = "effective_at"
	fReason      = "reason"
	fCert        = "cert"
	fFingerprint = "fingerprint"
	fKey         = "key"
	fRetireKey   = "retire_key"
	fRetireAt    = "retire_at"
	fRegistry    = "registry"
)

// opRule lists, per op kind, the fields it requires and those it may carry. seal.file needs exactly
// one of seal and meta, checked separately.
var opRules = map[string]struct{ required, optional []string }{
	OpSealFile:       {nil, []string{fSeal, fMeta}},
	OpSealStatus:     {[]string{fCode, fAction}, []string{fEffectiveAt, fReason}},
	OpAnchorAdd:      {[]string{fCert}, []string{fEffectiveAt, fReason}},
	OpAnchorDistrust: {[]string{fFingerprint}, []string{fEffectiveAt, fReason}},
	OpMakerAdd:       {[]string{fCert}, nil},
	OpMakerRemove:    {[]string{fFingerprint}, []string{fReason}},
	OpKeyRotate:      {nil, []string{fKey, fRetireKey, fRetireAt}},
	OpRegistryCreate: {[]string{fRegistry}, nil},
	OpRegistryUpdate: {[]string{fRegistry}, nil},
}

// present lists the fields an op carries.
func (o *Op) present() map[string]bool {
	m := map[string]bool{}
	set := func(name string, ok bool) {
		if ok {
			m[name] = true
		}
	}
	set(fSeal, len(o.Seal) > 0)
	set(fMeta, o.Meta != nil)
	set(fCode, o.Code != "")
	set(fAction, o.Action != "")
	set(fEffectiveAt, o.EffectiveAt != nil)
	set(fReason, o.Reason != "")
	set(fCert, len(o.Cert) > 0)
	set(fFingerprint, o.Fingerprint != "")
	set(fKey, o.Key != nil)
	set(fRetireKey, o.RetireKey != "")
	set(fRetireAt, o.RetireAt != nil)
	set(fRegistry, o.RegistrySpec != nil)
	return m
}

const maxText = 1024 // reason, names: bytes

func (o *Op) validate(i int) error {
	rule, ok := opRules[o.Op]
	if !ok {
		return rejectOp(i, CodeMalformed, "unknown op %q", o.Op)
	}
	have := o.present()
	for _, f := range rule.required {
		if !have[f] {
			return rejectOp(i, CodeMalformed, "%s needs %q", o.Op, f)
		}
		delete(have, f)
	}
	for _, f := range rule.optional {
		delete(have, f)
	}
	for f := range have {
		return rejectOp(i, CodeMalformed, "%s does not take %q", o.Op, f)
	}
	if !textOK(o.Reason) || !textOK(o.Code) {
		return rejectOp(i, CodeMalformed, "reason and code must be valid UTF-8 of at most %d bytes without control characters", maxText)
	}
	switch o.Op {
	case OpSealFile:
		if (len(o.Seal) > 0) == (o.Meta != nil) {
			return rejectOp(i, CodeMalformed, "seal.file needs exactly one of \"seal\" (SES_Seal DER, base64) and \"meta\"")
		}
	case OpSealStatus:
		if _, ok := transitions[o.Action]; !ok {
			return rejectOp(i, CodeMalformed, "action %q: want one of %s", o.Action, strings.Join(Actions, ", "))
		}
	case OpAnchorDistrust, OpMakerRemove:
		if !isSM3Hex(o.Fingerprint) {
			return rejectOp(i, CodeMalformed, "fingerprint must be the SM3 of the certificate DER (64 lower-case hex digits)")
		}
	case OpKeyRotate:
		if o.Key == nil && o.RetireKey == "" {
			return rejectOp(i, CodeMalformed, "key.rotate needs \"key\", \"retire_key\" or both")
		}
		if o.RetireKey != "" && !keyIDRe.MatchString(o.RetireKey) {
			return rejectOp(i, CodeMalformed, "retire_key must be a key id (16 hex digits)")
		}
		if o.RetireAt != nil && o.RetireKey == "" {
			return rejectOp(i, CodeMalformed, "retire_at without retire_key")
		}
	case OpRegistryCreate, OpRegistryUpdate:
		if !ValidRegistryID(o.RegistrySpec.ID) {
			return rejectOp(i, CodeMalformed, "registry id %q: want 1-32 of a-z 0-9 _ -", o.RegistrySpec.ID)
		}
	}
	return nil
}

// textOK accepts short valid UTF-8 without control characters.
func textOK(s string) bool {
	if len(s) > maxText || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
