package did

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/jose"
)

func TestCheckSupported(t *testing.T) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := jose.NewJWK(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDID, err := KeyDID(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, did string
		want      error
	}{
		{"did:jwk", FromJWK(jwk), nil},
		{"did:key", keyDID, nil},
		{"did:web", "did:web:desk.example", nil},
		{"did:web with port", "did:web:desk.example%3A8443", nil},
		{"did:example", "did:example:ngo", ErrUnsupportedMethod},
		{"did:ion", "did:ion:EiClkZMDxPKqC9c", ErrUnsupportedMethod},
		{"not a DID", "ngo", ErrInvalidDID},
		{"DID URL", FromJWK(jwk) + "#0", ErrInvalidDID},
		{"broken did:jwk", "did:jwk:bm90LWEta2V5", nil},
		{"broken did:key", "did:key:z6Mk", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckSupported(tc.did)
			switch {
			case strings.HasPrefix(tc.name, "broken"):
				if err == nil {
					t.Fatal("accepted a DID whose key does not decode")
				}
			case tc.want == nil && err != nil, tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("CheckSupported(%q) = %v, want %v", tc.did, err, tc.want)
			}
			if errors.Is(err, ErrUnsupportedMethod) && !strings.Contains(err.Error(), "did:jwk, did:key, did:web") {
				t.Fatalf("message does not list the methods: %v", err)
			}
		})
	}
}
