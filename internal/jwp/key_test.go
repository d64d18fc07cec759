package jwp_test

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/jwp"
)

func TestJWKRoundTrip(t *testing.T) {
	k, err := jwp.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	priv := k.PrivateJWK()
	k2, err := jwp.ParsePrivateJWK(priv)
	if err != nil {
		t.Fatal(err)
	}
	if string(k2.Public.Bytes) != string(k.Public.Bytes) || k2.Public.Kid != k.Public.Kid || k2.Public.ProofAlg != jwp.AlgBBS {
		t.Fatal("private JWK round trip lost data")
	}
	pub, err := jwp.ParsePublicJWK(k.Public.JWK())
	if err != nil {
		t.Fatal(err)
	}
	if string(pub.Bytes) != string(k.Public.Bytes) || pub.Kid != k.Public.Kid {
		t.Fatal("public JWK round trip lost data")
	}
	if strings.Contains(string(k.Public.JWK()), `"d"`) {
		t.Fatal("public JWK carries d")
	}
	if _, err := jwp.ParsePublicJWK(priv); !errors.Is(err, jwp.ErrPrivateKeyInJWK) {
		t.Fatalf("ParsePublicJWK(private) = %v", err)
	}
	if s := k.String() + k.GoString(); strings.Contains(s, string(priv)) {
		t.Fatal("String leaks the key")
	}
	// Issue with the reloaded key, verify with the parsed public key.
	j, err := jwp.Issue(k2, jwp.IssuerHeader{Kid: k2.Public.Kid}.Marshal(), [][]byte{[]byte("1")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwp.Confirm(pub, j); err != nil {
		t.Fatal(err)
	}
}

func TestJWKNegative(t *testing.T) {
	ex := loadJPA(t)
	good := string(ex.IssuerJWK)
	x := "l5CqEP9LwItyq0KzEU7FVrNollmcqgUGX6v69ghb3VNRMfPP3wGg7Tk8m9VEnedsFUKjxj35OiCTWU3w43faSmn3wenj3E52S4ifIRJgBI1JP_q_1-7TsA7Wmtwj1Z05"
	pubOf := func(extra string) string {
		return `{"kty":"OKP","crv":"BLS12381G2","x":"` + x + `","proof_alg":"BBS"` + extra + `}`
	}
	if _, err := jwp.ParsePublicJWK([]byte(pubOf(`,"use":"proof","kid":"k","x5u":"ignored"`))); err != nil {
		t.Fatalf("good public JWK refused: %v", err)
	}
	cases := []struct {
		name, jwk string
		private   bool
	}{
		{"kty EC", strings.Replace(pubOf(""), `"OKP"`, `"EC"`, 1), false},
		{"crv G1", strings.Replace(pubOf(""), `G2"`, `G1"`, 1), false},
		{"no proof_alg", strings.Replace(pubOf(""), `,"proof_alg":"BBS"`, "", 1), false},
		{"alg instead", pubOf(`,"alg":"BBS"`), false},
		{"use sig", pubOf(`,"use":"sig"`), false},
		{"duplicate x", pubOf(`,"x":"` + x + `"`), false},
		{"x not a string", strings.Replace(pubOf(""), `"`+x+`"`, "1", 1), false},
		{"x short", strings.Replace(pubOf(""), x, x[:len(x)-4], 1), false},
		{"x padded", strings.Replace(pubOf(""), x, x+"==", 1), false},
		{"x not on the curve", strings.Replace(pubOf(""), x, "l"+strings.Repeat("A", len(x)-1), 1), false},
		{"not an object", `[]`, false},
		{"too large", pubOf(`,"pad":"` + strings.Repeat("a", jwp.MaxJWKLen) + `"`), false},
		{"private without d", pubOf(""), true},
		{"d empty", pubOf(`,"d":""`), true},
		{"d zero", pubOf(`,"d":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"`), true},
		{"d of another key", strings.Replace(good, "NvpnjNccjwvZTsmcBO4Ntw46mzig50sfOYjeljAl8Bk", "NvpnjNccjwvZTsmcBO4Ntw46mzig50sfOYjeljAl8Bg", 1), true},
		{"d short", strings.Replace(good, "NvpnjNccjwvZTsmcBO4Ntw46mzig50sfOYjeljAl8Bk", "NvpnjNccjwvZTsmcBO4Ntw46mzig50sfOYjeljAl", 1), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.private {
				_, err = jwp.ParsePrivateJWK([]byte(tc.jwk))
			} else {
				_, err = jwp.ParsePublicJWK([]byte(tc.jwk))
			}
			if !errors.Is(err, jwp.ErrBadKey) {
				t.Fatalf("got %v, want ErrBadKey", err)
			}
		})
	}
}
