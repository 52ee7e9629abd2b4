package hub

import (
	"fmt"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/trustlist"
)

// syncChunkOps bounds the ops of one sync push: filings from metadata are a few hundred bytes each,
// and a push must stay under trustlist.MaxPushBytes.
const syncChunkOps = 1000

// syncChunk is the ops of one sync push and the feed position it moves the registry's head to.
type syncChunk struct {
	ops    []trustlist.Op
	source uint64
}

// syncSkip is a change of the feed the hub cannot write, and why.
type syncSkip struct {
	Seq    uint64 `json:"seq"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// planSync turns one answer of a registry's feed, read from position after, into the ops of sync
// pushes, against the state st. A change that already holds in the trust list is no op; a seal the
// trust list has no record of is filed from the feed's description (备案) first; a change the hub
// cannot write is skipped and reported. Chunks never split one change's ops.
func planSync(st *trustlist.State, reg string, after uint64, ch adapters.Changes, now time.Time) ([]syncChunk, []syncSkip) {
	type current struct {
		status trustlist.Status
		eff    time.Time
	}
	cur := map[string]current{}
	var chunks []syncChunk
	var skips []syncSkip
	var ops []trustlist.Op
	last := after
	flush := func(source uint64) {
		chunks = append(chunks, syncChunk{ops: ops, source: source})
		ops = nil
	}
	for _, c := range ch.Changes {
		skip := func(format string, args ...any) {
			skips = append(skips, syncSkip{Seq: c.Seq, Code: c.Code, Reason: fmt.Sprintf(format, args...)})
		}
		if !regionStatus(c.Status) {
			skip("status %q is not one sealhub records", c.Status)
			continue
		}
		s, known := cur[c.Code]
		var add []trustlist.Op
		if !known {
			rec, filed := st.Seal(c.Code)
			switch {
			case filed && rec.Registry != reg:
				skip("seal %s is filed by registry %s", c.Code, rec.Registry)
				continue
			case filed:
				l := rec.Latest()
				s = current{l.Status, l.EffectiveAt}
			case c.Seal == nil:
				skip("the trust list has no record of seal %s and the feed does not describe it, so it cannot be filed", c.Code)
				continue
			default:
				i := c.Seal
				add = append(add, trustlist.Op{Op: trustlist.OpSealFile, Meta: &trustlist.SealMeta{
					Code: c.Code, Name: i.Name, Type: i.Type, OwnerName: i.OwnerName, OwnerUSCC: i.OwnerUSCC,
					ValidStart: i.ValidStart.UTC(), ValidEnd: i.ValidEnd.UTC(), SealSM3: i.SealSM3,
				}})
				s = current{trustlist.StatusValid, i.ValidStart.UTC()}
			}
		}
		if c.Status != s.status {
			eff := c.EffectiveAt.UTC()
			reason := c.Reason
			if reason == "" {
				reason = fmt.Sprintf("region feed seq %d", c.Seq)
			}
			switch {
			case eff.IsZero():
				eff = now.UTC()
				reason += "; the region gives no effective time, taken as when it was read"
			case eff.After(now.Add(trustlist.MaxClockSkew)):
				eff = now.UTC()
				reason += fmt.Sprintf("; the region dates it %s, in the future, taken as when it was read", c.EffectiveAt.UTC().Format(time.RFC3339))
			}
			if eff.Before(s.eff) {
				reason += fmt.Sprintf("; the region dates it %s, before the trust list's latest event for the seal", eff.Format(time.RFC3339))
				eff = s.eff
			}
			add = append(add, trustlist.Op{Op: trustlist.OpSealStatus, Code: c.Code, Action: actionFor(c.Status), EffectiveAt: &eff, Reason: reason})
			s = current{c.Status, eff}
		}
		cur[c.Code] = s
		if len(ops)+len(add) > syncChunkOps && len(ops) > 0 {
			source := last
			if ch.Full {
				source = after // a full listing moves the position only when it is written whole
			}
			flush(source)
		}
		ops = append(ops, add...)
		if !ch.Full {
			last = c.Seq
		}
	}
	if len(ops) > 0 || ch.Through > after {
		flush(ch.Through)
	}
	return chunks, skips
}

func regionStatus(s trustlist.Status) bool {
	switch s {
	case trustlist.StatusValid, trustlist.StatusSuspended, trustlist.StatusRevoked, trustlist.StatusInvalidated:
		return true
	}
	return false
}

// actionFor is the seal.status action that makes a seal's status s.
func actionFor(s trustlist.Status) string {
	switch s {
	case trustlist.StatusSuspended:
		return "suspend"
	case trustlist.StatusRevoked:
		return "revoke"
	case trustlist.StatusInvalidated:
		return "invalidate"
	}
	return "restore"
}
