package smcrypto

import (
	"sync"
)

// linkCacheMax bounds the cache of verified certificate signatures; when full it starts again.
const linkCacheMax = 1 << 16

// links remembers which certificate signatures have verified: (certificate, issuer) → ok. A
// certificate signature either verifies or not, whatever the time, so the result can be kept;
// verification services build the same few chains over and over (a province has a handful of CAs
// and seal-maker certificates, and ParseCertificate hands out the same *Certificate for the same
// DER), and this turns their SM2 checks into a lookup. Certificates are immutable and the map holds
// both pointers, so an address is never reused for another certificate while its entry exists.
// Only successes are kept.
var links = struct {
	sync.RWMutex
	ok map[[2]*Certificate]struct{}
}{ok: map[[2]*Certificate]struct{}{}}

// checkSignatureFromCached is CheckSignatureFrom with the result of successes remembered.
func (c *Certificate) checkSignatureFromCached(parent *Certificate) error {
	k := [2]*Certificate{c, parent}
	links.RLock()
	_, ok := links.ok[k]
	links.RUnlock()
	if ok {
		return nil
	}
	if err := c.CheckSignatureFrom(parent); err != nil {
		return err
	}
	links.Lock()
	if len(links.ok) >= linkCacheMax {
		links.ok = map[[2]*Certificate]struct{}{}
	}
	links.ok[k] = struct{}{}
	links.Unlock()
	return nil
}
