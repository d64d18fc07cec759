package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/sdjwt"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/statuslist"
	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/verifier"
	"github.com/cairn-id/cairn/verifier/api"
	"github.com/cairn-id/cairn/verifier/boltstore"
)

const (
	vctID  = "urn:cairn:vct:identity-attestation:1"
	vctReg = "urn:cairn:vct:humanitarian-registration:1"
)

var (
	tAdmit = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tLate  = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC) // the clinic's authorization starts here
	tNow   = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func gen(t testing.TB) *keys.PrivateKey {
	t.Helper()
	k, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func signer(k *keys.PrivateKey) *jose.Signer { return k.JoseSigner().WithKeyID(k.DIDJWK() + "#0") }

// world: an authority admits an NGO (identity attestations since tAdmit), a
// clinic (registrations only since tLate) and the verifier (its four
// purposes); a stranger issues too but is not registered. The NGO's status
// list has index 7 revoked and 9 suspended; index 13 points at a list that
// answers 500.
type world struct {
	authority, ngo, clinic, stranger, verifierKey, holder, holder2 *keys.PrivateKey
	reg                                                            *trust.Registry
	snapshot                                                       string
	list                                                           *statuslist.List
	clk                                                            *clock
	status                                                         *httptest.Server
	statusTTL                                                      atomic.Int64 // the ttl claim of the list's tokens (0: none)
	statusFetches                                                  atomic.Int32
	public, console                                                *httptest.Server
	svc                                                            *verifier.Service
	metrics                                                        http.Handler
	routes                                                         []server.RouteInfo // of the public and console APIs
}

func (w *world) listURI() string { return w.status.URL + "/status/1" }

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{authority: gen(t), ngo: gen(t), clinic: gen(t), stranger: gen(t), verifierKey: gen(t), holder: gen(t), holder2: gen(t), clk: &clock{t: tNow}}
	w.list, _ = statuslist.New(2, 1024)
	_ = w.list.Set(7, statuslist.StatusInvalid)
	_ = w.list.Set(9, statuslist.StatusSuspended)
	w.status = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/status/1" {
			http.Error(rw, "down", http.StatusInternalServerError)
			return
		}
		w.statusFetches.Add(1)
		tok, err := w.list.SignToken(signer(w.ngo), statuslist.TokenOptions{Subject: w.listURI(), Issuer: w.ngo.DIDJWK(), IssuedAt: w.clk.Now().Add(-time.Minute), ExpiresIn: time.Hour,
			TTL: time.Duration(w.statusTTL.Load())})
		if err != nil {
			t.Error(err)
		}
		rw.Header().Set("Content-Type", statuslist.MediaType)
		_, _ = io.WriteString(rw, tok)
	}))
	t.Cleanup(w.status.Close)
	issuerEntity := func(k *keys.PrivateKey, name, vct string, from time.Time) trust.Entity {
		return trust.Entity{
			DID: k.DIDJWK(), Names: map[string]string{"en": name}, Role: trust.RoleIssuer, Status: trust.StatusActive,
			StatusHistory: []trust.StatusChange{{Status: trust.StatusActive, At: tAdmit}}, ValidFrom: tAdmit,
			IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: vct, MaxStrength: 2, MaxValidity: 2, MaxVerification: 2, From: from}},
		}
	}
	ngo := issuerEntity(w.ngo, "NGO", vctID, tAdmit)
	clinic := issuerEntity(w.clinic, "Clinic", vctReg, tLate)
	ver := trust.Entity{DID: w.verifierKey.DIDJWK(), Names: map[string]string{"en": "Desk"}, Role: trust.RoleVerifier, Status: trust.StatusActive,
		StatusHistory: []trust.StatusChange{{Status: trust.StatusActive, At: tAdmit}}, ValidFrom: tAdmit}
	for _, p := range []string{"clinic-access", "school-enrolment", "cash-assistance", "bank-account"} {
		ver.VerifierAuthorizations = append(ver.VerifierAuthorizations, trust.VerifierAuthorization{Purpose: p, Claims: []string{"/family_name", "/given_name", "/birthdate", "/household_size"}, From: tAdmit})
	}
	w.reg = &trust.Registry{ID: "pilot", Name: "Pilot", Authority: w.authority.DIDJWK(), Version: 1, IssuedAt: tAdmit, Expires: tNow.Add(30 * 24 * time.Hour),
		Entities: []trust.Entity{ngo, clinic, ver}}
	var err error
	if w.snapshot, err = trust.SignSnapshot(w.reg, signer(w.authority)); err != nil {
		t.Fatal(err)
	}
	w.start(t, "")
	return w
}

// start runs the verifier's public API and console on test servers; mode
// is the default response mode ("" = direct_post.jwt).
func (w *world) start(t testing.TB, mode string) {
	var public http.Handler
	doc := openAPIDoc(t)
	w.public = httptest.NewServer(doc.Handler(t, "", http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { public.ServeHTTP(rw, r) })))
	t.Cleanup(w.public.Close)
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "verifier.db"))
	if err != nil {
		t.Fatal(err)
	}
	key := bytes.Repeat([]byte{7}, verifier.ResultKeyLen)
	sealer, _ := verifier.NewSealer(key, nil)
	ps, _ := verifier.DefaultPurposes()
	statusClient := w.status.Client()
	w.svc, err = verifier.New(verifier.Config{
		Store: st, Signer: signer(w.verifierKey), DID: w.verifierKey.DIDJWK(), BaseURL: w.public.URL, Dev: true,
		Purposes: ps, Sealer: sealer, Registry: w.reg, Resolver: &did.Resolver{},
		FetchStatusList: func(ctx context.Context, uri string) (string, error) {
			f := statuslist.Fetcher{Client: statusClient}
			return f.Fetch(ctx, uri)
		},
		ResponseMode: mode, Now: w.clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.svc.Close() })
	reg := server.NewRegistry()
	off := server.RateLimit{Off: true}
	h, err := api.New(w.svc, api.Options{Now: w.clk.Now, Metrics: reg, WalletLimit: off})
	if err != nil {
		t.Fatal(err)
	}
	public = h
	w.metrics = server.MetricsHandler(reg)
	b, err := trust.MakeBundle(w.snapshot, nil, tNow.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	bun, err := trust.LoadBundle(context.Background(), b, []*jose.JWK{w.authority.PublicJWK()}, tNow, trust.BundleOptions{Resolve: (&did.Resolver{}).ResolveKey})
	if err != nil {
		t.Fatal(err)
	}
	c, err := api.NewConsole(w.svc, api.Options{Now: w.clk.Now, Metrics: reg, ConsoleLimit: off, Bundle: func() *trust.Bundle { return bun }})
	if err != nil {
		t.Fatal(err)
	}
	w.routes = append(h.Routes(), c.Routes()...)
	w.console = httptest.NewServer(doc.Handler(t, "", c))
	t.Cleanup(w.console.Close)
}

type credOpts struct {
	by      *keys.PrivateKey
	vct     string
	iat     time.Time
	exp     time.Time
	idx     int // -1: no status
	holder  *keys.PrivateKey
	listURI string
	claims  map[string]any
}

func (w *world) issue(t testing.TB, o credOpts) string {
	t.Helper()
	if o.by == nil {
		o.by = w.ngo
	}
	if o.vct == "" {
		o.vct = vctID
	}
	if o.iat.IsZero() {
		o.iat = tNow.Add(-30 * 24 * time.Hour)
	}
	if o.exp.IsZero() {
		o.exp = o.iat.Add(2 * 365 * 24 * time.Hour)
	}
	if o.holder == nil {
		o.holder = w.holder
	}
	claims := o.claims
	if claims == nil {
		claims = map[string]any{"family_name": "Haddad", "given_name": "Amina", "birthdate": "1990-04-02", "place_of_birth": map[string]any{"locality": "Aleppo", "country": "SY"},
			"evidence": map[string]any{"strength": 3, "validity": 2, "verification": 2}}
		if o.vct == vctReg {
			claims = map[string]any{"family_name": "Haddad", "given_name": "Amina", "registration_id": "R-1", "registration_date": "2026-08-01", "registration_place": map[string]any{"country": "GR"},
				"evidence": map[string]any{"strength": 2, "validity": 2}}
		}
	}
	var disc []string
	for k := range claims {
		if k != "evidence" {
			disc = append(disc, "/"+k)
		}
	}
	c := sdjwtvc.Credential{VCT: o.vct, Issuer: o.by.DIDJWK(), IssuedAt: o.iat, ExpiresAt: o.exp, HolderJWK: o.holder.PublicJWK(), Claims: claims, Disclosable: disc}
	if o.idx >= 0 {
		uri := o.listURI
		if uri == "" {
			uri = w.listURI()
		}
		c.Status = statuslist.Reference{Index: o.idx, URI: uri}.Claim()
	}
	s, err := sdjwtvc.Issue(c, sdjwtvc.IssueOptions{Signer: signer(o.by)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wallet is a minimal OpenID4VP wallet built from internal/oid4vp and
// sdjwtvc.Present: it scans the URI, fetches and verifies the request
// object, picks what the DCQL query asks for, presents and posts.
type wallet struct {
	t     testing.TB
	w     *world
	creds []string
	// tamper hooks
	nonce, aud  string                              // override the KB nonce / aud
	holderOf    func(i int) *keys.PrivateKey        // the key presenting credential i
	token       func(oid4vp.VPToken) oid4vp.VPToken // rewrite the vp_token
	walletNonce string                              // POST to the request_uri with it
}

func (wl *wallet) holder(i int) *keys.PrivateKey {
	if wl.holderOf != nil {
		return wl.holderOf(i)
	}
	return wl.w.holder
}

// fetch GETs (or POSTs) the request_uri and verifies the request object.
func (wl *wallet) fetch(uri string) (*oid4vp.AuthorizationRequest, int, error) {
	ctx := context.Background()
	ru, err := oid4vp.ParseRequestURI(uri, oid4vp.Options{Dev: true})
	if err != nil {
		return nil, 0, err
	}
	var resp *http.Response
	if wl.walletNonce != "" {
		resp, err = http.PostForm(ru.RequestURI, url.Values{"wallet_nonce": {wl.walletNonce}})
	} else {
		resp, err = http.Get(ru.RequestURI)
	}
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode, errorCode(b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != oid4vp.RequestObjectMediaType {
		wl.t.Errorf("request object media type %q", ct)
	}
	req, err := oid4vp.VerifyRequestObject(ctx, string(b), oid4vp.VerifyOptions{Options: oid4vp.Options{Dev: true}, ClientID: ru.ClientID, Resolver: &did.Resolver{}, Now: wl.w.clk.Now, WalletNonce: wl.walletNonce})
	return req, resp.StatusCode, err
}

type codeErr string

func (c codeErr) Error() string { return string(c) }

func errorCode(b []byte) error {
	var e server.ErrorBody
	_ = json.Unmarshal(b, &e)
	return codeErr(e.Code)
}

// answer builds the response form for req.
func (wl *wallet) answer(req *oid4vp.AuthorizationRequest) url.Values {
	t := wl.t
	var cands []oid4vp.Credential
	for _, c := range wl.creds {
		tok, err := sdjwt.Parse(c, sdjwt.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		cc, err := oid4vp.NewSDJWTCredential(tok)
		if err != nil {
			t.Fatal(err)
		}
		cands = append(cands, cc)
	}
	ev := oid4vp.Evaluate(req.DCQLQuery, cands)
	vp := oid4vp.VPToken{}
	nonce, aud := req.Nonce, oid4vp.KBAudience(req.ClientID)
	if wl.nonce != "" {
		nonce = wl.nonce
	}
	if wl.aud != "" {
		aud = wl.aud
	}
	for _, id := range ev.Answer {
		for _, m := range ev.Query(id).Matches {
			p, err := sdjwtvc.Present(wl.creds[m.Index], wl.holder(m.Index).JoseSigner(), sdjwtvc.PresentOptions{Paths: m.Pointers(), Audience: aud, Nonce: nonce, Now: wl.w.clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			vp[id] = append(vp[id], p)
			if !ev.Query(id).Multiple {
				break
			}
		}
	}
	if len(vp) == 0 {
		// Nothing matches: present every credential under the first id,
		// as a careless wallet would.
		id := req.DCQLQuery.Credentials[0].ID
		for i, c := range wl.creds {
			p, err := sdjwtvc.Present(c, wl.holder(i).JoseSigner(), sdjwtvc.PresentOptions{Audience: aud, Nonce: nonce, Now: wl.w.clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			vp[id] = append(vp[id], p)
		}
	}
	if wl.token != nil {
		vp = wl.token(vp)
	}
	resp := &oid4vp.Response{VPToken: vp, State: req.State}
	var form url.Values
	var err error
	if req.ResponseMode == oid4vp.ResponseModeDirectPostJWT {
		form, err = resp.EncryptedForm(req, nil)
	} else {
		form, err = resp.Form()
	}
	if err != nil {
		t.Fatal(err)
	}
	return form
}

func post(t testing.TB, u string, form url.Values) (int, []byte) {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// createSession asks the console for a session.
func (w *world) createSession(t testing.TB, purpose, mode string) api.CreateSessionResponse {
	t.Helper()
	body, _ := json.Marshal(api.CreateSessionRequest{Purpose: purpose, ResponseMode: mode})
	resp, err := http.Post(w.console.URL+"/console/sessions", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create session: %d %s", resp.StatusCode, b)
	}
	var out api.CreateSessionResponse
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.URI, "openid4vp://") || !strings.HasPrefix(out.QRPNG, "data:image/png;base64,") {
		t.Fatalf("session: %+v", out)
	}
	return out
}

// result GETs the console's result.
func (w *world) result(t testing.TB, id, query string) (int, *verifier.Result, []byte) {
	t.Helper()
	resp, err := http.Get(w.console.URL + "/console/sessions/" + id + "/result" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil, b
	}
	var r verifier.Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, &r, b
}

// newPublic is a second public handler on w's service (own metrics).
func newPublic(w *world) (http.Handler, error) {
	return api.New(w.svc, api.Options{Now: w.clk.Now, WalletLimit: server.RateLimit{Off: true}})
}

var didResolver = &did.Resolver{}

// openAPIDoc is docs/verifier-api.json as the tests hold both APIs to
// it: every answer the test servers give is checked against it.
func openAPIDoc(t testing.TB) *testkit.OpenAPI {
	t.Helper()
	doc, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

var loadOpenAPI = sync.OnceValues(func() (*testkit.OpenAPI, error) {
	return testkit.LoadOpenAPI("docs/verifier-api.json", api.OpenAPI())
})
