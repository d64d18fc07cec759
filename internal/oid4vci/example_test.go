package oid4vci_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vci"
)

// A wallet scans an offer QR, asks the holder for the transaction code
// and receives a credential bound to its holder key, then tells the
// issuer it stored it. (The issuer here is an in-test fake; a wallet
// leaves HTTPClient nil to get the SSRF-guarded httpx client.)
func ExampleClient_RunPreAuthorized() {
	issuer := startFake("493536")
	defer issuer.srv.Close()

	holder, _ := keys.Generate(jose.ES256, nil)
	c := oid4vci.NewClient(oid4vci.ClientOptions{HTTPClient: issuer.srv.Client(), Now: func() time.Time { return issuer.now }})
	ctx := context.Background()

	offer, err := c.ResolveOffer(ctx, issuer.offerURI()) // the scanned QR
	if err != nil {
		fmt.Println(err)
		return
	}
	tx := offer.PreAuthorized().TxCode
	fmt.Printf("asks for a %s code of %d: %q\n", tx.InputMode, tx.Length, tx.Description)

	_, err = c.RunPreAuthorized(ctx, oid4vci.PreAuthorizedRequest{Offer: offer, TxCode: "000000", Holder: holder.JoseSigner()})
	fmt.Println("wrong code:", oid4vci.ErrorCode(err), errors.Is(err, &oid4vci.ErrorResponse{Code: oid4vci.ErrorInvalidGrant}))

	is, err := c.RunPreAuthorized(ctx, oid4vci.PreAuthorizedRequest{Offer: offer, TxCode: "493536", Holder: holder.JoseSigner()})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(is.ConfigurationID, len(is.Credentials), "credential, notification", is.NotificationID)
	fmt.Println("notify:", c.Notify(ctx, is, oid4vci.EventCredentialAccepted, ""))
	// Output:
	// asks for a numeric code of 6: "Type the code the desk gave you"
	// wrong code: invalid_grant true
	// registration.v1 1 credential, notification notif-1
	// notify: <nil>
}

// Metadata lives at the well-known path inserted before the issuer
// identifier's path (OpenID4VCI 1.0 §12.2.2).
func ExampleIssuerMetadataURL() {
	for _, id := range []string{"https://host/issuers/clinic", "https://issuer.example"} {
		u, _ := oid4vci.IssuerMetadataURL(id)
		fmt.Println(u)
	}
	// Output:
	// https://host/.well-known/openid-credential-issuer/issuers/clinic
	// https://issuer.example/.well-known/openid-credential-issuer
}

// An offer by reference yields the URL to fetch; an offer by value the
// validated offer itself.
func ExampleParseOfferURI() {
	ou, err := oid4vci.ParseOfferURI("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example%2Foffers%2F7", oid4vci.Options{})
	fmt.Println(ou.URI, err)
	_, err = oid4vci.ParseOfferURI("openid-credential-offer://?credential_offer_uri=http%3A%2F%2Fissuer.example%2Foffers%2F7", oid4vci.Options{})
	fmt.Println(errors.Is(err, oid4vci.ErrInvalidOffer))
	// Output:
	// https://issuer.example/offers/7 <nil>
	// true
}

// The issuer checks a wallet's key proof and learns the key to bind.
func ExampleCheckProof() {
	holder, _ := keys.Generate(jose.ES256, nil)
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	proof, _ := oid4vci.NewProof(holder.JoseSigner(), oid4vci.ProofParams{Audience: "https://issuer.example", Nonce: "c-nonce-1", IssuedAt: now})

	p, err := oid4vci.CheckProof(context.Background(), proof, oid4vci.CheckParams{
		Audiences: []string{"https://issuer.example"}, Now: now.Add(30 * time.Second), RequireNonce: true, Anonymous: true,
	})
	fmt.Println(err, p.Nonce, p.JWK.Equal(holder.PublicJWK()))
	_, err = oid4vci.CheckProof(context.Background(), proof, oid4vci.CheckParams{Audiences: []string{"https://other.example"}, Now: now})
	fmt.Println(oid4vci.ProofErrorCode(err))
	// Output:
	// <nil> c-nonce-1 true
	// invalid_proof
}
