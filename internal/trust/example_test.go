package trust_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cairn-id/cairn/internal/httpx"
	"github.com/cairn-id/cairn/internal/trust"
)

func ExampleRegistry_IssuerAuthorized() {
	day := 24 * time.Hour
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	reg := &trust.Registry{
		Authority: "did:example:board",
		Entities: []trust.Entity{{
			DID: "did:example:ngo", Role: trust.RoleIssuer, Status: trust.StatusSuspended,
			Names:     map[string]string{"en": "Helping Hands"},
			ValidFrom: start,
			StatusHistory: []trust.StatusChange{
				{Status: trust.StatusActive, At: start},
				{Status: trust.StatusSuspended, At: start.Add(30 * day), Reason: "audit"},
			},
			IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: "urn:cairn:identity", MaxStrength: 2, MaxValidity: 2, From: start}},
		}},
	}
	for _, iat := range []time.Time{start.Add(10 * day), start.Add(40 * day)} {
		d, _ := reg.IssuerAuthorized("did:example:ngo", "urn:cairn:identity", iat)
		fmt.Printf("issued %s: authorized=%v reason=%s issuer now %s\n", iat.Format("2006-01-02"), d.Authorized, d.Reason, d.CurrentStatus)
	}
	// Output:
	// issued 2026-01-11: authorized=true reason=authorized issuer now suspended
	// issued 2026-02-10: authorized=false reason=suspended_at_time issuer now suspended
}

func ExampleRegistry_VerifierMayRequest() {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	reg := &trust.Registry{Entities: []trust.Entity{{
		DID: "did:example:desk", Role: trust.RoleVerifier, Status: trust.StatusActive, ValidFrom: start,
		VerifierAuthorizations: []trust.VerifierAuthorization{{Purpose: "shelter-intake", Claims: []string{"/family_name", "/given_name"}, From: start}},
	}}}
	d, _ := reg.VerifierMayRequest("did:example:desk", "shelter-intake", []string{"family_name", "birthdate"}, start.Add(time.Hour))
	fmt.Println(d.Authorized, d.Reason, d.OutsidePurpose)
	// Output: false claims_outside_purpose [/birthdate]
}

func ExampleCapEvidence() {
	auth := trust.IssuerAuthorization{VCT: "urn:cairn:identity", MaxStrength: 2, MaxValidity: 3}
	fmt.Println(trust.CapEvidence(auth, 4, 2, 3))
	// Output: 2 2 0
}

func ExampleFileSource() {
	// A verifier desk's registry file: a snapshot or an offline bundle.
	// (This one does not exist, so the source says it could not read it.)
	src := trust.FileSource("/nonexistent/registry.jwt", trust.SourceOptions{
		Pinned: nil, // the authority keys pinned at setup
	})
	_, err := src.Load(context.Background())
	fmt.Println(errors.Is(err, trust.ErrSourceUnreadable))
	// Output: true
}

func ExampleHTTPSource() {
	// The snapshot an authority serves, kept in a cache that never goes
	// back to an older version.
	src := trust.HTTPSource("https://registry.example/registry/snapshot", "/var/lib/cairn/registry.jwt",
		httpx.NewClient(httpx.Options{}), trust.SourceOptions{Pinned: nil})
	_ = src // src.Load(ctx) fetches; src.Cached(ctx) answers offline.
}
