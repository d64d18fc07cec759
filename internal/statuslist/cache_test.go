package statuslist

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// cacheWorld is a fake list server: tokens signed on demand with the
// given ttl and exp, a fetch counter, and a switch to fail.
type cacheWorld struct {
	t       *testing.T
	now     time.Time
	fetches atomic.Int32
	fail    atomic.Bool
	ttl     time.Duration
	exp     time.Duration
	size    int
	block   chan struct{} // when set, fetches wait on it
}

func (w *cacheWorld) cache() *Cache {
	return &Cache{Now: func() time.Time { return w.now }, Fetch: w.fetch}
}

func (w *cacheWorld) fetch(ctx context.Context, uri string) (string, error) {
	w.fetches.Add(1)
	if w.block != nil {
		<-w.block
	}
	if w.fail.Load() {
		return "", errors.New("connection refused")
	}
	return uri, nil // the "token" is verified by verify below
}

func (w *cacheWorld) verify(signer string) func(string) (*Token, error) {
	return func(compact string) (*Token, error) {
		if signer == "bad" {
			return nil, ErrInvalidToken
		}
		size := w.size
		if size == 0 {
			size = 8
		}
		l, err := New(1, size)
		if err != nil {
			return nil, err
		}
		t := &Token{Subject: compact, IssuedAt: w.now, TTL: w.ttl, List: l}
		if w.exp > 0 {
			t.ExpiresAt = w.now.Add(w.exp)
		}
		return t, nil
	}
}

func TestCacheHonoursTTLAndExp(t *testing.T) {
	tests := []struct {
		name     string
		ttl, exp time.Duration
		fresh    time.Duration // still a hit this long after the fetch
	}{
		{"ttl", 10 * time.Minute, 0, 10 * time.Minute},
		{"no_ttl_default", 0, 0, DefaultCacheTTL},
		{"ttl_capped", 48 * time.Hour, 0, DefaultCacheMaxTTL},
		{"exp_before_ttl", 10 * time.Minute, 2 * time.Minute, 2 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := &cacheWorld{t: t, now: time.Unix(1_700_000_000, 0), ttl: tc.ttl, exp: tc.exp}
			c := w.cache()
			ctx := context.Background()
			first, err := c.Get(ctx, "https://i.example/s/1", "did:x", w.verify("did:x"))
			if err != nil || first.Hit || first.Token == nil {
				t.Fatalf("first: %+v %v", first, err)
			}
			w.now = w.now.Add(tc.fresh - time.Second)
			got, err := c.Get(ctx, "https://i.example/s/1", "did:x", w.verify("did:x"))
			if err != nil || !got.Hit || !got.FetchedAt.Equal(first.FetchedAt) || w.fetches.Load() != 1 {
				t.Fatalf("within freshness: hit %v fetches %d err %v", got.Hit, w.fetches.Load(), err)
			}
			w.now = w.now.Add(time.Second)
			got, err = c.Get(ctx, "https://i.example/s/1", "did:x", w.verify("did:x"))
			if err != nil || got.Hit || w.fetches.Load() != 2 || !got.FetchedAt.Equal(w.now) {
				t.Fatalf("after freshness: hit %v fetches %d err %v", got.Hit, w.fetches.Load(), err)
			}
		})
	}
}

func TestCacheKeysBySigner(t *testing.T) {
	w := &cacheWorld{t: t, now: time.Unix(1_700_000_000, 0), ttl: time.Hour}
	c := w.cache()
	ctx := context.Background()
	for _, signer := range []string{"did:a", "did:b", "did:a", "did:b"} {
		if _, err := c.Get(ctx, "https://i.example/s/1", signer, w.verify(signer)); err != nil {
			t.Fatal(err)
		}
	}
	if n := w.fetches.Load(); n != 2 {
		t.Errorf("%d fetches for two signers of one URI, want 2", n)
	}
	// A token that does not verify for its signer is an error, remembered.
	if _, err := c.Get(ctx, "https://i.example/s/1", "bad", w.verify("bad")); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("bad signer: %v", err)
	}
}

func TestCacheRemembersFailures(t *testing.T) {
	w := &cacheWorld{t: t, now: time.Unix(1_700_000_000, 0), ttl: time.Hour}
	w.fail.Store(true)
	c := w.cache()
	ctx := context.Background()
	for range 5 {
		if _, err := c.Get(ctx, "https://i.example/s/1", "did:x", w.verify("did:x")); err == nil {
			t.Fatal("a failed fetch answered")
		}
	}
	if n := w.fetches.Load(); n != 1 {
		t.Errorf("%d fetches while failing, want 1 within FailTTL", n)
	}
	w.fail.Store(false)
	w.now = w.now.Add(DefaultCacheFailTTL)
	if got, err := c.Get(ctx, "https://i.example/s/1", "did:x", w.verify("did:x")); err != nil || got.Hit {
		t.Fatalf("after FailTTL: %+v %v", got, err)
	}
	if n := w.fetches.Load(); n != 2 {
		t.Errorf("%d fetches, want 2", n)
	}
}

func TestCacheSharesConcurrentFetches(t *testing.T) {
	w := &cacheWorld{t: t, now: time.Unix(1_700_000_000, 0), ttl: time.Hour, block: make(chan struct{})}
	c := w.cache()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := c.Get(context.Background(), "https://i.example/s/1", "did:x", w.verify("did:x"))
			errs <- err
		})
	}
	for w.fetches.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(w.block)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := w.fetches.Load(); n != 1 {
		t.Errorf("%d fetches for 8 concurrent callers, want 1", n)
	}
}

func TestCacheBoundsBytes(t *testing.T) {
	w := &cacheWorld{t: t, now: time.Unix(1_700_000_000, 0), ttl: time.Hour, size: 8 * 1024} // 1 KiB lists
	c := w.cache()
	c.MaxBytes = 3 * 1024
	ctx := context.Background()
	uris := []string{"https://i.example/1", "https://i.example/2", "https://i.example/3", "https://i.example/4"}
	for _, u := range uris {
		w.now = w.now.Add(time.Second)
		if _, err := c.Get(ctx, u, "did:x", w.verify("did:x")); err != nil {
			t.Fatal(err)
		}
	}
	if c.Len() != 3 {
		t.Errorf("%d lists held under a 3-list bound", c.Len())
	}
	// The oldest went; the newest stayed.
	if got, _ := c.Get(ctx, uris[3], "did:x", w.verify("did:x")); !got.Hit {
		t.Error("the newest list was evicted")
	}
	if got, _ := c.Get(ctx, uris[0], "did:x", w.verify("did:x")); got.Hit {
		t.Error("the oldest list was kept")
	}
}

func TestCacheNoFetch(t *testing.T) {
	var c Cache
	if _, err := c.Get(context.Background(), "https://i.example/1", "did:x", nil); !errors.Is(err, ErrNoFetch) {
		t.Errorf("no fetch: %v", err)
	}
}
