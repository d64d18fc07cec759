package stack

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jptvc"
	"github.com/cairn-id/cairn/internal/oid4vci"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/verifier"
	verifierapi "github.com/cairn-id/cairn/verifier/api"
	"github.com/cairn-id/cairn/wallet"
	walletapi "github.com/cairn-id/cairn/wallet/api"
)

// call sends a JSON request and decodes a JSON answer into out.
func call(t *testing.T, method, url, token string, body, out any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, b)
		}
	}
	return res.StatusCode, b
}

// TestJPTDemo: the seeded school offers language-skills in the
// experimental jpt format too (its metadata lists the configuration, the
// seeded registry its BBS key); a jpt offer is redeemed by the stack's
// wallet agent and shown to the stack's verifier desk for the purpose
// language-check, which finds it valid and says it has no holder
// binding.
func TestJPTDemo(t *testing.T) {
	s, srv := serve(t, t.TempDir(), func() time.Time { return t0 })
	school := s.Issuer("school")
	lang := "urn:cairn:vct:language-skills:1"
	if len(school.JPT) != 1 || school.JPT[0] != lang {
		t.Fatalf("school jpt types %v", school.JPT)
	}
	for _, is := range s.Issuers {
		if is.Name != "school" && len(is.JPT) != 0 {
			t.Errorf("%s offers jpt: %v", is.Name, is.JPT)
		}
	}
	// The metadata, as a wallet reads it.
	u, _ := oid4vci.IssuerMetadataURL(school.URL)
	code, body := get(t, u)
	var md oid4vci.IssuerMetadata
	if err := json.Unmarshal([]byte(body), &md); code != 200 || err != nil {
		t.Fatalf("metadata: %d %v", code, err)
	}
	jc, ok := md.CredentialConfigurationsSupported["language-skills.v1"+issuer.JPTSuffix]
	if !ok || jc.Format != jptvc.Format || jc.VCT != lang || jc.ProofTypesSupported != nil {
		t.Fatalf("jpt configuration %+v in %s", jc, body)
	}
	if sd := md.CredentialConfigurationsSupported["language-skills.v1"]; sd.Format != "dc+sd-jwt" {
		t.Errorf("the SD-JWT VC configuration: %+v", sd)
	}
	// The seeded registry lists the school's BBS key, from the seed on.
	e := s.Registry().Entity(school.DID)
	if e == nil || len(e.Keys) != 1 || e.Keys[0].DID != did.FromBBSKey(school.Service.BBSPublicKey()) || e.Keys[0].From.After(t0) {
		t.Fatalf("school entity keys: %+v", e)
	}

	// A holder on the stack's wallet agent receives a jpt credential.
	agent := srv.URL + AgentPath
	dev := make([]byte, 32)
	rand.Read(dev)
	var created walletapi.Created
	st, b := call(t, "POST", agent+"/v1/holders", "", walletapi.CreateRequest{PIN: "2468", DeviceSecret: base64.RawURLEncoding.EncodeToString(dev), Lang: "en"}, &created)
	if st != http.StatusCreated {
		t.Fatalf("holder: %d %s", st, b)
	}
	var sess walletapi.Session
	st, b = call(t, "POST", agent+"/v1/sessions", "", walletapi.LoginRequest{HolderID: created.HolderID, PIN: "2468", DeviceSecret: base64.RawURLEncoding.EncodeToString(dev)}, &sess)
	if st != http.StatusCreated {
		t.Fatalf("login: %d %s", st, b)
	}
	o, err := school.Service.CreateOffer(context.Background(), issuer.OfferRequest{VCT: lang, Format: issuer.FormatJPT,
		Claims: map[string]any{"languages": []any{map[string]any{"language": "fr", "overall": "B1"}}, "assessed_on": "2026-11-20"}})
	if err != nil {
		t.Fatal(err)
	}
	var op wallet.OfferPreview
	st, b = call(t, "POST", agent+"/v1/offers", sess.Token, walletapi.OfferRequest{Offer: o.URI}, &op)
	if st != http.StatusOK || !op.Trusted || op.Format != jptvc.Format {
		t.Fatalf("offer preview: %d %s", st, b)
	}
	var acc wallet.Accepted
	st, b = call(t, "POST", agent+"/v1/offers/"+op.ID+"/accept", sess.Token, walletapi.AcceptRequest{}, &acc)
	if st != http.StatusOK || acc.Format != jptvc.Format || len(acc.IDs) != 1 {
		t.Fatalf("accept: %d %s", st, b)
	}

	// The desk asks for it with the purpose language-check.
	console := httptest.NewServer(s.console)
	t.Cleanup(console.Close)
	var cs verifierapi.CreateSessionResponse
	st, b = call(t, "POST", console.URL+"/console/sessions", "", verifierapi.CreateSessionRequest{Purpose: "language-check"}, &cs)
	if st != http.StatusCreated {
		t.Fatalf("session: %d %s", st, b)
	}
	var rp wallet.RequestPreview
	st, b = call(t, "POST", agent+"/v1/requests", sess.Token, walletapi.PresentationRequest{Request: cs.URI}, &rp)
	if st != http.StatusOK || !rp.CanAnswer || len(rp.OutsidePurpose) != 0 || len(rp.Queries) != 1 || rp.Queries[0].Format != jptvc.Format {
		t.Fatalf("request preview: %d %s", st, b)
	}
	st, b = call(t, "POST", agent+"/v1/requests/"+rp.ID+"/respond", sess.Token, wallet.Consent{}, nil)
	if st != http.StatusOK {
		t.Fatalf("respond: %d %s", st, b)
	}
	var r verifier.Result
	st, b = call(t, "GET", console.URL+"/console/sessions/"+cs.SessionID+"/result?wait=5s", "", nil, &r)
	if st != http.StatusOK || r.Code != verifier.CodeValid || len(r.Credentials) != 1 {
		t.Fatalf("result: %d %s", st, b)
	}
	c := r.Credentials[0]
	if c.Format != jptvc.Format || !c.NoHolderBinding || c.Issuer != school.DID || c.VCT != lang || c.Claims["assessed_on"] != "2026-11-20" || c.Claims["languages"] == nil {
		t.Fatalf("credential result: %s", b)
	}
	if strings.Contains(string(b), "family_name") {
		t.Errorf("the result holds more than was asked: %s", b)
	}
}
