package did

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/httpx"
	"github.com/cairn-id/cairn/internal/jose"
)

type keyVector struct {
	DID    string          `json:"did"`
	JWK    json.RawMessage `json:"jwk"`
	Base58 string          `json:"base58"`
}

func loadJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func (v keyVector) expectedJWK(t *testing.T) *jose.JWK {
	t.Helper()
	if v.Base58 != "" {
		raw, err := base58Decode(v.Base58)
		if err != nil {
			t.Fatal(err)
		}
		k, err := jose.NewJWK(ed25519.PublicKey(raw))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	k, err := jose.ParseJWK(v.JWK)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestDIDKeyVectors(t *testing.T) {
	var vectors []keyVector
	loadJSON(t, "didkey_vectors.json", &vectors)
	if len(vectors) < 5 {
		t.Fatalf("only %d vectors loaded", len(vectors))
	}
	var r Resolver
	for _, v := range vectors {
		want := v.expectedJWK(t)
		pub, err := want.PublicKey()
		if err != nil {
			t.Fatal(err)
		}
		got, err := KeyDID(pub)
		if err != nil || got != v.DID {
			t.Errorf("KeyDID = %q, %v; want %q", got, err, v.DID)
		}
		k, err := r.ResolveKey(context.Background(), v.DID)
		if err != nil {
			t.Errorf("ResolveKey(%s): %v", v.DID, err)
			continue
		}
		if !k.Equal(want) {
			t.Errorf("ResolveKey(%s) = %+v, want %+v", v.DID, k, want)
		}
		frag := v.DID[len("did:key:"):]
		if _, err := r.ResolveKey(context.Background(), v.DID+"#"+frag); err != nil {
			t.Errorf("ResolveKey with fragment: %v", err)
		}
		if _, err := r.ResolveKey(context.Background(), v.DID+"#0"); !errors.Is(err, ErrNotFound) {
			t.Errorf("ResolveKey with wrong fragment: %v, want ErrNotFound", err)
		}
	}
}

func TestDIDKeyRoundTripGenerated(t *testing.T) {
	var r Resolver
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	for i := 0; i < 20; i++ { // both y parities show up among fresh keys
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		for _, pub := range []any{&k.PublicKey, &p256.PublicKey, &p384.PublicKey, edPub} {
			d, err := KeyDID(pub)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.ResolveKey(context.Background(), d)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := jose.NewJWK(pub)
			if !got.Equal(want) {
				t.Fatalf("round trip of %s changed the key", d)
			}
		}
	}
	if _, err := KeyDID(&ecdsa.PublicKey{Curve: elliptic.P521()}); err == nil {
		t.Error("P-521 accepted")
	}
	if _, err := KeyDID("not a key"); !errors.Is(err, jose.ErrUnsupportedKey) {
		t.Errorf("bad key type: %v", err)
	}
}

func TestDIDKeyRejects(t *testing.T) {
	var r Resolver
	vectors := []keyVector{}
	loadJSON(t, "didkey_vectors.json", &vectors)
	good := vectors[0].DID
	// secp256k1 (0xe7) is a real did:key type Cairn does not accept.
	k1 := "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme"
	mb := func(code uint64, raw []byte) string {
		return "did:key:z" + base58Encode(append(appendUvarint(nil, code), raw...))
	}
	// About half of all x have no point on the curve; take the first.
	offCurve := make([]byte, 33)
	offCurve[0] = 2
	for offCurve[32] = 1; ; offCurve[32]++ {
		if x, _ := elliptic.UnmarshalCompressed(elliptic.P256(), offCurve); x == nil {
			break
		}
	}
	for name, d := range map[string]string{
		"not multibase z":    "did:key:" + "m" + good[len("did:key:z"):],
		"bad base58 char":    good[:len(good)-1] + "0",
		"truncated":          good[:len(good)-3],
		"secp256k1":          k1,
		"ed25519 short":      mb(codecEd25519, make([]byte, 31)),
		"p256 uncompressed":  mb(codecP256, append([]byte{4}, make([]byte, 64)...)),
		"p256 off curve":     mb(codecP256, offCurve),
		"leading zero byte":  "did:key:z1" + good[len("did:key:z"):],
		"non-minimal varint": "did:key:z" + base58Encode(append([]byte{0xed, 0x81, 0x00}, make([]byte, 32)...)),
		"empty":              "did:key:z",
		"too long":           "did:key:z" + strings.Repeat("2", 200),
	} {
		if _, err := r.Resolve(context.Background(), d); !errors.Is(err, ErrInvalidDID) {
			t.Errorf("%s: %s: err %v, want ErrInvalidDID", name, d, err)
		}
	}
}

func TestDIDJWK(t *testing.T) {
	var vectors []struct {
		DID       string          `json:"did"`
		Canonical bool            `json:"canonical"`
		JWK       json.RawMessage `json:"jwk"`
	}
	loadJSON(t, "didjwk_vectors.json", &vectors)
	var r Resolver
	for _, v := range vectors {
		want, err := jose.ParseJWK(v.JWK)
		if err != nil {
			t.Fatal(err)
		}
		if got := FromJWK(want); (got == v.DID) != v.Canonical {
			t.Errorf("FromJWK = %s; canonical=%v for %s", got, v.Canonical, v.DID)
		}
		doc, err := r.Resolve(context.Background(), v.DID)
		if err != nil {
			t.Fatal(err)
		}
		if len(doc.VerificationMethods) != 1 || doc.VerificationMethods[0].ID != v.DID+"#0" ||
			doc.AssertionMethod[0] != v.DID+"#0" || doc.Authentication[0] != v.DID+"#0" {
			t.Errorf("document %+v", doc)
		}
		k, err := r.ResolveKey(context.Background(), v.DID+"#0")
		if err != nil || !k.Equal(want) {
			t.Errorf("ResolveKey #0 = %v, %v", k, err)
		}
		if _, err := r.ResolveKey(context.Background(), v.DID+"#1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("#1: %v", err)
		}
	}
}

func TestFromJWKIgnoresExtraMembers(t *testing.T) {
	k, _ := jose.ParseJWK([]byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"a","alg":"EdDSA","use":"sig","ext":true}`))
	bare, _ := jose.ParseJWK([]byte(`{"crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kty":"OKP"}`))
	if FromJWK(k) != FromJWK(bare) {
		t.Error("extra members changed the did:jwk")
	}
	b, _ := jose.DecodeSegment(FromJWK(k)[len("did:jwk:"):])
	if want := `{"crv":"Ed25519","kty":"OKP","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`; string(b) != want {
		t.Errorf("did:jwk JSON %s, want %s", b, want)
	}
}

func TestDIDJWKRejectsAndEnc(t *testing.T) {
	var r Resolver
	enc := func(s string) string { return "did:jwk:" + jose.B64.EncodeToString([]byte(s)) }
	for name, d := range map[string]string{
		"private key": enc(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}`),
		"padded":      "did:jwk:" + strings.TrimRight(enc(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`)[8:], "=") + "==",
		"rsa":         enc(`{"kty":"RSA","n":"AQAB","e":"AQAB"}`),
		"not json":    enc(`hello`),
		"bad use":     enc(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","use":"both"}`),
		"off curve":   enc(`{"kty":"EC","crv":"P-256","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`),
	} {
		if _, err := r.Resolve(context.Background(), d); !errors.Is(err, ErrInvalidDID) {
			t.Errorf("%s: err %v, want ErrInvalidDID", name, err)
		}
	}
	encOnly := enc(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","use":"enc"}`)
	doc, err := r.Resolve(context.Background(), encOnly)
	if err != nil || len(doc.KeyAgreement) != 1 || len(doc.AssertionMethod) != 0 {
		t.Fatalf("enc did:jwk: %+v %v", doc, err)
	}
	if _, err := r.ResolveKey(context.Background(), encOnly+"#0"); !errors.Is(err, ErrNotFound) {
		t.Errorf("encryption key returned for signing: %v", err)
	}
}

func TestParseDIDURL(t *testing.T) {
	cases := []struct {
		in, did, frag string
		ok            bool
	}{
		{"did:web:example.com", "did:web:example.com", "", true},
		{"did:web:example.com%3A8443:user:alice#key-1", "did:web:example.com%3A8443:user:alice", "key-1", true},
		{"did:jwk:eyJhIjoiYiJ9#0", "did:jwk:eyJhIjoiYiJ9", "0", true},
		{"did:example:a.b-c_d", "did:example:a.b-c_d", "", true},
		{"did:web:example.com#", "", "", false},
		{"did:web:example.com#a#b", "", "", false},
		{"did:web:example.com#a b", "", "", false},
		{"did:Web:example.com", "", "", false},
		{"did::x", "", "", false},
		{"did:web:", "", "", false},
		{"did:web:a:", "", "", false},
		{"did:web", "", "", false},
		{"DID:web:a", "", "", false},
		{"did:web:a/b", "", "", false},
		{"did:web:a?x=1", "", "", false},
		{"did:web:a%zz", "", "", false},
		{"did:web:a%2", "", "", false},
		{"did:web:a b", "", "", false},
		{"did:web:é", "", "", false},
		{"did:web:" + strings.Repeat("a", MaxDIDLen), "", "", false},
		{"", "", "", false},
	}
	for _, c := range cases {
		d, f, err := ParseDIDURL(c.in)
		if c.ok != (err == nil) || d != c.did || f != c.frag {
			t.Errorf("ParseDIDURL(%q) = %q, %q, %v", c.in, d, f, err)
		}
		if err != nil && !errors.Is(err, ErrInvalidDID) {
			t.Errorf("ParseDIDURL(%q) error %v is not ErrInvalidDID", c.in, err)
		}
	}
}

func TestWebURL(t *testing.T) {
	cases := map[string]string{
		"did:web:example.com":                   "https://example.com/.well-known/did.json",
		"did:web:Example.COM":                   "https://example.com/.well-known/did.json",
		"did:web:example.com%3A8443":            "https://example.com:8443/.well-known/did.json",
		"did:web:example.com%3A8443:user:alice": "https://example.com:8443/user/alice/did.json",
		"did:web:w3c-ccg.github.io:user:alice":  "https://w3c-ccg.github.io/user/alice/did.json",
		"did:web:example.com:a%20b":             "https://example.com/a%20b/did.json",
		"did:web:127.0.0.1%3A9000":              "https://127.0.0.1:9000/.well-known/did.json",
		"did:web:example.com:..":                "",
		"did:web:example.com:a%2Fb":             "",
		"did:web:example.com%2Fevil":            "",
		"did:web:user%40example.com":            "",
		"did:web:example.com%3A0":               "",
		"did:web:example.com%3A65536":           "",
		"did:web:example.com%3A":                "",
		"did:web:%5B%3A%3A1%5D":                 "",
		"did:web:-bad.example":                  "",
		"did:web:example..com":                  "",
		"did:web:example.com#frag":              "",
		"did:jwk:abc":                           "",
		"did:web:example.com:%00":               "",
	}
	for in, want := range cases {
		u, err := WebURL(in)
		if want == "" {
			if err == nil {
				t.Errorf("WebURL(%q) = %s, want error", in, u)
			} else if !errors.Is(err, ErrInvalidDID) {
				t.Errorf("WebURL(%q): %v is not ErrInvalidDID", in, err)
			}
			continue
		}
		if err != nil || u.String() != want {
			t.Errorf("WebURL(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
}

func TestUnsupportedMethod(t *testing.T) {
	var r Resolver
	if _, err := r.Resolve(context.Background(), "did:ion:abc"); !errors.Is(err, ErrUnsupportedMethod) {
		t.Errorf("did:ion: %v", err)
	}
	if _, err := r.Resolve(context.Background(), "did:jwk:abc#0"); !errors.Is(err, ErrInvalidDID) {
		t.Errorf("Resolve with fragment: %v", err)
	}
}

// webFixture serves testdata/web documents from an httptest TLS server on
// 127.0.0.1. The certificate covers example.com, which an injected lookup
// maps to 127.0.0.1, so no real DNS is used.
type webFixture struct {
	srv   *httptest.Server
	port  string
	files map[string]string // URL path → testdata/web file or literal body
	ctype map[string]string
}

func newWebFixture(t *testing.T) *webFixture {
	t.Helper()
	f := &webFixture{files: map[string]string{}, ctype: map[string]string{}}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := f.files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if strings.HasPrefix(body, "redirect:") {
			http.Redirect(w, r, body[len("redirect:"):], http.StatusFound)
			return
		}
		ct := "application/did+json"
		if c, ok := f.ctype[r.URL.Path]; ok {
			ct = c
		}
		w.Header().Set("Content-Type", ct)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(f.srv.Close)
	_, f.port, _ = net.SplitHostPort(f.srv.Listener.Addr().String())
	return f
}

func (f *webFixture) did(host, path string) string {
	d := "did:web:" + host + "%3A" + f.port
	if path != "" {
		d += ":" + path
	}
	return d
}

func (f *webFixture) serve(t *testing.T, urlPath, file, did string) {
	t.Helper()
	b, err := os.ReadFile("testdata/web/" + file)
	if err != nil {
		t.Fatal(err)
	}
	f.files[urlPath] = strings.ReplaceAll(string(b), "{{DID}}", did)
}

func (f *webFixture) client(allowPrivate bool, dns map[string]string) *http.Client {
	lookup := func(_ context.Context, host string) ([]net.IP, error) {
		if a, ok := dns[host]; ok {
			return []net.IP{net.ParseIP(a)}, nil
		}
		return nil, fmt.Errorf("no such host %s", host)
	}
	roots := f.srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	return httpx.NewClient(httpx.Options{AllowPrivate: allowPrivate, LookupIP: lookup, RootCAs: roots})
}

func TestDIDWebResolve(t *testing.T) {
	f := newWebFixture(t)
	issuer := f.did("example.com", "")
	single := f.did("example.com", "org:clinic")
	f.serve(t, "/.well-known/did.json", "issuer.json", issuer)
	f.serve(t, "/org/clinic/did.json", "single.json", single)
	dev := &Resolver{AllowPrivate: true, HTTPClient: f.client(true, map[string]string{"example.com": "127.0.0.1"})}
	ctx := context.Background()

	doc, err := dev.Resolve(ctx, issuer)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.VerificationMethods) != 5 {
		t.Errorf("%d methods, want 5 (4 listed + 1 embedded)", len(doc.VerificationMethods))
	}
	wantAssert := []string{issuer + "#key-1", issuer + "#rsa", issuer + "#embedded"}
	if fmt.Sprint(doc.AssertionMethod) != fmt.Sprint(wantAssert) {
		t.Errorf("assertionMethod %v, want %v (unknown reference dropped)", doc.AssertionMethod, wantAssert)
	}

	var vectors []keyVector
	loadJSON(t, "didkey_vectors.json", &vectors)
	p256 := vectors[0].expectedJWK(t)
	p384 := vectors[2].expectedJWK(t)
	ed := vectors[4].expectedJWK(t)
	for frag, want := range map[string]*jose.JWK{"key-1": p256, "embedded": p384, "auth": ed} {
		k, err := dev.ResolveKey(ctx, issuer+"#"+frag)
		if err != nil || !k.Equal(want) {
			t.Errorf("#%s: %v, %v", frag, k, err)
		}
	}
	for frag, why := range map[string]string{"rsa": "unsupported key", "enc": "keyAgreement only", "unknown": "no such method", "nope": "no such method"} {
		if _, err := dev.ResolveKey(ctx, issuer+"#"+frag); !errors.Is(err, ErrNotFound) {
			t.Errorf("#%s (%s): %v, want ErrNotFound", frag, why, err)
		}
	}
	if _, err := dev.ResolveKey(ctx, issuer); !errors.Is(err, ErrAmbiguousKey) {
		t.Errorf("no fragment, three assertion methods: %v", err)
	}
	k, err := dev.ResolveKey(ctx, single)
	if err != nil || !k.Equal(p256) {
		t.Errorf("single-key document without fragment: %v, %v", k, err)
	}
}

func TestDIDWebGuard(t *testing.T) {
	f := newWebFixture(t)
	did := f.did("example.com", "")
	f.serve(t, "/.well-known/did.json", "single.json", did)
	ctx := context.Background()

	// The same server, same DID: refused with the guard on, whether reached
	// by name (resolving to loopback) or by IP literal.
	guarded := &Resolver{HTTPClient: f.client(false, map[string]string{"example.com": "127.0.0.1"})}
	if _, err := guarded.Resolve(ctx, did); !errors.Is(err, ErrForbiddenTarget) {
		t.Errorf("guarded resolver reached a loopback server: %v", err)
	}
	if _, err := guarded.Resolve(ctx, f.did("127.0.0.1", "")); !errors.Is(err, ErrForbiddenTarget) {
		t.Errorf("guarded resolver reached 127.0.0.1: %v", err)
	}
	// The default client (nil HTTPClient) refuses IP literals without DNS.
	var plain Resolver
	for _, host := range []string{"127.0.0.1", "10.0.0.1", "169.254.169.254", "0.0.0.0", "192.168.1.1", "100.64.0.1"} {
		if _, err := plain.Resolve(ctx, "did:web:"+host); !errors.Is(err, ErrForbiddenTarget) {
			t.Errorf("did:web:%s: %v, want ErrForbiddenTarget", host, err)
		}
	}
	// Names that resolve to internal addresses, through an injected lookup.
	dns := map[string]string{
		"loop.test": "127.0.0.1", "loop6.test": "::1", "ten.test": "10.1.2.3",
		"meta.test": "169.254.169.254", "zero.test": "0.0.0.0", "mapped.test": "::ffff:127.0.0.1",
		"ula.test": "fd00::5",
	}
	r := &Resolver{HTTPClient: f.client(false, dns)}
	for host := range dns {
		if _, err := r.Resolve(ctx, "did:web:"+host); !errors.Is(err, ErrForbiddenTarget) {
			t.Errorf("did:web:%s: %v, want ErrForbiddenTarget", host, err)
		}
	}
	// Dev mode reaches it.
	dev := &Resolver{AllowPrivate: true, HTTPClient: f.client(true, map[string]string{"example.com": "127.0.0.1"})}
	if _, err := dev.Resolve(ctx, did); err != nil {
		t.Errorf("dev resolver: %v", err)
	}
}

func TestDIDWebFailures(t *testing.T) {
	f := newWebFixture(t)
	dev := &Resolver{AllowPrivate: true, MaxDocBytes: 4096, HTTPClient: f.client(true, map[string]string{"example.com": "127.0.0.1"})}
	ctx := context.Background()
	did := func(p string) string { return f.did("example.com", p) }

	f.serve(t, "/wrong-id/did.json", "single.json", did("someone-else"))
	f.files["/big/did.json"] = `{"id":"` + did("big") + `","pad":"` + strings.Repeat("x", 5000) + `"}`
	f.serve(t, "/html/did.json", "single.json", did("html"))
	f.ctype["/html/did.json"] = "text/html; charset=utf-8"
	f.serve(t, "/plain/did.json", "single.json", did("plain"))
	f.ctype["/plain/did.json"] = "application/json; charset=utf-8"
	f.files["/notjson/did.json"] = `<html>`
	f.files["/private/did.json"] = `{"id":"` + did("private") + `","verificationMethod":[{"id":"#k","type":"JsonWebKey2020","publicKeyJwk":{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}}]}`
	f.files["/foreign/did.json"] = `{"id":"` + did("foreign") + `","verificationMethod":[{"id":"did:web:evil.example#k","type":"JsonWebKey2020","publicKeyJwk":{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}]}`
	f.files["/dup/did.json"] = `{"id":"` + did("dup") + `","verificationMethod":[{"id":"#k","type":"x"},{"id":"#k","type":"x"}]}`

	cases := []struct {
		path string
		want error
	}{
		{"wrong-id", ErrInvalidDocument},
		{"big", httpx.ErrTooLarge},
		{"html", ErrResolution},
		{"notjson", ErrInvalidDocument},
		{"private", ErrInvalidDocument},
		{"foreign", ErrInvalidDocument},
		{"dup", ErrInvalidDocument},
		{"missing", ErrNotFound},
	}
	for _, c := range cases {
		_, err := dev.Resolve(ctx, did(c.path))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.path, err, c.want)
		}
	}
	if _, err := dev.Resolve(ctx, did("plain")); err != nil {
		t.Errorf("application/json with charset refused: %v", err)
	}
}

func FuzzParseDIDURL(f *testing.F) {
	for _, s := range []string{"did:web:example.com#key-1", "did:jwk:eyJ9#0", "did:key:z6Mk", "did:a:b%41:c", "did:web:a?b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, frag, err := ParseDIDURL(s)
		if err != nil {
			return
		}
		joined := d
		if frag != "" {
			joined += "#" + frag
		}
		if joined != s {
			t.Fatalf("ParseDIDURL(%q) = %q + %q", s, d, frag)
		}
		if Method(d) == "" {
			t.Fatalf("valid DID %q has no method", d)
		}
	})
}

func FuzzResolveOffline(f *testing.F) {
	var vectors []keyVector
	loadJSON(f, "didkey_vectors.json", &vectors)
	for _, v := range vectors {
		f.Add(v.DID)
	}
	f.Add("did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6ImFjYklRaXVNczNpOF91c3pFakoydHBUdFJNNEVVM3l6OTFQSDZDZEgyVjAiLCJ5IjoiX0tjeUxqOXZXTXB0bm1LdG00NkdxRHo4d2Y3NEk1TEtncmwyR3pIM25TRSJ9")
	f.Fuzz(func(t *testing.T, s string) {
		if Method(s) == "web" {
			return // needs the network
		}
		var r Resolver
		k, err := r.ResolveKey(context.Background(), s)
		if err != nil {
			return
		}
		pub, err := k.PublicKey()
		if err != nil {
			t.Fatalf("resolved an unusable key from %q: %v", s, err)
		}
		// A resolved did:key is canonical: re-encoding gives the same DID.
		if d, _, _ := ParseDIDURL(s); Method(d) == "key" {
			if again, err := KeyDID(pub); err != nil || again != d {
				t.Fatalf("did:key %q re-encodes as %q", d, again)
			}
		}
	})
}

func FuzzParseDocument(f *testing.F) {
	for _, name := range []string{"issuer.json", "single.json"} {
		b, err := os.ReadFile("testdata/web/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(strings.ReplaceAll(string(b), "{{DID}}", "did:web:example.com"))
	}
	f.Fuzz(func(t *testing.T, s string) {
		doc, err := ParseDocument("did:web:example.com", []byte(s))
		if err != nil {
			return
		}
		for _, vm := range doc.VerificationMethods {
			if !strings.HasPrefix(vm.ID, "did:web:example.com#") {
				t.Fatalf("method %q escapes the DID", vm.ID)
			}
		}
		for _, id := range append(append([]string{}, doc.AssertionMethod...), doc.Authentication...) {
			if doc.method(id) == nil {
				t.Fatalf("relationship %q names no method", id)
			}
		}
		_, _ = doc.SigningKey("")
	})
}

func BenchmarkResolveKeyOffline(b *testing.B) {
	var vectors []keyVector
	loadJSON(b, "didkey_vectors.json", &vectors)
	jwkDID := "did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6ImFjYklRaXVNczNpOF91c3pFakoydHBUdFJNNEVVM3l6OTFQSDZDZEgyVjAiLCJ5IjoiX0tjeUxqOXZXTXB0bm1LdG00NkdxRHo4d2Y3NEk1TEtncmwyR3pIM25TRSJ9#0"
	for name, d := range map[string]string{"jwk": jwkDID, "key-p256": vectors[0].DID} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var r Resolver
			ctx := context.Background()
			for b.Loop() {
				if _, err := r.ResolveKey(ctx, d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
