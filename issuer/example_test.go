package issuer_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/issuer/boltstore"
	"github.com/cairn-id/cairn/schemas"
)

// An issuing desk offers a registration credential with a transaction
// code; the QR shows o.URI, the code is told to the holder.
func ExampleService_CreateOffer() {
	dir, _ := os.MkdirTemp("", "issuer-example")
	defer os.RemoveAll(dir)
	store, _ := boltstore.Open(filepath.Join(dir, "issuer.db"))
	defer store.Close()
	cat, _ := schemas.Load()
	key, _ := keys.Generate(jose.ES256, nil)
	hashKey := make([]byte, 32)
	rand.Read(hashKey)
	svc, err := issuer.New(issuer.Config{
		URL: "https://issuer.relief.example", Names: map[string]string{"en": "Relief NGO"},
		Types: []string{"urn:cairn:vct:humanitarian-registration:1"}, Catalogue: cat,
		Key: key, HashKey: hashKey, Store: store,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	o, err := svc.CreateOffer(context.Background(), issuer.OfferRequest{
		VCT: "urn:cairn:vct:humanitarian-registration:1",
		Claims: map[string]any{"registration_id": "REG-1", "registration_date": "2025-03-02",
			"registration_place": map[string]any{"country": "LB"}},
		TxCode: true, Reference: "Q-17",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.HasPrefix(o.URI, "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.relief.example%2Foffers%2F"))
	fmt.Println(len(o.TxCode))
	// Output:
	// true
	// 6
}

// A server reloads its registry file; an older version than the one in
// use (a rollback) is refused and the one in use stays.
func ExampleService_ReloadRegistry() {
	dir, _ := os.MkdirTemp("", "issuer-example")
	defer os.RemoveAll(dir)
	store, _ := boltstore.Open(filepath.Join(dir, "issuer.db"))
	defer store.Close()
	cat, _ := schemas.Load()
	key, _ := keys.Generate(jose.ES256, nil)
	hashKey := make([]byte, 32)
	rand.Read(hashKey)
	svc, err := issuer.New(issuer.Config{
		URL: "https://issuer.relief.example", Names: map[string]string{"en": "Relief NGO"},
		Types: []string{"urn:cairn:vct:humanitarian-registration:1"}, Catalogue: cat,
		Key: key, HashKey: hashKey, Store: store,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// A real loader reads and verifies the snapshot file
	// (trust.VerifySnapshot); this one hands out fixed versions.
	version := uint64(2)
	load := func(ctx context.Context, now time.Time) (*trust.Registry, error) {
		return &trust.Registry{ID: "urn:board", Authority: "did:example:board", Version: version, IssuedAt: now, Expires: now.Add(24 * time.Hour)}, nil
	}
	r, err := svc.ReloadRegistry(context.Background(), load)
	fmt.Println(r.Version, err)
	version = 1
	r, err = svc.ReloadRegistry(context.Background(), load)
	fmt.Println(r.Version, errors.Is(err, trust.ErrSnapshotRollback))
	// Output:
	// 2 <nil>
	// 2 true
}
