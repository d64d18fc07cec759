package jptvc_test

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jptvc"
	"github.com/cairn-id/cairn/internal/jwp"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/schemas"
)

var issuedAt = time.Date(2026, 12, 2, 15, 4, 5, 0, time.UTC)

// registryWith registers the BBS key's did:jwk as an issuer of regVCT
// from 2026-01-01.
func registryWith(k *jwp.PrivateKey) *trust.Registry {
	return &trust.Registry{Entities: []trust.Entity{{
		DID: keys.BBSDIDJWK(&k.Public), Role: trust.RoleIssuer, Status: trust.StatusActive,
		ValidFrom:            time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: regVCT, MaxStrength: 3, MaxValidity: 3, From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}}}
}

type fixture struct {
	cat *schemas.Catalogue
	reg *trust.Registry
	key *jwp.PrivateKey
	st  *jptvc.Stored
}

func newFixture(t *testing.T, k *jwp.PrivateKey) *fixture {
	t.Helper()
	cat, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	ty, _ := cat.Lookup(regVCT)
	reg := registryWith(k)
	compact, err := jptvc.Issue(k, ty, jptvc.Credential{Issuer: keys.BBSDIDJWK(&k.Public), IssuedAt: issuedAt, Claims: regClaims("Amina")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := jptvc.Open(cat, compact, func(kid string) (string, *jwp.PublicKey, error) { return jptvc.IssuerKey(reg, kid) })
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{cat: cat, reg: reg, key: k, st: st}
}

func (f *fixture) opts(aud, nonce string, now time.Time) jptvc.VerifyOptions {
	return jptvc.VerifyOptions{Catalogue: f.cat, Audience: aud, Nonce: nonce, Now: func() time.Time { return now },
		Key:        func(kid string) (string, *jwp.PublicKey, error) { return jptvc.IssuerKey(f.reg, kid) },
		Authorized: f.reg.IssuerAuthorized}
}

func TestOpenPresentVerify(t *testing.T) {
	// Both kid forms: the key thumbprint (NewPrivateKey's default) and a
	// DID URL of the did:jwk.
	base := testKey(t)
	for _, k := range []*jwp.PrivateKey{base} {
		f := newFixture(t, k)
		if f.st.Issuer != keys.BBSDIDJWK(&k.Public) || f.st.Type.VCT != regVCT || !f.st.IssuedAt.Equal(issuedAt.Truncate(24*time.Hour)) {
			t.Fatalf("stored %+v", f.st)
		}
		now := issuedAt.Add(time.Hour)
		const aud, nonce = "decentralized_identifier:did:web:clinic.example", "n-123"
		pres, err := f.st.Present(nil, aud, nonce, []string{"given_name", "household_size"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := jwp.ParsePresented(pres)
		if err != nil {
			t.Fatal(err)
		}
		v, err := jptvc.Verify(p, f.opts(aud, nonce, now))
		if err != nil {
			t.Fatal(err)
		}
		if v.Claims["given_name"] != "Amina" || v.Claims["family_name"] != nil || v.Decision == nil || !v.Decision.Authorized {
			t.Fatalf("verified %+v", v)
		}
		if len(v.Claims) != 6 { // iss vct iat exp given_name household_size
			t.Fatalf("disclosed %v", v.Claims)
		}
	}
}

func TestVerifyRefusals(t *testing.T) {
	f := newFixture(t, testKey(t))
	const aud, nonce = "decentralized_identifier:did:web:clinic.example", "n-123"
	now := issuedAt.Add(time.Hour)
	present := func() *jwp.Presented {
		s, err := f.st.Present(nil, aud, nonce, []string{"given_name"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := jwp.ParsePresented(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	other := newFixture(t, mustKey(t))
	for _, tc := range []struct {
		name string
		p    func() *jwp.Presented
		o    jptvc.VerifyOptions
		want error
	}{
		{"other aud", present, f.opts("decentralized_identifier:did:web:landlord.example", nonce, now), jwp.ErrAudience},
		{"other nonce", present, f.opts(aud, "n-456", now), jwp.ErrNonce},
		{"swapped value", func() *jwp.Presented {
			p := present()
			cs, _ := jptvc.ClaimSet(f.st.Type)
			i, _ := cs.Slot("given_name")
			p.Payloads[i] = []byte(`"Fatima"`)
			return p
		}, f.opts(aud, nonce, now), jwp.ErrInvalidProof},
		{"unregistered key", func() *jwp.Presented {
			s, err := other.st.Present(nil, aud, nonce, []string{"given_name"})
			if err != nil {
				t.Fatal(err)
			}
			p, _ := jwp.ParsePresented(s)
			return p
		}, f.opts(aud, nonce, now), jptvc.ErrUnregisteredKey},
		{"expired", present, f.opts(aud, nonce, issuedAt.Add(31*24*time.Hour)), jptvc.ErrExpired},
		{"not yet valid", present, f.opts(aud, nonce, issuedAt.Add(-48*time.Hour)), jptvc.ErrNotYetValid},
		{"unknown cid", func() *jwp.Presented {
			p := present()
			p.IssuerHeader = []byte(strings.Replace(string(p.IssuerHeader), `"cid":"`, `"cid":"x`, 1))
			return p
		}, f.opts(aud, nonce, now), jptvc.ErrUnknownType},
		{"not authorized at iat", present, func() jptvc.VerifyOptions {
			o := f.opts(aud, nonce, now)
			o.Authorized = func(string, string, time.Time) (trust.Decision, error) {
				return trust.Decision{Reason: trust.ReasonNoAuthorization}, nil
			}
			return o
		}(), jptvc.ErrNotAuthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := jptvc.Verify(tc.p(), tc.o)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func mustKey(t *testing.T) *jwp.PrivateKey {
	t.Helper()
	k, err := jwp.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestIssuerKey(t *testing.T) {
	k := testKey(t)
	reg := registryWith(k)
	d := keys.BBSDIDJWK(&k.Public)
	for _, kid := range []string{k.Public.Kid, d + "#0"} {
		got, pub, err := jptvc.IssuerKey(reg, kid)
		if err != nil || got != d || string(pub.Bytes) != string(k.Public.Bytes) {
			t.Fatalf("kid %.20s: %v %v", kid, got, err)
		}
	}
	for _, kid := range []string{"", "did:web:x.example#0", "did:jwk:eyJrdHkiOiJFQyJ9#0", keys.BBSDIDJWK(&mustKey(t).Public) + "#0", mustKey(t).Public.Kid} {
		if _, _, err := jptvc.IssuerKey(reg, kid); !errors.Is(err, jptvc.ErrUnregisteredKey) {
			t.Fatalf("kid %.30s: %v", kid, err)
		}
	}
	// A verifier entity with that DID is not an issuer.
	reg.Entities[0].Role = trust.RoleVerifier
	if _, _, err := jptvc.IssuerKey(reg, d+"#0"); !errors.Is(err, jptvc.ErrUnregisteredKey) {
		t.Fatal(err)
	}
}
