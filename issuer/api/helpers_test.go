package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"github.com/cairn-id/cairn/internal/oid4vci"
	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/issuer"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/schemas"
)

const testVCT = "urn:cairn:vct:humanitarian-registration:1"

var catalogue = sync.OnceValues(schemas.Load)

type fixture struct {
	svc   *issuer.Service
	h     *Handler
	cfg   fixtureConfig
	store *issuer.MemoryStore
	srv   *httptest.Server
	clk   *testkit.Clock
	key   *keys.PrivateKey
}

// fixtureConfig is what a test may change before the fixture starts: the
// Service's Config and the handler's Options (whose Now and, when unset,
// Logger are the Service's).
type fixtureConfig struct {
	issuer.Config
	API Options
}

// testTypes are the vcts of the fixture's issuer.
var testTypes = []string{testVCT, "urn:cairn:vct:language-skills:1", "urn:cairn:vct:community-vouching:1"}

func testClaims() map[string]any {
	return map[string]any{
		"family_name": "Haddad", "given_name": "Amina", "birthdate": "1991-04-12",
		"registration_id": "REG-2025-0043117", "registration_date": "2025-03-02",
		"registration_place": map[string]any{"country": "LB", "locality": "Zahlé"},
	}
}

func newFixture(tb testing.TB, mut ...func(*fixtureConfig)) *fixture {
	tb.Helper()
	cat, err := catalogue()
	if err != nil {
		tb.Fatal(err)
	}
	st := issuer.NewMemoryStore()
	tb.Cleanup(func() { st.Close() })
	key, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		tb.Fatal(err)
	}
	clk := testkit.NewClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	f := &fixture{store: st, clk: clk, key: key}
	f.srv = httptest.NewUnstartedServer(nil)
	f.srv.Start()
	tb.Cleanup(f.srv.Close)
	hk := make([]byte, 32)
	rand.Read(hk)
	cfg := fixtureConfig{Config: issuer.Config{
		URL: f.srv.URL, Dev: true, Names: map[string]string{"en": "Relief NGO", "fr": "ONG de secours"},
		Types: testTypes, Catalogue: cat, Key: key, HashKey: hk, Store: st, Now: clk.Now,
		StatusListSize: 1024, Logger: slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}}
	for _, m := range mut {
		m(&cfg)
	}
	f.cfg = cfg
	f.svc, err = issuer.New(cfg.Config)
	if err != nil {
		tb.Fatal(err)
	}
	f.h = newHandler(tb, f.svc, cfg)
	f.srv.Config.Handler = f.h
	return f
}

// newHandler is the public API of svc with the fixture's options.
func newHandler(tb testing.TB, svc *issuer.Service, cfg fixtureConfig) *Handler {
	tb.Helper()
	opts := cfg.API
	opts.Now = cfg.Now
	if opts.Logger == nil {
		opts.Logger = cfg.Logger
	}
	h, err := New(svc, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

func (f *fixture) offer(tb testing.TB, tx bool) *issuer.Offer {
	tb.Helper()
	o, err := f.svc.CreateOffer(context.Background(), issuer.OfferRequest{VCT: testVCT, Claims: testClaims(), TxCode: tx, Reference: "Q-17"})
	if err != nil {
		tb.Fatal(err)
	}
	return o
}

// snapshot is the whole store, for "changed nothing" assertions.
func (f *fixture) snapshot(tb testing.TB) map[string]map[string]string {
	tb.Helper()
	return f.store.Dump()
}

func sameStore(tb testing.TB, before, after map[string]map[string]string) {
	tb.Helper()
	if !reflect.DeepEqual(before, after) {
		for b := range after {
			if !reflect.DeepEqual(before[b], after[b]) {
				tb.Errorf("bucket %s changed: before %d entries, after %d", b, len(before[b]), len(after[b]))
			}
		}
	}
}

type response struct {
	status int
	body   map[string]any
	raw    string
	header http.Header
}

func do(tb testing.TB, c *http.Client, method, u, ctype, auth string, body io.Reader) response {
	tb.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		tb.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	res, err := c.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, raw: string(b), header: res.Header}
	_ = json.Unmarshal(b, &r.body)
	return r
}

// wallet is the test holder: internal/oid4vci's Client (the wallet side
// of the flow, as a real wallet runs it) over a transport that records
// the last response, so the tests assert on the server's status, body
// and headers while the client builds every request.
type wallet struct {
	tb  testing.TB
	c   *http.Client // raw HTTP, for requests the client does not send
	f   *fixture
	key *keys.PrivateKey
	cl  *oid4vci.Client
	rec *lastResponse
}

func newWallet(tb testing.TB, f *fixture) *wallet {
	k, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		tb.Fatal(err)
	}
	rec := &lastResponse{next: f.srv.Client().Transport}
	cl := oid4vci.NewClient(oid4vci.ClientOptions{HTTPClient: &http.Client{Transport: rec}, Now: f.clk.Now, AllowHTTP: true})
	return &wallet{tb: tb, c: f.srv.Client(), f: f, key: k, cl: cl, rec: rec}
}

// lastResponse is a RoundTripper keeping a copy of the last response.
type lastResponse struct {
	next http.RoundTripper
	mu   sync.Mutex
	last response
}

func (l *lastResponse) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := l.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(b))
	r := response{status: res.StatusCode, raw: string(b), header: res.Header.Clone()}
	_ = json.Unmarshal(b, &r.body)
	l.mu.Lock()
	l.last = r
	l.mu.Unlock()
	return res, nil
}

// response returns the last response the client received.
func (w *wallet) response() response {
	w.rec.mu.Lock()
	defer w.rec.mu.Unlock()
	return w.rec.last
}

// fetchOffer resolves the offer by reference; code is its pre-authorized
// code ("" when the fetch failed, r then being the server's answer).
func (w *wallet) fetchOffer(o *issuer.Offer) (code string, r response) {
	offer, err := w.cl.ResolveOffer(context.Background(), o.URI)
	r = w.response()
	if err != nil {
		if r.status == 200 {
			w.tb.Fatalf("offer: %v", err)
		}
		return "", r
	}
	return offer.PreAuthorized().PreAuthorizedCode, r
}

// token sends a Token Request; the response is the server's answer,
// error or not.
func (w *wallet) token(code, tx string) response {
	_, err := w.cl.Token(context.Background(), w.f.srv.URL+"/token",
		oid4vci.TokenRequest{GrantType: oid4vci.GrantPreAuthorizedCode, PreAuthorizedCode: code, TxCode: tx})
	return w.checked("token", err)
}

// checked is the last response, after a step that failed without one
// (a refused 200 answer) fails the test.
func (w *wallet) checked(step string, err error) response {
	r := w.response()
	if err != nil && r.status == 200 {
		w.tb.Fatalf("%s: %v", step, err)
	}
	return r
}

func (w *wallet) nonce() string {
	n, err := w.cl.Nonce(context.Background(), w.f.srv.URL+"/nonce")
	if err != nil {
		w.tb.Fatalf("nonce: %v", err)
	}
	return n
}

// proof is a key proof by oid4vci.NewProof. mutate edits header and
// claims before signing: those proofs are hand-signed here, being the
// malformed ones (wrong typ, kid, key, no nonce, …) the client refuses
// to build.
func (w *wallet) proof(nonce string, mutate func(h, c map[string]any)) string {
	if mutate == nil {
		p, err := oid4vci.NewProof(w.key.JoseSigner(), oid4vci.ProofParams{Audience: w.f.svc.URL(), Nonce: nonce, IssuedAt: w.f.clk.Now()})
		if err != nil {
			w.tb.Fatal(err)
		}
		return p
	}
	h := map[string]any{"typ": issuer.ProofTyp, "jwk": w.key.PublicJWK().Map()}
	c := map[string]any{"aud": w.f.svc.URL(), "iat": w.f.clk.Now().Unix(), "nonce": nonce}
	mutate(h, c)
	payload, _ := json.Marshal(c)
	jws, err := w.key.JoseSigner().Sign(h, payload)
	if err != nil {
		w.tb.Fatal(err)
	}
	return jws
}

// credential sends a Credential Request with the jwt proofs.
func (w *wallet) credential(token, configID string, proofs ...string) response {
	_, err := w.cl.Credential(context.Background(), w.f.srv.URL+"/credential", token,
		oid4vci.CredentialRequest{CredentialConfigurationID: configID, Proofs: &oid4vci.Proofs{JWT: proofs}})
	return w.checked("credential", err)
}

const testConfigID = "humanitarian-registration.v1"

// run does the whole flow with the client's RunPreAuthorized and returns
// the last response: the credential response when the flow got there.
func (w *wallet) run(o *issuer.Offer) response {
	_, err := w.cl.RunPreAuthorized(context.Background(), oid4vci.PreAuthorizedRequest{
		OfferURI: o.URI, TxCode: o.TxCode, ConfigurationID: testConfigID, Holder: w.key.JoseSigner()})
	return w.checked("run", err)
}

// didResolver resolves did:jwk/did:key offline for sdjwtvc.Verify.
type didResolver struct{}

func (didResolver) ResolveKey(ctx context.Context, u string) (*jose.JWK, error) {
	var r did.Resolver
	return r.ResolveKey(ctx, u)
}

// tbWriter sends log lines to the test log.
type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
