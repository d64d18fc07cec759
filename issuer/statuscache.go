package issuer

import (
	"sync"
	"time"
)

// Status List Token caching. Signing a list (rebuild, compress, sign) on
// every GET /status/{list} costs CPU any client can ask for. A signed
// token is kept in memory keyed by the list's revision, which the store
// bumps on every issuance and status change; each request reads the
// revision from the store, so an instance never serves a list older than
// the store's, even when another instance made the change. A token is
// also re-signed once it is StatusListResignAfter old, so its exp stays
// far away.
const (
	// StatusListTokenTTL is the token's ttl claim (draft-ietf-oauth-
	// status-list §5.1) and the longest Cache-Control max-age served.
	StatusListTokenTTL = 5 * time.Minute
	// StatusListTokenLifetime is exp - iat of a token.
	StatusListTokenLifetime = 24 * time.Hour
	// StatusListResignAfter is the age at which a cached token is signed
	// anew even though the list did not change.
	StatusListResignAfter = time.Hour
	maxCachedStatusLists  = 256
)

type cachedStatusList struct {
	revision uint64
	token    string
	iat, exp time.Time
}

// statusCache holds at most maxCachedStatusLists signed tokens.
type statusCache struct {
	mu     sync.Mutex
	byList map[string]cachedStatusList
}

func newStatusCache() *statusCache { return &statusCache{byList: map[string]cachedStatusList{}} }

// get returns the token of list at revision, if one younger than
// StatusListResignAfter is cached.
func (c *statusCache) get(list string, revision uint64, now time.Time) (cachedStatusList, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byList[list]
	if !ok || e.revision != revision || now.Sub(e.iat) >= StatusListResignAfter || now.Before(e.iat) {
		return cachedStatusList{}, false
	}
	return e, true
}

// put keeps e unless a newer revision is already cached (two requests
// racing across a change).
func (c *statusCache) put(list string, e cachedStatusList) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.byList[list]; ok && old.revision > e.revision {
		return
	}
	if _, ok := c.byList[list]; !ok && len(c.byList) >= maxCachedStatusLists {
		for k := range c.byList { // drop any one: lists are few, misses cheap
			delete(c.byList, k)
			break
		}
	}
	c.byList[list] = e
}
