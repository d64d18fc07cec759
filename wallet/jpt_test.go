package wallet_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/wallet"
	"github.com/cairn-id/cairn/wallet/storetest"
)

// A stored jpt credential keeps its format and issuer key through the
// sealed record, and is refused for an offline (proximity) presentation:
// the proximity code is SD-JWT only.
func TestJPTStoredAndNoProximity(t *testing.T) {
	s, _ := newService(t)
	c, err := s.CreateHolder(ctx, wallet.CreateRequest{PIN: "1234", DeviceSecret: storetest.Device(1)})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := s.Login(ctx, wallet.LoginRequest{HolderID: c.HolderID, PIN: "1234", DeviceSecret: storetest.Device(1)})
	if err != nil {
		t.Fatal(err)
	}
	in := wallet.Credential{Format: wallet.FormatJPT, IssuerKey: "did:jwk:eyJrdHkiOiJPS1AifQ", VCT: "urn:cairn:vct:humanitarian-registration:1",
		IssuerDID: "did:web:ngo.example", Compact: "eyJhbGciOiJCQlMifQ.IngiOg.AAAA"}
	stored, err := s.PutCredential(ctx, sess, in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetCredential(ctx, sess, stored.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Format != wallet.FormatJPT || got.IssuerKey != in.IssuerKey || got.Compact != in.Compact {
		t.Fatalf("read back %+v", got)
	}
	_, err = s.Proximity(ctx, sess, "ABC123", wallet.ProximityRequest{CredentialID: stored.ID, Paths: []string{"/given_name"}})
	if !errors.Is(err, wallet.ErrInvalidRequest) || !strings.Contains(err.Error(), "online only") {
		t.Fatalf("proximity of a jpt credential: %v", err)
	}
}
