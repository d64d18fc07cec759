package schemas_test

import (
	"errors"
	"fmt"

	"github.com/cairn-id/cairn/schemas"
)

func ExampleLoad() {
	cat, err := schemas.Load()
	if err != nil {
		panic(err)
	}
	t, err := cat.Lookup("urn:cairn:vct:community-vouching:1")
	if err != nil {
		panic(err)
	}
	fmt.Println(t.DisplayName("fr"))
	fmt.Println("max TTL:", t.MaxTTL)
	fmt.Printf("default evidence: %+v\n", t.DefaultEvidence)
	_, err = cat.Lookup("urn:cairn:vct:passport:1")
	fmt.Println(errors.Is(err, schemas.ErrUnknownType))
	// Output:
	// Attestation communautaire
	// max TTL: 2160h0m0s
	// default evidence: {Strength:1 Validity:1 Verification:0 IdentityFraud:0 KnownSince: Method:vouching}
	// true
}

func ExampleType_Validate() {
	cat, _ := schemas.Load()
	t, _ := cat.Lookup("urn:cairn:vct:identity-attestation:1")
	err := t.Validate(map[string]any{
		"family_name":   "Kovalenko",
		"given_name":    "Olena",
		"birthdate":     "1987-02-30",
		"nationalities": []string{"UA", "XX"},
		"evidence":      schemas.Evidence{Strength: 5, Validity: 2},
	})
	var ve *schemas.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Println(p.Pointer, p.Message)
		}
	}
	// Output:
	// /birthdate must be a date YYYY-MM-DD
	// /evidence/strength must be at most 4
	// /nationalities/1 is not one of the allowed values
}

func ExampleType_Label() {
	cat, _ := schemas.Load()
	t, _ := cat.Lookup("urn:cairn:vct:identity-attestation:1")
	for _, lang := range []string{"en", "fr-CA", "ar", "uk-UA", "de"} {
		fmt.Println(lang, t.Label([]any{"place_of_birth"}, lang))
	}
	fmt.Println(t.Label([]any{"name_variants", 0, "script"}, "fr"))
	// Output:
	// en Place of birth
	// fr-CA Lieu de naissance
	// ar مكان الميلاد
	// uk-UA Місце народження
	// de Place of birth
	// Système d'écriture
}

func ExampleType_DisclosablePaths() {
	cat, _ := schemas.Load()
	t, _ := cat.Lookup("urn:cairn:vct:language-skills:1")
	fmt.Println(t.DisclosablePaths())
	fmt.Println(t.SDPolicy([]any{"evidence"}), t.SDPolicy([]any{"languages", 0}))
	// Output:
	// [/family_name /given_name /languages /languages/* /assessed_on /assessment_method]
	// never always
}

func ExampleType_ClaimFields() {
	cat, _ := schemas.Load()
	t, _ := cat.Lookup("urn:cairn:vct:humanitarian-registration:1")
	for _, f := range t.ClaimFields("en")[:3] {
		fmt.Printf("%s %s required=%v %q\n", f.Pointer, f.Kind, f.Required, f.Label)
		for _, m := range f.Fields {
			fmt.Printf("  %s %s %q (%d choices)\n", m.Pointer, m.Kind, m.Label, len(m.Enum))
		}
	}
	// Output:
	// /registration_id string required=true "Registration number"
	// /registration_date date required=true "Date of registration"
	// /registration_place object required=true "Place of registration"
	//   /registration_place/country string "Country" (249 choices)
	//   /registration_place/region string "Region" (0 choices)
	//   /registration_place/locality string "Town or city" (0 choices)
	//   /registration_place/site string "Site or camp" (0 choices)
}

// Operator text becomes claim values by the claim's description: the same
// at a prompt and in a CSV cell. Errors name the claim and the rule, never
// the text.
func ExampleType_ParseClaimInput() {
	cat, err := schemas.Load()
	if err != nil {
		panic(err)
	}
	t, _ := cat.Lookup("urn:cairn:vct:identity-attestation:1")
	v, _ := t.ParseClaimInput("/nationalities", "ua; pl", schemas.InputOptions{})
	fmt.Printf("%#v\n", v)
	v, _ = t.ParseClaimInput("/sex", "2", schemas.InputOptions{})
	fmt.Printf("%#v\n", v)
	_, err = t.ParseClaimInput("/sex", "female", schemas.InputOptions{})
	fmt.Println(err, errors.Is(err, schemas.ErrNotWholeNumber))
	_, err = t.ParseClaimInput("/birthdate", "31/01/1985", schemas.InputOptions{})
	fmt.Println(err)

	claims, err := t.ClaimsFromText([]schemas.ClaimText{
		{Path: []any{"family_name"}, Text: "Kovalenko"},
		{Path: []any{"given_name"}, Text: "Olena"},
		{Path: []any{"birthdate"}, Text: "1987-02-28"},
		{Path: []any{"birthdate_precision"}, Text: "Day"},
	}, schemas.InputOptions{})
	fmt.Println(claims, err)
	// Output:
	// []interface {}{"UA", "PL"}
	// 2
	// /sex must be a whole number true
	// /birthdate must be a date YYYY-MM-DD
	// map[birthdate:1987-02-28 birthdate_precision:day family_name:Kovalenko given_name:Olena] <nil>
}
