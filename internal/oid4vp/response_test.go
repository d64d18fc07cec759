package oid4vp

import (
	"crypto"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/sdjwt"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
)

func TestVPToken(t *testing.T) {
	v, err := ParseVPToken([]byte(`{"pid":["a~b~c"],"other":["x~","y~"]}`))
	if err != nil || len(v["other"]) != 2 || !reflect.DeepEqual(v.IDs(), []string{"other", "pid"}) {
		t.Fatalf("%v %v", v, err)
	}
	b, _ := v.Marshal()
	if string(b) != `{"other":["x~","y~"],"pid":["a~b~c"]}` {
		t.Fatalf("%s", b)
	}
	for _, bad := range []string{
		`[]`, `{}`, `{"pid":[]}`, `{"pid":"a~"}`, `{"pid":[{"@context":[]}]}`, `{"pid":[""]}`,
		`{"p d":["a"]}`, `{"pid":["a"],"pid":["b"]}`, `{"pid":[1]}`, `"a~b"`,
	} {
		if _, err := ParseVPToken([]byte(bad)); !errors.Is(err, ErrInvalidResponse) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestDirectPost(t *testing.T) {
	r := &Response{VPToken: VPToken{"pid": {"a~b~"}}, State: "s1"}
	f, err := r.Form()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseResponse([]byte(f.Encode()), ResponseOptions{Mode: ResponseModeDirectPost})
	if err != nil || !reflect.DeepEqual(got.VPToken, r.VPToken) || got.State != "s1" || got.Encrypted {
		t.Fatalf("%+v %v", got, err)
	}
	// Refusal: access_denied and the state, nothing else.
	f, _ = ErrorResponse("s1").Form()
	if f.Encode() != "error=access_denied&state=s1" {
		t.Fatalf("%s", f.Encode())
	}
	got, err = ParseResponse([]byte(f.Encode()), ResponseOptions{Mode: ResponseModeDirectPostJWT})
	if err != nil || !got.IsAccessDenied() || got.State != "s1" {
		t.Fatalf("%+v %v", got, err)
	}
	for name, body := range map[string]string{
		"vp_token in jwt mode":  "vp_token=" + url.QueryEscape(`{"pid":["a"]}`),
		"repeated":              "error=access_denied&error=x",
		"error and vp_token":    "error=access_denied&vp_token=" + url.QueryEscape(`{"pid":["a"]}`),
		"nothing":               "state=s",
		"bad error code":        "error=Access+Denied",
		"response in post mode": "response=a.b.c.d.e",
	} {
		mode := ResponseModeDirectPost
		if strings.Contains(name, "jwt mode") {
			mode = ResponseModeDirectPostJWT
		}
		if _, err := ParseResponse([]byte(body), ResponseOptions{Mode: mode}); !errors.Is(err, ErrInvalidResponse) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := ParseResponse(make([]byte, MaxResponseLen+1), ResponseOptions{}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
}

func TestDirectPostJWT(t *testing.T) {
	v := newVerifier(t, ResponseModeDirectPostJWT)
	r := &Response{VPToken: VPToken{"pid": {"a~b~"}}, State: "st-1"}
	f, err := r.EncryptedForm(v.req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(f) != 1 || f.Get("response") == "" {
		t.Fatalf("form %v", f)
	}
	hdr, _ := jose.DecodeSegment(strings.Split(f.Get("response"), ".")[0])
	if !strings.Contains(string(hdr), `"kid":"enc-1"`) || !strings.Contains(string(hdr), `"enc":"A256GCM"`) {
		t.Fatalf("header %s", hdr)
	}
	got, err := ParseResponse([]byte(f.Encode()), ResponseOptions{Mode: ResponseModeDirectPostJWT, Key: v.encKey})
	if err != nil || !got.Encrypted || got.State != "st-1" || !reflect.DeepEqual(got.VPToken, r.VPToken) {
		t.Fatalf("%+v %v", got, err)
	}
	wrong, _ := ecdh.P256().GenerateKey(rand.Reader)
	if _, err := ParseResponse([]byte(f.Encode()), ResponseOptions{Mode: ResponseModeDirectPostJWT, Key: wrong}); !errors.Is(err, ErrInvalidResponse) || !errors.Is(err, jose.ErrDecrypt) {
		t.Fatalf("wrong key: %v", err)
	}
	if _, err := ParseResponse([]byte(f.Encode()), ResponseOptions{Mode: ResponseModeDirectPostJWT, Key: v.encKey, Encs: []string{jose.A128GCM}}); !errors.Is(err, jose.ErrAlgNotAllowed) {
		t.Fatalf("enc outside allow-list: %v", err)
	}
	// state outside the JWE must agree with the one inside.
	f.Set("state", "other")
	if _, err := ParseResponse([]byte(f.Encode()), ResponseOptions{Mode: ResponseModeDirectPostJWT, Key: v.encKey}); !errors.Is(err, ErrInvalidResponse) {
		t.Fatalf("state mismatch: %v", err)
	}
	// An encrypted payload without vp_token.
	pub := v.encKey.PublicKey()
	jwe, _ := jose.EncryptECDHES([]byte(`{"state":"x"}`), pub, jose.EncryptOptions{})
	if _, err := ParseResponse([]byte("response="+jwe), ResponseOptions{Mode: ResponseModeDirectPostJWT, Key: v.encKey}); !errors.Is(err, ErrInvalidResponse) {
		t.Fatalf("no vp_token: %v", err)
	}
}

// TestDirectPostJWTError: with direct_post.jwt a refusal travels inside
// the JWE too (OpenID4VP 1.0 §8.3.1; @openid4vc/openid4vp's wallet sends
// it so), and the verifier reads it; malformed encrypted errors are
// refused.
func TestDirectPostJWTError(t *testing.T) {
	v := newVerifier(t, ResponseModeDirectPostJWT)
	f, err := ErrorResponse("st-1").EncryptedForm(v.req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(f) != 1 || f.Get("response") == "" {
		t.Fatalf("form %v: the refusal is not encrypted", f)
	}
	got, err := ParseResponse([]byte(f.Encode()), ResponseOptions{Mode: ResponseModeDirectPostJWT, Key: v.encKey})
	if err != nil || !got.IsAccessDenied() || !got.Encrypted || got.State != "st-1" || len(got.VPToken) != 0 {
		t.Fatalf("%+v %v", got, err)
	}
	pub := v.encKey.PublicKey()
	for name, plain := range map[string]string{
		"described":          `{"error":"access_denied","error_description":"no","state":"s"}`,
		"error and vp_token": `{"error":"access_denied","vp_token":{"pid":["a"]}}`,
		"error not a string": `{"error":1}`,
		"empty error":        `{"error":""}`,
		"bad error code":     `{"error":"Access Denied"}`,
		"bad description":    `{"error":"access_denied","error_description":3}`,
	} {
		jwe, err := jose.EncryptECDHES([]byte(plain), pub, jose.EncryptOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseResponse([]byte("response="+jwe), ResponseOptions{Mode: ResponseModeDirectPostJWT, Key: v.encKey})
		if name == "described" {
			if err != nil || !got.IsAccessDenied() || got.ErrorDescription != "no" || got.State != "s" {
				t.Errorf("%s: %+v %v", name, got, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalidResponse) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestKBAudience(t *testing.T) {
	cid := "decentralized_identifier:did:web:verifier.example"
	if KBAudience(cid) != cid || CheckKBAudience(cid, cid) != nil {
		t.Fatal("full client id")
	}
	err := CheckKBAudience("did:web:verifier.example", cid)
	if !errors.Is(err, ErrKBAudience) || !strings.Contains(err.Error(), "lacks the client id prefix") {
		t.Fatalf("%v", err)
	}
	for _, aud := range []string{"", "did:web:other.example", cid + " "} {
		if err := CheckKBAudience(aud, cid); !errors.Is(err, ErrKBAudience) {
			t.Errorf("%q: %v", aud, err)
		}
	}
}

// TestEndToEnd runs the whole exchange with the project's own pieces: the
// verifier signs a request, the wallet verifies it, evaluates the DCQL
// query over its credentials, presents exactly the selected claims with
// KB aud = full client id, encrypts the response; the verifier decrypts,
// verifies each presentation and checks it answers the query.
func TestEndToEnd(t *testing.T) {
	v := newVerifier(t, ResponseModeDirectPostJWT)
	v.req.DCQLQuery = loadQuery(t, "value_matching_simple.json")
	tok := v.sign(t, nil, nil)
	uri, _ := BuildRequestURI(v.clientID, "https://verifier.example/request/1", "")

	// Wallet.
	ru, err := ParseRequestURI(uri, Options{})
	if err != nil {
		t.Fatal(err)
	}
	req, err := VerifyRequestObject(t.Context(), tok, VerifyOptions{ClientID: ru.ClientID, Resolver: v.opts().Resolver, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	issuer, holder := testSigner(t), testSigner(t)
	hjwk, _ := jose.NewJWK(holder.Public())
	claims := map[string]any{"iss": "https://issuer.example", "vct": identityVCT, "cnf": map[string]any{"jwk": hjwk.Map()},
		"family_name": "Doe", "given_name": "John", "postal_code": "90211", "birthdate": "1990-01-01",
		"address": map[string]any{"street_address": "1 Main St", "locality": "Springfield"}}
	issued, err := sdjwt.Issue(claims, sdjwt.IssueOptions{Signer: issuer, Header: map[string]any{"typ": "dc+sd-jwt"},
		Disclosable: []string{"/family_name", "/given_name", "/postal_code", "/birthdate", "/address", "/address/street_address", "/address/locality"}})
	if err != nil {
		t.Fatal(err)
	}
	cand, err := NewSDJWTCredential(issued)
	if err != nil {
		t.Fatal(err)
	}
	res := Evaluate(req.DCQLQuery, []Credential{cand})
	if !res.Satisfiable {
		t.Fatalf("%+v", res)
	}
	m := res.Query("my_credential").Matches[0]
	pres, err := sdjwtvc.Present(issued.String(), holder, sdjwtvc.PresentOptions{
		Paths: m.Pointers(), Audience: KBAudience(req.ClientID), Nonce: req.Nonce, Now: func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	form, err := (&Response{VPToken: VPToken{"my_credential": {pres}}, State: req.State}).EncryptedForm(req, nil)
	if err != nil {
		t.Fatal(err)
	}

	// Verifier.
	resp, err := ParseResponse([]byte(form.Encode()), ResponseOptions{Mode: ResponseModeDirectPostJWT, Key: v.encKey})
	if err != nil {
		t.Fatal(err)
	}
	presented := map[string][]Credential{}
	for id, list := range resp.VPToken {
		for _, p := range list {
			ver, err := sdjwt.Verify(p, sdjwt.VerifyOptions{
				IssuerKey:         func(jose.Header, map[string]any) (crypto.PublicKey, error) { return issuer.Public(), nil },
				RequireKeyBinding: true, Nonce: v.req.Nonce, Audience: v.clientID, Now: func() time.Time { return testNow },
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckKBAudience(ver.KeyBinding.Audience, v.clientID); err != nil {
				t.Fatal(err)
			}
			c, err := VerifiedCredential(ver)
			if err != nil {
				t.Fatal(err)
			}
			presented[id] = append(presented[id], c)
		}
	}
	rc, err := CheckResponse(v.req.DCQLQuery, presented)
	if err != nil {
		t.Fatal(err)
	}
	if len(rc.Extra) != 0 {
		t.Fatalf("extra %+v", rc.Extra)
	}
	var kept []string
	for _, c := range rc.Answered[0].Presentations[0].Claims {
		kept = append(kept, c.Path.Pointer())
	}
	if !reflect.DeepEqual(kept, []string{"/family_name", "/given_name", "/address/street_address", "/postal_code"}) {
		t.Fatalf("kept %v", kept)
	}
	// birthdate and address.locality never left the wallet.
	parsed, err := sdjwt.Parse(pres, sdjwt.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range parsed.Disclosures {
		if d.Name == "birthdate" || d.Name == "locality" {
			t.Fatalf("disclosed %s", d.Name)
		}
	}
	if len(parsed.Disclosures) != 5 || len(presented["my_credential"][0].Disclosable()) != 5 {
		t.Fatalf("disclosed %v", presented["my_credential"][0].Disclosable())
	}
}

func TestParseDirectPostResult(t *testing.T) {
	for body, want := range map[string]string{"": "", "{}": "", `{"redirect_uri":"https://v.example/done?x=1"}`: "https://v.example/done?x=1"} {
		if got, err := ParseDirectPostResult([]byte(body), Options{}); err != nil || got != want {
			t.Errorf("%q: %q %v", body, got, err)
		}
	}
	for _, bad := range []string{`[]`, `{"redirect_uri":1}`, `{"redirect_uri":"http://v.example/"}`, `{"redirect_uri":"javascript:alert(1)"}`, `{"a":1,"a":2}`} {
		if _, err := ParseDirectPostResult([]byte(bad), Options{}); !errors.Is(err, ErrInvalidResponse) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}
