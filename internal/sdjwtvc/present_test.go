package sdjwtvc

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/sdjwt"
)

// presentSentinels are the classes every Present error falls in.
var presentSentinels = []error{ErrNotPresentable, ErrAlreadyPresented, ErrHolderMismatch, sdjwt.ErrPath, ErrKeyBindingSign}

func checkOneClass(t *testing.T, err error) {
	t.Helper()
	n := 0
	for _, s := range presentSentinels {
		if errors.Is(err, s) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("error %v matches %d classes, want exactly 1", err, n)
	}
}

func TestPresentRoundTrip(t *testing.T) {
	iss, holder := newParty(t, "ES256"), newParty(t, "EdDSA")
	cred, err := Issue(baseCredential(iss, holder), IssueOptions{Signer: iss.signer})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		paths     []string
		want      map[string]any // claim → value, nil value: must be absent
		wantNats  int
		wantLocal bool
	}{
		{name: "nothing", paths: nil, want: map[string]any{"given_name": nil, "family_name": nil}},
		{name: "names", paths: []string{"/given_name", "/family_name"}, want: map[string]any{"given_name": "Amina", "family_name": "Yusuf", "birthdate": nil}},
		{name: "every nationality", paths: []string{"/nationalities/*"}, want: map[string]any{"given_name": nil}, wantNats: 2},
		{name: "nested, parent comes along", paths: []string{"/address/locality"}, want: map[string]any{"birthdate": nil}, wantLocal: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pres, err := Present(cred, holder.signer, PresentOptions{Paths: tc.paths, Audience: "https://desk.example", Nonce: "n-7", Now: nowFunc})
			if err != nil {
				t.Fatal(err)
			}
			r, err := Verify(context.Background(), pres, VerifyOptions{
				Trust:             Trust{TrustedDIDs: []string{iss.did}, Resolver: mapResolver{iss.did: iss.jwk}},
				RequireKeyBinding: true, Nonce: "n-7", Audience: "https://desk.example", Now: nowFunc,
			})
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if got, ok := r.Claims[k]; v == nil && ok || v != nil && got != v {
					t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
				}
			}
			nats, _ := r.Claims["nationalities"].([]any)
			if len(nats) != tc.wantNats {
				t.Errorf("nationalities %v, want %d", nats, tc.wantNats)
			}
			addr, _ := r.Claims["address"].(map[string]any)
			if (addr["locality"] == "Kakuma") != tc.wantLocal {
				t.Errorf("address %v", addr)
			}
			if !r.HolderJWK.Equal(holder.jwk) || r.KeyBinding == nil || r.KeyBinding.Nonce != "n-7" {
				t.Errorf("key binding not verified as expected: %+v", r.KeyBinding)
			}
			// Another nonce does not verify: the KB-JWT is bound to it.
			if _, err := Verify(context.Background(), pres, VerifyOptions{
				Trust:             Trust{TrustedDIDs: []string{iss.did}, Resolver: mapResolver{iss.did: iss.jwk}},
				RequireKeyBinding: true, Nonce: "n-8", Audience: "https://desk.example", Now: nowFunc,
			}); !errors.Is(err, sdjwt.ErrNonce) {
				t.Errorf("other nonce: %v", err)
			}
		})
	}
}

func TestPresentRefuses(t *testing.T) {
	iss, holder, stranger := newParty(t, "ES256"), newParty(t, "ES256"), newParty(t, "ES256")
	cred, err := Issue(baseCredential(iss, holder), IssueOptions{Signer: iss.signer})
	if err != nil {
		t.Fatal(err)
	}
	unbound := baseCredential(iss, holder)
	unbound.HolderJWK = nil
	unboundCred, err := Issue(unbound, IssueOptions{Signer: iss.signer})
	if err != nil {
		t.Fatal(err)
	}
	presented, err := Present(cred, holder.signer, PresentOptions{Audience: "a", Nonce: "n", Now: nowFunc})
	if err != nil {
		t.Fatal(err)
	}
	ok := PresentOptions{Paths: []string{"/given_name"}, Audience: "a", Nonce: "n", Now: nowFunc}
	tests := []struct {
		name   string
		cred   string
		holder *jose.Signer
		o      PresentOptions
		want   []error
		msg    string
	}{
		{name: "unknown path", cred: cred, holder: holder.signer, o: PresentOptions{Paths: []string{"/no_such_claim"}, Audience: "a", Nonce: "n"}, want: []error{sdjwt.ErrPath}},
		{name: "not a pointer", cred: cred, holder: holder.signer, o: PresentOptions{Paths: []string{"given_name"}, Audience: "a", Nonce: "n"}, want: []error{sdjwt.ErrPath}},
		{name: "other holder", cred: cred, holder: stranger.signer, o: ok, want: []error{ErrHolderMismatch}},
		{name: "already presented", cred: presented, holder: holder.signer, o: ok, want: []error{ErrAlreadyPresented}, msg: "already a presentation"},
		{name: "not an SD-JWT", cred: "not.an.sdjwt", holder: holder.signer, o: ok, want: []error{ErrNotPresentable, sdjwt.ErrMalformed}},
		{name: "no cnf", cred: unboundCred, holder: holder.signer, o: ok, want: []error{ErrNotPresentable, sdjwt.ErrHolderKey}, msg: "has no cnf.jwk"},
		{name: "no nonce", cred: cred, holder: holder.signer, o: PresentOptions{Audience: "a"}, want: []error{ErrKeyBindingSign}},
		{name: "no signer", cred: cred, holder: nil, o: ok, want: []error{ErrKeyBindingSign}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Present(tc.cred, tc.holder, tc.o)
			if err == nil || p != "" {
				t.Fatalf("presented: %q", p)
			}
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("err = %v, want %v", err, w)
				}
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("message %q lacks %q", err, tc.msg)
			}
			checkOneClass(t, err)
		})
	}
}

// TestPresentStrictCnf: cnf.jwk is read as Verify reads it, so a holder
// never makes a presentation that no verifier would accept.
func TestPresentStrictCnf(t *testing.T) {
	iss, holder := newParty(t, "ES256"), newParty(t, "ES256")
	good := holder.jwk.Map()
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for n, x := range good {
			m[n] = x
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name string
		cnf  any
	}{
		{"cnf not an object", "did:jwk:abc"},
		{"cnf.jwk not an object", map[string]any{"jwk": "eyJrdHkiOiJFQyJ9"}},
		{"cnf with kid only", map[string]any{"kid": "did:jwk:abc#0"}},
		{"private key material", map[string]any{"jwk": with("d", "AAAA")}},
		{"x not a string", map[string]any{"jwk": with("x", 12)}},
		{"crv not a string", map[string]any{"jwk": with("crv", []any{"P-256"})}},
		{"x missing", map[string]any{"jwk": with("x", nil)}},
		{"unknown kty", map[string]any{"jwk": with("kty", "oct")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			claims := map[string]any{"vct": "urn:x", "iss": iss.did, "iat": t0.Unix(), "cnf": tc.cnf, "given_name": "Amina"}
			tok, err := sdjwt.Issue(claims, sdjwt.IssueOptions{Signer: iss.signer, Header: map[string]any{"typ": Typ}, Disclosable: []string{"/given_name"}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = Present(tok.String(), holder.signer, PresentOptions{Paths: []string{"/given_name"}, Audience: "a", Nonce: "n", Now: nowFunc})
			if !errors.Is(err, sdjwt.ErrHolderKey) || !errors.Is(err, ErrNotPresentable) {
				t.Fatalf("err = %v, want ErrHolderKey and ErrNotPresentable", err)
			}
			checkOneClass(t, err)
		})
	}
}
