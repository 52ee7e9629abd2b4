package resolver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sealhub/sealhub/adapters"
	"github.com/sealhub/sealhub/trustlist"
	"github.com/sealhub/sealhub/trustlist/sealcode"
	"github.com/sealhub/sealhub/trustlist/smcrypto"
)

// onlineCheck is one online verification's view of the trust list: the pinned state, the anchors
// derived from it, and what the checks used (registry heads, data age).
type onlineCheck struct {
	r   *Resolver
	st  *trustlist.State
	tv  *trustView
	now time.Time

	mu        sync.Mutex // OFD signatures are checked one after another today; the lock keeps it safe
	heads     map[string]HeadRef
	regionAge time.Duration
	asked     bool // a region was asked
	syncAge   time.Duration
	synced    bool // a sync-mode registry's data was used
}

func (oc *onlineCheck) useRegistry(id string) {
	reg, ok := oc.st.Registry(id)
	if !ok {
		return
	}
	oc.mu.Lock()
	oc.heads[id] = HeadRef{Seq: reg.Head.Seq, Hash: reg.Head.Hash, Index: reg.Head.Index}
	oc.mu.Unlock()
}

// finishOnline fills the online envelope of the answer.
func (oc *onlineCheck) finishOnline(o *Online) {
	o.TrustlistIndex = oc.st.Index()
	oc.mu.Lock()
	defer oc.mu.Unlock()
	if len(oc.heads) > 0 {
		o.RegistryHeads = oc.heads
	}
	var lc time.Duration
	if oc.r.LastContact != nil {
		lc = max(oc.r.LastContact(), 0)
	}
	o.DataAge = &DataAge{Millis: lc.Milliseconds(), Source: SourceTrustList}
	if oc.asked && oc.regionAge > lc {
		o.DataAge = &DataAge{Millis: oc.regionAge.Milliseconds(), Source: SourceRegion}
	}
	if oc.synced && oc.syncAge.Milliseconds() > o.DataAge.Millis {
		o.DataAge = &DataAge{Millis: oc.syncAge.Milliseconds(), Source: SourceSync}
	}
}

// chainTrusted checks that every trust anchor on a chain built over all the trust list's anchors was
// trusted at the time of the check. ok is false with the check to report when one was not: a CA
// distrusted at or before t makes the chain invalid (Art. 30); a CA trusted only from a later time
// leaves it indeterminate.
func (oc *onlineCheck) chainTrusted(chain *smcrypto.Chain, at time.Time, rr roleReasons) (Check, bool) {
	for _, c := range chain.Certs[1:] {
		a, ok := oc.tv.byRaw[string(c.Raw)]
		if !ok || a.TrustedAt(at) {
			continue
		}
		ts := at.UTC().Format(time.RFC3339)
		if from, distrusted := a.DistrustedFrom(at); distrusted {
			ev := lastEventAt(a, at)
			return failed(ReasonCADistrusted, fmt.Sprintf("CA %q (SM3 %s) was distrusted from %s%s, before %s",
				a.Subject, short(a.Fingerprint), from.UTC().Format(time.RFC3339), reasonSuffix(ev.Reason), ts)), false
		}
		first := a.Events[0].EffectiveAt
		return undetermined(rr.unknown, fmt.Sprintf("CA %q (SM3 %s) is trusted only from %s, after %s",
			a.Subject, short(a.Fingerprint), first.UTC().Format(time.RFC3339), ts)), false
	}
	return Check{}, true
}

// usedChain records the owners of the anchors on a chain whose data the answer relies on.
func (oc *onlineCheck) usedChain(chain *smcrypto.Chain) {
	for _, c := range chain.Certs[1:] {
		if a, ok := oc.tv.byRaw[string(c.Raw)]; ok {
			oc.useRegistry(a.Owner)
		}
	}
}

func lastEventAt(a *trustlist.Anchor, t time.Time) trustlist.AnchorEvent {
	var ev trustlist.AnchorEvent
	for _, e := range a.Events {
		if e.EffectiveAt.After(t) {
			break
		}
		ev = e
	}
	return ev
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return " (" + r + ")"
}

func short(fp string) string {
	if len(fp) > 16 {
		return fp[:16] + "…"
	}
	return fp
}

// statusOf fills the status check of a report whose seal could be decoded; an undecodable input
// keeps its skipped status check.
func (oc *onlineCheck) statusOf(ctx context.Context, rep *Report) {
	if rep != nil && rep.Seal != nil {
		oc.status(ctx, rep)
	}
}

// status fills the status check of a decoded report: the seal's record in the trust list (or its
// region's answer, for a live-mode registry) at the time of the check and now. It never makes a
// report valid that the trust list cannot vouch for: a seal without a record, a registry that cannot
// be found, or a region that does not answer leave it indeterminate.
func (oc *onlineCheck) status(ctx context.Context, rep *Report) {
	defer rep.finish()
	code := rep.Seal.Code
	now := oc.now.UTC()
	var at time.Time
	if rep.CheckedAt != nil {
		at = rep.CheckedAt.UTC()
	}
	makerFP := ""
	if rep.Maker != nil {
		makerFP = rep.Maker.Fingerprint
	}
	rec, found := oc.st.Seal(code)
	var reg *trustlist.Registry
	switch {
	case found:
		reg, _ = oc.st.Registry(rec.Registry)
	default:
		reg = oc.registryFor(code, makerFP)
	}
	if reg != nil {
		oc.useRegistry(reg.ID)
	}
	if makerFP != "" {
		if _, ok := oc.st.MakerRegistry(makerFP); !ok {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("the maker certificate (SM3 %s) is not registered by any registry in the trust list", short(makerFP)))
		}
	}
	if reg != nil && reg.Mode == trustlist.ModeLive {
		oc.regionStatus(ctx, rep, reg, at, now)
		return
	}
	if reg != nil && reg.Mode == trustlist.ModeSync && !oc.syncFresh(rep, reg, rec, at, now) {
		return
	}
	if !found {
		msg := fmt.Sprintf("the trust list holds no record of seal %s", code)
		switch {
		case reg != nil:
			msg = fmt.Sprintf("registry %s (%s) has filed no seal %s in the trust list", reg.ID, reg.Name, code)
		case isNumericCode(code):
			msg += ", and no registry's jurisdiction covers its division"
		default:
			msg += ", and its maker certificate is not registered by any registry"
		}
		rep.Checks.Status = undetermined(ReasonSealUnknown, msg)
		unknownStatus(rep, SourceNone, "", at, now, msg)
		return
	}
	info := func(t time.Time) *StatusInfo {
		v := rec.StatusAt(t)
		return &StatusInfo{Status: v.Status, At: t, Source: SourceTrustList, Registry: rec.Registry, Event: v.Event}
	}
	rep.StatusNow = info(now)
	if mismatch := sealMismatch(rec, rep); mismatch != "" {
		rep.Checks.Status = failed(ReasonSealMismatch, mismatch)
		if !at.IsZero() {
			rep.StatusAtSigning = info(at)
		}
		return
	}
	if at.IsZero() {
		rep.Checks.Status = undetermined(ReasonSigningTimeUnkn, "no time to look the seal's status up at: the signing time is unknown and none was given")
		return
	}
	rep.StatusAtSigning = info(at)
	rep.Checks.Status = statusCheck(rep.StatusAtSigning, rec)
}

// syncFresh checks that a sync-mode registry's data is recent enough to vouch for: the leader
// writes a sync push or a checkpoint at least every max_age/4 while the region's feed answers, so
// a head older than max_age means the region has not been read since. Then the report is
// indeterminate with the age of what the trust list holds, never valid.
func (oc *onlineCheck) syncFresh(rep *Report, reg *trustlist.Registry, rec *trustlist.Seal, at, now time.Time) bool {
	_, maxAge := adapters.SyncTiming(reg.Adapter)
	age := now.Sub(reg.Head.RecordedAt)
	// Only a sync push (unsigned: no key id) says when the feed was read: a registry switched to sync
	// mode is not fresh because of its last signed push.
	if last, ok := oc.st.Push(reg.ID, reg.Head.Seq); !ok || last.KeyID != "" {
		reg = &trustlist.Registry{ID: reg.ID, Name: reg.Name, Adapter: reg.Adapter}
	}
	if !reg.Head.RecordedAt.IsZero() {
		oc.mu.Lock()
		oc.synced = true
		oc.syncAge = max(oc.syncAge, age)
		oc.mu.Unlock()
	}
	if !reg.Head.RecordedAt.IsZero() && age <= maxAge {
		return true
	}
	detail := fmt.Sprintf("registry %s (%s) is synced from its region's feed, which has not been read yet", reg.ID, reg.Name)
	if !reg.Head.RecordedAt.IsZero() {
		detail = fmt.Sprintf("registry %s (%s) is synced from its region's feed, last read %s (%s ago, more than its max_age %s): its statuses are not used for a verdict",
			reg.ID, reg.Name, reg.Head.RecordedAt.UTC().Format(time.RFC3339), age.Round(time.Second), maxAge)
	}
	rep.Checks.Status = undetermined(ReasonRegionUnavailable, detail)
	unknownStatus(rep, SourceTrustList, reg.ID, at, now, detail)
	if rec != nil && !reg.Head.RecordedAt.IsZero() {
		v := rec.StatusAt(now)
		rep.StatusNow = &StatusInfo{Status: v.Status, At: now, Source: SourceTrustList, Registry: reg.ID, Event: v.Event,
			Stale: true, CheckedAt: timePtr(reg.Head.RecordedAt), Detail: detail}
	}
	return false
}

// sealMismatch says how the presented seal differs from the record filed under its code, if it does.
func sealMismatch(rec *trustlist.Seal, rep *Report) string {
	if rec.SealSM3 != "" && rep.Seal.SM3 != "" && rec.SealSM3 != rep.Seal.SM3 {
		return fmt.Sprintf("the seal presented (SM3 %s) is not the one registry %s filed under code %s (SM3 %s)", short(rep.Seal.SM3), rec.Registry, rec.Code, short(rec.SealSM3))
	}
	if rec.MakerCert != "" && rep.Maker != nil && rec.MakerCert != rep.Maker.Fingerprint {
		return fmt.Sprintf("the seal presented was made with maker certificate %s, but registry %s filed code %s with %s", short(rep.Maker.Fingerprint), rec.Registry, rec.Code, short(rec.MakerCert))
	}
	return ""
}

// statusCheck turns the status at the time of the check into the check.
func statusCheck(s *StatusInfo, rec *trustlist.Seal) Check {
	ts := s.At.Format(time.RFC3339)
	by := fmt.Sprintf("registry %s", rec.Registry)
	if e := s.Event; e != nil {
		by = fmt.Sprintf("registry %s, effective %s, recorded at index %d", rec.Registry, e.EffectiveAt.UTC().Format(time.RFC3339), e.Index)
		if e.Reason != "" {
			by += ": " + e.Reason
		}
	} else if s.EffectiveAt != nil && s.CheckedAt != nil {
		by = fmt.Sprintf("registry %s, effective %s, as its own service answered at %s", rec.Registry,
			s.EffectiveAt.UTC().Format(time.RFC3339), s.CheckedAt.UTC().Format(time.RFC3339))
	}
	switch s.Status {
	case trustlist.StatusValid:
		return passed(fmt.Sprintf("the seal was in force (有效) at %s (%s)", ts, by))
	case trustlist.StatusSuspended:
		return failed(ReasonSealSuspended, fmt.Sprintf("the seal was suspended (停用) at %s (%s)", ts, by))
	case trustlist.StatusRevoked:
		return failed(ReasonSealRevoked, fmt.Sprintf("the seal was revoked (注销) at %s (%s)", ts, by))
	case trustlist.StatusInvalidated:
		return failed(ReasonSealInvalidated, fmt.Sprintf("the seal was declared invalid (无效) at %s (%s)", ts, by))
	case trustlist.StatusExpired:
		return failed(ReasonSealExpired, fmt.Sprintf("the filed record's validity ended at %s, before %s", rec.ValidEnd.UTC().Format(time.RFC3339), ts))
	}
	return failed(ReasonSealNotYetValid, fmt.Sprintf("the filed record is in force only from %s, after %s", rec.ValidStart.UTC().Format(time.RFC3339), ts))
}

// registryFor finds the registry answerable for a seal the trust list has no record of: by the
// division of a 14-digit code (the most specific jurisdiction wins; "*" last), else by the registry
// that registered the maker certificate.
func (oc *onlineCheck) registryFor(code, makerFP string) *trustlist.Registry {
	if c, err := sealcode.Parse(code); err == nil && c.IsNumeric() {
		var best *trustlist.Registry
		bestLen := -1
		for _, reg := range oc.st.Registries() {
			if reg.Kind == trustlist.KindAdmin {
				continue
			}
			for _, p := range reg.Jurisdiction {
				l := len(p)
				if p == "*" {
					l = 0
				} else if !sealcode.JurisdictionContains([]string{p}, c) {
					continue
				}
				if l > bestLen {
					best, bestLen = reg, l
				}
			}
		}
		if best != nil {
			return best
		}
	}
	if makerFP != "" {
		if id, ok := oc.st.MakerRegistry(makerFP); ok {
			reg, _ := oc.st.Registry(id)
			return reg
		}
	}
	return nil
}

// regionStatus asks a live-mode registry's own service. Anything but a usable, fresh answer leaves
// the report indeterminate: the hub does not hold this registry's statuses itself.
func (oc *onlineCheck) regionStatus(ctx context.Context, rep *Report, reg *trustlist.Registry, at, now time.Time) {
	code := rep.Seal.Code
	unavailable := func(detail string) {
		rep.Checks.Status = undetermined(ReasonRegionUnavailable, detail)
		unknownStatus(rep, SourceRegion, reg.ID, at, now, detail)
	}
	if oc.r.Regions == nil {
		unavailable(fmt.Sprintf("registry %s (%s) answers seal status through its own service (live mode), and this node has no adapter for it", reg.ID, reg.Name))
		return
	}
	src, err := oc.r.Regions.Source(reg)
	if err != nil {
		unavailable(fmt.Sprintf("registry %s (%s), live mode: %v", reg.ID, reg.Name, err))
		return
	}
	ans, err := askRegion(ctx, src, code)
	oc.mu.Lock()
	oc.asked = true
	if err == nil {
		oc.regionAge = max(oc.regionAge, now.Sub(ans.CheckedAt))
	}
	oc.mu.Unlock()
	switch {
	case errors.Is(err, adapters.ErrNotFound):
		msg := fmt.Sprintf("registry %s (%s) answers that it knows no seal %s", reg.ID, reg.Name, code)
		rep.Checks.Status = undetermined(ReasonSealUnknown, msg)
		unknownStatus(rep, SourceRegion, reg.ID, at, now, msg)
		return
	case err != nil:
		unavailable(fmt.Sprintf("registry %s (%s) did not answer: %v", reg.ID, reg.Name, err))
		return
	case ans.Stale:
		age := now.Sub(ans.CheckedAt).Round(time.Second)
		unavailable(fmt.Sprintf("registry %s (%s) did not answer; its last known answer (%s, from %s, %s old) is not used for a verdict",
			reg.ID, reg.Name, ans.Status, ans.CheckedAt.UTC().Format(time.RFC3339), age))
		rep.StatusNow.Stale, rep.StatusNow.CheckedAt = true, timePtr(ans.CheckedAt)
		rep.StatusNow.Status = ans.Status
		return
	}
	region := func(t time.Time) *StatusInfo {
		s := &StatusInfo{Status: ans.Status, At: t, Source: SourceRegion, Registry: reg.ID, CheckedAt: timePtr(ans.CheckedAt), Evidence: ans.Evidence}
		if !ans.EffectiveAt.IsZero() {
			s.EffectiveAt = timePtr(ans.EffectiveAt)
		}
		return s
	}
	rep.StatusNow = region(now)
	if at.IsZero() {
		rep.Checks.Status = undetermined(ReasonSigningTimeUnkn, "no time to look the seal's status up at: the signing time is unknown and none was given")
		return
	}
	if !ans.EffectiveAt.IsZero() && ans.EffectiveAt.After(at) {
		// The region reports only its current status, which took effect after the time of the check:
		// what held before is unknown (a seal restored later may have been suspended then).
		msg := fmt.Sprintf("registry %s reports status %s effective %s, after %s, and gives no earlier history", reg.ID, ans.Status, ans.EffectiveAt.UTC().Format(time.RFC3339), at.Format(time.RFC3339))
		rep.Checks.Status = undetermined(ReasonStatusHistoryUnavailable, msg)
		rep.StatusAtSigning = &StatusInfo{Status: StatusUnknown, At: at, Source: SourceRegion, Registry: reg.ID, Detail: msg}
		return
	}
	rep.StatusAtSigning = region(at)
	if ans.EffectiveAt.IsZero() {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("registry %s does not say since when seal %s has been %s; taken as in force at %s", reg.ID, code, ans.Status, at.Format(time.RFC3339)))
	}
	rep.Checks.Status = statusCheck(rep.StatusAtSigning, &trustlist.Seal{Code: code, Registry: reg.ID})
}

// askRegion asks a source, but never past the request's deadline: a source that ignores its
// context is left to finish on its own, and the answer is REGION_UNAVAILABLE in time.
func askRegion(ctx context.Context, src adapters.Source, code string) (adapters.Report, error) {
	type answer struct {
		r   adapters.Report
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		r, err := src.Status(ctx, code)
		ch <- answer{r, err}
	}()
	select {
	case a := <-ch:
		return a.r, a.err
	case <-ctx.Done():
		return adapters.Report{}, fmt.Errorf("%w: no answer within the request's deadline: %v", adapters.ErrUnavailable, ctx.Err())
	}
}

func isNumericCode(code string) bool {
	c, err := sealcode.Parse(code)
	return err == nil && c.IsNumeric()
}

// unknownStatus reports that nobody could say the seal's status, at the time of the check or now.
func unknownStatus(rep *Report, source, registry string, at, now time.Time, why string) {
	rep.StatusAtSigning = &StatusInfo{Status: StatusUnknown, At: at, Source: source, Registry: registry, Detail: why}
	rep.StatusNow = &StatusInfo{Status: StatusUnknown, At: now, Source: source, Registry: registry, Detail: why}
}

func timePtr(t time.Time) *time.Time { t = t.UTC(); return &t }
