package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/cairn-id/cairn/internal/testkit"
)

func newTestRouter(t *testing.T, reg *prometheus.Registry) *Router {
	t.Helper()
	cfg := RouterConfig{Namespace: "cairn_test"}
	if reg != nil {
		cfg.Metrics = reg
	}
	rt, err := NewRouter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func body(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("not JSON: %q", w.Body)
	}
	return m
}

func serve(h http.Handler, method, path string, hdr map[string]string, reqBody string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(reqBody))
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// scrape fetches /metrics through h and parses it with the text parser.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	w := serve(h, "GET", "/metrics", nil, "")
	if w.Code != 200 {
		t.Fatalf("/metrics: %d", w.Code)
	}
	return testkit.ParseMetrics(t, w.Body.String())
}

func TestRouterPanicRecovery(t *testing.T) {
	logs := &testkit.SyncBuffer{}
	rt, err := NewRouter(RouterConfig{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	rt.HandleFunc("boom", "/boom", func(w http.ResponseWriter, r *http.Request) { panic("kaput") })
	rt.HandleFunc("fine", "/fine", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("fine")) })
	srv := httptest.NewServer(rt)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	var b ErrorBody
	json.NewDecoder(resp.Body).Decode(&b)
	resp.Body.Close()
	if resp.StatusCode != 500 || b.Code != CodeInternal || b.Message == "" || strings.Contains(b.Message, "kaput") {
		t.Fatalf("panic answered %d %+v", resp.StatusCode, b)
	}
	resp, err = srv.Client().Get(srv.URL + "/fine")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the next request after a panic: %v %v", resp, err)
	}
	resp.Body.Close()
	if l := logs.String(); !strings.Contains(l, `"panic":"kaput"`) || !strings.Contains(l, "router_test.go") {
		t.Errorf("panic and stack not logged: %s", l)
	}
}

func TestRouterMetrics(t *testing.T) {
	reg := NewRegistry()
	rt := newTestRouter(t, reg)
	rt.HandleFunc("thing", "/things/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "missing" {
			WriteError(w, r, Errorf(http.StatusNotFound, "unknown_thing", "no such thing"))
			return
		}
		w.Write([]byte("thing"))
	})
	rt.HandleMetrics(reg)
	for _, p := range []string{"/things/a", "/things/b", "/things/missing", "/nowhere"} {
		serve(rt, "GET", p, nil, "")
	}
	fams := scrape(t, rt)
	reqs, lat := fams["cairn_test_http_requests_total"], fams["cairn_test_http_request_duration_seconds"]
	for _, tc := range []struct {
		route, code string
		n           float64
	}{
		{"thing", "200", 2},
		{"thing", "404", 1},
		{RouteUnmatched, "404", 1},
	} {
		labels := map[string]string{"route": tc.route, "code": tc.code}
		if m := testkit.MetricWith(reqs, labels); m == nil || m.GetCounter().GetValue() != tc.n {
			t.Errorf("requests %v = %v, want %v", labels, m, tc.n)
		}
		if m := testkit.MetricWith(lat, labels); m == nil || float64(m.GetHistogram().GetSampleCount()) != tc.n {
			t.Errorf("latency histogram %v = %v, want %v samples", labels, m, tc.n)
		}
	}
	if fams["go_goroutines"] == nil || fams["process_start_time_seconds"] == nil {
		t.Error("Go runtime or process collector missing")
	}
	// A second router of the same service on the registry shares its metrics.
	if _, err := NewRouter(RouterConfig{Namespace: "cairn_test", Metrics: reg}); err != nil {
		t.Errorf("second router on one registry: %v", err)
	}
	if _, err := NewRouter(RouterConfig{Metrics: reg}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("metrics without a namespace: %v", err)
	}
}

func TestRouterRequestIDInLogs(t *testing.T) {
	logs := &testkit.SyncBuffer{}
	rt, _ := NewRouter(RouterConfig{Logger: slog.New(slog.NewJSONHandler(logs, nil)), Rand: strings.NewReader(strings.Repeat("\x01", 64))})
	rt.HandleFunc("hello", "/hello", func(w http.ResponseWriter, r *http.Request) {
		Logger(r.Context()).Info("handler line")
		w.Write([]byte(RequestID(r.Context())))
	})
	const generated = "010101010101010101010101"
	for _, tc := range []struct {
		name, incoming, want string
	}{
		{"incoming accepted", "abc-123.X_y:z", "abc-123.X_y:z"},
		{"generated", "", generated},
		{"unsafe incoming replaced", "a b\n\"}", generated},
		{"too long incoming replaced", strings.Repeat("a", 65), generated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(logs.String())
			w := serve(rt, "GET", "/hello", map[string]string{RequestIDHeader: tc.incoming}, "")
			if w.Header().Get(RequestIDHeader) != tc.want || w.Body.String() != tc.want {
				t.Fatalf("request id %q (context %q), want %q", w.Header().Get(RequestIDHeader), w.Body, tc.want)
			}
			lines := strings.Split(strings.TrimSpace(logs.String()[before:]), "\n")
			if len(lines) != 2 {
				t.Fatalf("want the handler's line and the request line, got %q", lines)
			}
			for _, l := range lines {
				var m map[string]any
				if err := json.Unmarshal([]byte(l), &m); err != nil || m["request_id"] != tc.want {
					t.Errorf("log line without request_id %q: %s", tc.want, l)
				}
			}
		})
	}
	if Logger(context.Background()) == nil || RequestID(context.Background()) != "" {
		t.Error("helpers outside a router")
	}
}

func TestRouterMethodsAndNotFound(t *testing.T) {
	rt := newTestRouter(t, nil)
	ok := func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(r.Method)) }
	rt.HandleFunc("query", "/q", ok, Methods("POST"), NoStore())
	rt.HandleFunc("doc", "/doc", ok)
	rt.HandleFunc("doc_put", "/doc", ok, Methods("PUT"))
	tests := []struct {
		method, path string
		status       int
		allow, code  string
	}{
		{"POST", "/q", 200, "", ""},
		{"GET", "/q", 405, "POST", CodeMethodNotAllowed},
		{"GET", "/doc", 200, "", ""},
		{"HEAD", "/doc", 200, "", ""},
		{"PUT", "/doc", 200, "", ""},
		{"DELETE", "/doc", 405, "GET, HEAD, PUT", CodeMethodNotAllowed},
		{"GET", "/nope", 404, "", CodeNotFound},
	}
	for _, tc := range tests {
		w := serve(rt, tc.method, tc.path, nil, "")
		if w.Code != tc.status || w.Header().Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d Allow %q, want %d %q", tc.method, tc.path, w.Code, w.Header().Get("Allow"), tc.status, tc.allow)
		}
		if tc.code != "" {
			if b := body(t, w); b["code"] != tc.code || b["message"] == "" {
				t.Errorf("%s %s: body %s", tc.method, tc.path, w.Body)
			}
		}
	}
	if w := serve(rt, "POST", "/q", nil, ""); w.Header().Get("Cache-Control") != "no-store" {
		t.Error("NoStore route without Cache-Control: no-store")
	}
	defer func() {
		if recover() == nil {
			t.Error("a method registered twice did not panic")
		}
	}()
	rt.HandleFunc("again", "/q", ok, Methods("POST"))
}

func TestWriteError(t *testing.T) {
	logs := &testkit.SyncBuffer{}
	rt, _ := NewRouter(RouterConfig{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	rt.HandleFunc("typed", "/typed", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, fmt.Errorf("wrapped: %w", &Error{Status: 409, Code: "conflict", Message: "try again", Cause: errors.New("secret cause 1")}))
	})
	rt.HandleFunc("plain", "/plain", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, errors.New("secret cause 2"))
	})
	for _, tc := range []struct {
		path   string
		status int
		code   string
		cause  string
	}{
		{"/typed", 409, "conflict", "secret cause 1"},
		{"/plain", 500, CodeInternal, "secret cause 2"},
	} {
		w := serve(rt, "GET", tc.path, nil, "")
		if b := body(t, w); w.Code != tc.status || b["code"] != tc.code || strings.Contains(w.Body.String(), tc.cause) {
			t.Errorf("%s: %d %s", tc.path, w.Code, w.Body)
		}
		if !strings.Contains(logs.String(), tc.cause) {
			t.Errorf("%s: cause not logged", tc.path)
		}
	}
}

func TestDecodeJSON(t *testing.T) {
	type query struct {
		A string `json:"a"`
		N int    `json:"n"`
	}
	const max = 64
	tests := []struct {
		name, ctype, body string
		status            int
		code              string
		strictStatus      int // DecodeJSONStrict's status when it differs
	}{
		{"ok", "application/json", `{"a":"x","n":1}`, 200, "", 0},
		{"unknown member", "application/json", `{"a":"x","nn":1}`, 200, "", 400},
		{"unknown nested member", "application/json", `{"a":"x","o":{"k":1}}`, 200, "", 400},
		{"ok with charset", "application/json; charset=utf-8", `{"a":"x"}`, 200, "", 0},
		{"case-insensitive type", "Application/JSON", `{"a":"x"}`, 200, "", 0},
		{"json-patch refused", "application/json-patch+json", `{"a":"x"}`, 415, CodeMediaType, 0},
		{"prefix refused", "application/jsonx", `{"a":"x"}`, 415, CodeMediaType, 0},
		{"form refused", "application/x-www-form-urlencoded", `a=x`, 415, CodeMediaType, 0},
		{"missing type refused", "", `{"a":"x"}`, 415, CodeMediaType, 0},
		{"too large", "application/json", `{"a":"` + strings.Repeat("x", max) + `"}`, 413, CodeTooLarge, 0},
		{"duplicate member", "application/json", `{"a":"x","a":"y"}`, 400, CodeInvalidRequest, 0},
		{"duplicate member ignoring case", "application/json", `{"a":"x","A":"y"}`, 400, CodeInvalidRequest, 0},
		{"duplicate member under Unicode folding (long s)", "application/json", `{"s":"x","\u017F":"y"}`, 400, CodeInvalidRequest, 0},
		{"nested duplicate", "application/json", `{"a":"x","o":[{"k":1,"k":2}]}`, 400, CodeInvalidRequest, 0},
		{"trailing data", "application/json", `{"a":"x"} {}`, 400, CodeInvalidRequest, 0},
		{"trailing garbage", "application/json", `{"a":"x"}x`, 400, CodeInvalidRequest, 0},
		{"not JSON", "application/json", `{"a":`, 400, CodeInvalidRequest, 0},
		{"wrong type", "application/json", `{"n":"1"}`, 400, CodeInvalidRequest, 0},
		{"invalid UTF-8", "application/json", "{\"a\":\"\xff\"}", 400, CodeInvalidRequest, 0},
	}
	decoders := []struct {
		name   string
		decode func(http.ResponseWriter, *http.Request, int64, any) error
	}{{"DecodeJSON", DecodeJSON}, {"DecodeJSONStrict", DecodeJSONStrict}}
	for _, tc := range tests {
		for _, d := range decoders {
			t.Run(d.name+"/"+tc.name, func(t *testing.T) {
				status, code := tc.status, tc.code
				if d.name == "DecodeJSONStrict" && tc.strictStatus != 0 {
					status, code = tc.strictStatus, CodeInvalidRequest
				}
				rt := newTestRouter(t, nil)
				rt.HandleFunc("q", "/q", func(w http.ResponseWriter, r *http.Request) {
					var q query
					if err := d.decode(w, r, max, &q); err != nil {
						WriteError(w, r, err)
						return
					}
					WriteJSON(w, 200, q)
				}, Methods("POST"))
				w := serve(rt, "POST", "/q", map[string]string{"Content-Type": tc.ctype}, tc.body)
				if w.Code != status {
					t.Fatalf("%d %s, want %d", w.Code, w.Body, status)
				}
				if code != "" && body(t, w)["code"] != code {
					t.Fatalf("code %s, want %s", w.Body, code)
				}
			})
		}
	}
}

func TestHealthReadyMetricsRoutes(t *testing.T) {
	reg := NewRegistry()
	rt := newTestRouter(t, reg)
	var storeErr error
	rt.HandleHealth(
		Check{Name: "always", Fn: func(context.Context) error { return nil }},
		Check{Name: "store", Fn: func(context.Context) error { return storeErr }},
	)
	rt.HandleMetrics(reg)
	if w := serve(rt, "GET", "/healthz", nil, ""); w.Code != 200 || w.Body.String() != "ok\n" {
		t.Errorf("healthz %d %q", w.Code, w.Body)
	}
	if w := serve(rt, "GET", "/readyz", nil, ""); w.Code != 200 {
		t.Errorf("readyz %d %q", w.Code, w.Body)
	}
	storeErr = errors.New("disk on fire")
	w := serve(rt, "GET", "/readyz", nil, "")
	if b := body(t, w); w.Code != 503 || b["code"] != CodeNotReady || !strings.Contains(b["message"].(string), "store") || strings.Contains(w.Body.String(), "fire") {
		t.Errorf("failing readyz %d %s", w.Code, w.Body)
	}
	fams := scrape(t, rt)
	if m := testkit.MetricWith(fams["cairn_test_http_requests_total"], map[string]string{"route": "readyz", "code": "503"}); m == nil || m.GetCounter().GetValue() != 1 {
		t.Errorf("readyz 503 not counted: %v", m)
	}
	// The metrics handler mounts on its own listener just as well.
	if fams := scrape(t, MetricsHandler(reg)); fams["cairn_test_http_requests_total"] == nil {
		t.Error("standalone metrics handler lacks the router's metrics")
	}
}

func TestNewCounters(t *testing.T) {
	reg := NewRegistry()
	vec, err := NewCounterVec(reg, "cairn_test_decisions_total", "Decisions.", "reason")
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCounter(reg, "cairn_test_store_errors_total", "Store errors.")
	if err != nil {
		t.Fatal(err)
	}
	vec.WithLabelValues("ok").Add(2)
	again, err := NewCounterVec(reg, "cairn_test_decisions_total", "Decisions.", "reason")
	if err != nil || again != vec {
		t.Fatalf("same counter twice: %v", err)
	}
	if _, err := NewCounter(reg, "cairn_test_decisions_total", "Decisions."); err == nil {
		t.Error("a clashing metric name was accepted")
	}
	rt := newTestRouter(t, nil)
	rt.HandleMetrics(reg)
	fams := scrape(t, rt)
	if m := testkit.MetricWith(fams["cairn_test_decisions_total"], map[string]string{"reason": "ok"}); m == nil || m.GetCounter().GetValue() != 2 {
		t.Errorf("decisions: %v", m)
	}
	if m := testkit.MetricWith(fams["cairn_test_store_errors_total"], map[string]string{}); m == nil || m.GetCounter().GetValue() != 0 {
		t.Errorf("store errors not exposed at 0: %v", m)
	}
	_ = c
}

// TestRoutes: one entry per registered method, the HEAD a GET implies
// left out, health routes included, sorted by path then method.
func TestRoutes(t *testing.T) {
	rt, err := NewRouter(RouterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	nop := func(http.ResponseWriter, *http.Request) {}
	rt.HandleFunc("thing", "/things/{id}", nop, Methods(http.MethodGet, http.MethodPost))
	rt.HandleFunc("things", "/things", nop)
	rt.HandleHealth()
	var got []string
	for _, r := range rt.Routes() {
		got = append(got, r.Name+" "+r.Method+" "+r.Path)
	}
	want := []string{"healthz GET /healthz", "readyz GET /readyz", "things GET /things", "thing GET /things/{id}", "thing POST /things/{id}"}
	if !slices.Equal(got, want) {
		t.Errorf("routes\n%q\nwant\n%q", got, want)
	}
}
