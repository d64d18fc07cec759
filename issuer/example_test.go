package issuer_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
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
	"github.com/cairn-id/cairn/schemas"
)

// An issuing desk offers a registration credential with a transaction
// code; the QR shows o.URI, the code is told to the holder.
func ExampleService_CreateOffer() {
	dir, _ := os.MkdirTemp("", "issuer-example")
	defer os.RemoveAll(dir)
	store, _ := issuer.OpenBolt(filepath.Join(dir, "issuer.db"))
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

// An operator command opens the issuer directory with OpenAdmin: through
// the admin socket while 'cairn issuer serve' runs on it, else directly
// over the store. The calls and their errors are the same either way.
func ExampleOpenAdmin() {
	dir, _ := os.MkdirTemp("", "issuer-dir") // 0700
	defer os.RemoveAll(dir)
	key, _ := keys.Generate(jose.ES256, nil)
	keys.Save(filepath.Join(dir, issuer.DirKeyFile), key)
	hashKey := make([]byte, 32)
	rand.Read(hashKey)
	os.WriteFile(filepath.Join(dir, issuer.DirHashKeyFile), []byte(jose.B64.EncodeToString(hashKey)), 0o600)
	cfg, _ := json.Marshal(issuer.DirConfig{URL: "https://issuer.relief.example", Names: map[string]string{"en": "Relief NGO"},
		Types: []string{"urn:cairn:vct:humanitarian-registration:1"}, DID: key.DIDJWK()})
	os.WriteFile(filepath.Join(dir, issuer.DirConfigFile), cfg, 0o600)

	adm, err := issuer.OpenAdmin(context.Background(), dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer adm.Close()
	_, direct := adm.(*issuer.Service)
	fmt.Println("direct:", direct)
	_, err = adm.CreateOffer(context.Background(), issuer.OfferRequest{
		VCT:    "urn:cairn:vct:humanitarian-registration:1",
		Claims: map[string]any{"registration_id": "REG-1", "birthdate": "12/04/1991"},
	})
	var ve *issuer.ValidationError
	if errors.As(err, &ve) {
		fmt.Println("refused at", strings.Join(ve.Paths, " "))
	}
	// Output:
	// direct: true
	// refused at /birthdate /registration_date /registration_place
}

// A server reloads its registry file; an older version than the one in
// use (a rollback) is refused and the one in use stays.
func ExampleService_ReloadRegistry() {
	dir, _ := os.MkdirTemp("", "issuer-example")
	defer os.RemoveAll(dir)
	store, _ := issuer.OpenBolt(filepath.Join(dir, "issuer.db"))
	defer store.Close()
	cat, _ := schemas.Load()
	key, _ := keys.Generate(jose.ES256, nil)
	hashKey := make([]byte, 32)
	rand.Read(hashKey)
	svc, err := issuer.New(issuer.Config{
		URL: "https://issuer.relief.example", Names: map[string]string{"en": "Relief NGO"},
		Types: []string{"urn:cairn:vct:humanitarian-registration:1"}, Catalogue: cat,
		Key: key, HashKey: hashKey, Store: store,
		TrustedProxies: []string{"10.0.0.0/8"}, // the desk's reverse proxy
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
