package trust

import (
	"context"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
)

func FuzzVerifySnapshot(f *testing.F) {
	auth := newAuthority(f, false)
	good := auth.sign(f, 1, t0, 30*day)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add("e30.e30.")
	f.Add("..")
	f.Add(jose.B64.EncodeToString([]byte(`{"alg":"ES256","typ":"cairn-registry+jwt","kid":"did:x#0"}`)) + "." + jose.B64.EncodeToString([]byte(`{"version":1,"entities":null}`)) + ".AAAA")
	pinned := []*jose.JWK{auth.jwk}
	f.Fuzz(func(t *testing.T, compact string) {
		r, err := VerifySnapshot(compact, pinned, t0.Add(day))
		if err == nil {
			// Only the authority can have produced an accepted snapshot,
			// and what was accepted must be valid.
			if r.Authority != auth.did || r.Validate() != nil || r.Version == 0 {
				t.Fatalf("accepted an invalid snapshot: %+v", r)
			}
		}
	})
}

func FuzzLoadBundle(f *testing.F) {
	fx := newBundleFixture(f, nil)
	good, err := MakeBundle(fx.snapshot, fx.lists, t0.Add(day))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"type":"cairn-bundle","snapshot":"a.b.c","status_lists":{"u":"x.y.z"},"created":1}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	pinned := []*jose.JWK{fx.auth.jwk}
	f.Fuzz(func(t *testing.T, b []byte) {
		bundle, err := LoadBundle(context.Background(), b, pinned, fx.now, BundleOptions{Resolve: resolveDIDJWK})
		if err == nil && (bundle.Registry == nil || bundle.Registry.Authority != fx.auth.did) {
			t.Fatalf("accepted bundle without a verified registry")
		}
	})
}
