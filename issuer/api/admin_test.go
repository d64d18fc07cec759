package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/issuer"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/vccheck"
	"github.com/cairn-id/cairn/schemas"
)

// adminServer is a fixture's issuer.Service behind an admin socket in its own
// issuer directory (issuer.json only: the client needs no keys).
type adminServer struct {
	dir      string
	requests atomic.Int64
	srv      *http.Server
	done     chan error
}

func writeDirConfig(tb testing.TB, dir string, f *fixture) {
	tb.Helper()
	b, _ := json.Marshal(issuer.DirConfig{URL: f.svc.URL(), Names: map[string]string{"en": "Relief NGO"}, Types: testTypes, Dev: true, DID: f.svc.DID()})
	if err := os.WriteFile(filepath.Join(dir, issuer.DirConfigFile), b, 0o600); err != nil {
		tb.Fatal(err)
	}
}

func startAdmin(tb testing.TB, f *fixture) *adminServer {
	tb.Helper()
	a := &adminServer{dir: privateDir(tb), done: make(chan error, 1)}
	writeDirConfig(tb, a.dir, f)
	ln, err := issuer.ListenAdmin(a.dir)
	if err != nil {
		tb.Fatal(err)
	}
	h := NewAdmin(f.svc, f.cfg.Logger)
	a.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.requests.Add(1)
		h.ServeHTTP(w, r)
	})}
	go func() { a.done <- a.srv.Serve(ln) }()
	tb.Cleanup(func() { a.srv.Close() })
	return a
}

func openClient(tb testing.TB, dir string, opts ...issuer.AdminOption) issuer.Admin {
	tb.Helper()
	adm, err := issuer.OpenAdmin(context.Background(), dir, memOpen, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { adm.Close() })
	c := adm
	if _, direct := adm.(*issuer.Service); direct {
		tb.Fatalf("issuer.OpenAdmin with a live socket returned %T, want the socket client", adm)
	}
	return c
}

func issueOne(tb testing.TB, f *fixture, adm issuer.Admin) (cred string, rec issuer.Record) {
	tb.Helper()
	o, err := adm.CreateOffer(context.Background(), issuer.OfferRequest{VCT: testVCT, Claims: testClaims(), TxCode: true, Reference: "Q-1"})
	if err != nil {
		tb.Fatal(err)
	}
	res := newWallet(tb, f).run(o)
	if res.status != 200 {
		tb.Fatalf("credential: %d %s", res.status, res.raw)
	}
	cred = res.body["credentials"].([]any)[0].(map[string]any)["credential"].(string)
	recs, err := adm.Records(context.Background())
	if err != nil || len(recs) == 0 {
		tb.Fatalf("records %v %v", recs, err)
	}
	return cred, recs[len(recs)-1]
}

// TestAdminErrorsKeepTheirType: every refusal of the issuer.Service comes back
// through the socket as the same kind of error with the same message.
func TestAdminErrorsKeepTheirType(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := newFixture(t, func(c *fixtureConfig) {
		c.Registry = &trust.Registry{ID: "urn:test", Name: "Test", Authority: "did:example:board", Version: 1, IssuedAt: at, Expires: at.AddDate(2, 0, 0),
			Entities: []trust.Entity{{
				DID: c.Key.DIDJWK(), Role: trust.RoleIssuer, Status: trust.StatusActive, Names: map[string]string{"en": "NGO"},
				StatusHistory: []trust.StatusChange{{Status: trust.StatusActive, At: at}}, ValidFrom: at,
				IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: testVCT, MaxStrength: 3, MaxValidity: 1, MaxVerification: 3, From: at}},
			}}}
	})
	a := startAdmin(t, f)
	c := openClient(t, a.dir)
	ctx := context.Background()
	within := &schemas.Evidence{Strength: 2, Validity: 1, Verification: 2, Method: "in_person"}
	bad := testClaims()
	bad["birthdate"] = "12/04/1991"
	delete(bad, "registration_id")
	withIss := testClaims()
	withIss["iss"] = "did:example:x"

	_, rec := issueOne(t, f, fixtureAdmin{f.svc, within})
	if err := f.svc.Revoke(ctx, rec.CredentialID); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		call     func(issuer.Admin) error
		sentinel error
	}{
		{"unknown type", func(a issuer.Admin) error {
			_, err := a.CreateOffer(ctx, issuer.OfferRequest{VCT: "urn:cairn:vct:passport:9", Claims: testClaims()})
			return err
		}, issuer.ErrUnknownType},
		{"registered claim", func(a issuer.Admin) error {
			_, err := a.CreateOffer(ctx, issuer.OfferRequest{VCT: testVCT, Claims: withIss, Evidence: within})
			return err
		}, issuer.ErrInvalidOffer},
		{"ttl too long", func(a issuer.Admin) error {
			_, err := a.CreateOffer(ctx, issuer.OfferRequest{VCT: testVCT, Claims: testClaims(), Evidence: within, TTL: issuer.MaxOfferTTL + time.Hour})
			return err
		}, issuer.ErrInvalidOffer},
		{"claims invalid", func(a issuer.Admin) error {
			_, err := a.CreateOffer(ctx, issuer.OfferRequest{VCT: testVCT, Claims: bad, Evidence: within})
			return err
		}, schemas.ErrInvalidClaims},
		{"evidence above the registry cap", func(a issuer.Admin) error {
			_, err := a.CreateOffer(ctx, issuer.OfferRequest{VCT: testVCT, Claims: testClaims()})
			return err
		}, issuer.ErrEvidenceAboveCap},
		{"evidence above the type cap", func(a issuer.Admin) error {
			_, err := a.CreateOffer(ctx, issuer.OfferRequest{VCT: testVCT, Claims: testClaims(), Evidence: &schemas.Evidence{Strength: 9, Validity: 1}})
			return err
		}, issuer.ErrEvidenceAboveCap},
		{"type not authorized", func(a issuer.Admin) error {
			_, err := a.CreateOffer(ctx, issuer.OfferRequest{VCT: "urn:cairn:vct:language-skills:1", Claims: map[string]any{}})
			return err
		}, issuer.ErrNotAuthorized},
		{"unknown credential", func(a issuer.Admin) error { return a.Suspend(ctx, "no-such-credential") }, issuer.ErrNotFound},
		{"revoked stays revoked", func(a issuer.Admin) error { return a.Reinstate(ctx, rec.CredentialID) }, issuer.ErrRevoked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			local, remote := tc.call(f.svc), tc.call(c)
			if !errors.Is(local, tc.sentinel) {
				t.Fatalf("local error %v is not %v", local, tc.sentinel)
			}
			if !errors.Is(remote, tc.sentinel) {
				t.Fatalf("error across the socket %v (%T) is not %v", remote, remote, tc.sentinel)
			}
			if local.Error() != remote.Error() {
				t.Errorf("message changed across the socket:\nlocal  %s\nremote %s", local, remote)
			}
			var lv, rv *issuer.ValidationError
			if errors.As(local, &lv) != errors.As(remote, &rv) || lv != nil && (lv.VCT != rv.VCT || !reflect.DeepEqual(lv.Paths, rv.Paths)) {
				t.Errorf("validation error %+v became %+v", lv, rv)
			}
			var le, re *issuer.EvidenceError
			if errors.As(local, &le) != errors.As(remote, &re) || le != nil && !reflect.DeepEqual(le, re) {
				t.Errorf("evidence error %+v became %+v", le, re)
			}
		})
	}
}

// fixtureAdmin offers with given evidence (within a registry's caps).
type fixtureAdmin struct {
	*issuer.Service
	ev *schemas.Evidence
}

func (a fixtureAdmin) CreateOffer(ctx context.Context, r issuer.OfferRequest) (*issuer.Offer, error) {
	r.Evidence = a.ev
	return a.Service.CreateOffer(ctx, r)
}

// TestAdminSocketEndToEnd: offers, status changes and records through the
// socket; a credential received by a wallet verifies through vccheck with
// a registry and the status list fetched from the running server, then
// fails as suspended and as revoked. No claim value reaches the log.
func TestAdminSocketEndToEnd(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var logs testkit.SyncBuffer
	var reg *trust.Registry
	f := newFixture(t, func(c *fixtureConfig) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
		reg = &trust.Registry{ID: "urn:test", Name: "Test", Authority: "did:example:board", Version: 1, IssuedAt: at, Expires: at.AddDate(2, 0, 0),
			Entities: []trust.Entity{{
				DID: c.Key.DIDJWK(), Role: trust.RoleIssuer, Status: trust.StatusActive, Names: map[string]string{"en": "NGO"},
				StatusHistory: []trust.StatusChange{{Status: trust.StatusActive, At: at}}, ValidFrom: at,
				IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: testVCT, MaxStrength: 4, MaxValidity: 4, MaxVerification: 4, From: at}},
			}}}
	})
	a := startAdmin(t, f)
	c := openClient(t, a.dir)
	ctx := context.Background()
	cred, rec := issueOne(t, f, c)
	if rec.State != issuer.StateValid || rec.VCT != testVCT {
		t.Fatalf("record %+v", rec)
	}
	client := f.srv.Client()
	fetches := 0
	opts := vccheck.Options{
		Registry: reg,
		FetchStatusList: func(ctx context.Context, uri string) (string, error) {
			fetches++
			req, _ := http.NewRequestWithContext(ctx, "GET", uri, nil)
			res, err := client.Do(req)
			if err != nil {
				return "", err
			}
			defer res.Body.Close()
			b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
			return strings.TrimSpace(string(b)), err
		},
		Credential: sdjwtvc.VerifyOptions{Trust: sdjwtvc.Trust{Resolver: didResolver{}}, Now: f.clk.Now},
	}
	check := func(want error) {
		t.Helper()
		out, err := vccheck.Verify(ctx, cred, opts)
		if !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Fatalf("verify: %v, want %v", err, want)
		}
		if out.Decision == nil || !out.Decision.Authorized {
			t.Errorf("registry decision %+v", out.Decision)
		}
	}
	check(nil)
	if err := c.Suspend(ctx, rec.CredentialID); err != nil {
		t.Fatal(err)
	}
	check(vccheck.ErrSuspended)
	if err := c.Reinstate(ctx, rec.CredentialID); err != nil {
		t.Fatal(err)
	}
	check(nil)
	if err := c.Revoke(ctx, rec.CredentialID); err != nil {
		t.Fatal(err)
	}
	check(vccheck.ErrRevoked)
	if fetches != 4 {
		t.Errorf("%d status list fetches, want 4", fetches)
	}
	recs, err := c.Records(ctx)
	if err != nil || len(recs) != 1 || recs[0].State != issuer.StateRevoked || recs[0].CredentialID != rec.CredentialID {
		t.Fatalf("records through the socket: %+v %v", recs, err)
	}
	local, _ := f.svc.Records(ctx)
	if !reflect.DeepEqual(local, recs) {
		t.Errorf("records differ across the socket:\n%+v\n%+v", local, recs)
	}
	// Without the registry's authorization the same credential is refused.
	opts.Registry = &trust.Registry{ID: "urn:test", Authority: "did:example:board", IssuedAt: at, Expires: at.AddDate(2, 0, 0), Entities: []trust.Entity{{DID: f.svc.DID(), Role: trust.RoleIssuer, Status: trust.StatusActive, ValidFrom: at, StatusHistory: []trust.StatusChange{{Status: trust.StatusActive, At: at}}}}}
	if _, err := vccheck.Verify(ctx, cred, opts); !errors.Is(err, vccheck.ErrNotAuthorized) {
		t.Errorf("issuer without authorization: %v", err)
	}
	log := logs.String()
	if !strings.Contains(log, `"route":"admin_offer"`) || !strings.Contains(log, `"route":"admin_status"`) {
		t.Errorf("admin requests not logged:\n%s", log)
	}
	for _, v := range []string{"Amina", "Haddad", "REG-2025-0043117", "Zahlé", "Q-1"} {
		if strings.Contains(log, v) {
			t.Errorf("claim value or reference %q reached the log", v)
		}
	}
	if a.requests.Load() != 6 { // offer, records, suspend, reinstate, revoke, records
		t.Errorf("only %d requests reached the socket", a.requests.Load())
	}
}

// TestAdminClientRegistryPrecheck: a client given a registry refuses an
// offer the registry does not allow before sending anything.
func TestAdminClientRegistryPrecheck(t *testing.T) {
	f := newFixture(t)
	a := startAdmin(t, f)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	reg := &trust.Registry{ID: "urn:test", Authority: "did:example:board", IssuedAt: at, Expires: at.AddDate(2, 0, 0),
		Entities: []trust.Entity{{DID: f.svc.DID(), Role: trust.RoleIssuer, Status: trust.StatusActive, ValidFrom: at,
			StatusHistory:        []trust.StatusChange{{Status: trust.StatusActive, At: at}},
			IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: testVCT, MaxStrength: 1, MaxValidity: 1, From: at}}}}}
	c := openClient(t, a.dir, issuer.WithRegistry(reg), issuer.WithClock(f.clk.Now))
	ctx := context.Background()
	before := a.requests.Load()
	_, err := c.CreateOffer(ctx, issuer.OfferRequest{VCT: testVCT, Claims: testClaims()})
	var ee *issuer.EvidenceError
	if !errors.As(err, &ee) || ee.Source != "registry" {
		t.Fatalf("evidence above the registry cap: %v", err)
	}
	if _, err := c.CreateOffer(ctx, issuer.OfferRequest{VCT: "urn:cairn:vct:language-skills:1", Claims: map[string]any{}}); !errors.Is(err, issuer.ErrNotAuthorized) {
		t.Fatalf("type without authorization: %v", err)
	}
	if n := a.requests.Load() - before; n != 0 {
		t.Errorf("%d refused offers were sent to the server", n)
	}
	if _, err := c.CreateOffer(ctx, issuer.OfferRequest{VCT: testVCT, Claims: testClaims(), Evidence: &schemas.Evidence{Strength: 1, Validity: 1}}); err != nil {
		t.Errorf("offer within the caps: %v", err)
	}
}

// privateDir is a 0700 temporary directory (t.TempDir's are 0755).
func privateDir(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// newIssuerDir writes a whole issuer directory, as 'cairn issuer init'.
func newIssuerDir(tb testing.TB) string {
	tb.Helper()
	dir := privateDir(tb)
	k, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := keys.Save(filepath.Join(dir, issuer.DirKeyFile), k); err != nil {
		tb.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, issuer.DirHashKeyFile), []byte(jose.B64.EncodeToString(bytes.Repeat([]byte{7}, 32))+"\n"), 0o600)
	b, _ := json.Marshal(issuer.DirConfig{URL: "http://127.0.0.1:8081", Dev: true, Names: map[string]string{"en": "NGO"}, Types: []string{testVCT}, DID: k.DIDJWK()})
	os.WriteFile(filepath.Join(dir, issuer.DirConfigFile), b, 0o600)
	return dir
}

// TestOpenAdminDirect: without a server, issuer.OpenAdmin opens the store; a
// stale socket left by a crash is ignored by clients and replaced by the
// next server.
func TestOpenAdminDirect(t *testing.T) {
	ctx := context.Background()
	dir := newIssuerDir(t)
	adm, err := issuer.OpenAdmin(ctx, dir, memOpen)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := adm.(*issuer.Service); !ok {
		t.Fatalf("no server: got %T, want *issuer.Service", adm)
	}
	if _, err := adm.CreateOffer(ctx, issuer.OfferRequest{VCT: testVCT, Claims: testClaims()}); err != nil {
		t.Fatal(err)
	}
	if err := adm.Close(); err != nil {
		t.Fatal(err)
	}

	// A crashed server's socket: the file stays, nobody listens.
	path := filepath.Join(dir, issuer.AdminSocketFile)
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	os.Chmod(path, 0o600)
	if _, err := os.Lstat(path); err != nil {
		t.Fatal("stale socket not left behind")
	}
	adm, err = issuer.OpenAdmin(ctx, dir, memOpen)
	if err != nil {
		t.Fatalf("stale socket: %v", err)
	}
	if _, ok := adm.(*issuer.Service); !ok {
		t.Fatalf("stale socket: got %T, want *issuer.Service", adm)
	}
	adm.Close()

	ln, err = issuer.ListenAdmin(dir)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	if _, err := issuer.ListenAdmin(dir); !errors.Is(err, issuer.ErrAdminInUse) {
		t.Errorf("second server on a live socket: %v", err)
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v %v", fi.Mode(), err)
	}
	ln.Close()
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("closing the listener left the socket: %v", err)
	}

	// Something else at the socket's path is never removed.
	os.WriteFile(path, []byte("x"), 0o600)
	if _, err := issuer.ListenAdmin(dir); err == nil {
		t.Error("a regular file at the socket path was replaced")
	}
	if b, _ := os.ReadFile(path); string(b) != "x" {
		t.Error("the regular file was changed")
	}
}

// TestAdminSocketPermissions: a client never talks to a socket, or
// through a directory, that other users can reach; a server never
// creates one there.
func TestAdminSocketPermissions(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		sock, dir  os.FileMode
		wantRefuse bool
	}{
		{"private", 0o600, 0o700, false},
		{"world-writable socket", 0o666, 0o700, true},
		{"group-writable socket", 0o620, 0o700, true},
		{"other-readable directory", 0o600, 0o755, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			a := startAdmin(t, f)
			if err := os.Chmod(filepath.Join(a.dir, issuer.AdminSocketFile), tc.sock); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(a.dir, tc.dir); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(a.dir, 0o700) })
			adm, err := issuer.OpenAdmin(ctx, a.dir, memOpen)
			if tc.wantRefuse {
				if !errors.Is(err, issuer.ErrAdminSocketUnsafe) {
					t.Fatalf("got %T %v, want issuer.ErrAdminSocketUnsafe", adm, err)
				}
				if n := a.requests.Load(); n != 0 {
					t.Errorf("%d requests reached an unsafe socket", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer adm.Close()
			if _, err := adm.Records(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o750)
	if _, err := issuer.ListenAdmin(dir); !errors.Is(err, issuer.ErrAdminSocketUnsafe) {
		t.Errorf("server in a group-readable directory: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, issuer.AdminSocketFile)); !os.IsNotExist(err) {
		t.Error("socket created in a group-readable directory")
	}
}

// rawAdmin sends one request over the socket without the client.
func rawAdmin(t *testing.T, dir, method, path, ctype string, body io.Reader) (int, issuer.AdminErrorBody) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", filepath.Join(dir, issuer.AdminSocketFile))
	}}}
	req, _ := http.NewRequest(method, "http://admin"+path, body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var eb issuer.AdminErrorBody
	b, _ := io.ReadAll(res.Body)
	json.Unmarshal(b, &eb)
	return res.StatusCode, eb
}

// TestAdminHandlerRefusals: bounded bodies, strict JSON, unknown routes;
// the public handler has no admin routes.
func TestAdminHandlerRefusals(t *testing.T) {
	f := newFixture(t)
	a := startAdmin(t, f)
	before := f.snapshot(t)
	huge := `{"vct":"` + testVCT + `","claims":{"given_name":"` + strings.Repeat("a", issuer.MaxAdminBody) + `"}}`
	for _, tc := range []struct {
		name, method, path, ctype, body string
		status                          int
		code                            string
	}{
		{"oversized body", "POST", "/admin/offers", "application/json", huge, 413, "too_large"},
		{"not JSON", "POST", "/admin/offers", "application/json", `{"vct":`, 400, "bad_request"},
		{"unknown field", "POST", "/admin/offers", "application/json", `{"vct":"x","claims":{},"admin":true}`, 400, "bad_request"},
		{"wrong media type", "POST", "/admin/offers", "text/plain", `{}`, 400, "bad_request"},
		{"bad ttl", "POST", "/admin/offers", "application/json", `{"vct":"` + testVCT + `","claims":{},"ttl":"soon"}`, 400, "bad_request"},
		{"unknown action", "POST", "/admin/credentials/x/delete", "", "", 404, "no_such_endpoint"},
		{"unknown route", "GET", "/admin/nothing-here", "", "", 404, "no_such_endpoint"}, // GET /admin/offers lists offers since issue 8
		{"overlong id", "POST", "/admin/credentials/" + strings.Repeat("x", maxAdminIDLen+1) + "/revoke", "", "", 404, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, eb := rawAdmin(t, a.dir, tc.method, tc.path, tc.ctype, strings.NewReader(tc.body))
			if status != tc.status || eb.Code != tc.code || eb.Message == "" {
				t.Errorf("got %d %+v, want %d %s", status, eb, tc.status, tc.code)
			}
		})
	}
	sameStore(t, before, f.snapshot(t))
	for _, p := range []string{"/admin/records", "/admin/offers"} {
		for _, m := range []string{"GET", "POST"} {
			r := do(t, f.srv.Client(), m, f.srv.URL+p, "application/json", "", strings.NewReader(`{}`))
			if r.status != 404 {
				t.Errorf("public listener answered %s %s with %d", m, p, r.status)
			}
		}
	}
}

// memOpen is this package's StoreOpener: one set of in-memory store
// files for all its tests, so reopening a directory finds its store.
var memOpen = issuer.MemoryOpener()
