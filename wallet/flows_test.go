package wallet_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/httpx"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/proximity"
	"github.com/cairn-id/cairn/internal/qr"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/issuer"
	issuerapi "github.com/cairn-id/cairn/issuer/api"
	issuerbolt "github.com/cairn-id/cairn/issuer/boltstore"
	"github.com/cairn-id/cairn/schemas"
	"github.com/cairn-id/cairn/wallet"
	"github.com/cairn-id/cairn/wallet/boltstore"
)

const regVCT = "urn:cairn:vct:humanitarian-registration:1"

var loadCatalogue = sync.OnceValues(schemas.Load)

func regClaims() map[string]any {
	return map[string]any{
		"family_name": "Haddad", "given_name": "Amina", "birthdate": "1991-04-12",
		"registration_id": "REG-2025-0043117", "registration_date": "2025-03-02",
		"registration_place": map[string]any{"country": "LB", "locality": "Zahlé"},
	}
}

// world is the project's issuer, a registry, a wallet and a holder.
type world struct {
	iss     *issuer.Service
	reg     *trust.Registry
	regMu   sync.Mutex
	w       *wallet.Service
	sess    *wallet.Session
	start   time.Time
	catalog *schemas.Catalogue
}

func (wd *world) registry() *trust.Registry { wd.regMu.Lock(); defer wd.regMu.Unlock(); return wd.reg }

func newWorld(t testing.TB, registerIssuer bool) *world {
	return newWorldBatch(t, registerIssuer, 0)
}

// newWorldBatch: the project's issuer with batch size batch (0: its
// default, 1: no batch issuance).
func newWorldBatch(t testing.TB, registerIssuer bool, batch int, mut ...func(*wallet.FlowConfig)) *world {
	t.Helper()
	cat, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	wd := &world{start: time.Now().Add(-time.Hour), catalog: cat, reg: &trust.Registry{Authority: "did:example:board"}}
	wd.iss = wd.addIssuer(t, regVCT, map[string]string{"en": "Relief NGO", "fr": "ONG de secours"}, batch, registerIssuer)
	ws, err := boltstore.Open(filepath.Join(t.TempDir(), "wallet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	pepper := make([]byte, 32)
	rand.Read(pepper)
	flows := wallet.FlowConfig{Dev: true, Registry: wd.registry, Catalogue: cat}
	for _, m := range mut {
		m(&flows)
	}
	wd.w, err = wallet.New(wallet.Config{Store: ws, Pepper: pepper, KDF: wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}, Flows: flows})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(wd.w.Close)
	device := make([]byte, 32)
	rand.Read(device)
	ctx := context.Background()
	c, err := wd.w.CreateHolder(ctx, wallet.CreateRequest{PIN: "2468", DeviceSecret: device, Lang: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	wd.sess, err = wd.w.Login(ctx, wallet.LoginRequest{HolderID: c.HolderID, PIN: "2468", DeviceSecret: device, ClientAddr: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// addIssuer starts one more instance of the project's issuer, for vct,
// registered (authorized for vct) when register is set.
func (wd *world) addIssuer(t testing.TB, vct string, names map[string]string, batch int, register bool) *issuer.Service {
	t.Helper()
	ik, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	if register {
		wd.regMu.Lock()
		wd.reg.Entities = append(wd.reg.Entities, trust.Entity{DID: ik.DIDJWK(), Role: trust.RoleIssuer, Status: trust.StatusActive,
			Names: names, ValidFrom: wd.start,
			IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: vct, MaxStrength: 4, MaxValidity: 4, MaxVerification: 4, From: wd.start}}})
		wd.regMu.Unlock()
	}
	st, err := issuerbolt.Open(filepath.Join(t.TempDir(), "issuer.db"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	hk := make([]byte, 32)
	rand.Read(hk)
	quiet := slog.New(slog.DiscardHandler)
	iss, err := issuer.New(issuer.Config{URL: srv.URL, Dev: true, Names: map[string]string{"en": names["en"] + " (metadata)"},
		Types: []string{vct}, Catalogue: wd.catalog, Key: ik, HashKey: hk, Store: st, Logger: quiet, BatchSize: batch})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iss.Close() })
	h, err := issuerapi.New(iss, issuerapi.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	return iss
}

func (wd *world) offer(t testing.TB, tx bool) *issuer.Offer {
	t.Helper()
	o, err := wd.iss.CreateOffer(context.Background(), issuer.OfferRequest{VCT: regVCT, Claims: regClaims(), TxCode: tx})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestReceiveWithTxCode(t *testing.T) {
	wd := newWorld(t, true)
	ctx := context.Background()
	o := wd.offer(t, true)
	p, err := wd.w.PreviewOffer(ctx, wd.sess, o.URI, "fr")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Trusted || p.IssuerName != "ONG de secours" || p.TxCode == nil || p.TxCode.Length != len(o.TxCode) || p.Warning != nil {
		t.Fatalf("preview: %+v", p)
	}
	if p.VCT != regVCT || len(p.Claims) == 0 || p.TypeLabel == "" || p.TypeLabel == regVCT {
		t.Errorf("labels: type %q claims %v", p.TypeLabel, p.Claims)
	}
	// The project's issuer issues a batch: one copy per holder key.
	if p.Copies != wallet.DefaultHolderKeys || p.Linkable {
		t.Errorf("copies %d linkable %v", p.Copies, p.Linkable)
	}
	if _, err := wd.w.AcceptOffer(ctx, wd.sess, p.ID, "", false); !errors.Is(err, wallet.ErrTxCode) {
		t.Fatalf("no tx code: %v", err)
	}
	wrong := []byte(o.TxCode)
	wrong[0] = '0' + (wrong[0]-'0'+1)%10
	if _, err := wd.w.AcceptOffer(ctx, wd.sess, p.ID, string(wrong), false); !errors.Is(err, wallet.ErrTxCode) {
		t.Fatalf("wrong tx code: %v", err)
	}
	a, err := wd.w.AcceptOffer(ctx, wd.sess, p.ID, o.TxCode, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.IDs) != wallet.DefaultHolderKeys || !slices.Equal(a.KeyIndices, []int{0, 1, 2, 3, 4}) || a.Linkable || a.Note != nil || a.IssuerDID != wd.iss.DID() || a.Status != "valid" {
		t.Errorf("accepted: %+v", a)
	}
	if _, err := wd.w.AcceptOffer(ctx, wd.sess, p.ID, o.TxCode, false); !errors.Is(err, wallet.ErrNoPreview) {
		t.Errorf("second answer: %v", err)
	}
	list, _ := wd.w.ListCredentials(ctx, wd.sess)
	if len(list) != wallet.DefaultHolderKeys {
		t.Fatalf("stored %d copies", len(list))
	}
	for _, c := range list {
		if c.Group != a.Group || c.Status == nil || c.VCT != regVCT {
			t.Errorf("stored: %+v", c)
		}
	}
	log, _ := wd.w.Log(ctx, wd.sess)
	if len(log) != 1 || log[0].Event != wallet.EventOfferAccepted || log[0].PartyName != "ONG de secours" {
		t.Errorf("log: %+v", log)
	}
}

// TestReceiveNoBatch: an issuer without batch issuance gives one copy,
// bound to key 0, and the holder is told it is linkable.
func TestReceiveNoBatch(t *testing.T) {
	wd := newWorldBatch(t, true, 1)
	ctx := context.Background()
	p, err := wd.w.PreviewOffer(ctx, wd.sess, wd.offer(t, false).URI, "en")
	if err != nil {
		t.Fatal(err)
	}
	if p.Copies != 1 || !p.Linkable {
		t.Errorf("preview copies %d linkable %v", p.Copies, p.Linkable)
	}
	a, err := wd.w.AcceptOffer(ctx, wd.sess, p.ID, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.IDs) != 1 || !slices.Equal(a.KeyIndices, []int{0}) || !a.Linkable || a.Note == nil || a.Note.Code != wallet.NoticeSingleCopy || !strings.Contains(a.Note.Text, "link") {
		t.Errorf("accepted: %+v", a)
	}
}

func TestReceiveUntrustedAndRefuse(t *testing.T) {
	wd := newWorld(t, false)
	ctx := context.Background()
	p, err := wd.w.PreviewOffer(ctx, wd.sess, wd.offer(t, false).URI, "en")
	if err != nil {
		t.Fatal(err)
	}
	if p.Trusted || p.Warning == nil || p.Warning.Code != wallet.NoticeUntrustedIssuer || !strings.Contains(p.Warning.Text, "not a trusted issuer") {
		t.Fatalf("preview: %+v", p)
	}
	if _, err := wd.w.AcceptOffer(ctx, wd.sess, p.ID, "", false); !errors.Is(err, wallet.ErrUntrustedIssuer) {
		t.Fatalf("unconfirmed: %v", err)
	}
	a, err := wd.w.AcceptOffer(ctx, wd.sess, p.ID, "", true)
	if err != nil {
		t.Fatal(err)
	}
	if a.Trusted || len(a.IDs) != wallet.DefaultHolderKeys {
		t.Errorf("accepted: %+v", a)
	}
	p2, err := wd.w.PreviewOffer(ctx, wd.sess, wd.offer(t, false).URI, "en")
	if err != nil {
		t.Fatal(err)
	}
	if err := wd.w.RefuseOffer(ctx, wd.sess, p2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := wd.w.AcceptOffer(ctx, wd.sess, p2.ID, "", true); !errors.Is(err, wallet.ErrNoPreview) {
		t.Errorf("after refusal: %v", err)
	}
	log, _ := wd.w.Log(ctx, wd.sess)
	if len(log) != 2 || log[1].Event != wallet.EventOfferRefused {
		t.Errorf("log: %+v", log)
	}
}

// testVerifier is a verifier built from internal/oid4vp.
type testVerifier struct {
	t        testing.TB
	srv      *httptest.Server
	signer   *jose.Signer
	clientID string
	did      string
	encKey   *ecdh.PrivateKey
	mu       sync.Mutex
	req      *oid4vp.AuthorizationRequest
	got      []*oid4vp.Response
	mode     string
	// walletNonces are the wallet_nonce values POSTed to /request.
	walletNonces []string
	noEcho       bool
	// tamper, when set, changes the request object GET /request serves.
	tamper func(string) string
}

func newVerifier(t testing.TB, wd *world, purpose string, registered []string) *testVerifier {
	k, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	v := &testVerifier{t: t, did: k.DIDJWK()}
	v.signer = k.JoseSigner().WithKeyID(v.did + "#0")
	v.clientID = oid4vp.PrefixDecentralizedIdentifier + ":" + v.did
	v.encKey, _ = ecdh.P256().GenerateKey(rand.Reader)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /request", func(w http.ResponseWriter, r *http.Request) {
		v.mu.Lock()
		defer v.mu.Unlock()
		tok, err := oid4vp.SignRequestObject(v.signer, v.req, oid4vp.SignOptions{Options: oid4vp.Options{Dev: true}})
		if err != nil {
			t.Error(err)
			http.Error(w, "x", 500)
			return
		}
		if v.tamper != nil {
			tok = v.tamper(tok)
		}
		w.Header().Set("Content-Type", oid4vp.RequestObjectMediaType)
		io.WriteString(w, tok)
	})
	mux.HandleFunc("POST /request", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		post, err := oid4vp.ParseRequestURIPost(b)
		if err != nil || post.WalletNonce == "" {
			t.Errorf("request_uri POST: %v", err)
			http.Error(w, "bad", 400)
			return
		}
		v.mu.Lock()
		defer v.mu.Unlock()
		req := *v.req
		if !v.noEcho {
			req.WalletNonce = post.WalletNonce
		}
		v.walletNonces = append(v.walletNonces, post.WalletNonce)
		tok, err := oid4vp.SignRequestObject(v.signer, &req, oid4vp.SignOptions{Options: oid4vp.Options{Dev: true}})
		if err != nil {
			t.Error(err)
			http.Error(w, "x", 500)
			return
		}
		w.Header().Set("Content-Type", oid4vp.RequestObjectMediaType)
		io.WriteString(w, tok)
	})
	mux.HandleFunc("POST /response", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		v.mu.Lock()
		defer v.mu.Unlock()
		resp, err := oid4vp.ParseResponse(b, oid4vp.ResponseOptions{Mode: v.mode, Key: v.encKey})
		if err != nil {
			t.Errorf("verifier: %v", err)
			http.Error(w, "bad", 400)
			return
		}
		v.got = append(v.got, resp)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"redirect_uri":"http://verifier.example/done"}`)
	})
	v.srv = httptest.NewServer(mux)
	t.Cleanup(v.srv.Close)
	wd.regMu.Lock()
	wd.reg.Entities = append(wd.reg.Entities, trust.Entity{DID: v.did, Role: trust.RoleVerifier, Status: trust.StatusActive,
		Names: map[string]string{"en": "Shelter desk", "fr": "Accueil du foyer"}, ValidFrom: wd.start,
		VerifierAuthorizations: []trust.VerifierAuthorization{{Purpose: purpose, Claims: registered, From: wd.start}}})
	wd.regMu.Unlock()
	return v
}

func (v *testVerifier) request(t testing.TB, mode string, claims ...string) string {
	var cq []string
	for _, c := range claims {
		cq = append(cq, `{"path":["`+c+`"]}`)
	}
	return v.requestQuery(t, mode, []byte(`{"credentials":[{"id":"reg","format":"dc+sd-jwt","meta":{"vct_values":["`+regVCT+`"]},"claims":[`+strings.Join(cq, ",")+`]}]}`))
}

// requestQuery makes the verifier's next request ask dcql and returns the
// openid4vp:// URI to scan.
func (v *testVerifier) requestQuery(t testing.TB, mode string, dcql []byte) string {
	q, err := oid4vp.ParseQuery(dcql)
	if err != nil {
		t.Fatal(err)
	}
	n := make([]byte, 16)
	rand.Read(n)
	req := &oid4vp.AuthorizationRequest{ClientID: v.clientID, ResponseType: oid4vp.ResponseTypeVPToken, ResponseMode: mode,
		ResponseURI: v.srv.URL + "/response", Nonce: jose.B64.EncodeToString(n), State: "st-1", DCQLQuery: q}
	if mode == oid4vp.ResponseModeDirectPostJWT {
		jwk, _ := jose.NewECDHJWK(v.encKey.PublicKey())
		jwk.Kid = "enc-1"
		req.ClientMetadata = &oid4vp.ClientMetadata{JWKS: &oid4vp.JWKS{Keys: []jose.JWK{*jwk}}, EncryptedResponseEncValuesSupported: []string{jose.A256GCM}}
	}
	v.mu.Lock()
	v.req, v.mode = req, mode
	v.mu.Unlock()
	uri, err := oid4vp.BuildRequestURI(v.clientID, v.srv.URL+"/request", oid4vp.RequestURIMethodGet)
	if err != nil {
		t.Fatal(err)
	}
	return uri
}

// check verifies the last presentation as a verifier would.
func (v *testVerifier) check(t *testing.T, issuerDID string) *sdjwtvc.Result {
	t.Helper()
	v.mu.Lock()
	defer v.mu.Unlock()
	resp := v.got[len(v.got)-1]
	pres := resp.VPToken["reg"]
	if len(pres) != 1 {
		t.Fatalf("vp_token: %v", resp.VPToken)
	}
	r, err := sdjwtvc.Verify(context.Background(), pres[0], sdjwtvc.VerifyOptions{Now: time.Now, RequireKeyBinding: true, Nonce: v.req.Nonce, Audience: v.clientID,
		Trust: sdjwtvc.Trust{Resolver: &did.Resolver{}, TrustedDIDs: []string{issuerDID}}})
	if err != nil {
		t.Fatalf("verifier: %v", err)
	}
	return r
}

func (wd *world) receive(t testing.TB) *wallet.Accepted {
	t.Helper()
	ctx := context.Background()
	p, err := wd.w.PreviewOffer(ctx, wd.sess, wd.offer(t, false).URI, "en")
	if err != nil {
		t.Fatal(err)
	}
	a, err := wd.w.AcceptOffer(ctx, wd.sess, p.ID, "", false)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestEndToEnd: the project's issuer → wallet → a verifier built from
// internal/oid4vp: a transaction code, a consent with a subset of claims
// over direct_post.jwt, an over-asking verifier flagged, a refusal.
func TestEndToEnd(t *testing.T) {
	wd := newWorld(t, true)
	ctx := context.Background()
	// Receiving with a transaction code.
	o := wd.offer(t, true)
	po, err := wd.w.PreviewOffer(ctx, wd.sess, o.URI, "fr")
	if err != nil {
		t.Fatal(err)
	}
	if po.TxCode == nil {
		t.Fatal("no transaction code asked")
	}
	if _, err := wd.w.AcceptOffer(ctx, wd.sess, po.ID, o.TxCode, false); err != nil {
		t.Fatal(err)
	}
	v := newVerifier(t, wd, "shelter-intake", []string{"/family_name", "/given_name"})

	// Over-asking: birthdate is beyond the purpose.
	p, err := wd.w.PreviewRequest(ctx, wd.sess, v.request(t, oid4vp.ResponseModeDirectPostJWT, "family_name", "given_name", "birthdate"), "fr")
	if err != nil {
		t.Fatal(err)
	}
	if !p.CanAnswer || p.VerifierName != "Accueil du foyer" || p.Purpose != "shelter-intake" || !p.Encrypted || len(p.Queries) != 1 {
		t.Fatalf("preview: %+v", p)
	}
	if len(p.OutsidePurpose) != 1 || p.OutsidePurpose[0].Path != "/birthdate" || !slices.ContainsFunc(p.Warnings, func(n wallet.Notice) bool {
		return n.Code == wallet.NoticeOutsidePurpose && n.Claim == "/birthdate" && strings.Contains(n.Text, "shelter-intake") && strings.Contains(n.Text, "Accueil du foyer")
	}) {
		t.Errorf("over-asking not flagged: %+v %v", p.OutsidePurpose, p.Warnings)
	}
	if got := p.Queries[0].Claims; len(got) != 3 || got[0].Label == "/family_name" {
		t.Errorf("claims (labelled in fr): %+v", got)
	}
	// Consent to a subset: no birthdate.
	if _, err := wd.w.Respond(ctx, wd.sess, p.ID, wallet.Consent{Only: []string{"/registration_id"}}); !errors.Is(err, wallet.ErrConsent) {
		t.Fatalf("consent beyond the request: %v", err)
	}
	out, err := wd.w.Respond(ctx, wd.sess, p.ID, wallet.Consent{Only: []string{"/family_name", "/given_name"}})
	if err != nil {
		t.Fatal(err)
	}
	if out.RedirectURI != "http://verifier.example/done" {
		t.Errorf("redirect %q", out.RedirectURI)
	}
	if !v.got[0].Encrypted {
		t.Error("not direct_post.jwt")
	}
	r := v.check(t, wd.iss.DID())
	if r.Claims["family_name"] != "Haddad" || r.Claims["given_name"] != "Amina" || r.Claims["birthdate"] != nil {
		t.Errorf("verifier saw %v", r.Claims)
	}

	// A refusal: access_denied and the state, nothing else.
	p2, err := wd.w.PreviewRequest(ctx, wd.sess, v.request(t, oid4vp.ResponseModeDirectPost, "family_name"), "en")
	if err != nil {
		t.Fatal(err)
	}
	if len(p2.OutsidePurpose) != 0 {
		t.Errorf("inside purpose flagged: %v", p2.OutsidePurpose)
	}
	if err := wd.w.RefuseRequest(ctx, wd.sess, p2.ID); err != nil {
		t.Fatal(err)
	}
	if last := v.got[len(v.got)-1]; !last.IsAccessDenied() || last.State != "st-1" || len(last.VPToken) != 0 {
		t.Errorf("refusal: %+v", last)
	}
	log, _ := wd.w.Log(ctx, wd.sess)
	if n := len(log); n != 3 || log[1].Event != wallet.EventPresentation || log[1].Purpose != "shelter-intake" ||
		!slices.Equal(log[1].Claims, []string{"family_name", "given_name"}) || log[2].Event != wallet.EventRefusal {
		t.Errorf("log: %+v", log)
	}
}

func TestRequestRefusals(t *testing.T) {
	wd := newWorld(t, true)
	ctx := context.Background()
	wd.receive(t)
	v := newVerifier(t, wd, "p", []string{"/family_name"})
	uri := v.request(t, oid4vp.ResponseModeDirectPost, "family_name")
	// Unregistered verifier.
	wd.regMu.Lock()
	saved := wd.reg
	wd.reg = &trust.Registry{Entities: saved.Entities[:1]}
	wd.regMu.Unlock()
	if _, err := wd.w.PreviewRequest(ctx, wd.sess, uri, "en"); !errors.Is(err, wallet.ErrVerifierUnknown) {
		t.Errorf("unregistered: %v", err)
	}
	wd.regMu.Lock()
	wd.reg = saved
	wd.regMu.Unlock()
	// A bad signature: another key signs under the verifier's kid.
	other, _ := keys.Generate(jose.ES256, nil)
	good := v.signer
	v.signer = other.JoseSigner().WithKeyID(v.did + "#0")
	if _, err := wd.w.PreviewRequest(ctx, wd.sess, uri, "en"); !errors.Is(err, wallet.ErrRequest) {
		t.Errorf("bad signature: %v", err)
	}
	v.signer = good
	// The wrong typ, signed by the right key.
	v.tamper = func(tok string) string {
		parts := strings.Split(tok, ".")
		payload, _ := jose.B64.DecodeString(parts[1])
		jws, err := good.Sign(map[string]any{"typ": "JWT", "kid": v.did + "#0"}, payload)
		if err != nil {
			t.Fatal(err)
		}
		return jws
	}
	if _, err := wd.w.PreviewRequest(ctx, wd.sess, uri, "en"); !errors.Is(err, wallet.ErrRequest) || !strings.Contains(err.Error(), "typ") {
		t.Errorf("wrong typ: %v", err)
	}
	v.tamper = nil
	if _, err := wd.w.PreviewRequest(ctx, wd.sess, uri, "en"); err != nil {
		t.Errorf("the control request: %v", err)
	}
	// Garbage.
	for _, s := range []string{"", "https://example.com", "openid4vp://?client_id=x"} {
		if _, err := wd.w.PreviewRequest(ctx, wd.sess, s, "en"); !errors.Is(err, wallet.ErrRequest) {
			t.Errorf("%q: %v", s, err)
		}
	}
}

// TestRequestURIPrivateRefused: without Dev, a request_uri on a loopback
// address is refused by the guarded client.
func TestRequestURIPrivateRefused(t *testing.T) {
	ws, _ := boltstore.Open(filepath.Join(t.TempDir(), "w.db"))
	defer ws.Close()
	pepper := make([]byte, 32)
	w, _ := wallet.New(wallet.Config{Store: ws, Pepper: pepper, KDF: wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}})
	device := make([]byte, 32)
	ctx := context.Background()
	c, _ := w.CreateHolder(ctx, wallet.CreateRequest{PIN: "2468", DeviceSecret: device})
	sess, err := w.Login(ctx, wallet.LoginRequest{HolderID: c.HolderID, PIN: "2468", DeviceSecret: device})
	if err != nil {
		t.Fatal(err)
	}
	uri, _ := oid4vp.BuildRequestURI("decentralized_identifier:did:web:verifier.example", "https://127.0.0.1/request", oid4vp.RequestURIMethodGet)
	if _, err := w.PreviewRequest(ctx, sess, uri, "en"); !errors.Is(err, wallet.ErrRequest) || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("private request_uri: %v", err)
	}
	if _, err := w.PreviewOffer(ctx, sess, "openid-credential-offer://?credential_offer_uri=https%3A%2F%2F10.0.0.1%2Foffer", "en"); !errors.Is(err, wallet.ErrOffer) {
		t.Errorf("private offer uri: %v", err)
	}
}

// TestProximityQRVersion: 4 claims of a registration credential fit a
// QR code of version ≤ 25, and the verifier's decoder gets back a
// presentation bound to the challenge.
func TestProximityQRVersion(t *testing.T) {
	wd := newWorld(t, true)
	ctx := context.Background()
	wd.receive(t)
	list, _ := wd.w.ListCredentials(ctx, wd.sess)
	code, err := wd.w.Proximity(ctx, wd.sess, "K7Q2-91XA", wallet.ProximityRequest{CredentialID: list[0].ID,
		Paths: []string{"/family_name", "/given_name", "/birthdate", "/registration_id"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("proximity: %d characters, QR version %d-%s, PNG %d bytes", len(code.Text), code.Version, code.Level, len(code.PNG))
	if code.Version < 1 || code.Version > 25 || code.Level != "M" {
		t.Errorf("QR version %d-%s, want ≤ 25 at level M", code.Version, code.Level)
	}
	scanned, err := qr.Decode(code.PNG)
	if err != nil || scanned != code.Text {
		t.Fatalf("scan: %v", err)
	}
	pres, err := proximity.Decode(scanned)
	if err != nil {
		t.Fatal(err)
	}
	r, err := sdjwtvc.Verify(ctx, pres, sdjwtvc.VerifyOptions{Now: time.Now, RequireKeyBinding: true, Nonce: "K7Q2-91XA", Audience: proximity.Audience,
		Trust: sdjwtvc.Trust{Resolver: &did.Resolver{}, TrustedDIDs: []string{wd.iss.DID()}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Claims["birthdate"] != "1991-04-12" || r.Claims["registration_place"] != nil {
		t.Errorf("claims %v", r.Claims)
	}
	if _, err := sdjwtvc.Verify(ctx, pres, sdjwtvc.VerifyOptions{Now: time.Now, RequireKeyBinding: true, Nonce: "other", Audience: proximity.Audience,
		Trust: sdjwtvc.Trust{Resolver: &did.Resolver{}, TrustedDIDs: []string{wd.iss.DID()}}}); err == nil {
		t.Error("another challenge accepted")
	}
}

// BenchmarkProximity makes the offline presentation of 4 claims and
// reports its size and QR version (and level: 0 for M, 1 for L).
func BenchmarkProximity(b *testing.B) {
	wd := newWorld(b, true)
	ctx := context.Background()
	wd.receive(b)
	list, _ := wd.w.ListCredentials(ctx, wd.sess)
	req := wallet.ProximityRequest{CredentialID: list[0].ID, Paths: []string{"/family_name", "/given_name", "/birthdate", "/registration_id"}}
	var code *wallet.ProximityCode
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if code, err = wd.w.Proximity(ctx, wd.sess, "K7Q2-91XA", req); err != nil {
			b.Fatal(err)
		}
	}
	pres, _ := proximity.Decode(code.Text)
	b.ReportMetric(float64(len(pres)), "compact-chars")
	b.ReportMetric(float64(len(code.Text)), "cp1-chars")
	b.ReportMetric(float64(code.Version), "qr-version")
	lv := 0.0
	if code.Level == "L" {
		lv = 1
	}
	b.ReportMetric(lv, "level-L")
}

// TestRequestURIPost: with request_uri_method=post the wallet POSTs a
// wallet_nonce and the signed request object must echo it.
func TestRequestURIPost(t *testing.T) {
	wd := newWorld(t, true)
	ctx := context.Background()
	wd.receive(t)
	v := newVerifier(t, wd, "intake", []string{"/family_name"})
	v.request(t, oid4vp.ResponseModeDirectPost, "family_name")
	uri, err := oid4vp.BuildRequestURI(v.clientID, v.srv.URL+"/request", oid4vp.RequestURIMethodPost)
	if err != nil {
		t.Fatal(err)
	}
	p, err := wd.w.PreviewRequest(ctx, wd.sess, uri, "en")
	if err != nil {
		t.Fatal(err)
	}
	if len(v.walletNonces) != 1 || !p.CanAnswer {
		t.Fatalf("wallet nonces %v, preview %+v", v.walletNonces, p)
	}
	if _, err := wd.w.Respond(ctx, wd.sess, p.ID, wallet.Consent{}); err != nil {
		t.Fatal(err)
	}
	// A request object that does not echo the wallet's nonce is refused.
	v.mu.Lock()
	v.noEcho = true
	v.mu.Unlock()
	if _, err := wd.w.PreviewRequest(ctx, wd.sess, uri, "en"); !errors.Is(err, wallet.ErrRequest) {
		t.Errorf("wallet_nonce not echoed: %v", err)
	}
}

// TestDevRedirectURI: in development mode, an unsigned request with the
// redirect_uri prefix is answered, flagged as unregistered.
func TestDevRedirectURI(t *testing.T) {
	wd := newWorld(t, true)
	ctx := context.Background()
	wd.receive(t)
	v := newVerifier(t, wd, "intake", []string{"/family_name"})
	v.request(t, oid4vp.ResponseModeDirectPost, "family_name")
	resp := v.srv.URL + "/response"
	clientID := oid4vp.PrefixRedirectURI + ":" + resp
	q := `{"credentials":[{"id":"reg","format":"dc+sd-jwt","meta":{"vct_values":["` + regVCT + `"]},"claims":[{"path":["family_name"]}]}]}`
	uri := "openid4vp://?" + url.Values{"client_id": {clientID}, "response_type": {"vp_token"}, "response_mode": {"direct_post"},
		"response_uri": {resp}, "nonce": {"dev-nonce-1"}, "state": {"st-1"}, "dcql_query": {q}}.Encode()
	p, err := wd.w.PreviewRequest(ctx, wd.sess, uri, "en")
	if err != nil {
		t.Fatal(err)
	}
	if p.Registered || len(p.Warnings) != 1 || p.Warnings[0].Code != wallet.NoticeUnregisteredVerifier || !p.CanAnswer {
		t.Fatalf("preview %+v", p)
	}
	if _, err := wd.w.Respond(ctx, wd.sess, p.ID, wallet.Consent{}); err != nil {
		t.Fatal(err)
	}
	pres := v.got[len(v.got)-1].VPToken["reg"][0]
	if _, err := sdjwtvc.Verify(ctx, pres, sdjwtvc.VerifyOptions{Now: time.Now, RequireKeyBinding: true, Nonce: "dev-nonce-1", Audience: clientID,
		Trust: sdjwtvc.Trust{Resolver: &did.Resolver{}, TrustedDIDs: []string{wd.iss.DID()}}}); err != nil {
		t.Fatal(err)
	}
}

// TestPreviewLabelsFromMetadata: without the catalogue, the preview's
// labels come from the issuer's metadata, in the holder's language.
func TestPreviewLabelsFromMetadata(t *testing.T) {
	wd := newWorldBatch(t, true, 0, func(f *wallet.FlowConfig) { f.Catalogue = nil })
	cat, _ := loadCatalogue()
	typ, _ := cat.Lookup(regVCT)
	p, err := wd.w.PreviewOffer(context.Background(), wd.sess, wd.offer(t, false).URI, "uk")
	if err != nil {
		t.Fatal(err)
	}
	if p.TypeLabel != typ.DisplayName("uk") || p.TypeLabel == regVCT {
		t.Errorf("type label %q, want %q", p.TypeLabel, typ.DisplayName("uk"))
	}
	found := false
	for _, c := range p.Claims {
		if c.Path == "/given_name" {
			found = true
			if want := typ.Label([]any{"given_name"}, "uk"); c.Label != want {
				t.Errorf("given_name label %q, want %q", c.Label, want)
			}
		}
	}
	if !found {
		t.Errorf("claims %v", p.Claims)
	}
}

// TestNoticesInTheHolderLanguage: the untrusted-issuer warning in each
// language the holder may use (English for others).
func TestNoticesInTheHolderLanguage(t *testing.T) {
	wd := newWorld(t, false)
	for _, tc := range []struct{ lang, phrase string }{
		{"en", "not a trusted issuer"}, {"fr", "n’est pas un émetteur reconnu"}, {"fr-CA", "n’est pas un émetteur reconnu"},
		{"ar", "ليس جهة إصدار موثوقة"}, {"uk", "не є довіреним видавцем"}, {"de", "not a trusted issuer"},
	} {
		p, err := wd.w.PreviewOffer(context.Background(), wd.sess, wd.offer(t, false).URI, tc.lang)
		if err != nil {
			t.Fatal(err)
		}
		if p.Warning == nil || !strings.Contains(p.Warning.Text, tc.phrase) || !strings.Contains(p.Warning.Text, p.TypeLabel) || strings.Contains(p.Warning.Text, "{") {
			t.Errorf("%s: %+v", tc.lang, p.Warning)
		}
	}
}

// TestReceiveAfterRefresh: after RefreshKeys, new credentials are bound
// to the new key set.
func TestReceiveAfterRefresh(t *testing.T) {
	wd := newWorld(t, true)
	ctx := context.Background()
	fresh, err := wd.w.RefreshKeys(ctx, wd.sess)
	if err != nil {
		t.Fatal(err)
	}
	p, err := wd.w.PreviewOffer(ctx, wd.sess, wd.offer(t, false).URI, "en")
	if err != nil {
		t.Fatal(err)
	}
	a, err := wd.w.AcceptOffer(ctx, wd.sess, p.ID, "", false)
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for _, k := range fresh {
		want = append(want, k.Index)
	}
	if !slices.Equal(a.KeyIndices, want) || p.Copies != len(want) {
		t.Errorf("copies bound to %v (preview said %d), want the new keys %v", a.KeyIndices, p.Copies, want)
	}
}

// TestInseparableClaimsShown: the issuer discloses registration_place only
// as a whole (its members are "sd": "allowed", not "always"), so a request
// for its country reveals the locality too: the preview lists both (and
// checks both against the purpose), a consent keeping the country without
// the locality is refused, and the verifier receives exactly what the
// preview listed. (Found by the npm verifier interop test.)
func TestInseparableClaimsShown(t *testing.T) {
	wd := newWorld(t, true)
	ctx := context.Background()
	wd.receive(t)
	v := newVerifier(t, wd, "intake", []string{"/family_name", "/registration_place/country"})
	q := `{"credentials":[{"id":"reg","format":"dc+sd-jwt","meta":{"vct_values":["` + regVCT + `"]},"claims":[{"path":["family_name"]},{"path":["registration_place","country"]}]}]}`
	p, err := wd.w.PreviewRequest(ctx, wd.sess, v.requestQuery(t, oid4vp.ResponseModeDirectPost, []byte(q)), "en")
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, c := range p.Queries[0].Claims {
		listed = append(listed, c.Path)
	}
	if want := []string{"/family_name", "/registration_place/country", "/registration_place/locality"}; !slices.Equal(listed, want) {
		t.Fatalf("preview lists %v, want %v", listed, want)
	}
	if len(p.OutsidePurpose) != 1 || p.OutsidePurpose[0].Path != "/registration_place/locality" || p.OutsidePurpose[0].Label == "/registration_place/locality" {
		t.Errorf("outside purpose %+v", p.OutsidePurpose)
	}
	if _, err := wd.w.Respond(ctx, wd.sess, p.ID, wallet.Consent{Only: []string{"/family_name", "/registration_place/country"}}); !errors.Is(err, wallet.ErrConsent) || !strings.Contains(err.Error(), "/registration_place/locality") {
		t.Fatalf("consent without the inseparable locality: %v", err)
	}
	if len(v.got) != 0 {
		t.Fatal("something was sent")
	}
	// The preview is still answerable; without the place nothing of it leaves.
	if _, err := wd.w.Respond(ctx, wd.sess, p.ID, wallet.Consent{Only: []string{"/family_name"}}); err != nil {
		t.Fatal(err)
	}
	if r := v.check(t, wd.iss.DID()); r.Claims["registration_place"] != nil || r.Claims["family_name"] != "Haddad" {
		t.Errorf("verifier saw %v", r.Claims)
	}
	p, err = wd.w.PreviewRequest(ctx, wd.sess, v.requestQuery(t, oid4vp.ResponseModeDirectPost, []byte(q)), "en")
	if err != nil {
		t.Fatal(err)
	}
	out, err := wd.w.Respond(ctx, wd.sess, p.ID, wallet.Consent{})
	if err != nil {
		t.Fatal(err)
	}
	r := v.check(t, wd.iss.DID())
	if place, _ := r.Claims["registration_place"].(map[string]any); len(place) != 2 || place["country"] != "LB" || place["locality"] != "Zahlé" {
		t.Errorf("verifier saw %v", r.Claims)
	}
	if !slices.Equal(out.Claims, listed) {
		t.Errorf("presented %v, preview listed %v", out.Claims, listed)
	}
}

// TestRefusalEncrypted: a refusal of a direct_post.jwt request is sent
// encrypted, like an answer (OpenID4VP 1.0 §8.3.1), and still carries
// access_denied and the state only.
func TestRefusalEncrypted(t *testing.T) {
	wd := newWorld(t, true)
	ctx := context.Background()
	wd.receive(t)
	v := newVerifier(t, wd, "intake", []string{"/family_name"})
	p, err := wd.w.PreviewRequest(ctx, wd.sess, v.request(t, oid4vp.ResponseModeDirectPostJWT, "family_name"), "en")
	if err != nil {
		t.Fatal(err)
	}
	if err := wd.w.RefuseRequest(ctx, wd.sess, p.ID); err != nil {
		t.Fatal(err)
	}
	if len(v.got) != 1 || !v.got[0].Encrypted || !v.got[0].IsAccessDenied() || v.got[0].State != "st-1" || len(v.got[0].VPToken) != 0 || v.got[0].ErrorDescription != "" {
		t.Errorf("refusal as the verifier read it: %+v", v.got)
	}
}

// TestMultipleAnswersWithEveryMatch: a credential query with "multiple"
// (DCQL §6.1; an identity question whose every answer is a piece of
// evidence) is answered with every matching credential, each shown in
// the consent view; without it, with one.
func TestMultipleAnswersWithEveryMatch(t *testing.T) {
	wd := newWorld(t, true)
	ctx := context.Background()
	for range 2 {
		o := wd.offer(t, false)
		po, err := wd.w.PreviewOffer(ctx, wd.sess, o.URI, "en")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wd.w.AcceptOffer(ctx, wd.sess, po.ID, "", false); err != nil {
			t.Fatal(err)
		}
	}
	v := newVerifier(t, wd, "shelter-intake", []string{"/family_name", "/given_name"})
	for _, c := range []struct {
		multiple string
		want     int
	}{{`,"multiple":true`, 2}, {``, 1}, {`,"multiple":false`, 1}} {
		q := `{"credentials":[{"id":"reg","format":"dc+sd-jwt"` + c.multiple + `,"meta":{"vct_values":["` + regVCT + `"]},"claims":[{"path":["family_name"]}]}]}`
		p, err := wd.w.PreviewRequest(ctx, wd.sess, v.requestQuery(t, oid4vp.ResponseModeDirectPost, []byte(q)), "en")
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Queries) != c.want || (c.want == 2 && p.Queries[0].CredentialID == p.Queries[1].CredentialID) {
			t.Fatalf("multiple %q: consent view %+v", c.multiple, p.Queries)
		}
		out, err := wd.w.Respond(ctx, wd.sess, p.ID, wallet.Consent{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out.Claims, []string{"/family_name"}) {
			t.Errorf("claims sent %v: each once", out.Claims)
		}
		v.mu.Lock()
		got := len(v.got[len(v.got)-1].VPToken["reg"])
		v.mu.Unlock()
		if got != c.want {
			t.Errorf("multiple %q: %d presentations sent, want %d", c.multiple, got, c.want)
		}
	}
}

// TestPreviewPurposeName: the consent view names the verifier's purpose
// as the holder reads it (the shipped purpose's name in the holder's
// language, not its id), picks the closest-fitting of several purposes
// that leave the same claims outside, and isolates every inserted value
// of the Arabic over-asking notice (FSI…PDI) in the order of the text.
func TestPreviewPurposeName(t *testing.T) {
	wd := newWorld(t, true)
	ctx := context.Background()
	wd.receive(t)
	v := newVerifier(t, wd, "clinic-access", []string{"/family_name", "/given_name", "/registration_id"})
	wd.regMu.Lock()
	e := &wd.reg.Entities[len(wd.reg.Entities)-1]
	e.VerifierAuthorizations = append(e.VerifierAuthorizations, trust.VerifierAuthorization{Purpose: "bank-account", Claims: []string{"/family_name", "/given_name"}, From: wd.start})
	wd.regMu.Unlock()
	p, err := wd.w.PreviewRequest(ctx, wd.sess, v.request(t, oid4vp.ResponseModeDirectPost, "family_name", "given_name", "birthdate"), "de, ar;q=0.5")
	if err != nil {
		t.Fatal(err)
	}
	// Both purposes leave birthdate outside; bank-account fits closest
	// (clinic-access also covers registration_id, not asked).
	if p.Purpose != "bank-account" || p.PurposeName != "فتح حساب مصرفي أساسي" {
		t.Fatalf("purpose %q name %q", p.Purpose, p.PurposeName)
	}
	var n *wallet.Notice
	for i := range p.Warnings {
		if p.Warnings[i].Code == wallet.NoticeOutsidePurpose {
			n = &p.Warnings[i]
		}
	}
	if n == nil {
		t.Fatalf("no over-asking notice: %+v", p.Warnings)
	}
	label := p.OutsidePurpose[0].Label
	var at []int
	for _, val := range []string{p.VerifierName, label, p.PurposeName} {
		i := strings.Index(n.Text, "\u2068"+val+"\u2069")
		if i < 0 {
			t.Fatalf("%q not isolated in %q", val, n.Text)
		}
		at = append(at, i)
	}
	if !slices.IsSorted(at) || strings.Count(n.Text, "\u2068") != 3 || strings.Count(n.Text, "\u2069") != 3 {
		t.Errorf("notice %q: values at %v", n.Text, at)
	}
}

// countingTransport counts the requests whose path holds "/status/".
type countingTransport struct {
	next   http.RoundTripper
	status atomic.Int32
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.URL.Path, "/status/") {
		c.status.Add(1)
	}
	return c.next.RoundTrip(r)
}

// TestAcceptFetchesStatusListOnce: the five copies of one issuance are
// on one status list, which the agent fetches once (through its status
// cache) to check them all; listing the credentials right after reads
// the same copy (no fetch).
func TestAcceptFetchesStatusListOnce(t *testing.T) {
	ct := &countingTransport{next: httpx.NewClient(httpx.Options{AllowPrivate: true}).Transport}
	wd := newWorldBatch(t, true, 0, func(f *wallet.FlowConfig) { f.HTTPClient = &http.Client{Transport: ct} })
	ctx := context.Background()
	a := wd.receive(t)
	if len(a.IDs) != wallet.DefaultHolderKeys || a.Status != "valid" {
		t.Fatalf("accepted: %+v", a)
	}
	if n := ct.status.Load(); n != 1 {
		t.Fatalf("%d status list fetches for %d copies, want 1", n, len(a.IDs))
	}
	list, err := wd.w.ListCredentials(ctx, wd.sess)
	if err != nil {
		t.Fatal(err)
	}
	sts, err := wd.w.Statuses(ctx, wd.sess, list, true)
	if err != nil || sts[a.Group].State != wallet.StatusValid || sts[a.Group].Source != wallet.SourceCache {
		t.Fatalf("statuses: %+v %v", sts, err)
	}
	if n := ct.status.Load(); n != 1 {
		t.Fatalf("%d status list fetches after listing, want 1", n)
	}
}
