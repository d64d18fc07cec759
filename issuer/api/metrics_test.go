package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/issuer"
	registryapi "github.com/cairn-id/cairn/registry/api"
	"github.com/cairn-id/cairn/registry/boltstore"
)

// TestMetricsTwoServicesOneRegistry: the registry's and the issuer's
// handlers run in one process on one Prometheus registry (as 'cairn up'
// will): no name clashes, and one /metrics exposes both, parsed with the
// Prometheus text parser; the request id of a request is in its log line.
func TestMetricsTwoServicesOneRegistry(t *testing.T) {
	reg := server.NewRegistry()
	var logs testkit.SyncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	f := newFixture(t, func(c *fixtureConfig) { c.API.Metrics = reg; c.API.Logger = log })
	rst, err := boltstore.Open(filepath.Join(t.TempDir(), "registry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer rst.Close()
	rh, err := registryapi.New(rst, registryapi.Options{Metrics: reg, Logger: log, MetricsElsewhere: true})
	if err != nil {
		t.Fatalf("registry API on the issuer's registry: %v", err)
	}
	get := func(h http.Handler, path, id string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set(server.RequestIDHeader, id)
		h.ServeHTTP(rec, r)
		return rec
	}
	if rec := get(f.h, "/.well-known/openid-credential-issuer", "issuer-req-1"); rec.Code != 200 || rec.Header().Get(server.RequestIDHeader) != "issuer-req-1" {
		t.Fatalf("issuer metadata: %d %q", rec.Code, rec.Header().Get(server.RequestIDHeader))
	}
	if rec := get(rh, "/registry/snapshot", "registry-req-1"); rec.Code != 404 {
		t.Fatalf("registry snapshot before any publication: %d %s", rec.Code, rec.Body)
	}
	rec := get(f.h, "/metrics", "scrape-1")
	if rec.Code != 200 {
		t.Fatalf("/metrics: %d", rec.Code)
	}
	fams := testkit.ParseMetrics(t, rec.Body.String())
	for _, c := range []struct {
		name   string
		labels map[string]string
	}{
		{"cairn_issuer_http_requests_total", map[string]string{"route": "issuer_metadata", "code": "200"}},
		{"cairn_issuer_http_request_duration_seconds", map[string]string{"route": "issuer_metadata", "code": "200"}},
		{"cairn_registry_http_requests_total", map[string]string{"route": "snapshot", "code": "404"}},
		{"cairn_registry_http_request_duration_seconds", map[string]string{"route": "snapshot", "code": "404"}},
	} {
		if v := testkit.MetricValue(fams, c.name, c.labels); v != 1 {
			t.Errorf("%s%v = %v, want 1", c.name, c.labels, v)
		}
	}
	for _, name := range []string{"cairn_issuer_store_errors_total", "cairn_issuer_offers_created_total", "cairn_registry_store_errors_total", "go_goroutines", "process_start_time_seconds"} {
		if fams[name] == nil {
			t.Errorf("%s missing from /metrics", name)
		}
	}
	// A second issuer handler on the same registry shares the counters.
	if _, err := New(f.svc, Options{Metrics: reg, MetricsElsewhere: true}); err != nil {
		t.Errorf("second issuer handler on one registry: %v", err)
	}

	found := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l map[string]any
		if json.Unmarshal([]byte(line), &l) != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if l["msg"] == "request" {
			found[l["request_id"].(string)+" "+l["route"].(string)] = true
		}
	}
	for _, want := range []string{"issuer-req-1 issuer_metadata", "registry-req-1 snapshot", "scrape-1 metrics"} {
		if !found[want] {
			t.Errorf("no request log line with request_id and route %q:\n%s", want, logs.String())
		}
	}
}

// panicStore panics in View while armed: a bug deep below a handler.
type panicStore struct {
	*issuer.MemoryStore
	armed atomic.Bool
}

func (p *panicStore) View(ctx context.Context, fn func(issuer.Tx) error) error {
	if p.armed.Load() {
		panic("injected: store bug")
	}
	return p.MemoryStore.View(ctx, fn)
}

// TestHandlerPanic: a panic in an issuer handler is a 500
// {code, message} with the stack logged (not sent), and the next request
// is served.
func TestHandlerPanic(t *testing.T) {
	var logs testkit.SyncBuffer
	var ps *panicStore
	f := newFixture(t, func(c *fixtureConfig) {
		ps = &panicStore{MemoryStore: c.Store.(*issuer.MemoryStore)}
		c.Store = ps
		c.API.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	ps.armed.Store(true)
	r := do(t, f.srv.Client(), "GET", f.srv.URL+"/status/1", "", "", nil)
	if r.status != 500 || r.body["code"] != server.CodeInternal || r.body["message"] == "" || strings.Contains(r.raw, "injected") {
		t.Fatalf("panicking handler: %d %s", r.status, r.raw)
	}
	if l := logs.String(); !strings.Contains(l, "injected: store bug") || !strings.Contains(l, `"stack":`) || !strings.Contains(l, `"route":"status_list"`) {
		t.Errorf("panic not logged with its stack:\n%s", l)
	}
	ps.armed.Store(false)
	w := newWallet(t, f)
	if res := w.run(f.offer(t, false)); res.status != 200 {
		t.Fatalf("request after the panic: %d %s", res.status, res.raw)
	}
	m := do(t, f.srv.Client(), "GET", f.srv.URL+"/metrics", "", "", nil)
	if v := testkit.MetricValue(testkit.ParseMetrics(t, m.raw), "cairn_issuer_http_requests_total", map[string]string{"route": "status_list", "code": "500"}); v != 1 {
		t.Errorf("the panicked request counted %v times as status_list 500", v)
	}
}
