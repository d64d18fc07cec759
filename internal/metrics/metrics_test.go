package metrics

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestExposition(t *testing.T) {
	s := New("cairn_test",
		Counter{Name: "store_errors", Help: "Store errors."},
		Counter{Name: "outcomes", Help: "Outcomes.", Labels: []string{"endpoint", "code"}},
	)
	s.ObserveRequest("token", 200, 2*time.Millisecond)
	s.ObserveRequest("token", 400, time.Millisecond)
	s.Inc("outcomes", "token", "invalid_grant")
	s.Inc("outcomes", "token", "invalid_grant")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`cairn_test_http_requests_total{route="token",code="200"} 1`,
		`cairn_test_http_requests_total{route="token",code="400"} 1`,
		`cairn_test_http_request_duration_seconds_count{route="token"} 2`,
		`cairn_test_http_request_duration_seconds_sum{route="token"} 0.003`,
		"cairn_test_store_errors_total 0\n",
		`cairn_test_outcomes_total{endpoint="token",code="invalid_grant"} 2`,
		"# TYPE cairn_test_outcomes_total counter",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %q in\n%s", want, body)
		}
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("content type %q", ct)
	}
}

func TestUndeclaredCounterPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for an undeclared counter")
		}
	}()
	New("x").Inc("nope")
}

func TestRecorder(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    func(w *Recorder)
		want int
	}{
		{"implicit 200", func(w *Recorder) { w.Write([]byte("x")) }, 200},
		{"explicit", func(w *Recorder) { w.WriteHeader(404); w.WriteHeader(500) }, 404},
		{"nothing written", func(w *Recorder) {}, 0},
	} {
		r := &Recorder{ResponseWriter: httptest.NewRecorder()}
		tc.h(r)
		if r.Status != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, r.Status, tc.want)
		}
	}
}
