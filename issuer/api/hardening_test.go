package api

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/testkit"
)

// TestTokenGrantTypeMissing: a token request without grant_type (or with
// it twice) is a malformed request (invalid_request, RFC 6749 §5.2), not an
// unsupported grant (issue 9).
func TestTokenGrantTypeMissing(t *testing.T) {
	f := newFixture(t)
	w := newWallet(t, f)
	for name, body := range map[string]string{
		"missing":  "pre-authorized_code=abc",
		"repeated": "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code=abc",
		"empty":    "grant_type=&pre-authorized_code=abc",
	} {
		r := do(t, w.c, "POST", f.srv.URL+"/token", "application/x-www-form-urlencoded", "", strings.NewReader(body))
		if r.status != 400 || r.body["error"] != "invalid_request" {
			t.Errorf("grant_type %s: %d %s, want 400 invalid_request", name, r.status, r.raw)
		}
	}
	r := do(t, w.c, "POST", f.srv.URL+"/token", "application/x-www-form-urlencoded", "", strings.NewReader("grant_type=authorization_code&code=x"))
	if r.status != 400 || r.body["error"] != "unsupported_grant_type" {
		t.Errorf("another grant: %d %s", r.status, r.raw)
	}
}

// TestIssuerRoutesWrongMethod: every issuer route answers a method it
// does not serve with 405 and an Allow header naming the ones it does.
func TestIssuerRoutesWrongMethod(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ method, path, allow string }{
		{"POST", "/.well-known/openid-credential-issuer", "GET, HEAD"},
		{"DELETE", "/.well-known/oauth-authorization-server", "GET, HEAD"},
		{"PUT", "/.well-known/jwt-vc-issuer", "GET, HEAD"},
		{"POST", "/offers/abc", "GET, HEAD"},
		{"GET", "/token", "POST"},
		{"GET", "/nonce", "POST"},
		{"PUT", "/credential", "POST"},
		{"GET", "/notification", "POST"},
		{"POST", "/status/1", "GET, HEAD"},
	} {
		r := do(t, f.srv.Client(), tc.method, f.srv.URL+tc.path, "", "", nil)
		if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d Allow %q, want 405 Allow %q", tc.method, tc.path, r.status, r.header.Get("Allow"), tc.allow)
		}
	}
}

// TestProofWithIssRefusedInAnonymousFlow: in the pre-authorized code flow
// without a client id, a key proof carrying iss is refused (OpenID4VCI
// Appendix F.1) and the token stays usable.
func TestProofWithIssRefusedInAnonymousFlow(t *testing.T) {
	f := newFixture(t)
	w := newWallet(t, f)
	code, _ := w.fetchOffer(f.offer(t, false))
	tok := w.token(code, "").body["access_token"].(string)
	r := w.credential(tok, testConfigID, w.proof(w.nonce(), func(h, c map[string]any) { c["iss"] = "wallet-client" }))
	if r.status != 400 || r.body["error"] != "invalid_proof" {
		t.Fatalf("proof with iss: %d %s, want 400 invalid_proof", r.status, r.raw)
	}
	if r := w.credential(tok, testConfigID, w.proof(w.nonce(), nil)); r.status != 200 {
		t.Errorf("the token after the refused proof: %d %s", r.status, r.raw)
	}
}

// TestIssuerRefusalsAggregated: a client refused many times (429) gets
// one aggregated log line, not one per request (internal/server's refusal
// log), and no nonce refusal is logged per request any more.
func TestIssuerRefusalsAggregated(t *testing.T) {
	var logs testkit.SyncBuffer
	f := newFixture(t, func(c *fixtureConfig) {
		c.API.NonceLimit = server.RateLimit{PerMinute: 1, Burst: 1}
		c.API.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		c.API.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	const n = 60
	refused := 0
	for i := 0; i < n; i++ {
		if r := postNonce(t, f, "198.51.100.9"); r.status == http.StatusTooManyRequests {
			refused++
		}
	}
	f.h.FlushRefusalLog()
	if refused != n-1 {
		t.Fatalf("%d of %d refused, want %d", refused, n, n-1)
	}
	var lines []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "status=429") || strings.Contains(l, "refused") {
			lines = append(lines, l)
		}
	}
	if len(lines) > 2 {
		t.Errorf("%d log lines for %d refusals, want at most 2 (first and flushed):\n%s", len(lines), refused, strings.Join(lines, "\n"))
	}
	if !bytes.Contains([]byte(logs.String()), []byte("requests refused")) {
		t.Errorf("no aggregated refusal line:\n%s", logs.String())
	}
}
