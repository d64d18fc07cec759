package interop

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/issuer"
	issuerapi "github.com/cairn-id/cairn/issuer/api"
	issuerbolt "github.com/cairn-id/cairn/issuer/boltstore"
	"github.com/cairn-id/cairn/schemas"
	"github.com/cairn-id/cairn/wallet"
	walletapi "github.com/cairn-id/cairn/wallet/api"
	walletbolt "github.com/cairn-id/cairn/wallet/boltstore"
	"github.com/cairn-id/cairn/wallet/client"
)

// The independent OpenID4VP verifier (oid4vp/verifier.mjs), on
// @openid4vc/openid4vp's verifier side with sd-jwt-js for SD-JWT VC.
const (
	oid4vpVerifierJS = "verifier.mjs"
	// oid4vpLifetime bounds the Node verifier's run; it exits by itself then.
	oid4vpLifetime = 3 * time.Minute
	oid4vpPurpose  = "shelter-intake"
)

// npmVerifier is the Node verifier (oid4vp/verifier.mjs) running on
// loopback for the duration of one test.
type npmVerifier struct {
	URL      string            `json:"url"`
	ClientID string            `json:"client_id"`
	DID      string            `json:"did"`
	Token    string            `json:"token"`
	Versions map[string]string `json:"versions"`
	client   *http.Client
}

// startNPMVerifier starts the verifier; it stops when the test ends (stdin
// closed), or by itself after oid4vpLifetime.
func startNPMVerifier(t *testing.T, node string) *npmVerifier {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), oid4vpLifetime+10*time.Second)
	cmd := exec.CommandContext(ctx, node, oid4vpVerifierJS)
	cmd.Dir = oid4vpDir
	cmd.Env = append(os.Environ(), fmt.Sprintf("CAIRN_INTEROP_LIFETIME_MS=%d", oid4vpLifetime.Milliseconds()))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &limitedBuffer{max: maxNodeOutput}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	var stderrMu sync.Mutex
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil && !t.Failed() {
				t.Errorf("node %s: %v", oid4vpVerifierJS, err)
			}
		case <-time.After(10 * time.Second):
			cancel()
			<-done
		}
		cancel()
		stderrMu.Lock()
		defer stderrMu.Unlock()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("node %s stderr:\n%s", oid4vpVerifierJS, stderr.String())
		}
	})
	line := make(chan []byte, 1)
	go func() {
		r := bufio.NewReaderSize(stdout, 64<<10)
		b, _ := r.ReadBytes('\n')
		line <- b
		io.Copy(io.Discard, r)
	}()
	v := &npmVerifier{client: &http.Client{Timeout: 20 * time.Second}}
	select {
	case b := <-line:
		if err := json.Unmarshal(b, v); err != nil || v.URL == "" {
			t.Fatalf("node %s did not start (%v): %q", oid4vpVerifierJS, err, b)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("node %s did not start within 30 s", oid4vpVerifierJS)
	}
	t.Logf("npm verifier %v at %s", v.Versions, v.URL)
	return v
}

func (v *npmVerifier) call(t *testing.T, method, path string, in, out any) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, v.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-control", v.Token)
	res, err := v.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, maxNodeOutput))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s %s: %v: %.500s", method, path, err, b)
	}
}

type npmSession struct {
	ID       string `json:"id"`
	URI      string `json:"uri"`
	Nonce    string `json:"nonce"`
	State    string `json:"state"`
	ClientID string `json:"client_id"`
}

type npmSessionRequest struct {
	DCQLQuery      json.RawMessage `json:"dcql_query"`
	ResponseMode   string          `json:"response_mode"`
	TrustedIssuers []string        `json:"trusted_issuers"`
	Enc            []string        `json:"enc,omitempty"`
	LibraryAud     bool            `json:"library_aud,omitempty"`
}

func (v *npmVerifier) session(t *testing.T, r npmSessionRequest) npmSession {
	t.Helper()
	var s npmSession
	v.call(t, http.MethodPost, "/session", r, &s)
	if s.ClientID != v.ClientID || !strings.HasPrefix(s.URI, "openid4vp://?") {
		t.Fatalf("session %+v", s)
	}
	return s
}

// npmPresentation is the verifier's verdict on one presentation.
type npmPresentation struct {
	OK      bool     `json:"ok"`
	Error   string   `json:"error"`
	Checks  []string `json:"checks"`
	Missing []string `json:"missing"`
	Extra   []string `json:"extra"`
	// Disclosed names the claim of each disclosure ("[]" for an array element).
	Disclosed []string       `json:"disclosed"`
	Claims    map[string]any `json:"claims"`
	KBAud     string         `json:"kb_aud"`
}

// npmResult is what the verifier concluded from a session's response.
type npmResult struct {
	Pending       bool                         `json:"pending"`
	Served        int                          `json:"served"`
	OK            bool                         `json:"ok"`
	Error         string                       `json:"error"`
	Mode          string                       `json:"mode"`
	Library       string                       `json:"library"`
	Encrypted     bool                         `json:"encrypted"`
	JWE           map[string]string            `json:"jwe"`
	Refused       bool                         `json:"refused"`
	StateOK       bool                         `json:"state_ok"`
	ExtraParams   []string                     `json:"extra_params"`
	Unanswered    []string                     `json:"unanswered"`
	Presentations map[string][]npmPresentation `json:"presentations"`
}

func (v *npmVerifier) result(t *testing.T, id string) npmResult {
	t.Helper()
	var r npmResult
	v.call(t, http.MethodGet, "/result/"+id, nil, &r)
	return r
}

// oid4vpWorld is the project's issuer over HTTP (issuer/api), a
// registry, and a Cairn wallet agent (wallet/api) on loopback HTTP with
// its dev private-network allowance (what `cairn wallet serve
// --dev-allow-private-network` sets: its guarded client may reach the
// loopback issuer and verifier), used through wallet/client, the CLI's
// client, by one holder.
type oid4vpWorld struct {
	iss   *issuer.Service
	regMu sync.Mutex
	reg   *trust.Registry
	cl    *client.Client
	token string
	// agentLog is the agent's log: refusal causes are only logged, the
	// holder gets a message in their language.
	agentLog *testkit.SyncBuffer
	start    time.Time
}

func (wd *oid4vpWorld) registry() *trust.Registry {
	wd.regMu.Lock()
	defer wd.regMu.Unlock()
	return wd.reg
}

func newOID4VPWorld(t *testing.T) *oid4vpWorld {
	t.Helper()
	cat, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	wd := &oid4vpWorld{start: time.Now().Add(-time.Hour).UTC()}
	ik, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	wd.reg = &trust.Registry{ID: "urn:test:registry", Name: "Test Board", Authority: "did:example:board", Version: 1,
		IssuedAt: wd.start, Expires: wd.start.Add(48 * time.Hour),
		Entities: []trust.Entity{{DID: ik.DIDJWK(), Role: trust.RoleIssuer, Status: trust.StatusActive,
			Names: map[string]string{"en": "Relief NGO", "fr": "ONG de secours"}, ValidFrom: wd.start,
			StatusHistory:        []trust.StatusChange{{Status: trust.StatusActive, At: wd.start}},
			IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: oid4vciVCT, MaxStrength: 4, MaxValidity: 4, MaxVerification: 4, From: wd.start}}}}}
	st, err := issuerbolt.Open(filepath.Join(t.TempDir(), "issuer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	hk := make([]byte, 32)
	if _, err := rand.Read(hk); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	wd.iss, err = issuer.New(issuer.Config{URL: srv.URL, Dev: true, Names: map[string]string{"en": "Relief NGO"},
		Types: []string{oid4vciVCT}, Catalogue: cat, Key: ik, HashKey: hk, Store: st, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wd.iss.Close() })
	h, err := issuerapi.New(wd.iss, issuerapi.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h

	ws, err := walletbolt.Open(filepath.Join(t.TempDir(), "wallet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	pepper := make([]byte, 32)
	device := make([]byte, 32)
	rand.Read(pepper)
	rand.Read(device)
	// Flows.HTTPClient nil: the agent's guarded client, which Dev (the
	// private-network allowance) lets reach loopback. StatusMaxAge: the
	// agent reads the status list again for every answer, so the
	// revocation below is seen at once rather than after the issuer's
	// ttl.
	wd.agentLog = &testkit.SyncBuffer{}
	alog := slog.New(slog.NewJSONHandler(wd.agentLog, &slog.HandlerOptions{Level: slog.LevelInfo}))
	svc, err := wallet.New(wallet.Config{Store: ws, Pepper: pepper, KDF: wallet.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}, Logger: alog,
		Flows: wallet.FlowConfig{Dev: true, Registry: wd.registry, Catalogue: cat, StatusMaxAge: time.Nanosecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	ah, err := walletapi.New(svc, walletapi.Options{Logger: alog, Catalogue: cat, Registry: wd.registry})
	if err != nil {
		t.Fatal(err)
	}
	agent := httptest.NewServer(ah)
	t.Cleanup(agent.Close)
	wd.cl = &client.Client{BaseURL: agent.URL}
	ctx := context.Background()
	c, err := wd.cl.CreateHolder(ctx, "2468", device, "en")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := wd.cl.Login(ctx, c.HolderID, "2468", device)
	if err != nil {
		t.Fatal(err)
	}
	wd.token = sess.Token
	return wd
}

// refused says whether the agent logged a refusal of code whose cause
// mentions each of words.
func (wd *oid4vpWorld) refused(code string, words ...string) bool {
	for _, line := range strings.Split(wd.agentLog.String(), "\n") {
		var e struct {
			Msg, Code, Err string
		}
		if json.Unmarshal([]byte(line), &e) != nil || e.Msg != "request refused" || e.Code != code {
			continue
		}
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(e.Err, w)
		}
		if ok {
			return true
		}
	}
	return false
}

// apiCode is the agent's error code of err ("" when err is nil or not
// an answer of the agent).
func apiCode(err error) string {
	var e *client.APIError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// registerVerifier adds the npm verifier to the registry with one purpose
// allowing only claims.
func (wd *oid4vpWorld) registerVerifier(did string, claims []string) {
	wd.regMu.Lock()
	defer wd.regMu.Unlock()
	reg := *wd.reg
	reg.Entities = append(slices.Clone(reg.Entities), trust.Entity{DID: did, Role: trust.RoleVerifier, Status: trust.StatusActive,
		Names: map[string]string{"en": "Independent desk (npm)"}, ValidFrom: wd.start,
		StatusHistory:          []trust.StatusChange{{Status: trust.StatusActive, At: wd.start}},
		VerifierAuthorizations: []trust.VerifierAuthorization{{Purpose: oid4vpPurpose, Claims: claims, From: wd.start}}})
	wd.reg = &reg
}

func dcqlQuery(paths ...[]any) json.RawMessage {
	var claims []map[string]any
	for _, p := range paths {
		claims = append(claims, map[string]any{"path": p})
	}
	b, _ := json.Marshal(map[string]any{"credentials": []map[string]any{{
		"id": "reg", "format": "dc+sd-jwt", "meta": map[string]any{"vct_values": []string{oid4vciVCT}}, "claims": claims,
	}}})
	return b
}

// TestOID4VPNpmVerifierToCairnWallet: issue 10's Show, end to end over
// HTTP. The project's issuer (issuer/api on loopback) issues to the Cairn
// wallet agent (wallet/api on loopback, driven through wallet/client as
// the CLI drives it) with a transaction code; an independent verifier
// built on @openid4vc/openid4vp signs request objects with a
// decentralized_identifier client id, serves them by request_uri on
// loopback and validates what the agent sends: a consent with a subset of
// claims over direct_post, a full answer with a nested claim over
// direct_post.jwt, an over-asking request flagged in the consent view, a
// refusal (access_denied), the request objects Cairn refuses, and a
// revoked credential (left out by the agent; refused by the verifier
// when the holder insists).
func TestOID4VPNpmVerifierToCairnWallet(t *testing.T) {
	node := requireOID4VP(t)
	wd := newOID4VPWorld(t)
	v := startNPMVerifier(t, node)
	// The verifier's registered purpose covers the names and the
	// registration place, not the birthdate.
	wd.registerVerifier(v.DID, []string{"/family_name", "/given_name", "/registration_place"})
	ctx := context.Background()
	trusted := []string{wd.iss.DID()}

	t.Run("receive with a transaction code", func(t *testing.T) {
		o, err := wd.iss.CreateOffer(ctx, issuer.OfferRequest{VCT: oid4vciVCT, TxCode: true, Claims: map[string]any{
			"given_name": "Amina", "family_name": "Haddad", "birthdate": "1991-04-12", "registration_id": "REG-1",
			"registration_date": "2025-03-02", "registration_place": map[string]any{"country": "LB", "locality": "Zahlé"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		p, err := wd.cl.PreviewOffer(ctx, wd.token, o.URI, "en")
		if err != nil {
			t.Fatal(err)
		}
		if p.TxCode == nil || !p.Trusted {
			t.Fatalf("preview %+v", p)
		}
		if _, err := wd.cl.AcceptOffer(ctx, wd.token, p.ID, "", false); apiCode(err) != walletapi.CodeTxCode || !errors.Is(err, client.ErrWrongSecret) {
			t.Fatalf("accepted without the transaction code: %v", err)
		}
		if _, err := wd.cl.AcceptOffer(ctx, wd.token, p.ID, o.TxCode, false); err != nil {
			t.Fatal(err)
		}
	})

	// respond answers a preview; when the wallet reports a failed
	// delivery, the verifier's reason is shown.
	respond := func(t *testing.T, previewID string, only []string, sessionID string) *wallet.Presented {
		t.Helper()
		out, err := wd.cl.Respond(ctx, wd.token, previewID, only)
		if err != nil {
			t.Fatalf("respond: %v; the npm verifier says %s", err, jsonString(v.result(t, sessionID)))
		}
		return out
	}
	var holderKeys []any // cnf.jwk seen by the npm verifier, per session
	checkPresented := func(t *testing.T, r npmResult, wantClaims map[string]any, wantMissing, wantExtra []string) {
		t.Helper()
		if !r.OK || r.Library != "dcql" || len(r.Unanswered) != 0 || len(r.Presentations["reg"]) != 1 {
			t.Fatalf("npm verifier refused or misread the response: %+v", r)
		}
		pr := r.Presentations["reg"][0]
		if !pr.OK || pr.KBAud != v.ClientID || !slices.Equal(pr.Extra, wantExtra) || !slices.Equal(pr.Missing, wantMissing) {
			t.Errorf("presentation: ok %v err %q kb aud %q extra %v (want %v) missing %v (want %v)", pr.OK, pr.Error, pr.KBAud, pr.Extra, wantExtra, pr.Missing, wantMissing)
		}
		for k, want := range wantClaims {
			if got := jsonString(pr.Claims[k]); got != jsonString(want) {
				t.Errorf("claim %s = %s, want %s", k, got, jsonString(want))
			}
		}
		for _, k := range []string{"family_name", "given_name", "birthdate", "registration_id", "registration_date", "registration_place"} {
			if _, asked := wantClaims[k]; !asked && pr.Claims[k] != nil {
				t.Errorf("claim %s reached the verifier without consent: %v", k, pr.Claims[k])
			}
		}
		holderKeys = append(holderKeys, pr.Claims["cnf"])
	}

	t.Run("consent to a subset over direct_post", func(t *testing.T) {
		s := v.session(t, npmSessionRequest{DCQLQuery: dcqlQuery([]any{"family_name"}, []any{"given_name"}), ResponseMode: "direct_post", TrustedIssuers: trusted})
		p, err := wd.cl.PreviewRequest(ctx, wd.token, s.URI, "en")
		if err != nil {
			t.Fatal(err)
		}
		if !p.CanAnswer || !p.Registered || p.VerifierID != v.ClientID || p.VerifierDID != v.DID || p.Encrypted || len(p.OutsidePurpose) != 0 {
			t.Fatalf("preview %+v", p)
		}
		out := respond(t, p.ID, []string{"/given_name"}, s.ID)
		if out.RedirectURI != v.URL+"/done/"+s.ID {
			t.Errorf("redirect_uri %q", out.RedirectURI)
		}
		r := v.result(t, s.ID)
		if r.Encrypted {
			t.Error("direct_post answered encrypted")
		}
		// The holder withheld family_name: the verifier sees the query
		// unmet for it, and nothing else.
		checkPresented(t, r, map[string]any{"given_name": "Amina"}, []string{"family_name"}, nil)
	})

	// The issuer discloses registration_place only as a whole: asking for
	// its country reveals the locality too. The wallet's preview says so
	// (it did not before this test), a consent without the locality is
	// refused, and the verifier, which asked for the country only, sees the
	// locality as disclosed beyond its query.
	t.Run("direct_post.jwt with a nested claim", func(t *testing.T) {
		s := v.session(t, npmSessionRequest{DCQLQuery: dcqlQuery([]any{"family_name"}, []any{"given_name"}, []any{"registration_place", "country"}),
			ResponseMode: "direct_post.jwt", Enc: []string{"A256GCM", "A128GCM"}, TrustedIssuers: trusted})
		p, err := wd.cl.PreviewRequest(ctx, wd.token, s.URI, "en")
		if err != nil {
			t.Fatal(err)
		}
		if !p.CanAnswer || !p.Encrypted || len(p.OutsidePurpose) != 0 || len(p.Queries) != 1 {
			t.Fatalf("preview %+v", p)
		}
		var listed []string
		for _, c := range p.Queries[0].Claims {
			listed = append(listed, c.Path)
		}
		if want := []string{"/family_name", "/given_name", "/registration_place/country", "/registration_place/locality"}; !slices.Equal(listed, want) {
			t.Fatalf("preview lists %v, want %v", listed, want)
		}
		if _, err := wd.cl.Respond(ctx, wd.token, p.ID, []string{"/family_name", "/registration_place/country"}); apiCode(err) != walletapi.CodeConsent {
			t.Fatalf("consent keeping the country without the locality: %v", err)
		}
		if r := v.result(t, s.ID); !r.Pending {
			t.Fatalf("the verifier got a response: %+v", r)
		}
		respond(t, p.ID, nil, s.ID)
		r := v.result(t, s.ID)
		if !r.Encrypted || r.JWE["alg"] != "ECDH-ES" || r.JWE["enc"] != "A256GCM" || r.JWE["kid"] != "enc-"+s.ID {
			t.Errorf("encryption: encrypted %v header %v (want ECDH-ES, the verifier's first enc A256GCM, its kid)", r.Encrypted, r.JWE)
		}
		checkPresented(t, r, map[string]any{"family_name": "Haddad", "given_name": "Amina", "registration_place": map[string]any{"country": "LB", "locality": "Zahlé"}},
			nil, []string{"registration_place.locality"})
	})

	t.Run("over-asking verifier flagged", func(t *testing.T) {
		s := v.session(t, npmSessionRequest{DCQLQuery: dcqlQuery([]any{"family_name"}, []any{"given_name"}, []any{"birthdate"}), ResponseMode: "direct_post.jwt", TrustedIssuers: trusted})
		p, err := wd.cl.PreviewRequest(ctx, wd.token, s.URI, "en")
		if err != nil {
			t.Fatal(err)
		}
		if p.Purpose != oid4vpPurpose || len(p.OutsidePurpose) != 1 || p.OutsidePurpose[0].Path != "/birthdate" ||
			!slices.ContainsFunc(p.Warnings, func(n wallet.Notice) bool {
				return n.Code == wallet.NoticeOutsidePurpose && n.Claim == "/birthdate" && strings.Contains(n.Text, oid4vpPurpose)
			}) {
			t.Fatalf("over-asking not flagged: purpose %q outside %v warnings %v", p.Purpose, p.OutsidePurpose, p.Warnings)
		}
		// The holder leaves the birthdate out.
		respond(t, p.ID, []string{"/family_name", "/given_name"}, s.ID)
		checkPresented(t, v.result(t, s.ID), map[string]any{"family_name": "Haddad", "given_name": "Amina"}, []string{"birthdate"}, nil)
	})

	t.Run("refusal", func(t *testing.T) {
		s := v.session(t, npmSessionRequest{DCQLQuery: dcqlQuery([]any{"family_name"}), ResponseMode: "direct_post.jwt", TrustedIssuers: trusted})
		p, err := wd.cl.PreviewRequest(ctx, wd.token, s.URI, "en")
		if err != nil {
			t.Fatal(err)
		}
		if err := wd.cl.RefuseRequest(ctx, wd.token, p.ID); err != nil {
			t.Fatal(err)
		}
		r := v.result(t, s.ID)
		// direct_post.jwt: the refusal is encrypted too (§8.3.1).
		if !r.Refused || !r.OK || !r.StateOK || len(r.ExtraParams) != 0 || r.Presentations != nil || !r.Encrypted || r.JWE["alg"] != "ECDH-ES" {
			t.Errorf("refusal as the verifier saw it: %+v", r)
		}
	})

	t.Run("same key for the same verifier", func(t *testing.T) {
		if len(holderKeys) != 3 {
			t.Fatalf("%d presentations", len(holderKeys))
		}
		for _, k := range holderKeys[1:] {
			if jsonString(k) != jsonString(holderKeys[0]) || k == nil {
				t.Errorf("cnf %s, then %s", jsonString(holderKeys[0]), jsonString(k))
			}
		}
	})

	t.Run("request objects Cairn refuses", func(t *testing.T) {
		// The library's default request-object aud is the request_uri;
		// OpenID4VP 1.0 §5.8 asks for https://self-issued.me/v2 with an
		// openid4vp:// request, and Cairn refuses anything else.
		s := v.session(t, npmSessionRequest{DCQLQuery: dcqlQuery([]any{"family_name"}), ResponseMode: "direct_post", TrustedIssuers: trusted, LibraryAud: true})
		if _, err := wd.cl.PreviewRequest(ctx, wd.token, s.URI, "en"); apiCode(err) != walletapi.CodeRequestInvalid || !wd.refused(walletapi.CodeRequestInvalid, "aud") {
			t.Errorf("request object with aud = request_uri: %v", err)
		}
		// The verifier serves a request object once; a second fetch
		// (the same QR scanned twice) gets no request.
		s = v.session(t, npmSessionRequest{DCQLQuery: dcqlQuery([]any{"family_name"}), ResponseMode: "direct_post", TrustedIssuers: trusted})
		if _, err := wd.cl.PreviewRequest(ctx, wd.token, s.URI, "en"); err != nil {
			t.Fatal(err)
		}
		if _, err := wd.cl.PreviewRequest(ctx, wd.token, s.URI, "en"); apiCode(err) != walletapi.CodeRequestInvalid {
			t.Errorf("request_uri fetched twice: %v", err)
		}
		// The verifier no longer in the registry.
		wd.regMu.Lock()
		saved := wd.reg
		reg := *saved
		reg.Entities = reg.Entities[:1]
		wd.reg = &reg
		wd.regMu.Unlock()
		s = v.session(t, npmSessionRequest{DCQLQuery: dcqlQuery([]any{"family_name"}), ResponseMode: "direct_post", TrustedIssuers: trusted})
		_, err := wd.cl.PreviewRequest(ctx, wd.token, s.URI, "en")
		wd.regMu.Lock()
		wd.reg = saved
		wd.regMu.Unlock()
		if apiCode(err) != walletapi.CodeVerifierUnknown || !errors.Is(err, client.ErrUntrusted) {
			t.Errorf("unregistered npm verifier: %v", err)
		}
	})

	// Last, as it ends the credential: the issuer revokes it (every copy).
	// The agent reads the status list and its consent view warns and
	// offers nothing; the holder asks for it anyway, and the npm verifier
	// reads the list (sd-jwt-js) and refuses: the agent reports a failed
	// delivery.
	t.Run("revoked credential: warned, left out, refused by the npm verifier", func(t *testing.T) {
		recs, err := wd.iss.Records(ctx)
		if err != nil || len(recs) == 0 {
			t.Fatalf("%d records: %v", len(recs), err)
		}
		if err := wd.iss.Revoke(ctx, recs[0].CredentialID); err != nil {
			t.Fatal(err)
		}
		list, err := wd.cl.Credentials(ctx, wd.token, "en")
		if err != nil || len(list.Credentials) != 1 || list.Credentials[0].Status != wallet.StatusRevoked {
			t.Fatalf("the agent's list after the revocation: %s %v", jsonString(list), err)
		}
		revokedNotice := func(p *wallet.RequestPreview) bool {
			return slices.ContainsFunc(p.Warnings, func(n wallet.Notice) bool { return n.Code == wallet.NoticeRevoked && n.Credential != "" })
		}
		s := v.session(t, npmSessionRequest{DCQLQuery: dcqlQuery([]any{"family_name"}), ResponseMode: "direct_post", TrustedIssuers: trusted})
		p, err := wd.cl.PreviewRequest(ctx, wd.token, s.URI, "en")
		if err != nil {
			t.Fatal(err)
		}
		if p.CanAnswer || len(p.Queries) != 0 || !revokedNotice(p) {
			t.Fatalf("consent view with a revoked credential: %s", jsonString(p))
		}
		if err := wd.cl.RefuseRequest(ctx, wd.token, p.ID); err != nil {
			t.Fatal(err)
		}
		s = v.session(t, npmSessionRequest{DCQLQuery: dcqlQuery([]any{"family_name"}), ResponseMode: "direct_post", TrustedIssuers: trusted})
		p, err = wd.cl.PreviewRequestWith(ctx, wd.token, "en", walletapi.PresentationRequest{Request: s.URI, OfferRevoked: true})
		if err != nil {
			t.Fatal(err)
		}
		if !p.CanAnswer || !revokedNotice(p) {
			t.Fatalf("consent view offering a revoked credential: %s", jsonString(p))
		}
		if _, err := wd.cl.Respond(ctx, wd.token, p.ID, nil); apiCode(err) != walletapi.CodeDelivery {
			t.Fatalf("respond with a revoked credential: %v", err)
		}
		r := v.result(t, s.ID)
		if r.OK || len(r.Presentations["reg"]) != 1 || !strings.Contains(r.Presentations["reg"][0].Error, "Status is not valid") {
			t.Errorf("npm verifier on a revoked credential: %s", jsonString(r))
		}
	})

	log, err := wd.cl.Log(ctx, wd.token)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, e := range log {
		events = append(events, string(e.Event))
	}
	want := []string{string(wallet.EventOfferAccepted), string(wallet.EventPresentation), string(wallet.EventPresentation), string(wallet.EventPresentation), string(wallet.EventRefusal), string(wallet.EventRefusal)}
	if !slices.Equal(events, want) {
		t.Errorf("consent log %v, want %v", events, want)
	}
}
