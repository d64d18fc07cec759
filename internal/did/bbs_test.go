package did

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jwp"
)

func bbsDID(t testing.TB, members string) string {
	t.Helper()
	return "did:jwk:" + jose.B64.EncodeToString([]byte(members))
}

func TestBBSKey(t *testing.T) {
	k, err := jwp.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d := FromBBSKey(&k.Public)
	got, err := BBSKey(d)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Bytes) != string(k.Public.Bytes) || got.ProofAlg != jwp.AlgBBS || got.Kid != k.Public.Kid {
		t.Fatalf("BBSKey(%s) = %+v, want the generated key with its thumbprint kid", d, got)
	}
	x := jose.B64.EncodeToString(k.Public.Bytes)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecJWK, _ := jose.NewJWK(&ec.PublicKey)
	ecDID := FromJWK(ecJWK)
	for _, tc := range []struct {
		name, did string
		want      error
	}{
		{"fragment", d + "#0", ErrInvalidDID},
		{"did:key", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", ErrUnsupportedMethod},
		{"P-256 did:jwk", ecDID, jwp.ErrBadKey},
		{"private key", bbsDID(t, `{"crv":"BLS12381G2","d":"AAAA","kty":"OKP","x":"`+x+`"}`), jwp.ErrPrivateKeyInJWK},
		{"other proof_alg", bbsDID(t, `{"crv":"BLS12381G2","kty":"OKP","proof_alg":"SU-ES256","x":"`+x+`"}`), jwp.ErrBadKey},
		{"alg member", bbsDID(t, `{"alg":"BBS","crv":"BLS12381G2","kty":"OKP","x":"`+x+`"}`), jwp.ErrBadKey},
		{"short x", bbsDID(t, `{"crv":"BLS12381G2","kty":"OKP","x":"`+x[:40]+`"}`), jwp.ErrBadKey},
		{"identity point", bbsDID(t, `{"crv":"BLS12381G2","kty":"OKP","x":"`+jose.B64.EncodeToString(append([]byte{0xc0}, make([]byte, 95)...))+`"}`), jwp.ErrBadKey},
		{"not base64url", "did:jwk:e30%3D", ErrInvalidDID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := BBSKey(tc.did)
			if !errors.Is(err, tc.want) {
				t.Fatalf("BBSKey: %v, want %v", err, tc.want)
			}
		})
	}
	// proof_alg BBS spelled out is the same key.
	if got, err := BBSKey(bbsDID(t, `{"crv":"BLS12381G2","kty":"OKP","proof_alg":"BBS","x":"`+x+`"}`)); err != nil || string(got.Bytes) != string(k.Public.Bytes) {
		t.Fatalf("explicit proof_alg: %v", err)
	}
}

// The JWS paths stay closed to BBS keys: a BBS did:jwk is neither
// resolvable as a signing key nor admitted as an entity DID.
func TestBBSKeyNotASigningKey(t *testing.T) {
	k, _ := jwp.GenerateKey(rand.Reader)
	d := FromBBSKey(&k.Public)
	if _, err := new(Resolver).ResolveKey(context.Background(), d); !errors.Is(err, ErrInvalidDID) {
		t.Fatalf("ResolveKey(BBS did:jwk) = %v, want ErrInvalidDID", err)
	}
	if err := CheckSupported(d); err == nil {
		t.Fatal("CheckSupported accepted a BBS did:jwk")
	}
	if !strings.HasPrefix(d, "did:jwk:") {
		t.Fatal(d)
	}
}

func FuzzBBSKey(f *testing.F) {
	k, _ := jwp.GenerateKey(rand.Reader)
	f.Add(FromBBSKey(&k.Public))
	f.Add("did:jwk:e30")
	f.Add("did:jwk:" + jose.B64.EncodeToString([]byte(`{"crv":"BLS12381G2","kty":"OKP","x":""}`)))
	f.Fuzz(func(t *testing.T, s string) {
		pub, err := BBSKey(s)
		if err != nil {
			return
		}
		// Whatever parses names a valid key whose did:jwk parses to it.
		again, err := BBSKey(FromBBSKey(pub))
		if err != nil || string(again.Bytes) != string(pub.Bytes) {
			t.Fatalf("round trip of %q: %v", s, err)
		}
	})
}
