package jptvc_test

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/cairn-id/cairn/internal/jptvc"
	"github.com/cairn-id/cairn/internal/jwp"
	"github.com/cairn-id/cairn/schemas"
)

// An issuer issues a humanitarian registration in the jpt format; the
// holder's wallet confirms it with the type's shared claim list.
func ExampleIssue() {
	cat, err := schemas.Load()
	if err != nil {
		panic(err)
	}
	ty, err := cat.Lookup("urn:cairn:vct:humanitarian-registration:1")
	if err != nil {
		panic(err)
	}
	key, err := jwp.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	cred, err := jptvc.Issue(key, ty, jptvc.Credential{
		Issuer:   "did:web:ngo.example",
		IssuedAt: time.Date(2026, 12, 2, 15, 4, 5, 0, time.UTC),
		Claims: map[string]any{
			"given_name": "Amina", "registration_id": "KRT-2026-0481527", "registration_date": "2026-11-14",
			"registration_place": map[string]any{"country": "SD"},
			"evidence":           map[string]any{"strength": 2, "validity": 2, "verification": 2, "method": "in_person"},
		},
	})
	if err != nil {
		panic(err)
	}
	j, err := jwp.ParseIssued(cred)
	if err != nil {
		panic(err)
	}
	cs, _ := jptvc.ClaimSet(ty)
	tok, err := jwp.ConfirmToken(&key.Public, cs, j)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(j.Payloads), tok.Claims["iat"], tok.Claims["exp"], tok.Claims["given_name"])
	// Output: 14 1796169600 1798761600 Amina
}
