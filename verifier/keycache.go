package verifier

import (
	"context"
	"strings"
	"sync"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
)

// maxCachedKeys bounds localKeys; when full it starts over.
const maxCachedKeys = 4096

// localKeys caches the keys of self-describing DID URLs (did:jwk,
// did:key): their key is a pure function of the text, so a cached answer
// is never stale, and decoding it is a noticeable share of a
// verification. Other DIDs (did:web) go to the resolver every time (it
// has its own caching).
var localKeys = struct {
	sync.Mutex
	m map[string]*jose.JWK
}{m: map[string]*jose.JWK{}}

type cachingResolver struct{ next sdjwtvc.DIDKeyResolver }

// withLocalKeyCache wraps r with localKeys (nil stays nil).
func withLocalKeyCache(r sdjwtvc.DIDKeyResolver) sdjwtvc.DIDKeyResolver {
	if r == nil {
		return nil
	}
	return cachingResolver{r}
}

func (c cachingResolver) ResolveKey(ctx context.Context, didURL string) (*jose.JWK, error) {
	local := strings.HasPrefix(didURL, "did:jwk:") || strings.HasPrefix(didURL, "did:key:")
	if local {
		localKeys.Lock()
		k, ok := localKeys.m[didURL]
		localKeys.Unlock()
		if ok {
			return k, nil
		}
	}
	k, err := c.next.ResolveKey(ctx, didURL)
	if err != nil || !local {
		return k, err
	}
	localKeys.Lock()
	if len(localKeys.m) >= maxCachedKeys {
		clear(localKeys.m)
	}
	localKeys.m[didURL] = k
	localKeys.Unlock()
	return k, nil
}
