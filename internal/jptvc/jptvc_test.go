package jptvc_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/bbs"
	"github.com/cairn-id/cairn/internal/jptvc"
	"github.com/cairn-id/cairn/internal/jwp"
	"github.com/cairn-id/cairn/schemas"
)

const regVCT = "urn:cairn:vct:humanitarian-registration:1"

func regType(t *testing.T) *schemas.Type {
	t.Helper()
	c, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	ty, err := c.Lookup(regVCT)
	if err != nil {
		t.Fatal(err)
	}
	return ty
}

func testKey(t *testing.T) *jwp.PrivateKey {
	t.Helper()
	sk, err := bbs.SHA256().KeyGen([]byte("cairn jptvc test key material, 32 bytes or more"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return jwp.NewPrivateKey(sk, "")
}

func regClaims(given string) map[string]any {
	return map[string]any{
		"family_name": "Abdelrahman", "given_name": given, "birthdate": "1990-01-01",
		"registration_id": "KRT-2026-0481527", "registration_date": "2026-11-14",
		"registration_place": map[string]any{"country": "SD", "locality": "Kassala"},
		"household_size":     5,
		"evidence":           map[string]any{"strength": 2, "validity": 2, "verification": 2, "method": "in_person"},
	}
}

func TestClaimNames(t *testing.T) {
	names := jptvc.ClaimNames(regType(t))
	want := []string{"iss", "vct", "iat", "exp", "family_name", "given_name", "birthdate", "registration_id",
		"registration_date", "household_size", "case_id", "registration_place", "birthdate_precision", "evidence"}
	if !slices.Equal(names, want) {
		t.Fatalf("slots %v", names)
	}
}

func TestIssue(t *testing.T) {
	ty := regType(t)
	key := testKey(t)
	cs, err := jptvc.ClaimSet(ty)
	if err != nil {
		t.Fatal(err)
	}
	// Two holders, issued at different times of one day.
	t1 := time.Date(2026, 12, 2, 8, 30, 0, 0, time.UTC)
	t2 := time.Date(2026, 12, 2, 23, 59, 59, 0, time.FixedZone("UTC+1", 3600)) // 22:59:59 UTC
	c1, err := jptvc.Issue(key, ty, jptvc.Credential{Issuer: "did:jwk:issuer", IssuedAt: t1, Claims: regClaims("Amina")})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := jptvc.Issue(key, ty, jptvc.Credential{Issuer: "did:jwk:issuer", IssuedAt: t2, Claims: regClaims("Yusuf")})
	if err != nil {
		t.Fatal(err)
	}
	j1, err := jwp.ParseIssued(c1)
	if err != nil {
		t.Fatal(err)
	}
	j2, _ := jwp.ParseIssued(c2)
	if string(j1.Header) != string(j2.Header) {
		t.Fatalf("issuer headers differ: %s / %s", j1.Header, j2.Header)
	}
	if want := `{"alg":"BBS","kid":"` + key.Public.Kid + `","typ":"jpt","cid":"` + cs.ID + `"}`; string(j1.Header) != want {
		t.Fatalf("header %s", j1.Header)
	}
	tok, err := jwp.ConfirmToken(&key.Public, cs, j1)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC).Unix()
	if tok.Claims["iat"] != json.Number(itoa(day)) || tok.Claims["exp"] != json.Number(itoa(day+30*86400)) {
		t.Fatalf("iat %v exp %v", tok.Claims["iat"], tok.Claims["exp"])
	}
	tok2, _ := jwp.ConfirmToken(&key.Public, cs, j2)
	if tok2.Claims["iat"] != tok.Claims["iat"] || tok2.Claims["exp"] != tok.Claims["exp"] {
		t.Fatal("same-day credentials differ in iat/exp")
	}
	if tok.Claims["vct"] != regVCT || tok.Claims["iss"] != "did:jwk:issuer" || tok.Claims["given_name"] != "Amina" {
		t.Fatalf("claims %v", tok.Claims)
	}
	for _, absent := range []string{"case_id", "birthdate_precision", "sub", "cnf", "status"} {
		if _, ok := tok.Claims[absent]; ok {
			t.Fatalf("%s present", absent)
		}
	}
	// A holder presents; a verifier with the type's claim set verifies.
	p, err := jwp.PresentToken(nil, &key.Public, cs, j1, jwp.PresentationHeader{Aud: "x509_hash:v", Nonce: "n"}, []string{"vct", "iss", "exp", "given_name"})
	if err != nil {
		t.Fatal(err)
	}
	pt, err := jwp.VerifyToken(&key.Public, cs, p, jwp.VerifyOptions{Audience: "x509_hash:v", Nonce: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pt.Claims) != 4 || pt.Claims["given_name"] != "Amina" {
		t.Fatalf("presented %v", pt.Claims)
	}
}

func itoa(v int64) string { b, _ := json.Marshal(v); return string(b) }

func TestIssueNegative(t *testing.T) {
	ty := regType(t)
	key := testKey(t)
	now := time.Date(2026, 12, 2, 8, 30, 0, 0, time.UTC)
	with := func(k string, v any) map[string]any {
		c := regClaims("Amina")
		c[k] = v
		return c
	}
	cases := map[string]jptvc.Credential{
		"sub":               {Issuer: "did:jwk:i", IssuedAt: now, Claims: with("sub", "did:jwk:holder")},
		"cnf":               {Issuer: "did:jwk:i", IssuedAt: now, Claims: with("cnf", map[string]any{})},
		"status":            {Issuer: "did:jwk:i", IssuedAt: now, Claims: with("status", map[string]any{})},
		"iat set by caller": {Issuer: "did:jwk:i", IssuedAt: now, Claims: with("iat", 1)},
		"unknown claim":     {Issuer: "did:jwk:i", IssuedAt: now, Claims: with("nationality", "SD")},
		"schema violation":  {Issuer: "did:jwk:i", IssuedAt: now, Claims: with("household_size", 0)},
		"missing required":  {Issuer: "did:jwk:i", IssuedAt: now, Claims: map[string]any{"given_name": "Amina"}},
		"no issuer":         {IssuedAt: now, Claims: regClaims("Amina")},
		"negative validity": {Issuer: "did:jwk:i", IssuedAt: now, Validity: -time.Hour, Claims: regClaims("Amina")},
	}
	for name, c := range cases {
		if _, err := jptvc.Issue(key, ty, c); !errors.Is(err, jptvc.ErrInvalidInput) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestTimes(t *testing.T) {
	ty := regType(t)
	now := time.Date(2026, 12, 2, 8, 30, 0, 0, time.UTC)
	midnight := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		validity time.Duration
		days     int
	}{{0, 30}, {time.Hour, 1}, {24 * time.Hour, 1}, {25 * time.Hour, 2}, {7 * 24 * time.Hour, 7}} {
		iat, exp, err := jptvc.Credential{IssuedAt: now, Validity: c.validity}.Times(ty)
		if err != nil {
			t.Fatal(err)
		}
		if !iat.Equal(midnight) || !exp.Equal(midnight.AddDate(0, 0, c.days)) {
			t.Errorf("validity %v: iat %v exp %v", c.validity, iat, exp)
		}
	}
	c, _ := schemas.Load()
	short, err := c.Lookup("urn:cairn:vct:community-vouching:1")
	if err != nil || short.MaxTTL != 90*24*time.Hour {
		t.Fatalf("community-vouching max_ttl %v: %v", short.MaxTTL, err)
	}
	_, exp, err := jptvc.Credential{IssuedAt: now, Validity: 200 * 24 * time.Hour}.Times(short)
	if err != nil || !exp.Equal(midnight.AddDate(0, 0, 90)) {
		t.Errorf("MaxTTL cap: %v %v", exp, err)
	}
}

func TestConfiguration(t *testing.T) {
	ty := regType(t)
	c := jptvc.Configuration(ty, "humanitarian-registration-jpt", nil)
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if m["format"] != "jpt" || m["vct"] != regVCT || m["proof_types_supported"] != nil || m["cryptographic_binding_methods_supported"] != nil {
		t.Fatalf("%s", b)
	}
}
