package schemas

import (
	"slices"
	"strings"
	"testing"
)

// findField returns the field at pointer in the tree fs.
func findField(fs []Field, pointer string) *Field {
	for i := range fs {
		if fs[i].Pointer == pointer {
			return &fs[i]
		}
		if f := findField(fs[i].Fields, pointer); f != nil {
			return f
		}
	}
	return nil
}

func TestClaimFields(t *testing.T) {
	c := mustLoad(t)
	for _, tc := range []struct {
		vct, lang, pointer string
		kind               FieldKind
		required           bool
		label              string
		enum               []string // nil: no enum; otherwise the first values
		pattern            string
		maxItems           int
		members            []string
	}{
		{vct: "urn:cairn:vct:humanitarian-registration:1", lang: "en", pointer: "/registration_id", kind: KindString, required: true, label: "Registration number", pattern: "^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"},
		{vct: "urn:cairn:vct:humanitarian-registration:1", lang: "fr", pointer: "/registration_date", kind: KindDate, required: true, label: "Date d'enregistrement", pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
		{vct: "urn:cairn:vct:humanitarian-registration:1", lang: "en", pointer: "/registration_place", kind: KindObject, required: true, label: "Place of registration",
			members: []string{"/registration_place/country", "/registration_place/region", "/registration_place/locality", "/registration_place/site"}},
		{vct: "urn:cairn:vct:humanitarian-registration:1", lang: "en", pointer: "/registration_place/country", kind: KindString, label: "Country", enum: []string{"AD", "AE"}},
		{vct: "urn:cairn:vct:humanitarian-registration:1", lang: "uk", pointer: "/household_size", kind: KindInteger, label: "Кількість членів домогосподарства"},
		{vct: "urn:cairn:vct:identity-attestation:1", lang: "ar", pointer: "/birthdate", kind: KindDate, required: true, label: "تاريخ الميلاد", pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
		{vct: "urn:cairn:vct:identity-attestation:1", lang: "en", pointer: "/birthdate_precision", kind: KindString, enum: []string{"day", "month", "year"}, label: "Precision of the date of birth"},
		{vct: "urn:cairn:vct:identity-attestation:1", lang: "en", pointer: "/sex", kind: KindInteger, enum: []string{"0", "1", "2", "3", "4", "5", "6", "9"}, label: "Sex"},
		{vct: "urn:cairn:vct:identity-attestation:1", lang: "en", pointer: "/nationalities", kind: KindStringArray, enum: []string{"AD", "AE"}, maxItems: 10, label: "Nationalities"},
		{vct: "urn:cairn:vct:identity-attestation:1", lang: "en", pointer: "/name_variants", kind: KindObjectArray, maxItems: 20, label: "Other spellings of the name",
			members: []string{"/name_variants/*/script", "/name_variants/*/source", "/name_variants/*/family_name", "/name_variants/*/given_name"}},
		{vct: "urn:cairn:vct:identity-attestation:1", lang: "en", pointer: "/name_variants/*/script", kind: KindString, required: true, pattern: "^[A-Z][a-z]{3}$", label: "Writing system"},
		{vct: "urn:cairn:vct:health-attestation:1", lang: "en", pointer: "/vaccinations/*/up_to_date", kind: KindBoolean, required: true, label: "Up to date"},
		{vct: "urn:cairn:vct:residence-status:1", lang: "en", pointer: "/right_to_work", kind: KindBoolean, label: "Allowed to work"},
	} {
		t.Run(tc.vct+tc.pointer, func(t *testing.T) {
			typ, err := c.Lookup(tc.vct)
			if err != nil {
				t.Fatal(err)
			}
			f := findField(typ.ClaimFields(tc.lang), tc.pointer)
			if f == nil {
				t.Fatalf("no field %s", tc.pointer)
			}
			if f.Kind != tc.kind || f.Required != tc.required || f.Pattern != tc.pattern || f.MaxItems != tc.maxItems {
				t.Errorf("got kind %s required %v pattern %q maxItems %d, want %s %v %q %d", f.Kind, f.Required, f.Pattern, f.MaxItems, tc.kind, tc.required, tc.pattern, tc.maxItems)
			}
			if f.Label != tc.label {
				t.Errorf("label %q, want %q", f.Label, tc.label)
			}
			if (tc.enum == nil) != (f.Enum == nil) || len(f.Enum) < len(tc.enum) || !slices.Equal(f.Enum[:len(tc.enum)], tc.enum) {
				t.Errorf("enum %v, want it to start with %v", f.Enum, tc.enum)
			}
			var members []string
			for _, m := range f.Fields {
				members = append(members, m.Pointer)
			}
			if !slices.Equal(members, tc.members) {
				t.Errorf("members %v, want %v", members, tc.members)
			}
		})
	}
}

// TestClaimFieldsOrderAndScope: required claims first, then metadata
// order; no evidence or layer claims; every field of every type has a
// kind a form can read and a real label.
func TestClaimFieldsOrderAndScope(t *testing.T) {
	c := mustLoad(t)
	typ, _ := c.Lookup("urn:cairn:vct:humanitarian-registration:1")
	var got []string
	for _, f := range typ.ClaimFields("en") {
		got = append(got, f.Pointer)
	}
	want := []string{"/registration_id", "/registration_date", "/registration_place", "/family_name", "/given_name", "/birthdate", "/household_size", "/case_id", "/birthdate_precision"}
	if !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	var walk func(vct string, fs []Field)
	walk = func(vct string, fs []Field) {
		for _, f := range fs {
			if f.Kind == KindUnsupported || f.Kind == "" {
				t.Errorf("%s %s: kind %q", vct, f.Pointer, f.Kind)
			}
			if strings.HasPrefix(f.Pointer, "/evidence") || isLayerClaim(strings.TrimPrefix(f.Pointer, "/")) {
				t.Errorf("%s lists %s", vct, f.Pointer)
			}
			for _, lang := range RequiredLocales() {
				if l := typ.Label(f.Path, lang); l == "" {
					t.Errorf("%s %s: no %s label", vct, f.Pointer, lang)
				}
			}
			if (f.Kind == KindObject || f.Kind == KindObjectArray) != (len(f.Fields) > 0) {
				t.Errorf("%s %s: kind %s with %d members", vct, f.Pointer, f.Kind, len(f.Fields))
			}
			walk(vct, f.Fields)
		}
	}
	for _, ty := range c.Types() {
		typ = ty
		fs := ty.ClaimFields("en")
		if len(fs) == 0 {
			t.Errorf("%s: no fields", ty.VCT)
		}
		seenOptional := false
		for _, f := range fs {
			if !f.Required {
				seenOptional = true
			} else if seenOptional {
				t.Errorf("%s: required %s after an optional claim", ty.VCT, f.Pointer)
			}
			if f.Label == strings.TrimPrefix(f.Pointer, "/") {
				t.Errorf("%s %s: label fell back to the claim name", ty.VCT, f.Pointer)
			}
		}
		walk(ty.VCT, fs)
	}
	// A fresh copy: changing the result does not change the next one.
	fs := typ.ClaimFields("en")
	fs[0].Label = "changed"
	if typ.ClaimFields("en")[0].Label == "changed" {
		t.Error("ClaimFields shares its result")
	}
}
