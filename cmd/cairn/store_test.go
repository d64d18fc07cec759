package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vci"
	"github.com/cairn-id/cairn/internal/store/pg/pgtest"
	"github.com/cairn-id/cairn/internal/testkit"
)

// storeEnv is a CLI environment whose CAIRN_STORE is storeURL ("" for
// none).
func storeEnv(stdout, stderr *bytes.Buffer, storeURL string) *env {
	return &env{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr, now: time.Now, getenv: func(k string) string {
		if k == "CAIRN_STORE" {
			return storeURL
		}
		return ""
	}}
}

func runStore(t *testing.T, storeURL string, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, storeEnv(&out, &errb, storeURL))
	return cliResult{code, out.String(), errb.String()}
}

// TestStoreFlagsKeepThePasswordOffTheCommandLine: a password in --store
// is refused (exit 2) before anything is opened, and no message shows
// it; --db with a PostgreSQL store is ambiguous.
func TestStoreFlagsKeepThePasswordOffTheCommandLine(t *testing.T) {
	const secret = "Pw-0f-the-db"
	dir := t.TempDir()
	loose := filepath.Join(dir, "store.url")
	os.WriteFile(loose, []byte("postgres://cairn:"+secret+"@127.0.0.1:1/cairn\n"), 0o644)
	for _, tc := range []struct {
		name, env string
		args      []string
	}{
		{"registry --store with password", "", []string{"registry", "--store", "postgres://cairn:" + secret + "@127.0.0.1:1/cairn", "show"}},
		{"issuer --store with password", "", []string{"issuer", "offers", "--dir", dir, "--store", "postgres://cairn:" + secret + "@127.0.0.1:1/cairn"}},
		{"store file readable by others", "", []string{"issuer", "offers", "--dir", dir, "--store-file", loose}},
		{"--store and --store-file", "", []string{"registry", "--store", "postgres://cairn@h/db", "--store-file", loose, "show"}},
		{"--db and CAIRN_STORE", "postgres://cairn:" + secret + "@127.0.0.1:1/cairn", []string{"registry", "--db", filepath.Join(dir, "r.db"), "show"}},
		{"CAIRN_STORE not a URL", "/var/lib/issuer.db", []string{"registry", "show"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runStore(t, tc.env, tc.args...)
			if res.code != ExitUsage {
				t.Fatalf("exit %d, want %d (usage): %s", res.code, ExitUsage, res.stderr)
			}
			if strings.Contains(res.stderr+res.stdout, secret) {
				t.Fatalf("output shows the password: %s", res.stderr)
			}
		})
	}
	// An unreachable server: a failure whose message names the URL
	// redacted.
	res := runStore(t, "postgres://cairn:"+secret+"@127.0.0.1:1/cairn?connect_timeout=2", "registry", "show")
	if res.code != ExitFailure || strings.Contains(res.stderr, secret) || !strings.Contains(res.stderr, "cairn:xxxxx@127.0.0.1:1") {
		t.Fatalf("unreachable store: exit %d: %s", res.code, res.stderr)
	}
}

// TestRegistryCLIOnPostgres: the authority's commands on a PostgreSQL
// store given by CAIRN_STORE, and a second operator (another working
// directory, no database file) sees the same registry; serve answers
// from it.
func TestRegistryCLIOnPostgres(t *testing.T) {
	u := pgtest.URL(t)
	dir := t.TempDir()
	t.Chdir(dir) // the default --db would land here
	key := filepath.Join(dir, "authority.jwk")
	mustOK := func(args ...string) cliResult {
		t.Helper()
		res := runStore(t, u, args...)
		if res.code != ExitOK {
			t.Fatalf("%v: exit %d: %s", args, res.code, res.stderr)
		}
		return res
	}
	mustOK("registry", "init", "--name", "Pilot Board", "--key", key)
	if res := runStore(t, u, "registry", "init", "--name", "Again", "--key", key); res.code != ExitUsage {
		t.Fatalf("second init: exit %d: %s", res.code, res.stderr)
	}
	mustOK("registry", "add", "--did", "did:web:ngo.example", "--role", "issuer", "--name", "en=NGO")
	mustOK("registry", "publish", "--key", key)
	if _, err := os.Stat(filepath.Join(dir, defaultRegistryDB)); err == nil {
		t.Fatal("a bbolt file was created beside the PostgreSQL store")
	}
	// Another machine: the store file names the database.
	other := t.TempDir()
	storeFile := filepath.Join(other, "store.url")
	os.WriteFile(storeFile, []byte(u+"\n"), 0o600)
	res := runStore(t, "", "registry", "--store-file", storeFile, "show")
	if res.code != ExitOK || !strings.Contains(res.stdout, `"NGO"`) || !strings.Contains(res.stdout, "published: version 1") {
		t.Fatalf("show from another operator: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr testkit.SyncBuffer
	addr := freeAddr(t)
	done := make(chan int, 1)
	go func() {
		var out bytes.Buffer
		e := storeEnv(&out, nil, u)
		e.stderr = &stderr
		done <- run(ctx, []string{"registry", "serve", "--addr", addr}, e)
	}()
	if !waitReady("http://" + addr) {
		t.Fatalf("registry serve on PostgreSQL not ready: %s", stderr.String())
	}
	mustOK("registry", "suspend", "--did", "did:web:ngo.example")
	mustOK("registry", "publish", "--key", key)
	// The served version follows the database (checked at most once a second).
	var served string
	for i := 0; i < 100; i++ {
		resp, err := http.Get("http://" + addr + "/registry/snapshot")
		if err == nil {
			b := new(bytes.Buffer)
			b.ReadFrom(resp.Body)
			resp.Body.Close()
			served = b.String()
			if reg := snapshotVersion(served); reg == 2 {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if snapshotVersion(served) != 2 {
		t.Fatalf("served snapshot did not move to version 2: %.80s", served)
	}
	cancel()
	if code := <-done; code != ExitOK {
		t.Fatalf("serve exit %d: %s", code, stderr.String())
	}
}

// snapshotVersion reads the version of a compact snapshot JWS without
// verifying it (0 when it does not parse).
func snapshotVersion(compact string) uint64 {
	parts := strings.Split(strings.TrimSpace(compact), ".")
	if len(parts) != 3 {
		return 0
	}
	b, err := jose.B64.DecodeString(parts[1])
	if err != nil {
		return 0
	}
	var p struct {
		Version uint64 `json:"version"`
	}
	json.Unmarshal(b, &p)
	return p.Version
}

// hostRewrite sends every request to one backend, whatever host the URL
// names: the issuer's public URL is a load balancer's, and the test
// picks the instance.
type hostRewrite struct{ host string }

func (h hostRewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Host, r.Host = h.host, h.host
	return http.DefaultTransport.RoundTrip(r)
}

// issuerProcess is a 'cairn issuer serve' process with a wallet's
// client of its endpoints.
type issuerProcess struct {
	*serveProcess
	client *oid4vci.Client
}

// startIssuer runs 'cairn issuer serve' on dir as a separate process,
// with the store URL (password included) in its environment only.
func startIssuer(t *testing.T, dir, storeURL string) *issuerProcess {
	t.Helper()
	p := startServe(t, storeURL, "issuer", "serve", "--dir", dir, "--client-rate", "0")
	return &issuerProcess{p, oid4vci.NewClient(oid4vci.ClientOptions{HTTPClient: &http.Client{Timeout: 30 * time.Second, Transport: hostRewrite{p.addr}}, AllowHTTP: true})}
}

func pgPassword(u string) string {
	_, rest, _ := strings.Cut(u, "://")
	userinfo, _, ok := strings.Cut(rest, "@")
	if _, pw, has := strings.Cut(userinfo, ":"); ok && has && pw != "" {
		return pw
	}
	return "\x00no password"
}

// copyIssuerDir copies an issuer directory's files (another machine's
// copy of the same issuer).
func copyIssuerDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"issuer.json", "issuer.jwk", "hash.key"} {
		b, err := os.ReadFile(filepath.Join(from, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestIssuerTwoProcessesOnPostgres runs two 'cairn issuer serve'
// processes on one PostgreSQL store, each on its own copy of the
// directory, behind one public URL. An offer made on the first (through
// its admin socket) is redeemed entirely on the second; then many
// goroutines, half on each process, race for one pre-authorized code and
// for one nonce, and exactly one wins each race.
func TestIssuerTwoProcessesOnPostgres(t *testing.T) {
	u := pgtest.URL(t)
	root := t.TempDir()
	dirA, dirB := filepath.Join(root, "a"), filepath.Join(root, "b")
	lb := "http://" + freeAddr(t) // the load balancer's address: nothing listens
	if res := runStore(t, "", "issuer", "init", "--dir", dirA, "--name", "en=Relief", "--url", lb, "--dev", "--type", hrVCT); res.code != 0 {
		t.Fatalf("init: %d %s", res.code, res.stderr)
	}
	copyIssuerDir(t, dirA, dirB)
	claims := filepath.Join(root, "claims.json")
	os.WriteFile(claims, []byte(`{"registration_id":"REG-1","registration_date":"2025-03-02","registration_place":{"country":"LB"}}`), 0o600)
	a, b := startIssuer(t, dirA, u), startIssuer(t, dirB, u)
	if _, err := os.Stat(filepath.Join(dirA, "issuer.db")); err == nil {
		t.Fatal("serve on PostgreSQL created issuer.db")
	}
	ctx := context.Background()
	offer := func(storeURL, dir string) string {
		t.Helper()
		res := runStore(t, storeURL, "issuer", "offer", "--dir", dir, "--type", hrVCT, "--claims", claims, "--no-png", "--json")
		if res.code != 0 {
			t.Fatalf("offer: %d %s", res.code, res.stderr)
		}
		var out map[string]string
		if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
			t.Fatal(err)
		}
		return out["uri"]
	}

	t.Run("an offer made on one instance is redeemed on the other", func(t *testing.T) {
		uri := offer("", dirA) // no store URL: through A's admin socket
		holder, _ := keys.Generate(jose.ES256, nil)
		is, err := b.client.RunPreAuthorized(ctx, oid4vci.PreAuthorizedRequest{OfferURI: uri, ConfigurationID: "humanitarian-registration.v1", Holder: holder.JoseSigner()})
		if err != nil || len(is.Credentials) != 1 {
			t.Fatalf("redeem on B: %v", err)
		}
		// An operator anywhere lists it from the database.
		res := runStore(t, u, "issuer", "list", "--dir", dirB, "--json")
		var recs []map[string]any
		if res.code != 0 || json.Unmarshal([]byte(res.stdout), &recs) != nil || len(recs) != 1 {
			t.Fatalf("list: %d %s %s", res.code, res.stdout, res.stderr)
		}
	})

	md, err := a.client.IssuerMetadata(ctx, lb)
	if err != nil {
		t.Fatal(err)
	}
	asm, err := a.client.AuthServerMetadata(ctx, lb)
	if err != nil {
		t.Fatal(err)
	}
	clients := []*oid4vci.Client{a.client, b.client}
	const n = 16

	t.Run("one pre-authorized code, many redeemers on two processes", func(t *testing.T) {
		for round := range 3 {
			o, err := a.client.ResolveOffer(ctx, offer(u, dirA))
			if err != nil {
				t.Fatal(err)
			}
			code := o.PreAuthorized().PreAuthorizedCode
			var wins atomic.Int32
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					if _, err := clients[i%2].Token(ctx, asm.TokenEndpoint, oid4vci.TokenRequest{GrantType: oid4vci.GrantPreAuthorizedCode, PreAuthorizedCode: code}); err == nil {
						wins.Add(1)
					}
				})
			}
			wg.Wait()
			if wins.Load() != 1 {
				t.Errorf("round %d: %d of %d redeems of one code succeeded, want 1", round, wins.Load(), n)
			}
		}
	})

	t.Run("one nonce, many credential requests on two processes", func(t *testing.T) {
		holder, _ := keys.Generate(jose.ES256, nil)
		for round := range 2 {
			// n access tokens, each of its own offer.
			toks := make([]*oid4vci.TokenResponse, n)
			for i := range toks {
				o, err := clients[i%2].ResolveOffer(ctx, offer(u, dirA))
				if err != nil {
					t.Fatal(err)
				}
				if toks[i], err = clients[i%2].Token(ctx, asm.TokenEndpoint, oid4vci.TokenRequest{GrantType: oid4vci.GrantPreAuthorizedCode, PreAuthorizedCode: o.PreAuthorized().PreAuthorizedCode}); err != nil {
					t.Fatal(err)
				}
			}
			nonce, err := a.client.Nonce(ctx, md.NonceEndpoint)
			if err != nil {
				t.Fatal(err)
			}
			var wins atomic.Int32
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					proof, err := oid4vci.NewProof(holder.JoseSigner(), oid4vci.ProofParams{Audience: md.CredentialIssuer, Nonce: nonce, IssuedAt: time.Now()})
					if err != nil {
						errs[i] = err
						return
					}
					req := oid4vci.CredentialRequest{CredentialConfigurationID: "humanitarian-registration.v1", Proofs: &oid4vci.Proofs{JWT: []string{proof}}}
					for _, d := range toks[i].AuthorizationDetails {
						if len(d.CredentialIdentifiers) > 0 {
							req = oid4vci.CredentialRequest{CredentialIdentifier: d.CredentialIdentifiers[0], Proofs: req.Proofs}
						}
					}
					if _, errs[i] = clients[i%2].Credential(ctx, md.CredentialEndpoint, toks[i].AccessToken, req); errs[i] == nil {
						wins.Add(1)
					}
				})
			}
			wg.Wait()
			if wins.Load() != 1 {
				t.Errorf("round %d: %d of %d credential requests with one nonce succeeded, want 1", round, wins.Load(), n)
			}
			for i, err := range errs {
				if err != nil && oid4vci.ErrorCode(err) != "invalid_nonce" {
					t.Errorf("round %d request %d: %v, want invalid_nonce", round, i, fmt.Sprint(err))
				}
			}
		}
	})
}

// credentialStatus reads the status list entry ("list id/index") of an
// issued SD-JWT VC, without verifying it.
func credentialStatus(t *testing.T, sdjwt string) string {
	t.Helper()
	jwt, _, _ := strings.Cut(sdjwt, "~")
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %.40s", jwt)
	}
	b, err := jose.B64.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Status struct {
			StatusList struct {
				Idx int    `json:"idx"`
				URI string `json:"uri"`
			} `json:"status_list"`
		} `json:"status"`
	}
	if err := json.Unmarshal(b, &p); err != nil || p.Status.StatusList.URI == "" {
		t.Fatalf("no status in the credential: %v", err)
	}
	return fmt.Sprint(p.Status.StatusList.URI[strings.LastIndex(p.Status.StatusList.URI, "/")+1:], "/", p.Status.StatusList.Idx)
}
