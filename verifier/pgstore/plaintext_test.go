package pgstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jptvc"
	"github.com/cairn-id/cairn/internal/jwp"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/store/pg"
	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/schemas"
	"github.com/cairn-id/cairn/verifier"
	"github.com/cairn-id/cairn/verifier/pgstore"
)

// TestTablesHoldNoPlaintext: after a presentation is verified (direct_post,
// the claims disclosed, a review recorded), no column of the verifier's
// tables holds a disclosed claim value, the holder's DID or key
// thumbprint, the presentation or one of its disclosures, the request's
// nonce or state, or the review's reason, in clear or base64; the
// control finds the session id, stored in clear as the key.
func TestTablesHoldNoPlaintext(t *testing.T) {
	ctx := context.Background()
	st, err := pgstore.Open(ctx, pgtest.URL(t), pg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t)
	svc := w.service(t, st)
	defer svc.Close()
	cred, holder := w.cred, w.holder
	req, err := svc.CreateSession(ctx, "clinic-access", verifier.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	jws, err := svc.RequestObject(ctx, req.SessionID, "")
	if err != nil {
		t.Fatal(err)
	}
	ar, err := oid4vp.VerifyRequestObject(ctx, jws, oid4vp.VerifyOptions{Options: oid4vp.Options{Dev: true}, ClientID: oid4vp.PrefixDecentralizedIdentifier + ":" + w.vk.DIDJWK(), Resolver: &did.Resolver{}})
	if err != nil {
		t.Fatal(err)
	}
	vp, err := sdjwtvc.Present(cred, holder.JoseSigner(), sdjwtvc.PresentOptions{Paths: []string{"/family_name", "/given_name", "/birthdate"}, Audience: oid4vp.KBAudience(ar.ClientID), Nonce: ar.Nonce})
	if err != nil {
		t.Fatal(err)
	}
	form, err := (&oid4vp.Response{VPToken: oid4vp.VPToken{"identity": {vp}}, State: ar.State}).Form()
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Respond(ctx, req.SessionID, []byte(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != verifier.OutcomeValid {
		t.Fatalf("the presentation was not verified (%s): the test checks nothing", res.Code)
	}
	if _, err := svc.RecordReview(ctx, req.SessionID, verifier.ReviewedDecision{Decision: verifier.DecisionAccept, Reason: "Passport Xanthoridge seen", Caseworker: "cw-1"}); err != nil {
		t.Fatal(err)
	}
	// The store gave back what it sealed.
	if got, err := svc.Result(ctx, req.SessionID); err != nil || !strings.Contains(string(mustJSON(t, got)), "Zzyzxquorran") {
		t.Fatalf("result read back: %v", err)
	}

	secrets := []string{"Zzyzxquorran", "Ophelindra", "1987-11-23", holder.DIDJWK(), holder.PublicJWK().Thumbprint(), vp, ar.Nonce, ar.State, "Passport Xanthoridge seen"}
	for _, part := range strings.Split(vp, "~") {
		if part != "" {
			secrets = append(secrets, part)
		}
	}
	dump := pgtest.Dump(t, st.DB().Schema())
	for _, s := range secrets {
		for _, f := range []string{s, base64.RawURLEncoding.EncodeToString([]byte(s)), base64.StdEncoding.EncodeToString([]byte(s))} {
			if bytes.Contains(dump, []byte(f)) {
				t.Errorf("the verifier's tables hold %.40q (as %.40q)", s, f)
			}
		}
	}
	if !bytes.Contains(dump, []byte(req.SessionID)) {
		t.Error("the search does not find the session id, stored in clear: the test is broken")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTablesHoldNoProofJPT: after a jpt presentation (BBS, the
// experimental format) is verified, no column of the verifier's tables
// holds the proof (raw or base64), the presentation, its headers, a
// disclosed value or the nonce; the replay window keeps the keyed hash of
// the proof (the control: it is found, under the digest only the results
// key can compute).
func TestTablesHoldNoProofJPT(t *testing.T) {
	ctx := context.Background()
	st, err := pgstore.Open(ctx, pgtest.URL(t), pg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	vk, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	bk, err := jwp.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const ngo, vct = "did:web:ngo.example", "urn:cairn:vct:humanitarian-registration:1"
	since := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Second)
	active := []trust.StatusChange{{Status: trust.StatusActive, At: since}}
	reg := &trust.Registry{Entities: []trust.Entity{
		{DID: ngo, Role: trust.RoleIssuer, Status: trust.StatusActive, StatusHistory: active, ValidFrom: since,
			Keys:                 []trust.EntityKey{{DID: keys.BBSDIDJWK(&bk.Public), From: since}},
			IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: vct, MaxStrength: 3, MaxValidity: 3, From: since}}},
		{DID: vk.DIDJWK(), Role: trust.RoleVerifier, Status: trust.StatusActive, StatusHistory: active, ValidFrom: since},
	}}
	key := make([]byte, verifier.ResultKeyLen)
	rand.Read(key)
	sealer, _ := verifier.NewSealer(key, nil)
	p, err := verifier.ParsePurpose([]byte(`{"id":"jpt-check","names":{"en":"jpt"},"assurance_policy":"basic-services","retention":"24h",
	 "dcql_query":{"credentials":[{"id":"reg","format":"jpt","require_cryptographic_holder_binding":false,
	 "meta":{"vct_values":["` + vct + `"]},"claims":[{"path":["given_name"]}]}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := verifier.New(verifier.Config{Store: st, Signer: vk.JoseSigner().WithKeyID(vk.DIDJWK() + "#0"), DID: vk.DIDJWK(),
		BaseURL: "http://127.0.0.1:1", Dev: true, Purposes: verifier.Purposes{p.ID: p}, Sealer: sealer, Registry: reg, ResponseMode: oid4vp.ResponseModeDirectPost, Resolver: &did.Resolver{}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	cat, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	ty, _ := cat.Lookup(vct)
	cred, err := jptvc.Issue(bk, ty, jptvc.Credential{Issuer: ngo, IssuedAt: time.Now(), Claims: map[string]any{
		"given_name": "Ophelindra", "family_name": "Zzyzxquorran", "registration_id": "QQX-5550199", "registration_date": "2026-11-14", "registration_place": map[string]any{"country": "SD"}}})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := jptvc.Open(cat, cred, jptvc.KeyOf(ngo, keys.BBSDIDJWK(&bk.Public)))
	if err != nil {
		t.Fatal(err)
	}
	req, err := svc.CreateSession(ctx, p.ID, verifier.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	jws, err := svc.RequestObject(ctx, req.SessionID, "")
	if err != nil {
		t.Fatal(err)
	}
	ar, err := oid4vp.VerifyRequestObject(ctx, jws, oid4vp.VerifyOptions{Options: oid4vp.Options{Dev: true}, ClientID: svc.ClientID(), Resolver: &did.Resolver{}})
	if err != nil {
		t.Fatal(err)
	}
	vp, err := stored.Present(nil, ar.ClientID, ar.Nonce, []string{"given_name"})
	if err != nil {
		t.Fatal(err)
	}
	form, err := (&oid4vp.Response{VPToken: oid4vp.VPToken{"reg": {vp}}, State: ar.State}).Form()
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Respond(ctx, req.SessionID, []byte(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != verifier.OutcomeValid || !res.Credentials[0].NoHolderBinding {
		t.Fatalf("the presentation was not verified (%s): the test checks nothing", res.Code)
	}
	pp, err := jwp.ParsePresented(vp)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{vp, string(pp.Proof[0]), string(pp.Proof[0][:48]), string(pp.PresentationHeader), "Ophelindra", ar.Nonce, ar.State}
	secrets = append(secrets, strings.Split(vp, ".")...)
	dump := pgtest.Dump(t, st.DB().Schema())
	for _, s := range secrets {
		for _, f := range []string{s, base64.RawURLEncoding.EncodeToString([]byte(s)), base64.StdEncoding.EncodeToString([]byte(s))} {
			if bytes.Contains(dump, []byte(f)) {
				t.Errorf("the verifier's tables hold %.40q (as %.40q)", s, f)
			}
		}
	}
	if !bytes.Contains(dump, []byte(sealer.ProofDigest(pp.Proof[0]))) {
		t.Error("the replay window's keyed hash of the proof is not found: the test is broken")
	}
}
