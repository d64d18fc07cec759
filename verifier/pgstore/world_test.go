package pgstore_test

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/verifier"
)

// world is a trust registry with an issuer and a verifier desk, a holder
// and a credential of theirs: what a verifier Service needs to verify a
// presentation.
type world struct {
	reg         *trust.Registry
	vk, holder  *keys.PrivateKey
	resultKey   []byte
	cred        string
	disclosures []string
}

func newWorld(tb testing.TB) *world {
	gen := func() *keys.PrivateKey {
		k, err := keys.Generate(jose.ES256, nil)
		if err != nil {
			tb.Fatal(err)
		}
		return k
	}
	authority, ngo, holder, vk := gen(), gen(), gen(), gen()
	since := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Second)
	active := []trust.StatusChange{{Status: trust.StatusActive, At: since}}
	reg := &trust.Registry{ID: "pilot", Name: "Pilot", Authority: authority.DIDJWK(), Version: 1, IssuedAt: since, Expires: since.Add(30 * 24 * time.Hour),
		Entities: []trust.Entity{
			{DID: ngo.DIDJWK(), Names: map[string]string{"en": "NGO"}, Role: trust.RoleIssuer, Status: trust.StatusActive, StatusHistory: active, ValidFrom: since,
				IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: "urn:cairn:vct:identity-attestation:1", MaxStrength: 3, MaxValidity: 3, MaxVerification: 3, From: since}}},
			{DID: vk.DIDJWK(), Names: map[string]string{"en": "Desk"}, Role: trust.RoleVerifier, Status: trust.StatusActive, StatusHistory: active, ValidFrom: since,
				VerifierAuthorizations: []trust.VerifierAuthorization{{Purpose: "clinic-access", Claims: []string{"/family_name", "/given_name", "/birthdate"}, From: since}}},
		}}
	key := make([]byte, verifier.ResultKeyLen)
	rand.Read(key)
	claims := map[string]any{"family_name": "Zzyzxquorran", "given_name": "Ophelindra", "birthdate": "1987-11-23"}
	paths := []string{"/family_name", "/given_name", "/birthdate"}
	cred, err := sdjwtvc.Issue(sdjwtvc.Credential{VCT: "urn:cairn:vct:identity-attestation:1", Issuer: ngo.DIDJWK(), IssuedAt: since.Add(time.Hour), ExpiresAt: since.Add(365 * 24 * time.Hour),
		HolderJWK: holder.PublicJWK(), Claims: claims, Disclosable: paths},
		sdjwtvc.IssueOptions{Signer: ngo.JoseSigner().WithKeyID(ngo.DIDJWK() + "#0")})
	if err != nil {
		tb.Fatal(err)
	}
	return &world{reg: reg, vk: vk, holder: holder, resultKey: key, cred: cred, disclosures: paths}
}

// service is a verifier instance of the desk on st (direct_post).
func (w *world) service(tb testing.TB, st verifier.Store) *verifier.Service {
	sealer, err := verifier.NewSealer(w.resultKey, nil)
	if err != nil {
		tb.Fatal(err)
	}
	ps, err := verifier.DefaultPurposes()
	if err != nil {
		tb.Fatal(err)
	}
	svc, err := verifier.New(verifier.Config{Store: st, Signer: w.vk.JoseSigner().WithKeyID(w.vk.DIDJWK() + "#0"), DID: w.vk.DIDJWK(),
		BaseURL: "http://127.0.0.1:1", Dev: true, Purposes: ps, Sealer: sealer, Registry: w.reg, ResponseMode: oid4vp.ResponseModeDirectPost, Resolver: &did.Resolver{}})
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}
