package oid4vp

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const jptQuery = `{"credentials":[{"id":"reg","format":"jpt","require_cryptographic_holder_binding":false,
 "meta":{"vct_values":["urn:cairn:vct:humanitarian-registration:1"]},
 "claims":[{"path":["given_name"]},{"path":["registration_id"]}]}]}`

func jptCred(claims map[string]any) *JPTCredential {
	return &JPTCredential{Type: "urn:cairn:vct:humanitarian-registration:1", Tree: claims}
}

func TestJPTQueryValidation(t *testing.T) {
	for _, tc := range []struct {
		name, q, want string
	}{
		{"ok", jptQuery, ""},
		{"nested path", `{"credentials":[{"id":"a","format":"jpt","meta":{"vct_values":["x"]},"claims":[{"path":["registration_place","country"]}]}]}`, "top-level claims only"},
		{"array path", `{"credentials":[{"id":"a","format":"jpt","meta":{"vct_values":["x"]},"claims":[{"path":[null]}]}]}`, "top-level claims only"},
		{"no vct_values", `{"credentials":[{"id":"a","format":"jpt","meta":{},"claims":[{"path":["a"]}]}]}`, "vct_values is required for jpt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseQuery([]byte(tc.q))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidQuery) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestJPTEvaluate(t *testing.T) {
	q, err := ParseQuery([]byte(jptQuery))
	if err != nil {
		t.Fatal(err)
	}
	full := jptCred(map[string]any{"iss": "did:jwk:x", "given_name": "Amina", "registration_id": "R-1", "family_name": "Okafor"})
	partial := jptCred(map[string]any{"given_name": "Amina"})
	sd := issue(t, "urn:cairn:vct:humanitarian-registration:1", map[string]any{"given_name": "Amina", "registration_id": "R-1"}, true)
	r := Evaluate(q, []Credential{sd, partial, full})
	if !r.Satisfiable {
		t.Fatalf("not satisfiable: %v", r.Missing)
	}
	qr := r.Query("reg")
	if len(qr.Matches) != 1 || qr.Matches[0].Index != 2 {
		t.Fatalf("matches %+v, want only the full jpt credential (index 2)", qr.Matches)
	}
	if got, want := qr.Matches[0].Pointers(), []string{"/given_name", "/registration_id"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("pointers %v, want %v", got, want)
	}
	for _, c := range qr.Matches[0].Claims {
		if !c.Disclosable {
			t.Fatalf("claim %v not disclosable: every jpt top-level claim is", c.Path)
		}
	}
	if len(qr.Rejected) != 1 || qr.Rejected[0].Index != 1 {
		t.Fatalf("rejected %+v", qr.Rejected)
	}

	// The default (holder binding required) rejects every jpt credential.
	q2, _ := ParseQuery([]byte(strings.Replace(jptQuery, `"require_cryptographic_holder_binding":false,`, "", 1)))
	r2 := Evaluate(q2, []Credential{full})
	if r2.Satisfiable || !strings.Contains(r2.Query("reg").Reason, "bound to a holder key") {
		t.Fatalf("holder binding required but jpt matched: %+v", r2.Query("reg"))
	}
}

func TestJPTCheckResponse(t *testing.T) {
	q, _ := ParseQuery([]byte(jptQuery))
	pres := jptCred(map[string]any{"iat": 1, "given_name": "Amina", "registration_id": "R-1", "family_name": "Okafor"})
	rc, err := CheckResponse(q, map[string][]Credential{"reg": {pres}})
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
	for _, e := range rc.Extra {
		extra = append(extra, e.Path.Pointer())
	}
	if want := []string{"/family_name", "/iat"}; !reflect.DeepEqual(extra, want) {
		t.Fatalf("extra %v, want %v", extra, want)
	}
	if _, err := CheckResponse(q, map[string][]Credential{"reg": {jptCred(map[string]any{"given_name": "Amina"})}}); !errors.Is(err, ErrResponseMismatch) {
		t.Fatalf("a presentation without registration_id: %v", err)
	}
	// An SD-JWT presentation does not answer a jpt query.
	sd := issue(t, "urn:cairn:vct:humanitarian-registration:1", map[string]any{"given_name": "Amina", "registration_id": "R-1"}, true)
	if _, err := CheckResponse(q, map[string][]Credential{"reg": {sd}}); !errors.Is(err, ErrResponseMismatch) {
		t.Fatalf("sd-jwt for a jpt query: %v", err)
	}
}
