// Package command is the wire format of sealhub's raft log. Every entry is one type byte followed by
// a versioned payload:
//
//	byte 0     command type; the high bit (IgnorableFlag) says an older node that does not know the
//	           type may skip the entry instead of stopping
//	byte 1     payload version of that type
//	byte 2…    the payload
//
// Types are an append-only enum: a number is never reused or renumbered, and a type that changes its
// payload gets a new version, which Apply code must keep reading for as long as logs or snapshots
// may hold it. Decoding failures are errors here; the FSM treats them as fatal (a corrupt log).
package command

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/sealhub/sealhub/trustlist"
)

// Type is a command type.
type Type uint8

// IgnorableFlag marks a type that nodes which do not know it may skip.
const IgnorableFlag Type = 0x80

// Command types. Append only.
const (
	TypeInit Type = 1 // set the administrator's keys on a fresh cluster
	TypePush Type = 2 // a signed registry or administrator push
	// TypeMark changes nothing but the state's index: written after a snapshot restore so every
	// node's state carries the cluster's index again. Always written with IgnorableFlag.
	TypeMark Type = 3
	// TypeSync is a push the leader writes on a sync-mode registry's behalf from its region's feed:
	// unsigned, same payload as TypePush (trustlist.Envelope.Sync).
	TypeSync Type = 4
)

func (t Type) String() string {
	switch t &^ IgnorableFlag {
	case TypeInit:
		return "init"
	case TypePush:
		return "push"
	case TypeMark:
		return "mark"
	case TypeSync:
		return "sync"
	}
	return fmt.Sprintf("type%d", uint8(t))
}

// Payload versions this build writes.
const (
	initVersion   = 1
	pushVersion   = 1
	pushVersionS2 = 2 // body compressed
	markVersion   = 1
)

// EncodeMark makes a mark entry; why is recorded in the log for operators (at most 256 bytes).
func EncodeMark(why string) []byte {
	if len(why) > 256 {
		why = why[:256]
	}
	return append([]byte{byte(TypeMark | IgnorableFlag), markVersion}, why...)
}

// ErrMalformed reports an entry that cannot be decoded.
var ErrMalformed = errors.New("command: malformed entry")

// Split returns an entry's type (without the flag), whether it is ignorable, the payload version and
// the payload.
func Split(data []byte) (t Type, ignorable bool, version uint8, payload []byte, err error) {
	if len(data) < 2 {
		return 0, false, 0, nil, fmt.Errorf("%w: %d bytes", ErrMalformed, len(data))
	}
	t = Type(data[0])
	return t &^ IgnorableFlag, t&IgnorableFlag != 0, data[1], data[2:], nil
}

// Init is the first entry of a cluster: the administrator's keys.
type Init struct {
	Keys       []trustlist.KeySpec `json:"keys"`
	RecordedAt time.Time           `json:"recorded_at"`
}

// EncodeInit writes an Init entry.
func EncodeInit(in Init) ([]byte, error) {
	p, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	return append([]byte{byte(TypeInit), initVersion}, p...), nil
}

// DecodeInit reads the payload of an Init entry.
func DecodeInit(version uint8, payload []byte) (Init, error) {
	var in Init
	if version != initVersion {
		return in, fmt.Errorf("%w: init version %d", ErrMalformed, version)
	}
	if err := json.Unmarshal(payload, &in); err != nil {
		return in, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return in, nil
}

// compressAbove is the body size from which a push is stored compressed (version 2).
const compressAbove = 4 << 10

// EncodePush writes a Push entry: recorded_at (varint seconds, uvarint nanoseconds), key id and
// signature (each uvarint length + bytes), then the exact body received, to the end. Version 1
// stores the body as is; version 2 (bodies of 4 KiB or more) stores it as one S2 block
// (github.com/klauspost/compress/s2): push bodies are repetitive JSON that shrinks several times,
// which cuts what every node writes to its log and what the leader sends to each follower.
func EncodePush(env trustlist.Envelope) []byte {
	version := byte(pushVersion)
	if len(env.Body) >= compressAbove {
		version = pushVersionS2
	}
	b := make([]byte, 0, 2+20+len(env.KeyID)+len(env.Signature)+s2.MaxEncodedLen(len(env.Body))+6)
	b = append(b, byte(TypePush), version)
	t := env.RecordedAt
	b = binary.AppendVarint(b, t.Unix())
	b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
	b = binary.AppendUvarint(b, uint64(len(env.KeyID)))
	b = append(b, env.KeyID...)
	b = binary.AppendUvarint(b, uint64(len(env.Signature)))
	b = append(b, env.Signature...)
	if version == pushVersionS2 {
		return append(b, s2.EncodeBetter(b[len(b):cap(b)], env.Body)...)
	}
	return append(b, env.Body...)
}

// EncodeSync writes a Sync entry: a Push entry of type TypeSync (no key id, no signature).
func EncodeSync(env trustlist.Envelope) []byte {
	env.KeyID, env.Signature = "", nil
	b := EncodePush(env)
	b[0] = byte(TypeSync)
	return b
}

// DecodeSync reads the payload of a Sync entry.
func DecodeSync(version uint8, payload []byte) (trustlist.Envelope, error) {
	env, err := DecodePush(version, payload)
	env.Sync = err == nil
	return env, err
}

// DecodePush reads the payload of a Push entry. The envelope shares memory with payload.
func DecodePush(version uint8, payload []byte) (trustlist.Envelope, error) {
	var env trustlist.Envelope
	if version != pushVersion && version != pushVersionS2 {
		return env, fmt.Errorf("%w: push version %d", ErrMalformed, version)
	}
	sec, n := binary.Varint(payload)
	if n <= 0 {
		return env, fmt.Errorf("%w: recorded_at", ErrMalformed)
	}
	payload = payload[n:]
	nsec, n := binary.Uvarint(payload)
	if n <= 0 || nsec >= 1e9 {
		return env, fmt.Errorf("%w: recorded_at", ErrMalformed)
	}
	payload = payload[n:]
	env.RecordedAt = time.Unix(sec, int64(nsec)).UTC()
	var keyID, sig []byte
	var ok bool
	if keyID, payload, ok = lengthPrefixed(payload); !ok {
		return env, fmt.Errorf("%w: key id", ErrMalformed)
	}
	if sig, payload, ok = lengthPrefixed(payload); !ok {
		return env, fmt.Errorf("%w: signature", ErrMalformed)
	}
	env.KeyID, env.Signature, env.Body = string(keyID), sig, payload
	if version == pushVersionS2 {
		n, err := s2.DecodedLen(payload)
		if err != nil || n > trustlist.MaxPushBytes {
			return env, fmt.Errorf("%w: compressed body (%d bytes decoded)", ErrMalformed, n)
		}
		if env.Body, err = s2.Decode(make([]byte, n), payload); err != nil {
			return env, fmt.Errorf("%w: compressed body: %v", ErrMalformed, err)
		}
	}
	return env, nil
}

func lengthPrefixed(b []byte) (v, rest []byte, ok bool) {
	l, n := binary.Uvarint(b)
	if n <= 0 || l > uint64(len(b)-n) {
		return nil, nil, false
	}
	return b[n : n+int(l)], b[n+int(l):], true
}
