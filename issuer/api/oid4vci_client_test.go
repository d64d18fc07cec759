package api_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/cairn-id/cairn/issuer/api"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vci"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/issuer/boltstore"
	"github.com/cairn-id/cairn/schemas"
)

const registrationVCT = "urn:cairn:vct:humanitarian-registration:1"

// realIssuer runs the real issuer Service behind an httptest TLS server.
func realIssuer(t *testing.T, now time.Time) (*issuer.Service, *httptest.Server) {
	return realIssuerAt(t, now, "")
}

// realIssuerAt is realIssuer with the identifier's path (e.g.
// /issuers/clinic; "" for the origin).
func realIssuerAt(t *testing.T, now time.Time, path string) (*issuer.Service, *httptest.Server) {
	t.Helper()
	cat, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	store, err := boltstore.Open(filepath.Join(t.TempDir(), "issuer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	key, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	hashKey := make([]byte, 32)
	rand.Read(hashKey)
	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	svc, err := issuer.New(issuer.Config{
		URL: srv.URL + path, Dev: true, Names: map[string]string{"en": "Relief NGO"},
		Types: []string{registrationVCT}, Catalogue: cat, Key: key, HashKey: hashKey, Store: store,
		Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.New(svc, api.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	return svc, srv
}

type offlineDIDs struct{}

func (offlineDIDs) ResolveKey(ctx context.Context, u string) (*jose.JWK, error) {
	var r did.Resolver
	return r.ResolveKey(ctx, u)
}

// TestOID4VCIClientAgainstIssuer: the wallet-side oid4vci.Client receives
// a credential from the real issuer, with and without a transaction code,
// and the credential is bound to the holder key it proved.
func TestOID4VCIClientAgainstIssuer(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for _, tx := range []bool{false, true} {
		name := map[bool]string{false: "without tx_code", true: "with tx_code"}[tx]
		t.Run(name, func(t *testing.T) {
			svc, srv := realIssuer(t, now)
			o, err := svc.CreateOffer(context.Background(), issuer.OfferRequest{VCT: registrationVCT, TxCode: tx, Reference: "Q-17",
				Claims: map[string]any{"family_name": "Haddad", "given_name": "Amina", "birthdate": "1991-04-12",
					"registration_id": "REG-2025-0043117", "registration_date": "2025-03-02",
					"registration_place": map[string]any{"country": "LB", "locality": "Zahlé"}}})
			if err != nil {
				t.Fatal(err)
			}
			c := oid4vci.NewClient(oid4vci.ClientOptions{HTTPClient: srv.Client(), Now: func() time.Time { return now }})
			holder, err := keys.Generate(jose.ES256, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if tx {
				// Without the code the client stops before the token request.
				_, err := c.RunPreAuthorized(ctx, oid4vci.PreAuthorizedRequest{OfferURI: o.URI, Holder: holder.JoseSigner()})
				if !errors.Is(err, oid4vci.ErrTxCodeRequired) {
					t.Fatalf("no tx_code: %v", err)
				}
			}
			is, err := c.RunPreAuthorized(ctx, oid4vci.PreAuthorizedRequest{OfferURI: o.URI, TxCode: o.TxCode, Holder: holder.JoseSigner()})
			if err != nil {
				t.Fatal(err)
			}
			if is.ConfigurationID != "humanitarian-registration.v1" || len(is.Credentials) != 1 || is.NotificationID == "" || is.Metadata.CredentialIssuer != svc.URL() {
				t.Fatalf("issuance %+v", is)
			}
			res, err := sdjwtvc.Verify(ctx, is.Credentials[0], sdjwtvc.VerifyOptions{
				Trust: sdjwtvc.Trust{TrustedDIDs: []string{svc.DID()}, Resolver: offlineDIDs{}}, Now: func() time.Time { return now },
			})
			if err != nil {
				t.Fatalf("credential does not verify: %v", err)
			}
			if !res.HolderJWK.Equal(holder.PublicJWK()) || res.VCT != registrationVCT || res.Claims["given_name"] != "Amina" {
				t.Fatalf("credential bound to %v, vct %s, claims %v", res.HolderJWK, res.VCT, res.Claims["given_name"])
			}
			if err := c.Notify(ctx, is, oid4vci.EventCredentialAccepted, ""); err != nil {
				t.Fatalf("notify: %v", err)
			}
			// The offer is used up: a second run fails at the offer fetch,
			// with the issuer's own error code.
			_, err = c.RunPreAuthorized(ctx, oid4vci.PreAuthorizedRequest{OfferURI: o.URI, TxCode: o.TxCode, Holder: holder.JoseSigner()})
			var se *oid4vci.StepError
			if !errors.As(err, &se) || se.Step != oid4vci.StepOffer || se.Status != 404 || se.Code != "not_found" {
				t.Fatalf("second run: %v", err)
			}
		})
	}
}

// TestOID4VCIClientIssuerWithPath: an issuer identifier with a path
// (https://host/issuers/clinic, several issuers on one listener) serves
// its endpoints under the path and its three well-known documents with
// the path after /.well-known/<name> (OpenID4VCI 1.0 §12.2.2, RFC 8414
// §3.1, SD-JWT VC §5); the wallet-side client finds them and receives a
// credential; nothing answers at the origin's well-known URLs.
func TestOID4VCIClientIssuerWithPath(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for _, path := range []string{"/issuers/clinic", "/clinic", "/a/b.c/d_e-f"} {
		t.Run(path, func(t *testing.T) {
			svc, srv := realIssuerAt(t, now, path)
			if svc.URL() != srv.URL+path || api.BasePath(svc.URL()) != path {
				t.Fatalf("url %q, base path %q", svc.URL(), api.BasePath(svc.URL()))
			}
			o, err := svc.CreateOffer(context.Background(), issuer.OfferRequest{VCT: registrationVCT,
				Claims: map[string]any{"registration_id": "REG-1", "registration_date": "2025-03-02", "registration_place": map[string]any{"country": "LB"}}})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(o.OfferURL, srv.URL+path+"/offers/") {
				t.Fatalf("offer url %s", o.OfferURL)
			}
			for _, c := range []struct {
				url  string
				want int
			}{
				{srv.URL + "/.well-known/openid-credential-issuer" + path, 200},
				{srv.URL + "/.well-known/oauth-authorization-server" + path, 200},
				{srv.URL + "/.well-known/jwt-vc-issuer" + path, 200},
				{srv.URL + "/.well-known/openid-credential-issuer", 404},
				{srv.URL + "/.well-known/jwt-vc-issuer", 404},
				{srv.URL + path + "/.well-known/openid-credential-issuer", 404},
				{srv.URL + "/token", 404},
			} {
				res, err := srv.Client().Get(c.url)
				if err != nil {
					t.Fatal(err)
				}
				var doc map[string]any
				_ = json.NewDecoder(res.Body).Decode(&doc)
				res.Body.Close()
				if res.StatusCode != c.want {
					t.Errorf("GET %s: %d, want %d", c.url, res.StatusCode, c.want)
				}
				if c.want == 200 {
					id, _ := doc["credential_issuer"].(string)
					if id == "" {
						id, _ = doc["issuer"].(string)
					}
					if id != svc.URL() {
						t.Errorf("GET %s: identifier %q, want %q", c.url, id, svc.URL())
					}
				}
			}
			c := oid4vci.NewClient(oid4vci.ClientOptions{HTTPClient: srv.Client(), Now: func() time.Time { return now }})
			holder, _ := keys.Generate(jose.ES256, nil)
			is, err := c.RunPreAuthorized(context.Background(), oid4vci.PreAuthorizedRequest{OfferURI: o.URI, Holder: holder.JoseSigner()})
			if err != nil {
				t.Fatal(err)
			}
			if is.Metadata.CredentialIssuer != svc.URL() || len(is.Credentials) != 1 {
				t.Fatalf("issuance %+v", is)
			}
			res, err := sdjwtvc.Verify(context.Background(), is.Credentials[0], sdjwtvc.VerifyOptions{
				Trust: sdjwtvc.Trust{TrustedDIDs: []string{svc.DID()}, Resolver: offlineDIDs{}}, Now: func() time.Time { return now },
			})
			if err != nil {
				t.Fatal(err)
			}
			if st, _ := res.Claims["status"].(map[string]any); st == nil || !strings.HasPrefix(fmt.Sprint(st["status_list"]), "map[idx:") || !strings.Contains(fmt.Sprint(st), srv.URL+path+"/status/") {
				t.Errorf("status %v: want a list under %s/status/", res.Claims["status"], path)
			}
		})
	}
}

// TestCheckIdentifier: identifiers with a path are accepted by the
// Service (CheckIdentifier) but not for an issuer directory served at
// the origin (CheckURL).
func TestCheckIdentifier(t *testing.T) {
	for _, c := range []struct {
		in, want string
		pathOK   bool
	}{
		{"https://issuer.example", "https://issuer.example", true},
		{"https://issuer.example/", "https://issuer.example", true},
		{"https://host.example/issuers/clinic", "https://host.example/issuers/clinic", true},
		{"https://host.example/issuers/clinic/", "https://host.example/issuers/clinic", true},
		{"https://host.example/issuers//clinic", "", false},
		{"https://host.example/issuers/../clinic", "", false},
		{"https://host.example/issuers/cl%20inic", "", false},
		{"https://host.example/issuers/clinic?x=1", "", false},
		{"https://host.example/issuers/clinic#f", "", false},
		{"http://host.example/issuers/clinic", "", false},
	} {
		got, err := issuer.CheckIdentifier(c.in, false)
		if c.pathOK != (err == nil) || got != c.want {
			t.Errorf("CheckIdentifier(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		_, err = issuer.CheckURL(c.in, false)
		if origin := !strings.Contains(strings.TrimPrefix(c.in, "https://"), "/") || strings.HasSuffix(c.in, ".example/"); (err == nil) != origin {
			t.Errorf("CheckURL(%q): %v", c.in, err)
		}
	}
}

// TestOID4VCIClientIssuerErrors: the issuer's refusals reach the client as
// typed errors carrying the OAuth error code.
func TestOID4VCIClientIssuerErrors(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	svc, srv := realIssuer(t, now)
	o, err := svc.CreateOffer(context.Background(), issuer.OfferRequest{VCT: registrationVCT, TxCode: true,
		Claims: map[string]any{"registration_id": "REG-1", "registration_date": "2025-03-02", "registration_place": map[string]any{"country": "LB"}}})
	if err != nil {
		t.Fatal(err)
	}
	holder, _ := keys.Generate(jose.ES256, nil)
	ctx := context.Background()
	wrong := strings.Repeat("0", len(o.TxCode))
	if wrong == o.TxCode {
		wrong = strings.Repeat("1", len(o.TxCode))
	}
	c := oid4vci.NewClient(oid4vci.ClientOptions{HTTPClient: srv.Client(), Now: func() time.Time { return now }})
	_, err = c.RunPreAuthorized(ctx, oid4vci.PreAuthorizedRequest{OfferURI: o.URI, TxCode: wrong, Holder: holder.JoseSigner()})
	if oid4vci.ErrorCode(err) != oid4vci.ErrorInvalidGrant {
		t.Fatalf("wrong tx_code: %v", err)
	}
	// A proof from a clock ten minutes slow is refused as invalid_proof.
	slow := oid4vci.NewClient(oid4vci.ClientOptions{HTTPClient: srv.Client(), Now: func() time.Time { return now.Add(-10 * time.Minute) }})
	_, err = slow.RunPreAuthorized(ctx, oid4vci.PreAuthorizedRequest{OfferURI: o.URI, TxCode: o.TxCode, Holder: holder.JoseSigner()})
	var se *oid4vci.StepError
	if !errors.As(err, &se) || se.Step != oid4vci.StepCredential || se.Code != oid4vci.ErrorInvalidProof {
		t.Fatalf("stale proof: %v", err)
	}
	// A client that identifies itself puts iss in its proof; this issuer
	// grants anonymous access, so such a proof is refused (Appendix F.1).
	o2, err := svc.CreateOffer(ctx, issuer.OfferRequest{VCT: registrationVCT,
		Claims: map[string]any{"registration_id": "REG-2", "registration_date": "2025-03-02", "registration_place": map[string]any{"country": "LB"}}})
	if err != nil {
		t.Fatal(err)
	}
	named := oid4vci.NewClient(oid4vci.ClientOptions{HTTPClient: srv.Client(), Now: func() time.Time { return now }, ClientID: "wallet-1"})
	_, err = named.RunPreAuthorized(ctx, oid4vci.PreAuthorizedRequest{OfferURI: o2.URI, Holder: holder.JoseSigner()})
	if !errors.As(err, &se) || se.Step != oid4vci.StepCredential || se.Code != oid4vci.ErrorInvalidProof {
		t.Fatalf("proof with iss: %v", err)
	}
}

// TestIssuerDocumentsFitOID4VCITypes: what the issuer publishes today
// (metadata, AS metadata, an offer) decodes into the oid4vci types and
// encodes back to the same JSON, so the issuer can switch its ad-hoc maps
// to those types without changing a byte of meaning. The one difference:
// the AS metadata's empty response_types_supported is omitted (allowed
// for a pre-authorized-only server, OpenID4VCI 1.0 §12.2.4).
func TestIssuerDocumentsFitOID4VCITypes(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	svc, srv := realIssuer(t, now)
	o, err := svc.CreateOffer(context.Background(), issuer.OfferRequest{VCT: registrationVCT, TxCode: true,
		Claims: map[string]any{"registration_id": "REG-1", "registration_date": "2025-03-02", "registration_place": map[string]any{"country": "LB"}}})
	if err != nil {
		t.Fatal(err)
	}
	issuerURL, _ := oid4vci.IssuerMetadataURL(svc.URL())
	asURL, _ := oid4vci.AuthServerMetadataURL(svc.URL())
	for _, c := range []struct {
		url  string
		v    any
		drop string
	}{
		{issuerURL, &oid4vci.IssuerMetadata{}, ""},
		{asURL, &oid4vci.AuthServerMetadata{}, "response_types_supported"},
		{o.OfferURL, &oid4vci.CredentialOffer{}, ""},
	} {
		res, err := srv.Client().Get(c.url)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", c.url, res.StatusCode, raw)
		}
		var want map[string]any
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		delete(want, c.drop)
		if err := json.Unmarshal(raw, c.v); err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		back, _ := json.Marshal(c.v)
		var got map[string]any
		json.Unmarshal(back, &got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s does not round-trip through %T:\n got %s\nwant %s", c.url, c.v, back, raw)
		}
	}
}
