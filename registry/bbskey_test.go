package registry_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jwp"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/vccheck"
	"github.com/cairn-id/cairn/registry"
)

func newBBS(t *testing.T) (*jwp.PrivateKey, string) {
	t.Helper()
	k, err := jwp.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k, did.FromBBSKey(&k.Public)
}

// TestServiceBBSKey registers a BBS issuer key as a further key of the
// NGO and asks, as a verifier of a jpt credential does, whether it was the
// NGO's authorized key for the type on the day of the credential's iat,
// before and after an amendment ends the authorization.
func TestServiceBBSKey(t *testing.T) {
	f := newFixture(t)
	f.admit(t)
	ctx := context.Background()
	day := 24 * time.Hour
	f.clk.Advance(10 * time.Hour) // the key arrives later in the day
	k, kDID := newBBS(t)
	added, err := f.svc.AddKey(ctx, ngoDID, kDID, time.Time{})
	if err != nil || !added.From.Equal(f.clk.Now()) {
		t.Fatalf("AddKey: %+v %v", added, err)
	}

	// Refusals change nothing.
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecJWK, _ := jose.NewJWK(&ec.PublicKey)
	_, other := newBBS(t)
	for _, tc := range []struct {
		name, entity, key string
		want              error
	}{
		{"the same key again", ngoDID, kDID, registry.ErrEntityExists},
		{"a P-256 did:jwk", ngoDID, did.FromJWK(ecJWK), registry.ErrInvalidInput},
		{"a did:web", ngoDID, "did:web:bbs.example", registry.ErrInvalidInput},
		{"a verifier", deskDID, other, registry.ErrInvalidInput},
		{"an unknown entity", "did:web:nobody.example", other, registry.ErrUnknownEntity},
		{"the NGO's key for the desk", ngoDID, deskDID, registry.ErrInvalidInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := f.svc.Show(ctx)
			if _, err := f.svc.AddKey(ctx, tc.entity, tc.key, time.Time{}); !errors.Is(err, tc.want) {
				t.Fatalf("AddKey: %v, want %v", err, tc.want)
			}
			after, _ := f.svc.Show(ctx)
			if after.Revision != before.Revision {
				t.Fatal("a refused AddKey changed the registry")
			}
		})
	}
	// The BBS key names its entity: an authorization granted through it
	// is the NGO's.
	other2 := "https://cairn.example/vct/other"
	if _, err := f.svc.GrantIssuer(ctx, kDID, trust.IssuerAuthorization{VCT: other2, MaxStrength: 1, MaxValidity: 1}); err != nil {
		t.Fatal(err)
	}
	if e := f.entity(t, ngoDID); len(e.IssuerAuthorizations) != 2 || len(e.Keys) != 1 {
		t.Fatalf("NGO after grant through its BBS key: %+v", e)
	}
	if _, err := f.svc.AddEntity(ctx, registry.NewEntity{DID: kDID, Role: trust.RoleIssuer, Names: map[string]string{"en": "Twin"}}); err == nil {
		t.Fatal("a BBS key was admitted as an entity of its own")
	}

	// Two days on, the board ends a1 (the vct authorization) through the
	// BBS key's DID.
	day0 := t0.UTC().Truncate(day)
	f.clk.Set(day0.Add(2*day + 12*time.Hour))
	if _, err := f.svc.EndAuthorization(ctx, kDID, "a1", time.Time{}, "programme closed"); err != nil {
		t.Fatal(err)
	}
	_, compact, err := f.svc.Publish(ctx, f.key, 30*day)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := trust.VerifySnapshot(compact, f.pinned(), f.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if e := reg.Entity(ngoDID); e == nil || len(e.Keys) != 1 || e.Keys[0].DID != kDID {
		t.Fatalf("published NGO: %+v", e)
	}
	pub, err := vccheck.BBSIssuerKey(reg, ngoDID, k.Public.Kid)
	if err != nil || string(pub.Bytes) != string(k.Public.Bytes) {
		t.Fatalf("BBSIssuerKey: %v", err)
	}
	if _, err := vccheck.BBSIssuerKey(reg, ngoDID, "another-kid"); !errors.Is(err, vccheck.ErrUnknownBBSKey) {
		t.Fatalf("BBSIssuerKey with another kid: %v", err)
	}
	otherKey, _ := newBBS(t)
	for _, tc := range []struct {
		name   string
		key    *jwp.PublicKey
		iat    time.Time
		ok     bool
		reason string
	}{
		// iat is the day's start, before the key (10:00) and a1's start:
		// the day counts, since the issuer held both later that day.
		{"the day the key was added", pub, day0, true, trust.ReasonAuthorized},
		{"the next day", pub, day0.Add(day), true, trust.ReasonAuthorized},
		{"the day a1 ended at noon", pub, day0.Add(2 * day), true, trust.ReasonAuthorized},
		{"the day after a1 ended", pub, day0.Add(3 * day), false, trust.ReasonAuthorizationTime},
		{"the day before the key", pub, day0.Add(-day), false, trust.ReasonKeyNotValidAtTime},
		{"an instant before the key", pub, day0.Add(time.Hour), false, trust.ReasonKeyNotValidAtTime},
		{"another BBS key", &otherKey.Public, day0.Add(day), false, trust.ReasonUnknownKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := vccheck.BBSKeyAuthorized(reg, ngoDID, tc.key, vct, tc.iat)
			if err != nil {
				t.Fatal(err)
			}
			if d.Authorized != tc.ok || d.Reason != tc.reason {
				t.Fatalf("BBSKeyAuthorized at %s = %v (%s), want %v (%s)", tc.iat, d.Authorized, d.Reason, tc.ok, tc.reason)
			}
		})
	}
	// The entity's other authorization answers for its own vct only.
	if d, _ := vccheck.BBSKeyAuthorized(reg, ngoDID, pub, other2, day0.Add(3*day)); !d.Authorized {
		t.Fatalf("other vct: %s", d.Reason)
	}
	if d, _ := vccheck.BBSKeyAuthorized(reg, deskDID, pub, vct, day0.Add(day)); d.Authorized {
		t.Fatal("the desk answered for the NGO's key")
	}
}
