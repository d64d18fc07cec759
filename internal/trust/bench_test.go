package trust

import (
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
)

func BenchmarkVerifySnapshot(b *testing.B) {
	auth := newAuthority(b, false)
	s := auth.sign(b, 1, t0, 30*day)
	pinned := []*jose.JWK{auth.jwk}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := VerifySnapshot(s, pinned, t0.Add(day)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssuerAuthorized(b *testing.B) {
	r := fixtureRegistry()
	at := t0.Add(day)
	b.ReportAllocs()
	for b.Loop() {
		if d, _ := r.IssuerAuthorized("did:example:window", vctID, at.Add(5*day)); !d.Authorized {
			b.Fatal("not authorized")
		}
	}
}
