package trustlist

import (
	"errors"
	"fmt"
)

// Kind groups push rejections by what the client must do about them; each kind maps to one HTTP
// status at the API edge (trustlist itself knows nothing of HTTP).
type Kind int

// Kinds of rejection.
const (
	KindMalformed       Kind = iota + 1 // 400: the body is not a push
	KindUnauthenticated                 // 401: signature, key or registry not recognised
	KindForbidden                       // 403: an op the signer may not perform
	KindConflict                        // 409: sequence or chain conflict with what the hub holds
	KindTooLarge                        // 413: over a size limit
	KindInvalid                         // 422: well-formed, authenticated, but the content is not acceptable
)

// HTTPStatus is the status the API answers for a rejection of this kind.
func (k Kind) HTTPStatus() int {
	switch k {
	case KindMalformed:
		return 400
	case KindUnauthenticated:
		return 401
	case KindForbidden:
		return 403
	case KindConflict:
		return 409
	case KindTooLarge:
		return 413
	case KindInvalid:
		return 422
	}
	return 500
}

// Code is a stable push rejection code. Codes (the table below) are only ever added, never renamed or
// reused; docs/push-codes.md is kept identical to the table by a test.
type Code string

// CodeInfo describes one code.
type CodeInfo struct {
	Code    Code
	Kind    Kind
	Meaning string
}

// Rejection codes.
const (
	CodeMalformed        Code = "PUSH_MALFORMED"
	CodeTooLarge         Code = "PUSH_TOO_LARGE"
	CodeTooManyOps       Code = "PUSH_TOO_MANY_OPS"
	CodeSignatureMissing Code = "PUSH_SIGNATURE_MISSING"
	CodeSignatureInvalid Code = "PUSH_SIGNATURE_INVALID"
	CodeRegistryUnknown  Code = "REGISTRY_UNKNOWN"
	CodeKeyUnknown       Code = "PUSH_KEY_UNKNOWN"
	CodeKeyNotValid      Code = "PUSH_KEY_NOT_VALID"
	CodeIssuedAtSkew     Code = "PUSH_ISSUED_AT_SKEW"
	CodeNotInitialized   Code = "HUB_NOT_INITIALIZED"
	CodeOutsideJuris     Code = "OP_OUTSIDE_JURISDICTION"
	CodeNotPermitted     Code = "OP_NOT_PERMITTED"
	CodeSeqGap           Code = "PUSH_SEQ_GAP"
	CodePrevMismatch     Code = "PUSH_PREV_MISMATCH"
	CodeReplayConflict   Code = "PUSH_REPLAY_CONFLICT"
	CodeIssuedBeforeHead Code = "PUSH_ISSUED_BEFORE_HEAD"
	CodeSyncRollback     Code = "SYNC_SOURCE_ROLLBACK"
	CodeOpInvalid        Code = "OP_INVALID"
	CodeSealInvalid      Code = "SEAL_INVALID"
	CodeSealSignature    Code = "SEAL_MAKER_SIGNATURE_INVALID"
	CodeMakerUnknown     Code = "MAKER_NOT_REGISTERED"
	CodeChainInvalid     Code = "CHAIN_INVALID"
	CodeSealOutlives     Code = "SEAL_OUTLIVES_SIGNER"
	CodeSealExists       Code = "SEAL_EXISTS"
	CodeSealUnknown      Code = "SEAL_UNKNOWN"
	CodeTransition       Code = "STATUS_TRANSITION_INVALID"
	CodeEffectiveOrder   Code = "EFFECTIVE_AT_OUT_OF_ORDER"
	CodeEffectiveFuture  Code = "EFFECTIVE_AT_IN_FUTURE"
	CodeCertInvalid      Code = "CERT_INVALID"
	CodeAnchorExists     Code = "ANCHOR_EXISTS"
	CodeAnchorUnknown    Code = "ANCHOR_UNKNOWN"
	CodeAnchorDistrusted Code = "ANCHOR_ALREADY_DISTRUSTED"
	CodeMakerExists      Code = "MAKER_EXISTS"
	CodeKeyInvalid       Code = "KEY_INVALID"
	CodeRegistryExists   Code = "REGISTRY_EXISTS"
	CodeRegistryInvalid  Code = "REGISTRY_INVALID"
)

// Codes is the table of every rejection code, in a stable order.
var Codes = []CodeInfo{
	{CodeMalformed, KindMalformed, "the body is not a push: bad JSON, unknown or missing fields, bad values"},
	{CodeTooLarge, KindTooLarge, "the push body is over 512 KiB; split it into several pushes"},
	{CodeTooManyOps, KindTooLarge, "the push has more ops than one push may carry"},
	{CodeSignatureMissing, KindUnauthenticated, "no X-Sealhub-Key-Id / X-Sealhub-Signature headers, or unreadable ones"},
	{CodeSignatureInvalid, KindUnauthenticated, "the SM2 signature does not verify over the exact body received"},
	{CodeRegistryUnknown, KindUnauthenticated, "no registry with this id (registries are created by the administrator)"},
	{CodeKeyUnknown, KindUnauthenticated, "the key id is not one of the registry's keys"},
	{CodeKeyNotValid, KindUnauthenticated, "the key was not valid at the push's issued_at"},
	{CodeIssuedAtSkew, KindUnauthenticated, "issued_at is too far from the hub's clock (in the future, or older than allowed)"},
	{CodeNotInitialized, KindUnauthenticated, "the hub has no administrator key yet"},
	{CodeOutsideJuris, KindForbidden, "a seal code outside the registry's jurisdiction (GB/T 2260 prefixes)"},
	{CodeNotPermitted, KindForbidden, "the op touches what belongs to another registry, or needs the administrator"},
	{CodeSeqGap, KindConflict, "seq is not the registry's head + 1"},
	{CodePrevMismatch, KindConflict, "prev is not the SM3 of the registry's last accepted push"},
	{CodeReplayConflict, KindConflict, "a push with this seq was accepted before, with different bytes"},
	{CodeIssuedBeforeHead, KindConflict, "issued_at is earlier than the issued_at of the registry's last accepted push"},
	{CodeSyncRollback, KindConflict, "a sync push reads the region's feed from before where the registry's head already is"},
	{CodeOpInvalid, KindInvalid, "reserved (op shape errors are PUSH_MALFORMED)"},
	{CodeSealInvalid, KindInvalid, "a filed seal does not parse, or its fields are unacceptable"},
	{CodeSealSignature, KindInvalid, "the seal-maker signature over a filed SES_Seal does not verify"},
	{CodeMakerUnknown, KindInvalid, "the seal's maker certificate is not one of the registry's current seal-maker certificates"},
	{CodeChainInvalid, KindInvalid, "a certificate does not chain to a trust anchor trusted at the time that matters"},
	{CodeSealOutlives, KindInvalid, "the seal's validity ends after its signer certificate's (《电子印章管理办法》 Art. 16)"},
	{CodeSealExists, KindInvalid, "a seal with this code is already filed (备案)"},
	{CodeSealUnknown, KindInvalid, "no seal with this code is filed"},
	{CodeTransition, KindInvalid, "the status change is not allowed from the seal's current status"},
	{CodeEffectiveOrder, KindInvalid, "effective_at is earlier than the seal's latest status event"},
	{CodeEffectiveFuture, KindInvalid, "effective_at is later than the time the hub records the push"},
	{CodeCertInvalid, KindInvalid, "a certificate does not parse or is not the right kind (CA, maker)"},
	{CodeAnchorExists, KindInvalid, "the trust anchor is already held and trusted"},
	{CodeAnchorUnknown, KindInvalid, "no trust anchor with this fingerprint"},
	{CodeAnchorDistrusted, KindInvalid, "the trust anchor is already distrusted"},
	{CodeMakerExists, KindInvalid, "the seal-maker certificate is already registered"},
	{CodeKeyInvalid, KindInvalid, "a public key is not an SM2 key, or its validity range is wrong, or retiring it leaves no key"},
	{CodeRegistryExists, KindInvalid, "a registry with this id already exists"},
	{CodeRegistryInvalid, KindInvalid, "a registry definition is incomplete or inconsistent"},
}

var codeIndex = func() map[Code]CodeInfo {
	m := make(map[Code]CodeInfo, len(Codes))
	for _, c := range Codes {
		m[c.Code] = c
	}
	return m
}()

// Info looks a code up in the table.
func (c Code) Info() (CodeInfo, bool) {
	i, ok := codeIndex[c]
	return i, ok
}

// ErrRejected is wrapped by every *Rejection, so callers can test errors.Is(err, ErrRejected).
var ErrRejected = errors.New("trustlist: push rejected")

// Rejection is why a push (or one of its ops) is refused. Nothing of the push is applied.
type Rejection struct {
	Code    Code
	Message string
	Op      int // index of the op at fault, or -1 for the push as a whole
}

// Kind is the rejection's kind, from the code table.
func (r *Rejection) Kind() Kind {
	if i, ok := r.Code.Info(); ok {
		return i.Kind
	}
	return KindInvalid
}

func (r *Rejection) Error() string {
	if r.Op >= 0 {
		return fmt.Sprintf("trustlist: %s: op %d: %s", r.Code, r.Op, r.Message)
	}
	return fmt.Sprintf("trustlist: %s: %s", r.Code, r.Message)
}

// Unwrap makes errors.Is(err, ErrRejected) true.
func (r *Rejection) Unwrap() error { return ErrRejected }

func reject(code Code, format string, args ...any) *Rejection {
	return &Rejection{Code: code, Message: fmt.Sprintf(format, args...), Op: -1}
}

func rejectOp(op int, code Code, format string, args ...any) *Rejection {
	return &Rejection{Code: code, Message: fmt.Sprintf(format, args...), Op: op}
}
