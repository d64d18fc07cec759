package registry_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/registry"
	"github.com/cairn-id/cairn/registry/boltstore"
)

func ExampleService() {
	dir, _ := os.MkdirTemp("", "registry-example")
	defer os.RemoveAll(dir)
	store, _ := boltstore.Open(filepath.Join(dir, "registry.db"))
	defer store.Close()
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	svc := &registry.Service{Store: store, Now: func() time.Time { return now }}
	ctx := context.Background()

	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	st, _ := svc.Init(ctx, "urn:example:board", "Pilot Board", key)
	svc.AddEntity(ctx, registry.NewEntity{DID: "did:web:ngo.example", Role: trust.RoleIssuer, Names: map[string]string{"en": "Helping Hands"}})
	svc.AuthorizeIssuer(ctx, "did:web:ngo.example", trust.IssuerAuthorization{VCT: "urn:example:identity", MaxStrength: 2, MaxValidity: 2})
	version, compact, _ := svc.Publish(ctx, key, 30*24*time.Hour)

	// A verifier pins the authority key and checks the snapshot.
	reg, err := trust.VerifySnapshot(compact, []*jose.JWK{st.Authority.PublicJWK}, now.Add(time.Hour))
	if err != nil {
		fmt.Println(err)
		return
	}
	d, _ := reg.IssuerAuthorized("did:web:ngo.example", "urn:example:identity", now.Add(time.Minute))
	fmt.Println(version, d.Authorized, d.Reason)
	// Output: 1 true authorized
}
