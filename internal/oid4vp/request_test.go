package oid4vp

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
)

var testNow = time.Unix(1_780_000_000, 0)

type verifierFixture struct {
	signer   *jose.Signer
	clientID string
	encKey   *ecdh.PrivateKey
	req      *AuthorizationRequest
}

func newVerifier(t testing.TB, mode string) *verifierFixture {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := jose.NewSigner(k, nil)
	jwk, _ := jose.NewJWK(&k.PublicKey)
	d := did.FromJWK(jwk)
	v := &verifierFixture{signer: s.WithKeyID(d + "#0"), clientID: PrefixDecentralizedIdentifier + ":" + d}
	v.encKey, _ = ecdh.P256().GenerateKey(rand.Reader)
	encJWK, _ := jose.NewECDHJWK(v.encKey.PublicKey())
	encJWK.Kid, encJWK.Use, encJWK.Alg = "enc-1", "enc", jose.ECDHES
	q, err := ParseQuery([]byte(`{"credentials":[{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["` + identityVCT + `"]},"claims":[{"path":["given_name"]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	v.req = &AuthorizationRequest{
		ClientID: v.clientID, ResponseType: ResponseTypeVPToken, ResponseMode: mode,
		ResponseURI: "https://verifier.example/response/abc", Nonce: "n-0S6_WzA2Mj", State: "st-1",
		DCQLQuery: q,
		ClientMetadata: &ClientMetadata{
			JWKS:                                &JWKS{Keys: []jose.JWK{*encJWK}},
			EncryptedResponseEncValuesSupported: []string{"A256GCM", "A128GCM"},
			VPFormatsSupported:                  map[string]any{"dc+sd-jwt": map[string]any{"sd-jwt_alg_values": []any{"ES256"}}},
		},
	}
	return v
}

func (v *verifierFixture) sign(t testing.TB, mut func(map[string]any), hdr map[string]any) string {
	t.Helper()
	if mut == nil && hdr == nil {
		tok, err := SignRequestObject(v.signer, v.req, SignOptions{Now: func() time.Time { return testNow }})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	b, _ := json.Marshal(v.req)
	var p map[string]any
	_ = json.Unmarshal(b, &p)
	p["iat"], p["exp"], p["aud"] = testNow.Unix(), testNow.Add(time.Minute).Unix(), SelfIssuedAudience
	if mut != nil {
		mut(p)
	}
	pb, _ := json.Marshal(p)
	h := map[string]any{"typ": RequestObjectTyp}
	for k, x := range hdr {
		h[k] = x
	}
	tok, err := v.signer.Sign(h, pb)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (v *verifierFixture) opts() VerifyOptions {
	return VerifyOptions{ClientID: v.clientID, Resolver: &did.Resolver{}, Now: func() time.Time { return testNow }}
}

func TestRequestObjectRoundTrip(t *testing.T) {
	for _, mode := range []string{ResponseModeDirectPost, ResponseModeDirectPostJWT} {
		v := newVerifier(t, mode)
		tok := v.sign(t, nil, nil)
		got, err := VerifyRequestObject(context.Background(), tok, v.opts())
		if err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(v.req)
		b, _ := json.Marshal(got)
		if string(a) != string(b) {
			t.Fatalf("round trip:\n%s\n%s", a, b)
		}
		j, _ := jose.Parse(tok)
		var p map[string]any
		_ = json.Unmarshal(j.Payload, &p)
		if j.Header.Typ != RequestObjectTyp || j.Header.Kid != v.signer.KeyID() || p["aud"] != SelfIssuedAudience || p["iss"] != nil {
			t.Fatalf("header %+v payload %v", j.Header, p)
		}
		if enc, _ := got.ResponseEnc(); enc != jose.A256GCM {
			t.Fatalf("enc %s", enc)
		}
	}
}

func TestVerifyRequestObjectRefusals(t *testing.T) {
	v := newVerifier(t, ResponseModeDirectPostJWT)
	other := newVerifier(t, ResponseModeDirectPost)
	ctx := context.Background()
	cases := []struct {
		name string
		tok  func() string
		opts func(o *VerifyOptions)
		want error
	}{
		{"wrong typ", func() string { return v.sign(t, func(map[string]any) {}, map[string]any{"typ": "JWT"}) }, nil, ErrRequestSignature},
		{"typ differs in case", func() string { return v.sign(t, func(map[string]any) {}, map[string]any{"typ": "OAuth-Authz-Req+JWT"}) }, nil, ErrRequestSignature},
		{"signed by another verifier", func() string { return other.sign(t, func(p map[string]any) { p["client_id"] = v.clientID }, nil) }, nil, ErrInvalidClient},
		{"kid of the client, key of another", func() string {
			s := other.signer.WithKeyID(v.signer.KeyID())
			tok, _ := s.Sign(map[string]any{"typ": RequestObjectTyp}, []byte(`{"client_id":"`+v.clientID+`"}`))
			return tok
		}, nil, ErrRequestSignature},
		{"alg not allowed", func() string { return v.sign(t, nil, nil) }, func(o *VerifyOptions) { o.Algs = []jose.Alg{jose.EdDSA} }, ErrRequestSignature},
		{"client_id differs from the URI", func() string { return v.sign(t, nil, nil) }, func(o *VerifyOptions) { o.ClientID = other.clientID }, ErrInvalidClient},
		{"payload client_id differs", func() string {
			return v.sign(t, func(p map[string]any) { p["client_id"] = PrefixDecentralizedIdentifier + ":did:web:x.example" }, nil)
		}, nil, ErrInvalidClient},
		{"expired", func() string {
			return v.sign(t, func(p map[string]any) { p["exp"] = testNow.Add(-2 * time.Minute).Unix() }, nil)
		}, nil, ErrExpired},
		{"iat in the future", func() string {
			return v.sign(t, func(p map[string]any) { p["iat"] = testNow.Add(time.Hour).Unix() }, nil)
		}, nil, ErrExpired},
		{"iat too old", func() string {
			return v.sign(t, func(p map[string]any) { p["iat"] = testNow.Add(-time.Hour).Unix() }, nil)
		}, nil, ErrExpired},
		{"exp not a number", func() string { return v.sign(t, func(p map[string]any) { p["exp"] = "soon" }, nil) }, nil, ErrInvalidRequest},
		{"wrong aud", func() string { return v.sign(t, func(p map[string]any) { p["aud"] = "https://wallet.example" }, nil) }, nil, ErrInvalidRequest},
		{"wallet_nonce missing", func() string { return v.sign(t, nil, nil) }, func(o *VerifyOptions) { o.WalletNonce = "wn-1" }, ErrWalletNonce},
		{"response_type", func() string { return v.sign(t, func(p map[string]any) { p["response_type"] = "code" }, nil) }, nil, ErrInvalidRequest},
		{"response_mode fragment", func() string { return v.sign(t, func(p map[string]any) { p["response_mode"] = "fragment" }, nil) }, nil, ErrUnsupported},
		{"http response_uri", func() string {
			return v.sign(t, func(p map[string]any) { p["response_uri"] = "http://v.example/r" }, nil)
		}, nil, ErrInvalidRequest},
		{"no nonce", func() string { return v.sign(t, func(p map[string]any) { delete(p, "nonce") }, nil) }, nil, ErrInvalidRequest},
		{"no dcql_query", func() string { return v.sign(t, func(p map[string]any) { delete(p, "dcql_query") }, nil) }, nil, ErrInvalidRequest},
		{"bad dcql_query", func() string {
			return v.sign(t, func(p map[string]any) { p["dcql_query"] = map[string]any{"credentials": []any{}} }, nil)
		}, nil, ErrInvalidQuery},
		{"presentation_definition", func() string {
			return v.sign(t, func(p map[string]any) { p["presentation_definition"] = map[string]any{} }, nil)
		}, nil, ErrUnsupported},
		{"jwt mode without keys", func() string { return v.sign(t, func(p map[string]any) { delete(p, "client_metadata") }, nil) }, nil, ErrInvalidRequest},
		{"private key in jwks", func() string {
			return v.sign(t, func(p map[string]any) {
				p["client_metadata"] = map[string]any{"jwks": map[string]any{"keys": []any{map[string]any{"kty": "EC", "crv": "P-256", "x": "a", "y": "b", "d": "c"}}}}
			}, nil)
		}, nil, ErrInvalidRequest},
		{"unsupported enc only", func() string {
			return v.sign(t, func(p map[string]any) {
				p["client_metadata"].(map[string]any)["encrypted_response_enc_values_supported"] = []any{"A128CBC-HS256"}
			}, nil)
		}, nil, ErrUnsupported},
		{"kid not a DID URL", func() string {
			w := *v
			w.signer = v.signer.WithKeyID("key-1")
			return w.sign(t, func(map[string]any) {}, nil)
		}, nil, ErrInvalidClient},
		{"kid without fragment", func() string {
			w := *v
			w.signer = v.signer.WithKeyID(strings.TrimPrefix(v.clientID, PrefixDecentralizedIdentifier+":"))
			return w.sign(t, func(map[string]any) {}, nil)
		}, nil, ErrInvalidClient},
		{"redirect_uri signed", func() string { return v.sign(t, nil, nil) }, func(o *VerifyOptions) { o.ClientID = "redirect_uri:https://v.example/r"; o.Dev = true }, ErrInvalidClient},
		{"x509_san_dns", func() string { return v.sign(t, nil, nil) }, func(o *VerifyOptions) { o.ClientID = "x509_san_dns:v.example" }, ErrUnsupported},
		{"pre-registered", func() string { return v.sign(t, nil, nil) }, func(o *VerifyOptions) { o.ClientID = "https://v.example" }, ErrUnsupported},
		{"not a JWS", func() string { return "abc" }, nil, ErrRequestSignature},
		{"too large", func() string { return strings.Repeat("a", MaxRequestObjectLen+1) }, nil, ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := v.opts()
			if c.opts != nil {
				c.opts(&o)
			}
			_, err := VerifyRequestObject(ctx, c.tok(), o)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	// wallet_nonce echoed is accepted.
	o := v.opts()
	o.WalletNonce = "wn-1"
	if _, err := VerifyRequestObject(ctx, v.sign(t, func(p map[string]any) { p["wallet_nonce"] = "wn-1" }, nil), o); err != nil {
		t.Fatal(err)
	}
}

func TestSignRequestObjectRefusals(t *testing.T) {
	v := newVerifier(t, ResponseModeDirectPost)
	if _, err := SignRequestObject(v.signer.WithKeyID("did:jwk:other#0"), v.req, SignOptions{}); !errors.Is(err, ErrInvalidClient) {
		t.Fatalf("kid of another DID: %v", err)
	}
	if _, err := SignRequestObject(v.signer.WithKeyID(strings.TrimPrefix(v.clientID, PrefixDecentralizedIdentifier+":")), v.req, SignOptions{}); !errors.Is(err, ErrInvalidClient) {
		t.Fatalf("kid without fragment: %v", err)
	}
}

func TestRequestURI(t *testing.T) {
	v := newVerifier(t, ResponseModeDirectPost)
	s, err := BuildRequestURI(v.clientID, "https://verifier.example/request/1", RequestURIMethodPost)
	if err != nil {
		t.Fatal(err)
	}
	ru, err := ParseRequestURI(s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ru.ClientID != v.clientID || ru.RequestURI != "https://verifier.example/request/1" || ru.RequestURIMethod != "post" {
		t.Fatalf("%+v", ru)
	}
	s, _ = BuildRequestURI(v.clientID, "https://verifier.example/request/1", "")
	if ru, err = ParseRequestURI(s, Options{}); err != nil || ru.RequestURIMethod != RequestURIMethodGet || strings.Contains(s, "method") {
		t.Fatalf("%s %+v %v", s, ru, err)
	}
	cid := url.QueryEscape(v.clientID)
	dcql := url.QueryEscape(`{"credentials":[{"id":"a","format":"dc+sd-jwt","meta":{"vct_values":["v"]}}]}`)
	unsigned := "openid4vp://?client_id=" + url.QueryEscape("redirect_uri:http://localhost:8080/r") + "&response_type=vp_token&response_mode=direct_post&response_uri=" + url.QueryEscape("http://localhost:8080/r") + "&nonce=n1&dcql_query=" + dcql
	if ru, err = ParseRequestURI(unsigned, Options{Dev: true}); err != nil || ru.Params == nil || ru.Params.DCQLQuery.Credentials[0].ID != "a" {
		t.Fatalf("dev unsigned: %+v %v", ru, err)
	}
	cases := map[string]struct {
		in   string
		o    Options
		want error
	}{
		"wrong scheme":          {"https://?client_id=" + cid + "&request_uri=https%3A%2F%2Fv.example%2Fr", Options{}, ErrInvalidRequest},
		"no client_id":          {"openid4vp://?request_uri=https%3A%2F%2Fv.example%2Fr", Options{}, ErrInvalidClient},
		"repeated request_uri":  {"openid4vp://?client_id=" + cid + "&request_uri=https%3A%2F%2Fv.example%2Fr&request_uri=https%3A%2F%2Fv.example%2Fs", Options{}, ErrInvalidRequest},
		"http request_uri":      {"openid4vp://?client_id=" + cid + "&request_uri=http%3A%2F%2Fv.example%2Fr", Options{}, ErrInvalidRequest},
		"bad method":            {"openid4vp://?client_id=" + cid + "&request_uri=https%3A%2F%2Fv.example%2Fr&request_uri_method=put", Options{}, ErrInvalidRequest},
		"method alone":          {"openid4vp://?client_id=" + cid + "&request_uri_method=post", Options{}, ErrInvalidRequest},
		"request and uri":       {"openid4vp://?client_id=" + cid + "&request_uri=https%3A%2F%2Fv.example%2Fr&request=a.b.c", Options{}, ErrInvalidRequest},
		"unsigned with DID":     {"openid4vp://?client_id=" + cid + "&response_type=vp_token", Options{}, ErrInvalidClient},
		"unsigned without Dev":  {unsigned, Options{}, ErrInvalidClient},
		"redirect_uri by ref":   {"openid4vp://?client_id=" + url.QueryEscape("redirect_uri:https://v.example/r") + "&request_uri=https%3A%2F%2Fv.example%2Fr", Options{Dev: true}, ErrInvalidClient},
		"bad DID":               {"openid4vp://?client_id=decentralized_identifier%3Anot-a-did&request_uri=https%3A%2F%2Fv.example%2Fr", Options{}, ErrInvalidClient},
		"x509 prefix unsigned":  {"openid4vp://?client_id=x509_san_dns%3Av.example&response_type=vp_token", Options{}, ErrInvalidClient},
		"verifier_attestation":  {"openid4vp://?client_id=verifier_attestation%3Av.example&request_uri=https%3A%2F%2Fv.example%2Fr", Options{}, ErrUnsupported},
		"pre-registered":        {"openid4vp://?client_id=verifier-1&request_uri=https%3A%2F%2Fv.example%2Fr", Options{}, ErrUnsupported},
		"bad escape":            {"openid4vp://?client_id=%zz", Options{}, ErrInvalidRequest},
		"semicolon":             {"openid4vp://?client_id=" + cid + ";request_uri=https%3A%2F%2Fv.example%2Fr", Options{}, ErrInvalidRequest},
		"too large":             {"openid4vp://?client_id=" + strings.Repeat("a", MaxRequestURILen), Options{}, ErrTooLarge},
		"empty parameter":       {"openid4vp://?client_id=" + cid + "&request_uri=", Options{}, ErrInvalidRequest},
		"unsigned bad response": {strings.Replace(unsigned, "response_uri=http%3A%2F%2Flocalhost%3A8080%2Fr", "response_uri=http%3A%2F%2Fevil.example%2Fr", 1), Options{Dev: true}, ErrInvalidClient},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseRequestURI(c.in, c.o); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestParseClientID(t *testing.T) {
	cases := []struct {
		in, prefix, value string
		ok                bool
	}{
		{"decentralized_identifier:did:web:v.example", PrefixDecentralizedIdentifier, "did:web:v.example", true},
		{"decentralized_identifier:did:web:v.example#k", "", "", false},
		{"redirect_uri:https://v.example/cb", PrefixRedirectURI, "https://v.example/cb", true},
		{"redirect_uri:/relative", "", "", false},
		{"x509_san_dns:v.example", PrefixX509SanDNS, "v.example", true},
		{"https://v.example", "", "https://v.example", true},
		{"unknown_prefix:abc", "", "unknown_prefix:abc", true},
		{"", "", "", false},
		{"a\nb", "", "", false},
	}
	for _, c := range cases {
		got, err := ParseClientID(c.in)
		if (err == nil) != c.ok || (c.ok && (got.Prefix != c.prefix || got.Value != c.value || got.Raw != c.in)) {
			t.Errorf("%q: %+v %v", c.in, got, err)
		}
	}
}

func TestRequestURIPost(t *testing.T) {
	p := &RequestURIPost{WalletNonce: "wn", WalletMetadata: json.RawMessage(`{"vp_formats_supported":{}}`)}
	got, err := ParseRequestURIPost([]byte(p.Form().Encode()))
	if err != nil || got.WalletNonce != "wn" || string(got.WalletMetadata) != string(p.WalletMetadata) {
		t.Fatalf("%+v %v", got, err)
	}
	for _, bad := range []string{"wallet_nonce=a&wallet_nonce=b", "wallet_metadata=%5B%5D", "wallet_nonce=%01"} {
		if _, err := ParseRequestURIPost([]byte(bad)); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestSignKeepsLargeIntegers: integer values in dcql_query are not
// rounded through float64 when the request object is signed.
func TestSignKeepsLargeIntegers(t *testing.T) {
	v := newVerifier(t, ResponseModeDirectPost)
	q, err := ParseQuery([]byte(`{"credentials":[{"id":"p","format":"dc+sd-jwt","meta":{"vct_values":["v"]},"claims":[{"path":["n"],"values":[9007199254740993]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	v.req.DCQLQuery = q
	got, err := VerifyRequestObject(context.Background(), v.sign(t, nil, nil), v.opts())
	if err != nil {
		t.Fatal(err)
	}
	if n := got.DCQLQuery.Credentials[0].Claims[0].Values[0]; n != json.Number("9007199254740993") {
		t.Fatalf("value %v", n)
	}
}
