package trustlist

import "sync"

// ParseCache remembers a few recently parsed push bodies by their SM3, so the node that checked a
// push does not decode it a second time when the log hands it back to the FSM. Parsing is a pure
// function of the bytes, so a hit gives exactly what parsing would: the cache changes speed, never
// results. It is safe for concurrent use.
type ParseCache struct {
	mu    sync.Mutex
	max   int
	m     map[string]*Push
	order []string
}

// NewParseCache keeps up to n parsed pushes (n ≥ 1).
func NewParseCache(n int) *ParseCache {
	return &ParseCache{max: max(n, 1), m: map[string]*Push{}}
}

func (c *ParseCache) parse(body []byte, hash string) (*Push, error) {
	if c == nil {
		return ParsePush(body)
	}
	c.mu.Lock()
	p, ok := c.m[hash]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := ParsePush(body)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[hash]; !ok {
		if len(c.order) >= c.max {
			delete(c.m, c.order[0])
			c.order = c.order[1:]
		}
		c.m[hash] = p
		c.order = append(c.order, hash)
	}
	return p, nil
}
