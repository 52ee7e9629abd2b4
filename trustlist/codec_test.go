package trustlist_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// richWorld is the base world after a push of every kind: something in every field of the encoding.
func richWorld(t testing.TB) *world {
	w := newWorld(t)
	full := meta("37030000000042")
	full.Type, full.OwnerName, full.OwnerUSCC = 2, orgName, orgUSCC
	full.MakerCert, full.SignerCerts = fp(w.pki.Maker.DER), []string{fp(w.pki.Signer.DER), fp(w.maker2.DER)}
	full.SealSM3, full.PictureSM3 = smcrypto.SM3Hex([]byte("s")), smcrypto.SM3Hex([]byte("p"))
	full.ValidStart = full.ValidStart.Add(123456789 * time.Nanosecond) // nanoseconds survive
	w.do("37", opFileMeta(full), opStatus(sealCode, "suspend", t0.AddDate(0, 0, -2), "停用：印章遗失"))
	w.do("37", opFileDER(w.mustSeal(sm2ca.SealSpec{ESID: "37010000000012", Version: 5})), opMakerAdd(w.maker2.DER))
	w.do("37", opMakerRemove(fp(w.maker2.DER), "replaced"), opStatus(sealCode, "restore", time.Time{}, ""))
	w.do("tax", opFileMeta(meta("ZhelibanTaxSeal")), opFileMeta(meta("11010000000001")))
	w.do("tax", opStatus("11010000000001", "revoke", time.Time{}, ""))
	w.do("tax", opStatus("11010000000001", "invalidate", time.Time{}, "Art. 30"))
	w.do(trustlist.AdminID, opAnchorAdd(w.foreign.Root.DER),
		opUpdate(trustlist.RegistrySpec{ID: "tax", Mode: trustlist.ModeSync, Adapter: []byte(`{"feed":"https://tax.example/changes"}`)}),
		opCreate(trustlist.RegistrySpec{ID: "customs", Name: "海关", Kind: trustlist.KindDepartment, Jurisdiction: []string{"*"}, Mode: trustlist.ModeLive}))
	w.do(trustlist.AdminID, opDistrust(fp(w.foreign.Root.DER), t0.AddDate(0, 0, -1), "not a Chinese CA"))
	w.do("37", opRotate(ptr(keySpec(t, w.spare[0])), keyID(w.keys["37"]), w.now.Add(time.Hour)))
	return w
}

func encode(t testing.TB, st *trustlist.State) []byte {
	t.Helper()
	var buf bytes.Buffer
	sum, err := st.Encode(&buf)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if got := hex.EncodeToString(sum[:]); got != st.Digest() {
		t.Fatalf("Encode's sum %s is not the digest %s", got, st.Digest())
	}
	b := buf.Bytes()
	if !bytes.Equal(b[len(b)-32:], sum[:]) {
		t.Fatal("the encoding does not end with its SM3")
	}
	return b
}

// sameAnswers compares every query answer of two states.
func sameAnswers(t *testing.T, a, b *trustlist.State) {
	t.Helper()
	if a.Index() != b.Index() || a.Initialized() != b.Initialized() || a.SealCount() != b.SealCount() {
		t.Errorf("index/initialized/count: %d %v %d vs %d %v %d", a.Index(), a.Initialized(), a.SealCount(), b.Index(), b.Initialized(), b.SealCount())
	}
	if x, y := jsonOf(t, a.Registries()), jsonOf(t, b.Registries()); x != y {
		t.Errorf("registries differ:\n%s\n%s", x, y)
	}
	if x, y := jsonOf(t, a.Anchors()), jsonOf(t, b.Anchors()); x != y {
		t.Errorf("anchors differ:\n%s\n%s", x, y)
	}
	for _, an := range a.Anchors() {
		bn, ok := b.Anchor(an.Fingerprint)
		if !ok || bn.Cert() == nil || bn.Cert().Fingerprint() != an.Fingerprint {
			t.Errorf("anchor %s: certificate not restored", an.Subject)
			continue
		}
		for _, at := range []time.Time{day(2024, 1, 1), t0.AddDate(0, 0, -1), t0, t0.AddDate(1, 0, 0)} {
			if an.TrustedAt(at) != bn.TrustedAt(at) {
				t.Errorf("anchor %s: TrustedAt(%s) differs", an.Subject, at)
			}
		}
	}
	for _, r := range a.Registries() {
		for _, m := range r.Makers {
			x, okx := a.MakerRegistry(m.Fingerprint)
			y, oky := b.MakerRegistry(m.Fingerprint)
			if x != y || okx != oky {
				t.Errorf("MakerRegistry(%s): %s %v vs %s %v", m.Fingerprint, x, okx, y, oky)
			}
		}
		for seq := uint64(1); seq <= r.Head.Seq; seq++ {
			x, _ := a.Push(r.ID, seq)
			y, _ := b.Push(r.ID, seq)
			if jsonOf(t, x) != jsonOf(t, y) {
				t.Errorf("push %s/%d: %+v vs %+v", r.ID, seq, x, y)
			}
		}
	}
	var codes []string
	a.WalkSeals(func(v *trustlist.Seal) bool { codes = append(codes, v.Code); return true })
	for _, code := range codes {
		x, _ := a.Seal(code)
		y, ok := b.Seal(code)
		if !ok {
			t.Errorf("seal %s missing", code)
			continue
		}
		if jsonOf(t, x) != jsonOf(t, y) {
			t.Errorf("seal %s differs:\n%s\n%s", code, jsonOf(t, x), jsonOf(t, y))
		}
		for _, at := range []time.Time{day(2024, 1, 1), day(2024, 9, 1), t0.AddDate(0, 0, -1), t0.Add(time.Hour), day(2028, 1, 1)} {
			if sx, sy := x.StatusAt(at), y.StatusAt(at); sx.Status != sy.Status || sx.Recorded != sy.Recorded {
				t.Errorf("seal %s at %s: %s vs %s", code, at, sx.Status, sy.Status)
			}
			for _, k := range []uint64{3, 6, 9, a.Index()} {
				sx, okx := x.StatusAsOf(at, k)
				sy, oky := y.StatusAsOf(at, k)
				if sx.Status != sy.Status || okx != oky {
					t.Errorf("seal %s at %s as of %d: %s vs %s", code, at, k, sx.Status, sy.Status)
				}
			}
		}
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	w := richWorld(t)
	enc := encode(t, w.st)
	got, err := trustlist.Decode(bytes.NewReader(enc))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if got.Digest() != w.st.Digest() {
		t.Error("the decoded state has another digest")
	}
	if again := encode(t, got); !bytes.Equal(again, enc) {
		t.Error("re-encoding the decoded state gives other bytes")
	}
	sameAnswers(t, w.st, got)

	// The decoded state carries on exactly as the original: replays, sequence, chains (anchor
	// certificates rebuilt), keys.
	restored := w.fork(t)
	restored.st = got
	old := w.log[len(w.log)-1]
	env := w.envelope("37", opFileDER(w.mustSeal(sm2ca.SealSpec{ESID: "37010000000020"})),
		opStatus("37030000000042", "revoke", time.Time{}, ""))
	var results []*trustlist.Result
	for _, x := range []*world{w, restored} {
		if rep, err := x.apply(old); err != nil || !rep.Replay {
			t.Errorf("replay: %v", err)
		}
		results = append(results, x.mustApply(env))
	}
	if *results[0] != *results[1] {
		t.Errorf("results differ: %+v, %+v", results[0], results[1])
	}
	if w.st.Digest() != restored.st.Digest() {
		t.Error("the same push on the original and the restored state gives other digests")
	}
}

func TestRoundTripOfEmptyStates(t *testing.T) {
	empty := trustlist.New()
	initialised, err := empty.Init([]trustlist.KeySpec{keySpec(t, mustKey(t))}, t0, 1)
	if err != nil {
		t.Fatal(err)
	}
	for name, st := range map[string]*trustlist.State{"new": empty, "initialised": initialised} {
		t.Run(name, func(t *testing.T) {
			enc := encode(t, st)
			got, err := trustlist.Decode(bytes.NewReader(enc))
			if err != nil {
				t.Fatal(err)
			}
			if got.Digest() != st.Digest() || !bytes.Equal(encode(t, got), enc) {
				t.Error("round trip")
			}
			sameAnswers(t, st, got)
		})
	}
}

// withTrailer replaces the SM3 trailer of an encoding by the SM3 of its (changed) body.
func withTrailer(enc []byte) []byte {
	body := enc[:len(enc)-32]
	sum := smcrypto.SM3(body)
	return append(bytes.Clone(body), sum[:]...)
}

func TestDecodeRejects(t *testing.T) {
	w := richWorld(t)
	enc := encode(t, w.st)
	magic := len("sealhub-state\x00")
	bad := func(t *testing.T, b []byte, wantText string) {
		t.Helper()
		st, err := trustlist.Decode(bytes.NewReader(b))
		if !errors.Is(err, trustlist.ErrEncoding) || st != nil {
			t.Fatalf("Decode = %v, %v; want ErrEncoding", st, err)
		}
		if wantText != "" && !strings.Contains(err.Error(), wantText) {
			t.Errorf("error %q does not say %q", err, wantText)
		}
	}
	t.Run("empty", func(t *testing.T) { bad(t, nil, "") })
	t.Run("not a state", func(t *testing.T) { bad(t, []byte("PK\x03\x04 a zip file, say"), "not a sealhub state") })
	t.Run("truncated", func(t *testing.T) {
		cuts := []int{1, magic - 1, magic, magic + 1, magic + 2, len(enc) / 3, len(enc) / 2, len(enc) - 36, len(enc) - 33}
		for n := len(enc) - 32; n < len(enc); n++ {
			cuts = append(cuts, n)
		}
		for n := 0; n < len(enc); n += 61 {
			cuts = append(cuts, n)
		}
		for _, n := range cuts {
			bad(t, enc[:n], "")
		}
	})
	t.Run("flipped byte", func(t *testing.T) {
		for i := 0; i < len(enc); i += 17 {
			b := bytes.Clone(enc)
			b[i] ^= 0x40
			bad(t, b, "")
		}
		b := bytes.Clone(enc)
		b[len(b)-1] ^= 1
		bad(t, b, "SM3")
		b = bytes.Clone(enc)
		b[len(b)/2] ^= 1
		bad(t, b, "")
	})
	t.Run("flipped byte with a matching trailer", func(t *testing.T) {
		// The magic and the end marker are checked for themselves, not only through the SM3.
		for _, i := range []int{0, magic - 1, len(enc) - 33} {
			b := bytes.Clone(enc)
			b[i] ^= 0x01
			bad(t, withTrailer(b), "")
		}
	})
	t.Run("wrong version", func(t *testing.T) {
		for _, v := range []byte{0, 3, 0x7f} {
			b := bytes.Clone(enc)
			if b[magic] != 2 {
				t.Fatalf("version byte %d, want 2", b[magic])
			}
			b[magic] = v
			bad(t, withTrailer(b), "version")
			bad(t, b, "version")
		}
	})
	t.Run("trailing data", func(t *testing.T) {
		bad(t, append(bytes.Clone(enc), 0), "trailing")
		bad(t, append(bytes.Clone(enc), enc...), "")
	})
	t.Run("reader error", func(t *testing.T) {
		_, err := trustlist.Decode(io.MultiReader(bytes.NewReader(enc[:100]), errReader{}))
		if !errors.Is(err, trustlist.ErrEncoding) {
			t.Errorf("Decode over a failing reader: %v", err)
		}
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

type errWriter struct{ after int }

func (e *errWriter) Write(p []byte) (int, error) {
	if e.after -= len(p); e.after < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestEncodeReportsWriteErrors(t *testing.T) {
	w := richWorld(t)
	if _, err := w.st.Encode(&errWriter{}); err == nil {
		t.Error("Encode to a failing writer succeeded")
	}
	if _, err := w.st.Encode(&errWriter{after: 100}); err == nil {
		t.Error("Encode to a writer failing later succeeded")
	}
}

// TestDigest: stable across Encode calls, changed by every accepted push, untouched by rejections
// and replays.
func TestDigest(t *testing.T) {
	w := newWorld(t)
	if a, b := encode(t, w.st), encode(t, w.st); !bytes.Equal(a, b) || w.st.Digest() != w.st.Digest() {
		t.Fatal("two encodings of one state differ")
	}
	if len(w.st.Digest()) != 64 {
		t.Fatalf("digest %q", w.st.Digest())
	}
	seen := map[string]string{w.st.Digest(): "base"}
	steps := []struct {
		name string
		reg  string
		op   func(w *world) trustlist.Op
	}{
		{"seal.file meta", "37", func(*world) trustlist.Op { return opFileMeta(meta("37010000000002")) }},
		{"seal.file DER", "37", func(w *world) trustlist.Op {
			return opFileDER(w.mustSeal(sm2ca.SealSpec{ESID: "37010000000003"}))
		}},
		{"seal.status", "37", func(*world) trustlist.Op { return opStatus("37010000000002", "suspend", time.Time{}, "") }},
		{"maker.add", "37", func(w *world) trustlist.Op { return opMakerAdd(w.maker2.DER) }},
		{"maker.remove", "37", func(w *world) trustlist.Op { return opMakerRemove(fp(w.maker2.DER), "") }},
		{"key.rotate", "37", func(w *world) trustlist.Op { return opRotate(ptr(keySpec(t, w.spare[0])), "", time.Time{}) }},
		{"anchor.add", trustlist.AdminID, func(w *world) trustlist.Op { return opAnchorAdd(w.foreign.Root.DER) }},
		{"anchor.distrust", trustlist.AdminID, func(w *world) trustlist.Op { return opDistrust(fp(w.foreign.Root.DER), time.Time{}, "") }},
		{"registry.create", trustlist.AdminID, func(w *world) trustlist.Op { return opCreate(regSpec(w, "32")) }},
		{"registry.update", trustlist.AdminID, func(*world) trustlist.Op {
			return opUpdate(trustlist.RegistrySpec{ID: "32", Name: "江苏省电子印章管理平台"})
		}},
	}
	for _, s := range steps {
		env := w.envelope(s.reg, s.op(w))
		w.mustApply(env)
		d := w.st.Digest()
		if prev, ok := seen[d]; ok {
			t.Errorf("%s: digest equal to the one after %s", s.name, prev)
		}
		seen[d] = s.name
		if _, err := w.apply(env); err != nil || w.st.Digest() != d {
			t.Errorf("%s: a replay changed the digest (%v)", s.name, err)
		}
	}
	before := w.st.Digest()
	w.mustReject(t, w.envelope("37", opStatus("37010000000002", "restore", t0.AddDate(-5, 0, 0), "")), trustlist.CodeEffectiveOrder)
	if w.st.Digest() != before {
		t.Error("a rejection changed the digest")
	}
	if w.st.WithIndex(w.st.Index()+1).Digest() == before {
		t.Error("the digest does not cover the index")
	}
}
