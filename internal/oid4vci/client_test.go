package oid4vci_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vci"
)

const fakeConfigID = "registration.v1"

// fakeIssuer is a small in-test OpenID4VCI issuer with an identifier that
// has a path (/issuers/clinic), built on this package's server-side
// helpers, with knobs for the error paths.
type fakeIssuer struct {
	srv  *httptest.Server
	id   string
	now  time.Time
	code string
	tx   string // "" when the offer has no tx_code

	// knobs
	metaIssuer     string // credential_issuer to publish instead of id
	nonceCType     string // Content-Type of nonce answers instead of JSON
	credentialPad  int    // bytes of padding in the credential response
	refuseNonces   bool   // answer invalid_nonce to every credential request
	serverError    string // a route that answers 500 with an HTML page
	proofAlgs      []string
	offerPad       int
	anonymousProof bool   // CheckProof's Anonymous
	offerCode      string // pre-authorized code to offer instead of code

	mu       sync.Mutex
	nonces   map[string]bool
	tokens   map[string]bool
	requests map[string]int
	holder   *jose.JWK
	notified []oid4vci.NotificationRequest
}

func startFake(tx string) *fakeIssuer {
	f := &fakeIssuer{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), code: "pre-auth-code-1", tx: tx, anonymousProof: true,
		proofAlgs: []string{"ES256", "EdDSA"}, nonces: map[string]bool{}, tokens: map[string]bool{}, requests: map[string]int{}}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	f.id = f.srv.URL + "/issuers/clinic"
	return f
}

func (f *fakeIssuer) offer() *oid4vci.CredentialOffer {
	g := &oid4vci.PreAuthorizedCodeGrant{PreAuthorizedCode: f.code}
	if f.offerCode != "" {
		g.PreAuthorizedCode = f.offerCode
	}
	if f.tx != "" {
		g.TxCode = &oid4vci.TxCode{InputMode: oid4vci.TxInputNumeric, Length: len(f.tx), Description: "Type the code the desk gave you"}
	}
	return &oid4vci.CredentialOffer{CredentialIssuer: f.id, CredentialConfigurationIDs: []string{fakeConfigID}, Grants: &oid4vci.Grants{PreAuthorizedCode: g}}
}

func (f *fakeIssuer) offerURI() string {
	u, err := oid4vci.BuildOfferURIByReference(f.id+"/offers/1", oid4vci.Options{})
	if err != nil {
		panic(err)
	}
	return u
}

func (f *fakeIssuer) client(o oid4vci.ClientOptions) *oid4vci.Client {
	o.HTTPClient = f.srv.Client()
	o.Now = func() time.Time { return f.now }
	return oid4vci.NewClient(o)
}

func (f *fakeIssuer) count(route string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[route]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (f *fakeIssuer) serve(w http.ResponseWriter, r *http.Request) {
	route := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/.well-known"), "/issuers/clinic")
	if strings.HasPrefix(r.URL.Path, "/.well-known/") {
		route = strings.TrimSuffix(r.URL.Path, "/issuers/clinic")
	}
	f.mu.Lock()
	f.requests[route]++
	f.mu.Unlock()
	if route == f.serverError {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, "<h1>oops</h1>")
		return
	}
	fail := func(status int, code, desc string) {
		writeJSON(w, status, oid4vci.ErrorResponse{Code: code, Description: desc})
	}
	switch route {
	case oid4vci.WellKnownIssuer:
		iss := f.id
		if f.metaIssuer != "" {
			iss = f.metaIssuer
		}
		writeJSON(w, 200, oid4vci.IssuerMetadata{
			CredentialIssuer: iss, CredentialEndpoint: f.id + "/credential", NonceEndpoint: f.id + "/nonce", NotificationEndpoint: f.id + "/notification",
			Display: []oid4vci.Display{{Name: "Clinic", Locale: "en"}},
			CredentialConfigurationsSupported: map[string]oid4vci.CredentialConfiguration{fakeConfigID: {
				Format: oid4vci.FormatSDJWTVC, VCT: "urn:cairn:vct:registration:1", CryptographicBindingMethodsSupported: []string{"jwk"},
				ProofTypesSupported: map[string]oid4vci.ProofTypeMetadata{"jwt": {ProofSigningAlgValuesSupported: f.proofAlgs}},
				CredentialMetadata:  &oid4vci.CredentialMetadata{Claims: []oid4vci.ClaimDescription{{Path: []any{"given_name"}, Mandatory: true}}},
			}},
		})
	case oid4vci.WellKnownAuthServer:
		writeJSON(w, 200, oid4vci.AuthServerMetadata{Issuer: f.id, TokenEndpoint: f.id + "/token",
			GrantTypesSupported: []string{oid4vci.GrantPreAuthorizedCode}, PreAuthorizedGrantAnonymousAccessSupported: true})
	case "/offers/1":
		if f.offerPad > 0 {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"pad":"`+strings.Repeat("x", f.offerPad)+`"}`)
			return
		}
		writeJSON(w, 200, f.offer())
	case "/token":
		if err := r.ParseForm(); err != nil {
			fail(400, oid4vci.ErrorInvalidRequest, "bad form")
			return
		}
		tr, err := oid4vci.ParseTokenRequest(r.PostForm)
		var er *oid4vci.ErrorResponse
		if errors.As(err, &er) {
			writeJSON(w, 400, er)
			return
		}
		switch {
		case tr.PreAuthorizedCode != f.code:
			fail(400, oid4vci.ErrorInvalidGrant, "unknown code")
		case f.tx != "" && tr.TxCode == "":
			fail(400, oid4vci.ErrorInvalidRequest, "tx_code required")
		case tr.TxCode != f.tx:
			fail(400, oid4vci.ErrorInvalidGrant, "wrong transaction code")
		default:
			f.mu.Lock()
			f.tokens["at-1"] = true
			f.mu.Unlock()
			writeJSON(w, 200, oid4vci.TokenResponse{AccessToken: "at-1", TokenType: "Bearer", ExpiresIn: 300})
		}
	case "/nonce":
		f.mu.Lock()
		n := "nonce-" + string(rune('a'+len(f.nonces)))
		f.nonces[n] = true
		f.mu.Unlock()
		if f.nonceCType != "" {
			w.Header().Set("Content-Type", f.nonceCType)
			json.NewEncoder(w).Encode(oid4vci.NonceResponse{CNonce: n})
			return
		}
		writeJSON(w, 200, oid4vci.NonceResponse{CNonce: n})
	case "/credential":
		if !f.bearerOK(r) {
			fail(401, oid4vci.ErrorInvalidToken, "bad token")
			return
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		req, err := oid4vci.ParseCredentialRequest(body, 1)
		var er *oid4vci.ErrorResponse
		if errors.As(err, &er) {
			writeJSON(w, 400, er)
			return
		}
		p, err := oid4vci.CheckProof(r.Context(), req.Proofs.JWT[0], oid4vci.CheckParams{
			Audiences: []string{f.id}, Now: f.now, Anonymous: f.anonymousProof,
			NonceCheck: func(n string) error {
				f.mu.Lock()
				defer f.mu.Unlock()
				if f.refuseNonces || !f.nonces[n] {
					return errors.New("unknown nonce")
				}
				delete(f.nonces, n)
				return nil
			}})
		if err != nil {
			fail(400, oid4vci.ProofErrorCode(err), "the key proof is invalid")
			return
		}
		f.mu.Lock()
		f.holder = p.JWK
		f.mu.Unlock()
		writeJSON(w, 200, map[string]any{
			"credentials":     []oid4vci.IssuedCredential{oid4vci.NewIssuedCredential("eyJhbGciOiJFUzI1NiJ9.e30.c2ln~")},
			"notification_id": "notif-1",
			"pad":             strings.Repeat("x", f.credentialPad),
		})
	case "/notification":
		if !f.bearerOK(r) {
			fail(401, oid4vci.ErrorInvalidToken, "bad token")
			return
		}
		var n oid4vci.NotificationRequest
		if json.NewDecoder(r.Body).Decode(&n) != nil || n.Validate() != nil {
			fail(400, oid4vci.ErrorInvalidNotificationRequest, "bad notification")
			return
		}
		if n.NotificationID != "notif-1" {
			fail(400, oid4vci.ErrorInvalidNotificationID, "unknown notification_id")
			return
		}
		f.mu.Lock()
		f.notified = append(f.notified, n)
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		fail(404, "not_found", "no such endpoint")
	}
}

func (f *fakeIssuer) bearerOK(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	defer f.mu.Unlock()
	return ok && f.tokens[tok]
}

func holderKey(t testing.TB, alg jose.Alg) *keys.PrivateKey {
	t.Helper()
	k, err := keys.Generate(alg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestClientPreAuthorized(t *testing.T) {
	for _, tc := range []struct {
		name, tx string
		byValue  bool
		alg      jose.Alg
		kid      bool
	}{
		{"by reference with tx_code", "493536", false, jose.ES256, false},
		{"by reference without tx_code", "", false, jose.ES256, false},
		{"by value, EdDSA key as did:jwk kid", "", true, jose.EdDSA, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startFake(tc.tx)
			defer f.srv.Close()
			k := holderKey(t, tc.alg)
			uri := f.offerURI()
			if tc.byValue {
				var err error
				if uri, err = oid4vci.BuildOfferURI(f.offer(), oid4vci.Options{}); err != nil {
					t.Fatal(err)
				}
			}
			req := oid4vci.PreAuthorizedRequest{OfferURI: uri, TxCode: tc.tx, Holder: k.JoseSigner()}
			if tc.kid {
				req.KeyID = k.DIDJWK() + "#0"
			}
			c := f.client(oid4vci.ClientOptions{})
			is, err := c.RunPreAuthorized(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if len(is.Credentials) != 1 || !strings.HasSuffix(is.Credentials[0], "~") || is.NotificationID != "notif-1" || is.ConfigurationID != fakeConfigID {
				t.Fatalf("issuance %+v", is)
			}
			if !f.holder.Equal(k.PublicJWK()) {
				t.Fatalf("issuer saw holder key %v", f.holder)
			}
			if got := f.count("/offers/1"); (got == 1) == tc.byValue {
				t.Fatalf("offer fetched %d times", got)
			}
			if err := c.Notify(context.Background(), is, oid4vci.EventCredentialAccepted, ""); err != nil {
				t.Fatal(err)
			}
			if len(f.notified) != 1 || f.notified[0].Event != oid4vci.EventCredentialAccepted {
				t.Fatalf("notified %+v", f.notified)
			}
		})
	}
}

func TestClientErrors(t *testing.T) {
	cases := []struct {
		name     string
		tx       string // the offer's
		give     string // what the holder types
		setup    func(*fakeIssuer)
		opts     oid4vci.ClientOptions
		alg      jose.Alg
		step     oid4vci.Step
		code     string // the issuer's error code, "" when local
		status   int
		want     error
		noRoutes []string // routes that must not have been called
	}{
		{name: "wrong tx_code", tx: "493536", give: "000000", step: oid4vci.StepToken, code: oid4vci.ErrorInvalidGrant, status: 400,
			want: &oid4vci.ErrorResponse{Code: oid4vci.ErrorInvalidGrant}, noRoutes: []string{"/nonce", "/credential"}},
		{name: "unknown pre-authorized code", setup: func(f *fakeIssuer) { f.offerCode = "expired-code" }, step: oid4vci.StepToken, code: oid4vci.ErrorInvalidGrant, status: 400},
		{name: "tx_code missing is caught before any request", tx: "493536", step: oid4vci.StepOffer, want: oid4vci.ErrTxCodeRequired,
			noRoutes: []string{oid4vci.WellKnownIssuer, "/token"}},
		{name: "tx_code of the wrong length", tx: "493536", give: "49", step: oid4vci.StepOffer, want: oid4vci.ErrTxCode, noRoutes: []string{"/token"}},
		{name: "nonce refused", setup: func(f *fakeIssuer) { f.refuseNonces = true }, step: oid4vci.StepCredential, code: oid4vci.ErrorInvalidNonce, status: 400},
		{name: "issuer refuses iss in proofs", setup: func(f *fakeIssuer) {}, opts: oid4vci.ClientOptions{ClientID: "wallet-1"},
			step: oid4vci.StepCredential, code: oid4vci.ErrorInvalidProof, status: 400},
		{name: "oversized credential response", setup: func(f *fakeIssuer) { f.credentialPad = 8 << 10 }, opts: oid4vci.ClientOptions{MaxCredentialBytes: 4 << 10},
			step: oid4vci.StepCredential, status: 200, want: oid4vci.ErrTooLarge},
		{name: "oversized offer", setup: func(f *fakeIssuer) { f.offerPad = oid4vci.MaxOfferLen }, step: oid4vci.StepOffer, status: 200, want: oid4vci.ErrTooLarge,
			noRoutes: []string{oid4vci.WellKnownIssuer}},
		{name: "metadata for another issuer", setup: func(f *fakeIssuer) { f.metaIssuer = f.srv.URL }, step: oid4vci.StepIssuerMetadata, status: 200,
			want: oid4vci.ErrInvalidMetadata, noRoutes: []string{"/token"}},
		{name: "nonce not JSON", setup: func(f *fakeIssuer) { f.nonceCType = "text/plain" }, step: oid4vci.StepNonce, status: 200, want: oid4vci.ErrMalformed},
		{name: "server error page", setup: func(f *fakeIssuer) { f.serverError = "/token" }, step: oid4vci.StepToken, status: 500, want: oid4vci.ErrUnexpectedStatus},
		{name: "holder alg not accepted by the issuer", setup: func(f *fakeIssuer) { f.proofAlgs = []string{"ES256"} }, alg: jose.EdDSA,
			step: oid4vci.StepProof, want: oid4vci.ErrUnsupported, noRoutes: []string{"/nonce", "/credential"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := startFake(c.tx)
			defer f.srv.Close()
			if c.setup != nil {
				c.setup(f)
			}
			if c.alg == "" {
				c.alg = jose.ES256
			}
			k := holderKey(t, c.alg)
			tx := c.give
			if tx == "" && c.want != oid4vci.ErrTxCodeRequired {
				tx = c.tx
			}
			is, err := f.client(c.opts).RunPreAuthorized(context.Background(), oid4vci.PreAuthorizedRequest{OfferURI: f.offerURI(), TxCode: tx, Holder: k.JoseSigner()})
			if err == nil {
				t.Fatalf("succeeded: %+v", is)
			}
			var se *oid4vci.StepError
			if !errors.As(err, &se) {
				t.Fatalf("not a *StepError: %T %v", err, err)
			}
			if se.Step != c.step || se.Code != c.code || se.Status != c.status || oid4vci.ErrorCode(err) != c.code {
				t.Fatalf("got step %s code %q status %d (%v), want %s %q %d", se.Step, se.Code, se.Status, err, c.step, c.code, c.status)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			for _, r := range c.noRoutes {
				if n := f.count(r); n != 0 {
					t.Errorf("%s called %d times", r, n)
				}
			}
		})
	}
}

func TestClientRefusesPlainHTTP(t *testing.T) {
	f := startFake("")
	defer f.srv.Close()
	plain := httptest.NewServer(http.HandlerFunc(f.serve))
	defer plain.Close()
	uri := "openid-credential-offer://?credential_offer_uri=" + url.QueryEscape(plain.URL+"/issuers/clinic/offers/1")
	_, err := oid4vci.NewClient(oid4vci.ClientOptions{HTTPClient: plain.Client()}).ResolveOffer(context.Background(), uri)
	if !errors.Is(err, oid4vci.ErrInvalidOffer) || f.count("/offers/1") != 0 {
		t.Fatalf("http offer: %v (fetched %d)", err, f.count("/offers/1"))
	}
	// Development mode lets the http fetch through.
	o, err := oid4vci.NewClient(oid4vci.ClientOptions{HTTPClient: plain.Client(), AllowHTTP: true}).ResolveOffer(context.Background(), uri)
	if err != nil || f.count("/offers/1") != 1 || o.CredentialIssuer != f.id {
		t.Fatalf("dev mode: %+v %v (fetched %d)", o, err, f.count("/offers/1"))
	}
}

func TestClientNotifyErrors(t *testing.T) {
	f := startFake("")
	defer f.srv.Close()
	c := f.client(oid4vci.ClientOptions{})
	is, err := c.RunPreAuthorized(context.Background(), oid4vci.PreAuthorizedRequest{OfferURI: f.offerURI(), Holder: holderKey(t, jose.ES256).JoseSigner()})
	if err != nil {
		t.Fatal(err)
	}
	bad := *is
	bad.NotificationID = "forged"
	if err := c.Notify(context.Background(), &bad, oid4vci.EventCredentialDeleted, ""); oid4vci.ErrorCode(err) != oid4vci.ErrorInvalidNotificationID {
		t.Fatalf("forged notification_id: %v", err)
	}
	bad = *is
	bad.AccessToken = "stolen"
	if err := c.Notify(context.Background(), &bad, oid4vci.EventCredentialAccepted, ""); oid4vci.ErrorCode(err) != oid4vci.ErrorInvalidToken {
		t.Fatalf("bad token: %v", err)
	}
	if err := c.Notify(context.Background(), is, "credential_lost", ""); !errors.Is(err, &oid4vci.ErrorResponse{Code: oid4vci.ErrorInvalidNotificationRequest}) || f.count("/notification") != 2 {
		t.Fatalf("unknown event was sent or not refused: %v", err)
	}
}
