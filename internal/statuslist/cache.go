package statuslist

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Cache defaults.
const (
	// DefaultCacheTTL is how long a token without a ttl claim is reused.
	DefaultCacheTTL = 5 * time.Minute
	// DefaultCacheMaxTTL caps a token's ttl claim: a relying party may
	// always refresh earlier than the Status Issuer allows.
	DefaultCacheMaxTTL = time.Hour
	// DefaultCacheFailTTL is how long a failed fetch or verification is
	// remembered, so that an unreachable list is not asked again for
	// every credential that points at it.
	DefaultCacheFailTTL = 30 * time.Second
	// DefaultCacheMaxBytes bounds the decompressed lists held.
	DefaultCacheMaxBytes = 64 << 20
)

// Cache keeps verified Status List Tokens by (URI, signer) for as long as
// each token allows: its ttl claim (§5.1: how long a relying party may
// cache it; DefaultTTL when absent, at most MaxTTL) and never past its
// exp. Failures are remembered for FailTTL. Concurrent requests for the
// same list share one fetch. It is safe for concurrent use.
//
// The signer is part of the key because the token that answers for a
// credential must be signed by that credential's issuer: a list verified
// for one issuer is never reused for another that claims the same URI.
type Cache struct {
	// Fetch returns the token text at uri (Fetcher.Fetch: guarded, time
	// and size bounded). Required.
	Fetch func(ctx context.Context, uri string) (string, error)
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// DefaultTTL, MaxTTL, FailTTL and MaxBytes (zero: the defaults
	// above).
	DefaultTTL, MaxTTL, FailTTL time.Duration
	MaxBytes                    int

	mu    sync.Mutex
	m     map[cacheKey]*cacheEntry
	bytes int
}

type cacheKey struct{ uri, signer string }

type cacheEntry struct {
	done      chan struct{} // closed when the fetch ended
	tok       *Token
	err       error
	fetchedAt time.Time
	until     time.Time
	size      int
}

// Cached is a token from the Cache and when it was fetched.
type Cached struct {
	Token     *Token
	FetchedAt time.Time
	// Hit: no fetch was made for this call.
	Hit bool
}

// ErrNoFetch: the Cache has no Fetch function.
var ErrNoFetch = errors.New("statuslist: cache has no fetch function")

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Get returns the token of the list at uri verified for signer: the
// cached one while fresh, else it fetches the text and verifies it with
// verify (which must check the signature by signer's key and that sub is
// uri: VerifyToken with ExpectedSubject). A failure is returned, and
// returned again without a new fetch until FailTTL has passed.
func (c *Cache) Get(ctx context.Context, uri, signer string, verify func(compact string) (*Token, error)) (Cached, error) {
	if c.Fetch == nil {
		return Cached{}, ErrNoFetch
	}
	k := cacheKey{uri, signer}
	for {
		now := c.now()
		c.mu.Lock()
		if c.m == nil {
			c.m = map[cacheKey]*cacheEntry{}
		}
		e := c.m[k]
		if e != nil {
			select {
			case <-e.done:
				if now.Before(e.until) {
					c.mu.Unlock()
					return Cached{Token: e.tok, FetchedAt: e.fetchedAt, Hit: true}, e.err
				}
				c.remove(k, e)
			default:
				// Another caller is fetching it: wait for its answer.
				c.mu.Unlock()
				select {
				case <-e.done:
					continue
				case <-ctx.Done():
					return Cached{}, ctx.Err()
				}
			}
		}
		e = &cacheEntry{done: make(chan struct{})}
		c.m[k] = e
		c.mu.Unlock()
		return c.fill(ctx, k, e, verify)
	}
}

// fill fetches and verifies the token of entry e (which the caller put
// in flight) and publishes the outcome.
func (c *Cache) fill(ctx context.Context, k cacheKey, e *cacheEntry, verify func(string) (*Token, error)) (Cached, error) {
	var tok *Token
	compact, err := c.Fetch(ctx, k.uri)
	if err == nil {
		tok, err = verify(compact)
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e.tok, e.err, e.fetchedAt = tok, err, now
	switch {
	case err != nil && ctx.Err() != nil:
		// The caller gave up: nothing learnt about the list.
		e.until = now
	case err != nil:
		e.until = now.Add(orDefault(c.FailTTL, DefaultCacheFailTTL))
	default:
		ttl := orDefault(tok.TTL, orDefault(c.DefaultTTL, DefaultCacheTTL))
		ttl = min(ttl, orDefault(c.MaxTTL, DefaultCacheMaxTTL))
		e.until = now.Add(ttl)
		if !tok.ExpiresAt.IsZero() && tok.ExpiresAt.Before(e.until) {
			e.until = tok.ExpiresAt
		}
		e.size = tok.List.Len() * int(tok.List.Bits()) / 8
		c.bytes += e.size
		c.evict(now, k)
	}
	close(e.done)
	if !now.Before(e.until) {
		c.remove(k, e)
	}
	return Cached{Token: tok, FetchedAt: now}, err
}

// remove drops k when it still maps to e. c.mu is held.
func (c *Cache) remove(k cacheKey, e *cacheEntry) {
	if c.m[k] == e {
		delete(c.m, k)
		c.bytes -= e.size
	}
}

// evict keeps the held lists within MaxBytes: stale entries first, then
// the oldest fetched, never keep (just added). c.mu is held.
func (c *Cache) evict(now time.Time, keep cacheKey) {
	maxBytes := c.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultCacheMaxBytes
	}
	if c.bytes <= maxBytes {
		return
	}
	for k, e := range c.m {
		if isDone(e) && !now.Before(e.until) {
			c.remove(k, e)
		}
	}
	for c.bytes > maxBytes {
		var oldK cacheKey
		var old *cacheEntry
		for k, e := range c.m {
			if k != keep && isDone(e) && e.size > 0 && (old == nil || e.fetchedAt.Before(old.fetchedAt)) {
				oldK, old = k, e
			}
		}
		if old == nil {
			return
		}
		c.remove(oldK, old)
	}
}

func isDone(e *cacheEntry) bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// Len is the number of lists (and remembered failures) held.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
