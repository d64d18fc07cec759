package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/cairn-id/cairn/internal/testkit"
)

// counter is the value of a counter with exactly the labels want (-1:
// none).
func counter(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	m := testkit.MetricWith(fams[name], want)
	if m == nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

// logLines parses JSON log lines written since offset.
func logLines(t *testing.T, logs *testkit.SyncBuffer, offset int) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()[offset:]), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line not JSON: %s", l)
		}
		out = append(out, m)
	}
	return out
}

func withMsg(lines []map[string]any, msg string) []map[string]any {
	var out []map[string]any
	for _, l := range lines {
		if l["msg"] == msg {
			out = append(out, l)
		}
	}
	return out
}

// TestRefusalLogAggregates: N refusals from one client within one
// interval write one log line (it has a request id), the counter counts
// all N; the next interval's line says how many were refused since; a
// second client has a line of its own; the flush reports what is left
// when a client stops; 503s without a cause are aggregated the same way
// (no "request failed" line each).
func TestRefusalLogAggregates(t *testing.T) {
	const n = 50
	clk := testkit.NewClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	logs := &testkit.SyncBuffer{}
	reg := prometheus.NewRegistry()
	rt, err := NewRouter(RouterConfig{Namespace: "cairn_test", Metrics: reg, Logger: slog.New(slog.NewJSONHandler(logs, nil)), Now: clk.Now, RefusalLogEvery: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	// One request per day: after the first, every request is refused.
	l := NewLimiter(RateLimit{PerMinute: 1.0 / (24 * 60), Burst: 1}, 100, WithLimiterClock(clk.Now))
	rt.HandleFunc("snapshot", "/snapshot", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }, RateLimited(l, nil))
	rt.HandleFunc("down", "/down", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, &Error{Status: http.StatusServiceUnavailable, Code: "not_published", Message: "not yet"})
	})
	rt.HandleMetrics(reg)
	from := func(addr, path string) int {
		r := httptest.NewRequest("GET", path, nil)
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, r)
		return w.Code
	}
	const a, b = "198.51.100.7:4000", "203.0.113.9:5000"

	if code := from(a, "/snapshot"); code != 200 {
		t.Fatalf("first request: %d", code)
	}
	start := len(logs.String())
	for i := 0; i < n; i++ {
		if code := from(a, "/snapshot"); code != 429 {
			t.Fatalf("request %d: %d, want 429", i, code)
		}
		clk.Advance(time.Second / 2) // all within one interval (25 s)
	}
	lines := logLines(t, logs, start)
	if len(lines) != 1 {
		t.Fatalf("%d refusals wrote %d log lines, want 1:\n%s", n, len(lines), logs.String()[start:])
	}
	if l := lines[0]; l["msg"] != "requests refused" || l["client"] != "198.51.100.7/32" || l["refused"] != float64(1) || l["route"] != "snapshot" || l["request_id"] == "" || l["request_id"] == nil {
		t.Errorf("refusal line: %v", l)
	}
	if got := counter(scrape(t, rt), "cairn_test_http_refused_total", map[string]string{"route": "snapshot", "code": "429"}); got != n {
		t.Errorf("refused counter %v, want %d", got, n)
	}

	// Another client gets a line of its own at once.
	before := len(logs.String())
	from(b, "/snapshot") // its first request is allowed
	from(b, "/snapshot")
	if got := withMsg(logLines(t, logs, before), "requests refused"); len(got) != 1 || got[0]["client"] != "203.0.113.9/32" {
		t.Errorf("second client: %v", got)
	}

	// Next interval: one line reporting everything since the last one.
	clk.Advance(time.Minute)
	before = len(logs.String())
	from(a, "/snapshot")
	got := withMsg(logLines(t, logs, before), "requests refused")
	if len(got) != 1 || got[0]["refused"] != float64(n) {
		t.Fatalf("next interval's line: %v, want refused %d", got, n)
	}

	// A client that stops: its rest is written by the flush, once the
	// interval has passed, with the id of its last refused request.
	for i := 0; i < 3; i++ {
		from(a, "/snapshot")
	}
	before = len(logs.String())
	rt.FlushRefusalLog()
	if got := logLines(t, logs, before); len(got) != 0 {
		t.Errorf("flush within the interval wrote %v", got)
	}
	clk.Advance(time.Minute)
	rt.FlushRefusalLog()
	got = logLines(t, logs, before)
	if len(got) != 1 || got[0]["refused"] != float64(3) || got[0]["client"] != "198.51.100.7/32" || got[0]["request_id"] == nil {
		t.Errorf("flush: %v", got)
	}

	// 503 refusals: no error line each, the same aggregation.
	before = len(logs.String())
	for i := 0; i < n; i++ {
		if code := from(b, "/down"); code != 503 {
			t.Fatalf("/down: %d", code)
		}
	}
	if got := logLines(t, logs, before); len(got) != 1 || got[0]["status"] != float64(503) {
		t.Errorf("%d 503s wrote %v, want one line", n, got)
	}
	if got := counter(scrape(t, rt), "cairn_test_http_refused_total", map[string]string{"route": "down", "code": "503"}); got != n {
		t.Errorf("503 counter %v, want %d", got, n)
	}
}

// TestRefusalLogBounded: the refusal log remembers at most its maximum
// of clients; a client forgotten with unreported refusals gets its line
// then.
func TestRefusalLogBounded(t *testing.T) {
	clk := testkit.NewClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	rl := newRefusalLog(time.Minute, 2, clk.Now)
	for _, k := range []string{"a", "a", "a", "b"} {
		rl.note(k, "id-"+k, "r", 429)
	}
	due, _, evicted := rl.note("c", "id-c", "r", 429)
	if !due || len(evicted) != 1 || evicted[0].key != "a" || evicted[0].count != 2 || evicted[0].id != "id-a" {
		t.Fatalf("eviction: due %v, %+v", due, evicted)
	}
	if rl.order.Len() != 2 || len(rl.byKey) != 2 {
		t.Errorf("remembers %d clients, want 2", rl.order.Len())
	}
}

// TestQuietRoute: a quiet route's successes are logged at debug level
// (not at info), its errors at info, each with the request id.
func TestQuietRoute(t *testing.T) {
	logs := &testkit.SyncBuffer{}
	rt, _ := NewRouter(RouterConfig{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	rt.HandleFunc("hot", "/hot", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("fail") != "" {
			WriteError(w, r, Errorf(404, "unknown_entity", "no such entity"))
			return
		}
		w.Write([]byte("ok"))
	}, Quiet())
	serve(rt, "GET", "/hot", nil, "")
	if s := logs.String(); s != "" {
		t.Errorf("quiet success logged at info: %s", s)
	}
	serve(rt, "GET", "/hot?fail=1", nil, "")
	got := logLines(t, logs, 0)
	if len(got) != 1 || got[0]["status"] != float64(404) || got[0]["request_id"] == nil {
		t.Errorf("quiet route's error: %v", got)
	}
	debug := &testkit.SyncBuffer{}
	rt2, _ := NewRouter(RouterConfig{Logger: slog.New(slog.NewJSONHandler(debug, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	rt2.HandleFunc("hot", "/hot", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }, Quiet())
	serve(rt2, "GET", "/hot", nil, "")
	if got := logLines(t, debug, 0); len(got) != 1 || got[0]["level"] != "DEBUG" || got[0]["request_id"] == nil {
		t.Errorf("quiet success at debug: %v", got)
	}
}

// TestRequireBearerAndMetricsOnly: /metrics behind a token answers only
// with the exact token; the metrics-only handler serves nothing else.
func TestRequireBearerAndMetricsOnly(t *testing.T) {
	reg := NewRegistry()
	h := MetricsOnly(RequireBearer("s3cret-token-0123456789", MetricsHandler(reg)))
	for _, tc := range []struct {
		path, auth string
		want       int
	}{
		{"/metrics", "Bearer s3cret-token-0123456789", 200},
		{"/metrics", "bearer s3cret-token-0123456789", 200},
		{"/metrics", "", 401},
		{"/metrics", "Bearer s3cret-token-012345678", 401},
		{"/metrics", "Bearer s3cret-token-0123456780", 401},
		{"/metrics", "Basic czNjcmV0LXRva2VuLTAxMjM0NTY3ODk=", 401},
		{"/healthz", "Bearer s3cret-token-0123456789", 404},
	} {
		r := httptest.NewRequest("GET", tc.path, nil)
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("%s %q: %d, want %d", tc.path, tc.auth, w.Code, tc.want)
		}
		if tc.want == 401 && w.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("401 without WWW-Authenticate")
		}
	}
	w := httptest.NewRecorder()
	RequireBearer("", MetricsHandler(reg)).ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != 401 {
		t.Errorf("empty token allowed: %d", w.Code)
	}
}

// TestReadyzFailureLoggedOnce: a failing readiness check is logged when
// it starts failing, not on every probe; again after it recovered and
// fails anew.
func TestReadyzFailureLoggedOnce(t *testing.T) {
	logs := &testkit.SyncBuffer{}
	rt, _ := NewRouter(RouterConfig{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	var mu sync.Mutex
	var fail error
	rt.HandleHealth(Check{Name: "snapshot", Fn: func(context.Context) error { mu.Lock(); defer mu.Unlock(); return fail }})
	set := func(err error) { mu.Lock(); fail = err; mu.Unlock() }
	count := func() int { return len(withMsg(logLines(t, logs, 0), "readiness check failed")) }
	set(errors.New("nothing loaded"))
	for i := 0; i < 20; i++ {
		if w := serve(rt, "GET", "/readyz", nil, ""); w.Code != 503 {
			t.Fatalf("readyz %d", w.Code)
		}
	}
	if n := count(); n != 1 {
		t.Fatalf("20 failing probes wrote %d lines, want 1", n)
	}
	set(nil)
	serve(rt, "GET", "/readyz", nil, "")
	set(errors.New("nothing loaded"))
	serve(rt, "GET", "/readyz", nil, "")
	serve(rt, "GET", "/readyz", nil, "")
	if n := count(); n != 2 {
		t.Errorf("after recovering and failing again: %d lines, want 2", n)
	}
}
