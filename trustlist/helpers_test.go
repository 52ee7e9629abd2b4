package trustlist_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// The fixture clock. Nothing in these tests reads time.Now: every push is issued at world.now, the
// leader "records" it recordDelay later, and each accepted push moves the clock on by a minute.
var (
	t0          = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	recordDelay = 2 * time.Second
)

// The seal the base world files from its DER: a Shandong (37) code, as the sm2ca signer's CN.
const (
	sealCode = "37010000000001"
	orgUSCC  = "11370306MB2867521U"
	orgName  = "测试市自然资源局"
)

// fataler is the part of testing.TB the world needs, so the shared base can be built outside a test.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// panicTB fails by panicking: the shared base is built once, under sync.OnceValue, which then
// re-panics in every caller.
type panicTB struct{}

func (panicTB) Helper()                           {}
func (panicTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// world is a hub state with the keys and PKI to push to it. A world is cheap to fork: the state is
// an immutable value, so forks share everything until one of them applies a push.
type world struct {
	tb   fataler
	st   *trustlist.State
	now  time.Time                  // issued_at of the next push
	keys map[string]*sm2.PrivateKey // signing key per registry id

	pki     *sm2ca.PKI        // root (admin anchor), intermediate (37's anchor), maker (37's maker)
	foreign *sm2ca.PKI        // a PKI the hub does not trust
	maker2  *sm2ca.Authority  // a second maker under pki's intermediate, never registered
	sealDER []byte            // the seal filed in the base world (code sealCode)
	marks   map[string]uint64 // raft index after each named step of the base
	spare   []*sm2.PrivateKey // pre-made keys for rotation tests
	// log is every envelope this world applied, in order, after Init with initKeys at index 1.
	log      []trustlist.Envelope
	initKeys []trustlist.KeySpec
}

var baseWorld = sync.OnceValue(func() *world { return buildBase(panicTB{}) })

// newWorld is a fork of the base world: an initialised hub with registries "37" (Shandong, keys
// keys["37"]) and "tax" (department, jurisdiction "*"), the sm2ca root anchored by the
// administrator, the intermediate anchored and the maker registered by "37", and one seal filed
// from its DER by "37".
func newWorld(tb testing.TB) *world {
	tb.Helper()
	return baseWorld().fork(tb)
}

func (w *world) fork(tb fataler) *world {
	n := *w
	n.tb = tb
	n.keys = maps.Clone(w.keys)
	n.log = slices.Clip(w.log)
	return &n
}

func mustKey(tb fataler) *sm2.PrivateKey {
	tb.Helper()
	k, err := smcrypto.GenerateKey()
	if err != nil {
		tb.Fatalf("generate key: %v", err)
	}
	return k
}

func keySpec(tb fataler, k *sm2.PrivateKey) trustlist.KeySpec {
	tb.Helper()
	pem, err := smcrypto.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		tb.Fatalf("marshal key: %v", err)
	}
	return trustlist.KeySpec{PublicKey: string(pem)}
}

func keyID(k *sm2.PrivateKey) string { return smcrypto.KeyID(&k.PublicKey) }

func buildBase(tb fataler) *world {
	pki, err := sm2ca.New(sm2ca.Options{Province: "山东省", SealCode: sealCode, OrgUSCC: orgUSCC, OrgName: orgName})
	if err != nil {
		tb.Fatalf("sm2ca: %v", err)
	}
	foreign, err := sm2ca.New(sm2ca.Options{Province: "外省", SealCode: "11010000000001"})
	if err != nil {
		tb.Fatalf("sm2ca: %v", err)
	}
	maker2, err := pki.Leaf("第二电子印章制作系统", pki.Epoch, pki.Epoch.AddDate(5, 0, 0))
	if err != nil {
		tb.Fatalf("sm2ca: %v", err)
	}
	w := &world{
		tb: tb, now: t0, pki: pki, foreign: foreign, maker2: maker2,
		keys:  map[string]*sm2.PrivateKey{trustlist.AdminID: mustKey(tb), "37": mustKey(tb), "tax": mustKey(tb)},
		marks: map[string]uint64{},
	}
	for range 4 {
		w.spare = append(w.spare, mustKey(tb))
	}
	w.initKeys = []trustlist.KeySpec{keySpec(tb, w.keys[trustlist.AdminID])}
	w.st, err = trustlist.New().Init(w.initKeys, t0, 1)
	if err != nil {
		tb.Fatalf("init: %v", err)
	}
	w.marks["init"] = w.st.Index()
	w.do(trustlist.AdminID,
		opCreate(trustlist.RegistrySpec{ID: "37", Name: "山东省电子印章管理平台", Kind: trustlist.KindProvince,
			Jurisdiction: []string{"37"}, Keys: []trustlist.KeySpec{keySpec(tb, w.keys["37"])}}),
		opCreate(trustlist.RegistrySpec{ID: "tax", Name: "国家税务总局电子印章系统", Kind: trustlist.KindDepartment,
			Jurisdiction: []string{"*"}, Keys: []trustlist.KeySpec{keySpec(tb, w.keys["tax"])}}),
		opAnchorAdd(pki.Root.DER),
	)
	w.marks["registries"] = w.st.Index()
	w.do("37", opAnchorAdd(pki.Intermediate.DER), opMakerAdd(pki.Maker.DER))
	w.marks["chain"] = w.st.Index()
	w.sealDER = w.mustSeal(sm2ca.SealSpec{})
	w.do("37", opFileDER(w.sealDER))
	w.marks["seal"] = w.st.Index()
	return w
}

// mustSeal makes an SES_Seal with the world's PKI (default code sealCode, made Epoch+1 day, valid
// three years: inside the signer certificate's five).
func (w *world) mustSeal(s sm2ca.SealSpec) []byte {
	w.tb.Helper()
	der, err := w.pki.Seal(s)
	if err != nil {
		w.tb.Fatalf("seal: %v", err)
	}
	return der
}

// --- pushes ---

// next is the seq and prev the registry's next push must carry.
func (w *world) next(reg string) (uint64, string) {
	r, ok := w.st.Registry(reg)
	if !ok {
		return 1, ""
	}
	return r.Head.Seq + 1, r.Head.Hash
}

// push is the registry's next push, issued now.
func (w *world) push(reg string, ops ...trustlist.Op) trustlist.Push {
	seq, prev := w.next(reg)
	return trustlist.Push{Registry: reg, Seq: seq, Prev: prev, IssuedAt: w.now, Ops: ops}
}

func marshal(tb fataler, p trustlist.Push) []byte {
	tb.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		tb.Fatalf("marshal push: %v", err)
	}
	return b
}

// sign wraps a body in an envelope signed by key and recorded recordDelay after now.
func (w *world) sign(key *sm2.PrivateKey, body []byte) trustlist.Envelope {
	w.tb.Helper()
	sig, err := smcrypto.Sign(key, body)
	if err != nil {
		w.tb.Fatalf("sign: %v", err)
	}
	return trustlist.Envelope{Body: body, KeyID: keyID(key), Signature: sig, RecordedAt: w.now.Add(recordDelay)}
}

// envelope is the registry's next push, signed with its current key.
func (w *world) envelope(reg string, ops ...trustlist.Op) trustlist.Envelope {
	w.tb.Helper()
	return w.sign(w.keys[reg], marshal(w.tb, w.push(reg, ops...)))
}

// envelopeWith is envelope with the push changed by edit before it is marshalled.
func (w *world) envelopeWith(reg string, key *sm2.PrivateKey, edit func(*trustlist.Push), ops ...trustlist.Op) trustlist.Envelope {
	w.tb.Helper()
	p := w.push(reg, ops...)
	if edit != nil {
		edit(&p)
	}
	if key == nil {
		key = w.keys[reg]
	}
	return w.sign(key, marshal(w.tb, p))
}

// apply applies env at the next raft index; on success the world moves to the new state and the
// clock on by a minute.
func (w *world) apply(env trustlist.Envelope) (*trustlist.Result, error) {
	next, res, err := w.st.Apply(env, w.st.Index()+1)
	if err != nil {
		return nil, err
	}
	if next != w.st {
		w.st = next
		w.log = append(w.log, env)
		w.now = w.now.Add(time.Minute)
	}
	return res, nil
}

func (w *world) mustApply(env trustlist.Envelope) *trustlist.Result {
	w.tb.Helper()
	res, err := w.apply(env)
	if err != nil {
		w.tb.Fatalf("apply: %v", err)
	}
	return res
}

// do signs and applies the registry's next push, failing the test if it is rejected.
func (w *world) do(reg string, ops ...trustlist.Op) *trustlist.Result {
	w.tb.Helper()
	return w.mustApply(w.envelope(reg, ops...))
}

// --- ops ---

func ptr[T any](v T) *T { return &v }

func opFileDER(der []byte) trustlist.Op { return trustlist.Op{Op: trustlist.OpSealFile, Seal: der} }

func opFileMeta(m trustlist.SealMeta) trustlist.Op {
	return trustlist.Op{Op: trustlist.OpSealFile, Meta: &m}
}

func opStatus(code, action string, at time.Time, reason string) trustlist.Op {
	op := trustlist.Op{Op: trustlist.OpSealStatus, Code: code, Action: action, Reason: reason}
	if !at.IsZero() {
		op.EffectiveAt = ptr(at)
	}
	return op
}

func opAnchorAdd(der []byte) trustlist.Op { return trustlist.Op{Op: trustlist.OpAnchorAdd, Cert: der} }

func opDistrust(fp string, at time.Time, reason string) trustlist.Op {
	op := trustlist.Op{Op: trustlist.OpAnchorDistrust, Fingerprint: fp, Reason: reason}
	if !at.IsZero() {
		op.EffectiveAt = ptr(at)
	}
	return op
}

func opMakerAdd(der []byte) trustlist.Op { return trustlist.Op{Op: trustlist.OpMakerAdd, Cert: der} }

func opMakerRemove(fp, reason string) trustlist.Op {
	return trustlist.Op{Op: trustlist.OpMakerRemove, Fingerprint: fp, Reason: reason}
}

func opRotate(add *trustlist.KeySpec, retire string, at time.Time) trustlist.Op {
	op := trustlist.Op{Op: trustlist.OpKeyRotate, Key: add, RetireKey: retire}
	if !at.IsZero() {
		op.RetireAt = ptr(at)
	}
	return op
}

func opCreate(s trustlist.RegistrySpec) trustlist.Op {
	return trustlist.Op{Op: trustlist.OpRegistryCreate, RegistrySpec: &s}
}

func opUpdate(s trustlist.RegistrySpec) trustlist.Op {
	return trustlist.Op{Op: trustlist.OpRegistryUpdate, RegistrySpec: &s}
}

// meta is a seal filed from metadata, valid from 2024-06-01 for a year.
func meta(code string) trustlist.SealMeta {
	return trustlist.SealMeta{
		Code: code, Name: "测试印章 " + code, Type: 1,
		ValidStart: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC),
		ValidEnd:   time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),
	}
}

// --- assertions ---

// rejection asserts err is a *trustlist.Rejection with code want and returns it.
func rejection(tb testing.TB, err error, want trustlist.Code) *trustlist.Rejection {
	tb.Helper()
	var r *trustlist.Rejection
	if !errors.As(err, &r) {
		tb.Fatalf("got %v, want a rejection %s", err, want)
	}
	if !errors.Is(err, trustlist.ErrRejected) {
		tb.Errorf("%v does not wrap ErrRejected", err)
	}
	if r.Code != want {
		tb.Fatalf("got %s (%v), want %s", r.Code, err, want)
	}
	return r
}

// mustReject asserts that both Check and Apply refuse env with code want and that the state is
// unchanged.
func (w *world) mustReject(tb testing.TB, env trustlist.Envelope, want trustlist.Code) *trustlist.Rejection {
	tb.Helper()
	before := w.st.Digest()
	res, err := w.st.Check(env, trustlist.CheckOptions{})
	if res != nil {
		tb.Errorf("Check returned a result with its rejection: %+v", res)
	}
	r := rejection(tb, err, want)
	next, res, err := w.st.Apply(env, w.st.Index()+1)
	if next != nil || res != nil {
		tb.Errorf("Apply returned a state or result with its rejection")
	}
	rejection(tb, err, want)
	if got := w.st.Digest(); got != before {
		tb.Errorf("the digest changed on a rejection")
	}
	return r
}

// sealOf is a filed seal, or a fatal error.
func (w *world) sealOf(code string) *trustlist.Seal {
	w.tb.Helper()
	v, ok := w.st.Seal(code)
	if !ok {
		w.tb.Fatalf("seal %s is not filed", code)
	}
	return v
}

func jsonOf(tb fataler, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("marshal: %v", err)
	}
	return string(b)
}

// flipIn changes one byte of body inside the first occurrence of marker.
func flipIn(tb fataler, body []byte, marker string) []byte {
	tb.Helper()
	i := bytes.Index(body, []byte(marker))
	if i < 0 {
		tb.Fatalf("marker %q not in body", marker)
	}
	out := bytes.Clone(body)
	out[i+len(marker)-1] ^= 0x01
	return out
}
