package api_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/lote"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/statuslist"
	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/x509trust"
	"github.com/cairn-id/cairn/registry"
	regbolt "github.com/cairn-id/cairn/registry/boltstore"
	"github.com/cairn-id/cairn/verifier"
	"github.com/cairn-id/cairn/verifier/api"
	"github.com/cairn-id/cairn/verifier/boltstore"
)

// tPID is the verification time of the reference PID
// (testdata/eudi/expected.json): every HAIP test runs at it.
var tPID = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)

// pidPurpose asks for a PID (urn:eudi:pid:1).
const pidPurpose = `{"id":"pid-check","names":{"en":"PID check"},"assurance_policy":"basic-services","retention":"24h",
 "dcql_query":{"credentials":[{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["urn:eudi:pid:1"]},
  "claims":[{"path":["family_name"]},{"path":["given_name"]},{"path":["birthdate"]}]}]}}`

// haipWorld is world's registry and issuers with a verifier under the
// HAIP profile: an access certificate from a test access CA (x509_hash
// client id), direct_post.jwt only, and the reference PID CA (UT 02)
// imported as a PID anchor.
type haipWorld struct {
	*world
	ca, leaf        *testkit.TestCert
	did             string
	svc             *verifier.Service
	public, console *httptest.Server
}

func readCert(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "eudi", "certs", name))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newHAIPWorld(t testing.TB) *haipWorld {
	t.Helper()
	w := newWorld(t)
	w.clk.t = tPID
	hw := &haipWorld{world: w}
	hw.ca = testkit.MintCert(t, "Cairn Test Access CA", nil, true, tPID, nil)
	hw.leaf = testkit.MintCert(t, "Desk", hw.ca, false, tPID, nil)
	sig, err := jose.NewSigner(hw.leaf.Key, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := jose.NewJWK(hw.leaf.Key.Public())
	hw.did = did.FromJWK(pub)
	reg := *w.reg
	reg.Entities = append([]trust.Entity(nil), w.reg.Entities...)
	ver := trust.Entity{DID: hw.did, Names: map[string]string{"en": "HAIP desk"}, Role: trust.RoleVerifier, Status: trust.StatusActive,
		StatusHistory: []trust.StatusChange{{Status: trust.StatusActive, At: tAdmit}}, ValidFrom: tAdmit}
	for _, p := range []string{"clinic-access", "pid-check"} {
		ver.VerifierAuthorizations = append(ver.VerifierAuthorizations, trust.VerifierAuthorization{Purpose: p, Claims: []string{"/family_name", "/given_name", "/birthdate"}, From: tAdmit})
	}
	ut02 := readCert(t, "pid-issuer-ca-ut-02.pem")
	pidProvider := trust.Entity{DID: "did:web:pid-provider.ut.example", Names: map[string]string{"en": "PID Provider UT"}, Role: trust.RoleIssuer, Status: trust.StatusActive,
		StatusHistory: []trust.StatusChange{{Status: trust.StatusActive, At: tAdmit}}, ValidFrom: tAdmit,
		IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: "urn:eudi:pid:*", MaxStrength: 3, MaxValidity: 3, From: tAdmit}},
		X509Anchors: []trust.X509Anchor{{DER: ut02.Raw, SKI: trust.SKIOf(ut02), Context: trust.AnchorPID, Status: trust.AnchorTrusted,
			History: []trust.AnchorStatusChange{{Status: trust.AnchorTrusted, At: tAdmit}}}}}
	reg.Entities = append(reg.Entities, ver, pidProvider)

	var public http.Handler
	doc := openAPIDoc(t)
	hw.public = httptest.NewServer(doc.Handler(t, "", http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { public.ServeHTTP(rw, r) })))
	t.Cleanup(hw.public.Close)
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "verifier.db"))
	if err != nil {
		t.Fatal(err)
	}
	sealer, _ := verifier.NewSealer(bytes.Repeat([]byte{9}, verifier.ResultKeyLen), nil)
	ps, _ := verifier.DefaultPurposes()
	pp, err := verifier.ParsePurpose([]byte(pidPurpose))
	if err != nil {
		t.Fatal(err)
	}
	ps[pp.ID] = pp
	statusClient := w.status.Client()
	hw.svc, err = verifier.New(verifier.Config{
		Store: st, Signer: sig, DID: hw.did, X5C: [][]byte{hw.leaf.Cert.Raw}, Profile: verifier.ProfileHAIP,
		BaseURL: hw.public.URL, Dev: true, Purposes: ps, Sealer: sealer, Registry: &reg, Resolver: &did.Resolver{},
		FetchStatusList: func(ctx context.Context, uri string) (string, error) {
			if !strings.HasPrefix(uri, w.status.URL) {
				return "", errors.New("offline: " + uri) // the reference PID's list, unreachable here
			}
			return (&statuslist.Fetcher{Client: statusClient}).Fetch(ctx, uri)
		},
		ResponseMode: oid4vp.ResponseModeDirectPostJWT, Now: w.clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hw.svc.Close() })
	off := server.RateLimit{Off: true}
	h, err := api.New(hw.svc, api.Options{Now: w.clk.Now, WalletLimit: off})
	if err != nil {
		t.Fatal(err)
	}
	public = h
	c, err := api.NewConsole(hw.svc, api.Options{Now: w.clk.Now, ConsoleLimit: off})
	if err != nil {
		t.Fatal(err)
	}
	hw.console = httptest.NewServer(doc.Handler(t, "", c))
	t.Cleanup(hw.console.Close)
	w.public, w.console = hw.public, hw.console // world's helpers reach this verifier
	return hw
}

// session asks the HAIP verifier's console for a session.
func (hw *haipWorld) session(t testing.TB, req api.CreateSessionRequest) (api.CreateSessionResponse, int, []byte) {
	t.Helper()
	body, _ := json.Marshal(req)
	resp, err := http.Post(hw.console.URL+"/console/sessions", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out api.CreateSessionResponse
	if resp.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
	}
	return out, resp.StatusCode, b
}

// chainTo is the wallet's check of a request's x5c: internal/x509trust
// path validation to anchor as an access-certificate anchor, at at.
func chainTo(anchor *x509.Certificate, at time.Time) func([][]byte, *x509.Certificate) error {
	a, _ := x509trust.NewAnchor(anchor.Raw, x509trust.ContextAccess)
	return func(chain [][]byte, _ *x509.Certificate) error {
		_, err := x509trust.Validate(chain, x509trust.NewAnchorSet(a), at, x509trust.ContextAccess)
		return err
	}
}

// fetch plays the wallet: GET (or POST with a wallet_nonce) the
// request_uri, then verify the request object under x509_hash with the
// access CA as anchor. It returns the request, the raw object and the
// HTTP status (with the refusal's code as error when not 200).
func (hw *haipWorld) fetch(t testing.TB, uri, walletNonce string) (*oid4vp.AuthorizationRequest, string, int, error) {
	t.Helper()
	ru, err := oid4vp.ParseRequestURI(uri, oid4vp.Options{Dev: true})
	if err != nil {
		t.Fatal(err)
	}
	var resp *http.Response
	if walletNonce != "" {
		resp, err = http.PostForm(ru.RequestURI, url.Values{"wallet_nonce": {walletNonce}})
	} else {
		resp, err = http.Get(ru.RequestURI)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, "", resp.StatusCode, errorCode(b)
	}
	req, err := oid4vp.VerifyRequestObject(context.Background(), string(b), oid4vp.VerifyOptions{Options: oid4vp.Options{Dev: true},
		ClientID: ru.ClientID, Now: hw.clk.Now, WalletNonce: walletNonce, X509Chain: chainTo(hw.ca.Cert, tPID)})
	return req, string(b), resp.StatusCode, err
}

// presentation options of one answer (each field a deviation).
type haipAnswer struct {
	nonce   string
	aud     string
	iat     time.Time
	enc     string // A128GCM when ""
	mutate  func(pres string) string
	toKeyOf *oid4vp.AuthorizationRequest // encrypt to this request's key instead
	errResp *oid4vp.Response             // an error response instead
}

func (hw *haipWorld) answer(t testing.TB, req *oid4vp.AuthorizationRequest, cred string, paths []string, a haipAnswer) url.Values {
	t.Helper()
	holder := hw.holder
	nonce, aud := req.Nonce, oid4vp.KBAudience(req.ClientID)
	if a.nonce != "" {
		nonce = a.nonce
	}
	if a.aud != "" {
		aud = a.aud
	}
	now := hw.clk.Now
	if !a.iat.IsZero() {
		now = func() time.Time { return a.iat }
	}
	resp := a.errResp
	if resp == nil {
		p, err := sdjwtvc.Present(cred, holder.JoseSigner(), sdjwtvc.PresentOptions{Paths: paths, Audience: aud, Nonce: nonce, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if a.mutate != nil {
			p = a.mutate(p)
		}
		resp = &oid4vp.Response{VPToken: oid4vp.VPToken{req.DCQLQuery.Credentials[0].ID: {p}}, State: req.State}
	}
	target := *req
	if a.toKeyOf != nil {
		target.ClientMetadata = a.toKeyOf.ClientMetadata
	}
	md := *target.ClientMetadata
	if a.enc != "" {
		md.EncryptedResponseEncValuesSupported = []string{a.enc}
	}
	target.ClientMetadata = &md
	form, err := resp.EncryptedForm(&target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.enc != "" {
		h, _ := jose.DecodeSegment(strings.Split(form.Get("response"), ".")[0])
		var hdr map[string]any
		_ = json.Unmarshal(h, &hdr)
		if hdr["enc"] != a.enc || hdr["alg"] != jose.ECDHES {
			t.Fatalf("JWE header %v, want enc %s", hdr, a.enc)
		}
	}
	return form
}

// result reads a session's result on the HAIP console.
func (hw *haipWorld) result(t testing.TB, id string) *verifier.Result {
	t.Helper()
	code, r, b := hw.world.result(t, id, "")
	if code != http.StatusOK {
		t.Fatalf("result: %d %s", code, b)
	}
	return r
}

var clinicPaths = []string{"/family_name", "/given_name", "/birthdate"}

// The request object of a HAIP session: signed ES256 by the access
// certificate's key with x5c = [leaf] (no anchor), typ
// oauth-authz-req+jwt, client id x509_hash of the leaf, direct_post.jwt, a
// fresh ECDH-ES P-256 key per request with both encs, vp_formats for the
// query, trusted_authorities aki from the registry's PID anchor on a PID
// query, and no transaction_data.
func TestHAIPRequestObject(t *testing.T) {
	hw := newHAIPWorld(t)
	wantCID := oid4vp.X509HashClientID(hw.leaf.Cert.Raw)
	if hw.svc.ClientID() != wantCID {
		t.Fatalf("client id %s, want %s", hw.svc.ClientID(), wantCID)
	}
	var kids []string
	for _, purpose := range []string{"pid-check", "clinic-access"} {
		s, code, body := hw.session(t, api.CreateSessionRequest{Purpose: purpose})
		if code != http.StatusCreated {
			t.Fatalf("%d %s", code, body)
		}
		req, raw, _, err := hw.fetch(t, s.URI, "")
		if err != nil {
			t.Fatal(err)
		}
		j, _ := jose.Parse(raw)
		x5c, _ := j.Header.Params["x5c"].([]any)
		if j.Header.Alg != jose.ES256 || j.Header.Typ != oid4vp.RequestObjectTyp || len(x5c) != 1 {
			t.Errorf("header %+v", j.Header.Params)
		}
		var payload map[string]any
		_ = json.Unmarshal(j.Payload, &payload)
		if _, ok := payload["transaction_data"]; ok {
			t.Error("a request carries transaction_data")
		}
		if req.ClientID != wantCID || req.ResponseMode != oid4vp.ResponseModeDirectPostJWT {
			t.Errorf("client %s mode %s", req.ClientID, req.ResponseMode)
		}
		md := req.ClientMetadata
		k, err := req.EncryptionKey()
		if err != nil || k.Kid == "" || k.Use != "enc" || k.Alg != jose.ECDHES {
			t.Errorf("encryption key %+v: %v", k, err)
		}
		kids = append(kids, k.Kid)
		if strings.Join(md.EncryptedResponseEncValuesSupported, ",") != "A128GCM,A256GCM" {
			t.Errorf("encs %v", md.EncryptedResponseEncValuesSupported)
		}
		for _, cq := range req.DCQLQuery.Credentials {
			if _, ok := md.VPFormatsSupported[cq.Format]; !ok {
				t.Errorf("vp_formats_supported %v lacks %s", md.VPFormatsSupported, cq.Format)
			}
		}
		ta := req.DCQLQuery.Credentials[0].TrustedAuthorities
		if purpose == "pid-check" {
			// expected.json: UT 02's key identifier.
			if len(ta) != 1 || ta[0].Type != "aki" || strings.Join(ta[0].Values, ",") != "YseURyi9D6IWIKeawkmURPEB08c" {
				t.Errorf("trusted_authorities %+v", ta)
			}
		} else if len(ta) != 0 {
			t.Errorf("a non-PID query names trusted authorities %+v", ta)
		}
	}
	if kids[0] == kids[1] {
		t.Error("two sessions share an encryption key")
	}
	// The purpose's own query is left as it was.
	if ta := hw.svc.Purposes()["pid-check"].Query().Credentials[0].TrustedAuthorities; len(ta) != 0 {
		t.Errorf("the purpose's query was changed: %+v", ta)
	}
}

// The profile refuses direct_post, and a verifier without an X.509 client
// id (decentralized_identifier) or answering direct_post.
func TestHAIPProfileRefusals(t *testing.T) {
	hw := newHAIPWorld(t)
	_, code, body := hw.session(t, api.CreateSessionRequest{Purpose: "clinic-access", ResponseMode: oid4vp.ResponseModeDirectPost})
	if code != http.StatusBadRequest || errorCode(body).Error() != string(verifier.CodeProfileRefused) {
		t.Errorf("direct_post session: %d %s", code, body)
	}
	st, _ := boltstore.Open(filepath.Join(t.TempDir(), "v.db"))
	defer st.Close()
	sealer, _ := verifier.NewSealer(bytes.Repeat([]byte{9}, verifier.ResultKeyLen), nil)
	ps, _ := verifier.DefaultPurposes()
	sig, _ := jose.NewSigner(hw.leaf.Key, nil)
	base := verifier.Config{Store: st, Sealer: sealer, Purposes: ps, BaseURL: "https://desk.example", Profile: verifier.ProfileHAIP, ResponseMode: oid4vp.ResponseModeDirectPostJWT}
	didCfg := base
	didCfg.Signer, didCfg.DID = signer(hw.verifierKey), hw.verifierKey.DIDJWK()
	postCfg := base
	postCfg.Signer, postCfg.X5C, postCfg.ResponseMode = sig, [][]byte{hw.leaf.Cert.Raw}, oid4vp.ResponseModeDirectPost
	anchorCfg := base
	anchorCfg.Signer, anchorCfg.X5C = sig, [][]byte{hw.leaf.Cert.Raw, hw.ca.Cert.Raw}
	vb := readCert(t, "verifier-backend-eudiw-2026.pem")
	sanCfg := base
	sanCfg.Signer, sanCfg.X5C, sanCfg.SanDNS = sig, [][]byte{vb.Raw}, "verifier-backend.eudiw.dev"
	for name, c := range map[string]verifier.Config{"decentralized_identifier": didCfg, "direct_post": postCfg, "anchor in x5c": anchorCfg, "x509_san_dns without dNSName": sanCfg} {
		if _, err := verifier.New(c); err == nil {
			t.Errorf("%s: accepted", name)
		} else if name == "x509_san_dns without dNSName" && !errors.Is(err, oid4vp.ErrInvalidClient) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Cairn-issued credentials end to end over HTTP, direct_post.jwt under
// A128GCM and A256GCM: accepted, and the result in the console.
func TestHAIPEndToEnd(t *testing.T) {
	hw := newHAIPWorld(t)
	cred := hw.issue(t, credOpts{idx: 3})
	for _, enc := range []string{jose.A128GCM, jose.A256GCM} {
		t.Run(enc, func(t *testing.T) {
			s, _, _ := hw.session(t, api.CreateSessionRequest{Purpose: "clinic-access", RequestURIMethod: "post"})
			req, _, _, err := hw.fetch(t, s.URI, "wn-"+enc)
			if err != nil {
				t.Fatal(err)
			}
			code, body := post(t, req.ResponseURI, hw.answer(t, req, cred, clinicPaths, haipAnswer{enc: enc}))
			if code != http.StatusOK || strings.Contains(string(body), "redirect_uri") {
				t.Fatalf("post: %d %s", code, body)
			}
			if r := hw.result(t, s.SessionID); r.Code != verifier.CodeValid {
				t.Fatalf("result %s (%+v)", r.Code, r.Credentials)
			}
		})
	}
}

// The negative modules of the OIDF HAIP verifier plan, and Cairn's own:
// each refused with its own code.
func TestHAIPNegative(t *testing.T) {
	hw := newHAIPWorld(t)
	cred := hw.issue(t, credOpts{idx: 3})
	flipIssuerSig := func(p string) string {
		jwt, rest, _ := strings.Cut(p, "~")
		parts := strings.Split(jwt, ".")
		sig := []byte(parts[2])
		if sig[3] == 'A' {
			sig[3] = 'B'
		} else {
			sig[3] = 'A'
		}
		return parts[0] + "." + parts[1] + "." + string(sig) + "~" + rest
	}
	dropDisclosure := func(p string) string {
		parts := strings.Split(p, "~")
		return strings.Join(append(parts[:1], parts[2:]...), "~")
	}
	// The KB-JWT re-signed by another key, its header and payload kept.
	resignKB := func(p string) string {
		i := strings.LastIndexByte(p, '~')
		kb, err := jose.Parse(p[i+1:])
		if err != nil {
			t.Fatal(err)
		}
		s, err := hw.holder2.JoseSigner().Sign(map[string]any{"typ": kb.Header.Typ}, kb.Payload)
		if err != nil {
			t.Fatal(err)
		}
		return p[:i+1] + s
	}
	results := []struct {
		name string
		a    haipAnswer
		want verifier.Code
	}{
		{"invalid credential signature", haipAnswer{mutate: flipIssuerSig}, "invalid_signature"},
		{"invalid KB-JWT signature", haipAnswer{mutate: resignKB}, verifier.CodeKBSignature},
		{"invalid sd_hash", haipAnswer{mutate: dropDisclosure}, "sd_hash_mismatch"},
		{"invalid KB-JWT nonce", haipAnswer{nonce: "another-nonce"}, "nonce_mismatch"},
		{"invalid KB-JWT aud", haipAnswer{aud: oid4vp.X509HashClientID(hw.ca.Cert.Raw)}, "audience_mismatch"},
		{"KB-JWT iat a year ago", haipAnswer{iat: tPID.AddDate(-1, 0, 0)}, "key_binding_iat"},
		{"KB-JWT iat a year ahead", haipAnswer{iat: tPID.AddDate(1, 0, 0)}, "key_binding_iat"},
		{"wallet error, encrypted", haipAnswer{errResp: &oid4vp.Response{Error: "invalid_request", ErrorDescription: "no matching credential"}}, verifier.CodeWalletError},
	}
	seen := map[verifier.Code]bool{}
	for _, c := range results {
		t.Run(c.name, func(t *testing.T) {
			s, _, _ := hw.session(t, api.CreateSessionRequest{Purpose: "clinic-access"})
			req, _, _, err := hw.fetch(t, s.URI, "")
			if err != nil {
				t.Fatal(err)
			}
			if c.a.errResp != nil {
				c.a.errResp.State = req.State
			}
			code, body := post(t, req.ResponseURI, hw.answer(t, req, cred, clinicPaths, c.a))
			if code != http.StatusOK {
				t.Fatalf("post: %d %s", code, body)
			}
			r := hw.result(t, s.SessionID)
			if r.Code != c.want || r.Outcome != verifier.OutcomeInvalid {
				t.Fatalf("code %s (%s), want %s", r.Code, r.Outcome, c.want)
			}
			if c.a.errResp != nil && (r.WalletError == nil || r.WalletError.Error != "invalid_request" || !r.WalletError.Encrypted || r.WalletError.Description != "no matching credential") {
				t.Errorf("wallet error %+v", r.WalletError)
			}
			if verifier.Message(r.Code, "en") == verifier.Message("no-such-code", "en") {
				t.Errorf("%s has no message of its own", r.Code)
			}
		})
		if c.want != "key_binding_iat" && seen[c.want] {
			t.Errorf("code %s used twice", c.want)
		}
		seen[c.want] = true
	}

	t.Run("request_uri fetched twice", func(t *testing.T) {
		s, _, _ := hw.session(t, api.CreateSessionRequest{Purpose: "clinic-access"})
		if _, _, _, err := hw.fetch(t, s.URI, ""); err != nil {
			t.Fatal(err)
		}
		_, _, code, err := hw.fetch(t, s.URI, "")
		if code != http.StatusConflict || err == nil || err.Error() != string(verifier.CodeRequestUsed) {
			t.Fatalf("second fetch: %d %v", code, err)
		}
	})

	t.Run("encryption key reused", func(t *testing.T) {
		a, _, _ := hw.session(t, api.CreateSessionRequest{Purpose: "clinic-access"})
		b, _, _ := hw.session(t, api.CreateSessionRequest{Purpose: "clinic-access"})
		reqA, _, _, _ := hw.fetch(t, a.URI, "")
		reqB, _, _, err := hw.fetch(t, b.URI, "")
		if err != nil || reqA == nil {
			t.Fatal(err)
		}
		// B's answer encrypted to A's key.
		code, body := post(t, reqB.ResponseURI, hw.answer(t, reqB, cred, clinicPaths, haipAnswer{toKeyOf: reqA}))
		if code != http.StatusBadRequest || errorCode(body).Error() != string(verifier.CodeEncKeyReused) {
			t.Fatalf("%d %s", code, body)
		}
		// A key of no session.
		stranger := *reqB
		md := *reqB.ClientMetadata
		k := md.JWKS.Keys[0]
		k.Kid = "not-a-session-key"
		md.JWKS = &oid4vp.JWKS{Keys: []jose.JWK{k}}
		stranger.ClientMetadata = &md
		code, body = post(t, reqB.ResponseURI, hw.answer(t, reqB, cred, clinicPaths, haipAnswer{toKeyOf: &stranger}))
		if code != http.StatusBadRequest || errorCode(body).Error() != string(verifier.CodeEncKeyMismatch) {
			t.Fatalf("unknown kid: %d %s", code, body)
		}
		// Nothing stored: B still takes its own answer.
		if code, body := post(t, reqB.ResponseURI, hw.answer(t, reqB, cred, clinicPaths, haipAnswer{})); code != http.StatusOK {
			t.Fatalf("B's own answer: %d %s", code, body)
		}
	})

	t.Run("unencrypted vp_token", func(t *testing.T) {
		s, _, _ := hw.session(t, api.CreateSessionRequest{Purpose: "clinic-access"})
		req, _, _, _ := hw.fetch(t, s.URI, "")
		p, _ := sdjwtvc.Present(cred, hw.holder.JoseSigner(), sdjwtvc.PresentOptions{Paths: clinicPaths, Audience: req.ClientID, Nonce: req.Nonce, Now: hw.clk.Now})
		form, _ := (&oid4vp.Response{VPToken: oid4vp.VPToken{"identity": {p}}, State: req.State}).Form()
		code, body := post(t, req.ResponseURI, form)
		if code != http.StatusBadRequest || errorCode(body).Error() != string(verifier.CodeInvalidResponse) {
			t.Fatalf("%d %s", code, body)
		}
	})
}

// Same device: the answer is followed by a redirect with a one-time
// response_code; the result goes only to the session presenting it.
func TestHAIPSameDevice(t *testing.T) {
	hw := newHAIPWorld(t)
	cred := hw.issue(t, credOpts{idx: 3})
	type answered struct {
		id, code string
	}
	var sessions []answered
	for range 2 {
		s, _, _ := hw.session(t, api.CreateSessionRequest{Purpose: "clinic-access", SameDevice: true})
		req, _, _, err := hw.fetch(t, s.URI, "")
		if err != nil {
			t.Fatal(err)
		}
		// Before the answer: pending.
		if code, body := post(t, hw.public.URL+"/result/"+s.SessionID, url.Values{"response_code": {"x"}}); code != http.StatusAccepted {
			t.Fatalf("before the answer: %d %s", code, body)
		}
		code, body := post(t, req.ResponseURI, hw.answer(t, req, cred, clinicPaths, haipAnswer{}))
		if code != http.StatusOK {
			t.Fatalf("%d %s", code, body)
		}
		redirect, err := oid4vp.ParseDirectPostResult(body, oid4vp.Options{Dev: true})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(redirect)
		frag, _ := url.ParseQuery(u.Fragment)
		rc := frag.Get("response_code")
		if !strings.HasPrefix(redirect, hw.public.URL+"/done/"+s.SessionID+"#") || len(rc) < 32 {
			t.Fatalf("redirect_uri %q", redirect)
		}
		sessions = append(sessions, answered{s.SessionID, rc})
	}
	a, b := sessions[0], sessions[1]
	claim := func(id, code string) (int, []byte) {
		return post(t, hw.public.URL+"/result/"+id, url.Values{"response_code": {code}})
	}
	// A's code at B: another session's result is refused.
	if code, body := claim(b.id, a.code); code != http.StatusForbidden || errorCode(body).Error() != string(verifier.CodeResultOtherSession) {
		t.Fatalf("A's code at B: %d %s", code, body)
	}
	if code, body := claim(a.id, "wrong"); code != http.StatusForbidden || errorCode(body).Error() != string(verifier.CodeResponseCodeInvalid) {
		t.Fatalf("wrong code: %d %s", code, body)
	}
	code, body := claim(a.id, a.code)
	var r verifier.Result
	if code != http.StatusOK || json.Unmarshal(body, &r) != nil || r.Code != verifier.CodeValid || r.SessionID != a.id {
		t.Fatalf("A's own code: %d %s", code, body)
	}
	// Once only.
	if code, body := claim(a.id, a.code); code != http.StatusForbidden || errorCode(body).Error() != string(verifier.CodeResponseCodeInvalid) {
		t.Fatalf("second redemption: %d %s", code, body)
	}
	if code, _ := claim(b.id, b.code); code != http.StatusOK {
		t.Fatalf("B's own code: %d", code)
	}
}

// refLoTE is the reference PID Providers list (lenient import: its
// services carry no service type).
const refLoTE = "../../testdata/eudi/trust-lists/lote-pid-providers-eudi-ref-2026-03-16.json"

// pidRegistry is the snapshot a registry authority publishes for the HAIP
// desk: the NGO (identity attestations, caps 2/2/2) and the desk (its
// purposes) admitted at tAdmit, the reference LoTE imported leniently on
// 2026-05-01 with caps as the PID providers' authorization, published on
// the eve of tPID. It is verified under the authority's key, as a
// verifier loads it.
func pidRegistry(t *testing.T, hw *haipWorld, caps trust.IssuerAuthorization, edit func(*trust.Registry)) *trust.Registry {
	t.Helper()
	ctx := context.Background()
	st, err := regbolt.Open(filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := tAdmit
	svc := &registry.Service{Store: st, Now: func() time.Time { return now }}
	authority, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	state, err := svc.Init(ctx, "", "Pilot Board", authority)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = svc.AddEntity(ctx, registry.NewEntity{DID: hw.ngo.DIDJWK(), Role: trust.RoleIssuer, Names: map[string]string{"en": "NGO"}})
	must(err)
	must(svc.AuthorizeIssuer(ctx, hw.ngo.DIDJWK(), trust.IssuerAuthorization{VCT: vctID, MaxStrength: 2, MaxValidity: 2, MaxVerification: 2}))
	_, err = svc.AddEntity(ctx, registry.NewEntity{DID: hw.did, Role: trust.RoleVerifier, Names: map[string]string{"en": "HAIP desk"}})
	must(err)
	must(svc.AuthorizeVerifier(ctx, hw.did, trust.VerifierAuthorization{Purpose: "eu-pid-identity",
		Claims: []string{"/family_name", "/given_name", "/birthdate", "/place_of_birth", "/nationalities", "/birth_family_name", "/birth_given_name"}}))

	now = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	b, err := os.ReadFile(refLoTE)
	must(err)
	l, err := lote.Parse(b)
	must(err)
	rep, err := lote.CheckPIDProfile(l, lote.ProfileOptions{Now: now, Lenient: true, Grace: 365 * 24 * time.Hour})
	must(err)
	res, err := svc.ImportList(ctx, registry.FromLoTE(rep, "https://lists.example/PIDProviders.jwt", caps))
	must(err)
	if res.AnchorsTrusted != 7 {
		t.Fatalf("lenient import: %+v", res)
	}
	now = tPID.Add(-12 * time.Hour)
	_, compact, err := svc.Publish(ctx, authority, 30*24*time.Hour)
	must(err)
	reg, err := trust.VerifySnapshot(compact, []*jose.JWK{state.Authority.PublicJWK}, tPID)
	must(err)
	if edit != nil {
		edit(reg)
	}
	return reg
}

// pidAssurance is the part of an assurance result these tests read.
type pidAssurance struct {
	Met *struct {
		Profile string `json:"profile"`
	} `json:"met"`
	Nearest *struct {
		Profile string `json:"profile"`
	} `json:"nearest"`
	EIDAS       string            `json:"eidas"`
	PIDAlone    string            `json:"pid_alone"`
	Credentials []pidContribution `json:"credentials"`
}

type pidContribution struct {
	CredentialID string `json:"credential_id"`
	Kind         string `json:"kind"`
	Slot         int    `json:"slot"`
	Message      string `json:"message"`
	Capped       struct {
		Strength, Validity, Verification int
	} `json:"capped"`
}

// The reference PID (pid-eudi-ref-2026-08), presented with the published
// holder key over direct_post.jwt under both encs at its pinned time, to a
// desk whose registry imported the reference LoTE: the x5c chain closes
// on the registry's UT 02 anchor (no anchor pinned at the verifier), the
// PID is read as the catalogue's EU PID type, and it fills the identity
// profile. Its status list is unreachable offline (expected.json: status
// unknown, not revoked), so the verdict stays undetermined and the
// assessment is provisional.
func TestHAIPPIDEndToEnd(t *testing.T) {
	hw := newHAIPWorld(t)
	dir := filepath.Join("..", "..", "testdata", "eudi", "credentials")
	b, err := os.ReadFile(filepath.Join(dir, "pid-eudi-ref-2026-08.sdjwt"))
	if err != nil {
		t.Fatal(err)
	}
	pid := strings.TrimSpace(string(b))
	jb, err := os.ReadFile(filepath.Join(dir, "pid-eudi-ref-2026-08.holder.jwk.json"))
	if err != nil {
		t.Fatal(err)
	}
	holder, err := keys.ParsePrivateJWK(jb)
	if err != nil {
		t.Fatal(err)
	}
	ut02 := readCert(t, "pid-issuer-ca-ut-02.pem")
	utAKI := jose.B64.EncodeToString(ut02.SubjectKeyId)
	pidPaths := []string{"/family_name", "/given_name", "/birthdate", "/place_of_birth", "/nationalities"}
	// present answers an eu-pid-identity session with the PID (and, when
	// given, Cairn credentials of the same holder), encrypted under enc.
	present := func(t *testing.T, enc string, others ...string) *verifier.Result {
		t.Helper()
		s, code, body := hw.session(t, api.CreateSessionRequest{Purpose: "eu-pid-identity"})
		if code != http.StatusCreated {
			t.Fatalf("session: %d %s", code, body)
		}
		if s.OverAsking != nil {
			t.Fatalf("over-asking: %+v", s.OverAsking)
		}
		req, _, _, err := hw.fetch(t, s.URI, "")
		if err != nil {
			t.Fatal(err)
		}
		// The PID query names the registry's imported PID anchors (aki).
		if ta := req.DCQLQuery.Credentials[0].TrustedAuthorities; len(ta) != 1 || ta[0].Type != "aki" || len(ta[0].Values) != 7 || !slices.Contains(ta[0].Values, utAKI) {
			t.Fatalf("trusted_authorities %+v, want the 7 imported anchors' AKIs with UT 02's", ta)
		}
		p, err := sdjwtvc.Present(pid, holder.JoseSigner(), sdjwtvc.PresentOptions{Paths: pidPaths, Audience: req.ClientID, Nonce: req.Nonce, Now: hw.clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		tok := oid4vp.VPToken{"pid": {p}}
		for _, o := range others {
			po, err := sdjwtvc.Present(o, holder.JoseSigner(), sdjwtvc.PresentOptions{Paths: clinicPaths, Audience: req.ClientID, Nonce: req.Nonce, Now: hw.clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			tok["identity"] = append(tok["identity"], po)
		}
		md := *req.ClientMetadata
		md.EncryptedResponseEncValuesSupported = []string{enc}
		r2 := *req
		r2.ClientMetadata = &md
		form, err := (&oid4vp.Response{VPToken: tok, State: req.State}).EncryptedForm(&r2, nil)
		if err != nil {
			t.Fatal(err)
		}
		if h, _ := jose.DecodeSegment(strings.Split(form.Get("response"), ".")[0]); !strings.Contains(string(h), `"enc":"`+enc+`"`) {
			t.Fatalf("JWE header %s, want enc %s", h, enc)
		}
		if code, body := post(t, req.ResponseURI, form); code != http.StatusOK {
			t.Fatalf("post: %d %s", code, body)
		}
		return hw.result(t, s.SessionID)
	}
	// accepted: the chain to UT 02, the key binding and the type all
	// check; only the status is unknown.
	accepted := func(t *testing.T, r *verifier.Result) pidAssurance {
		t.Helper()
		if r.Code != "status_unavailable" || r.Outcome != verifier.OutcomeUndetermined || !r.AssuranceProvisional || r.AssuranceProvisionalNote == "" {
			t.Fatalf("result %s %s provisional %v %q %+v", r.Code, r.Outcome, r.AssuranceProvisional, r.AssuranceProvisionalNote, r.Credentials)
		}
		i := slices.IndexFunc(r.Credentials, func(c verifier.CredentialResult) bool { return c.QueryID == "pid" })
		if i < 0 {
			t.Fatalf("no PID in %+v", r.Credentials)
		}
		c := r.Credentials[i]
		if c.IssuerStatusNow != "active" || c.Code != "status_unavailable" || c.Issuer != "https://backend.issuer.eudiw.dev" || c.VCT != "urn:eudi:pid:1" ||
			c.TypeName != "EU Person Identification Data (PID)" || !strings.HasPrefix(c.IssuerName, "Trusted Entity UT") {
			t.Fatalf("PID credential %+v", c)
		}
		if c.Claims["family_name"] != "Tester" || c.Claims["birthdate"] != "1990-06-12" || !reflect.DeepEqual(c.Claims["nationalities"], []any{"PT"}) ||
			!reflect.DeepEqual(c.Claims["place_of_birth"], map[string]any{"country": "PT", "locality": "Porto"}) {
			t.Errorf("PID claims %v", c.Claims)
		}
		fi := slices.IndexFunc(r.Facts, func(f verifier.Facts) bool { return f.ID == "pid/0" })
		if fi < 0 {
			t.Fatalf("no PID facts in %+v", r.Facts)
		}
		if f := r.Facts[fi]; f.Kind != "pid" || f.FamilyName != "Tester" || f.GivenName != "Test" || f.Authorization == nil || f.Authorization.VCT != "urn:eudi:pid:*" {
			t.Errorf("PID facts %+v", f)
		}
		var a pidAssurance
		if err := json.Unmarshal(r.Assurance, &a); err != nil {
			t.Fatal(err)
		}
		// A PID is not third-party evidence: its contribution says so.
		// pidAssurance.Credentials[0] is made the PID's below.
		ci := slices.IndexFunc(a.Credentials, func(c pidContribution) bool { return c.CredentialID == "pid/0" })
		if ci < 0 || a.Credentials[ci].Kind != "pid" || !strings.Contains(a.Credentials[ci].Message, "not a third-party attestation") {
			t.Fatalf("PID contribution %+v", a.Credentials)
		}
		a.Credentials[0], a.Credentials[ci] = a.Credentials[ci], a.Credentials[0]
		for _, c := range a.Credentials[1:] {
			if c.Kind != "" {
				t.Errorf("a Cairn credential counted as %q: %+v", c.Kind, c)
			}
		}
		return a
	}

	// Caps 4/3/3 for the providers: the PID alone meets eu-pid (bank-account
	// policy: strength 4, validity 3, verification 3), so the advisory
	// eIDAS label is high, under both encs.
	high := trust.IssuerAuthorization{VCT: registry.PIDAuthorization.VCT, MaxStrength: 4, MaxValidity: 3, MaxVerification: 3}
	hw.svc.SetRegistry(pidRegistry(t, hw, high, nil))
	for _, enc := range []string{jose.A128GCM, jose.A256GCM} {
		t.Run(enc, func(t *testing.T) {
			r := present(t, enc)
			a := accepted(t, r)
			if a.Met == nil || a.Met.Profile != "eu-pid" || a.EIDAS != "high" || a.PIDAlone != "pid/0" || a.Credentials[0].Slot != 0 || a.Credentials[0].Capped.Strength != 4 {
				t.Errorf("assurance %s", r.Assurance)
			}
			if !strings.Contains(r.AssuranceProvisionalNote, "eu-pid") {
				t.Errorf("provisional note %q", r.AssuranceProvisionalNote)
			}
		})
	}

	// The registry's default PID caps (strength 3, validity 3, no
	// verification): the PID alone meets no profile; beside the NGO's
	// identity attestation (fraud check 2, verification 2, issued 190
	// days before it) it fills M1B's strong slot, and the label is
	// substantial, not high: other evidence was needed.
	hw.svc.SetRegistry(pidRegistry(t, hw, registry.PIDAuthorization, nil))
	t.Run("default caps, PID alone", func(t *testing.T) {
		a := accepted(t, present(t, jose.A128GCM))
		if a.Met != nil || a.EIDAS != "" || a.Credentials[0].Capped.Strength != 3 {
			t.Errorf("PID alone under caps 3/3/0 meets %+v, eIDAS %q", a.Met, a.EIDAS)
		}
	})
	t.Run("default caps, PID and an attestation", func(t *testing.T) {
		ngo := hw.issue(t, credOpts{idx: -1, holder: holder, iat: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
			claims: map[string]any{"family_name": "Tester", "given_name": "Test", "birthdate": "1990-06-12",
				"evidence": map[string]any{"strength": 3, "validity": 3, "verification": 3, "identity_fraud": 2}}})
		r := present(t, jose.A256GCM, ngo)
		a := accepted(t, r)
		if len(r.Credentials) != 2 || r.Credentials[0].QueryID != "identity" || r.Credentials[0].Code != verifier.CodeValid || len(r.Findings) != 0 {
			t.Fatalf("credentials %+v, findings %+v", r.Credentials, r.Findings)
		}
		if a.Met == nil || a.Met.Profile != "M1B" || a.EIDAS != "substantial" || a.PIDAlone != "" || a.Credentials[0].Slot != 0 {
			t.Errorf("assurance %s", r.Assurance)
		}
	})

	// The same presentation with its KB-JWT re-signed by another key, and
	// the registry without the UT entity, are refused: the chain and the
	// key binding were checked above, not skipped.
	other, _ := keys.Generate(jose.ES256, nil)
	s, _, _ := hw.session(t, api.CreateSessionRequest{Purpose: "eu-pid-identity"})
	req, _, _, err := hw.fetch(t, s.URI, "")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := sdjwtvc.Present(pid, holder.JoseSigner(), sdjwtvc.PresentOptions{Paths: clinicPaths, Audience: req.ClientID, Nonce: req.Nonce, Now: hw.clk.Now})
	i := strings.LastIndexByte(p, '~')
	kb, _ := jose.Parse(p[i+1:])
	forged, _ := other.JoseSigner().Sign(map[string]any{"typ": kb.Header.Typ}, kb.Payload)
	form, _ := (&oid4vp.Response{VPToken: oid4vp.VPToken{"pid": {p[:i+1] + forged}}, State: req.State}).EncryptedForm(req, nil)
	if code, body := post(t, req.ResponseURI, form); code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	if r := hw.result(t, s.SessionID); r.Code != verifier.CodeKBSignature || len(r.Assurance) > 0 {
		t.Errorf("forged KB-JWT: %s %s", r.Code, r.Assurance)
	}
	hw.svc.SetRegistry(pidRegistry(t, hw, high, func(reg *trust.Registry) {
		d, err := reg.AnchorTrustedAt(ut02.Raw, trust.AnchorPID, tPID)
		if err != nil || !d.Trusted {
			t.Fatalf("UT 02 in the snapshot: %+v %v", d, err)
		}
		reg.Entities = slices.DeleteFunc(reg.Entities, func(e trust.Entity) bool { return e.DID == d.Entity.DID })
	}))
	s, _, _ = hw.session(t, api.CreateSessionRequest{Purpose: "eu-pid-identity"})
	req, _, _, _ = hw.fetch(t, s.URI, "")
	p, _ = sdjwtvc.Present(pid, holder.JoseSigner(), sdjwtvc.PresentOptions{Paths: clinicPaths, Audience: req.ClientID, Nonce: req.Nonce, Now: hw.clk.Now})
	form, _ = (&oid4vp.Response{VPToken: oid4vp.VPToken{"pid": {p}}, State: req.State}).EncryptedForm(req, nil)
	post(t, req.ResponseURI, form)
	if r := hw.result(t, s.SessionID); r.Outcome != verifier.OutcomeInvalid || len(r.Assurance) > 0 {
		t.Errorf("without the anchor: %s %s", r.Code, r.Outcome)
	}
}
