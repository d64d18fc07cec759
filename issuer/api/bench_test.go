package api_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/issuer/api"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/issuer/boltstore"
	"github.com/cairn-id/cairn/schemas"
)

const benchVCT = "urn:cairn:vct:humanitarian-registration:1"

// benchIssuer is a Service over a bbolt store in a temporary directory,
// served on loopback, with the rate limits off: one client address makes
// every request, and the limiter's 429s are not what is measured.
type benchIssuer struct {
	svc *issuer.Service
	srv *httptest.Server
	h   *api.Handler
}

func newBenchIssuer(b *testing.B) *benchIssuer {
	b.Helper()
	cat, err := schemas.Load()
	if err != nil {
		b.Fatal(err)
	}
	st, err := boltstore.Open(filepath.Join(b.TempDir(), "issuer.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	key, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		b.Fatal(err)
	}
	hk := make([]byte, 32)
	rand.Read(hk)
	bi := &benchIssuer{srv: httptest.NewUnstartedServer(nil)}
	bi.srv.Start()
	b.Cleanup(bi.srv.Close)
	cfg := issuer.Config{URL: bi.srv.URL, Dev: true, Names: map[string]string{"en": "Relief NGO"}, Types: []string{benchVCT},
		Catalogue: cat, Key: key, HashKey: hk, Store: st, StatusListSize: 1 << 16, Logger: slog.New(slog.DiscardHandler)}
	if bi.svc, err = issuer.New(cfg); err != nil {
		b.Fatal(err)
	}
	off := server.RateLimit{Off: true}
	if bi.h, err = api.New(bi.svc, api.Options{NonceLimit: off, TokenLimit: off, OfferLimit: off}); err != nil {
		b.Fatal(err)
	}
	bi.srv.Config.Handler = bi.h
	return bi
}

// codes creates n offers and returns their pre-authorized codes, read
// from the offer endpoint.
func (bi *benchIssuer) codes(b *testing.B, n int) []string {
	b.Helper()
	h := bi.h
	out := make([]string, n)
	for i := range out {
		o, err := bi.svc.CreateOffer(context.Background(), issuer.OfferRequest{VCT: benchVCT, Claims: map[string]any{
			"family_name": "Haddad", "given_name": "Amina", "birthdate": "1991-04-12",
			"registration_id": "REG-2025-0043117", "registration_date": "2025-03-02",
			"registration_place": map[string]any{"country": "LB", "locality": "Zahlé"}}})
		if err != nil {
			b.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/offers/"+o.ID, nil))
		var offer struct {
			Grants map[string]struct {
				Code string `json:"pre-authorized_code"`
			} `json:"grants"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &offer); err != nil || offer.Grants[issuer.PreAuthorizedGrant].Code == "" {
			b.Fatalf("offer: %d %s", rec.Code, rec.Body)
		}
		out[i] = offer.Grants[issuer.PreAuthorizedGrant].Code
	}
	return out
}

// benchWallet is a minimal OpenID4VCI client over HTTP.
type benchWallet struct {
	bi  *benchIssuer
	c   *http.Client
	key *keys.PrivateKey
}

func (bi *benchIssuer) wallet(b *testing.B) *benchWallet {
	k, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		b.Fatal(err)
	}
	return &benchWallet{bi: bi, c: bi.srv.Client(), key: k}
}

func (w *benchWallet) post(path, ctype, auth string, body io.Reader) (int, map[string]any, error) {
	req, err := http.NewRequest("POST", w.bi.srv.URL+path, body)
	if err != nil {
		return 0, nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	res, err := w.c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(raw, &m)
	return res.StatusCode, m, nil
}

// issue is one credential: token, nonce, proof, credential.
func (w *benchWallet) issue(code string) (int, map[string]any, error) {
	form := url.Values{"grant_type": {issuer.PreAuthorizedGrant}, "pre-authorized_code": {code}}
	st, tok, err := w.post("/token", "application/x-www-form-urlencoded", "", strings.NewReader(form.Encode()))
	if err != nil || st != 200 {
		return st, tok, err
	}
	st, n, err := w.post("/nonce", "", "", nil)
	if err != nil || st != 200 {
		return st, n, err
	}
	h := map[string]any{"typ": issuer.ProofTyp, "jwk": w.key.PublicJWK().Map()}
	payload, _ := json.Marshal(map[string]any{"aud": w.bi.svc.URL(), "iat": time.Now().Unix(), "nonce": n["c_nonce"]})
	proof, err := w.key.JoseSigner().Sign(h, payload)
	if err != nil {
		return 0, nil, err
	}
	body, _ := json.Marshal(map[string]any{"credential_configuration_id": "humanitarian-registration.v1", "proofs": map[string]any{"jwt": []string{proof}}})
	return w.post("/credential", "application/json", tok["access_token"].(string), strings.NewReader(string(body)))
}

// BenchmarkIssueHTTP is one credential through the HTTP endpoints on
// loopback per op, one wallet after another: token, nonce, proof,
// credential (the offer is created outside the timer). Every store
// commit waits for its own fsync.
func BenchmarkIssueHTTP(b *testing.B) {
	bi := newBenchIssuer(b)
	w := bi.wallet(b)
	codes := bi.codes(b, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if st, body, err := w.issue(codes[i]); err != nil || st != 200 {
			b.Fatal(st, body, err)
		}
	}
}

// BenchmarkIssueHTTPConcurrent is the same work done by 16 wallets at
// once; ns/op is the time per credential. Concurrent commits share an
// fsync (Store.Batch), so it should be well under BenchmarkIssueHTTP.
func BenchmarkIssueHTTPConcurrent(b *testing.B) {
	const wallets = 16
	bi := newBenchIssuer(b)
	ws := make([]*benchWallet, wallets)
	for i := range ws {
		ws[i] = bi.wallet(b)
	}
	codes := bi.codes(b, b.N)
	work := make(chan string, len(codes))
	for _, c := range codes {
		work <- c
	}
	close(work)
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func(w *benchWallet) {
			defer wg.Done()
			for c := range work {
				if st, body, err := w.issue(c); err != nil || st != 200 {
					b.Error(st, body, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
}

// BenchmarkIssueLibrary is the same work without HTTP: the Service calls
// the endpoints make (RedeemCode, NewNonce, IssueCredential), with the
// proof already checked.
func BenchmarkIssueLibrary(b *testing.B) {
	bi := newBenchIssuer(b)
	holder, _ := keys.Generate(jose.ES256, nil)
	ctx := context.Background()
	codes := bi.codes(b, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g, err := bi.svc.RedeemCode(ctx, codes[i], "")
		if err != nil {
			b.Fatal(err)
		}
		nonce, err := bi.svc.NewNonce(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := bi.svc.IssueCredential(ctx, issuer.CredentialRequest{AccessToken: g.AccessToken, ConfigurationID: "humanitarian-registration.v1",
			HolderJWK: holder.PublicJWK(), HolderDID: holder.DIDJWK(), Nonce: nonce}); err != nil {
			b.Fatal(err)
		}
	}
}
