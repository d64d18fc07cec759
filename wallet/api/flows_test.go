package api_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/qr"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/issuer"
	issuerapi "github.com/cairn-id/cairn/issuer/api"
	issuerbolt "github.com/cairn-id/cairn/issuer/boltstore"
	"github.com/cairn-id/cairn/schemas"
	"github.com/cairn-id/cairn/wallet"
	"github.com/cairn-id/cairn/wallet/api"
	"github.com/cairn-id/cairn/wallet/storetest"
)

const regVCT = "urn:cairn:vct:humanitarian-registration:1"

var loadCatalogue = sync.OnceValues(schemas.Load)

// flowWorld is the project's issuer, a registry naming it and a
// verifier, and an agent whose flows use them (dev mode: loopback).
type flowWorld struct {
	*agent
	iss   *issuer.Service
	regMu sync.Mutex
	reg   *trust.Registry
	ver   *httptest.Server
	vreq  *oid4vp.AuthorizationRequest
	vcid  string
	vsign *jose.Signer
	got   []string // response modes received
	start time.Time
	// statusFetches counts the issuer's status list answers; statusDown
	// makes the issuer's status route fail (503).
	statusFetches atomic.Int32
	statusDown    atomic.Bool
	// verifierNow is the verifier's clock (nil: time.Now).
	verifierNow func() time.Time
}

func (f *flowWorld) registry() *trust.Registry { f.regMu.Lock(); defer f.regMu.Unlock(); return f.reg }

// newFlowWorld builds the world; mod changes the agent's configuration
// after the world's own settings.
func newFlowWorld(t *testing.T, mod ...func(*wallet.Config, *api.Options)) *flowWorld {
	t.Helper()
	cat, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	f := &flowWorld{start: time.Now().Add(-time.Hour)}
	ik, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	vk, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.reg = &trust.Registry{Authority: "did:example:board", Entities: []trust.Entity{
		{DID: ik.DIDJWK(), Role: trust.RoleIssuer, Status: trust.StatusActive, Names: map[string]string{"en": "Relief NGO", "fr": "ONG de secours"}, ValidFrom: f.start,
			IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: regVCT, MaxStrength: 4, MaxValidity: 4, MaxVerification: 4, From: f.start}}},
		{DID: vk.DIDJWK(), Role: trust.RoleVerifier, Status: trust.StatusActive, Names: map[string]string{"en": "Shelter desk"}, ValidFrom: f.start,
			VerifierAuthorizations: []trust.VerifierAuthorization{{Purpose: "shelter intake", Claims: []string{"/given_name", "/family_name"}, From: f.start}}},
	}}
	st, err := issuerbolt.Open(filepath.Join(t.TempDir(), "issuer.db"))
	if err != nil {
		t.Fatal(err)
	}
	issSrv := httptest.NewServer(nil)
	t.Cleanup(issSrv.Close)
	hk := make([]byte, 32)
	rand.Read(hk)
	quiet := slog.New(slog.DiscardHandler)
	f.iss, err = issuer.New(issuer.Config{URL: issSrv.URL, Dev: true, Names: map[string]string{"en": "Relief NGO (metadata)"},
		Types: []string{regVCT}, Catalogue: cat, Key: ik, HashKey: hk, Store: st, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.iss.Close() })
	ih, err := issuerapi.New(f.iss, issuerapi.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	issSrv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/status/") {
			if f.statusDown.Load() {
				http.Error(w, "down", http.StatusServiceUnavailable)
				return
			}
			f.statusFetches.Add(1)
		}
		ih.ServeHTTP(w, r)
	})

	// the verifier: a signed request object by reference, direct_post
	f.vcid = oid4vp.PrefixDecentralizedIdentifier + ":" + vk.DIDJWK()
	f.vsign = vk.JoseSigner().WithKeyID(vk.DIDJWK() + "#0")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /request", func(w http.ResponseWriter, r *http.Request) {
		f.regMu.Lock()
		defer f.regMu.Unlock()
		tok, err := oid4vp.SignRequestObject(f.vsign, f.vreq, oid4vp.SignOptions{Options: oid4vp.Options{Dev: true}, Now: f.verifierNow})
		if err != nil {
			http.Error(w, "x", 500)
			return
		}
		w.Header().Set("Content-Type", oid4vp.RequestObjectMediaType)
		io.WriteString(w, tok)
	})
	mux.HandleFunc("POST /response", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.regMu.Lock()
		f.got = append(f.got, string(b))
		f.regMu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"redirect_uri":"http://verifier.example/done"}`)
	})
	f.ver = httptest.NewServer(mux)
	t.Cleanup(f.ver.Close)

	f.agent = newAgent(t, func(c *wallet.Config, o *api.Options) {
		c.Flows = wallet.FlowConfig{Dev: true, Registry: f.registry, Catalogue: cat}
		c.Now = time.Now
		o.Now = time.Now
		o.Registry = f.registry
		for _, m := range mod {
			m(c, o)
		}
	})
	return f
}

// request makes the verifier's next request ask for claims and returns
// the openid4vp:// text to scan.
func (f *flowWorld) request(t *testing.T, claims ...string) string {
	t.Helper()
	var cq []string
	for _, c := range claims {
		cq = append(cq, `{"path":["`+c+`"]}`)
	}
	q, err := oid4vp.ParseQuery([]byte(`{"credentials":[{"id":"reg","format":"dc+sd-jwt","meta":{"vct_values":["` + regVCT + `"]},"claims":[` + strings.Join(cq, ",") + `]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	n := make([]byte, 16)
	rand.Read(n)
	f.regMu.Lock()
	f.vreq = &oid4vp.AuthorizationRequest{ClientID: f.vcid, ResponseType: oid4vp.ResponseTypeVPToken, ResponseMode: oid4vp.ResponseModeDirectPost,
		ResponseURI: f.ver.URL + "/response", Nonce: jose.B64.EncodeToString(n), State: "st-1", DCQLQuery: q}
	f.regMu.Unlock()
	uri, err := oid4vp.BuildRequestURI(f.vcid, f.ver.URL+"/request", oid4vp.RequestURIMethodGet)
	if err != nil {
		t.Fatal(err)
	}
	return uri
}

func TestReceivePresentAndProximity(t *testing.T) {
	f := newFlowWorld(t)
	_, s := f.holder("2468", storetest.Device(1))
	claims := map[string]any{"family_name": "Haddad-Quennell", "given_name": "Aminata", "birthdate": "1991-04-12",
		"registration_id": "REG-2025-9981234", "registration_date": "2025-03-02",
		"registration_place": map[string]any{"country": "LB", "locality": "Zahlé"}}
	o, err := f.iss.CreateOffer(context.Background(), issuer.OfferRequest{VCT: regVCT, Claims: claims, TxCode: true})
	if err != nil {
		t.Fatal(err)
	}

	// errors first
	f.want(f.do("POST", "/v1/offers", s.Token, api.OfferRequest{Offer: "openid-credential-offer://?nothing=1"}), 400, api.CodeOfferInvalid)
	f.want(f.do("POST", "/v1/offers", "", api.OfferRequest{Offer: o.URI}), 401, api.CodeUnauthorized)
	f.want(f.do("POST", "/v1/offers/abcdefghijkl/accept", s.Token, api.AcceptRequest{}), 404, api.CodePreviewNotFound)
	f.want(f.do("POST", "/v1/offers/abcdefghijkl/refuse", s.Token, nil), 404, api.CodePreviewNotFound)
	f.want(f.do("POST", "/v1/requests", s.Token, api.PresentationRequest{Request: "openid4vp://?x=1"}), 400, api.CodeRequestInvalid)
	f.want(f.do("POST", "/v1/requests/abcdefghijkl/respond", s.Token, wallet.Consent{}), 404, api.CodePreviewNotFound)

	// receive: the preview in French (the holder's setting), the tx code
	r := f.do("POST", "/v1/offers", s.Token, api.OfferRequest{Offer: o.URI})
	f.want(r, 200, "")
	var p wallet.OfferPreview
	r.json(t, &p)
	if !p.Trusted || p.IssuerName != "ONG de secours" || p.TxCode == nil || len(p.Claims) == 0 {
		t.Fatalf("preview %s", r.body)
	}
	f.want(f.do("POST", "/v1/offers/"+p.ID+"/accept", s.Token, api.AcceptRequest{}), 400, api.CodeTxCode)
	r = f.do("POST", "/v1/offers/"+p.ID+"/accept", s.Token, api.AcceptRequest{TxCode: o.TxCode})
	f.want(r, 200, "")
	var acc wallet.Accepted
	r.json(t, &acc)
	if len(acc.IDs) == 0 || acc.IssuerName != "ONG de secours" {
		t.Fatalf("accepted %s", r.body)
	}
	r = f.do("GET", "/v1/credentials?lang=en", s.Token, nil)
	var list api.Credentials
	r.json(t, &list)
	if len(list.Credentials) != 1 || list.Credentials[0].Issuer.Name != "Relief NGO" || !list.Credentials[0].Issuer.Registered {
		t.Fatalf("list %s", r.body)
	}

	// present a subset; refuse another request
	r = f.do("POST", "/v1/requests", s.Token, api.PresentationRequest{Request: f.request(t, "given_name", "family_name", "birthdate")}, "Accept-Language", "en")
	f.want(r, 200, "")
	var rp wallet.RequestPreview
	r.json(t, &rp)
	if !rp.CanAnswer || !rp.Registered || len(rp.OutsidePurpose) != 1 || len(rp.Warnings) == 0 {
		t.Fatalf("request preview %s", r.body)
	}
	r = f.do("POST", "/v1/requests/"+rp.ID+"/respond", s.Token, wallet.Consent{Only: []string{"/given_name"}})
	f.want(r, 200, "")
	var pr wallet.Presented
	r.json(t, &pr)
	if pr.RedirectURI != "http://verifier.example/done" || len(pr.Claims) != 1 {
		t.Fatalf("presented %s", r.body)
	}
	r = f.do("POST", "/v1/requests", s.Token, api.PresentationRequest{Request: f.request(t, "given_name")})
	r.json(t, &rp)
	f.want(f.do("POST", "/v1/requests/"+rp.ID+"/refuse", s.Token, nil), 204, "")
	f.want(f.do("POST", "/v1/requests/"+rp.ID+"/respond", s.Token, wallet.Consent{}), 404, api.CodePreviewNotFound)
	if len(f.got) != 2 || !strings.Contains(f.got[1], "access_denied") {
		t.Fatalf("verifier got %v", f.got)
	}

	// proximity: the text and a PNG that decodes to it
	f.want(f.do("POST", "/v1/proximity", s.Token, api.ProximityRequest{Challenge: "bad challenge", ProximityRequest: wallet.ProximityRequest{CredentialID: acc.IDs[0], Paths: []string{"/given_name"}}}), 400, server.CodeInvalidRequest)
	r = f.do("POST", "/v1/proximity", s.Token, api.ProximityRequest{Challenge: "c-123456", ProximityRequest: wallet.ProximityRequest{CredentialID: acc.IDs[0], Paths: []string{"/given_name", "/family_name"}}})
	f.want(r, 200, "")
	var pc wallet.ProximityCode
	r.json(t, &pc)
	if got, err := qr.Decode(pc.PNG); err != nil || got != pc.Text || pc.Version == 0 || pc.Version > 25 {
		t.Fatalf("proximity: version %d, decoded %q (%v)", pc.Version, got, err)
	}

	// the log: offer accepted, a presentation, a refusal, an offline presentation
	r = f.do("GET", "/v1/log", s.Token, nil)
	var lg api.Log
	r.json(t, &lg)
	var events []string
	for _, e := range lg.Entries {
		events = append(events, e.Event)
	}
	if strings.Join(events, ",") != "offer_accepted,presentation,presentation_refused,presentation" {
		t.Fatalf("log events %v", events)
	}

	// nothing secret in the agent's log
	logs := f.logs.String()
	u, _ := url.Parse(o.URI)
	secrets := []string{o.URI, u.RawQuery, o.OfferURL, o.TxCode, s.Token, "Haddad-Quennell", "Aminata", "REG-2025-9981234", pc.Text, "c-123456"}
	for _, sec := range secrets {
		if sec != "" && strings.Contains(logs, sec) {
			t.Errorf("the log holds %q", sec)
		}
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(logs, "\n", 2)[0]), &m); err != nil {
		t.Fatalf("log: %v", err)
	}
}

// TestFlowErrorsLogNoSecrets: a by-value offer whose issuer cannot be
// reached is refused; the log keeps the cause without the offer's
// pre-authorized code; a wrong challenge is not logged either.
func TestFlowErrorsLogNoSecrets(t *testing.T) {
	f := newFlowWorld(t)
	_, s := f.holder("2468", storetest.Device(1))
	offer := `{"credential_issuer":"http://127.0.0.1:1","credential_configuration_ids":["reg"],"grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{"pre-authorized_code":"PREAUTH-SECRET-8817"}}}`
	text := "openid-credential-offer://?credential_offer=" + url.QueryEscape(offer)
	f.want(f.do("POST", "/v1/offers", s.Token, api.OfferRequest{Offer: text}), 400, api.CodeOfferInvalid)
	f.want(f.do("POST", "/v1/proximity", s.Token, api.ProximityRequest{Challenge: "not ok \x01 CHALLENGE-SECRET"}), 400, server.CodeInvalidRequest)
	logs := f.logs.String()
	if !strings.Contains(logs, "offer_invalid") {
		t.Fatalf("the refusal was not logged:\n%s", logs)
	}
	for _, sec := range []string{"PREAUTH-SECRET-8817", url.QueryEscape("PREAUTH-SECRET-8817"), "CHALLENGE-SECRET", s.Token} {
		if strings.Contains(logs, sec) {
			t.Errorf("the log holds %q:\n%s", sec, logs)
		}
	}
}

func TestScrub(t *testing.T) {
	offer := `{"credential_issuer":"https://ngo.example","grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{"pre-authorized_code":"PREAUTH-SECRET-8817"}}}`
	text := "openid-credential-offer://?credential_offer=" + url.QueryEscape(offer)
	cases := []struct {
		name string
		err  error
	}{
		{"the text", fmt.Errorf("%w: cannot read %s", wallet.ErrOffer, text)},
		{"the decoded offer", fmt.Errorf("%w: bad offer %s", wallet.ErrOffer, offer)},
		{"the code alone", fmt.Errorf("%w: issuer refused code PREAUTH-SECRET-8817", wallet.ErrOffer)},
	}
	for _, tc := range cases {
		got := api.Scrub(tc.err, api.OfferSecrets(text)...)
		if strings.Contains(got.Error(), "PREAUTH-SECRET-8817") || !errors.Is(got, wallet.ErrOffer) || !strings.Contains(got.Error(), "[redacted]") {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
	plain := errors.New("nothing secret here")
	if api.Scrub(plain, "abcd") != plain {
		t.Error("an error without secrets was replaced")
	}
}
