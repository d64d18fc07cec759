package sdjwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
)

var fixtureNow = time.Unix(1750000000, 0)

const (
	fixtureAud   = "https://verifier.example.org"
	fixtureNonce = "n-0S6_WzA2Mj"
)

// fixture is an issuer, a holder and a credential with ten disclosable
// claims, used by the negative tests, the benchmarks and the fuzzers.
type fixture struct {
	issuer, holder *jose.Signer
	issued         *SDJWT
	claims         map[string]any
}

func newKey(tb testing.TB, alg jose.Alg) *jose.Signer {
	tb.Helper()
	var k crypto.Signer
	var err error
	switch alg {
	case jose.ES256:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.ES384:
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jose.EdDSA:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		tb.Fatal(err)
	}
	s, err := jose.NewSigner(k, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func jwkMap(tb testing.TB, s *jose.Signer) map[string]any {
	tb.Helper()
	j, err := jose.NewJWK(s.Public())
	if err != nil {
		tb.Fatal(err)
	}
	return j.Map()
}

func fixtureClaims(holderJWK map[string]any) map[string]any {
	return map[string]any{
		"iss":           "https://issuer.example.org",
		"iat":           1749990000,
		"exp":           1900000000,
		"cnf":           map[string]any{"jwk": holderJWK},
		"given_name":    "Amina",
		"family_name":   "Haddad",
		"birthdate":     "1990-04-12",
		"email":         "amina@example.org",
		"phone_number":  "+249-555-0101",
		"address":       map[string]any{"street_address": "12 Nile Rd", "locality": "Khartoum", "country": "SD"},
		"nationalities": []any{"SD", "EG"},
		"big":           json.Number("123456789012345678901234567890"),
	}
}

var fixtureDisclosable = []string{
	"/given_name", "/family_name", "/birthdate", "/email", "/phone_number",
	"/address", "/address/street_address", "/address/locality",
	"/nationalities/0", "/nationalities/1",
}

var fixtureSelect = []string{"/given_name", "/family_name", "/address/locality"}

func newFixture(tb testing.TB, issuerAlg, holderAlg jose.Alg) *fixture {
	tb.Helper()
	f := &fixture{issuer: newKey(tb, issuerAlg), holder: newKey(tb, holderAlg)}
	f.claims = fixtureClaims(jwkMap(tb, f.holder))
	var err error
	f.issued, err = Issue(f.claims, IssueOptions{
		Signer: f.issuer, Header: map[string]any{"typ": "example+sd-jwt"},
		Disclosable: fixtureDisclosable, Decoys: 2,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

func (f *fixture) opts() VerifyOptions {
	return VerifyOptions{
		IssuerKey:         func(jose.Header, map[string]any) (crypto.PublicKey, error) { return f.issuer.Public(), nil },
		IssuerTyp:         "example+sd-jwt",
		RequireKeyBinding: true,
		Nonce:             fixtureNonce,
		Audience:          fixtureAud,
		Now:               func() time.Time { return fixtureNow },
	}
}

func (f *fixture) kb() KBOptions {
	return KBOptions{Audience: fixtureAud, Nonce: fixtureNonce, IssuedAt: fixtureNow.Add(-10 * time.Second)}
}

// present selects paths and adds key binding.
func (f *fixture) present(tb testing.TB, paths []string) string {
	tb.Helper()
	p, err := f.issued.Select(paths)
	if err != nil {
		tb.Fatal(err)
	}
	p, err = p.WithKeyBinding(f.holder, f.kb())
	if err != nil {
		tb.Fatal(err)
	}
	return p.String()
}

// signPayload signs an arbitrary payload as an issuer JWT.
func (f *fixture) signPayload(tb testing.TB, payload any) string {
	tb.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		tb.Fatal(err)
	}
	jwt, err := f.issuer.Sign(map[string]any{"typ": "example+sd-jwt"}, b)
	if err != nil {
		tb.Fatal(err)
	}
	return jwt
}

// encodeDisclosure encodes a disclosure array and returns it and its digest.
func encodeDisclosure(tb testing.TB, arr ...any) (string, string) {
	tb.Helper()
	b, err := json.Marshal(arr)
	if err != nil {
		tb.Fatal(err)
	}
	enc := jose.B64.EncodeToString(b)
	return enc, digestOf(enc)
}

// withoutKB strips the KB-JWT of a presentation.
func withoutKB(s string) string { return s[:strings.LastIndexByte(s, '~')+1] }
