package sdjwtvc_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
)

func ExamplePresent() {
	issuer, _ := keys.Generate(jose.ES256, nil)
	holder, _ := keys.Generate(jose.ES256, nil)
	now := func() time.Time { return time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC) }
	cred, _ := sdjwtvc.Issue(sdjwtvc.Credential{
		VCT: "urn:cairn:vct:humanitarian-registration:1", Issuer: issuer.DIDJWK(), IssuedAt: now(),
		HolderJWK:   holder.PublicJWK(),
		Claims:      map[string]any{"given_name": "Amina", "family_name": "Yusuf"},
		Disclosable: []string{"/given_name", "/family_name"},
	}, sdjwtvc.IssueOptions{Signer: issuer.JoseSigner().WithKeyID(issuer.DIDJWK() + "#0")})

	// The holder shows only the given name to the desk that sent nonce n-1.
	pres, err := sdjwtvc.Present(cred, holder.JoseSigner(), sdjwtvc.PresentOptions{
		Paths: []string{"/given_name"}, Audience: "https://desk.example", Nonce: "n-1", Now: now,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := sdjwtvc.Verify(context.Background(), pres, sdjwtvc.VerifyOptions{
		Trust:             sdjwtvc.Trust{TrustedDIDs: []string{issuer.DIDJWK()}, Resolver: &did.Resolver{}},
		RequireKeyBinding: true, Nonce: "n-1", Audience: "https://desk.example", Now: now,
	})
	fmt.Println(r.Claims["given_name"], r.Claims["family_name"], err)
	// Output: Amina <nil> <nil>
}
