package interop

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/statuslist"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/vccheck"
	"github.com/cairn-id/cairn/issuer"
	issuerapi "github.com/cairn-id/cairn/issuer/api"
	"github.com/cairn-id/cairn/issuer/boltstore"
	"github.com/cairn-id/cairn/schemas"
)

// The independent OpenID4VCI client: @openid4vc/openid4vci (OpenWallet
// Foundation labs' oid4vc-ts), pinned in oid4vci/package-lock.json.
const (
	wantOID4VCI     = "0.4.6"
	oid4vciDir      = "oid4vci"
	oid4vciScript   = "client.mjs"
	oid4vciVCT      = "urn:cairn:vct:humanitarian-registration:1"
	oid4vciConfigID = "humanitarian-registration.v1"
)

func requireOID4VCI(t *testing.T) string {
	t.Helper()
	return requireNodePackage(t, oid4vciDir, "@openid4vc/openid4vci", wantOID4VCI)
}

type oid4vciResult struct {
	Credential      string         `json:"credential"`
	HolderJWK       map[string]any `json:"holder_jwk"`
	ConfigurationID string         `json:"configuration_id"`
	Notified        bool           `json:"notified"`
	Error           string         `json:"error"`
	Detail          map[string]any `json:"detail"`
}

func runOID4VCI(t *testing.T, node, offerURI, tx string) oid4vciResult {
	t.Helper()
	in, _ := json.Marshal(map[string]string{"offer_uri": offerURI, "tx_code": tx})
	ctx, cancel := context.WithTimeout(context.Background(), nodeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, oid4vciScript)
	cmd.Dir = oid4vciDir
	cmd.Stdin = bytes.NewReader(in)
	stdout := &limitedBuffer{max: maxNodeOutput}
	stderr := &limitedBuffer{max: maxNodeOutput}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\nstderr: %s", oid4vciScript, err, stderr.String())
	}
	var r oid4vciResult
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("node answered non-JSON (%v): %.500s", err, stdout.String())
	}
	return r
}

type offlineResolver struct{}

func (offlineResolver) ResolveKey(ctx context.Context, u string) (*jose.JWK, error) {
	var r did.Resolver
	return r.ResolveKey(ctx, u)
}

// TestOID4VCIPreAuthorizedFlow: the third-party client takes offers from
// Cairn's issuer (with and without a transaction code) through token,
// nonce, credential and notification; the credential verifies with
// sdjwtvc and is bound to the client's key. A wrong transaction code is
// refused with invalid_grant.
func TestOID4VCIPreAuthorizedFlow(t *testing.T) {
	node := requireOID4VCI(t)
	cat, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	store, err := boltstore.Open(filepath.Join(t.TempDir(), "issuer.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	key, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	hashKey := make([]byte, 32)
	if _, err := rand.Read(hashKey); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	defer srv.Close()
	svc, err := issuer.New(issuer.Config{
		URL: srv.URL, Dev: true, Names: map[string]string{"en": "Relief NGO", "ar": "منظمة إغاثة"},
		Types: []string{oid4vciVCT}, Catalogue: cat, Key: key, HashKey: hashKey, Store: store,
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := issuerapi.New(svc, issuerapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	// The registry a verifier trusts: it authorizes this issuer for the type.
	at := time.Now().Add(-time.Hour).UTC()
	board, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg := &trust.Registry{ID: "urn:test:registry", Name: "Test Board", Authority: board.DIDJWK(), Version: 1, IssuedAt: at, Expires: at.Add(48 * time.Hour),
		Entities: []trust.Entity{{
			DID: svc.DID(), Role: trust.RoleIssuer, Status: trust.StatusActive, Names: map[string]string{"en": "Relief NGO"},
			StatusHistory: []trust.StatusChange{{Status: trust.StatusActive, At: at}}, ValidFrom: at,
			IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: oid4vciVCT, MaxStrength: 4, MaxValidity: 4, MaxVerification: 4, From: at}},
		}}}
	// vccheck as 'cairn credential verify --registry' runs it, with the
	// status list fetched from the running issuer.
	verify := func(cred string) error {
		_, err := vccheck.Verify(context.Background(), cred, vccheck.Options{
			Registry: reg,
			FetchStatusList: func(ctx context.Context, uri string) (string, error) {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
				if err != nil {
					return "", err
				}
				res, err := srv.Client().Do(req)
				if err != nil {
					return "", err
				}
				defer res.Body.Close()
				b, err := io.ReadAll(io.LimitReader(res.Body, statuslist.MaxTokenLen))
				return strings.TrimSpace(string(b)), err
			},
			Credential: sdjwtvc.VerifyOptions{Trust: sdjwtvc.Trust{Resolver: offlineResolver{}}, Now: time.Now},
		})
		return err
	}
	cliVerify := cairnVerifyCLI(t, reg, board)
	received := map[string]string{} // holder thumbprint -> credential
	claims := map[string]any{
		"given_name": "Amina", "family_name": "Haddad", "registration_id": "REG-1",
		"registration_date": "2025-03-02", "registration_place": map[string]any{"country": "LB"},
	}
	for _, tc := range []struct {
		name     string
		tx       bool
		wrongTx  bool
		wantFail string
	}{
		{name: "without transaction code"},
		{name: "with transaction code", tx: true},
		{name: "wrong transaction code", tx: true, wrongTx: true, wantFail: "invalid_grant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := svc.CreateOffer(context.Background(), issuer.OfferRequest{VCT: oid4vciVCT, Claims: claims, TxCode: tc.tx})
			if err != nil {
				t.Fatal(err)
			}
			tx := o.TxCode
			if tc.wrongTx {
				tx = strings.Repeat("0", len(tx))
				if tx == o.TxCode {
					tx = strings.Repeat("1", len(tx))
				}
			}
			r := runOID4VCI(t, node, o.URI, tx)
			if tc.wantFail != "" {
				if r.Error == "" || !strings.Contains(r.Error+" "+jsonString(r.Detail), tc.wantFail) {
					t.Fatalf("want a %s refusal, got %+v", tc.wantFail, r)
				}
				return
			}
			if r.Error != "" {
				t.Fatalf("client failed: %s %v", r.Error, r.Detail)
			}
			if r.ConfigurationID != oid4vciConfigID || !r.Notified {
				t.Errorf("configuration %q notified %v", r.ConfigurationID, r.Notified)
			}
			res, err := sdjwtvc.Verify(context.Background(), r.Credential, sdjwtvc.VerifyOptions{
				Trust: sdjwtvc.Trust{TrustedDIDs: []string{svc.DID()}, Resolver: offlineResolver{}},
				Now:   time.Now,
			})
			if err != nil {
				t.Fatalf("credential from the third-party flow does not verify: %v", err)
			}
			holder, err := jose.JWKFromMap(r.HolderJWK)
			if err != nil {
				t.Fatal(err)
			}
			if !res.HolderJWK.Equal(holder) || res.Claims["sub"] != did.FromJWK(holder) || res.Claims["given_name"] != "Amina" {
				t.Errorf("cnf %v sub %v given_name %v", res.HolderJWK, res.Claims["sub"], res.Claims["given_name"])
			}
			if err := verify(r.Credential); err != nil {
				t.Fatalf("credential does not pass the registry and status checks: %v", err)
			}
			if code, out := cliVerify(r.Credential); code != 0 || !strings.Contains(out, `"valid": true`) {
				t.Fatalf("cairn credential verify --registry: exit %d\n%s", code, out)
			}
			received[holder.Thumbprint()] = r.Credential
		})
	}
	recs, err := svc.Records(context.Background())
	if err != nil || len(recs) != 2 {
		t.Fatalf("records %+v %v", recs, err)
	}
	for _, rec := range recs {
		if rec.Notification != "credential_accepted" {
			t.Errorf("record %s: notification %q", rec.CredentialID, rec.Notification)
		}
	}
	// The issuer suspends one credential and revokes the other: verifiers
	// see it at their next status list fetch.
	ctx := context.Background()
	for i, step := range []struct {
		change func(context.Context, string) error
		want   error
		exit   int
	}{{svc.Suspend, vccheck.ErrSuspended, 7}, {svc.Revoke, vccheck.ErrRevoked, 6}} {
		cred, ok := received[recs[i].HolderThumbprint]
		if !ok {
			t.Fatalf("no received credential for record %s", recs[i].CredentialID)
		}
		if err := step.change(ctx, recs[i].CredentialID); err != nil {
			t.Fatal(err)
		}
		if err := verify(cred); !errors.Is(err, step.want) {
			t.Errorf("record %s: verify %v, want %v", recs[i].CredentialID, err, step.want)
		}
		if code, out := cliVerify(cred); code != step.exit {
			t.Errorf("record %s: cairn credential verify exit %d, want %d\n%s", recs[i].CredentialID, code, step.exit, out)
		}
	}
	if err := svc.Reinstate(ctx, recs[0].CredentialID); err != nil {
		t.Fatal(err)
	}
	if err := verify(received[recs[0].HolderThumbprint]); err != nil {
		t.Errorf("reinstated credential: %v", err)
	}
}

// cairnVerifyCLI builds the cairn binary and returns a function that runs
// 'cairn credential verify --registry' on a credential as a verifier
// would: the registry snapshot signed by board and pinned by its public
// key, the status list fetched from the (loopback, hence dev-only) issuer.
func cairnVerifyCLI(t *testing.T, reg *trust.Registry, board *keys.PrivateKey) func(cred string) (int, string) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "cairn")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/cairn").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	snap, err := trust.SignSnapshot(reg, board.JoseSigner().WithKeyID(board.DIDJWK()+"#0"))
	if err != nil {
		t.Fatal(err)
	}
	pin, err := json.Marshal(board.PublicJWK())
	if err != nil {
		t.Fatal(err)
	}
	snapFile, pinFile := filepath.Join(dir, "registry.jwt"), filepath.Join(dir, "board.pin.jwk")
	if err := os.WriteFile(snapFile, []byte(snap), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pinFile, pin, 0o600); err != nil {
		t.Fatal(err)
	}
	return func(cred string) (int, string) {
		f := filepath.Join(dir, "cred.txt")
		if err := os.WriteFile(f, []byte(cred), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "credential", "verify", "--registry", snapFile, "--registry-key", pinFile,
			"--no-kb", "--dev-allow-private-network", "--json", f)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatalf("run cairn: %v", err)
		}
		return 0, string(out)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
