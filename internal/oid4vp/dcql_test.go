package oid4vp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/sdjwt"
)

const identityVCT = "https://credentials.example.com/identity_credential"

func testSigner(t testing.TB) *jose.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jose.NewSigner(k, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// issue makes a real SD-JWT VC with the given claims (every top-level
// claim but vct/cnf disclosable, plus extra pointers) and adapts it.
func issue(t testing.TB, vct string, claims map[string]any, bound bool, extraSD ...string) *SDJWTCredential {
	t.Helper()
	s := testSigner(t)
	c := map[string]any{"iss": "https://issuer.example", "vct": vct}
	var sd []string
	for k, v := range claims {
		c[k] = v
		sd = append(sd, "/"+k)
	}
	if bound {
		jwk, _ := jose.NewJWK(testSigner(t).Public())
		c["cnf"] = map[string]any{"jwk": jwk.Map()}
	}
	tok, err := sdjwt.Issue(c, sdjwt.IssueOptions{Signer: s, Disclosable: append(sd, extraSD...), Decoys: 1})
	if err != nil {
		t.Fatal(err)
	}
	cred, err := NewSDJWTCredential(tok)
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

func pid(t testing.TB) *SDJWTCredential {
	return issue(t, identityVCT, map[string]any{
		"given_name":    "John",
		"family_name":   "Doe",
		"date_of_birth": "1990-01-01",
		"locality":      "Springfield",
		"region":        "IL",
		"postal_code":   "90210",
		"address":       map[string]any{"street_address": "1 Main St", "locality": "Springfield"},
		"nationalities": []any{"FR", "SD"},
	}, true, "/address/street_address", "/address/locality", "/nationalities/*")
}

func loadQuery(t testing.TB, name string) *Query {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "dcql", name))
	if err != nil {
		t.Fatal(err)
	}
	q, err := ParseQuery(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return q
}

func pointers(m Match) []string { return m.Pointers() }

// TestDCQLExamplesParseAndRoundTrip: every example of the spec parses,
// validates and marshals back to the same JSON value.
func TestDCQLExamplesParseAndRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/dcql/*.json")
	more, _ := filepath.Glob("testdata/dcql/1.0-final/*.json")
	files = append(files, more...)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "claims_path_pointer_example.json") {
			continue
		}
		n++
		t.Run(f, func(t *testing.T) {
			b, _ := os.ReadFile(f)
			q, err := ParseQuery(b)
			if err != nil {
				t.Fatal(err)
			}
			out, err := q.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var a, c any
			if err := json.Unmarshal(b, &a); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(out, &c); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, c) {
				t.Fatalf("round trip changed the query:\n%s\n%s", b, out)
			}
		})
	}
	if n != 14 {
		t.Fatalf("%d query files, want 14", n)
	}
}

// TestDCQLExamplesEvaluate evaluates each dc+sd-jwt example as §6.4 says,
// and shows the mdoc ones refused for their format.
func TestDCQLExamplesEvaluate(t *testing.T) {
	p := pid(t)
	noRegion := issue(t, identityVCT, map[string]any{"family_name": "Doe", "postal_code": "90210", "date_of_birth": "1990-01-01", "locality": "X"}, true)
	smith := issue(t, identityVCT, map[string]any{"family_name": "Smith", "given_name": "J", "postal_code": "90211", "address": map[string]any{"street_address": "2 Elm"}}, true)
	reduced1 := issue(t, "https://credentials.example.com/reduced_identity_credential", map[string]any{"family_name": "Doe", "given_name": "John"}, true)
	reduced2 := issue(t, "https://cred.example/residence_credential", map[string]any{"postal_code": "90210", "locality": "S", "region": "IL"}, true)
	rewards := issue(t, "https://company.example/company_rewards", map[string]any{"rewards_number": "R-1"}, true)

	t.Run("simple", func(t *testing.T) {
		r := Evaluate(loadQuery(t, "simple.json"), []Credential{rewards, p})
		qr := r.Query("my_credential")
		if !r.Satisfiable || len(qr.Matches) != 1 || qr.Matches[0].Index != 1 {
			t.Fatalf("%+v", r)
		}
		want := []string{"/family_name", "/given_name", "/address/street_address"}
		if got := pointers(qr.Matches[0]); !slices.Equal(got, want) {
			t.Fatalf("disclose %v, want %v", got, want)
		}
		if !reflect.DeepEqual(r.Answer, []string{"my_credential"}) || len(qr.Rejected) != 0 {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("claims_alternatives", func(t *testing.T) {
		r := Evaluate(loadQuery(t, "claims_alternatives.json"), []Credential{p, noRegion})
		m := r.Query("pid").Matches
		if len(m) != 2 || m[0].ClaimSet != 0 || m[1].ClaimSet != 1 {
			t.Fatalf("%+v", m)
		}
		if got := pointers(m[0]); !slices.Equal(got, []string{"/family_name", "/locality", "/region", "/date_of_birth"}) {
			t.Fatalf("first set disclose %v", got)
		}
		if got := pointers(m[1]); !slices.Equal(got, []string{"/family_name", "/postal_code", "/date_of_birth"}) {
			t.Fatalf("second set disclose %v", got)
		}
	})
	t.Run("credentials_alternatives", func(t *testing.T) {
		q := loadQuery(t, "credentials_alternatives.json")
		r := Evaluate(q, []Credential{reduced1, reduced2})
		if !r.Satisfiable || r.Sets[0].Option != 2 || r.Sets[1].Option != -1 || r.Sets[1].Required {
			t.Fatalf("%+v", r)
		}
		if !slices.Equal(r.Answer, []string{"pid_reduced_cred_1", "pid_reduced_cred_2"}) {
			t.Fatalf("answer %v", r.Answer)
		}
		r = Evaluate(q, []Credential{reduced2, rewards, p, reduced1})
		if !r.Satisfiable || r.Sets[0].Option != 0 || r.Sets[1].Option != 0 || !slices.Equal(r.Answer, []string{"pid", "nice_to_have"}) {
			t.Fatalf("%+v", r)
		}
		r = Evaluate(q, []Credential{reduced1, rewards})
		if r.Satisfiable || r.Answer != nil || len(r.Missing) != 1 || !strings.Contains(r.Missing[0], "pid_reduced_cred_2") {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("value_matching_simple", func(t *testing.T) {
		r := Evaluate(loadQuery(t, "value_matching_simple.json"), []Credential{smith, p})
		qr := r.Query("my_credential")
		if !r.Satisfiable || len(qr.Matches) != 1 || qr.Matches[0].Index != 1 {
			t.Fatalf("%+v", qr)
		}
		if !strings.Contains(qr.Rejected[0].Reason, `["family_name"] does not have one of the requested values`) {
			t.Fatalf("reason %q", qr.Rejected[0].Reason)
		}
		if got := pointers(qr.Matches[0]); !slices.Equal(got, []string{"/family_name", "/given_name", "/address/street_address", "/postal_code"}) {
			t.Fatalf("disclose %v", got)
		}
	})
	t.Run("multi_credentials", func(t *testing.T) {
		r := Evaluate(loadQuery(t, "multi_credentials.json"), []Credential{p})
		if r.Satisfiable || !r.Query("pid").Satisfied() || r.Query("mdl").Supported {
			t.Fatalf("%+v", r)
		}
		if len(r.Missing) != 1 || !strings.Contains(r.Missing[0], `format "mso_mdoc" is not supported`) {
			t.Fatalf("missing %v", r.Missing)
		}
	})
	for _, f := range []string{"simple_mdoc.json", "complex_mdoc.json"} {
		t.Run(f, func(t *testing.T) {
			r := Evaluate(loadQuery(t, f), []Credential{p})
			if r.Satisfiable || r.Answer != nil {
				t.Fatalf("%+v", r)
			}
			for _, qr := range r.Queries {
				if qr.Supported || !strings.Contains(qr.Reason, "mso_mdoc") {
					t.Fatalf("%+v", qr)
				}
			}
		})
	}
	t.Run("1.0-final simple", func(t *testing.T) {
		old := issue(t, identityVCT, map[string]any{"last_name": "Doe", "first_name": "John", "address": map[string]any{"street_address": "1 Main"}}, true)
		r := Evaluate(loadQuery(t, "1.0-final/simple.json"), []Credential{p, old})
		m := r.Query("my_credential").Matches
		if len(m) != 1 || m[0].Index != 1 || !slices.Equal(pointers(m[0]), []string{"/last_name", "/first_name", "/address/street_address"}) {
			t.Fatalf("%+v", r.Query("my_credential"))
		}
	})
}

// TestClaimsPathPointerExample applies §7.3's paths to its credential.
func TestClaimsPathPointerExample(t *testing.T) {
	b, err := os.ReadFile("testdata/dcql/claims_path_pointer_example.json")
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Credential map[string]any `json:"credential"`
		Cases      []struct {
			Path     ClaimPath `json:"path"`
			Expected []any     `json:"expected"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	if len(ex.Cases) != 5 {
		t.Fatalf("%d cases", len(ex.Cases))
	}
	for _, c := range ex.Cases {
		sel, err := c.Path.Select(ex.Credential)
		if err != nil {
			t.Fatalf("%s: %v", c.Path, err)
		}
		var got []any
		for _, s := range sel {
			got = append(got, s.Value)
		}
		if !reflect.DeepEqual(got, c.Expected) {
			t.Fatalf("%s selects %v, want %v", c.Path, got, c.Expected)
		}
	}
}

func TestSelectErrors(t *testing.T) {
	root := map[string]any{"a": "x", "arr": []any{map[string]any{"k": 1}, "s"}, "o": map[string]any{}}
	cases := []struct {
		path ClaimPath
		want error
	}{
		{ClaimPath{"missing"}, errPathNotFound},
		{ClaimPath{"a", "b"}, errPathType},
		{ClaimPath{"a", nil}, errPathType},
		{ClaimPath{"o", 0}, errPathType},
		{ClaimPath{"arr", 5}, errPathNotFound},
		{ClaimPath{"arr", nil, "k"}, errPathType}, // "s" is not an object
		{ClaimPath{"o", "x"}, errPathNotFound},
	}
	for _, c := range cases {
		if _, err := c.path.Select(root); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.path, err, c.want)
		}
	}
	sel, err := ClaimPath{"arr", 0, "k"}.Select(root)
	if err != nil || len(sel) != 1 || sel[0].Path.Pointer() != "/arr/0/k" {
		t.Fatalf("%v %v", sel, err)
	}
}

func q1(t *testing.T, js string) *Query {
	t.Helper()
	q, err := ParseQuery([]byte(js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return q
}

// TestEvaluateTable covers null paths, indices, values, claim_sets,
// credential_sets and multiple.
func TestEvaluateTable(t *testing.T) {
	p := pid(t)
	degrees := issue(t, "urn:degree", map[string]any{
		"degrees": []any{map[string]any{"type": "BSc", "year": 2010}, map[string]any{"type": "MSc", "year": 2012}},
		"active":  true,
	}, true, "/degrees/*", "/degrees/*/type")
	unbound := issue(t, identityVCT, map[string]any{"family_name": "Doe"}, false)
	pid2 := issue(t, identityVCT, map[string]any{"family_name": "Roe", "given_name": "R"}, true)
	creds := []Credential{p, degrees, unbound, pid2}
	type exp struct {
		satisfiable bool
		answer      []string
		matches     map[string][][]string // query id -> per match, pointers
		reason      string                // substring of Missing
	}
	cases := []struct {
		name  string
		query string
		want  exp
	}{
		{"null path expands to every element", `{"credentials":[{"id":"d","format":"dc+sd-jwt","meta":{"vct_values":["urn:degree"]},"claims":[{"path":["degrees",null,"type"]}]}]}`,
			exp{true, []string{"d"}, map[string][][]string{"d": {{"/degrees/0/type", "/degrees/1/type"}}}, ""}},
		{"index", `{"credentials":[{"id":"n","format":"dc+sd-jwt","meta":{"vct_values":["` + identityVCT + `"]},"claims":[{"path":["nationalities",1]}]}]}`,
			exp{true, []string{"n"}, map[string][][]string{"n": {{"/nationalities/1"}}}, ""}},
		{"index out of range", `{"credentials":[{"id":"n","format":"dc+sd-jwt","meta":{"vct_values":["` + identityVCT + `"]},"claims":[{"path":["nationalities",2]}]}]}`,
			exp{false, nil, map[string][][]string{"n": nil}, `["nationalities",2] is not present`}},
		{"values with a null path keep matching elements", `{"credentials":[{"id":"d","format":"dc+sd-jwt","meta":{"vct_values":["urn:degree"]},"claims":[{"path":["degrees",null,"year"],"values":[2012]}]}]}`,
			exp{true, []string{"d"}, map[string][][]string{"d": {{"/degrees/1/year"}}}, ""}},
		{"values boolean and type exact", `{"credentials":[{"id":"d","format":"dc+sd-jwt","meta":{"vct_values":["urn:degree"]},"claims":[{"path":["active"],"values":["true"]}]}]}`,
			exp{false, nil, nil, "does not have one of the requested values"}},
		{"values boolean", `{"credentials":[{"id":"d","format":"dc+sd-jwt","meta":{"vct_values":["urn:degree"]},"claims":[{"path":["active"],"values":[true]}]}]}`,
			exp{true, []string{"d"}, map[string][][]string{"d": {{"/active"}}}, ""}},
		{"claim_sets first satisfiable", `{"credentials":[{"id":"p","format":"dc+sd-jwt","meta":{"vct_values":["` + identityVCT + `"]},"claims":[{"id":"x","path":["nope"]},{"id":"g","path":["given_name"]},{"id":"f","path":["family_name"]}],"claim_sets":[["x","g"],["f"],["g"]]}]}`,
			exp{true, []string{"p"}, map[string][][]string{"p": {{"/family_name"}, {"/family_name"}}}, ""}},
		{"no claims: only always-visible claims", `{"credentials":[{"id":"p","format":"dc+sd-jwt","meta":{"vct_values":["` + identityVCT + `"]}}]}`,
			exp{true, []string{"p"}, map[string][][]string{"p": {{}, {}}}, ""}},
		{"holder binding not required admits the unbound credential", `{"credentials":[{"id":"p","format":"dc+sd-jwt","require_cryptographic_holder_binding":false,"meta":{"vct_values":["` + identityVCT + `"]},"claims":[{"path":["family_name"]}]}]}`,
			exp{true, []string{"p"}, map[string][][]string{"p": {{"/family_name"}, {"/family_name"}, {"/family_name"}}}, ""}},
		{"multiple lists every match", `{"credentials":[{"id":"p","format":"dc+sd-jwt","multiple":true,"meta":{"vct_values":["` + identityVCT + `"]},"claims":[{"path":["given_name"]}]}]}`,
			exp{true, []string{"p"}, map[string][][]string{"p": {{"/given_name"}, {"/given_name"}}}, ""}},
		{"optional set unsatisfied", `{"credentials":[{"id":"p","format":"dc+sd-jwt","meta":{"vct_values":["` + identityVCT + `"]}},{"id":"z","format":"dc+sd-jwt","meta":{"vct_values":["urn:none"]}}],"credential_sets":[{"options":[["p"]]},{"required":false,"options":[["z"]]}]}`,
			exp{true, []string{"p"}, nil, ""}},
		{"required set unsatisfied", `{"credentials":[{"id":"p","format":"dc+sd-jwt","meta":{"vct_values":["` + identityVCT + `"]}},{"id":"z","format":"dc+sd-jwt","meta":{"vct_values":["urn:none"]}}],"credential_sets":[{"options":[["p","z"]]}]}`,
			exp{false, nil, nil, `option 0 needs "z"`}},
		{"trusted_authorities without a checker", `{"credentials":[{"id":"p","format":"dc+sd-jwt","trusted_authorities":[{"type":"aki","values":["s9tIpP"]}],"meta":{"vct_values":["` + identityVCT + `"]}}]}`,
			exp{false, nil, nil, "trusted_authorities"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Evaluate(q1(t, c.query), creds)
			if r.Satisfiable != c.want.satisfiable || !slices.Equal(r.Answer, c.want.answer) {
				t.Fatalf("satisfiable %v answer %v missing %v", r.Satisfiable, r.Answer, r.Missing)
			}
			for id, want := range c.want.matches {
				var got [][]string
				for _, m := range r.Query(id).Matches {
					got = append(got, m.Pointers())
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s matches %v, want %v", id, got, want)
				}
			}
			if c.want.reason != "" && !strings.Contains(strings.Join(r.Missing, "|"), c.want.reason) {
				t.Fatalf("missing %v, want %q", r.Missing, c.want.reason)
			}
		})
	}
	// Disclosable flags: /nationalities/1 is an array-element disclosure,
	// the vct is never disclosable.
	r := Evaluate(q1(t, `{"credentials":[{"id":"n","format":"dc+sd-jwt","meta":{"vct_values":["`+identityVCT+`"]},"claims":[{"path":["nationalities",1]},{"path":["vct"]}]}]}`), []Credential{p})
	cl := r.Queries[0].Matches[0].Claims
	if !cl[0].Disclosable || cl[1].Disclosable || cl[0].Value != "SD" {
		t.Fatalf("%+v", cl)
	}
	// A trusted authority checker is consulted.
	ev := Evaluator{TrustedAuthority: func(c Credential, tas []TrustedAuthority) bool { return tas[0].Values[0] == "ok" }}
	r = ev.Evaluate(q1(t, `{"credentials":[{"id":"p","format":"dc+sd-jwt","trusted_authorities":[{"type":"aki","values":["ok"]}],"meta":{"vct_values":["`+identityVCT+`"]}}]}`), []Credential{p})
	if !r.Satisfiable {
		t.Fatalf("%+v", r)
	}
}

func TestParseQueryRefusals(t *testing.T) {
	base := func(cred string) string { return `{"credentials":[` + cred + `]}` }
	ok := `"format":"dc+sd-jwt","meta":{"vct_values":["v"]}`
	cases := map[string]string{
		"not an object":             `[]`,
		"no credentials":            `{}`,
		"empty credentials":         `{"credentials":[]}`,
		"bad id":                    base(`{"id":"a b",` + ok + `}`),
		"empty id":                  base(`{"id":"",` + ok + `}`),
		"duplicate ids":             `{"credentials":[{"id":"a",` + ok + `},{"id":"a",` + ok + `}]}`,
		"no meta":                   base(`{"id":"a","format":"dc+sd-jwt"}`),
		"no vct_values":             base(`{"id":"a","format":"dc+sd-jwt","meta":{}}`),
		"no format":                 base(`{"id":"a","meta":{"vct_values":["v"]}}`),
		"empty path":                base(`{"id":"a",` + ok + `,"claims":[{"path":[]}]}`),
		"negative index":            base(`{"id":"a",` + ok + `,"claims":[{"path":["x",-1]}]}`),
		"fractional index":          base(`{"id":"a",` + ok + `,"claims":[{"path":["x",1.5]}]}`),
		"object in path":            base(`{"id":"a",` + ok + `,"claims":[{"path":[{}]}]}`),
		"bool in path":              base(`{"id":"a",` + ok + `,"claims":[{"path":[true]}]}`),
		"float value":               base(`{"id":"a",` + ok + `,"claims":[{"path":["x"],"values":[1.5]}]}`),
		"null value":                base(`{"id":"a",` + ok + `,"claims":[{"path":["x"],"values":[null]}]}`),
		"claim_sets without ids":    base(`{"id":"a",` + ok + `,"claims":[{"path":["x"]}],"claim_sets":[["x"]]}`),
		"claim_sets unknown id":     base(`{"id":"a",` + ok + `,"claims":[{"id":"x","path":["x"]}],"claim_sets":[["y"]]}`),
		"claim_sets without claims": base(`{"id":"a",` + ok + `,"claim_sets":[["y"]]}`),
		"duplicate claim ids":       base(`{"id":"a",` + ok + `,"claims":[{"id":"x","path":["x"]},{"id":"x","path":["y"]}]}`),
		"set names unknown cred":    `{"credentials":[{"id":"a",` + ok + `}],"credential_sets":[{"options":[["b"]]}]}`,
		"empty option":              `{"credentials":[{"id":"a",` + ok + `}],"credential_sets":[{"options":[[]]}]}`,
		"required not bool":         `{"credentials":[{"id":"a",` + ok + `}],"credential_sets":[{"options":[["a"]],"required":"no"}]}`,
		"multiple not bool":         base(`{"id":"a","multiple":1,` + ok + `}`),
		"duplicate member":          `{"credentials":[{"id":"a",` + ok + `}],"credentials":[]}`,
		"wrong case member":         base(`{"ID":"a",` + ok + `}`),
		"path too long":             base(`{"id":"a",` + ok + `,"claims":[{"path":["a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a","a"]}]}`),
		"trailing data":             `{"credentials":[{"id":"a",` + ok + `}]} x`,
	}
	for name, js := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseQuery([]byte(js)); !errors.Is(err, ErrInvalidQuery) {
				t.Fatalf("got %v", err)
			}
		})
	}
	if _, err := ParseQuery(make([]byte, MaxQueryLen+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
}

// TestCheckResponse covers the verifier side with presentations made by
// sdjwt and verified back.
func TestCheckResponse(t *testing.T) {
	q := loadQuery(t, "credentials_alternatives.json")
	full := pid(t)
	// A "presentation" of the PID disclosing given_name, family_name,
	// address.street_address and, beyond the query, date_of_birth.
	presented := restrict(full, "/given_name", "/family_name", "/address", "/address/street_address", "/date_of_birth")
	rc, err := CheckResponse(q, map[string][]Credential{"pid": {presented}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rc.Extra) != 1 || rc.Extra[0].Path.Pointer() != "/date_of_birth" {
		t.Fatalf("extra %+v", rc.Extra)
	}
	if rc.Sets[0].Option != 0 || rc.Sets[1].Option != -1 || len(rc.Answered[0].Presentations[0].Claims) != 3 {
		t.Fatalf("%+v", rc)
	}
	cases := []struct {
		name string
		in   map[string][]Credential
		want string
	}{
		{"unknown query id", map[string][]Credential{"pid": {presented}, "other": {presented}}, `answers "other"`},
		{"two without multiple", map[string][]Credential{"pid": {presented, presented}}, "allows one"},
		{"empty array", map[string][]Credential{"pid": {}}, "empty array"},
		{"missing claim", map[string][]Credential{"pid": {restrict(full, "/given_name", "/family_name")}}, `["address","street_address"] is not present`},
		{"wrong vct", map[string][]Credential{"other_pid": {presented}}, "is not one of"},
		{"required set unanswered", map[string][]Credential{"nice_to_have": {issue(t, "https://company.example/company_rewards", map[string]any{"rewards_number": "1"}, true)}}, "no option of credential set 0"},
		{"no key binding", map[string][]Credential{"pid": {&SDJWTCredential{Tree: presented.Tree, SDPaths: presented.SDPaths}}}, "bound"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := CheckResponse(q, c.in)
			if !errors.Is(err, ErrResponseMismatch) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
	// Without credential_sets every query must be answered.
	if _, err := CheckResponse(loadQuery(t, "simple.json"), map[string][]Credential{}); !errors.Is(err, ErrResponseMismatch) {
		t.Fatalf("unanswered: %v", err)
	}
}

// restrict presents only the disclosures at ptrs (as a verifier sees them).
func restrict(c *SDJWTCredential, ptrs ...string) *SDJWTCredential {
	out := &SDJWTCredential{Tree: map[string]any{}, Bound: c.Bound}
	for k, v := range c.Tree {
		if !underAny(ClaimPath{k}, c.SDPaths) {
			out.Tree[k] = v
		}
	}
	for _, sd := range c.SDPaths {
		if !slices.Contains(ptrs, sd.Pointer()) {
			continue
		}
		out.SDPaths = append(out.SDPaths, sd)
		v, _ := sd.Select(c.Tree)
		setPath(out.Tree, sd, v[0].Value)
	}
	return out
}

func setPath(root map[string]any, p ClaimPath, v any) {
	m := root
	for i, e := range p {
		k, ok := e.(string)
		if !ok {
			return // arrays are not needed by these tests
		}
		if i == len(p)-1 {
			if _, exists := m[k]; !exists || !isMap(v) {
				m[k] = v
			}
			if isMap(v) && m[k] != nil {
				if _, exists := m[k].(map[string]any); !exists {
					m[k] = map[string]any{}
				}
			}
			return
		}
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
}

func isMap(v any) bool { _, ok := v.(map[string]any); return ok }
