package schemas_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/cairn-id/cairn/schemas"
)

// TestValidateDecoded: claims as a JSON decoder produced them (numbers as
// json.Number or float64) are judged exactly as Validate judges them
// after its round trip; Go values outside the data model fall back to it.
func TestValidateDecoded(t *testing.T) {
	cat, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	typ, err := cat.Lookup("urn:cairn:vct:identity-attestation:1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{
		`{"family_name":"Haddad","given_name":"Amina","birthdate":"1990-04-02"}`,
		`{"family_name":"Haddad","given_name":"Amina","birthdate":"1990-04-02","sex":1,"nationalities":["SY"]}`,
		`{"family_name":"Haddad","given_name":"Amina","birthdate":"02/04/1990"}`,
		`{"family_name":"Haddad","given_name":"Amina","birthdate":"1990-04-02","sex":1.5}`,
		`{"family_name":"Haddad","given_name":"Amina","birthdate":"1990-04-02","sex":"f"}`,
		`{"family_name":7,"given_name":null,"birthdate":true}`,
		`{"family_name":"Haddad","evidence":{"strength":9}}`,
		`{}`,
	} {
		for _, useNumber := range []bool{true, false} {
			d := json.NewDecoder(bytes.NewReader([]byte(c)))
			if useNumber {
				d.UseNumber()
			}
			var m map[string]any
			if err := d.Decode(&m); err != nil {
				t.Fatal(err)
			}
			want, got := fmt.Sprint(typ.Validate(m)), fmt.Sprint(typ.ValidateDecoded(m))
			if got != want {
				t.Errorf("%s (UseNumber %v): ValidateDecoded %s, Validate %s", c, useNumber, got, want)
			}
		}
	}
	goValues := map[string]any{"family_name": "Haddad", "given_name": "Amina", "birthdate": "1990-04-02", "sex": 1, "nationalities": []string{"SY"}}
	if err := typ.ValidateDecoded(goValues); err != nil {
		t.Errorf("Go values: %v", err)
	}
	if err := typ.ValidateDecoded(map[string]any{"family_name": "Haddad", "given_name": "Amina", "birthdate": "1990-04-02", "sex": "x"}); err == nil {
		t.Error("an invalid claim passed")
	}
}
