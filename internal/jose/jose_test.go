package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func genKey(t testing.TB, alg Alg) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	switch alg {
	case ES256:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ES384:
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case EdDSA:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignVerifyRoundTrip(t *testing.T) {
	for _, alg := range DefaultAlgs {
		t.Run(string(alg), func(t *testing.T) {
			k := genKey(t, alg)
			s, err := NewSigner(k, nil)
			if err != nil {
				t.Fatal(err)
			}
			if s.Alg() != alg {
				t.Fatalf("alg = %s", s.Alg())
			}
			tok, err := s.WithKeyID("k1").Sign(map[string]any{"typ": "test+jwt", "alg": "none"}, []byte(`{"a":1}`))
			if err != nil {
				t.Fatal(err)
			}
			j, err := ParseAndVerify(tok, k.Public(), "TEST+JWT", nil)
			if err != nil {
				t.Fatal(err)
			}
			if j.Header.Alg != alg || j.Header.Kid != "k1" || string(j.Payload) != `{"a":1}` {
				t.Fatalf("header %+v payload %s", j.Header, j.Payload)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	k := genKey(t, ES256)
	other := genKey(t, ES256)
	ed := genKey(t, EdDSA)
	p384 := genKey(t, ES384)
	s, _ := NewSigner(k, nil)
	good, err := s.Sign(map[string]any{"typ": "x"}, []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	hdr := func(h string) string { return B64.EncodeToString([]byte(h)) + "." + parts[1] + "." + parts[2] }
	// Change one signature character to another valid base64url one, so
	// the signature decodes but no longer matches.
	flipped := []byte(parts[2])
	if flipped[5] == 'A' {
		flipped[5] = 'B'
	} else {
		flipped[5] = 'A'
	}
	cases := []struct {
		name    string
		tok     string
		key     crypto.PublicKey
		allowed []Alg
		typ     string
		want    error
	}{
		{"alg none", hdr(`{"alg":"none"}`), k.Public(), nil, "", ErrAlgNotAllowed},
		{"alg HS256", hdr(`{"alg":"HS256"}`), k.Public(), nil, "", ErrAlgNotAllowed},
		{"alg ES384 with P-256 key", hdr(`{"alg":"ES384"}`), k.Public(), nil, "", ErrAlgKeyMismatch},
		{"EdDSA key for ES256 token", good, ed.Public(), nil, "", ErrAlgKeyMismatch},
		{"P-384 key for ES256 token", good, p384.Public(), nil, "", ErrAlgKeyMismatch},
		{"not allowed by caller", good, k.Public(), []Alg{EdDSA}, "", ErrAlgNotAllowed},
		{"other key", good, other.Public(), nil, "", ErrBadSignature},
		{"flipped signature", parts[0] + "." + parts[1] + "." + string(flipped), k.Public(), nil, "", ErrBadSignature},
		{"truncated signature", parts[0] + "." + parts[1] + "." + parts[2][:40], k.Public(), nil, "", ErrBadSignature},
		{"wrong typ", good, k.Public(), nil, "other", ErrWrongType},
		{"crit", hdr(`{"alg":"ES256","crit":["exp"]}`), k.Public(), nil, "", ErrCritUnsupported},
		{"padded payload", parts[0] + "." + parts[1] + "==." + parts[2], k.Public(), nil, "", ErrMalformed},
		{"two parts", parts[0] + "." + parts[1], k.Public(), nil, "", ErrMalformed},
		{"four parts", good + ".x", k.Public(), nil, "", ErrMalformed},
		{"header not object", hdr(`[1]`), k.Public(), nil, "", ErrMalformed},
		{"alg not string", hdr(`{"alg":1}`), k.Public(), nil, "", ErrMalformed},
		{"too large", strings.Repeat("a", MaxCompactLen+1), k.Public(), nil, "", ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseAndVerify(tc.tok, tc.key, tc.typ, tc.allowed)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestJWK(t *testing.T) {
	for _, alg := range DefaultAlgs {
		t.Run(string(alg), func(t *testing.T) {
			k := genKey(t, alg)
			j, err := NewJWK(k.Public())
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(j)
			back, err := ParseJWK(b)
			if err != nil {
				t.Fatal(err)
			}
			if !back.Equal(j) || back.Thumbprint() != j.Thumbprint() {
				t.Fatal("round trip changed the key")
			}
			pub, err := back.PublicKey()
			if err != nil {
				t.Fatal(err)
			}
			if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(k.Public()) {
				t.Fatal("public key differs")
			}
		})
	}
}

// The RFC 7638 example is an RSA key, so an EC key is checked against a
// value computed independently from its canonical JSON (openssl dgst).
func TestThumbprintCanonical(t *testing.T) {
	// RFC 9901 §A.5 example issuer key.
	j, err := ParseJWK([]byte(`{"kty":"EC","crv":"P-256","x":"b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ","y":"Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8","kid":"ignored"}`))
	if err != nil {
		t.Fatal(err)
	}
	// sha256 of {"crv":"P-256","kty":"EC","x":"b28d…","y":"Xv5z…"}, printf '%s' … | openssl dgst -sha256 -binary | base64url.
	const want = "Q5yTSREAbvZL131ynDBhalXJcF9fL0foJlMN8u6ldiY"
	if got := j.Thumbprint(); got != want {
		t.Fatalf("thumbprint = %s, want %s", got, want)
	}
}

func TestParseJWKRejects(t *testing.T) {
	cases := map[string]string{
		"private":      `{"kty":"EC","crv":"P-256","x":"b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ","y":"Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8","d":"x"}`,
		"off curve":    `{"kty":"EC","crv":"P-256","x":"b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ","y":"Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk0"}`,
		"short x":      `{"kty":"EC","crv":"P-256","x":"AQ","y":"Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8"}`,
		"unknown crv":  `{"kty":"EC","crv":"P-521","x":"AQ","y":"AQ"}`,
		"rsa":          `{"kty":"RSA","n":"AQ","e":"AQAB"}`,
		"x448":         `{"kty":"OKP","crv":"X25519","x":"AQ"}`,
		"not object":   `"EC"`,
		"number field": `{"kty":"EC","crv":1}`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseJWK([]byte(in)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	s, _ := NewSigner(k, nil)
	tok, _ := s.Sign(map[string]any{"typ": "x"}, []byte(`{"a":1}`))
	f.Add(tok)
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Fuzz(func(t *testing.T, in string) {
		j, err := Parse(in)
		if err != nil {
			return
		}
		// Whatever parses must never verify under a key that did not sign it
		// unless it is the original token.
		if err := j.Verify(k.Public(), nil); err == nil && in != tok {
			t.Fatalf("forged token verified: %q", in)
		}
	})
}

func FuzzParseJWK(f *testing.F) {
	f.Add([]byte(`{"kty":"EC","crv":"P-256","x":"b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ","y":"Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8"}`))
	f.Add([]byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		j, err := ParseJWK(in)
		if err != nil {
			return
		}
		b, err := json.Marshal(j)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseJWK(b)
		if err != nil || !again.Equal(j) {
			t.Fatalf("re-parse of %s failed: %v", b, err)
		}
	})
}

func TestParseLimited(t *testing.T) {
	k := genKey(t, ES256)
	s, _ := NewSigner(k, nil)
	big := make([]byte, MaxCompactLen)
	for i := range big {
		big[i] = 'a'
	}
	tok, err := s.Sign(nil, []byte(`{"pad":"`+string(big)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(tok); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Parse of %d bytes: %v", len(tok), err)
	}
	j, err := ParseLimited(tok, 4*MaxCompactLen)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Verify(k.Public(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseLimited(tok, 0); !errors.Is(err, ErrTooLarge) {
		t.Fatal("zero limit accepted")
	}
}
