package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jptvc"
	"github.com/cairn-id/cairn/internal/jwp"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vci"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/vccheck"
	"github.com/cairn-id/cairn/issuer"
	issuerapi "github.com/cairn-id/cairn/issuer/api"
	issuerbolt "github.com/cairn-id/cairn/issuer/boltstore"
	"github.com/cairn-id/cairn/registry"
	registrybolt "github.com/cairn-id/cairn/registry/boltstore"
	"github.com/cairn-id/cairn/schemas"
	"github.com/cairn-id/cairn/verifier"
	verifierapi "github.com/cairn-id/cairn/verifier/api"
	verifierbolt "github.com/cairn-id/cairn/verifier/boltstore"
	"github.com/cairn-id/cairn/wallet"
	walletapi "github.com/cairn-id/cairn/wallet/api"
)

// jptIssuer is one of the project's issuers (issuer/api over HTTP) with
// the jpt format enabled for the registration type, signing with its own
// BBS key.
type jptIssuer struct {
	svc *issuer.Service
	srv *httptest.Server
	key *jwp.PrivateKey // its BBS key
	did string
}

func newJPTIssuer(t *testing.T, cat *schemas.Catalogue, name string) *jptIssuer {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	bk, err := keys.GenerateBBS(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	st, err := issuerbolt.Open(filepath.Join(t.TempDir(), "issuer.db"))
	if err != nil {
		t.Fatal(err)
	}
	ji := &jptIssuer{key: bk, srv: httptest.NewServer(nil)}
	t.Cleanup(ji.srv.Close)
	hk := make([]byte, 32)
	rand.Read(hk)
	ji.svc, err = issuer.New(issuer.Config{URL: ji.srv.URL, Dev: true, Names: map[string]string{"en": name},
		Types: []string{vctReg}, Catalogue: cat, Key: gen(t), HashKey: hk, Store: st, Logger: quiet,
		JPT: []string{vctReg}, BBSKey: bk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ji.svc.Close() })
	h, err := issuerapi.New(ji.svc, issuerapi.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ji.srv.Config.Handler = h
	ji.did = ji.svc.DID()
	return ji
}

// offer is a jpt offer of claims (by reference, as 'cairn issuer offer
// --format jpt' makes it).
func (ji *jptIssuer) offer(t *testing.T, claims map[string]any) string {
	t.Helper()
	o, err := ji.svc.CreateOffer(context.Background(), issuer.OfferRequest{VCT: vctReg, Claims: claims, Format: issuer.FormatJPT,
		Evidence: &schemas.Evidence{Strength: 2, Validity: 2, Verification: 2, Method: "in_person"}})
	if err != nil {
		t.Fatal(err)
	}
	return o.URI
}

// fetch redeems a jpt offer with the OpenID4VCI client and no holder key
// (the configuration asks for no proof), as any bearer of the offer
// could, and returns the credential.
func (ji *jptIssuer) fetch(t *testing.T, cat *schemas.Catalogue, claims map[string]any) string {
	t.Helper()
	ty, err := cat.Lookup(vctReg)
	if err != nil {
		t.Fatal(err)
	}
	cl := oid4vci.NewClient(oid4vci.ClientOptions{HTTPClient: http.DefaultClient, AllowHTTP: true})
	is, err := cl.RunPreAuthorized(context.Background(), oid4vci.PreAuthorizedRequest{OfferURI: ji.offer(t, claims), ConfigurationID: issuer.JPTConfigurationID(ty)})
	if err != nil {
		t.Fatal(err)
	}
	if len(is.Credentials) != 1 {
		t.Fatalf("%d credentials", len(is.Credentials))
	}
	return is.Credentials[0]
}

// jptRegistry builds the test registry with the registry service, as the
// authority does with 'cairn registry add/authorize/add-key/publish':
// each issuer entity authorized for the registration type and, for those
// in withKey, its BBS key added (AddKey); the two verifiers for the
// purpose jpt-registration. It returns the published snapshot as a
// verifier loads it.
func jptRegistry(t *testing.T, since time.Time, issuers []*jptIssuer, withKey []*jptIssuer, verifiers []*keys.PrivateKey) *trust.Registry {
	t.Helper()
	ctx := context.Background()
	st, err := registrybolt.Open(filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// Entities are active, and grants hold, from since on (the
	// authority's clock at the time it added them).
	svc := &registry.Service{Store: st, Now: func() time.Time { return since }}
	authority := gen(t)
	state, err := svc.Init(ctx, "pilot", "Pilot", authority.Signer())
	if err != nil {
		t.Fatal(err)
	}
	for _, ji := range issuers {
		if _, err := svc.AddEntity(ctx, registry.NewEntity{DID: ji.did, Role: trust.RoleIssuer, Names: map[string]string{"en": "Relief NGO"}, ValidFrom: since}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.GrantIssuer(ctx, ji.did, trust.IssuerAuthorization{VCT: vctReg, MaxStrength: 3, MaxValidity: 3, MaxVerification: 3, From: since}); err != nil {
			t.Fatal(err)
		}
	}
	for _, ji := range withKey {
		if _, err := svc.AddKey(ctx, ji.did, keys.BBSDIDJWK(&ji.key.Public), since); err != nil {
			t.Fatal(err)
		}
	}
	for i, vk := range verifiers {
		name := []string{"Clinic desk", "Housing office"}[i]
		if _, err := svc.AddEntity(ctx, registry.NewEntity{DID: vk.DIDJWK(), Role: trust.RoleVerifier, Names: map[string]string{"en": name}, ValidFrom: since}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.GrantVerifier(ctx, vk.DIDJWK(), trust.VerifierAuthorization{Purpose: "jpt-registration", Claims: []string{"/given_name", "/registration_id"}, From: since}); err != nil {
			t.Fatal(err)
		}
	}
	_, compact, err := svc.Publish(ctx, authority.Signer(), 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := trust.VerifySnapshot(compact, []*jose.JWK{state.Authority.PublicJWK}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// jptVerifier is one verifier (public API and console) with the purpose
// jpt-registration, answering by direct_post so the test sees vp_tokens.
type jptVerifier struct {
	svc             *verifier.Service
	public, console *httptest.Server
	dbPath          string
	mu              sync.Mutex
	bodies          []string // response bodies posted to it
}

const jptPurpose = `{"id":"jpt-registration","names":{"en":"Registration check (unlinkable, experimental)"},
 "assurance_policy":"basic-services","retention":"24h","dcql_query":{"credentials":[{"id":"reg","format":"jpt",
 "require_cryptographic_holder_binding":false,"meta":{"vct_values":["urn:cairn:vct:humanitarian-registration:1"]},
 "claims":[{"path":["given_name"]},{"path":["registration_id"]}]}]}}`

func newJPTVerifier(t *testing.T, vk *keys.PrivateKey, reg *trust.Registry, cat *schemas.Catalogue) *jptVerifier {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	v := &jptVerifier{dbPath: filepath.Join(t.TempDir(), "verifier.db")}
	var public http.Handler
	v.public = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/response/") {
			b, _ := io.ReadAll(r.Body)
			v.mu.Lock()
			v.bodies = append(v.bodies, string(b))
			v.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		public.ServeHTTP(w, r)
	}))
	t.Cleanup(v.public.Close)
	st, err := verifierbolt.Open(v.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	sealer, _ := verifier.NewSealer(bytes.Repeat([]byte{9}, verifier.ResultKeyLen), nil)
	p, err := verifier.ParsePurpose([]byte(jptPurpose))
	if err != nil {
		t.Fatal(err)
	}
	v.svc, err = verifier.New(verifier.Config{Store: st, Signer: vk.JoseSigner().WithKeyID(vk.DIDJWK() + "#0"), DID: vk.DIDJWK(), BaseURL: v.public.URL, Dev: true,
		Purposes: verifier.Purposes{p.ID: p}, Sealer: sealer, Registry: reg, Resolver: &did.Resolver{}, Catalogue: cat, Logger: quiet,
		ResponseMode: oid4vp.ResponseModeDirectPost})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.svc.Close() })
	off := server.RateLimit{Off: true}
	if public, err = verifierapi.New(v.svc, verifierapi.Options{Logger: quiet, WalletLimit: off}); err != nil {
		t.Fatal(err)
	}
	c, err := verifierapi.NewConsole(v.svc, verifierapi.Options{Logger: quiet, ConsoleLimit: off})
	if err != nil {
		t.Fatal(err)
	}
	v.console = httptest.NewServer(c)
	t.Cleanup(v.console.Close)
	return v
}

func (v *jptVerifier) lastVPToken(t *testing.T) string {
	t.Helper()
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.bodies) == 0 {
		t.Fatal("no response posted")
	}
	f, err := url.ParseQuery(v.bodies[len(v.bodies)-1])
	if err != nil {
		t.Fatal(err)
	}
	var tok oid4vp.VPToken
	if err := json.Unmarshal([]byte(f.Get("vp_token")), &tok); err != nil {
		t.Fatal(err)
	}
	if len(tok) != 1 || len(tok["reg"]) != 1 {
		t.Fatalf("vp_token %v", tok)
	}
	return tok["reg"][0]
}

// requestObject fetches a session's request object (as a wallet would,
// spending it) and returns what an attacker posting a presentation needs.
func requestObject(t *testing.T, s *stack, uri string) (nonce, state, responseURI string) {
	t.Helper()
	ru, err := oid4vp.ParseRequestURI(uri, oid4vp.Options{Dev: true})
	if err != nil {
		t.Fatal(err)
	}
	st, b := s.call("GET", ru.RequestURI, "", nil, nil)
	s.must(http.StatusOK, st, b, "request object")
	parts := strings.Split(strings.TrimSpace(string(b)), ".")
	if len(parts) != 3 {
		t.Fatalf("request object: %s", b)
	}
	pl, err := jose.DecodeSegment(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var ro struct {
		Nonce       string `json:"nonce"`
		State       string `json:"state"`
		ResponseURI string `json:"response_uri"`
	}
	if err := json.Unmarshal(pl, &ro); err != nil {
		t.Fatal(err)
	}
	return ro.Nonce, ro.State, ro.ResponseURI
}

// post sends a vp_token with one jpt presentation by direct_post.
func post(t *testing.T, responseURI, state, pres string) {
	t.Helper()
	vp, _ := json.Marshal(oid4vp.VPToken{"reg": {pres}})
	form := url.Values{"vp_token": {string(vp)}, "state": {state}}
	res, err := http.PostForm(responseURI, form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("post response: %d %s", res.StatusCode, b)
	}
}

// TestJPTUnlinkableEndToEnd: a jpt credential (BBS, experimental format)
// goes from the project's issuer (issuer/api, jpt enabled for the
// registration type, its BBS key added to the registry with the registry
// service) into the wallet agent over OpenID4VCI, then to two verifiers
// over OpenID4VP with the same claims shown to both. The two vp_tokens
// share no bytes beyond the issuer header and the disclosed values;
// replays, another aud, another nonce, a swapped claim value and an
// unregistered BBS key (a rogue key under the issuer's name, and a
// registered issuer whose BBS key the registry does not list) are each
// refused with their own code.
func TestJPTUnlinkableEndToEnd(t *testing.T) {
	cat, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	since := time.Now().Add(-48 * time.Hour)
	ti := newJPTIssuer(t, cat, "Relief NGO")
	// unlisted is an issuer the registry knows and authorizes, whose BBS
	// key it was never given.
	unlisted := newJPTIssuer(t, cat, "Unlisted NGO")
	vkA, vkB := gen(t), gen(t)
	reg := jptRegistry(t, since, []*jptIssuer{ti, unlisted}, []*jptIssuer{ti}, []*keys.PrivateKey{vkA, vkB})
	ti.svc.SetRegistry(reg)
	unlisted.svc.SetRegistry(reg)
	if e := reg.Entity(ti.did); e == nil || len(e.Keys) != 1 || e.Keys[0].DID != keys.BBSDIDJWK(ti.svc.BBSPublicKey()) {
		t.Fatalf("the registry does not list the issuer's BBS key: %+v", e)
	}
	if e := reg.Entity(unlisted.did); e == nil || len(e.Keys) != 0 {
		t.Fatalf("unlisted issuer: %+v", e)
	}
	vA, vB := newJPTVerifier(t, vkA, reg, cat), newJPTVerifier(t, vkB, reg, cat)

	// The issuer's metadata: a jpt configuration without key proof, beside
	// the SD-JWT VC one.
	ty, _ := cat.Lookup(vctReg)
	md := ti.svc.IssuerMetadata()
	if jc, ok := md.CredentialConfigurationsSupported[issuer.JPTConfigurationID(ty)]; !ok || jc.Format != jptvc.Format || jc.ProofTypesSupported != nil {
		t.Fatalf("jpt configuration: %+v", jc)
	}

	// The wallet agent.
	s := &stack{t: t, agent: newAgent(t, func() *trust.Registry { return reg }, cat)}
	token := s.holder()

	// Issuance into the agent: one copy, no key proof, the bearer note.
	claims := map[string]any{"family_name": "Haddad", "given_name": "Amina", "birthdate": "1990-04-02",
		"registration_id": "KRT-2026-0481527", "registration_date": "2026-11-14", "household_size": 4,
		"registration_place": map[string]any{"country": "SD"}}
	var op wallet.OfferPreview
	st, b := s.call("POST", s.agent.URL+"/v1/offers", token, walletapi.OfferRequest{Offer: ti.offer(t, claims)}, &op)
	s.must(http.StatusOK, st, b, "offer preview")
	if !op.Trusted || op.Format != "jpt" || op.Copies != 1 || op.Linkable || op.Note == nil || op.Note.Code != wallet.NoticeNoHolderBinding {
		t.Fatalf("offer preview: %s", b)
	}
	var acc wallet.Accepted
	st, b = s.call("POST", s.agent.URL+"/v1/offers/"+op.ID+"/accept", token, walletapi.AcceptRequest{}, &acc)
	s.must(http.StatusOK, st, b, "accept")
	if len(acc.IDs) != 1 || acc.Format != "jpt" || acc.IssuerDID != ti.did {
		t.Fatalf("accepted: %s", b)
	}
	recs, err := ti.svc.Records(context.Background())
	if err != nil || len(recs) != 1 || recs[0].Format != issuer.FormatJPT || recs[0].StatusList != "" {
		t.Fatalf("issuer records: %v %+v", err, recs)
	}
	var list walletapi.Credentials
	st, b = s.call("GET", s.agent.URL+"/v1/credentials", token, nil, &list)
	s.must(http.StatusOK, st, b, "list")
	if len(list.Credentials) != 1 || list.Credentials[0].Format != "jpt" || list.Credentials[0].HolderBound || list.Credentials[0].Issuer.Name != "Relief NGO" {
		t.Fatalf("list: %s", b)
	}
	var detail walletapi.CredentialDetail
	st, b = s.call("GET", s.agent.URL+"/v1/credentials/"+acc.IDs[0], token, nil, &detail)
	s.must(http.StatusOK, st, b, "show")
	if !strings.Contains(string(b), "KRT-2026-0481527") || !strings.Contains(string(b), `"label"`) {
		t.Fatalf("show: %s", b)
	}

	// The agent will not take a jpt credential whose BBS key the
	// registry does not list, even from a registered issuer.
	var uop wallet.OfferPreview
	st, b = s.call("POST", s.agent.URL+"/v1/offers", token, walletapi.OfferRequest{Offer: unlisted.offer(t, claims)}, &uop)
	s.must(http.StatusOK, st, b, "offer preview (unlisted key)")
	st, b = s.call("POST", s.agent.URL+"/v1/offers/"+uop.ID+"/accept", token, walletapi.AcceptRequest{}, nil)
	if st == http.StatusOK || !strings.Contains(string(b), `"code":"credential_invalid"`) {
		t.Fatalf("accepting a jpt credential under an unlisted BBS key: %d %s", st, b)
	}
	st, b = s.call("GET", s.agent.URL+"/v1/credentials", token, nil, &list)
	s.must(http.StatusOK, st, b, "list")
	if len(list.Credentials) != 1 {
		t.Fatalf("the refused credential was stored: %s", b)
	}

	// The same claims shown to both verifiers.
	show := func(v *jptVerifier) (string, *verifier.Result) {
		t.Helper()
		var cs verifierapi.CreateSessionResponse
		st, b := s.call("POST", v.console.URL+"/console/sessions", "", verifierapi.CreateSessionRequest{Purpose: "jpt-registration"}, &cs)
		s.must(http.StatusCreated, st, b, "create session")
		rp, b := s.preview(token, cs.URI)
		if !rp.CanAnswer || len(rp.Queries) != 1 || rp.Queries[0].Format != "jpt" || len(rp.OutsidePurpose) != 0 {
			t.Fatalf("consent view: %s", b)
		}
		warned := false
		for _, w := range rp.Warnings {
			warned = warned || (w.Code == wallet.NoticeNoHolderBinding && strings.Contains(w.Text, "replay"))
		}
		if !warned {
			t.Fatalf("consent view without the no-holder-binding warning: %s", b)
		}
		var pr wallet.Presented
		st, b = s.call("POST", s.agent.URL+"/v1/requests/"+rp.ID+"/respond", token, wallet.Consent{}, &pr)
		s.must(http.StatusOK, st, b, "respond")
		var r verifier.Result
		st, b = s.call("GET", v.console.URL+"/console/sessions/"+cs.SessionID+"/result?wait=5s", "", nil, &r)
		s.must(http.StatusOK, st, b, "result")
		return v.lastVPToken(t), &r
	}
	presA, resA := show(vA)
	presB, resB := show(vB)
	for _, r := range []*verifier.Result{resA, resB} {
		if r.Code != verifier.CodeValid || len(r.Credentials) != 1 {
			t.Fatalf("result: %+v", r)
		}
		c := r.Credentials[0]
		if c.Format != "jpt" || !c.NoHolderBinding || !strings.Contains(c.Note, "no holder binding") || c.Issuer != ti.did || c.VCT != vctReg {
			t.Fatalf("credential result: %+v", c)
		}
		if len(c.Claims) != 2 || c.Claims["given_name"] != "Amina" || c.Claims["registration_id"] != "KRT-2026-0481527" {
			t.Fatalf("kept claims %v: only what the query asked", c.Claims)
		}
	}
	compareUnlinkable(t, presA, presB)

	// Nothing of the proof is stored: not in the results, not in the
	// store file (the replay window keeps a keyed hash only).
	pA, err := jwp.ParsePresented(presA)
	if err != nil {
		t.Fatal(err)
	}
	proof64 := base64.RawURLEncoding.EncodeToString(pA.Proof[0])
	rj, _ := json.Marshal(resA)
	db, err := os.ReadFile(vA.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(rj), proof64) || bytes.Contains(db, pA.Proof[0]) || bytes.Contains(db, []byte(proof64)) || bytes.Contains(db, pA.Proof[0][:48]) {
		t.Fatal("the verifier kept proof bytes")
	}

	// Refusals, each with its own code. A presentation is posted to a fresh
	// session of verifier A, as an attacker holding it would.
	refused := func(pres string, v *jptVerifier) verifier.Code {
		t.Helper()
		var cs verifierapi.CreateSessionResponse
		st, b := s.call("POST", v.console.URL+"/console/sessions", "", verifierapi.CreateSessionRequest{Purpose: "jpt-registration"}, &cs)
		s.must(http.StatusCreated, st, b, "create session")
		_, state, ru := requestObject(t, s, cs.URI)
		post(t, ru, state, pres)
		var r verifier.Result
		st, b = s.call("GET", v.console.URL+"/console/sessions/"+cs.SessionID+"/result?wait=5s", "", nil, &r)
		s.must(http.StatusOK, st, b, "result")
		if r.Outcome != verifier.OutcomeInvalid || len(r.Credentials) != 1 || r.Credentials[0].Claims != nil {
			t.Fatalf("refusal: %s", b)
		}
		return r.Credentials[0].Code
	}
	// A fresh session's nonce, for presentations the test makes itself
	// from the issued credential (a holder gone rogue, or a thief).
	session := func(v *jptVerifier) (nonce, state, ru, sid string) {
		t.Helper()
		var cs verifierapi.CreateSessionResponse
		st, b := s.call("POST", v.console.URL+"/console/sessions", "", verifierapi.CreateSessionRequest{Purpose: "jpt-registration"}, &cs)
		s.must(http.StatusCreated, st, b, "create session")
		nonce, state, ru = requestObject(t, s, cs.URI)
		return nonce, state, ru, cs.SessionID
	}
	result := func(v *jptVerifier, sid string) verifier.Code {
		t.Helper()
		var r verifier.Result
		st, b := s.call("GET", v.console.URL+"/console/sessions/"+sid+"/result?wait=5s", "", nil, &r)
		s.must(http.StatusOK, st, b, "result")
		if len(r.Credentials) != 1 {
			t.Fatalf("result: %s", b)
		}
		return r.Credentials[0].Code
	}
	// The test's own copy of the credential, from a second offer of the
	// same claims (a holder gone rogue, or a thief of an offer).
	stored, err := jptvc.Open(cat, ti.fetch(t, cat, claims), func(iss, kid string) (*jwp.PublicKey, error) { return vccheck.BBSIssuerKey(reg, iss, kid) })
	if err != nil {
		t.Fatal(err)
	}
	ask := []string{"given_name", "registration_id"}

	t.Run("the holder withholds a claim", func(t *testing.T) {
		var cs verifierapi.CreateSessionResponse
		st, b := s.call("POST", vA.console.URL+"/console/sessions", "", verifierapi.CreateSessionRequest{Purpose: "jpt-registration"}, &cs)
		s.must(http.StatusCreated, st, b, "create session")
		rp, _ := s.preview(token, cs.URI)
		st, b = s.call("POST", s.agent.URL+"/v1/requests/"+rp.ID+"/respond", token, wallet.Consent{Only: []string{"/given_name"}}, nil)
		s.must(http.StatusOK, st, b, "respond")
		p, err := jwp.ParsePresented(vA.lastVPToken(t))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(p.Disclosed()); n != 1+len(jptvc.Always) {
			t.Fatalf("%d slots disclosed, want given_name and %v", n, jptvc.Always)
		}
		var r verifier.Result
		st, b = s.call("GET", vA.console.URL+"/console/sessions/"+cs.SessionID+"/result?wait=5s", "", nil, &r)
		s.must(http.StatusOK, st, b, "result")
		if r.Code != verifier.CodeQueryNotSatisfied {
			t.Fatalf("code %s, want %s (registration_id withheld)", r.Code, verifier.CodeQueryNotSatisfied)
		}
	})
	t.Run("replayed presentation", func(t *testing.T) {
		if c := refused(presA, vA); c != verifier.CodeJPTReplayed {
			t.Fatalf("code %s, want %s", c, verifier.CodeJPTReplayed)
		}
	})
	t.Run("another aud", func(t *testing.T) {
		// Verifier B has not seen A's proof; it was made for A.
		if c := refused(presA, vB); c != verifier.CodeJPTAudience {
			t.Fatalf("code %s, want %s", c, verifier.CodeJPTAudience)
		}
	})
	t.Run("another nonce", func(t *testing.T) {
		_, state, ru, sid := session(vA)
		pres, err := stored.Present(nil, vA.svc.ClientID(), "a-nonce-of-another-request", ask)
		if err != nil {
			t.Fatal(err)
		}
		post(t, ru, state, pres)
		if c := result(vA, sid); c != verifier.CodeJPTNonce {
			t.Fatalf("code %s, want %s", c, verifier.CodeJPTNonce)
		}
	})
	t.Run("claim value swapped", func(t *testing.T) {
		nonce, state, ru, sid := session(vA)
		pres, err := stored.Present(nil, vA.svc.ClientID(), nonce, ask)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := jwp.ParsePresented(pres)
		cs, _ := jptvc.ClaimSet(stored.Type)
		i, _ := cs.Slot("given_name")
		p.Payloads[i] = []byte(`"Fatima"`)
		post(t, ru, state, p.Compact())
		if c := result(vA, sid); c != verifier.CodeJPTProofInvalid {
			t.Fatalf("code %s, want %s", c, verifier.CodeJPTProofInvalid)
		}
	})
	t.Run("unregistered BBS key", func(t *testing.T) {
		rogue, err := jwp.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		c, err := jptvc.Issue(rogue, stored.Type, jptvc.Credential{Issuer: ti.did, IssuedAt: time.Now(), Claims: claims})
		if err != nil {
			t.Fatal(err)
		}
		rs, err := jptvc.Open(cat, c, jptvc.KeyOf(ti.did, keys.BBSDIDJWK(&rogue.Public)))
		if err != nil {
			t.Fatal(err)
		}
		nonce, state, ru, sid := session(vA)
		pres, err := rs.Present(nil, vA.svc.ClientID(), nonce, ask)
		if err != nil {
			t.Fatal(err)
		}
		post(t, ru, state, pres)
		if code := result(vA, sid); code != verifier.CodeJPTKeyUnregistered {
			t.Fatalf("code %s, want %s", code, verifier.CodeJPTKeyUnregistered)
		}
	})
	t.Run("BBS key the registry does not list", func(t *testing.T) {
		// A credential the registered issuer "unlisted" really issued,
		// over HTTP, with its own BBS key, which the registry lacks.
		c := unlisted.fetch(t, cat, claims)
		us, err := jptvc.Open(cat, c, jptvc.KeyOf(unlisted.did, keys.BBSDIDJWK(&unlisted.key.Public)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jptvc.Open(cat, c, func(iss, kid string) (*jwp.PublicKey, error) { return vccheck.BBSIssuerKey(reg, iss, kid) }); !errors.Is(err, vccheck.ErrUnknownBBSKey) {
			t.Fatalf("opened against the registry: %v", err)
		}
		nonce, state, ru, sid := session(vA)
		pres, err := us.Present(nil, vA.svc.ClientID(), nonce, ask)
		if err != nil {
			t.Fatal(err)
		}
		post(t, ru, state, pres)
		if code := result(vA, sid); code != verifier.CodeJPTKeyUnregistered {
			t.Fatalf("code %s, want %s", code, verifier.CodeJPTKeyUnregistered)
		}
	})
	t.Run("the same forged presentation, properly made, is accepted", func(t *testing.T) {
		// The control for the cases above: the test's own presentation
		// with the right aud and nonce is valid, so each refusal is due to
		// the one thing changed.
		nonce, state, ru, sid := session(vA)
		pres, err := stored.Present(nil, vA.svc.ClientID(), nonce, ask)
		if err != nil {
			t.Fatal(err)
		}
		post(t, ru, state, pres)
		if c := result(vA, sid); c != verifier.CodeValid {
			t.Fatalf("code %s, want valid", c)
		}
	})
}

// compareUnlinkable splits two presented compact forms of one credential
// and checks that they share nothing but the issuer header and the
// disclosed payloads: presentation headers that differ in aud and nonce,
// the same omitted slots, and proofs with no 8-byte window in common.
func compareUnlinkable(t *testing.T, a, b string) {
	t.Helper()
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	if len(pa) != 4 || len(pb) != 4 {
		t.Fatalf("not presented compact forms: %d and %d parts", len(pa), len(pb))
	}
	// 1: the issuer header, shared by design (constant per issuer key and
	// type).
	if pa[1] != pb[1] {
		t.Fatal("issuer headers differ")
	}
	// 2: payload slots: equal where disclosed, omitted in both elsewhere.
	sa, sb := strings.Split(pa[2], "~"), strings.Split(pb[2], "~")
	if len(sa) != len(sb) {
		t.Fatalf("%d and %d slots", len(sa), len(sb))
	}
	disclosed := 0
	for i := range sa {
		if sa[i] != sb[i] {
			t.Fatalf("slot %d differs: the same claims were shown", i)
		}
		if sa[i] != "" {
			disclosed++
		}
	}
	if disclosed != 2+len(jptvc.Always) {
		t.Fatalf("%d slots disclosed, want the 2 asked and %v", disclosed, jptvc.Always)
	}
	// 0: presentation headers: each names its own verifier and nonce.
	var ha, hb map[string]string
	for _, x := range []struct {
		s string
		h *map[string]string
	}{{pa[0], &ha}, {pb[0], &hb}} {
		raw, err := base64.RawURLEncoding.DecodeString(x.s)
		if err != nil || json.Unmarshal(raw, x.h) != nil {
			t.Fatalf("presentation header %q", x.s)
		}
	}
	if ha["aud"] == hb["aud"] || ha["nonce"] == hb["nonce"] || len(ha) != 3 || len(hb) != 3 {
		t.Fatalf("presentation headers %v and %v", ha, hb)
	}
	// 3: the proofs: fresh randomness each, no 8-byte window in common
	// (a chance match is about n²/2⁶⁴), nor with the other's headers.
	ra, err := base64.RawURLEncoding.DecodeString(pa[3])
	if err != nil {
		t.Fatal(err)
	}
	rb, err := base64.RawURLEncoding.DecodeString(pb[3])
	if err != nil {
		t.Fatal(err)
	}
	if len(ra) != len(rb) {
		t.Fatalf("proof lengths %d and %d", len(ra), len(rb))
	}
	windows := map[string]bool{}
	for i := 0; i+8 <= len(ra); i++ {
		windows[string(ra[i:i+8])] = true
	}
	for i := 0; i+8 <= len(rb); i++ {
		if windows[string(rb[i:i+8])] {
			t.Fatalf("the two proofs share the bytes at %d of the second", i)
		}
	}
	// The whole strings: removing the shared parts leaves nothing shared.
	if strings.Contains(b, pa[3][:16]) || strings.Contains(a, pb[3][:16]) {
		t.Fatal("a proof's encoding appears in the other presentation")
	}
}
