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
	"github.com/cairn-id/cairn/internal/vccheck"
	"github.com/cairn-id/cairn/schemas"
)

var issuedAt = time.Date(2026, 12, 2, 15, 4, 5, 0, time.UTC)

const ngo = "did:web:ngo.example"

// registryWith registers ngo as an issuer of regVCT from 2026-01-01 with
// the BBS key as a further key.
func registryWith(k *jwp.PrivateKey) *trust.Registry {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return &trust.Registry{Entities: []trust.Entity{{
		DID: ngo, Role: trust.RoleIssuer, Status: trust.StatusActive,
		Keys:                 []trust.EntityKey{{DID: keys.BBSDIDJWK(&k.Public), From: from}},
		ValidFrom:            from,
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
	compact, err := jptvc.Issue(k, ty, jptvc.Credential{Issuer: ngo, IssuedAt: issuedAt, Claims: regClaims("Amina")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := jptvc.Open(cat, compact, func(iss, kid string) (*jwp.PublicKey, error) { return vccheck.BBSIssuerKey(reg, iss, kid) })
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{cat: cat, reg: reg, key: k, st: st}
}

func (f *fixture) opts(aud, nonce string, now time.Time) jptvc.VerifyOptions {
	return jptvc.VerifyOptions{Catalogue: f.cat, Audience: aud, Nonce: nonce, Now: func() time.Time { return now },
		Key: func(iss, kid string) (*jwp.PublicKey, error) { return vccheck.BBSIssuerKey(f.reg, iss, kid) },
		Authorized: func(iss string, pub *jwp.PublicKey, vct string, iat time.Time) (trust.Decision, error) {
			return vccheck.BBSKeyAuthorized(f.reg, iss, pub, vct, iat)
		}}
}

func TestOpenPresentVerify(t *testing.T) {
	for _, k := range []*jwp.PrivateKey{testKey(t)} {
		f := newFixture(t, k)
		if f.st.Issuer != ngo || f.st.Type.VCT != regVCT || !f.st.IssuedAt.Equal(issuedAt.Truncate(24*time.Hour)) {
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
		}, f.opts(aud, nonce, now), vccheck.ErrUnknownBBSKey},
		{"iss withheld", func() *jwp.Presented {
			p := present()
			cs, _ := jptvc.ClaimSet(f.st.Type)
			i, _ := cs.Slot("iss")
			p.Payloads[i] = nil
			return p
		}, f.opts(aud, nonce, now), jptvc.ErrMissingClaim},
		{"expired", present, f.opts(aud, nonce, issuedAt.Add(31*24*time.Hour)), jptvc.ErrExpired},
		{"not yet valid", present, f.opts(aud, nonce, issuedAt.Add(-48*time.Hour)), jptvc.ErrNotYetValid},
		{"unknown cid", func() *jwp.Presented {
			p := present()
			p.IssuerHeader = []byte(strings.Replace(string(p.IssuerHeader), `"cid":"`, `"cid":"x`, 1))
			return p
		}, f.opts(aud, nonce, now), jptvc.ErrUnknownType},
		{"not authorized at iat", present, func() jptvc.VerifyOptions {
			o := f.opts(aud, nonce, now)
			o.Authorized = func(string, *jwp.PublicKey, string, time.Time) (trust.Decision, error) {
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

func TestKeyOf(t *testing.T) {
	k := testKey(t)
	kd := keys.BBSDIDJWK(&k.Public)
	if pub, err := jptvc.KeyOf(ngo, kd)(ngo, k.Public.Kid); err != nil || string(pub.Bytes) != string(k.Public.Bytes) {
		t.Fatalf("KeyOf: %v", err)
	}
	for _, tc := range [][2]string{{"did:web:other.example", k.Public.Kid}, {ngo, mustKey(t).Public.Kid}, {ngo, ""}} {
		if _, err := jptvc.KeyOf(ngo, kd)(tc[0], tc[1]); !errors.Is(err, jptvc.ErrUnregisteredKey) {
			t.Fatalf("%v: %v", tc, err)
		}
	}
	if _, err := jptvc.KeyOf(ngo, "did:web:x.example")(ngo, k.Public.Kid); !errors.Is(err, jptvc.ErrUnregisteredKey) {
		t.Fatal(err)
	}
}
