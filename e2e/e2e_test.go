package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/proximity"
	"github.com/cairn-id/cairn/internal/qr"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/statuslist"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/issuer"
	issuerapi "github.com/cairn-id/cairn/issuer/api"
	issuerbolt "github.com/cairn-id/cairn/issuer/boltstore"
	"github.com/cairn-id/cairn/schemas"
	"github.com/cairn-id/cairn/verifier"
	verifierapi "github.com/cairn-id/cairn/verifier/api"
	verifierbolt "github.com/cairn-id/cairn/verifier/boltstore"
	"github.com/cairn-id/cairn/wallet"
	walletapi "github.com/cairn-id/cairn/wallet/api"
	walletbolt "github.com/cairn-id/cairn/wallet/boltstore"
	"github.com/cairn-id/cairn/wallet/storetest"
)

const (
	vctID    = "urn:cairn:vct:identity-attestation:1"
	vctReg   = "urn:cairn:vct:humanitarian-registration:1"
	vctVouch = "urn:cairn:vct:community-vouching:1"
)

var loadCatalogue = sync.OnceValues(schemas.Load)

// stack is one registry, the project's issuer, a verifier (public API and
// console) and a wallet agent, each on its own loopback server.
type stack struct {
	t                       *testing.T
	authority               *keys.PrivateKey
	reg                     *trust.Registry
	iss                     *issuer.Service
	issSrv, public, console *httptest.Server
	agent                   *httptest.Server
	svc                     *verifier.Service
	bundle                  *trust.Bundle
}

func gen(t *testing.T) *keys.PrivateKey {
	t.Helper()
	k, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newStack(t *testing.T) *stack {
	t.Helper()
	cat, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	since := time.Now().Add(-time.Hour)
	s := &stack{t: t, authority: gen(t)}
	ik, vk := gen(t), gen(t)

	// The registry: the issuer for three types; the verifier for two
	// purposes, neither of which lets it ask for household_size.
	active := []trust.StatusChange{{Status: trust.StatusActive, At: since}}
	var auths []trust.IssuerAuthorization
	for _, vct := range []string{vctID, vctReg, vctVouch} {
		auths = append(auths, trust.IssuerAuthorization{VCT: vct, MaxStrength: 3, MaxValidity: 3, MaxVerification: 3, From: since})
	}
	claims := []string{"/family_name", "/given_name", "/birthdate"}
	s.reg = &trust.Registry{ID: "pilot", Name: "Pilot", Authority: s.authority.DIDJWK(), Version: 1, IssuedAt: since, Expires: since.Add(30 * 24 * time.Hour),
		Entities: []trust.Entity{
			{DID: ik.DIDJWK(), Names: map[string]string{"en": "Relief NGO"}, Role: trust.RoleIssuer, Status: trust.StatusActive, StatusHistory: active, ValidFrom: since, IssuerAuthorizations: auths},
			{DID: vk.DIDJWK(), Names: map[string]string{"en": "Clinic desk"}, Role: trust.RoleVerifier, Status: trust.StatusActive, StatusHistory: active, ValidFrom: since,
				VerifierAuthorizations: []trust.VerifierAuthorization{{Purpose: "clinic-access", Claims: claims, From: since}, {Purpose: "cash-assistance", Claims: claims, From: since}}},
		}}
	registry := func() *trust.Registry { return s.reg }

	// The issuer.
	ist, err := issuerbolt.Open(filepath.Join(t.TempDir(), "issuer.db"))
	if err != nil {
		t.Fatal(err)
	}
	s.issSrv = httptest.NewServer(nil)
	t.Cleanup(s.issSrv.Close)
	hk := make([]byte, 32)
	rand.Read(hk)
	s.iss, err = issuer.New(issuer.Config{URL: s.issSrv.URL, Dev: true, Names: map[string]string{"en": "Relief NGO"},
		Types: []string{vctID, vctReg, vctVouch}, Catalogue: cat, Key: ik, HashKey: hk, Store: ist, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.iss.Close() })
	ih, err := issuerapi.New(s.iss, issuerapi.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	s.issSrv.Config.Handler = ih

	// The verifier.
	var public http.Handler
	s.public = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { public.ServeHTTP(w, r) }))
	t.Cleanup(s.public.Close)
	vst, err := verifierbolt.Open(filepath.Join(t.TempDir(), "verifier.db"))
	if err != nil {
		t.Fatal(err)
	}
	sealer, _ := verifier.NewSealer(bytes.Repeat([]byte{7}, verifier.ResultKeyLen), nil)
	ps, err := verifier.DefaultPurposes()
	if err != nil {
		t.Fatal(err)
	}
	s.svc, err = verifier.New(verifier.Config{Store: vst, Signer: vk.JoseSigner().WithKeyID(vk.DIDJWK() + "#0"), DID: vk.DIDJWK(), BaseURL: s.public.URL, Dev: true,
		Purposes: ps, Sealer: sealer, Registry: s.reg, Resolver: &did.Resolver{}, Catalogue: cat, Logger: quiet,
		FetchStatusList: func(ctx context.Context, uri string) (string, error) {
			return (&statuslist.Fetcher{Client: http.DefaultClient}).Fetch(ctx, uri)
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.svc.Close() })
	off := server.RateLimit{Off: true}
	if public, err = verifierapi.New(s.svc, verifierapi.Options{Logger: quiet, WalletLimit: off}); err != nil {
		t.Fatal(err)
	}
	c, err := verifierapi.NewConsole(s.svc, verifierapi.Options{Logger: quiet, ConsoleLimit: off, Bundle: func() *trust.Bundle { return s.bundle }})
	if err != nil {
		t.Fatal(err)
	}
	s.console = httptest.NewServer(c)
	t.Cleanup(s.console.Close)

	s.agent = newAgent(t, registry, cat)
	return s
}

// newAgent serves a wallet agent on its own loopback server (dev: its
// outbound client reaches loopback).
func newAgent(t *testing.T, registry func() *trust.Registry, cat *schemas.Catalogue) *httptest.Server {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	wst, err := walletbolt.Open(filepath.Join(t.TempDir(), "wallet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wst.Close() })
	wsvc := storetest.NewService(t, wst, storetest.NewClock(time.Now()), storetest.Pepper(3), func(c *wallet.Config) {
		c.Logger = quiet
		c.Now = time.Now
		c.Flows = wallet.FlowConfig{Dev: true, Registry: registry, Catalogue: cat}
	})
	off := server.RateLimit{Off: true}
	wh, err := walletapi.New(wsvc, walletapi.Options{Logger: quiet, Registry: registry, Catalogue: cat,
		CreateLimit: off, LoginLimit: off, RecoverLimit: off})
	if err != nil {
		t.Fatal(err)
	}
	agent := httptest.NewServer(wh)
	t.Cleanup(agent.Close)
	return agent
}

// call sends a JSON request (or, with contentType, raw bytes) and
// decodes a JSON answer into out; it returns the status and the body.
func (s *stack) call(method, url, token string, body any, out any) (int, []byte) {
	s.t.Helper()
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ct = bytes.NewReader(b), "image/png"
	default:
		js, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: %v: %s", method, url, err, b)
		}
	}
	return resp.StatusCode, b
}

func (s *stack) must(want int, got int, body []byte, what string) {
	s.t.Helper()
	if got != want {
		s.t.Fatalf("%s: status %d, want %d: %s", what, got, want, body)
	}
}

// holder creates a holder on the agent and returns its session token.
func (s *stack) holder() string {
	s.t.Helper()
	dev := base64.RawURLEncoding.EncodeToString(storetest.Device(1))
	var c walletapi.Created
	st, b := s.call("POST", s.agent.URL+"/v1/holders", "", walletapi.CreateRequest{PIN: "2468", DeviceSecret: dev, Lang: "en"}, &c)
	s.must(http.StatusCreated, st, b, "create holder")
	var sess walletapi.Session
	st, b = s.call("POST", s.agent.URL+"/v1/sessions", "", walletapi.LoginRequest{HolderID: c.HolderID, PIN: "2468", DeviceSecret: dev}, &sess)
	s.must(http.StatusCreated, st, b, "login")
	return sess.Token
}

// receive has the issuer offer vct with claims and the holder preview
// and accept it through the agent.
func (s *stack) receive(token, vct string, claims map[string]any) {
	s.t.Helper()
	o, err := s.iss.CreateOffer(context.Background(), issuer.OfferRequest{VCT: vct, Claims: claims})
	if err != nil {
		s.t.Fatal(err)
	}
	var p wallet.OfferPreview
	st, b := s.call("POST", s.agent.URL+"/v1/offers", token, walletapi.OfferRequest{Offer: o.URI}, &p)
	s.must(http.StatusOK, st, b, "offer preview "+vct)
	if !p.Trusted {
		s.t.Fatalf("offer of %s: not trusted: %s", vct, b)
	}
	var acc wallet.Accepted
	st, b = s.call("POST", s.agent.URL+"/v1/offers/"+p.ID+"/accept", token, walletapi.AcceptRequest{}, &acc)
	s.must(http.StatusOK, st, b, "accept "+vct)
	if len(acc.IDs) == 0 {
		s.t.Fatalf("accepted nothing: %s", b)
	}
}

// session has the caseworker create a session for purpose.
func (s *stack) session(purpose string) verifierapi.CreateSessionResponse {
	s.t.Helper()
	var out verifierapi.CreateSessionResponse
	st, b := s.call("POST", s.console.URL+"/console/sessions", "", verifierapi.CreateSessionRequest{Purpose: purpose}, &out)
	s.must(http.StatusCreated, st, b, "create session")
	return out
}

func (s *stack) result(id string) *verifier.Result {
	s.t.Helper()
	var r verifier.Result
	st, b := s.call("GET", s.console.URL+"/console/sessions/"+id+"/result?wait=5s", "", nil, &r)
	s.must(http.StatusOK, st, b, "result")
	return &r
}

func (s *stack) preview(token, uri string) (wallet.RequestPreview, []byte) {
	s.t.Helper()
	var rp wallet.RequestPreview
	st, b := s.call("POST", s.agent.URL+"/v1/requests", token, walletapi.PresentationRequest{Request: uri}, &rp)
	s.must(http.StatusOK, st, b, "request preview")
	return rp, b
}

var person = map[string]any{"family_name": "Haddad", "given_name": "Amina", "birthdate": "1990-04-02"}

func with(extra map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range person {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// TestWalletAgentToVerifier: three credentials from the project's issuer
// enter the wallet agent (offer preview and accept over its API); the
// caseworker's console creates sessions; the agent previews and answers
// (or refuses) each openid4vp:// request; the console shows the result.
func TestWalletAgentToVerifier(t *testing.T) {
	s := newStack(t)
	token := s.holder()
	s.receive(token, vctID, person)
	s.receive(token, vctReg, with(map[string]any{"registration_id": "REG-77", "registration_date": "2026-01-02", "registration_place": map[string]any{"country": "LB"}, "household_size": 4}))
	s.receive(token, vctVouch, map[string]any{"family_name": "Haddad", "given_name": "Amina", "voucher": map[string]any{"name": "Sheikh A.", "role": "Imam"}, "relationship": "religious_leader", "vouched_on": "2025-06-10"})

	t.Run("valid", func(t *testing.T) {
		sess := s.session("clinic-access")
		rp, b := s.preview(token, sess.URI)
		if !rp.CanAnswer || !rp.Registered || len(rp.OutsidePurpose) != 0 || !rp.Encrypted {
			t.Fatalf("preview: %s", b)
		}
		var pr wallet.Presented
		st, b := s.call("POST", s.agent.URL+"/v1/requests/"+rp.ID+"/respond", token, wallet.Consent{}, &pr)
		s.must(http.StatusOK, st, b, "respond")
		r := s.result(sess.SessionID)
		if r.Code != verifier.CodeValid || r.Outcome != verifier.OutcomeValid || len(r.Credentials) != 3 || r.HolderKey == "" || len(r.Findings) != 0 {
			t.Fatalf("result %s %s: %+v", r.Code, r.Message, r.Credentials)
		}
		var a struct {
			Policy  string `json:"policy"`
			Summary string `json:"summary"`
			Met     *struct {
				Name string `json:"name"`
			} `json:"met"`
			Credentials []json.RawMessage `json:"credentials"`
		}
		if err := json.Unmarshal(r.Assurance, &a); err != nil || a.Policy != "basic-services" || a.Summary == "" || len(a.Credentials) == 0 {
			t.Fatalf("assurance %s (%v) note %q", r.Assurance, err, r.AssuranceNote)
		}
		issuers := map[string]bool{}
		for _, c := range r.Credentials {
			issuers[c.Issuer] = true
			if c.Claims["family_name"] != "Haddad" || c.IssuerName != "Relief NGO" {
				t.Errorf("credential %+v", c)
			}
		}
		if len(issuers) != 1 {
			t.Errorf("issuers %v", issuers)
		}
	})

	t.Run("declined", func(t *testing.T) {
		sess := s.session("clinic-access")
		rp, _ := s.preview(token, sess.URI)
		st, b := s.call("POST", s.agent.URL+"/v1/requests/"+rp.ID+"/refuse", token, nil, nil)
		s.must(http.StatusNoContent, st, b, "refuse")
		if r := s.result(sess.SessionID); r.Code != verifier.CodeWalletDeclined || r.Message == "" || len(r.Credentials) != 0 {
			t.Fatalf("declined: %+v", r)
		}
	})

	t.Run("asks beyond its purpose", func(t *testing.T) {
		sess := s.session("cash-assistance")
		rp, b := s.preview(token, sess.URI)
		flagged := false
		for _, c := range rp.OutsidePurpose {
			flagged = flagged || c.Path == "/household_size"
		}
		if !rp.CanAnswer || !flagged || len(rp.OutsidePurpose) != 1 || len(rp.Warnings) == 0 {
			t.Fatalf("over-asking not flagged: %s", b)
		}
	})
}

// TestWalletAgentProximityToConsole: the agent's proximity PNG (CP1),
// uploaded to the verifier console's offline check, is verified against
// the bundle: valid with the challenge, refused with another; past the
// bundle's expiry refused, then accepted with accept_stale and shown.
func TestWalletAgentProximityToConsole(t *testing.T) {
	s := newStack(t)
	token := s.holder()
	s.receive(token, vctID, person)
	var list walletapi.Credentials
	st, b := s.call("GET", s.agent.URL+"/v1/credentials", token, nil, &list)
	s.must(http.StatusOK, st, b, "list")

	var pc wallet.ProximityCode
	st, b = s.call("POST", s.agent.URL+"/v1/proximity", token, walletapi.ProximityRequest{Challenge: "K7P2-91AB",
		ProximityRequest: wallet.ProximityRequest{CredentialID: list.Credentials[0].ID, Paths: []string{"/family_name", "/given_name"}}}, &pc)
	s.must(http.StatusOK, st, b, "proximity")
	if got, err := qr.Decode(pc.PNG); err != nil || got != pc.Text || !strings.HasPrefix(got, proximity.Prefix) {
		t.Fatalf("the PNG: %q %v", got, err)
	}
	// The bundle: the registry and the issuer's status list, fetched now.
	pres, err := proximity.Decode(pc.Text)
	if err != nil {
		t.Fatal(err)
	}
	uri := statusURI(t, pres)
	list1, err := (&statuslist.Fetcher{Client: http.DefaultClient}).Fetch(context.Background(), uri)
	if err != nil {
		t.Fatal(err)
	}
	load := func(expires time.Time) {
		t.Helper()
		s.reg.Expires = expires
		snap, err := trust.SignSnapshot(s.reg, s.authority.JoseSigner().WithKeyID(s.authority.DIDJWK()+"#0"))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := trust.MakeBundle(snap, map[string]string{uri: list1}, time.Now().Add(-time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if s.bundle, _, err = verifier.LoadOfflineBundle(context.Background(), raw, []*jose.JWK{s.authority.PublicJWK()}, time.Now(), true); err != nil {
			t.Fatal(err)
		}
	}
	check := func(query string) (int, *verifier.Result, []byte) {
		var r verifier.Result
		st, b := s.call("POST", s.console.URL+"/console/check?"+query, "", pc.PNG, &r)
		return st, &r, b
	}
	load(time.Now().Add(24 * time.Hour))
	for _, c := range []struct {
		query  string
		status int
		code   verifier.Code
	}{
		{"challenge=K7P2-91AB", http.StatusOK, verifier.CodeValid},
		{"challenge=ZZZZ", http.StatusOK, verifier.CodeChallengeNeeded},
	} {
		st, r, b := check(c.query)
		if st != c.status || r.Code != c.code || r.BundleAge == "" {
			t.Errorf("%s: %d %s", c.query, st, b)
		}
		if c.code == verifier.CodeValid && (r.Credentials[0].Claims["family_name"] != "Haddad" || r.Credentials[0].Status != "valid") {
			t.Errorf("%s: claims or status: %s", c.query, b)
		}
	}
	load(time.Now().Add(-time.Second))
	if st, _, b := check("challenge=K7P2-91AB"); st != http.StatusConflict || !strings.Contains(string(b), string(verifier.CodeBundleStale)) {
		t.Errorf("stale: %d %s", st, b)
	}
	if st, r, b := check("challenge=K7P2-91AB&accept_stale=1"); st != http.StatusOK || r.Code != verifier.CodeValid || !r.StaleAccepted {
		t.Errorf("stale accepted: %d %s", st, b)
	}
}

// statusURI reads, unverified, the status list URI of a presentation.
func statusURI(t *testing.T, pres string) string {
	t.Helper()
	j, err := jose.ParseLimited(strings.SplitN(pres, "~", 2)[0], 16<<10)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Status struct {
			StatusList struct {
				URI string `json:"uri"`
			} `json:"status_list"`
		} `json:"status"`
	}
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.Status.StatusList.URI == "" {
		t.Fatalf("status reference: %v %s", err, j.Payload)
	}
	return p.Status.StatusList.URI
}
