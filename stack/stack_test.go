package stack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vci"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/web/signin"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// serve opens the stack in dir on a loopback listener and serves it.
func serve(t testing.TB, dir string, now func() time.Time) (*Stack, *httptest.Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), Config{Data: dir, URL: "http://" + ln.Addr().String(), Dev: true, Now: now})
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(s.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(func() { srv.Close(); s.Close() })
	return s, srv
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestSeed: the first Open seeds the demo ecosystem (four issuers and
// the desk in a signed registry, each issuer authorized for its types
// from before the seed); a second Open keeps it all.
func TestSeed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	now := func() time.Time { return t0 }
	s, _ := serve(t, dir, now)
	if !s.Seeded || len(s.Issuers) != len(DemoIssuers) {
		t.Fatalf("seeded %v, %d issuers", s.Seeded, len(s.Issuers))
	}
	reg := s.Registry()
	if reg == nil || reg.Name != RegistryName || len(reg.Entities) != len(DemoIssuers)+1 {
		t.Fatalf("registry %+v", reg)
	}
	dids := map[string]string{}
	for i, is := range s.Issuers {
		want := DemoIssuers[i]
		if is.Name != want.Name || is.URL != s.URL()+"/issuers/"+want.Name || !strings.HasPrefix(is.DID, "did:jwk:") {
			t.Errorf("issuer %d: %s %s %s", i, is.Name, is.URL, is.DID)
		}
		dids[is.Name] = is.DID
		if len(is.Types) != len(want.Grants) {
			t.Errorf("%s offers %v", is.Name, is.Types)
		}
		for j, vct := range is.Types {
			// Authorized from the seed on, not before.
			if d, _ := reg.IssuerAuthorized(is.DID, vct, t0.Add(-time.Second)); d.Authorized {
				t.Errorf("%s authorized for %s before the seed", is.Name, vct)
			}
			for _, at := range []time.Time{t0, t0.AddDate(1, 0, 0)} {
				d, err := reg.IssuerAuthorized(is.DID, vct, at)
				if err != nil || !d.Authorized {
					t.Errorf("%s not authorized for %s at %s: %v %+v", is.Name, vct, at, err, d)
				}
				if d.Authorization != nil && (d.Authorization.MaxStrength != want.Grants[j].Strength || d.Authorization.MaxValidity != want.Grants[j].Validity) {
					t.Errorf("%s %s caps %+v", is.Name, vct, d.Authorization)
				}
			}
		}
	}
	if d, _ := reg.IssuerAuthorized(dids["clinic"], "urn:cairn:vct:identity-attestation:1", t0); d.Authorized {
		t.Error("the clinic is authorized for identity attestations")
	}
	var desk *trust.Entity
	for i := range reg.Entities {
		if reg.Entities[i].Role == trust.RoleVerifier {
			desk = &reg.Entities[i]
		}
	}
	if desk == nil || len(desk.VerifierAuthorizations) < 4 {
		t.Fatalf("desk %+v", desk)
	}
	for _, f := range []string{StateFile, "registry/registry.db", "registry/authority.jwk", "registry/registry.jwt", "issuers/clinic/issuer.db",
		"wallet/pepper", "wallet/wallet.db", "verifier/verifier.db", "examples/health.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("data dir mode %v", fi.Mode().Perm())
	}
	s.Close()

	s2, err := Open(context.Background(), Config{Data: dir, URL: s.URL(), Dev: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if s2.Seeded || len(s2.Issuers) != len(DemoIssuers) || s2.Registry().Version != reg.Version {
		t.Fatalf("reopened: seeded %v, %d issuers, version %d (was %d)", s2.Seeded, len(s2.Issuers), s2.Registry().Version, reg.Version)
	}
	for _, is := range s2.Issuers {
		if dids[is.Name] != is.DID {
			t.Errorf("%s changed DID", is.Name)
		}
	}
}

// TestRoutes: everything answers on the one listener, at its mount
// point; issuer identifiers with a path have their well-known documents
// with the path after them, and nothing answers at the bare ones.
func TestRoutes(t *testing.T) {
	s, srv := serve(t, t.TempDir(), func() time.Time { return t0 })
	base := srv.URL
	for _, c := range []struct {
		path string
		want int
		body string
	}{
		{"/healthz", 200, "ok"},
		{"/readyz", 200, "ready"},
		{"/", 200, "Trust registry"},
		{"/registry/snapshot", 200, "eyJ"},
		{"/registry/entities/" + s.Issuer("school").DID, 200, "Open Doors Language School"},
		{"/.well-known/openid-credential-issuer/issuers/clinic", 200, `"credential_issuer":"` + base + `/issuers/clinic"`},
		{"/.well-known/oauth-authorization-server/issuers/employer", 200, `"token_endpoint":"` + base + `/issuers/employer/token"`},
		{"/.well-known/jwt-vc-issuer/issuers/registration", 200, `"issuer":"` + base + `/issuers/registration"`},
		{"/.well-known/openid-credential-issuer", 404, ""},
		{"/.well-known/openid-credential-issuer/issuers/nobody", 404, ""},
		{"/issuers/clinic/offers/unknown", 404, "not_found"},
		{"/issuers/clinic/status/1", 404, ""}, // no credential yet: no list
		{"/wallet/agent/healthz", 200, "ok"},
		{"/wallet/agent/openapi.json", 200, "openapi"},
		{"/wallet/", 200, `lang="en"`},
		{"/trust/", 200, "Open Doors Language School"},
		{"/desk/", 200, `id="f-signin"`}, // after the redirect to the sign-in
		{"/caseworker/", 200, `id="f-signin"`},
		{"/static/cairn.css", 200, ""},
		{"/verifier/request/unknown", 404, ""},
		{"/metrics", 200, `cairn_issuer_offers_created_total{issuer="clinic"}`},
		{"/nothing", 404, ""},
		{"/issuers/nobody/token", 404, ""},
	} {
		code, body := get(t, base+c.path)
		if code != c.want || !strings.Contains(body, c.body) {
			t.Errorf("GET %s: %d %.200q; want %d with %q", c.path, code, body, c.want, c.body)
		}
	}
	// The metadata the wallet finds by the identifier validates.
	u, _ := oid4vci.IssuerMetadataURL(s.Issuer("clinic").URL)
	_, body := get(t, u)
	var md oid4vci.IssuerMetadata
	if err := json.Unmarshal([]byte(body), &md); err != nil {
		t.Fatal(err)
	}
	if err := md.Validate(s.Issuer("clinic").URL, oid4vci.Options{AllowHTTP: true}); err != nil {
		t.Errorf("clinic metadata: %v", err)
	}
}

// TestIssuance: an offer made by an issuer of the stack is redeemed by
// the wallet-side OpenID4VCI client at the path identifier, within the
// registry's grants; types outside them are refused.
func TestIssuance(t *testing.T) {
	s, srv := serve(t, t.TempDir(), func() time.Time { return t0 })
	clinic := s.Issuer("clinic").Service
	ctx := context.Background()
	o, err := clinic.CreateOffer(ctx, issuer.OfferRequest{VCT: "urn:cairn:vct:health-attestation:1",
		Claims: map[string]any{"family_name": "Haddad", "given_name": "Amina", "assessed_on": "2026-11-30", "fit_to_travel": true,
			"vaccinations": []any{map[string]any{"disease_target": "measles", "up_to_date": true}}}})
	if err != nil {
		t.Fatal(err)
	}
	holder, _ := keys.Generate(jose.ES256, nil)
	c := oid4vci.NewClient(oid4vci.ClientOptions{HTTPClient: srv.Client(), AllowHTTP: true, Now: func() time.Time { return t0 }})
	is, err := c.RunPreAuthorized(ctx, oid4vci.PreAuthorizedRequest{OfferURI: o.URI, Holder: holder.JoseSigner()})
	if err != nil {
		t.Fatal(err)
	}
	if len(is.Credentials) != 1 || is.Metadata.CredentialIssuer != s.Issuer("clinic").URL {
		t.Fatalf("%+v", is)
	}
	if code, _ := get(t, srv.URL+"/issuers/clinic/status/1"); code != 200 {
		t.Errorf("status list: %d", code)
	}
	// The desk's offline bundle: the snapshot, and after a refresh the
	// clinic's new status list.
	if b := s.bundle.Load(); b == nil || b.Registry == nil || len(b.StatusListURIs()) != 0 {
		t.Fatalf("bundle at start: %+v", b)
	}
	if err := s.refreshBundle(ctx); err != nil {
		t.Fatal(err)
	}
	if uris := s.bundle.Load().StatusListURIs(); len(uris) != 1 || uris[0] != s.Issuer("clinic").URL+"/status/1" {
		t.Errorf("bundle lists %v", uris)
	}
	if _, err := clinic.CreateOffer(ctx, issuer.OfferRequest{VCT: "urn:cairn:vct:identity-attestation:1",
		Claims: map[string]any{"family_name": "Haddad"}}); !errors.Is(err, issuer.ErrUnknownType) {
		t.Errorf("identity attestation by the clinic: %v", err)
	}
}

// TestClockAdvance: the dev clock moves forward only, is kept across a
// restart, and a move publishes the registry again at the new time.
func TestClockAdvance(t *testing.T) {
	dir := t.TempDir()
	now := func() time.Time { return t0 }
	s, _ := serve(t, dir, now)
	v := s.Registry().Version
	if _, err := s.clock.Advance(-time.Hour); !errors.Is(err, ErrClockBackwards) {
		t.Fatalf("backwards: %v", err)
	}
	if _, err := s.clock.Advance(100 * 24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.refreshRegistry(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	r := s.Registry()
	if r.Version != v+1 || !r.IssuedAt.Equal(t0.Add(100*24*time.Hour)) {
		t.Fatalf("after the move: version %d issued %s", r.Version, r.IssuedAt)
	}
	s.Close()
	s2, err := Open(context.Background(), Config{Data: dir, URL: s.URL(), Dev: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if got := s2.Clock().Now(); !got.Equal(t0.Add(100 * 24 * time.Hour)) {
		t.Errorf("after a restart the clock says %s", got)
	}
	s2.Close()
	// Out of dev mode, a moved clock is refused rather than dropped.
	if _, err := Open(context.Background(), Config{Data: dir, URL: "https://cairn.example", Now: now}); err == nil || !strings.Contains(err.Error(), "--dev") {
		t.Errorf("non-dev open of a moved stack: %v", err)
	}
}

func TestParseDays(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90d", 90 * 24 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"36h", 36 * time.Hour, true},
		{"0d", 0, true},
		{"d", 0, false},
		{"-3d", 0, false},
		{"3.5d", 0, false},
		{"99999d", 0, false},
		{"", 0, false},
	} {
		got, err := ParseDays(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseDays(%q) = %s, %v", c.in, got, err)
		}
	}
}

// TestResetAndForeignDirs: Reset removes only the stack's own entries;
// a directory that holds other files is neither seeded nor reset.
func TestResetAndForeignDirs(t *testing.T) {
	dir := t.TempDir()
	s, _ := serve(t, dir, nil)
	s.Close()
	keep := filepath.Join(dir, "notes.txt")
	os.WriteFile(keep, []byte("mine"), 0o600)
	if err := Reset(dir); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "notes.txt" {
		t.Fatalf("after reset: %v", entries)
	}
	if _, err := Open(context.Background(), Config{Data: dir, URL: "http://127.0.0.1:1", Dev: true}); !errors.Is(err, errNotStack) {
		t.Errorf("seeding a foreign directory: %v", err)
	}
	if err := Reset(dir); !errors.Is(err, errNotStack) {
		t.Errorf("resetting a foreign directory: %v", err)
	}
}

func TestDevFor(t *testing.T) {
	for _, c := range []struct {
		addr, url string
		dev       bool
		want, ok  bool
	}{
		{"127.0.0.1:8080", "", false, true, true},
		{"[::1]:8080", "", false, true, true},
		{"localhost:8080", "", false, true, true},
		{"0.0.0.0:8080", "", false, false, false},
		{"0.0.0.0:8080", "", true, true, true},
		{"0.0.0.0:8443", "https://cairn.example", false, false, true},
	} {
		got, err := DevFor(c.addr, c.url, c.dev)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("DevFor(%s, %q, %v) = %v, %v", c.addr, c.url, c.dev, got, err)
		}
	}
}

// BenchmarkOpen measures the stack's start: "seed" opens an empty
// directory (generating keys, seeding the registry, five stores and the
// operator accounts), "reopen" an existing one; server start-up adds
// only the listener. "seed-argon2id-codes" is the baseline of "seed":
// the seeded accounts' generated codes hashed with Argon2id
// (signin.DefaultKDF) as chosen passwords are, as before codes had a
// fast scheme of their own. 'cairn up' must be ready in under two
// seconds (examples' TestREADMESetup logs the time from start to
// /readyz of the binary).
func BenchmarkOpen(b *testing.B) {
	for _, mode := range []string{"seed", "seed-argon2id-codes", "reopen"} {
		b.Run(mode, func(b *testing.B) {
			base := b.TempDir()
			cfg := Config{Data: filepath.Join(base, "d"), URL: "http://127.0.0.1:8080", Dev: true}
			if mode == "seed-argon2id-codes" {
				cfg.seedCodeKDF = &signin.DefaultKDF
			}
			if mode == "reopen" {
				s, err := Open(context.Background(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				s.Close()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if mode != "reopen" {
					b.StopTimer()
					os.RemoveAll(cfg.Data)
					b.StartTimer()
				}
				s, err := Open(context.Background(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				s.Close()
			}
		})
	}
}
