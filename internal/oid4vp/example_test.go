package oid4vp_test

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/sdjwt"
)

const query = `{
  "credentials": [{
    "id": "pid",
    "format": "dc+sd-jwt",
    "meta": {"vct_values": ["urn:cairn:identity"]},
    "claims": [
      {"id": "name", "path": ["family_name"]},
      {"id": "city", "path": ["address", "locality"]},
      {"id": "langs", "path": ["languages", null]}
    ],
    "claim_sets": [["name", "city"], ["name", "langs"]]
  }]
}`

// The wallet side: which credential answers the query and exactly which
// claims would leave.
func ExampleEvaluate() {
	q, err := oid4vp.ParseQuery([]byte(query))
	if err != nil {
		panic(err)
	}
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	issuer, _ := jose.NewSigner(k, nil)
	holder, _ := jose.NewJWK(&k.PublicKey)
	tok, _ := sdjwt.Issue(map[string]any{
		"vct": "urn:cairn:identity", "cnf": map[string]any{"jwk": holder.Map()},
		"family_name": "Haddad", "languages": []any{"ar", "fr"},
	}, sdjwt.IssueOptions{Signer: issuer, Disclosable: []string{"/family_name", "/languages", "/languages/*"}})
	cred, _ := oid4vp.NewSDJWTCredential(tok)

	r := oid4vp.Evaluate(q, []oid4vp.Credential{cred})
	m := r.Query("pid").Matches[0]
	fmt.Println("satisfiable:", r.Satisfiable, "answer:", r.Answer)
	fmt.Println("claim set:", m.ClaimSet)
	fmt.Println("disclose:", m.Pointers())
	// Output:
	// satisfiable: true answer: [pid]
	// claim set: 1
	// disclose: [/family_name /languages/0 /languages/1]
}

// The verifier signs a request object; the wallet parses the scanned URI
// and verifies the object against the DID in the client id.
func ExampleVerifyRequestObject() {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwk, _ := jose.NewJWK(&k.PublicKey)
	verifierDID := did.FromJWK(jwk)
	signer, _ := jose.NewSigner(k, nil)
	signer = signer.WithKeyID(verifierDID + "#0")
	q, _ := oid4vp.ParseQuery([]byte(query))
	clientID := oid4vp.PrefixDecentralizedIdentifier + ":" + verifierDID
	tok, err := oid4vp.SignRequestObject(signer, &oid4vp.AuthorizationRequest{
		ClientID: clientID, ResponseType: oid4vp.ResponseTypeVPToken,
		ResponseMode: oid4vp.ResponseModeDirectPost, ResponseURI: "https://verifier.example/response/1",
		Nonce: "fresh-nonce", State: "s-1", DCQLQuery: q,
	}, oid4vp.SignOptions{})
	if err != nil {
		panic(err)
	}
	uri, _ := oid4vp.BuildRequestURI(clientID, "https://verifier.example/request/1", oid4vp.RequestURIMethodGet)

	// Wallet: parse the scanned text, fetch tok from ru.RequestURI, verify.
	ru, err := oid4vp.ParseRequestURI(uri, oid4vp.Options{})
	if err != nil {
		panic(err)
	}
	req, err := oid4vp.VerifyRequestObject(context.Background(), tok, oid4vp.VerifyOptions{
		ClientID: ru.ClientID, Resolver: &did.Resolver{}, Now: time.Now,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(req.ResponseMode, req.Nonce, req.DCQLQuery.Credentials[0].ID)
	fmt.Println("KB aud is the full client id:", oid4vp.KBAudience(req.ClientID) == clientID)
	// Output:
	// direct_post fresh-nonce pid
	// KB aud is the full client id: true
}

// direct_post.jwt: the wallet encrypts to the key in client_metadata, the
// verifier decrypts with the session's private key.
func ExampleResponse_EncryptedForm() {
	sessionKey, _ := ecdh.P256().GenerateKey(rand.Reader)
	encJWK, _ := jose.NewECDHJWK(sessionKey.PublicKey())
	encJWK.Kid = "session-1"
	req := &oid4vp.AuthorizationRequest{ClientMetadata: &oid4vp.ClientMetadata{
		JWKS:                                &oid4vp.JWKS{Keys: []jose.JWK{*encJWK}},
		EncryptedResponseEncValuesSupported: []string{jose.A128GCM},
	}}
	form, err := (&oid4vp.Response{VPToken: oid4vp.VPToken{"pid": {"eyJ...~WyJ...~eyJ..."}}, State: "s-1"}).EncryptedForm(req, nil)
	if err != nil {
		panic(err)
	}
	resp, err := oid4vp.ParseResponse([]byte(form.Encode()), oid4vp.ResponseOptions{Mode: oid4vp.ResponseModeDirectPostJWT, Key: sessionKey})
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Encrypted, resp.State, resp.VPToken.IDs())
	// Output: true s-1 [pid]
}

func ExampleErrorResponse() {
	f, _ := oid4vp.ErrorResponse("s-1").Form()
	fmt.Println(f.Encode())
	// Output: error=access_denied&state=s-1
}
