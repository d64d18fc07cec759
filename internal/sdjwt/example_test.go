package sdjwt_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/sdjwt"
)

func mustSigner() *jose.Signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	s, err := jose.NewSigner(k, nil)
	if err != nil {
		panic(err)
	}
	return s
}

func ExampleIssue() {
	issuer := mustSigner()
	tok, err := sdjwt.Issue(map[string]any{
		"iss":         "https://issuer.example.org",
		"given_name":  "Amina",
		"family_name": "Haddad",
		"address":     map[string]any{"locality": "Khartoum", "country": "SD"},
	}, sdjwt.IssueOptions{
		Signer:      issuer,
		Header:      map[string]any{"typ": "example+sd-jwt"},
		Disclosable: []string{"/given_name", "/family_name", "/address/locality"},
		Decoys:      1,
	})
	if err != nil {
		panic(err)
	}
	for _, d := range tok.Disclosures {
		fmt.Println("disclosable:", d.Name)
	}
	fmt.Println("_sd_alg:", tok.Payload["_sd_alg"])
	// Output:
	// disclosable: locality
	// disclosable: family_name
	// disclosable: given_name
	// _sd_alg: sha-256
}

func ExampleVerify() {
	issuer, holder := mustSigner(), mustSigner()
	holderJWK, _ := jose.NewJWK(holder.Public())
	now := time.Unix(1750000000, 0)

	tok, _ := sdjwt.Issue(map[string]any{
		"iss":        "https://issuer.example.org",
		"cnf":        map[string]any{"jwk": holderJWK.Map()},
		"given_name": "Amina",
		"birthdate":  "1990-04-12",
	}, sdjwt.IssueOptions{Signer: issuer, Header: map[string]any{"typ": "example+sd-jwt"}, Disclosable: []string{"/given_name", "/birthdate"}})

	// The holder reveals only given_name, bound to the verifier's nonce.
	pres, _ := tok.Select([]string{"/given_name"})
	pres, _ = pres.WithKeyBinding(holder, sdjwt.KBOptions{Audience: "https://verifier.example.org", Nonce: "abc123", IssuedAt: now})

	v, err := sdjwt.Verify(pres.String(), sdjwt.VerifyOptions{
		IssuerKey:         func(jose.Header, map[string]any) (crypto.PublicKey, error) { return issuer.Public(), nil },
		IssuerTyp:         "example+sd-jwt",
		RequireKeyBinding: true,
		Nonce:             "abc123",
		Audience:          "https://verifier.example.org",
		Now:               func() time.Time { return now },
	})
	if err != nil {
		fmt.Println(sdjwt.Code(err), err)
		return
	}
	fmt.Println(v.Claims["given_name"], v.Claims["birthdate"] == nil, v.KeyBinding.Nonce)

	// Replayed to another verifier, it fails with a stable code.
	_, err = sdjwt.Verify(pres.String(), sdjwt.VerifyOptions{
		IssuerKey:         func(jose.Header, map[string]any) (crypto.PublicKey, error) { return issuer.Public(), nil },
		RequireKeyBinding: true, Nonce: "abc123", Audience: "https://other.example.org",
		Now: func() time.Time { return now },
	})
	fmt.Println(sdjwt.Code(err))
	// Output:
	// Amina true abc123
	// audience_mismatch
}

// An SD-JWT+KB in the flattened JWS JSON serialization (RFC 9901 §8.2):
// disclosures and the KB-JWT travel in the unprotected header, and the
// KB-JWT's sd_hash covers the compact equivalent.
func ExampleVerifyJSON() {
	issuer, holder := mustSigner(), mustSigner()
	holderJWK, _ := jose.NewJWK(holder.Public())
	now := time.Unix(1750000000, 0)

	tok, _ := sdjwt.Issue(map[string]any{
		"iss":        "https://issuer.example.org",
		"cnf":        map[string]any{"jwk": holderJWK.Map()},
		"given_name": "Amina",
		"birthdate":  "1990-04-12",
	}, sdjwt.IssueOptions{Signer: issuer, Header: map[string]any{"typ": "example+sd-jwt"}, Disclosable: []string{"/given_name", "/birthdate"}})
	tok.Unprotected = map[string]any{"kid": "issuer-key-1"}

	pres, _ := tok.Select([]string{"/birthdate"})
	pres, _ = pres.WithKeyBinding(holder, sdjwt.KBOptions{Audience: "https://verifier.example.org", Nonce: "abc123", IssuedAt: now})
	b, _ := pres.MarshalJSONSerialization(false)

	v, err := sdjwt.VerifyJSON(b, sdjwt.VerifyOptions{
		IssuerKey: func(h jose.Header, _ map[string]any) (crypto.PublicKey, error) {
			if h.Kid != "issuer-key-1" { // from the unprotected header: a hint, not a proof
				return nil, fmt.Errorf("unknown kid %q", h.Kid)
			}
			return issuer.Public(), nil
		},
		IssuerTyp:         "example+sd-jwt",
		RequireKeyBinding: true,
		Nonce:             "abc123",
		Audience:          "https://verifier.example.org",
		Now:               func() time.Time { return now },
	})
	if err != nil {
		fmt.Println(sdjwt.Code(err), err)
		return
	}
	fmt.Println(v.Claims["birthdate"], v.Claims["given_name"] == nil, strings.HasPrefix(string(b), `{"header":{"disclosures":[`))
	// Output:
	// 1990-04-12 true true
}
