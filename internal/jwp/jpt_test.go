package jwp_test

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/cairn-id/cairn/internal/jwp"
)

var regNames = []string{"iat", "exp", "family_name", "given_name", "birthdate", "registration_id", "registration_date", "registration_place", "household_size", "case_id"}

func regClaims() map[string]any {
	return map[string]any{
		"iat": 1764633600, "exp": 1767225600,
		"family_name": "Abdelrahman", "given_name": "Amina", "birthdate": "1990-01-01",
		"registration_id": "KRT-2026-0481527", "registration_date": "2026-11-14",
		"registration_place": map[string]any{"country": "SD", "locality": "Kassala", "site": "Shagarab <East>"},
		"household_size":     5,
		// case_id absent: a null slot
	}
}

func TestJPTRoundTrip(t *testing.T) {
	key := testKey(t, "a")
	cs, err := jwp.NewClaimSet("", regNames)
	if err != nil {
		t.Fatal(err)
	}
	if cs.ID != jwp.ClaimSetID(regNames) {
		t.Fatal("derived cid")
	}
	j1, err := jwp.IssueToken(key, cs, "jpt", regClaims())
	if err != nil {
		t.Fatal(err)
	}
	other := regClaims()
	other["given_name"], other["case_id"] = "Yusuf", "C-77"
	j2, err := jwp.IssueToken(key, cs, "jpt", other)
	if err != nil {
		t.Fatal(err)
	}
	if string(j1.Header) != string(j2.Header) {
		t.Fatal("issuer headers differ between holders")
	}
	if want := `{"alg":"BBS","kid":"` + key.Public.Kid + `","typ":"jpt","cid":"` + cs.ID + `"}`; string(j1.Header) != want {
		t.Fatalf("header %s", j1.Header)
	}
	if string(j1.Payloads[9]) != "null" || string(j1.Payloads[7]) != `{"country":"SD","locality":"Kassala","site":"Shagarab <East>"}` {
		t.Fatalf("payloads %q %q", j1.Payloads[9], j1.Payloads[7])
	}
	tok, err := jwp.ConfirmToken(&key.Public, cs, j1)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.Claims) != 9 || tok.Claims["given_name"] != "Amina" {
		t.Fatalf("holder view %v", tok.Claims)
	}

	ph := jwp.PresentationHeader{Aud: testAud, Nonce: testNonce}
	p, err := jwp.PresentToken(nil, &key.Public, cs, j1, ph, []string{"given_name", "registration_place", "case_id", "exp"})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := jwp.ParsePresented(p.Compact())
	if err != nil {
		t.Fatal(err)
	}
	pt, err := jwp.VerifyToken(&key.Public, cs, p2, jwp.VerifyOptions{Audience: testAud, Nonce: testNonce})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pt.Disclosed, []string{"exp", "given_name", "registration_place", "case_id"}) {
		t.Fatalf("disclosed %v", pt.Disclosed)
	}
	if got := slices.Sorted(maps.Keys(pt.Claims)); !slices.Equal(got, []string{"exp", "given_name", "registration_place"}) {
		t.Fatalf("claims %v", got)
	}
	if pt.Claims["exp"] != json.Number("1767225600") || pt.Claims["registration_place"].(map[string]any)["site"] != "Shagarab <East>" {
		t.Fatalf("claims %v", pt.Claims)
	}
	for _, hidden := range []string{"family_name", "birthdate", "registration_id", "iat"} {
		if _, ok := pt.Claims[hidden]; ok {
			t.Fatalf("%s exposed", hidden)
		}
	}
}

func TestJPTNegative(t *testing.T) {
	key := testKey(t, "a")
	cs, _ := jwp.NewClaimSet("", regNames)
	other, _ := jwp.NewClaimSet("", append(slices.Clone(regNames[:9]), "nationality"))
	opts := jwp.VerifyOptions{Audience: testAud, Nonce: testNonce}
	ph := jwp.PresentationHeader{Aud: testAud, Nonce: testNonce}

	if _, err := jwp.NewClaimSet("", []string{"a", "a"}); !errors.Is(err, jwp.ErrClaims) {
		t.Fatalf("duplicate names: %v", err)
	}
	if _, err := jwp.NewClaimSet("", nil); !errors.Is(err, jwp.ErrClaims) {
		t.Fatalf("no names: %v", err)
	}
	c := regClaims()
	c["nationality"] = "SD"
	if _, err := jwp.IssueToken(key, cs, "jpt", c); !errors.Is(err, jwp.ErrClaims) {
		t.Fatalf("unknown claim: %v", err)
	}
	if _, err := jwp.IssueToken(key, cs, "jpt", map[string]any{"iat": func() {}}); !errors.Is(err, jwp.ErrClaims) {
		t.Fatalf("unencodable claim: %v", err)
	}
	j, err := jwp.IssueToken(key, cs, "jpt", regClaims())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwp.ConfirmToken(&key.Public, other, j); !errors.Is(err, jwp.ErrClaims) {
		t.Fatalf("other claim set: %v", err)
	}
	if _, err := jwp.PresentToken(nil, &key.Public, cs, j, ph, []string{"nationality"}); !errors.Is(err, jwp.ErrClaims) {
		t.Fatalf("present unknown claim: %v", err)
	}
	p, err := jwp.PresentToken(nil, &key.Public, cs, j, ph, []string{"given_name"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwp.VerifyToken(&key.Public, other, p, opts); !errors.Is(err, jwp.ErrClaims) {
		t.Fatalf("verify against other claim set: %v", err)
	}
	// Swapped claim value.
	p.Payloads[3] = []byte(`"Yusuf"`)
	if _, err := jwp.VerifyToken(&key.Public, cs, p, opts); !errors.Is(err, jwp.ErrInvalidProof) {
		t.Fatalf("swapped value: %v", err)
	}
	// A validly signed payload that is not JSON.
	bad, err := jwp.Issue(key, cs.IssuerHeader(&key.Public, "jpt"), slices.Repeat([][]byte{[]byte("not json")}, len(regNames)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwp.ConfirmToken(&key.Public, cs, bad); !errors.Is(err, jwp.ErrClaims) {
		t.Fatalf("non-JSON payload: %v", err)
	}
	// Claim names in the header instead of a cid.
	inHeader, err := jwp.Issue(key, []byte(`{"alg":"BBS","cid":"`+cs.ID+`","claims":["iat"]}`), j.Payloads)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwp.ConfirmToken(&key.Public, cs, inHeader); !errors.Is(err, jwp.ErrClaims) {
		t.Fatalf("claims header: %v", err)
	}
}
