package sdjwtvc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/sdjwt"
)

var (
	t0      = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	nowFunc = func() time.Time { return t0.Add(time.Hour) }
)

// mapResolver resolves DIDs from a fixed table, standing in for internal/did.
type mapResolver map[string]*jose.JWK

func (m mapResolver) ResolveKey(_ context.Context, ref string) (*jose.JWK, error) {
	d, _, _ := strings.Cut(ref, "#")
	k, ok := m[d]
	if !ok {
		return nil, fmt.Errorf("unknown DID %s", d)
	}
	return k, nil
}

type party struct {
	signer *jose.Signer
	jwk    *jose.JWK
	did    string
}

func newParty(t *testing.T, kind string) party {
	t.Helper()
	var key crypto.Signer
	var err error
	switch kind {
	case "ES256":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "EdDSA":
		_, key, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	s, err := jose.NewSigner(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	j, err := jose.NewJWK(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(j)
	d := "did:jwk:" + jose.B64.EncodeToString(b)
	return party{signer: s.WithKeyID(d + "#0"), jwk: j, did: d}
}

func baseCredential(iss, holder party) Credential {
	return Credential{
		VCT: "urn:cairn:vct:humanitarian-registration:1", Issuer: iss.did,
		IssuedAt: t0, ExpiresAt: t0.Add(365 * 24 * time.Hour), HolderJWK: holder.jwk,
		Claims: map[string]any{
			"given_name": "Amina", "family_name": "Yusuf", "birthdate": "1994-07-02",
			"nationalities": []any{"SO", "KE"},
			"address":       map[string]any{"locality": "Kakuma", "country": "KE"},
		},
		Disclosable: []string{"/given_name", "/family_name", "/birthdate", "/nationalities/*", "/address", "/address/locality"},
		Decoys:      2,
	}
}

func present(t *testing.T, cred string, holder party, paths []string, nonce, aud string) string {
	t.Helper()
	tok, err := sdjwt.Parse(cred, sdjwt.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	sel, err := tok.Select(paths)
	if err != nil {
		t.Fatal(err)
	}
	p, err := sel.WithKeyBinding(holder.signer, sdjwt.KBOptions{Audience: aud, Nonce: nonce, IssuedAt: nowFunc()})
	if err != nil {
		t.Fatal(err)
	}
	return p.String()
}

func TestRoundTripAlgorithms(t *testing.T) {
	for _, ia := range []string{"ES256", "ES384", "EdDSA"} {
		for _, ha := range []string{"ES256", "EdDSA"} {
			t.Run(ia+"/"+ha, func(t *testing.T) {
				iss, holder := newParty(t, ia), newParty(t, ha)
				cred, err := Issue(baseCredential(iss, holder), IssueOptions{Signer: iss.signer})
				if err != nil {
					t.Fatal(err)
				}
				pres := present(t, cred, holder, []string{"/given_name", "/nationalities/1"}, "n-1", "https://desk.example")
				r, err := Verify(context.Background(), pres, VerifyOptions{
					Trust:             Trust{TrustedDIDs: []string{iss.did}, Resolver: mapResolver{iss.did: iss.jwk}},
					RequireKeyBinding: true, Nonce: "n-1", Audience: "https://desk.example", Now: nowFunc,
				})
				if err != nil {
					t.Fatal(err)
				}
				if r.Claims["given_name"] != "Amina" || r.Claims["family_name"] != nil || r.Claims["birthdate"] != nil {
					t.Fatalf("wrong disclosure set: %v", r.Claims)
				}
				nats, _ := r.Claims["nationalities"].([]any)
				if len(nats) != 1 || nats[0] != "KE" {
					t.Fatalf("nationalities = %v, want [KE]", r.Claims["nationalities"])
				}
				if _, ok := r.Claims["address"]; ok {
					t.Fatalf("address disclosed without being asked for")
				}
				if r.VCT != "urn:cairn:vct:humanitarian-registration:1" || r.Issuer != iss.did || !r.IssuedAt.Equal(t0) || !r.Trusted {
					t.Fatalf("registered claims wrong: %+v", r)
				}
				if !r.HolderJWK.Equal(holder.jwk) {
					t.Fatal("holder key not reported")
				}
			})
		}
	}
}

func TestIssueRefuses(t *testing.T) {
	iss, holder := newParty(t, "ES256"), newParty(t, "ES256")
	cases := []struct {
		name   string
		mutate func(*Credential)
		want   error
	}{
		{"iss disclosable", func(c *Credential) { c.Disclosable = append(c.Disclosable, "/iss") }, sdjwt.ErrNeverDisclosable},
		{"vct disclosable", func(c *Credential) { c.Disclosable = []string{"/vct"} }, sdjwt.ErrNeverDisclosable},
		{"cnf disclosable", func(c *Credential) { c.Disclosable = []string{"/cnf"} }, sdjwt.ErrNeverDisclosable},
		{"exp disclosable", func(c *Credential) { c.Disclosable = []string{"/exp"} }, sdjwt.ErrNeverDisclosable},
		{"registered claim in user claims", func(c *Credential) { c.Claims["iss"] = "x" }, ErrInvalidInput},
		{"status in user claims", func(c *Credential) { c.Claims["status"] = map[string]any{} }, ErrInvalidInput},
		{"no vct", func(c *Credential) { c.VCT = "" }, ErrInvalidInput},
		{"exp before iat", func(c *Credential) { c.ExpiresAt = t0.Add(-time.Second) }, ErrInvalidInput},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := baseCredential(iss, holder)
			tc.mutate(&c)
			_, err := Issue(c, IssueOptions{Signer: iss.signer})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	iss, holder, other := newParty(t, "ES256"), newParty(t, "ES256"), newParty(t, "ES256")
	resolver := mapResolver{iss.did: iss.jwk, other.did: other.jwk}
	trusted := Trust{TrustedDIDs: []string{iss.did}, Resolver: resolver}
	good, err := Issue(baseCredential(iss, holder), IssueOptions{Signer: iss.signer})
	if err != nil {
		t.Fatal(err)
	}
	// A credential whose status claim was (wrongly) made disclosable by a
	// non-conforming issuer: built with sdjwt directly.
	sdStatus, err := sdjwt.Issue(map[string]any{
		"vct": "urn:x", "iss": iss.did, "iat": t0.Unix(), "status": map[string]any{"status_list": map[string]any{"idx": 1, "uri": "https://s.example/1"}},
	}, sdjwt.IssueOptions{Signer: iss.signer, Header: map[string]any{"typ": Typ}, Disclosable: []string{"/status"}})
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := Issue(baseCredential(iss, holder), IssueOptions{Signer: iss.signer, LegacyTyp: true})
	if err != nil {
		t.Fatal(err)
	}
	noVCT, err := sdjwt.Issue(map[string]any{"iss": iss.did, "iat": t0.Unix()},
		sdjwt.IssueOptions{Signer: iss.signer, Header: map[string]any{"typ": Typ}})
	if err != nil {
		t.Fatal(err)
	}
	foreignKid, err := sdjwt.Issue(map[string]any{"iss": iss.did, "iat": t0.Unix(), "vct": "urn:x"},
		sdjwt.IssueOptions{Signer: other.signer, Header: map[string]any{"typ": Typ}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		token string
		opts  func(*VerifyOptions)
		want  error
	}{
		{"untrusted DID", good, func(o *VerifyOptions) { o.Trust.TrustedDIDs = []string{other.did} }, ErrUntrustedIssuer},
		{"no trust at all", good, func(o *VerifyOptions) { o.Trust.TrustedDIDs = nil }, ErrUntrustedIssuer},
		{"status made disclosable", sdStatus.String(), nil, sdjwt.ErrNeverDisclosable},
		{"legacy typ refused by default", legacy, nil, sdjwt.ErrType},
		{"missing vct", noVCT.String(), nil, ErrMissingClaim},
		{"kid of another DID", foreignKid.String(), nil, ErrIssuerKey},
		{"expired", good, func(o *VerifyOptions) { o.Now = func() time.Time { return t0.Add(400 * 24 * time.Hour) } }, sdjwt.ErrExpired},
		{"KB required but absent", good, func(o *VerifyOptions) { o.RequireKeyBinding, o.Nonce, o.Audience = true, "n", "a" }, sdjwt.ErrKeyBindingRequired},
		{"authorize hook refuses", good, func(o *VerifyOptions) {
			o.Trust.Authorize = func(context.Context, *Result) error { return errSentinelForTest }
		}, errSentinelForTest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := VerifyOptions{Trust: trusted, Now: nowFunc}
			if tc.opts != nil {
				tc.opts(&o)
			}
			_, err := Verify(context.Background(), tc.token, o)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("legacy typ accepted when asked", func(t *testing.T) {
		if _, err := Verify(context.Background(), legacy, VerifyOptions{Trust: trusted, Now: nowFunc, AcceptLegacyTyp: true}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("untrusted result names the issuer", func(t *testing.T) {
		r, err := Verify(context.Background(), good, VerifyOptions{Trust: Trust{Resolver: resolver}, Now: nowFunc})
		if !errors.Is(err, ErrUntrustedIssuer) || r == nil || r.Issuer != iss.did || r.Trusted {
			t.Fatalf("r=%+v err=%v", r, err)
		}
	})
}

var errSentinelForTest = errors.New("registry says no")

func TestPinnedHTTPSIssuer(t *testing.T) {
	iss, holder, stranger := newParty(t, "ES256"), newParty(t, "ES256"), newParty(t, "ES256")
	c := baseCredential(iss, holder)
	c.Issuer = "https://ngo.example"
	cred, err := Issue(c, IssueOptions{Signer: iss.signer.WithKeyID("")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(context.Background(), cred, VerifyOptions{Trust: Trust{PinnedKeys: []*jose.JWK{iss.jwk}}, Now: nowFunc}); err != nil {
		t.Fatalf("pinned issuer: %v", err)
	}
	_, err = Verify(context.Background(), cred, VerifyOptions{Trust: Trust{PinnedKeys: []*jose.JWK{stranger.jwk}}, Now: nowFunc})
	if !errors.Is(err, sdjwt.ErrSignature) {
		t.Fatalf("wrong pinned key: err = %v, want signature failure", err)
	}
	_, err = Verify(context.Background(), cred, VerifyOptions{Now: nowFunc})
	if !errors.Is(err, ErrUntrustedIssuer) {
		t.Fatalf("nothing pinned: err = %v", err)
	}
}

func ExampleIssue() {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signer, _ := jose.NewSigner(key, nil)
	cred, err := Issue(Credential{
		VCT: "urn:cairn:vct:language-skills:1", Issuer: "https://school.example",
		IssuedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Claims:   map[string]any{"language": "fr", "level": "B1"}, Disclosable: []string{"/level"},
	}, IssueOptions{Signer: signer})
	fmt.Println(err == nil, strings.HasSuffix(cred, "~"), strings.Count(cred, "~"))
	// Output: true true 2
}
