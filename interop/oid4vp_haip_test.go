package interop

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/verifier"
	verifierapi "github.com/cairn-id/cairn/verifier/api"
	verifierstore "github.com/cairn-id/cairn/verifier/boltstore"
)

// haipWalletScript is a HAIP wallet from @openid4vc/openid4vp that
// validates the request's x5c chain against a given access CA itself.
const haipWalletScript = "haip-wallet.mjs"

// TestOID4VPHAIPWallet: Cairn's verifier under the HAIP profile, with an
// access certificate from a test access CA minted here, asks the
// independent wallet; the wallet accepts the request (x509_hash client id,
// x5c chain to the CA, ES256) and its direct_post.jwt answer gives a valid
// result. The same request re-signed with the CA inside x5c, or by a
// self-signed leaf (its own x509_hash), is refused by the wallet.
func TestOID4VPHAIPWallet(t *testing.T) {
	node := requireOID4VP(t)
	now := time.Now()
	gen := func() *keys.PrivateKey {
		k, err := keys.Generate(jose.ES256, nil)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	authority, ngo, holder := gen(), gen(), gen()
	ca := testkit.MintCert(t, "Cairn Test Access CA", nil, true, now, nil)
	leaf := testkit.MintCert(t, "HAIP desk", ca, false, now, nil)
	self := testkit.MintCert(t, "Self-signed desk", nil, false, now, nil)
	since := now.Add(-365 * 24 * time.Hour).UTC().Truncate(time.Second)
	reg := &trust.Registry{ID: "pilot", Name: "Pilot", Authority: authority.DIDJWK(), Version: 1, IssuedAt: since, Expires: now.Add(24 * time.Hour),
		Entities: []trust.Entity{{DID: ngo.DIDJWK(), Names: map[string]string{"en": "NGO"}, Role: trust.RoleIssuer, Status: trust.StatusActive,
			StatusHistory: []trust.StatusChange{{Status: trust.StatusActive, At: since}}, ValidFrom: since,
			IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: "urn:cairn:vct:identity-attestation:1", MaxStrength: 3, MaxValidity: 3, MaxVerification: 3, From: since}}}}}
	// Request objects re-signed by the test, served at /bad/{name}.
	bad := map[string]string{}
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if name, ok := strings.CutPrefix(r.URL.Path, "/bad/"); ok {
			w.Header().Set("Content-Type", oid4vp.RequestObjectMediaType)
			_, _ = w.Write([]byte(bad[name]))
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	st, err := verifierstore.Open(filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	sealer, _ := verifier.NewSealer(bytes.Repeat([]byte{5}, verifier.ResultKeyLen), nil)
	ps, _ := verifier.DefaultPurposes()
	sig, _ := jose.NewSigner(leaf.Key, nil)
	leafJWK, _ := jose.NewJWK(leaf.Key.Public())
	svc, err := verifier.New(verifier.Config{Store: st, Signer: sig, DID: did.FromJWK(leafJWK), X5C: [][]byte{leaf.Cert.Raw}, Profile: verifier.ProfileHAIP,
		ResponseMode: oid4vp.ResponseModeDirectPostJWT, BaseURL: srv.URL, Dev: true, Purposes: ps, Sealer: sealer, Registry: reg, Resolver: &did.Resolver{}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if h, err = verifierapi.New(svc, verifierapi.Options{}); err != nil {
		t.Fatal(err)
	}
	cred, err := sdjwtvc.Issue(sdjwtvc.Credential{VCT: "urn:cairn:vct:identity-attestation:1", Issuer: ngo.DIDJWK(), IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour * 24 * 365),
		HolderJWK: holder.PublicJWK(), Claims: map[string]any{"family_name": "Haddad", "given_name": "Amina", "birthdate": "1990-04-02"},
		Disclosable: []string{"/family_name", "/given_name", "/birthdate"}}, sdjwtvc.IssueOptions{Signer: ngo.JoseSigner().WithKeyID(ngo.DIDJWK() + "#0")})
	if err != nil {
		t.Fatal(err)
	}
	// resign takes a session's request object from the service and signs
	// its payload again under another client id and x5c.
	resign := func(name, clientID string, key crypto.Signer, x5c [][]byte) string {
		t.Helper()
		req, err := svc.CreateSession(context.Background(), "clinic-access", verifier.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := svc.RequestObject(context.Background(), req.SessionID, "")
		if err != nil {
			t.Fatal(err)
		}
		j, _ := jose.Parse(tok)
		var p map[string]any
		_ = json.Unmarshal(j.Payload, &p)
		p["client_id"] = clientID
		pb, _ := json.Marshal(p)
		s, _ := jose.NewSigner(key, nil)
		if bad[name], err = s.Sign(map[string]any{"typ": oid4vp.RequestObjectTyp, "x5c": oid4vp.EncodeX5C(x5c)}, pb); err != nil {
			t.Fatal(err)
		}
		uri, err := oid4vp.BuildRequestURI(clientID, srv.URL+"/bad/"+name, oid4vp.RequestURIMethodGet)
		if err != nil {
			t.Fatal(err)
		}
		return uri
	}
	good, err := svc.CreateSession(context.Background(), "clinic-access", verifier.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, uri, refusal string
	}{
		{"accepted", good.URI, ""},
		{"anchor inside x5c", resign("anchor", svc.ClientID(), leaf.Key, [][]byte{leaf.Cert.Raw, ca.Cert.Raw}), "the trust anchor is inside x5c"},
		{"self-signed leaf", resign("self", oid4vp.X509HashClientID(self.Cert.Raw), self.Key, [][]byte{self.Cert.Raw}), "the leaf certificate is self-signed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), nodeTimeout)
			defer cancel()
			send, recv := nodeLines(t, ctx, node, haipWalletScript)
			send(map[string]string{"uri": c.uri, "anchor_pem": string(ca.PEM())})
			var ask struct {
				ClientID     string   `json:"client_id"`
				Nonce        string   `json:"nonce"`
				ResponseMode string   `json:"response_mode"`
				QueryIDs     []string `json:"query_ids"`
				Prefix       string   `json:"prefix"`
				Enc          string   `json:"enc"`
				Error        string   `json:"error"`
				Detail       any      `json:"detail"`
			}
			recv(&ask)
			if c.refusal != "" {
				if !strings.Contains(ask.Error, c.refusal) {
					t.Fatalf("wallet answered %+v, want the refusal %q", ask, c.refusal)
				}
				return
			}
			if ask.Error != "" {
				t.Fatalf("wallet refused the request: %s %v", ask.Error, ask.Detail)
			}
			if ask.ClientID != svc.ClientID() || ask.Prefix != oid4vp.PrefixX509Hash || ask.ResponseMode != oid4vp.ResponseModeDirectPostJWT || ask.Enc != jose.A128GCM || len(ask.QueryIDs) != 1 {
				t.Fatalf("wallet read %+v", ask)
			}
			presentValid(t, ctx, send, recv, svc, good.SessionID, cred, holder, ask.ClientID, ask.Nonce, ask.QueryIDs[0])
		})
	}
}
