package assurance_test

import (
	"fmt"
	"time"

	"github.com/cairn-id/cairn/internal/assurance"
	"github.com/cairn-id/cairn/schemas"
)

// Three weak attestations from three issuers over eight months meet the
// "accreted" profile of the basic-services policy, which none of them
// meets alone.
func Example() {
	policy, err := assurance.Load("basic-services")
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	person := assurance.Identity{FamilyName: "Yusuf", GivenName: "Amina", Birthdate: "1990-05-01"}
	weak := schemas.Evidence{Strength: 1, Validity: 1}
	capsWeak := &assurance.Caps{Strength: 1, Validity: 1, Verification: 1, IdentityFraud: 1}
	creds := []assurance.Credential{
		{ID: "clinic", Issuer: "did:web:clinic.example", VCT: "urn:cairn:vct:health-attestation:1",
			IssuedAt: now.AddDate(0, -9, 0), HolderKey: "k", Evidence: weak, Caps: capsWeak, Identity: person},
		{ID: "vouch", Issuer: "did:web:ngo.example", VCT: "urn:cairn:vct:community-vouching:1",
			IssuedAt: now.AddDate(0, -5, 0), HolderKey: "k", Caps: capsWeak, Identity: person,
			// Declares more than the registry allows this issuer: capped to 1.
			Evidence: schemas.Evidence{Strength: 3, Validity: 3, Verification: 2}},
		{ID: "school", Issuer: "did:web:school.example", VCT: "urn:cairn:vct:education-qualification:1",
			IssuedAt: now.AddDate(0, -1, 0), HolderKey: "k", Evidence: weak, Caps: capsWeak, Identity: person},
	}
	res, err := assurance.Evaluate(policy, creds, now)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Summary)
	fmt.Printf("activity history: %d days (score %d)\n", res.Met.ActivityDays, res.Met.ActivityScore)
	for _, c := range res.Credentials {
		fmt.Printf("%s: %s\n", c.CredentialID, c.Message)
	}

	res, _ = assurance.Evaluate(policy, creds[1:2], now)
	fmt.Println(res.Summary)
	// Output:
	// Meets profile accreted of policy basic-services (version 2); eIDAS level as advice: low.
	// activity history: 245 days (score 1)
	// clinic: fills evidence slot 1 (strength 1, validity 1 or more)
	// vouch: fills evidence slot 2 (strength 1, validity 1 or more); the registry caps this issuer for this type, lowering strength 3 to 1, validity 3 to 1, verification 2 to 1
	// school: fills evidence slot 3 (strength 1, validity 1 or more)
	// Meets no profile of policy basic-services (version 2). The nearest, one-registration, still needs one more attestation from a distinct issuer, of strength 2 and validity 2 or more.
}
