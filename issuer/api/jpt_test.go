package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jptvc"
	"github.com/cairn-id/cairn/internal/jwp"
	"github.com/cairn-id/cairn/internal/oid4vci"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/vccheck"
	"github.com/cairn-id/cairn/issuer"
)

const testJPTConfigID = testConfigID + issuer.JPTSuffix

// jptFixture is the fixture with jpt enabled for testVCT only.
func jptFixture(t *testing.T, mut ...func(*fixtureConfig)) (*fixture, *jwp.PrivateKey) {
	t.Helper()
	bbsKey, err := jwp.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, append([]func(*fixtureConfig){func(c *fixtureConfig) {
		c.JPT, c.BBSKey = []string{testVCT}, bbsKey
	}}, mut...)...)
	return f, bbsKey
}

func (f *fixture) jptOffer(t *testing.T) *issuer.Offer {
	t.Helper()
	o, err := f.svc.CreateOffer(context.Background(), issuer.OfferRequest{VCT: testVCT, Claims: testClaims(), Reference: "Q-18", Format: issuer.FormatJPT})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// runJPT runs the flow as a wallet does with internal/oid4vci's client:
// no holder key, since the configuration asks for no proof.
func (w *wallet) runJPT(o *issuer.Offer) (*oid4vci.Issuance, response) {
	is, err := w.cl.RunPreAuthorized(context.Background(), oid4vci.PreAuthorizedRequest{OfferURI: o.URI, ConfigurationID: testJPTConfigID})
	r := w.checked("run", err)
	return is, r
}

// TestJPTIssuance issues two jpt credentials over HTTP with the client,
// finds the issuer's key the way a verifier does (registry entity of iss,
// kid of the Issuer Header), presents one and verifies it with
// jwp.VerifyToken.
func TestJPTIssuance(t *testing.T) {
	f, bbsKey := jptFixture(t)
	ctx := context.Background()
	w := newWallet(t, f)

	md := f.svc.IssuerMetadata()
	jc, ok := md.CredentialConfigurationsSupported[testJPTConfigID]
	if !ok || jc.Format != jptvc.Format || jc.VCT != testVCT || jc.ProofTypesSupported != nil || jc.CryptographicBindingMethodsSupported != nil {
		t.Fatalf("jpt configuration: %+v (present %v)", jc, ok)
	}
	if sd := md.CredentialConfigurationsSupported[testConfigID]; sd.Format != "dc+sd-jwt" || sd.ProofTypesSupported == nil {
		t.Fatalf("the SD-JWT VC configuration changed: %+v", sd)
	}
	for _, vct := range testTypes[1:] {
		for id, c := range md.CredentialConfigurationsSupported {
			if c.VCT == vct && c.Format == jptvc.Format {
				t.Fatalf("%s offered as jpt (%s) without being enabled", vct, id)
			}
		}
	}

	var creds []string
	for range 2 {
		nonces, _ := f.svc.NonceCount(ctx)
		is, r := w.runJPT(f.jptOffer(t))
		if r.status != http.StatusOK || is == nil || len(is.Credentials) != 1 {
			t.Fatalf("credential: %d %s", r.status, r.raw)
		}
		creds = append(creds, is.Credentials[0])
		if n, _ := f.svc.NonceCount(ctx); n != nonces {
			t.Fatal("a jpt issuance consumed a nonce")
		}
		// The access token was single-use.
		r = w.credential(is.AccessToken, testJPTConfigID)
		if r.status != http.StatusUnauthorized {
			t.Fatalf("second request with the token: %d %s", r.status, r.raw)
		}
	}
	// The Issuer Header is the same octets for both.
	h0, _, _ := strings.Cut(creds[0], ".")
	h1, _, _ := strings.Cut(creds[1], ".")
	if h0 != h1 {
		t.Fatalf("issuer headers differ:\n%s\n%s", h0, h1)
	}
	// (BBS Sign is deterministic: the same claims on the same day give
	// the same credential, which tells nobody more than the claims do.)

	// The verifier's registry lists the BBS key as a further key of the
	// issuer entity.
	now := f.clk.Now()
	reg := &trust.Registry{ID: "urn:test", Name: "Test", Authority: "did:example:board", Version: 1, Expires: now.Add(24 * time.Hour),
		Entities: []trust.Entity{{DID: f.svc.DID(), Role: trust.RoleIssuer, Status: trust.StatusActive, Names: map[string]string{"en": "NGO"},
			ValidFrom: now.Add(-48 * time.Hour), IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: testVCT, MaxStrength: 4, MaxValidity: 4, From: now.Add(-48 * time.Hour)}},
			Keys: []trust.EntityKey{{DID: did.FromBBSKey(f.svc.BBSPublicKey()), From: now.Add(-time.Hour)}}}}}
	if err := reg.Validate(); err != nil {
		t.Fatal(err)
	}
	cat, _ := catalogue()
	typ, _ := cat.Lookup(testVCT)
	cs, _ := jptvc.ClaimSet(typ)
	j, err := jwp.ParseIssued(creds[0])
	if err != nil {
		t.Fatal(err)
	}
	ih, err := jwp.ParseHeader(j.Header)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := vccheck.BBSIssuerKey(reg, f.svc.DID(), ih.Kid)
	if err != nil {
		t.Fatal(err)
	}
	if string(pub.Bytes) != string(bbsKey.Public.Bytes) {
		t.Fatal("the registry gave another key")
	}
	tok, err := jwp.ConfirmToken(pub, cs, j)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"status", "cnf", "sub", "jti", "nbf"} {
		if _, ok := tok.Claims[c]; ok {
			t.Errorf("jpt credential carries %s", c)
		}
	}
	if slices := cs.Names; len(slices) != len(j.Payloads) {
		t.Fatal("slot count")
	}
	iat := unix(t, tok.Claims["iat"])
	exp := unix(t, tok.Claims["exp"])
	wantIat := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	if !iat.Equal(wantIat) || !exp.Equal(wantIat.Add(jptvc.DefaultValidity)) {
		t.Fatalf("iat %s exp %s, want %s and 30 days later", iat, exp, wantIat)
	}
	if tok.Claims["iss"] != f.svc.DID() || tok.Claims["vct"] != testVCT || tok.Claims["family_name"] != "Haddad" {
		t.Fatalf("claims: %v", tok.Claims)
	}
	d, err := vccheck.BBSKeyAuthorized(reg, f.svc.DID(), pub, testVCT, iat)
	if err != nil || !d.Authorized {
		t.Fatalf("authority at iat: %v %s", err, d.Reason)
	}
	p, err := jwp.PresentToken(rand.Reader, pub, cs, j, jwp.PresentationHeader{Aud: "x509_san_dns:desk.example", Nonce: "n-1"}, []string{"iss", "vct", "iat", "exp", "family_name"})
	if err != nil {
		t.Fatal(err)
	}
	pt, err := jwp.VerifyToken(pub, cs, p, jwp.VerifyOptions{Audience: "x509_san_dns:desk.example", Nonce: "n-1"})
	if err != nil || pt.Claims["family_name"] != "Haddad" || pt.Claims["given_name"] != nil {
		t.Fatalf("VerifyToken: %v %v", err, pt)
	}

	// The records: jpt, no status entry, not revocable.
	recs, err := f.svc.Records(ctx)
	if err != nil || len(recs) != 2 {
		t.Fatalf("records: %v %d", err, len(recs))
	}
	for _, rec := range recs {
		if rec.Format != issuer.FormatJPT || rec.StatusList != "" || rec.HolderThumbprint != "" || !rec.ExpiresAt.Equal(exp) || rec.VCT != testVCT {
			t.Fatalf("record %+v", rec)
		}
		before := f.snapshot(t)
		if err := f.svc.Revoke(ctx, rec.CredentialID); !errors.Is(err, issuer.ErrNoStatus) {
			t.Fatalf("Revoke(jpt) = %v", err)
		}
		if err := f.svc.Suspend(ctx, rec.CredentialID); !errors.Is(err, issuer.ErrNoStatus) {
			t.Fatalf("Suspend(jpt) = %v", err)
		}
		sameStore(t, before, f.snapshot(t))
	}
	if l, _ := f.store.Dump()["status_lists"]; len(l) != 0 {
		t.Fatalf("jpt issuance made status lists: %d", len(l))
	}
	if ids, err := f.svc.RevokeReference(ctx, "Q-18"); err != nil || len(ids) != 0 {
		t.Fatalf("RevokeReference over jpt records: %v %v", ids, err)
	}
}

func unix(t *testing.T, v any) time.Time {
	t.Helper()
	n, ok := v.(interface{ Int64() (int64, error) })
	if !ok {
		t.Fatalf("%v is not a number", v)
	}
	s, err := n.Int64()
	if err != nil {
		t.Fatal(err)
	}
	return time.Unix(s, 0).UTC()
}

// TestJPTValidityRounding: a validity of 36 hours becomes two whole days
// from the start of the day of issuance, whatever the hour.
func TestJPTValidityRounding(t *testing.T) {
	f, _ := jptFixture(t, func(c *fixtureConfig) { c.JPTValidity = 36 * time.Hour })
	f.clk.Set(time.Date(2026, 11, 26, 23, 59, 30, 0, time.UTC))
	w := newWallet(t, f)
	is, r := w.runJPT(f.jptOffer(t))
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	recs, _ := f.svc.Records(context.Background())
	day := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	if len(recs) != 1 || !recs[0].ExpiresAt.Equal(day.Add(48*time.Hour)) {
		t.Fatalf("records %+v", recs)
	}
	j, _ := jwp.ParseIssued(is.Credentials[0])
	cat, _ := catalogue()
	typ, _ := cat.Lookup(testVCT)
	cs, _ := jptvc.ClaimSet(typ)
	tok, err := jwp.ConfirmToken(f.svc.BBSPublicKey(), cs, j)
	if err != nil {
		t.Fatal(err)
	}
	if got := unix(t, tok.Claims["iat"]); !got.Equal(day) {
		t.Fatalf("iat %s", got)
	}
}

// TestJPTRefusals: what a jpt configuration refuses, and that a refusal
// changes nothing stored.
func TestJPTRefusals(t *testing.T) {
	ctx := context.Background()
	f, _ := jptFixture(t)
	w := newWallet(t, f)

	// Offers: jpt for a type without it, an unknown format.
	for _, format := range []string{issuer.FormatJPT, "ldp_vc"} {
		vct := "urn:cairn:vct:language-skills:1"
		if format != issuer.FormatJPT {
			vct = testVCT
		}
		before := f.snapshot(t)
		_, err := f.svc.CreateOffer(ctx, issuer.OfferRequest{VCT: vct, Claims: map[string]any{}, Format: format})
		if !errors.Is(err, issuer.ErrFormatNotEnabled) || !errors.Is(err, issuer.ErrInvalidOffer) {
			t.Fatalf("offer %s as %s: %v", vct, format, err)
		}
		sameStore(t, before, f.snapshot(t))
	}

	// A jpt request with a key proof: invalid_proof, nothing used.
	o := f.jptOffer(t)
	code, _ := w.fetchOffer(o)
	tr := w.token(code, "")
	tok, _ := tr.body["access_token"].(string)
	before := f.snapshot(t)
	r := w.credential(tok, testJPTConfigID, w.proof(w.nonce(), nil))
	if r.status != http.StatusBadRequest || r.body["error"] != oid4vci.ErrorInvalidProof || !strings.Contains(r.raw, "no key proof") {
		t.Fatalf("jpt request with a proof: %d %s", r.status, r.raw)
	}
	sameStore(t, before, f.snapshot(t))
	// An SD-JWT VC configuration still needs its proof, even from a jpt
	// token's holder: the token was granted for jpt.
	r = w.credential(tok, testConfigID)
	if r.status != http.StatusBadRequest || r.body["error"] != oid4vci.ErrorUnknownCredentialConfiguration {
		t.Fatalf("SD-JWT request on a jpt token: %d %s", r.status, r.raw)
	}
	// The token was not used by the refusals: the proof-less request
	// succeeds.
	body := []byte(`{"credential_configuration_id":"` + testJPTConfigID + `"}`)
	r = do(t, w.c, http.MethodPost, f.srv.URL+"/credential", "application/json", tok, bytes.NewReader(body))
	if r.status != http.StatusOK {
		t.Fatalf("jpt request: %d %s", r.status, r.raw)
	}

	// An SD-JWT VC offer: a request without proofs is still invalid_proof.
	sd := f.offer(t, false)
	code, _ = w.fetchOffer(sd)
	tok, _ = w.token(code, "").body["access_token"].(string)
	r = do(t, w.c, http.MethodPost, f.srv.URL+"/credential", "application/json", tok, bytes.NewReader([]byte(`{"credential_configuration_id":"`+testConfigID+`"}`)))
	if r.status != http.StatusBadRequest || r.body["error"] != oid4vci.ErrorInvalidProof {
		t.Fatalf("SD-JWT request without proofs: %d %s", r.status, r.raw)
	}
	// …and asking for the jpt configuration on its token is refused.
	r = do(t, w.c, http.MethodPost, f.srv.URL+"/credential", "application/json", tok, bytes.NewReader(body))
	if r.status != http.StatusBadRequest || r.body["error"] != oid4vci.ErrorUnknownCredentialConfiguration {
		t.Fatalf("jpt request on an SD-JWT token: %d %s", r.status, r.raw)
	}
}

// TestJPTConfig: jpt needs a BBS key and one of the issuer's types.
func TestJPTConfig(t *testing.T) {
	cat, _ := catalogue()
	k, _ := jwp.GenerateKey(rand.Reader)
	base := newFixture(t).cfg.Config
	for _, tc := range []struct {
		name string
		edit func(c *issuer.Config)
	}{
		{"no BBS key", func(c *issuer.Config) { c.JPT = []string{testVCT} }},
		{"not one of the types", func(c *issuer.Config) { c.JPT, c.BBSKey = []string{"urn:cairn:vct:school-enrolment:1"}, k }},
		{"negative validity", func(c *issuer.Config) { c.JPT, c.BBSKey, c.JPTValidity = []string{testVCT}, k, -time.Hour }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.Catalogue = cat
			tc.edit(&c)
			if _, err := issuer.New(c); !errors.Is(err, issuer.ErrInvalidConfig) {
				t.Fatalf("New = %v", err)
			}
		})
	}
}

// TestJPTOfferThroughAdminSocket: the format crosses the admin socket,
// and so does a refused revoke of a jpt credential (ErrNoStatus).
func TestJPTOfferThroughAdminSocket(t *testing.T) {
	ctx := context.Background()
	f, _ := jptFixture(t)
	adm := openClient(t, startAdmin(t, f).dir)
	o, err := adm.CreateOffer(ctx, issuer.OfferRequest{VCT: testVCT, Claims: testClaims(), Format: issuer.FormatJPT})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := adm.CreateOffer(ctx, issuer.OfferRequest{VCT: "urn:cairn:vct:language-skills:1", Claims: map[string]any{}, Format: issuer.FormatJPT}); !errors.Is(err, issuer.ErrInvalidOffer) {
		t.Fatalf("jpt offer of a type without it: %v", err)
	}
	is, r := newWallet(t, f).runJPT(o)
	if r.status != http.StatusOK || is.ConfigurationID != testJPTConfigID {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	recs, err := adm.Records(ctx)
	if err != nil || len(recs) != 1 || recs[0].Format != issuer.FormatJPT {
		t.Fatalf("records: %+v %v", recs, err)
	}
	if err := adm.Revoke(ctx, recs[0].CredentialID); !errors.Is(err, issuer.ErrNoStatus) {
		t.Fatalf("Revoke through the socket: %v", err)
	}
}
