package vccheck_test

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jwp"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/vccheck"
)

// A verifier of a jpt credential finds the issuer's BBS key by the Issuer
// Header's kid among the registered keys of the entity named by iss, then
// asks whether that key was authorized for the vct on the day of iat.
func ExampleBBSKeyAuthorized() {
	bbsKey, _ := jwp.GenerateKey(rand.Reader)
	from := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	const iss, vct = "did:web:ngo.example", "urn:cairn:vct:humanitarian-registration:1"
	reg := &trust.Registry{Entities: []trust.Entity{{
		DID: iss, Role: trust.RoleIssuer, Status: trust.StatusActive, ValidFrom: from,
		IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: vct, MaxStrength: 2, MaxValidity: 2, From: from, Until: from.Add(48 * time.Hour)}},
		Keys:                 []trust.EntityKey{{DID: did.FromBBSKey(&bbsKey.Public), From: from}},
	}}}

	pub, err := vccheck.BBSIssuerKey(reg, iss, bbsKey.Public.Kid) // kid from the Issuer Header
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, iat := range []time.Time{
		time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), // the day the authorization began
		time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC), // after it ended
	} {
		d, _ := vccheck.BBSKeyAuthorized(reg, iss, pub, vct, iat)
		fmt.Println(iat.Format("2006-01-02"), d.Authorized, d.Reason)
	}
	// Output:
	// 2026-05-01 true authorized
	// 2026-05-04 false authorization_not_valid_at_time
}
