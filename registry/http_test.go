package registry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/registry"
)

type httpFixture struct {
	*fixture
	srv  *httptest.Server
	logs *bytes.Buffer
}

func newHTTPFixture(t *testing.T, publish bool) *httpFixture {
	f := &httpFixture{fixture: newFixture(t), logs: &bytes.Buffer{}}
	f.admit(t)
	if publish {
		if _, _, err := f.svc.Publish(context.Background(), f.key, 30*24*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	h := registry.NewHandler(f.store, registry.HandlerOptions{Now: f.clk.now, Logger: slog.New(slog.NewJSONHandler(f.logs, nil))})
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *httpFixture) do(t *testing.T, method, path, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not JSON: %s", b)
	}
	return m
}

func TestHTTPSnapshotAndEntity(t *testing.T) {
	f := newHTTPFixture(t, true)
	resp, body := f.do(t, "GET", "/registry/snapshot", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/jwt" {
		t.Fatalf("snapshot: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	reg, err := trust.VerifySnapshot(string(body), []*jose.JWK{f.st.Authority.PublicJWK}, f.clk.t)
	if err != nil || reg.Version != 1 {
		t.Fatalf("served snapshot does not verify: %v", err)
	}
	// A client can refresh from it.
	c := &trust.Client{Pinned: f.pinned(), HTTPClient: f.srv.Client(), CachePath: t.TempDir() + "/cache.jwt", Now: f.clk.now}
	if _, err := c.Refresh(context.Background(), f.srv.URL+"/registry/snapshot"); err != nil {
		t.Fatal(err)
	}

	resp, body = f.do(t, "GET", "/registry/entities/"+ngoDID, "")
	m := decode(t, body)
	if resp.StatusCode != 200 || m["registry_version"] != float64(1) || m["entity"].(map[string]any)["did"] != ngoDID {
		t.Fatalf("entity: %d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, "GET", "/registry/entities/did:example:nobody", "")
	if resp.StatusCode != 404 || decode(t, body)["code"] != "unknown_entity" {
		t.Fatalf("unknown entity: %d %s", resp.StatusCode, body)
	}
}

func TestHTTPNotPublished(t *testing.T) {
	f := newHTTPFixture(t, false)
	if resp, body := f.do(t, "GET", "/registry/snapshot", ""); resp.StatusCode != 404 || decode(t, body)["code"] != "not_published" {
		t.Fatalf("snapshot before publish: %d %s", resp.StatusCode, body)
	}
	q := `{"entity_id":"` + ngoDID + `","authority_id":"x","action":"issue","resource":"` + vct + `"}`
	if resp, body := f.do(t, "POST", "/trqp/authorization", q); resp.StatusCode != 503 || decode(t, body)["code"] != "not_published" {
		t.Fatalf("query before publish: %d %s", resp.StatusCode, body)
	}
	if resp, _ := f.do(t, "GET", "/readyz", ""); resp.StatusCode != 200 {
		t.Fatalf("readyz on an initialized store: %d", resp.StatusCode)
	}
}

func TestHTTPTRQPAuthorization(t *testing.T) {
	f := newHTTPFixture(t, true)
	auth := f.st.Authority.DID
	issuedAt := t0.Add(time.Hour).Format(time.RFC3339)
	tests := []struct {
		name, body string
		authorized bool
		reason     string
		outside    []any
	}{
		{"issuer authorized", `{"entity_id":"` + ngoDID + `","authority_id":"` + auth + `","action":"issue","resource":"` + vct + `","context":{"time":"` + issuedAt + `"}}`, true, trust.ReasonAuthorized, nil},
		{"registry id as authority", `{"entity_id":"` + ngoDID + `","authority_id":"` + f.st.Registry.ID + `","action":"issue","resource":"` + vct + `"}`, true, trust.ReasonAuthorized, nil},
		{"other vct", `{"entity_id":"` + ngoDID + `","authority_id":"` + auth + `","action":"issue","resource":"urn:other"}`, false, trust.ReasonNoAuthorization, nil},
		{"before registration", `{"entity_id":"` + ngoDID + `","authority_id":"` + auth + `","action":"issue","resource":"` + vct + `","context":{"time":"2020-01-01T00:00:00Z"}}`, false, trust.ReasonOutsideValidity, nil},
		{"verifier inside purpose", `{"entity_id":"` + deskDID + `","authority_id":"` + auth + `","action":"request","resource":"intake","context":{"claims":["family_name"]}}`, true, trust.ReasonAuthorized, nil},
		{"verifier outside purpose", `{"entity_id":"` + deskDID + `","authority_id":"` + auth + `","action":"request","resource":"intake","context":{"claims":["family_name","birthdate"]}}`, false, trust.ReasonClaimsOutsidePurpose, []any{"/birthdate"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := f.do(t, "POST", "/trqp/authorization", tc.body)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			m := decode(t, body)
			ext := m["ext"].(map[string]any)["id.cairn"].(map[string]any)
			if m["authorized"] != tc.authorized || m["message"] != tc.reason || m["time_evaluated"] == nil {
				t.Fatalf("answer %s", body)
			}
			if got, _ := ext["outside_purpose"].([]any); len(got) != len(tc.outside) || (len(got) > 0 && got[0] != tc.outside[0]) {
				t.Fatalf("outside_purpose %v, want %v", got, tc.outside)
			}
			if tc.authorized && strings.Contains(tc.body, `"issue"`) && ext["max_strength"] != float64(2) {
				t.Fatalf("caps missing: %s", body)
			}
		})
	}
}

func TestHTTPTRQPRecognition(t *testing.T) {
	f := newHTTPFixture(t, true)
	auth, id := f.st.Authority.DID, f.st.Registry.ID
	q := func(entity, action, resource string) string {
		return `{"entity_id":"` + entity + `","authority_id":"` + auth + `","action":"` + action + `","resource":"` + resource + `"}`
	}
	for _, tc := range []struct {
		body, message string
		recognized    bool
	}{
		{q(ngoDID, "issuer", id), "recognized", true},
		{q(deskDID, "verifier", id), "recognized", true},
		{q(ngoDID, "verifier", id), trust.ReasonWrongRole, false},
		{q("did:example:x", "issuer", id), trust.ReasonUnknownEntity, false},
		{q(ngoDID, "issuer", "urn:other"), "unknown_resource", false},
	} {
		resp, body := f.do(t, "POST", "/trqp/recognition", tc.body)
		m := decode(t, body)
		if resp.StatusCode != 200 || m["recognized"] != tc.recognized || m["message"] != tc.message {
			t.Errorf("%s: %d %s", tc.body, resp.StatusCode, body)
		}
	}
}

func TestHTTPBadRequests(t *testing.T) {
	f := newHTTPFixture(t, true)
	auth := f.st.Authority.DID
	tests := []struct {
		name, method, path, body, ctype string
		status                          int
		code                            string
	}{
		{"not JSON", "POST", "/trqp/authorization", `{"entity_id":`, "application/json", 400, "invalid_request"},
		{"array body", "POST", "/trqp/authorization", `[1]`, "application/json", 400, "invalid_request"},
		{"missing fields", "POST", "/trqp/authorization", `{"entity_id":"did:x:y"}`, "application/json", 400, "invalid_request"},
		{"wrong types", "POST", "/trqp/authorization", `{"entity_id":1,"authority_id":"a","action":"issue","resource":"r"}`, "application/json", 400, "invalid_request"},
		{"trailing data", "POST", "/trqp/authorization", `{"entity_id":"a","authority_id":"b","action":"issue","resource":"r"} {}`, "application/json", 400, "invalid_request"},
		{"bad time", "POST", "/trqp/authorization", `{"entity_id":"did:x:y","authority_id":"` + auth + `","action":"issue","resource":"r","context":{"time":"yesterday"}}`, "application/json", 400, "invalid_request"},
		{"bad claim", "POST", "/trqp/authorization", `{"entity_id":"did:x:y","authority_id":"` + auth + `","action":"request","resource":"intake","context":{"claims":["//"]}}`, "application/json", 400, "invalid_request"},
		{"unknown action", "POST", "/trqp/authorization", `{"entity_id":"did:x:y","authority_id":"` + auth + `","action":"delete","resource":"r"}`, "application/json", 400, "unsupported_action"},
		{"unknown recognition action", "POST", "/trqp/recognition", `{"entity_id":"did:x:y","authority_id":"` + auth + `","action":"issue","resource":"r"}`, "application/json", 400, "unsupported_action"},
		{"other authority", "POST", "/trqp/authorization", `{"entity_id":"did:x:y","authority_id":"did:example:other","action":"issue","resource":"r"}`, "application/json", 404, "unknown_authority"},
		{"too large", "POST", "/trqp/authorization", `{"entity_id":"` + strings.Repeat("a", registry.MaxQueryBody) + `"}`, "application/json", 413, "too_large"},
		{"wrong media type", "POST", "/trqp/authorization", `entity_id=x`, "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
		{"unknown path", "GET", "/admin", "", "", 404, "not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, f.srv.URL+tc.path, strings.NewReader(tc.body))
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			resp, err := f.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			m := decode(t, b)
			if resp.StatusCode != tc.status || m["code"] != tc.code || m["message"] == "" {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, b, tc.status, tc.code)
			}
		})
	}
}

func TestHTTPHealthMetricsLogs(t *testing.T) {
	f := newHTTPFixture(t, true)
	if resp, body := f.do(t, "GET", "/healthz", ""); resp.StatusCode != 200 || string(body) != "ok\n" {
		t.Fatalf("healthz %d %q", resp.StatusCode, body)
	}
	f.do(t, "POST", "/trqp/authorization", `{"entity_id":"`+deskDID+`","authority_id":"`+f.st.Authority.DID+`","action":"request","resource":"intake","context":{"claims":["birthdate"]}}`)
	f.do(t, "GET", "/registry/entities/did:example:none", "")
	_, body := f.do(t, "GET", "/metrics", "")
	for _, want := range []string{
		`cairn_registry_http_requests_total{route="healthz",code="200"} 1`,
		`cairn_registry_http_requests_total{route="entity",code="404"} 1`,
		`cairn_registry_http_request_duration_seconds_count{route="trqp_authorization"} 1`,
		`cairn_registry_decisions_total{endpoint="authorization",reason="claims_outside_purpose"} 1`,
		`cairn_registry_store_errors_total 0`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	logs := f.logs.String()
	if !strings.Contains(logs, `"route":"trqp_authorization"`) {
		t.Errorf("no request log line: %s", logs)
	}
	for _, secret := range []string{"birthdate", deskDID, "did:example:none"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain request data %q", secret)
		}
	}
}

func TestHTTPReadyzUninitialized(t *testing.T) {
	store := newBolt(t)
	defer store.Close()
	h := registry.NewHandler(store, registry.HandlerOptions{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 || decode(t, rec.Body.Bytes())["code"] != "not_ready" {
		t.Fatalf("readyz: %d %s", rec.Code, rec.Body)
	}
}

func TestHTTPExpiredSnapshot(t *testing.T) {
	f := newHTTPFixture(t, true)
	f.clk.advance(31 * 24 * time.Hour)
	resp, body := f.do(t, "POST", "/trqp/authorization", `{"entity_id":"`+ngoDID+`","authority_id":"`+f.st.Authority.DID+`","action":"issue","resource":"`+vct+`"}`)
	if resp.StatusCode != 503 || decode(t, body)["code"] != "snapshot_expired" {
		t.Fatalf("expired: %d %s", resp.StatusCode, body)
	}
}
