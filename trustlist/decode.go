package trustlist

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/emmansun/gmsm/sm3"
	iradix "github.com/hashicorp/go-immutable-radix/v2"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// ErrEncoding reports a state encoding (snapshot, backup) that cannot be read: truncated, corrupted
// (its SM3 does not match), or of an unknown version.
var ErrEncoding = errors.New("trustlist: bad state encoding")

const (
	maxField = 1 << 20 // one string or DER value
	maxCount = 1 << 32 // records in a section
	maxSmall = 1 << 16 // keys, makers, events of one record
)

type decoder struct {
	version uint64
	r       *bufio.Reader
	h       hash.Hash
	err     error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrEncoding, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) ReadByte() (byte, error) {
	b, err := d.r.ReadByte()
	if err == nil {
		d.h.Write([]byte{b})
	}
	return b, err
}

func (d *decoder) full(n int) []byte {
	if d.err != nil {
		return nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(d.r, b); err != nil {
		d.fail("truncated")
		return nil
	}
	d.h.Write(b)
	return b
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(d)
	if err != nil {
		d.fail("truncated or overlong varint")
	}
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, err := binary.ReadVarint(d)
	if err != nil {
		d.fail("truncated or overlong varint")
	}
	return v
}

func (d *decoder) count(limit uint64) int {
	n := d.uvarint()
	if n > limit {
		d.fail("count %d over %d", n, limit)
		return 0
	}
	return int(n)
}

func (d *decoder) bytes() []byte {
	n := d.count(maxField)
	if d.err != nil || n == 0 {
		return nil
	}
	return d.full(n)
}

func (d *decoder) str() string { return string(d.bytes()) }

func (d *decoder) strs() []string {
	n := d.count(maxSmall)
	var out []string
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.str())
	}
	return out
}

func (d *decoder) bool() bool {
	b := d.full(1)
	if d.err != nil {
		return false
	}
	if b[0] > 1 {
		d.fail("bad boolean")
	}
	return b[0] == 1
}

func (d *decoder) time() time.Time {
	if !d.bool() {
		return time.Time{}
	}
	sec, nsec := d.varint(), d.uvarint()
	if nsec >= 1e9 {
		d.fail("bad time")
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

// Decode reads a state written by Encode, checking its SM3 trailer.
func Decode(r io.Reader) (*State, error) {
	d := &decoder{r: bufio.NewReaderSize(r, 64<<10), h: sm3.New()}
	if m := d.full(len(codecMagic)); d.err != nil || !bytes.Equal(m, []byte(codecMagic)) {
		return nil, fmt.Errorf("%w: not a sealhub state", ErrEncoding)
	}
	if d.version = d.uvarint(); d.err == nil && (d.version < 1 || d.version > codecVersion) {
		return nil, fmt.Errorf("%w: version %d; this build reads 1 to %d", ErrEncoding, d.version, codecVersion)
	}
	s := New()
	s.index = d.uvarint()
	for i, n := 0, d.count(maxSmall); i < n && d.err == nil; i++ {
		reg := decodeRegistry(d)
		if d.err == nil {
			s.registries[reg.ID] = reg
			for _, m := range reg.Makers {
				s.makers[m.Fingerprint] = reg.ID
			}
		}
	}
	for i, n := 0, d.count(maxSmall); i < n && d.err == nil; i++ {
		a := decodeAnchor(d)
		if d.err == nil {
			s.anchors[a.Fingerprint] = a
		}
	}
	seals := s.seals.Txn()
	for i, n := 0, d.count(maxCount); i < n && d.err == nil; i++ {
		v := decodeSeal(d)
		if d.err == nil {
			seals.Insert([]byte(v.Code), v)
		}
	}
	s.seals = seals.Commit()
	pushes := iradix.New[*PushRecord]().Txn()
	for i, n := 0, d.count(maxCount); i < n && d.err == nil; i++ {
		p := &PushRecord{Registry: d.str(), Seq: d.uvarint(), Hash: d.str(), KeyID: d.str(), Index: d.uvarint(), RecordedAt: d.time(), Ops: int(d.count(MaxOps))}
		pushes.Insert(pushKey(p.Registry, p.Seq), p)
	}
	s.pushes = pushes.Commit()
	if end := d.full(len(codecEnd)); d.err == nil && !bytes.Equal(end, []byte(codecEnd)) {
		d.fail("missing end marker")
	}
	if d.err != nil {
		return nil, d.err
	}
	want := d.h.Sum(nil)
	got := make([]byte, 32)
	if _, err := io.ReadFull(d.r, got); err != nil || !bytes.Equal(got, want) {
		return nil, fmt.Errorf("%w: SM3 trailer does not match (corrupted or truncated)", ErrEncoding)
	}
	if _, err := d.r.ReadByte(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data", ErrEncoding)
	}
	return s, nil
}

func decodeRegistry(d *decoder) *Registry {
	r := &Registry{ID: d.str(), Name: d.str(), Kind: RegistryKind(d.str()), Jurisdiction: d.strs(), Keys: []Key{}, Makers: []Maker{}}
	for i, n := 0, d.count(maxSmall); i < n && d.err == nil; i++ {
		r.Keys = append(r.Keys, Key{ID: d.str(), Public: d.bytes(), NotBefore: d.time(), NotAfter: d.time(), AddedIndex: d.uvarint()})
	}
	for i, n := 0, d.count(maxSmall); i < n && d.err == nil; i++ {
		r.Makers = append(r.Makers, Maker{Fingerprint: d.str(), DER: d.bytes(), Subject: d.str(), NotBefore: d.time(),
			NotAfter: d.time(), AddedIndex: d.uvarint(), RemovedIndex: d.uvarint(), RemovedAt: d.time(), Reason: d.str()})
	}
	r.Mode = Mode(d.str())
	if a := d.bytes(); len(a) > 0 {
		r.Adapter = a
	}
	r.Head = Head{Seq: d.uvarint(), Hash: d.str(), Index: d.uvarint(), RecordedAt: d.time(), IssuedAt: d.time()}
	if d.version >= 2 {
		r.Head.SourceSeq = d.uvarint()
	}
	r.CreatedIndex, r.UpdatedIndex = d.uvarint(), d.uvarint()
	return r
}

func decodeAnchor(d *decoder) *Anchor {
	a := &Anchor{Fingerprint: d.str(), DER: d.bytes(), Subject: d.str(), Root: d.bool(), Owner: d.str(),
		NotBefore: d.time(), NotAfter: d.time(), AddedIndex: d.uvarint()}
	for i, n := 0, d.count(maxCount); i < n && d.err == nil; i++ {
		a.Events = append(a.Events, AnchorEvent{Trusted: d.bool(), EffectiveAt: d.time(), RecordedAt: d.time(),
			Index: d.uvarint(), Reason: d.str(), Push: PushRef{Registry: d.str(), Seq: d.uvarint()}})
	}
	if d.err != nil {
		return nil
	}
	c, err := smcrypto.ParseCertificate(a.DER)
	if err != nil || c.Fingerprint() != a.Fingerprint || len(a.Events) == 0 {
		d.fail("anchor %s: certificate does not match", short(a.Fingerprint))
		return nil
	}
	a.cert = c
	return a
}

func decodeSeal(d *decoder) *Seal {
	v := &Seal{Code: d.str(), Registry: d.str(), Name: d.str(), Type: int(d.varint()), OwnerName: d.str(),
		OwnerUSCC: d.str(), MakerCert: d.str(), SignerCerts: d.strs(), ValidStart: d.time(), ValidEnd: d.time(),
		SealSM3: d.str(), PictureSM3: d.str(), FromDER: d.bool(), FiledIndex: d.uvarint()}
	n := d.count(maxCount) // a seal's history has no bound but the log's
	if d.err == nil && n == 0 {
		d.fail("seal %s has no events", v.Code)
	}
	for i := 0; i < n && d.err == nil; i++ {
		v.Events = append(v.Events, Event{Status: Status(d.str()), EffectiveAt: d.time(), RecordedAt: d.time(),
			Index: d.uvarint(), Reason: d.str(), Push: PushRef{Registry: d.str(), Seq: d.uvarint()}})
	}
	return v
}
