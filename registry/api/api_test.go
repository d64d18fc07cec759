package api_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/registry"
	"github.com/cairn-id/cairn/registry/api"
)

var t0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

const (
	ngoDID  = "did:web:ngo.example"
	deskDID = "did:web:desk.example"
	vct     = "https://cairn.example/vct/identity-attestation"
)

type fixture struct {
	store   *memStore
	svc     *registry.Service
	clk     *testkit.Clock
	key     crypto.Signer
	st      *registry.State
	metrics *prometheus.Registry
	srv     *httptest.Server
	logs    *testkit.SyncBuffer
}

// newFixture initializes a registry with the NGO issuer and the desk
// verifier, publishes it when asked, and serves it.
func newFixture(t *testing.T, publish bool) *fixture {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: newMemStore(), clk: testkit.NewClock(t0), key: key, logs: &testkit.SyncBuffer{}, metrics: server.NewRegistry()}
	f.svc = &registry.Service{Store: f.store, Now: f.clk.Now}
	ctx := context.Background()
	if f.st, err = f.svc.Init(ctx, "", "Pilot Board", f.key); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AddEntity(ctx, registry.NewEntity{DID: ngoDID, Role: trust.RoleIssuer, Names: map[string]string{"en": "Helping Hands"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AuthorizeIssuer(ctx, ngoDID, trust.IssuerAuthorization{VCT: vct, MaxStrength: 2, MaxValidity: 3, Jurisdiction: "GR"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AddEntity(ctx, registry.NewEntity{DID: deskDID, Role: trust.RoleVerifier, Names: map[string]string{"en": "Desk"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AuthorizeVerifier(ctx, deskDID, trust.VerifierAuthorization{Purpose: "intake", Claims: []string{"given_name", "family_name"}}); err != nil {
		t.Fatal(err)
	}
	if publish {
		if _, _, err := f.svc.Publish(ctx, f.key, 30*24*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	h, err := api.New(f.store, api.Options{Now: f.clk.Now, Logger: slog.New(slog.NewJSONHandler(f.logs, nil)), Metrics: f.metrics})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) pinned() []*jose.JWK { return []*jose.JWK{f.st.Authority.PublicJWK} }

func (f *fixture) do(t *testing.T, method, path, body string) (*http.Response, []byte) {
	t.Helper()
	ctype := ""
	if body != "" {
		ctype = "application/json"
	}
	return f.doType(t, method, path, body, ctype)
}

func (f *fixture) doType(t *testing.T, method, path, body, ctype string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
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

func (f *fixture) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	resp, body := f.do(t, "GET", "/metrics", "")
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return fams
}

func TestHTTPSnapshotAndEntity(t *testing.T) {
	f := newFixture(t, true)
	resp, body := f.do(t, "GET", "/registry/snapshot", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/jwt" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("snapshot: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
	}
	reg, err := trust.VerifySnapshot(string(body), f.pinned(), f.clk.Now())
	if err != nil || reg.Version != 1 {
		t.Fatalf("served snapshot does not verify: %v", err)
	}
	// A client can refresh from it.
	c := &trust.Client{Pinned: f.pinned(), HTTPClient: f.srv.Client(), CachePath: t.TempDir() + "/cache.jwt", Now: f.clk.Now}
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
	f := newFixture(t, false)
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
	f := newFixture(t, true)
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
	f := newFixture(t, true)
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
	f := newFixture(t, true)
	auth := f.st.Authority.DID
	valid := `{"entity_id":"did:x:y","authority_id":"` + auth + `","action":"issue","resource":"r"}`
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
		{"duplicate member", "POST", "/trqp/authorization", `{"entity_id":"did:x:y","entity_id":"did:x:z","authority_id":"` + auth + `","action":"issue","resource":"r"}`, "application/json", 400, "invalid_request"},
		{"duplicate member ignoring case", "POST", "/trqp/authorization", `{"entity_id":"did:x:y","Entity_ID":"did:x:z","authority_id":"` + auth + `","action":"issue","resource":"r"}`, "application/json", 400, "invalid_request"},
		{"bad time", "POST", "/trqp/authorization", `{"entity_id":"did:x:y","authority_id":"` + auth + `","action":"issue","resource":"r","context":{"time":"yesterday"}}`, "application/json", 400, "invalid_request"},
		{"bad claim", "POST", "/trqp/authorization", `{"entity_id":"did:x:y","authority_id":"` + auth + `","action":"request","resource":"intake","context":{"claims":["//"]}}`, "application/json", 400, "invalid_request"},
		{"unknown action", "POST", "/trqp/authorization", `{"entity_id":"did:x:y","authority_id":"` + auth + `","action":"delete","resource":"r"}`, "application/json", 400, "unsupported_action"},
		{"unknown recognition action", "POST", "/trqp/recognition", `{"entity_id":"did:x:y","authority_id":"` + auth + `","action":"issue","resource":"r"}`, "application/json", 400, "unsupported_action"},
		{"other authority", "POST", "/trqp/authorization", `{"entity_id":"did:x:y","authority_id":"did:example:other","action":"issue","resource":"r"}`, "application/json", 404, "unknown_authority"},
		{"too large", "POST", "/trqp/authorization", `{"entity_id":"` + strings.Repeat("a", api.MaxQueryBody) + `"}`, "application/json", 413, "too_large"},
		{"wrong media type", "POST", "/trqp/authorization", `entity_id=x`, "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
		{"json-patch media type", "POST", "/trqp/authorization", valid, "application/json-patch+json", 415, "unsupported_media_type"},
		{"no media type", "POST", "/trqp/authorization", valid, "", 415, "unsupported_media_type"},
		{"GET on a query", "GET", "/trqp/authorization", "", "", 405, "method_not_allowed"},
		{"POST on the snapshot", "POST", "/registry/snapshot", valid, "application/json", 405, "method_not_allowed"},
		{"unknown path", "GET", "/admin", "", "", 404, "not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := f.doType(t, tc.method, tc.path, tc.body, tc.ctype)
			m := decode(t, b)
			if resp.StatusCode != tc.status || m["code"] != tc.code || m["message"] == "" {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, b, tc.status, tc.code)
			}
			if msg := m["message"].(string); strings.Contains(msg, "trust:") || strings.Contains(msg, "registry:") || strings.Contains(msg, "json:") {
				t.Errorf("message leaks an internal error: %q", msg)
			}
			if tc.status == 405 && resp.Header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
}

func TestHTTPHealthMetricsLogs(t *testing.T) {
	f := newFixture(t, true)
	if resp, body := f.do(t, "GET", "/healthz", ""); resp.StatusCode != 200 || string(body) != "ok\n" {
		t.Fatalf("healthz %d %q", resp.StatusCode, body)
	}
	f.do(t, "POST", "/trqp/authorization", `{"entity_id":"`+deskDID+`","authority_id":"`+f.st.Authority.DID+`","action":"request","resource":"intake","context":{"claims":["birthdate"]}}`)
	f.do(t, "GET", "/registry/entities/did:example:none", "")
	fams := f.scrape(t)
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"cairn_registry_http_requests_total", map[string]string{"route": "healthz", "code": "200"}, 1},
		{"cairn_registry_http_requests_total", map[string]string{"route": "entity", "code": "404"}, 1},
		{"cairn_registry_http_request_duration_seconds", map[string]string{"route": "trqp_authorization", "code": "200"}, 1},
		{"cairn_registry_decisions_total", map[string]string{"endpoint": "authorization", "reason": "claims_outside_purpose"}, 1},
		{"cairn_registry_store_errors_total", map[string]string{}, 0},
	} {
		if got := testkit.MetricValue(fams, tc.name, tc.labels); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	logs := f.logs.String()
	if !strings.Contains(logs, `"route":"trqp_authorization"`) || !strings.Contains(logs, `"request_id":"`) {
		t.Errorf("no request log line with a request id: %s", logs)
	}
	for _, secret := range []string{"birthdate", deskDID, "did:example:none"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain request data %q", secret)
		}
	}
}

// TestHTTPStoreFailure: a failing store answers 500 internal with a
// generic message, is counted, logged, and makes /readyz fail.
func TestHTTPStoreFailure(t *testing.T) {
	f := newFixture(t, true)
	f.store.fail(errDisk)
	resp, body := f.do(t, "GET", "/registry/snapshot", "")
	if m := decode(t, body); resp.StatusCode != 500 || m["code"] != "internal" || strings.Contains(string(body), errDisk.Error()) {
		t.Fatalf("store failure: %d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, "GET", "/readyz", "")
	if m := decode(t, body); resp.StatusCode != 503 || m["code"] != "not_ready" {
		t.Fatalf("readyz with a failing store: %d %s", resp.StatusCode, body)
	}
	if got := testkit.MetricValue(f.scrape(t), "cairn_registry_store_errors_total", map[string]string{}); got != 2 {
		t.Errorf("store errors %v, want 2", got)
	}
	if !strings.Contains(f.logs.String(), errDisk.Error()) {
		t.Errorf("cause not logged: %s", f.logs)
	}
}

func TestHTTPReadyzUninitialized(t *testing.T) {
	h, err := api.New(newMemStore(), api.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 || decode(t, rec.Body.Bytes())["code"] != "not_ready" {
		t.Fatalf("readyz: %d %s", rec.Code, rec.Body)
	}
}

func TestHTTPExpiredSnapshot(t *testing.T) {
	f := newFixture(t, true)
	f.clk.Advance(31 * 24 * time.Hour)
	resp, body := f.do(t, "POST", "/trqp/authorization", `{"entity_id":"`+ngoDID+`","authority_id":"`+f.st.Authority.DID+`","action":"issue","resource":"`+vct+`"}`)
	if resp.StatusCode != 503 || decode(t, body)["code"] != "snapshot_expired" {
		t.Fatalf("expired: %d %s", resp.StatusCode, body)
	}
}

// TestMetricsElsewhere: with MetricsElsewhere the API has no /metrics,
// and the process's registry served on its own listener still counts
// the API's requests.
func TestMetricsElsewhere(t *testing.T) {
	reg := server.NewRegistry()
	h, err := api.New(newMemStore(), api.Options{Metrics: reg, MetricsElsewhere: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 404 {
		t.Fatalf("/metrics on the API: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	server.MetricsHandler(reg).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `cairn_registry_http_requests_total{code="404",route="unmatched"} 1`) {
		t.Errorf("separate metrics handler:\n%s", rec.Body)
	}
}
