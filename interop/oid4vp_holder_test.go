package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
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

const (
	oid4vpHolderJS = "holder.mjs"
	identityVCT    = "urn:cairn:vct:identity-attestation:1"
)

// npmHolderInput is holder.mjs's input (see the script).
type npmHolderInput struct {
	URI         string          `json:"uri"`
	Credential  string          `json:"credential"`
	HolderJWK   json.RawMessage `json:"holder_jwk"`
	Tamper      string          `json:"tamper,omitempty"`
	ExtraClaims []string        `json:"extra_claims,omitempty"`
	Refuse      bool            `json:"refuse,omitempty"`
	Replay      bool            `json:"replay,omitempty"`
	Refetch     bool            `json:"refetch,omitempty"`
}

type npmHTTP struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
}

type npmHolderOutput struct {
	ClientID     string    `json:"client_id"`
	Nonce        string    `json:"nonce"`
	ResponseMode string    `json:"response_mode"`
	Prefix       string    `json:"prefix"`
	QueryIDs     []string  `json:"query_ids"`
	Satisfied    bool      `json:"satisfied"`
	Disclosed    []string  `json:"disclosed"`
	Submits      []npmHTTP `json:"submits"`
	Refetch      *npmHTTP  `json:"refetch"`
	Error        string    `json:"error"`
	Detail       any       `json:"detail"`
}

func runNPMHolder(t *testing.T, node string, in npmHolderInput) npmHolderOutput {
	t.Helper()
	b, _ := json.Marshal(in)
	ctx, cancel := context.WithTimeout(context.Background(), nodeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, oid4vpHolderJS)
	cmd.Dir = oid4vpDir
	cmd.Stdin = bytes.NewReader(b)
	stdout := &limitedBuffer{max: maxNodeOutput}
	stderr := &limitedBuffer{max: maxNodeOutput}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\nstderr: %s", oid4vpHolderJS, err, stderr.String())
	}
	var out npmHolderOutput
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("node %s answered non-JSON (%v): %.500s", oid4vpHolderJS, err, stdout.String())
	}
	return out
}

// TestOID4VPNpmHolderToCairnVerifier: issue 11's Show, from the wallet
// side. An independent holder (@openid4vc/openid4vp's client, dcql-ts,
// sd-jwt-js) answers sessions of Cairn's verifier over HTTP on loopback:
// it fetches and verifies the signed request object, evaluates the
// purpose's DCQL query, presents an SD-JWT VC with a KB-JWT and posts it
// by direct_post.jwt (and direct_post). Cairn's verifier accepts the valid
// ones and refuses tampered ones, each with its own code.
func TestOID4VPNpmHolderToCairnVerifier(t *testing.T) {
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
			IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: identityVCT, MaxStrength: 3, MaxValidity: 3, MaxVerification: 3, From: since}}}}}
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	defer srv.Close()
	st, err := verifierstore.Open(filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := verifier.NewSealer(bytes.Repeat([]byte{7}, verifier.ResultKeyLen), nil)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := verifier.DefaultPurposes()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := verifier.New(verifier.Config{Store: st, Signer: vk.JoseSigner().WithKeyID(vk.DIDJWK() + "#0"), DID: vk.DIDJWK(), BaseURL: srv.URL, Dev: true,
		Purposes: ps, Sealer: sealer, Registry: reg, Resolver: &did.Resolver{}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if h, err = verifierapi.New(svc, verifierapi.Options{}); err != nil {
		t.Fatal(err)
	}
	cred, err := sdjwtvc.Issue(sdjwtvc.Credential{VCT: identityVCT, Issuer: ngo.DIDJWK(), IssuedAt: time.Now().Add(-time.Hour), ExpiresAt: time.Now().Add(365 * 24 * time.Hour),
		HolderJWK: holder.PublicJWK(), Claims: map[string]any{"family_name": "Haddad", "given_name": "Amina", "birthdate": "1990-04-02", "sex": 2},
		Disclosable: []string{"/family_name", "/given_name", "/birthdate", "/sex"}}, sdjwtvc.IssueOptions{Signer: ngo.JoseSigner().WithKeyID(ngo.DIDJWK() + "#0")})
	if err != nil {
		t.Fatal(err)
	}
	// The same claims from an issuer the registry does not know, and an
	// expired credential from the registered one.
	stranger := gen()
	untrusted, err := sdjwtvc.Issue(sdjwtvc.Credential{VCT: identityVCT, Issuer: stranger.DIDJWK(), IssuedAt: time.Now().Add(-time.Hour), ExpiresAt: time.Now().Add(365 * 24 * time.Hour),
		HolderJWK: holder.PublicJWK(), Claims: map[string]any{"family_name": "Haddad", "given_name": "Amina", "birthdate": "1990-04-02"},
		Disclosable: []string{"/family_name", "/given_name", "/birthdate"}}, sdjwtvc.IssueOptions{Signer: stranger.JoseSigner().WithKeyID(stranger.DIDJWK() + "#0")})
	if err != nil {
		t.Fatal(err)
	}
	expired, err := sdjwtvc.Issue(sdjwtvc.Credential{VCT: identityVCT, Issuer: ngo.DIDJWK(), IssuedAt: time.Now().Add(-48 * time.Hour), ExpiresAt: time.Now().Add(-24 * time.Hour),
		HolderJWK: holder.PublicJWK(), Claims: map[string]any{"family_name": "Haddad", "given_name": "Amina", "birthdate": "1990-04-02"},
		Disclosable: []string{"/family_name", "/given_name", "/birthdate"}}, sdjwtvc.IssueOptions{Signer: ngo.JoseSigner().WithKeyID(ngo.DIDJWK() + "#0")})
	if err != nil {
		t.Fatal(err)
	}
	holderJWK, err := keys.MarshalPrivateJWK(holder)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name, mode string
		in         npmHolderInput
		// wantCode is the result's code when the response is taken;
		// wantHTTP the refusal code of a response (or second response)
		// the verifier does not take.
		wantCode    verifier.Code
		wantDropped int
		wantHTTP    string
	}{
		{name: "valid direct_post.jwt", mode: oid4vp.ResponseModeDirectPostJWT, wantCode: verifier.CodeValid},
		{name: "valid direct_post", mode: oid4vp.ResponseModeDirectPost, wantCode: verifier.CodeValid},
		{name: "claim beyond the query dropped", mode: oid4vp.ResponseModeDirectPostJWT, in: npmHolderInput{ExtraClaims: []string{"sex"}}, wantCode: verifier.CodeValid, wantDropped: 1},
		{name: "refusal", mode: oid4vp.ResponseModeDirectPostJWT, in: npmHolderInput{Refuse: true}, wantCode: verifier.CodeWalletDeclined},
		{name: "KB aud without the prefix", mode: oid4vp.ResponseModeDirectPostJWT, in: npmHolderInput{Tamper: "kb_aud_without_prefix"}, wantCode: verifier.CodeKBAudienceNoPrefix},
		{name: "wrong nonce", mode: oid4vp.ResponseModeDirectPostJWT, in: npmHolderInput{Tamper: "wrong_nonce"}, wantCode: "nonce_mismatch"},
		{name: "tampered disclosure", mode: oid4vp.ResponseModeDirectPostJWT, in: npmHolderInput{Tamper: "disclosure"}, wantCode: "unreferenced_disclosure"},
		{name: "issuer signature", mode: oid4vp.ResponseModeDirectPostJWT, in: npmHolderInput{Tamper: "issuer_signature"}, wantCode: "invalid_signature"},
		{name: "sd_hash", mode: oid4vp.ResponseModeDirectPostJWT, in: npmHolderInput{Tamper: "sd_hash"}, wantCode: "sd_hash_mismatch"},
		{name: "vp_token answering another query", mode: oid4vp.ResponseModeDirectPostJWT, in: npmHolderInput{Tamper: "other_query_id"}, wantCode: verifier.CodeQueryNotSatisfied},
		{name: "untrusted issuer", mode: oid4vp.ResponseModeDirectPostJWT, in: npmHolderInput{Credential: untrusted}, wantCode: "untrusted_issuer"},
		{name: "expired credential", mode: oid4vp.ResponseModeDirectPostJWT, in: npmHolderInput{Credential: expired}, wantCode: "expired"},
		{name: "replayed response", mode: oid4vp.ResponseModeDirectPostJWT, in: npmHolderInput{Replay: true}, wantCode: verifier.CodeValid, wantHTTP: string(verifier.CodeResponseReplay)},
		{name: "request_uri fetched twice", mode: oid4vp.ResponseModeDirectPost, in: npmHolderInput{Refetch: true}, wantCode: verifier.CodeValid, wantHTTP: string(verifier.CodeRequestUsed)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			req, err := svc.CreateSession(ctx, "clinic-access", verifier.CreateOptions{ResponseMode: tc.mode})
			if err != nil {
				t.Fatal(err)
			}
			in := tc.in
			in.URI, in.HolderJWK = req.URI, holderJWK
			if in.Credential == "" {
				in.Credential = cred
			}
			out := runNPMHolder(t, node, in)
			if out.Error != "" {
				t.Fatalf("npm holder: %s %v", out.Error, out.Detail)
			}
			if out.ClientID != svc.ClientID() || out.Prefix != "decentralized_identifier" || out.ResponseMode != tc.mode || len(out.QueryIDs) != 1 {
				t.Fatalf("npm holder read %+v", out)
			}
			if !tc.in.Refuse && !out.Satisfied {
				t.Fatalf("dcql-ts: the credential does not satisfy the purpose's query: %+v", out)
			}
			if len(out.Submits) == 0 || out.Submits[0].Status != http.StatusOK {
				t.Fatalf("verifier refused the response: %+v", out.Submits)
			}
			res, err := svc.Result(ctx, req.SessionID)
			if err != nil {
				t.Fatal(err)
			}
			if res.Code != tc.wantCode || res.DroppedClaims != tc.wantDropped {
				t.Errorf("result code %q dropped %d, want %q and %d (%s)", res.Code, res.DroppedClaims, tc.wantCode, tc.wantDropped, res.Message)
			}
			if tc.wantCode == verifier.CodeValid && (len(res.Credentials) != 1 || res.Credentials[0].Claims["given_name"] != "Amina" || res.Credentials[0].Claims["sex"] != nil) {
				t.Errorf("credentials %+v", res.Credentials)
			}
			switch {
			case tc.in.Replay:
				if len(out.Submits) != 2 || out.Submits[1].Status == http.StatusOK || !strings.Contains(out.Submits[1].Body, tc.wantHTTP) {
					t.Errorf("replay: %+v", out.Submits)
				}
			case tc.in.Refetch:
				if out.Refetch == nil || out.Refetch.Status == http.StatusOK || !strings.Contains(out.Refetch.Body, tc.wantHTTP) {
					t.Errorf("second request_uri fetch: %+v", out.Refetch)
				}
			}
		})
	}
}
