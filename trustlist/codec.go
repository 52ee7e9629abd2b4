package trustlist

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"io"
	"sort"
	"time"

	"github.com/emmansun/gmsm/sm3"
)

// The state's encoding, used by raft snapshots, backups and the state digest. It is versioned, compact
// (varints, no field names) and deterministic: equal states give equal bytes, so the SM3 of the
// encoding — the digest — compares nodes. Layout (version 2; version 1 lacks the registry head's
// source_seq, and is still read):
//
//	magic "sealhub-state\x00", uvarint version, uvarint index,
//	registries (by id), anchors (by fingerprint), seals (by code), pushes (by registry, seq),
//	each section a uvarint count then its records; then "end" and the SM3 of every byte before it.
//
// Times are UTC with nanoseconds; the zero time is one 0 byte.
const (
	codecMagic   = "sealhub-state\x00"
	codecVersion = 2
	codecEnd     = "end"
)

type encoder struct {
	w   *bufio.Writer
	h   hash.Hash
	buf [binary.MaxVarintLen64]byte
	err error
}

func (e *encoder) raw(b []byte) {
	if e.err != nil {
		return
	}
	e.h.Write(b)
	_, e.err = e.w.Write(b)
}

func (e *encoder) uvarint(v uint64) { e.raw(e.buf[:binary.PutUvarint(e.buf[:], v)]) }
func (e *encoder) varint(v int64)   { e.raw(e.buf[:binary.PutVarint(e.buf[:], v)]) }
func (e *encoder) bytes(b []byte)   { e.uvarint(uint64(len(b))); e.raw(b) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.raw([]byte(s)) }

func (e *encoder) strs(ss []string) {
	e.uvarint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

func (e *encoder) bool(b bool) {
	if b {
		e.raw([]byte{1})
	} else {
		e.raw([]byte{0})
	}
}

func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.raw([]byte{0})
		return
	}
	e.raw([]byte{1})
	e.varint(t.Unix())
	e.uvarint(uint64(t.Nanosecond()))
}

// Encode writes the state's encoding to w and returns its digest.
func (s *State) Encode(w io.Writer) ([32]byte, error) {
	e := &encoder{w: bufio.NewWriterSize(w, 64<<10), h: sm3.New()}
	e.raw([]byte(codecMagic))
	e.uvarint(codecVersion)
	e.uvarint(s.index)

	regs := s.Registries()
	e.uvarint(uint64(len(regs)))
	for _, r := range regs {
		encodeRegistry(e, r)
	}
	anchors := make([]*Anchor, 0, len(s.anchors))
	for _, a := range s.anchors {
		anchors = append(anchors, a)
	}
	sort.Slice(anchors, func(i, j int) bool { return anchors[i].Fingerprint < anchors[j].Fingerprint })
	e.uvarint(uint64(len(anchors)))
	for _, a := range anchors {
		encodeAnchor(e, a)
	}
	e.uvarint(uint64(s.seals.Len()))
	s.WalkSeals(func(v *Seal) bool {
		encodeSeal(e, v)
		return e.err == nil
	})
	e.uvarint(uint64(s.pushes.Len()))
	s.pushes.Root().Walk(func(_ []byte, p *PushRecord) bool {
		e.str(p.Registry)
		e.uvarint(p.Seq)
		e.str(p.Hash)
		e.str(p.KeyID)
		e.uvarint(p.Index)
		e.time(p.RecordedAt)
		e.uvarint(uint64(p.Ops))
		return e.err != nil
	})
	var sum [32]byte
	e.raw([]byte(codecEnd))
	copy(sum[:], e.h.Sum(nil))
	if e.err == nil {
		_, e.err = e.w.Write(sum[:])
	}
	if e.err == nil {
		e.err = e.w.Flush()
	}
	return sum, e.err
}

// Digest is the SM3 of the state's encoding: two states are equal exactly when their digests are.
func (s *State) Digest() string {
	sum, _ := s.Encode(io.Discard)
	return hex.EncodeToString(sum[:])
}

func encodeRegistry(e *encoder, r *Registry) {
	e.str(r.ID)
	e.str(r.Name)
	e.str(string(r.Kind))
	e.strs(r.Jurisdiction)
	e.uvarint(uint64(len(r.Keys)))
	for _, k := range r.Keys {
		e.str(k.ID)
		e.bytes(k.Public)
		e.time(k.NotBefore)
		e.time(k.NotAfter)
		e.uvarint(k.AddedIndex)
	}
	e.uvarint(uint64(len(r.Makers)))
	for _, m := range r.Makers {
		e.str(m.Fingerprint)
		e.bytes(m.DER)
		e.str(m.Subject)
		e.time(m.NotBefore)
		e.time(m.NotAfter)
		e.uvarint(m.AddedIndex)
		e.uvarint(m.RemovedIndex)
		e.time(m.RemovedAt)
		e.str(m.Reason)
	}
	e.str(string(r.Mode))
	e.bytes(r.Adapter)
	e.uvarint(r.Head.Seq)
	e.str(r.Head.Hash)
	e.uvarint(r.Head.Index)
	e.time(r.Head.RecordedAt)
	e.time(r.Head.IssuedAt)
	e.uvarint(r.Head.SourceSeq)
	e.uvarint(r.CreatedIndex)
	e.uvarint(r.UpdatedIndex)
}

func encodeAnchor(e *encoder, a *Anchor) {
	e.str(a.Fingerprint)
	e.bytes(a.DER)
	e.str(a.Subject)
	e.bool(a.Root)
	e.str(a.Owner)
	e.time(a.NotBefore)
	e.time(a.NotAfter)
	e.uvarint(a.AddedIndex)
	e.uvarint(uint64(len(a.Events)))
	for _, ev := range a.Events {
		e.bool(ev.Trusted)
		e.time(ev.EffectiveAt)
		e.time(ev.RecordedAt)
		e.uvarint(ev.Index)
		e.str(ev.Reason)
		e.str(ev.Push.Registry)
		e.uvarint(ev.Push.Seq)
	}
}

func encodeSeal(e *encoder, v *Seal) {
	e.str(v.Code)
	e.str(v.Registry)
	e.str(v.Name)
	e.varint(int64(v.Type))
	e.str(v.OwnerName)
	e.str(v.OwnerUSCC)
	e.str(v.MakerCert)
	e.strs(v.SignerCerts)
	e.time(v.ValidStart)
	e.time(v.ValidEnd)
	e.str(v.SealSM3)
	e.str(v.PictureSM3)
	e.bool(v.FromDER)
	e.uvarint(v.FiledIndex)
	e.uvarint(uint64(len(v.Events)))
	for _, ev := range v.Events {
		e.str(string(ev.Status))
		e.time(ev.EffectiveAt)
		e.time(ev.RecordedAt)
		e.uvarint(ev.Index)
		e.str(ev.Reason)
		e.str(ev.Push.Registry)
		e.uvarint(ev.Push.Seq)
	}
}
