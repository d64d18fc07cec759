package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
)

func issuerCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, now: time.Now})
	return code, out.String(), errb.String()
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestIssuerServeFlow: init and offer through the CLI, serve, a wallet
// runs token -> nonce -> credential over HTTP, then list and revoke.
func TestIssuerServeFlow(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ngo")
	addr := freeAddr(t)
	base := "http://" + addr
	if code, _, stderr := issuerCLI(t, "issuer", "init", "--dir", dir, "--name", "en=Relief", "--url", base, "--dev", "--type", "urn:cairn:vct:humanitarian-registration:1"); code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	claims := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(claims, []byte(`{"registration_id":"REG-1","registration_date":"2025-03-02","registration_place":{"country":"LB"}}`), 0o600)
	code, stdout, stderr := issuerCLI(t, "issuer", "offer", "--dir", dir, "--type", "urn:cairn:vct:humanitarian-registration:1", "--claims", claims, "--tx-code", "--json")
	if code != 0 {
		t.Fatalf("offer: %d %s", code, stderr)
	}
	var off struct{ URI, TxCode string }
	var raw map[string]string
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatal(err)
	}
	off.URI, off.TxCode = raw["uri"], raw["tx_code"]

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var serveErr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"issuer", "serve", "--dir", dir, "--addr", addr}, &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &issuerLogBuffer{b: &serveErr}, getenv: func(string) string { return "" }, now: time.Now})
	}()
	c := &http.Client{Timeout: 5 * time.Second}
	var ready bool
	for i := 0; i < 100 && !ready; i++ {
		if res, err := c.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			ready = res.StatusCode == 200
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if !ready {
		cancel()
		t.Fatalf("server not ready")
	}
	post := func(path, ctype, auth string, body string) map[string]any {
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		json.NewDecoder(res.Body).Decode(&m)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %v", path, res.StatusCode, m)
		}
		return m
	}
	u, _ := url.Parse(off.URI)
	res, err := c.Get(u.Query().Get("credential_offer_uri"))
	if err != nil {
		t.Fatal(err)
	}
	var offer map[string]any
	json.NewDecoder(res.Body).Decode(&offer)
	res.Body.Close()
	code0 := offer["grants"].(map[string]any)["urn:ietf:params:oauth:grant-type:pre-authorized_code"].(map[string]any)["pre-authorized_code"].(string)
	tok := post("/token", "application/x-www-form-urlencoded", "", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:pre-authorized_code"}, "pre-authorized_code": {code0}, "tx_code": {off.TxCode}}.Encode())["access_token"].(string)
	nonce := post("/nonce", "", "", "")["c_nonce"].(string)
	holder, _ := keys.Generate(jose.EdDSA, nil)
	payload, _ := json.Marshal(map[string]any{"aud": base, "iat": time.Now().Unix(), "nonce": nonce})
	proof, _ := holder.JoseSigner().Sign(map[string]any{"typ": "openid4vci-proof+jwt", "jwk": holder.PublicJWK().Map()}, payload)
	body, _ := json.Marshal(map[string]any{"credential_configuration_id": "humanitarian-registration.v1", "proofs": map[string]any{"jwt": []string{proof}}})
	cred := post("/credential", "application/json", tok, string(body))
	if creds, _ := cred["credentials"].([]any); len(creds) != 1 {
		t.Fatalf("credential response %v", cred)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, serveErr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
	if !strings.Contains(serveErr.String(), `"msg":"credential issued"`) {
		t.Errorf("no JSON log line for the issuance:\n%s", serveErr.String())
	}
	if strings.Contains(serveErr.String(), "REG-1") {
		t.Error("a claim value reached the log")
	}

	code, stdout, stderr = issuerCLI(t, "issuer", "list", "--dir", dir, "--json")
	var recs []map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &recs) != nil || len(recs) != 1 {
		t.Fatalf("list: %d %s %s", code, stdout, stderr)
	}
	if strings.Contains(stdout, "REG-1") || recs[0]["holder_thumbprint"] != holder.PublicJWK().Thumbprint() {
		t.Errorf("record %v", recs[0])
	}
	id := recs[0]["credential_id"].(string)
	for _, step := range []struct {
		verb  string
		code  int
		state string
	}{{"suspend", 0, "suspended"}, {"reinstate", 0, "valid"}, {"revoke", 0, "revoked"}, {"reinstate", 1, "revoked"}} {
		if code, _, stderr := issuerCLI(t, "issuer", step.verb, "--dir", dir, id); code != step.code {
			t.Fatalf("%s: %d %s", step.verb, code, stderr)
		}
		_, stdout, _ := issuerCLI(t, "issuer", "list", "--dir", dir)
		if !strings.Contains(stdout, fmt.Sprintf("%s  ", step.state)) {
			t.Errorf("after %s: %s", step.verb, stdout)
		}
	}
}

// issuerLogBuffer lets the server goroutine log while the test reads at the end.
type issuerLogBuffer struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (s *issuerLogBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
