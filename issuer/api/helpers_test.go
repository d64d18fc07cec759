package api

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/issuer"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
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

// wallet is a minimal OpenID4VCI client for tests.
type wallet struct {
	tb  testing.TB
	c   *http.Client
	f   *fixture
	key *keys.PrivateKey
}

func newWallet(tb testing.TB, f *fixture) *wallet {
	k, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &wallet{tb: tb, c: f.srv.Client(), f: f, key: k}
}

func (w *wallet) fetchOffer(o *issuer.Offer) (code string, r response) {
	u, err := url.Parse(o.URI)
	if err != nil {
		w.tb.Fatal(err)
	}
	r = do(w.tb, w.c, "GET", u.Query().Get("credential_offer_uri"), "", "", nil)
	if r.status != 200 {
		return "", r
	}
	g := r.body["grants"].(map[string]any)[issuer.PreAuthorizedGrant].(map[string]any)
	return g["pre-authorized_code"].(string), r
}

func (w *wallet) token(code, tx string) response {
	form := url.Values{"grant_type": {issuer.PreAuthorizedGrant}, "pre-authorized_code": {code}}
	if tx != "" {
		form.Set("tx_code", tx)
	}
	return do(w.tb, w.c, "POST", w.f.srv.URL+"/token", "application/x-www-form-urlencoded", "", strings.NewReader(form.Encode()))
}

func (w *wallet) nonce() string {
	r := do(w.tb, w.c, "POST", w.f.srv.URL+"/nonce", "", "", nil)
	if r.status != 200 {
		w.tb.Fatalf("nonce: %d %s", r.status, r.raw)
	}
	return r.body["c_nonce"].(string)
}

// proof builds a key proof; mutate edits header and claims before signing.
func (w *wallet) proof(nonce string, mutate func(h, c map[string]any)) string {
	h := map[string]any{"typ": issuer.ProofTyp, "jwk": w.key.PublicJWK().Map()}
	c := map[string]any{"aud": w.f.svc.URL(), "iat": w.f.clk.Now().Unix(), "nonce": nonce}
	if mutate != nil {
		mutate(h, c)
	}
	payload, _ := json.Marshal(c)
	jws, err := w.key.JoseSigner().Sign(h, payload)
	if err != nil {
		w.tb.Fatal(err)
	}
	return jws
}

func (w *wallet) credential(token, configID string, proofs ...string) response {
	body, _ := json.Marshal(map[string]any{"credential_configuration_id": configID, "proofs": map[string]any{"jwt": proofs}})
	return do(w.tb, w.c, "POST", w.f.srv.URL+"/credential", "application/json", token, strings.NewReader(string(body)))
}

const testConfigID = "humanitarian-registration.v1"

// run does the whole flow and returns the credential response.
func (w *wallet) run(o *issuer.Offer) response {
	code, r := w.fetchOffer(o)
	if r.status != 200 {
		w.tb.Fatalf("offer: %d %s", r.status, r.raw)
	}
	t := w.token(code, o.TxCode)
	if t.status != 200 {
		w.tb.Fatalf("token: %d %s", t.status, t.raw)
	}
	return w.credential(t.body["access_token"].(string), testConfigID, w.proof(w.nonce(), nil))
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
