package sdjwt

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
)

// TestRoundTrip runs Issue → Select → WithKeyBinding → Verify over nested
// objects, arrays, recursive disclosures and decoys with every supported
// issuer and holder key type.
func TestRoundTrip(t *testing.T) {
	claims := map[string]any{
		"iss": "https://issuer.example.org", "iat": 1749990000, "exp": 1900000000,
		"given_name": "Amina", "family_name": "Haddad",
		"address":       map[string]any{"street_address": "12 Nile Rd", "locality": "Khartoum", "country": "SD"},
		"nationalities": []any{"SD", "EG", "UN"},
		"degrees":       []any{map[string]any{"type": "BSc", "year": 2012}, map[string]any{"type": "MSc", "year": 2015}},
		"big":           json.Number("123456789012345678901234567890"),
		"note":          "<b>&amp;</b> \u2028 \"quoted\" Möbius",
	}
	disclosable := []string{
		"/given_name", "/family_name", "/address", "/address/street_address", "/address/locality",
		"/nationalities/*", "/degrees/*", "/degrees/*/year", "/big", "/note",
	}
	cases := []struct {
		name   string
		sel    []string
		decoys int
		want   map[string]any // besides iss, iat, exp, cnf
	}{
		{"nothing", nil, 0, map[string]any{"address": nil, "nationalities": []any{}, "degrees": []any{}}},
		{"flat claims", []string{"/given_name", "/big", "/note"}, 3, map[string]any{
			"given_name": "Amina", "big": json.Number("123456789012345678901234567890"), "note": claims["note"],
			"nationalities": []any{}, "degrees": []any{}}},
		{"recursive leaf brings its parent", []string{"/address/locality"}, 1, map[string]any{
			"address": map[string]any{"locality": "Khartoum", "country": "SD"}, "nationalities": []any{}, "degrees": []any{}}},
		{"object subtree", []string{"/address"}, 2, map[string]any{
			"address": claims["address"], "nationalities": []any{}, "degrees": []any{}}},
		{"array elements", []string{"/nationalities/0", "/nationalities/2"}, 2, map[string]any{
			"nationalities": []any{"SD", "UN"}, "degrees": []any{}}},
		{"wildcard with nested member", []string{"/degrees/*/type"}, 1, map[string]any{
			"nationalities": []any{}, "degrees": []any{map[string]any{"type": "BSc"}, map[string]any{"type": "MSc"}}}},
		{"everything", []string{"/given_name", "/family_name", "/address", "/nationalities", "/degrees", "/big", "/note"}, 4, map[string]any{
			"given_name": "Amina", "family_name": "Haddad", "address": claims["address"], "nationalities": claims["nationalities"],
			"degrees": claims["degrees"], "big": claims["big"], "note": claims["note"]}},
	}
	algs := []jose.Alg{jose.ES256, jose.ES384, jose.EdDSA}
	for _, ia := range algs {
		for _, ha := range algs {
			f := &fixture{issuer: newKey(t, ia), holder: newKey(t, ha)}
			for _, tc := range cases {
				t.Run(fmt.Sprintf("%s-issuer/%s-holder/%s", ia, ha, tc.name), func(t *testing.T) {
					in := map[string]any{"cnf": map[string]any{"jwk": jwkMap(t, f.holder)}}
					for k, v := range claims {
						in[k] = v
					}
					issued, err := Issue(in, IssueOptions{Signer: f.issuer, Header: map[string]any{"typ": "example+sd-jwt"}, Disclosable: disclosable, Decoys: tc.decoys})
					if err != nil {
						t.Fatal(err)
					}
					if got, err := issued.Process(); err != nil {
						t.Fatal(err)
					} else {
						want, _ := json.Marshal(in)
						sameJSON(t, got, want)
					}
					p, err := issued.Select(tc.sel)
					if err != nil {
						t.Fatal(err)
					}
					p, err = p.WithKeyBinding(f.holder, f.kb())
					if err != nil {
						t.Fatal(err)
					}
					v, err := Verify(p.String(), f.opts())
					if err != nil {
						t.Fatalf("Verify: %v", err)
					}
					want := map[string]any{"iss": in["iss"], "iat": in["iat"], "exp": in["exp"], "cnf": in["cnf"]}
					for k, val := range tc.want {
						if val != nil {
							want[k] = val
						}
					}
					wb, _ := json.Marshal(want)
					sameJSON(t, v.Claims, wb)
					if big, ok := v.Claims["big"].(json.Number); ok && big.String() != "123456789012345678901234567890" {
						t.Errorf("big integer changed: %s", big)
					}
					if v.KeyBinding == nil || v.HolderKey == nil {
						t.Error("key binding not reported")
					}
				})
			}
		}
	}
}
