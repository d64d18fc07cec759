package sdjwt

import (
	"crypto"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
)

// TestNegative is the catalogue of presentations Verify must refuse, each
// with the sentinel (and so the Code) it must be refused with.
func TestNegative(t *testing.T) {
	f := newFixture(t, jose.ES256, jose.ES256)
	good := f.present(t, fixtureSelect)
	if _, err := Verify(good, f.opts()); err != nil {
		t.Fatalf("baseline presentation does not verify: %v", err)
	}
	noKB := f.opts()
	noKB.RequireKeyBinding = false
	bare := withoutKB(good)
	parts := strings.Split(bare, "~") // JWT, D1..Dn, ""
	other := newFixture(t, jose.ES256, jose.ES256)

	kbWith := func(mod func(*KBOptions)) string {
		kb := f.kb()
		mod(&kb)
		p, err := Parse(bare, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		p, err = p.WithKeyBinding(f.holder, kb)
		if err != nil {
			t.Fatal(err)
		}
		return p.String()
	}
	signKB := func(header map[string]any, payload string, by *jose.Signer) string {
		kb, err := by.Sign(header, []byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		return bare + kb
	}
	kbPayload := func(aud string) string {
		return `{"iat":` + "1749999990" + `,"aud":` + aud + `,"nonce":"` + fixtureNonce + `","sd_hash":"` + SDHash(bare) + `"}`
	}
	// crafted builds an SD-JWT (no KB) over payload with the given disclosures.
	crafted := func(payload map[string]any, discs ...string) string {
		if _, ok := payload["_sd_alg"]; !ok {
			payload["_sd_alg"] = "sha-256"
		}
		s := f.signPayload(t, payload) + "~"
		for _, d := range discs {
			s += d + "~"
		}
		return s
	}
	dGiven, hGiven := encodeDisclosure(t, "c2FsdHNhbHRzYWx0", "given_name", "Amina")
	dElem, hElem := encodeDisclosure(t, "c2FsdHNhbHRzYWx1", "SD")
	dSD, hSD := encodeDisclosure(t, "c2FsdHNhbHRzYWx2", "_sd", []any{"x"})
	dDots, hDots := encodeDisclosure(t, "c2FsdHNhbHRzYWx3", "...", "x")

	tampered := func() string {
		raw, _ := jose.DecodeSegment(parts[1])
		mod := strings.Replace(string(raw), `"`, `"X`, 1) // changes the salt
		return strings.Join(append(append([]string{parts[0]}, jose.B64.EncodeToString([]byte(mod))), parts[2:]...), "~")
	}
	padded := func(s string) string {
		for len(s)%4 != 0 {
			s += "="
		}
		return s
	}
	// A disclosure whose base64url needs padding, so padding it changes it.
	needPad := ""
	for _, p := range parts[1 : len(parts)-1] {
		if len(p)%4 != 0 {
			needPad = p
			break
		}
	}
	jwtParts := strings.Split(parts[0], ".")
	if needPad == "" || len(jwtParts[2])%4 == 0 {
		t.Fatal("fixture has nothing that needs padding")
	}

	tests := []struct {
		name string
		in   string
		opts VerifyOptions
		want error
	}{
		{"tampered disclosure", tampered(), noKB, ErrUnreferencedDisclosure},
		{"foreign disclosure", bare + other.issued.Disclosures[0].Encoded + "~", noKB, ErrUnreferencedDisclosure},
		{"duplicate disclosure", bare + parts[1] + "~", noKB, ErrDuplicateDisclosure},
		{"unreferenced disclosure", bare + dGiven + "~", noKB, ErrUnreferencedDisclosure},
		{"tampered signature", strings.Replace(good, parts[0], parts[0][:len(parts[0])-2]+flip(parts[0][len(parts[0])-2:]), 1), f.opts(), ErrSignature},
		{"wrong nonce", kbWith(func(k *KBOptions) { k.Nonce = "other" }), f.opts(), ErrNonce},
		{"wrong aud", kbWith(func(k *KBOptions) { k.Audience = "https://evil.example" }), f.opts(), ErrAudience},
		{"aud as array", signKB(map[string]any{"typ": "kb+jwt"}, kbPayload(`["`+fixtureAud+`"]`), f.holder), f.opts(), ErrAudience},
		{"KB signed by another key", signKB(map[string]any{"typ": "kb+jwt"}, kbPayload(`"`+fixtureAud+`"`), other.holder), f.opts(), ErrKBSignature},
		{"sd_hash mismatch", strings.Replace(good, parts[1]+"~", "", 1), f.opts(), ErrSDHash},
		{"missing KB when required", bare, f.opts(), ErrKeyBindingRequired},
		{"KB present when not required", good, noKB, ErrKeyBindingUnexpected},
		{"KB iat in the future", kbWith(func(k *KBOptions) { k.IssuedAt = fixtureNow.Add(2 * time.Minute) }), f.opts(), ErrKBTime},
		{"KB iat too old", kbWith(func(k *KBOptions) { k.IssuedAt = fixtureNow.Add(-6 * time.Minute) }), f.opts(), ErrKBTime},
		{"wrong KB typ", signKB(map[string]any{"typ": "jwt"}, kbPayload(`"`+fixtureAud+`"`), f.holder), f.opts(), ErrKeyBindingType},
		{"KB typ case differs", signKB(map[string]any{"typ": "KB+JWT"}, kbPayload(`"`+fixtureAud+`"`), f.holder), f.opts(), ErrKeyBindingType},
		{"expired credential", good, withNow(f.opts(), time.Unix(1900000000+61, 0)), ErrExpired},
		{"not yet valid (nbf)", crafted(map[string]any{"nbf": 1750000000 + 3600}), noKB, ErrNotYetValid},
		{"not yet valid (iat)", crafted(map[string]any{"iat": 1750000000 + 3600}), noKB, ErrNotYetValid},
		{"alg none", jose.B64.EncodeToString([]byte(`{"alg":"none","typ":"example+sd-jwt"}`)) + "." + jwtParts[1] + ".~", noKB, ErrAlgorithm},
		{"alg not in allow-list", bare, withAlgs(noKB, jose.EdDSA), ErrAlgorithm},
		{"alg/key mismatch", bare, withKey(noKB, newKey(t, jose.ES384).Public()), ErrAlgorithm},
		{"wrong issuer typ", bare, withTyp(noKB, "dc+sd-jwt"), ErrType},
		{"padded base64url in a disclosure", strings.Replace(bare, "~"+needPad+"~", "~"+padded(needPad)+"~", 1), noKB, ErrMalformed},
		{"padded base64url in the JWT", strings.Replace(bare, "."+jwtParts[2]+"~", "."+padded(jwtParts[2])+"~", 1), noKB, ErrMalformed},
		{"empty disclosure between tildes", strings.Replace(bare, "~", "~~", 1), noKB, ErrMalformed},
		{"duplicate digest in payload", crafted(map[string]any{"_sd": []any{hGiven}, "address": map[string]any{"_sd": []any{hGiven}}}, dGiven), noKB, ErrDuplicateDigest},
		{"duplicate decoy digest", crafted(map[string]any{"_sd": []any{hElem, hElem}}), noKB, ErrDuplicateDigest},
		{"claim collision", crafted(map[string]any{"given_name": "Other", "_sd": []any{hGiven}}, dGiven), noKB, ErrClaimCollision},
		{"_sd as a disclosed name", crafted(map[string]any{"_sd": []any{hSD}}, dSD), noKB, ErrReservedClaim},
		{"... as a disclosed name", crafted(map[string]any{"_sd": []any{hDots}}, dDots), noKB, ErrReservedClaim},
		{"... with other members", crafted(map[string]any{"a": []any{map[string]any{"...": hElem, "x": 1}}}, dElem), noKB, ErrReservedClaim},
		{"... not a string", crafted(map[string]any{"a": []any{map[string]any{"...": 5}}}), noKB, ErrReservedClaim},
		{"... in an object", crafted(map[string]any{"a": map[string]any{"...": hElem}}, dElem), noKB, ErrReservedClaim},
		{"_sd not an array", crafted(map[string]any{"_sd": "x"}), noKB, ErrReservedClaim},
		{"_sd holds a number", crafted(map[string]any{"_sd": []any{1}}), noKB, ErrReservedClaim},
		{"object disclosure in an array slot", crafted(map[string]any{"a": []any{map[string]any{"...": hGiven}}}, dGiven), noKB, ErrDisclosure},
		{"array disclosure in _sd", crafted(map[string]any{"_sd": []any{hElem}}, dElem), noKB, ErrDisclosure},
		{"unsupported _sd_alg", crafted(map[string]any{"_sd_alg": "md5"}), noKB, ErrHashAlg},
		{"truncated sha-256 _sd_alg", crafted(map[string]any{"_sd_alg": "sha-256-128"}), noKB, ErrHashAlg},
		{"_sd_alg not a string", crafted(map[string]any{"_sd_alg": 256}), noKB, ErrHashAlg},
		{"supported _sd_alg outside the accepted ones", crafted(map[string]any{"_sd_alg": "sha3-256"}), withHashAlgs(noKB, HashAlg), ErrHashAlg},
		{"oversize token", good, withLimits(f.opts(), Limits{MaxTokenLen: 100}), ErrTooLarge},
		{"too many disclosures", good, withLimits(f.opts(), Limits{MaxDisclosures: 2}), ErrTooLarge},
		{"oversize disclosure", good, withLimits(f.opts(), Limits{MaxDisclosureLen: 20}), ErrTooLarge},
		{"too deep", crafted(map[string]any{"a": map[string]any{"b": map[string]any{"c": 1}}}), withLimits(noKB, Limits{MaxDepth: 2}), ErrTooLarge},
		{"no tilde", parts[0], noKB, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(tc.in, tc.opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v (code %q), want %v", err, Code(err), tc.want)
			}
			if Code(err) != Code(tc.want) || Code(err) == "" {
				t.Errorf("code %q, want %q", Code(err), Code(tc.want))
			}
		})
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

func withNow(o VerifyOptions, now time.Time) VerifyOptions {
	o.Now = func() time.Time { return now }
	return o
}
func withAlgs(o VerifyOptions, algs ...jose.Alg) VerifyOptions { o.Algs = algs; return o }
func withTyp(o VerifyOptions, typ string) VerifyOptions        { o.IssuerTyp = typ; return o }
func withLimits(o VerifyOptions, l Limits) VerifyOptions       { o.Limits = l; return o }
func withKey(o VerifyOptions, k crypto.PublicKey) VerifyOptions {
	o.IssuerKey = func(jose.Header, map[string]any) (crypto.PublicKey, error) { return k, nil }
	return o
}

func TestIssueRefuses(t *testing.T) {
	f := newFixture(t, jose.ES256, jose.ES256)
	tests := []struct {
		name   string
		claims map[string]any
		paths  []string
		never  []string
		want   error
	}{
		{"never-disclosable claim", f.claims, []string{"/cnf"}, []string{"iss", "cnf", "exp"}, ErrNeverDisclosable},
		{"never-disclosable below", f.claims, []string{"/cnf/jwk"}, []string{"cnf"}, ErrNeverDisclosable},
		{"path that does not exist", f.claims, []string{"/nope"}, nil, ErrPath},
		{"array index out of range", f.claims, []string{"/nationalities/2"}, nil, ErrPath},
		{"path below a scalar", f.claims, []string{"/given_name/x"}, nil, ErrPath},
		{"not a pointer", f.claims, []string{"given_name"}, nil, ErrPath},
		{"whole payload", f.claims, []string{""}, nil, ErrPath},
		{"disclosable _sd", map[string]any{"a": 1}, []string{"/_sd"}, nil, ErrReservedClaim},
		{"disclosable ...", map[string]any{"a": 1}, []string{"/a/..."}, nil, ErrReservedClaim},
		{"input holds _sd", map[string]any{"a": map[string]any{"_sd": []any{}}}, nil, nil, ErrReservedClaim},
		{"input holds ...", map[string]any{"a": []any{map[string]any{"...": "x"}}}, nil, nil, ErrReservedClaim},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Issue(tc.claims, IssueOptions{Signer: f.issuer, Disclosable: tc.paths, NeverDisclosable: tc.never})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSelectUnknownPath(t *testing.T) {
	f := newFixture(t, jose.ES256, jose.ES256)
	for _, p := range []string{"/nope", "/address/nope", "/nationalities/7", "/given_name/x", "no-slash"} {
		if _, err := f.issued.Select([]string{p}); !errors.Is(err, ErrPath) {
			t.Errorf("Select(%q): got %v, want ErrPath", p, err)
		}
	}
}

// A "*" over an empty array selects nothing: Select refuses it as it
// refuses any path that names no claim (before internal/claimpath it was
// vacuously true here while the issuer's copy said false), and a bad "~"
// escape or a non-canonical index is not a path.
func TestSelectWildcardAndEscapes(t *testing.T) {
	f := newFixture(t, jose.ES256, jose.ES256)
	claims := map[string]any{"iss": "x", "empty": []any{}, "list": []any{"a", "b"}, "a/b": "s", "m~n": "t"}
	issued, err := Issue(claims, IssueOptions{Signer: f.issuer, Disclosable: []string{"/empty", "/list/0", "/list/1", "/a~1b", "/m~0n"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{"/empty", true},
		{"/empty/*", false},
		{"/list/*", true},
		{"/list/1", true},
		{"/list/01", false},
		{"/list/+1", false},
		{"/a~1b", true},
		{"/m~0n", true},
		{"/m~2n", false},
		{"/m~", false},
	} {
		_, err := issued.Select([]string{tc.path})
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrPath)) {
			t.Errorf("Select(%q) = %v, want ok=%v (or ErrPath)", tc.path, err, tc.ok)
		}
	}
}

// A verifier that asks for key binding but forgets its nonce or audience
// must get an error, not a check against the empty string.
func TestRequireKeyBindingNeedsNonceAndAudience(t *testing.T) {
	f := newFixture(t, jose.ES256, jose.ES256)
	pres := f.present(t, fixtureSelect)
	for _, tc := range []struct{ name, nonce, aud string }{{"no nonce", "", "x"}, {"no aud", "n", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			o := f.opts()
			o.Nonce, o.Audience = tc.nonce, tc.aud
			if _, err := Verify(pres, o); err == nil {
				t.Fatal("verified without an expected nonce/audience")
			}
		})
	}
}

func withHashAlgs(o VerifyOptions, algs ...string) VerifyOptions {
	o.HashAlgs = algs
	return o
}
