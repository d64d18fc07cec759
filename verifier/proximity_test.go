package verifier

import (
	"context"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/proximity"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/trust"
)

// TestCheckProximityFormats: the wallet's CP1 text and the raw SD-JWT+KB
// are both read; the one audience rule (aud = urn:cairn:proximity, nonce
// = the challenge) holds for both; a did:web issuer, which only the
// network could resolve, is refused without any network attempt.
func TestCheckProximityFormats(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	gen := func() *keys.PrivateKey {
		k, err := keys.Generate(jose.ES256, nil)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	authority, ngo, holder := gen(), gen(), gen()
	const vct = "urn:cairn:vct:identity-attestation:1"
	const webIssuer = "did:web:ngo.invalid"
	auth := []trust.IssuerAuthorization{{VCT: vct, MaxStrength: 2, MaxValidity: 2, MaxVerification: 2, From: now.AddDate(-1, 0, 0)}}
	reg := &trust.Registry{ID: "pilot", Authority: authority.DIDJWK(), Version: 1, IssuedAt: now.Add(-time.Hour), Expires: now.AddDate(0, 0, 7), Entities: []trust.Entity{
		{DID: ngo.DIDJWK(), Names: map[string]string{"en": "NGO"}, Role: trust.RoleIssuer, Status: trust.StatusActive, ValidFrom: now.AddDate(-1, 0, 0), IssuerAuthorizations: auth},
		{DID: webIssuer, Names: map[string]string{"en": "Web NGO"}, Role: trust.RoleIssuer, Status: trust.StatusActive, ValidFrom: now.AddDate(-1, 0, 0), IssuerAuthorizations: auth},
	}}
	snap, err := trust.SignSnapshot(reg, authority.JoseSigner().WithKeyID(authority.DIDJWK()+"#0"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := trust.MakeBundle(snap, nil, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	before := offlineAttempts.Load()
	b, _, err := LoadOfflineBundle(context.Background(), raw, []*jose.JWK{authority.PublicJWK()}, now, false)
	if err != nil {
		t.Fatal(err)
	}
	present := func(iss string, aud, nonce string) string {
		signer := ngo.JoseSigner().WithKeyID(ngo.DIDJWK() + "#0")
		if iss == webIssuer {
			signer = ngo.JoseSigner().WithKeyID(webIssuer + "#key-1")
		}
		c, err := sdjwtvc.Issue(sdjwtvc.Credential{VCT: vct, Issuer: iss, IssuedAt: now.AddDate(0, -1, 0), ExpiresAt: now.AddDate(2, 0, 0), HolderJWK: holder.PublicJWK(),
			Claims: map[string]any{"family_name": "Haddad", "given_name": "Amina"}, Disclosable: []string{"/family_name", "/given_name"}}, sdjwtvc.IssueOptions{Signer: signer})
		if err != nil {
			t.Fatal(err)
		}
		p, err := sdjwtvc.Present(c, holder.JoseSigner(), sdjwtvc.PresentOptions{Paths: []string{"/family_name", "/given_name"}, Audience: aud, Nonce: nonce, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	cp1 := func(p string) string {
		s, err := proximity.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := present(ngo.DIDJWK(), proximity.Audience, "K7P2")
	for _, c := range []struct {
		name, text, challenge string
		want                  Code
	}{
		{"CP1", cp1(good), "K7P2", CodeValid},
		{"CP1 with scanner whitespace", " " + cp1(good) + "\n", "K7P2", CodeValid},
		{"raw SD-JWT+KB", good, "K7P2", CodeValid},
		{"CP1, other challenge", cp1(good), "ZZZZ", CodeChallengeNeeded},
		{"CP1, aud = a client id", cp1(present(ngo.DIDJWK(), "decentralized_identifier:"+ngo.DIDJWK(), "K7P2")), "K7P2", "audience_mismatch"},
		{"raw, aud = a client id", present(ngo.DIDJWK(), "decentralized_identifier:"+ngo.DIDJWK(), "K7P2"), "K7P2", "audience_mismatch"},
		{"CP1 damaged", cp1(good)[:40], "K7P2", CodeNoQR},
		{"did:web issuer, offline", cp1(present(webIssuer, proximity.Audience, "K7P2")), "K7P2", "issuer_key_unresolved"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := CheckProximity(context.Background(), c.text, ProximityOptions{Bundle: b, Challenge: c.challenge, Now: func() time.Time { return now }})
			if r.Code != c.want {
				t.Errorf("code %q, want %q (%+v)", r.Code, c.want, r.Credentials)
			}
			if c.want == CodeValid && (len(r.Credentials) != 1 || r.Credentials[0].Claims["family_name"] != "Haddad") {
				t.Errorf("claims kept: %+v", r.Credentials)
			}
		})
	}
	if n := offlineAttempts.Load() - before; n != 0 {
		t.Errorf("the offline path tried the network %d times", n)
	}
}
