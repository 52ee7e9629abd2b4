package trustlist_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/sealhub/sealhub/test/sm2ca"
	"github.com/sealhub/sealhub/trustlist"
)

// seedPushes are valid push bodies with every op kind, and a few broken ones.
func seedPushes(tb testing.TB) [][]byte {
	w := newWorld(tb)
	m := meta("37010000000002")
	m.OwnerUSCC, m.SignerCerts = orgUSCC, []string{fp(w.pki.Signer.DER)}
	ks := keySpec(tb, w.spare[0])
	ks.NotBefore, ks.NotAfter = ptr(t0), ptr(t0.AddDate(2, 0, 0))
	ops := [][]trustlist.Op{
		{opFileMeta(m)},
		{opFileDER(w.mustSeal(sm2ca.SealSpec{ESID: "37010000000003"}))},
		{opStatus(sealCode, "suspend", t0.Add(-time.Hour), "停用")},
		{opStatus(sealCode, "invalidate", time.Time{}, "")},
		{opAnchorAdd(w.pki.Intermediate.DER)},
		{opDistrust(fp(w.pki.Intermediate.DER), t0, "compromised")},
		{opMakerAdd(w.maker2.DER)},
		{opMakerRemove(fp(w.pki.Maker.DER), "replaced")},
		{opRotate(&ks, keyID(w.keys["37"]), t0.Add(time.Hour))},
		{opCreate(trustlist.RegistrySpec{ID: "32", Name: "江苏", Kind: trustlist.KindProvince, Jurisdiction: []string{"32"},
			Keys: []trustlist.KeySpec{ks}, Mode: trustlist.ModeLive, Adapter: json.RawMessage(`{"url":"https://js.example"}`)})},
		{opUpdate(trustlist.RegistrySpec{ID: "37", RetireKeys: []string{keyID(w.keys["37"])}})},
		{opFileMeta(meta("37010000000004")), opStatus("37010000000004", "revoke", time.Time{}, "")},
	}
	var out [][]byte
	for _, o := range ops {
		out = append(out, marshal(tb, w.push("37", o...)))
	}
	out = append(out,
		[]byte(`{"registry":"37","seq":1,"prev":"","issued_at":"2025-03-01T08:00:00+08:00","ops":[{"op":"seal.status","code":"x","action":"revoke"}]}`),
		[]byte(`{"registry":"37","seq":1,"issued_at":"2025-03-01T08:00:00Z","ops":[]}`),
		[]byte(`{"registry":"37","seq":1,"issued_at":"2025-03-01T08:00:00Z","ops":[{"op":"key.rotate"}]} {}`),
		[]byte(`{"registry":"37","SEQ":2,"seq":1,"issued_at":"2025-03-01T08:00:00Z","ops":[{"op":"key.rotate","retire_key":"0123456789abcdef"}]}`),
		[]byte(`null`), []byte(`{}`), []byte(``),
	)
	return out
}

// FuzzParsePush: no input panics; a rejection is a shape code; a parsed push marshals back into a
// body that parses again, to the same push.
func FuzzParsePush(f *testing.F) {
	for _, b := range seedPushes(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := trustlist.ParsePush(body)
		if err != nil {
			var r *trustlist.Rejection
			if !errors.As(err, &r) {
				t.Fatalf("not a rejection: %v", err)
			}
			switch r.Code {
			case trustlist.CodeMalformed, trustlist.CodeTooLarge, trustlist.CodeTooManyOps:
			default:
				t.Fatalf("ParsePush gave %s", r.Code)
			}
			return
		}
		if (len(p.Ops) == 0 && p.SourceSeq == 0) || p.Seq == 0 || !trustlist.ValidRegistryID(p.Registry) {
			t.Fatalf("accepted %+v", p)
		}
		re, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("a parsed push does not marshal: %v", err)
		}
		if len(re) > trustlist.MaxPushBytes {
			return // escaping can grow a body past the limit
		}
		p2, err := trustlist.ParsePush(re)
		if err != nil {
			t.Fatalf("the re-marshalled push does not parse: %v\n%s", err, re)
		}
		re2, err := json.Marshal(p2)
		if err != nil || !bytes.Equal(re, re2) {
			t.Fatalf("marshal∘parse is not a fixed point:\n%s\n%s", re, re2)
		}
	})
}

// FuzzDecode: no input panics; whatever decodes re-encodes to the same bytes. Inputs rarely get past
// the SM3 trailer, so each is also tried with its trailer recomputed: then decoding must still not
// panic, and a decoded state must encode to a stable, decodable form.
func FuzzDecode(f *testing.F) {
	empty, err := trustlist.New().Init([]trustlist.KeySpec{keySpec(f, mustKey(f))}, t0, 1)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(encode(f, richWorld(f).st))
	f.Add(encode(f, newWorld(f).st))
	f.Add(encode(f, empty))
	f.Add(encode(f, trustlist.New()))
	f.Fuzz(func(t *testing.T, data []byte) {
		if st, err := trustlist.Decode(bytes.NewReader(data)); err == nil {
			if again := encode(t, st); !bytes.Equal(again, data) {
				t.Fatalf("decoded, but re-encodes to other bytes (%d vs %d)", len(again), len(data))
			}
		} else if !errors.Is(err, trustlist.ErrEncoding) {
			t.Fatalf("error %v is not ErrEncoding", err)
		}
		if len(data) < 32 {
			return
		}
		st, err := trustlist.Decode(bytes.NewReader(withTrailer(data)))
		if err != nil {
			if !errors.Is(err, trustlist.ErrEncoding) {
				t.Fatalf("error %v is not ErrEncoding", err)
			}
			return
		}
		// Not necessarily canonical (see the report), but one encode makes it so.
		once := encode(t, st)
		st2, err := trustlist.Decode(bytes.NewReader(once))
		if err != nil {
			t.Fatalf("a decoded state encodes to bytes Decode refuses: %v", err)
		}
		if twice := encode(t, st2); !bytes.Equal(once, twice) {
			t.Fatal("encode∘decode is not stable")
		}
	})
}
