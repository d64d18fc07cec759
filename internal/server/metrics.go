package server

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewRegistry returns a process's Prometheus registry with the Go runtime
// and process collectors on it. Create one per process and hand it to
// every service; never use the client library's global registry.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// register registers c, or returns the collector already registered with
// the same description (so two handlers of one service built on one
// registry, as in tests, share their metrics).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		var zero C
		return zero, fmt.Errorf("%w: metrics: %w", ErrInvalidConfig, err)
	}
	return c, nil
}

// NewCounterVec creates (or finds) the counter vector name on reg. Name
// it with the service's prefix (cairn_registry_…_total); label values
// must come from fixed sets (route names, reason codes), never from
// requests.
func NewCounterVec(reg prometheus.Registerer, name, help string, labels ...string) (*prometheus.CounterVec, error) {
	return register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels))
}

// NewCounter creates (or finds) the counter name on reg; it is exposed
// from the start, at 0.
func NewCounter(reg prometheus.Registerer, name, help string) (prometheus.Counter, error) {
	return register(reg, prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help}))
}

// MetricsHandler serves g in the Prometheus text exposition format. Mount
// it on a Router with HandleMetrics, or on a separate listener of Run.
func MetricsHandler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}

// CodeUnauthorized answers a request without the bearer token
// RequireBearer wants.
const CodeUnauthorized = "unauthorized"

// RequireBearer serves h only to requests carrying "Authorization:
// Bearer <token>" (RFC 6750 §2.1; compared in constant time); others get
// 401 {code: unauthorized} with WWW-Authenticate: Bearer. For /metrics
// where it must be reachable beyond the host.
func RequireBearer(token string, h http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("Authorization")
		if token == "" || len(got) != len(want) || !strings.EqualFold(got[:7], "Bearer ") ||
			subtle.ConstantTimeCompare([]byte(got[7:]), want[7:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			WriteError(w, r, &Error{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Message: "a bearer token is required"})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// MetricsOnly is the handler of a separate metrics listener: GET
// /metrics serves h, every other path is 404 {code: not_found}.
func MetricsOnly(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "no such endpoint"})
	})
	return mux
}

// httpMetrics are a router's request counter and latency histogram.
type httpMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	refused  *prometheus.CounterVec
}

func newHTTPMetrics(reg prometheus.Registerer, namespace string) (*httpMetrics, error) {
	if namespace == "" {
		return nil, fmt.Errorf("%w: a router with metrics needs a Namespace", ErrInvalidConfig)
	}
	req, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: namespace + "_http_requests_total",
		Help: "HTTP requests by route name and status code.",
	}, []string{"route", "code"}))
	if err != nil {
		return nil, err
	}
	lat, err := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    namespace + "_http_request_duration_seconds",
		Help:    "HTTP request latency by route name and status code.",
		Buckets: prometheus.DefBuckets,
	}, []string{"route", "code"}))
	if err != nil {
		return nil, err
	}
	ref, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: namespace + "_http_refused_total",
		Help: "Requests refused with 429 (rate limited) or 503 (unavailable), by route name and status code; each is counted, few are logged.",
	}, []string{"route", "code"}))
	if err != nil {
		return nil, err
	}
	return &httpMetrics{requests: req, latency: lat, refused: ref}, nil
}

func (m *httpMetrics) refuse(route string, status int) {
	if m == nil {
		return
	}
	m.refused.WithLabelValues(route, strconv.Itoa(status)).Inc()
}

func (m *httpMetrics) observe(route string, status int, seconds float64) {
	if m == nil {
		return
	}
	code := "other"
	if status >= 100 && status <= 599 {
		code = strconv.Itoa(status)
	}
	m.requests.WithLabelValues(route, code).Inc()
	m.latency.WithLabelValues(route, code).Observe(seconds)
}
