package smcrypto

import (
	"sync"

	"github.com/emmansun/gmsm/sm3"
)

// linkCacheMax bounds the cache of verified certificate signatures; when full it starts again.
const linkCacheMax = 1 << 16

// links remembers which certificate signatures have verified: (SM3 of the certificate, SM3 of the
// issuer) → ok. A certificate signature either verifies or not, whatever the time, so the result can
// be kept; verification services build the same few chains over and over (a province has a handful
// of CAs and seal-maker certificates), and this turns their SM2 checks into a lookup. Only successes
// are kept.
var links = struct {
	sync.RWMutex
	ok map[[2][32]byte]struct{}
}{ok: map[[2][32]byte]struct{}{}}

// checkSignatureFromCached is CheckSignatureFrom with the result of successes remembered.
func (c *Certificate) checkSignatureFromCached(parent *Certificate) error {
	k := [2][32]byte{sm3.Sum(c.Raw), sm3.Sum(parent.Raw)}
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
		links.ok = map[[2][32]byte]struct{}{}
	}
	links.ok[k] = struct{}{}
	links.Unlock()
	return nil
}
