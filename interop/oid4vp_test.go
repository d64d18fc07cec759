package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/verifier"
	verifierapi "github.com/cairn-id/cairn/verifier/api"
	verifierstore "github.com/cairn-id/cairn/verifier/boltstore"
)

// The independent OpenID4VP wallet: @openid4vc/openid4vp (OpenWallet
// Foundation labs' oid4vc-ts), pinned in oid4vp/package-lock.json.
const (
	wantOID4VP   = "0.4.6"
	oid4vpDir    = "oid4vp"
	oid4vpScript = "wallet.mjs"
)

func requireOID4VP(t *testing.T) string {
	t.Helper()
	return requireNodePackage(t, oid4vpDir, "@openid4vc/openid4vp", wantOID4VP)
}

// TestOID4VPWalletAgainstVerifier: the independent wallet scans the
// verifier's openid4vp:// URI, fetches and verifies the signed request
// object, and submits a vp_token (made here with the session's nonce and
// the client id it read) by direct_post and by direct_post.jwt (encrypted
// by the wallet script); the verifier's result is valid.
func TestOID4VPWalletAgainstVerifier(t *testing.T) {
	node := requireOID4VP(t)
	gen := func() *keys.PrivateKey {
		k, err := keys.Generate(jose.ES256, nil)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	authority, ngo, vk, holder := gen(), gen(), gen(), gen()
	since := time.Now().Add(-365 * 24 * time.Hour).UTC().Truncate(time.Second)
	reg := &trust.Registry{ID: "pilot", Name: "Pilot", Authority: authority.DIDJWK(), Version: 1, IssuedAt: since, Expires: time.Now().Add(24 * time.Hour),
		Entities: []trust.Entity{{DID: ngo.DIDJWK(), Names: map[string]string{"en": "NGO"}, Role: trust.RoleIssuer, Status: trust.StatusActive,
			StatusHistory: []trust.StatusChange{{Status: trust.StatusActive, At: since}}, ValidFrom: since,
			IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: "urn:cairn:vct:identity-attestation:1", MaxStrength: 3, MaxValidity: 3, MaxVerification: 3, From: since}}}}}
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	defer srv.Close()
	st, err := verifierstore.Open(filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	sealer, _ := verifier.NewSealer(bytes.Repeat([]byte{5}, verifier.ResultKeyLen), nil)
	ps, _ := verifier.DefaultPurposes()
	svc, err := verifier.New(verifier.Config{Store: st, Signer: vk.JoseSigner().WithKeyID(vk.DIDJWK() + "#0"), DID: vk.DIDJWK(), BaseURL: srv.URL, Dev: true,
		Purposes: ps, Sealer: sealer, Registry: reg, Resolver: &did.Resolver{}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if h, err = verifierapi.New(svc, verifierapi.Options{}); err != nil {
		t.Fatal(err)
	}
	cred, err := sdjwtvc.Issue(sdjwtvc.Credential{VCT: "urn:cairn:vct:identity-attestation:1", Issuer: ngo.DIDJWK(), IssuedAt: time.Now().Add(-time.Hour), ExpiresAt: time.Now().Add(time.Hour * 24 * 365),
		HolderJWK: holder.PublicJWK(), Claims: map[string]any{"family_name": "Haddad", "given_name": "Amina", "birthdate": "1990-04-02"},
		Disclosable: []string{"/family_name", "/given_name", "/birthdate"}}, sdjwtvc.IssueOptions{Signer: ngo.JoseSigner().WithKeyID(ngo.DIDJWK() + "#0")})
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{oid4vp.ResponseModeDirectPost, oid4vp.ResponseModeDirectPostJWT} {
		t.Run(mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), nodeTimeout)
			defer cancel()
			req, err := svc.CreateSession(ctx, "clinic-access", verifier.CreateOptions{ResponseMode: mode})
			if err != nil {
				t.Fatal(err)
			}
			send, recv := nodeLines(t, ctx, node, oid4vpScript)
			send(map[string]string{"uri": req.URI})
			var ask struct {
				ClientID     string   `json:"client_id"`
				Nonce        string   `json:"nonce"`
				ResponseMode string   `json:"response_mode"`
				QueryIDs     []string `json:"query_ids"`
				Error        string   `json:"error"`
				Detail       any      `json:"detail"`
			}
			recv(&ask)
			if ask.Error != "" {
				t.Fatalf("wallet refused the request: %s %v", ask.Error, ask.Detail)
			}
			if ask.ClientID != svc.ClientID() || ask.ResponseMode != mode || len(ask.QueryIDs) != 1 {
				t.Fatalf("wallet read %+v", ask)
			}
			presentValid(t, ctx, send, recv, svc, req.SessionID, cred, holder, ask.ClientID, ask.Nonce, ask.QueryIDs[0])
		})
	}
}

// nodeLines starts script (in oid4vpDir) with node and returns functions
// writing one JSON line to its stdin and reading one from its stdout (its
// stderr shown when the script ends early). The process ends with ctx or
// the test.
// presentValid answers the Node wallet's request (send/recv, as
// nodeLines gives them) with the holder's family name, given name and
// birthdate for aud and nonce, has the wallet post it, and expects the
// verifier's result for sessionID to be valid.
func presentValid(t *testing.T, ctx context.Context, send, recv func(any), svc *verifier.Service, sessionID, cred string, holder *keys.PrivateKey, aud, nonce, queryID string) {
	t.Helper()
	p, err := sdjwtvc.Present(cred, holder.JoseSigner(), sdjwtvc.PresentOptions{Paths: []string{"/family_name", "/given_name", "/birthdate"}, Audience: aud, Nonce: nonce})
	if err != nil {
		t.Fatal(err)
	}
	send(map[string]any{"vp_token": map[string][]string{queryID: {p}}})
	var done struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
		Error  string `json:"error"`
		Detail any    `json:"detail"`
	}
	recv(&done)
	if done.Error != "" || done.Status != http.StatusOK {
		t.Fatalf("submit: %+v", done)
	}
	res, err := svc.Result(ctx, sessionID)
	if err != nil || res.Code != verifier.CodeValid {
		t.Fatalf("result %+v %v", res, err)
	}
}

func nodeLines(t *testing.T, ctx context.Context, node, script string) (send, recv func(any)) {
	t.Helper()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = oid4vpDir
	stdin, _ := cmd.StdinPipe()
	stdoutPipe, _ := cmd.StdoutPipe()
	stderr := &limitedBuffer{max: maxNodeOutput}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	rd := bufio.NewReader(stdoutPipe)
	send = func(v any) {
		b, _ := json.Marshal(v)
		if _, err := stdin.Write(append(b, '\n')); err != nil {
			t.Fatal(err)
		}
	}
	recv = func(v any) {
		line, err := rd.ReadBytes('\n')
		if err != nil {
			t.Fatalf("node %s: %v\nstderr: %s", script, err, stderr.String())
		}
		if err := json.Unmarshal(line, v); err != nil {
			t.Fatalf("node %s answered %q", script, line)
		}
	}
	return send, recv
}
