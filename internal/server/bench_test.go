package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkRouter measures the middleware (request id, context logger,
// metrics, recovery, method dispatch) against the bare ServeMux baseline
// in the same run: compare ns/op and allocs/op of the two.
func BenchmarkRouter(b *testing.B) {
	ok := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }
	bare := http.NewServeMux()
	bare.HandleFunc("GET /things/{id}", ok)
	rt, err := NewRouter(RouterConfig{Namespace: "cairn_bench", Metrics: NewRegistry()})
	if err != nil {
		b.Fatal(err)
	}
	rt.HandleFunc("thing", "/things/{id}", ok)
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"baseline_servemux", bare}, {"router", rt}} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/things/42", nil)
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(httptest.NewRecorder(), r)
			}
		})
	}
}
