package api_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/registry"
	"github.com/cairn-id/cairn/registry/api"
)

func ExampleNew() {
	store := newMemStore() // registry/boltstore in a real deployment
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	svc := &registry.Service{Store: store, Now: func() time.Time { return now }}
	ctx := context.Background()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	st, _ := svc.Init(ctx, "urn:example:board", "Pilot Board", key)
	svc.AddEntity(ctx, registry.NewEntity{DID: "did:web:desk.example", Role: trust.RoleVerifier, Names: map[string]string{"en": "Desk"}})
	svc.AuthorizeVerifier(ctx, "did:web:desk.example", trust.VerifierAuthorization{Purpose: "intake", Claims: []string{"given_name"}})
	svc.Publish(ctx, key, time.Hour)

	h, _ := api.New(store, api.Options{Now: func() time.Time { return now }})
	body := `{"entity_id":"did:web:desk.example","authority_id":"` + st.Authority.DID + `","action":"request","resource":"intake","context":{"claims":["given_name","birthdate"]}}`
	req := httptest.NewRequest("POST", "/trqp/authorization", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, strings.Contains(rec.Body.String(), `"outside_purpose":["/birthdate"]`))
	// Output: 200 true
}
