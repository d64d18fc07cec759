package verifier

import (
	"context"
	"errors"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
)

type countingResolver map[string]int

func (c countingResolver) ResolveKey(_ context.Context, didURL string) (*jose.JWK, error) {
	c[didURL]++
	if didURL == "did:jwk:bad#0" {
		return nil, errors.New("bad")
	}
	return &jose.JWK{Kty: "EC"}, nil
}

// TestLocalKeyCache: did:jwk and did:key answers are reused; did:web and
// failures are asked again every time.
func TestLocalKeyCache(t *testing.T) {
	next := countingResolver{}
	r := withLocalKeyCache(next)
	for range 3 {
		for _, u := range []string{"did:jwk:eyJ4IjoiY2FjaGUtdGVzdCJ9#0", "did:key:zCacheTest#zCacheTest", "did:web:ngo.example#k1", "did:jwk:bad#0"} {
			_, _ = r.ResolveKey(context.Background(), u)
		}
	}
	for u, want := range map[string]int{"did:jwk:eyJ4IjoiY2FjaGUtdGVzdCJ9#0": 1, "did:key:zCacheTest#zCacheTest": 1, "did:web:ngo.example#k1": 3, "did:jwk:bad#0": 3} {
		if next[u] != want {
			t.Errorf("%s resolved %d times, want %d", u, next[u], want)
		}
	}
	if withLocalKeyCache(nil) != nil {
		t.Error("nil resolver wrapped")
	}
}
