package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/issuer"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/statuslist"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/schemas"
)

func verifyCredential(t *testing.T, f *fixture, cred string) *sdjwtvc.Result {
	t.Helper()
	res, err := sdjwtvc.Verify(context.Background(), cred, sdjwtvc.VerifyOptions{
		Trust: sdjwtvc.Trust{TrustedDIDs: []string{f.svc.DID()}, Resolver: didResolver{}},
		Now:   f.clk.Now,
	})
	if err != nil {
		t.Fatalf("issued credential does not verify: %v", err)
	}
	return res
}

func TestIssuanceFlow(t *testing.T) {
	for _, tx := range []bool{false, true} {
		t.Run(fmt.Sprintf("tx_code=%v", tx), func(t *testing.T) {
			f := newFixture(t)
			w := newWallet(t, f)
			o := f.offer(t, tx)
			if tx != (len(o.TxCode) == issuer.DefaultTxCodeLength) {
				t.Fatalf("tx code %q", o.TxCode)
			}
			if !strings.HasPrefix(o.URI, "openid-credential-offer://?credential_offer_uri="+url.QueryEscape(f.srv.URL+"/offers/")) {
				t.Errorf("offer URI %s", o.URI)
			}
			_, r := w.fetchOffer(o)
			g := r.body["grants"].(map[string]any)[issuer.PreAuthorizedGrant].(map[string]any)
			if _, has := g["tx_code"]; has != tx {
				t.Errorf("offer tx_code present=%v, want %v", has, tx)
			}
			res := w.run(o)
			if res.status != 200 {
				t.Fatalf("credential: %d %s", res.status, res.raw)
			}
			creds := res.body["credentials"].([]any)
			cred := creds[0].(map[string]any)["credential"].(string)
			vr := verifyCredential(t, f, cred)
			if vr.VCT != testVCT || vr.Issuer != f.svc.DID() || !vr.HolderJWK.Equal(w.key.PublicJWK()) {
				t.Errorf("credential vct %s iss %s cnf %v", vr.VCT, vr.Issuer, vr.HolderJWK)
			}
			if vr.Claims["sub"] != w.key.DIDJWK() || vr.Claims["given_name"] != "Amina" {
				t.Errorf("claims: sub %v given_name %v", vr.Claims["sub"], vr.Claims["given_name"])
			}
			ev := vr.Claims["evidence"].(map[string]any)
			if fmt.Sprint(ev["strength"]) != "2" || ev["method"] != "in_person" {
				t.Errorf("evidence %v", ev)
			}
			ref, err := statuslist.ParseReference(vr.Status)
			if err != nil || !strings.HasPrefix(ref.URI, f.srv.URL+"/status/") {
				t.Fatalf("status %v %v", vr.Status, err)
			}
			// Data minimisation: neither the store nor the records hold a claim value.
			dump := f.snapshot(t)
			blob, _ := json.Marshal(dump)
			for _, v := range []string{"Amina", "Haddad", "REG-2025", "Q-17"} {
				if strings.Contains(string(blob), v) {
					t.Errorf("store still holds %q after issuance", v)
				}
			}
			recs, err := f.svc.Records(context.Background())
			if err != nil || len(recs) != 1 || recs[0].StatusIndex != ref.Index || recs[0].HolderThumbprint != w.key.PublicJWK().Thumbprint() {
				t.Fatalf("records %+v %v", recs, err)
			}
			// Status list: valid, then revoked.
			checkStatus := func(want uint8) {
				t.Helper()
				r := do(t, w.c, "GET", ref.URI, "", "", nil)
				if r.status != 200 || r.header.Get("Content-Type") != "application/statuslist+jwt" {
					t.Fatalf("status list: %d %s", r.status, r.header.Get("Content-Type"))
				}
				tok, err := statuslist.VerifyToken(r.raw, statuslist.VerifyOptions{Key: f.key.Public(), Now: f.clk.Now, ExpectedSubject: ref.URI})
				if err != nil {
					t.Fatal(err)
				}
				if got, _ := tok.List.Get(ref.Index); got != want {
					t.Errorf("status %d, want %d", got, want)
				}
			}
			checkStatus(statuslist.StatusValid)
			if err := f.svc.Suspend(context.Background(), recs[0].CredentialID); err != nil {
				t.Fatal(err)
			}
			checkStatus(statuslist.StatusSuspended)
			if err := f.svc.Revoke(context.Background(), recs[0].CredentialID); err != nil {
				t.Fatal(err)
			}
			checkStatus(statuslist.StatusInvalid)
			if err := f.svc.Reinstate(context.Background(), recs[0].CredentialID); !errors.Is(err, issuer.ErrRevoked) {
				t.Errorf("reinstate revoked: %v", err)
			}
			// Notification with the access token that obtained the credential.
			nid := res.body["notification_id"].(string)
			_ = nid
		})
	}
}

func TestNotification(t *testing.T) {
	f := newFixture(t)
	w := newWallet(t, f)
	code, _ := w.fetchOffer(f.offer(t, false))
	tok := w.token(code, "").body["access_token"].(string)
	res := w.credential(tok, testConfigID, w.proof(w.nonce(), nil))
	nid := res.body["notification_id"].(string)
	notify := func(token, id, event string) response {
		b, _ := json.Marshal(map[string]string{"notification_id": id, "event": event})
		return do(t, w.c, "POST", f.srv.URL+"/notification", "application/json", token, strings.NewReader(string(b)))
	}
	if r := notify(tok, "other", "credential_accepted"); r.status != 400 || r.body["error"] != "invalid_notification_id" {
		t.Errorf("wrong id: %d %s", r.status, r.raw)
	}
	if r := notify(tok, nid, "credential_lost"); r.status != 400 || r.body["error"] != "invalid_notification_request" {
		t.Errorf("bad event: %d %s", r.status, r.raw)
	}
	if r := notify("nope", nid, "credential_accepted"); r.status != 401 || r.body["error"] != "invalid_token" {
		t.Errorf("bad token: %d %s", r.status, r.raw)
	}
	if r := notify(tok, nid, "credential_accepted"); r.status != 204 {
		t.Fatalf("notify: %d %s", r.status, r.raw)
	}
	recs, _ := f.svc.Records(context.Background())
	if len(recs) != 1 || recs[0].Notification != "credential_accepted" {
		t.Errorf("records %+v", recs)
	}
}

func TestMetadata(t *testing.T) {
	f := newFixture(t)
	c := f.srv.Client()
	r := do(t, c, "GET", f.srv.URL+"/.well-known/openid-credential-issuer", "", "", nil)
	if r.status != 200 || r.body["credential_issuer"] != f.srv.URL || r.body["nonce_endpoint"] != f.srv.URL+"/nonce" {
		t.Fatalf("issuer metadata: %d %s", r.status, r.raw)
	}
	conf := r.body["credential_configurations_supported"].(map[string]any)[testConfigID].(map[string]any)
	if conf["format"] != "dc+sd-jwt" || conf["vct"] != testVCT {
		t.Errorf("configuration %v", conf)
	}
	algs := conf["proof_types_supported"].(map[string]any)["jwt"].(map[string]any)["proof_signing_alg_values_supported"]
	if fmt.Sprint(algs) != "[ES256 EdDSA]" {
		t.Errorf("proof algs %v", algs)
	}
	meta := conf["credential_metadata"].(map[string]any)
	if !strings.Contains(fmt.Sprint(meta["display"]), "locale:fr") || len(meta["claims"].([]any)) == 0 {
		t.Errorf("credential_metadata %v", meta)
	}
	if d := fmt.Sprint(r.body["display"]); !strings.Contains(d, "ONG de secours") || !strings.Contains(d, "Relief NGO") {
		t.Errorf("display %s", d)
	}
	as := do(t, c, "GET", f.srv.URL+"/.well-known/oauth-authorization-server", "", "", nil)
	if as.body["token_endpoint"] != f.srv.URL+"/token" || as.body["pre-authorized_grant_anonymous_access_supported"] != true {
		t.Errorf("AS metadata %s", as.raw)
	}
	jv := do(t, c, "GET", f.srv.URL+"/.well-known/jwt-vc-issuer", "", "", nil)
	keysArr := jv.body["jwks"].(map[string]any)["keys"].([]any)
	k, err := jose.JWKFromMap(keysArr[0].(map[string]any))
	if err != nil || !k.Equal(f.key.PublicJWK()) {
		t.Errorf("jwks %s %v", jv.raw, err)
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		if r := do(t, c, "GET", f.srv.URL+p, "", "", nil); r.status != 200 {
			t.Errorf("%s: %d", p, r.status)
		}
	}
	if m := do(t, c, "GET", f.srv.URL+"/metrics", "", "", nil); testkit.MetricValue(testkit.ParseMetrics(t, m.raw), "cairn_issuer_http_requests_total", map[string]string{"route": "issuer_metadata", "code": "200"}) != 1 {
		t.Errorf("metrics:\n%s", m.raw)
	}
}

// TestNegative runs each refused request and checks the store is exactly
// as before, except for the counters a case names.
func TestNegative(t *testing.T) {
	type env struct {
		f     *fixture
		w     *wallet
		o     *issuer.Offer
		code  string
		token string // redeemed access token
		nonce string
	}
	setup := func(t *testing.T, tx bool) *env {
		f := newFixture(t)
		e := &env{f: f, w: newWallet(t, f), o: f.offer(t, tx)}
		e.code, _ = e.w.fetchOffer(e.o)
		return e
	}
	redeemed := func(t *testing.T) *env {
		e := setup(t, false)
		r := e.w.token(e.code, "")
		if r.status != 200 {
			t.Fatal(r.raw)
		}
		e.token = r.body["access_token"].(string)
		e.nonce = e.w.nonce()
		return e
	}
	stranger, _ := keys.Generate(jose.ES256, nil)
	cases := []struct {
		name     string
		setup    func(t *testing.T) *env
		req      func(e *env) response
		status   int
		code     string
		mutation string // the one offer field allowed to change
	}{
		{"reused pre-authorized code", func(t *testing.T) *env { return redeemed(t) },
			func(e *env) response { return e.w.token(e.code, "") }, 400, "invalid_grant", ""},
		{"expired pre-authorized code", func(t *testing.T) *env { e := setup(t, false); e.f.clk.Advance(issuer.DefaultOfferTTL); return e },
			func(e *env) response { return e.w.token(e.code, "") }, 400, "invalid_grant", ""},
		{"unknown pre-authorized code", func(t *testing.T) *env { return setup(t, false) },
			func(e *env) response { return e.w.token("made-up", "") }, 400, "invalid_grant", ""},
		{"wrong transaction code", func(t *testing.T) *env { return setup(t, true) },
			func(e *env) response { return e.w.token(e.code, wrongTx(e.o.TxCode)) }, 400, "invalid_grant", "tx_attempts"},
		{"missing transaction code", func(t *testing.T) *env { return setup(t, true) },
			func(e *env) response { return e.w.token(e.code, "") }, 400, "invalid_request", ""},
		{"unexpected transaction code", func(t *testing.T) *env { return setup(t, false) },
			func(e *env) response { return e.w.token(e.code, "123456") }, 400, "invalid_request", ""},
		{"wrong grant type", func(t *testing.T) *env { return setup(t, false) },
			func(e *env) response {
				return do(t, e.w.c, "POST", e.f.srv.URL+"/token", "application/x-www-form-urlencoded", "", strings.NewReader("grant_type=authorization_code&code=x"))
			}, 400, "unsupported_grant_type", ""},
		{"oversized token request", func(t *testing.T) *env { return setup(t, false) },
			func(e *env) response {
				return do(t, e.w.c, "POST", e.f.srv.URL+"/token", "application/x-www-form-urlencoded", "", strings.NewReader("pad="+strings.Repeat("a", MaxTokenBody)))
			}, 413, "invalid_request", ""},
		{"missing nonce in proof", redeemed,
			func(e *env) response {
				return e.w.credential(e.token, testConfigID, e.w.proof("", func(h, c map[string]any) { delete(c, "nonce") }))
			}, 400, "invalid_nonce", ""},
		{"unknown nonce", redeemed,
			func(e *env) response { return e.w.credential(e.token, testConfigID, e.w.proof("not-issued", nil)) }, 400, "invalid_nonce", ""},
		{"reused nonce", func(t *testing.T) *env {
			e := redeemed(t)
			// use the nonce for one credential of another offer
			o2 := e.f.offer(t, false)
			c2, _ := e.w.fetchOffer(o2)
			t2 := e.w.token(c2, "").body["access_token"].(string)
			if r := e.w.credential(t2, testConfigID, e.w.proof(e.nonce, nil)); r.status != 200 {
				t.Fatal(r.raw)
			}
			return e
		}, func(e *env) response { return e.w.credential(e.token, testConfigID, e.w.proof(e.nonce, nil)) }, 400, "invalid_nonce", ""},
		{"expired nonce", func(t *testing.T) *env { e := redeemed(t); e.f.clk.Advance(issuer.DefaultNonceTTL); return e },
			func(e *env) response { return e.w.credential(e.token, testConfigID, e.w.proof(e.nonce, nil)) }, 400, "invalid_nonce", ""},
		{"proof with wrong typ", redeemed,
			func(e *env) response {
				return e.w.credential(e.token, testConfigID, e.w.proof(e.nonce, func(h, c map[string]any) { h["typ"] = "JWT" }))
			}, 400, "invalid_proof", ""},
		{"proof with wrong aud", redeemed,
			func(e *env) response {
				return e.w.credential(e.token, testConfigID, e.w.proof(e.nonce, func(h, c map[string]any) { c["aud"] = "https://other.example" }))
			}, 400, "invalid_proof", ""},
		{"proof with stale iat", redeemed,
			func(e *env) response {
				return e.w.credential(e.token, testConfigID, e.w.proof(e.nonce, func(h, c map[string]any) {
					c["iat"] = e.f.clk.Now().Add(-issuer.DefaultProofMaxAge - time.Second).Unix()
				}))
			}, 400, "invalid_proof", ""},
		{"proof with future iat", redeemed,
			func(e *env) response {
				return e.w.credential(e.token, testConfigID, e.w.proof(e.nonce, func(h, c map[string]any) { c["iat"] = e.f.clk.Now().Add(time.Hour).Unix() }))
			}, 400, "invalid_proof", ""},
		{"proof signed by a foreign key", redeemed,
			func(e *env) response {
				return e.w.credential(e.token, testConfigID, e.w.proof(e.nonce, func(h, c map[string]any) { h["jwk"] = stranger.PublicJWK().Map() }))
			}, 400, "invalid_proof", ""},
		{"proof with jwk and kid", redeemed,
			func(e *env) response {
				return e.w.credential(e.token, testConfigID, e.w.proof(e.nonce, func(h, c map[string]any) { h["kid"] = e.w.key.DIDJWK() + "#0" }))
			}, 400, "invalid_proof", ""},
		{"two proofs", redeemed,
			func(e *env) response {
				p := e.w.proof(e.nonce, nil)
				return e.w.credential(e.token, testConfigID, p, p)
			}, 400, "invalid_proof", ""},
		{"unknown credential configuration", redeemed,
			func(e *env) response { return e.w.credential(e.token, "passport.v9", e.w.proof(e.nonce, nil)) }, 400, "unknown_credential_configuration", ""},
		{"configuration not offered", redeemed,
			func(e *env) response { return e.w.credential(e.token, "language-skills.v1", e.w.proof(e.nonce, nil)) }, 400, "unknown_credential_configuration", ""},
		{"unknown access token", redeemed,
			func(e *env) response { return e.w.credential("forged", testConfigID, e.w.proof(e.nonce, nil)) }, 401, "invalid_token", ""},
		{"expired access token", func(t *testing.T) *env { e := redeemed(t); e.f.clk.Advance(issuer.DefaultTokenTTL); return e },
			func(e *env) response { return e.w.credential(e.token, testConfigID, e.w.proof(e.w.nonce(), nil)) }, 401, "invalid_token", "nonce"},
		{"oversized credential request", redeemed,
			func(e *env) response {
				return e.w.credential(e.token, testConfigID, strings.Repeat("a", MaxCredentialBody))
			}, 413, "invalid_credential_request", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.setup(t)
			before := e.f.snapshot(t)
			r := tc.req(e)
			if r.status != tc.status || r.body["error"] != tc.code {
				t.Fatalf("got %d %s, want %d %s", r.status, r.raw, tc.status, tc.code)
			}
			if tc.status == 401 && !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
			}
			after := e.f.snapshot(t)
			switch tc.mutation {
			case "":
				sameStore(t, before, after)
			case "nonce": // the case itself fetched a fresh nonce (and counted it)
				delete(before, "nonces")
				delete(after, "nonces")
				sameStore(t, before, after)
			case "tx_attempts":
				o, err := e.f.svc.GetOffer(context.Background(), e.o.ID)
				if err != nil || o.TxAttempts != 1 || o.State != issuer.OfferPending {
					t.Errorf("offer after a wrong code: %+v %v", o, err)
				}
				delete(before, "offers")
				delete(after, "offers")
				sameStore(t, before, after)
			}
		})
	}
}

func wrongTx(tx string) string {
	b := []byte(tx)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestTxCodeLockout(t *testing.T) {
	f := newFixture(t)
	w := newWallet(t, f)
	o := f.offer(t, true)
	code, _ := w.fetchOffer(o)
	for i := 1; i <= issuer.DefaultMaxTxAttempts; i++ {
		if r := w.token(code, wrongTx(o.TxCode)); r.body["error"] != "invalid_grant" {
			t.Fatalf("attempt %d: %s", i, r.raw)
		}
	}
	before := f.snapshot(t)
	if r := w.token(code, o.TxCode); r.status != 400 || r.body["error"] != "invalid_grant" {
		t.Fatalf("right code after %d wrong ones: %d %s", issuer.DefaultMaxTxAttempts, r.status, r.raw)
	}
	sameStore(t, before, f.snapshot(t))
	if _, r := w.fetchOffer(o); r.status != 404 {
		t.Errorf("locked offer still served: %d", r.status)
	}
}

func TestProofWithDIDKid(t *testing.T) {
	f := newFixture(t)
	w := newWallet(t, f)
	for _, alg := range []jose.Alg{jose.ES256, jose.EdDSA} {
		k, err := keys.Generate(alg, nil)
		if err != nil {
			t.Fatal(err)
		}
		w.key = k
		code, _ := w.fetchOffer(f.offer(t, false))
		tok := w.token(code, "").body["access_token"].(string)
		kdid, err := k.KeyDID()
		if err != nil {
			t.Fatal(err)
		}
		for _, kid := range []string{k.DIDJWK() + "#0", kdid + "#" + strings.TrimPrefix(kdid, "did:key:")} {
			r := w.credential(tok, testConfigID, w.proof(w.nonce(), func(h, c map[string]any) { delete(h, "jwk"); h["kid"] = kid }))
			if r.status != 200 {
				t.Fatalf("%s kid %s: %d %s", alg, kid, r.status, r.raw)
			}
			vr := verifyCredential(t, f, r.body["credentials"].([]any)[0].(map[string]any)["credential"].(string))
			if !vr.HolderJWK.Equal(k.PublicJWK()) || !strings.HasPrefix(kid, vr.Claims["sub"].(string)) {
				t.Errorf("cnf %v sub %v", vr.HolderJWK, vr.Claims["sub"])
			}
			code, _ = w.fetchOffer(f.offer(t, false))
			tok = w.token(code, "").body["access_token"].(string)
		}
	}
}

func TestCreateOfferRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	bad := testClaims()
	bad["birthdate"] = "12/04/1991"
	delete(bad, "registration_id")
	before := f.snapshot(t)
	_, err := f.svc.CreateOffer(ctx, issuer.OfferRequest{VCT: testVCT, Claims: bad})
	var ve *issuer.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, schemas.ErrInvalidClaims) {
		t.Fatalf("invalid claims: %v", err)
	}
	if strings.Contains(err.Error(), "12/04/1991") || fmt.Sprint(ve.Paths) != "[/birthdate /registration_id]" {
		t.Errorf("validation error %q paths %v", err, ve.Paths)
	}
	for _, tc := range []struct {
		name string
		r    issuer.OfferRequest
		want error
	}{
		{"unknown type", issuer.OfferRequest{VCT: "urn:cairn:vct:passport:1", Claims: testClaims()}, issuer.ErrUnknownType},
		{"reserved claim", issuer.OfferRequest{VCT: testVCT, Claims: map[string]any{"iss": "x", "registration_id": "1"}}, issuer.ErrInvalidOffer},
		{"evidence in claims", issuer.OfferRequest{VCT: testVCT, Claims: map[string]any{"evidence": map[string]any{}}}, issuer.ErrInvalidOffer},
		{"ttl too long", issuer.OfferRequest{VCT: testVCT, Claims: testClaims(), TTL: issuer.MaxOfferTTL + time.Second}, issuer.ErrInvalidOffer},
		{"reference too long", issuer.OfferRequest{VCT: testVCT, Claims: testClaims(), Reference: strings.Repeat("x", issuer.MaxReferenceLen+1)}, issuer.ErrInvalidOffer},
		{"evidence above type cap", issuer.OfferRequest{VCT: "urn:cairn:vct:community-vouching:1", Claims: testClaims(), Evidence: &schemas.Evidence{Strength: 2, Validity: 1}}, issuer.ErrEvidenceAboveCap},
		{"evidence outside the shared ranges", issuer.OfferRequest{VCT: testVCT, Claims: testClaims(), Evidence: &schemas.Evidence{Strength: 5, Validity: 1}}, schemas.ErrInvalidClaims},
	} {
		if _, err := f.svc.CreateOffer(ctx, tc.r); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	sameStore(t, before, f.snapshot(t))
}

func TestSweepDeletesExpiredClaims(t *testing.T) {
	f := newFixture(t)
	o, err := f.svc.CreateOffer(context.Background(), issuer.OfferRequest{VCT: testVCT, Claims: testClaims(), TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(time.Minute)
	st, err := f.svc.Sweep(context.Background())
	if err != nil || st.Offers != 1 {
		t.Fatalf("sweep %+v %v", st, err)
	}
	blob, _ := json.Marshal(f.snapshot(t))
	if strings.Contains(string(blob), "Amina") || strings.Contains(string(blob), o.ID) {
		t.Error("claims of an expired offer survived the sweep")
	}
}

func TestRegistryCaps(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var issuerDID string
	f := newFixture(t, func(c *fixtureConfig) {
		issuerDID = c.Key.DIDJWK()
		c.Registry = &trust.Registry{ID: "urn:test", Name: "Test", Authority: "did:example:board", Version: 1, IssuedAt: at, Expires: at.AddDate(2, 0, 0),
			Entities: []trust.Entity{{
				DID: issuerDID, Role: trust.RoleIssuer, Status: trust.StatusActive, Names: map[string]string{"en": "NGO"},
				StatusHistory: []trust.StatusChange{{Status: trust.StatusActive, At: at}}, ValidFrom: at,
				IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: testVCT, MaxStrength: 2, MaxValidity: 1, MaxVerification: 2, From: at}},
			}}}
	})
	ctx := context.Background()
	before := f.snapshot(t)
	_, err := f.svc.CreateOffer(ctx, issuer.OfferRequest{VCT: testVCT, Claims: testClaims()}) // default validity 2 > cap 1
	var ee *issuer.EvidenceError
	if !errors.As(err, &ee) || ee.Source != "registry" || fmt.Sprint(ee.Fields) != "[validity]" {
		t.Fatalf("default evidence above registry cap: %v", err)
	}
	if _, err := f.svc.CreateOffer(ctx, issuer.OfferRequest{VCT: "urn:cairn:vct:language-skills:1", Claims: map[string]any{}}); !errors.Is(err, issuer.ErrNotAuthorized) {
		t.Errorf("type without authorization: %v", err)
	}
	sameStore(t, before, f.snapshot(t))
	if _, err := f.svc.CreateOffer(ctx, issuer.OfferRequest{VCT: testVCT, Claims: testClaims(), Evidence: &schemas.Evidence{Strength: 2, Validity: 1, Verification: 2, Method: "in_person"}}); err != nil {
		t.Errorf("evidence within the caps: %v", err)
	}
}
