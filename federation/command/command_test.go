package command

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sealhub/sealhub/trustlist"
)

func TestPushRoundTrip(t *testing.T) {
	env := trustlist.Envelope{
		Body: []byte(`{"registry":"37"}`), KeyID: "0123456789abcdef", Signature: []byte{1, 2, 3},
		RecordedAt: time.Date(2026, 11, 22, 8, 0, 0, 123456789, time.UTC),
	}
	data := EncodePush(env)
	typ, ign, ver, payload, err := Split(data)
	if err != nil || typ != TypePush || ign || ver != pushVersion {
		t.Fatalf("Split: %v %v %v %v", typ, ign, ver, err)
	}
	got, err := DecodePush(ver, payload)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Body, env.Body) || got.KeyID != env.KeyID || !bytes.Equal(got.Signature, env.Signature) || !got.RecordedAt.Equal(env.RecordedAt) {
		t.Fatalf("round trip: %+v", got)
	}
}

// A sync entry carries the body and time, never a key or signature, and decodes as a sync envelope;
// large bodies are compressed as for pushes.
func TestSyncRoundTrip(t *testing.T) {
	for _, body := range [][]byte{[]byte(`{"registry":"37","source_seq":9}`), bytes.Repeat([]byte(`{"op":"seal.status"},`), 400)} {
		env := trustlist.Envelope{Body: body, KeyID: "0123456789abcdef", Signature: []byte{1},
			RecordedAt: time.Date(2026, 11, 22, 8, 0, 0, 5, time.UTC)}
		data := EncodeSync(env)
		typ, ign, ver, payload, err := Split(data)
		if err != nil || typ != TypeSync || ign || typ.String() != "sync" {
			t.Fatalf("Split: %v %v %v", typ, ign, err)
		}
		got, err := DecodeSync(ver, payload)
		if err != nil || !got.Sync || got.KeyID != "" || len(got.Signature) != 0 || !bytes.Equal(got.Body, body) || !got.RecordedAt.Equal(env.RecordedAt) {
			t.Fatalf("round trip: %+v, %v", got, err)
		}
		if push, _ := DecodePush(ver, payload); push.Sync {
			t.Fatal("DecodePush marked an envelope as sync")
		}
	}
	if _, err := DecodeSync(9, []byte{0}); err == nil {
		t.Fatal("bad version accepted")
	}
}

func TestInitRoundTrip(t *testing.T) {
	in := Init{Keys: []trustlist.KeySpec{{PublicKey: "abc"}}, RecordedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	data, err := EncodeInit(in)
	if err != nil {
		t.Fatal(err)
	}
	typ, _, ver, payload, _ := Split(data)
	got, err := DecodeInit(ver, payload)
	if typ != TypeInit || err != nil || got.Keys[0].PublicKey != "abc" || !got.RecordedAt.Equal(in.RecordedAt) {
		t.Fatalf("init: %v %+v %v", typ, got, err)
	}
}

func TestIgnorableFlag(t *testing.T) {
	typ, ign, _, _, err := Split([]byte{byte(IgnorableFlag | 42), 1})
	if err != nil || !ign || typ != 42 {
		t.Fatalf("got %v %v %v", typ, ign, err)
	}
	if TypePush.String() != "push" || (IgnorableFlag|TypeInit).String() != "init" {
		t.Fatal("names")
	}
}

func TestMalformed(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":        nil,
		"one byte":     {byte(TypePush)},
		"bad version":  {byte(TypePush), 9},
		"no time":      {byte(TypePush), pushVersion},
		"bad nanos":    {byte(TypePush), pushVersion, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"key overruns": {byte(TypePush), pushVersion, 0, 0, 5, 'a'},
		"sig overruns": {byte(TypePush), pushVersion, 0, 0, 0, 9},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, ver, payload, err := Split(data)
			if err == nil {
				_, err = DecodePush(ver, payload)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func FuzzDecodePush(f *testing.F) {
	f.Add(EncodePush(trustlist.Envelope{Body: []byte("{}"), KeyID: "k", Signature: []byte("s"), RecordedAt: time.Unix(1, 2)}))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, ver, payload, err := Split(data)
		if err != nil {
			return
		}
		env, err := DecodePush(ver, payload)
		if err != nil {
			return
		}
		again := EncodePush(env)
		env2, err := DecodePush(again[1], again[2:])
		if err != nil || !bytes.Equal(env2.Body, env.Body) || env2.KeyID != env.KeyID || !env2.RecordedAt.Equal(env.RecordedAt) {
			t.Fatalf("re-encode differs: %v", err)
		}
	})
}

// TestPushCompressed: bodies from 4 KiB are stored as an S2 block and decode to the exact bytes; a
// block claiming more than a push may hold is refused before anything is allocated.
func TestPushCompressed(t *testing.T) {
	body := []byte(`{"registry":"37","ops":[` + strings.Repeat(`{"op":"seal.status","code":"37010000000001","action":"suspend"},`, 200) + `{}]}`)
	env := trustlist.Envelope{Body: body, KeyID: "k", Signature: []byte{1, 2}, RecordedAt: time.Unix(1700000000, 5).UTC()}
	data := EncodePush(env)
	if len(data) >= len(body)/2 {
		t.Errorf("entry of %d bytes for a %d-byte repetitive body", len(data), len(body))
	}
	_, _, version, payload, err := Split(data)
	if err != nil || version != pushVersionS2 {
		t.Fatalf("version %d, %v", version, err)
	}
	got, err := DecodePush(version, payload)
	if err != nil || !bytes.Equal(got.Body, body) || got.KeyID != "k" || !got.RecordedAt.Equal(env.RecordedAt) {
		t.Fatalf("round trip: %v", err)
	}
	small := EncodePush(trustlist.Envelope{Body: []byte(`{}`), KeyID: "k", Signature: []byte{1}})
	if small[1] != pushVersion {
		t.Errorf("a small body is compressed (version %d)", small[1])
	}
	// A header claiming a huge decoded length.
	hdr := EncodePush(trustlist.Envelope{Body: []byte("x"), KeyID: "k", Signature: []byte{1, 2}, RecordedAt: env.RecordedAt})
	bomb := binary.AppendUvarint(append([]byte{}, hdr[2:len(hdr)-1]...), 1<<40)
	if _, err := DecodePush(pushVersionS2, bomb); !errors.Is(err, ErrMalformed) {
		t.Errorf("oversized block: %v", err)
	}
}
