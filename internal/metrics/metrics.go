// Package metrics is the small Prometheus text exposition (format 0.0.4)
// every Cairn service serves at /metrics (DESIGN.md §7): request counts by
// route and status, request latency summaries by route, and counters with at
// most two labels. Label values must come from fixed sets (route names,
// error codes), never from request data, so cardinality stays bounded and
// no personal data reaches the metrics.
package metrics

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Counter declares a counter: its name after the set's prefix (without
// _total), its help text and its label names (zero, one or two).
type Counter struct {
	Name   string
	Help   string
	Labels []string
}

// Set holds one service's metrics. The zero value is not usable; use New.
type Set struct {
	prefix   string
	mu       sync.Mutex
	requests map[[2]string]uint64 // route, status
	latSum   map[string]float64
	latCount map[string]uint64
	decl     []Counter
	counters map[string]map[[2]string]uint64
}

// New returns a set whose metric names start with prefix (e.g.
// "cairn_issuer") and that exposes the declared counters, at 0 until used.
func New(prefix string, counters ...Counter) *Set {
	s := &Set{prefix: prefix, requests: map[[2]string]uint64{}, latSum: map[string]float64{}, latCount: map[string]uint64{}, counters: map[string]map[[2]string]uint64{}}
	for _, c := range counters {
		if len(c.Labels) > 2 {
			panic("metrics: at most two labels per counter")
		}
		s.decl = append(s.decl, c)
		s.counters[c.Name] = map[[2]string]uint64{}
	}
	return s
}

// ObserveRequest counts one HTTP request and its latency.
func (s *Set) ObserveRequest(route string, status int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[[2]string{route, strconv.Itoa(status)}]++
	s.latSum[route] += d.Seconds()
	s.latCount[route]++
}

// Inc adds one to a declared counter; labelValues match its Labels. An
// undeclared name is a programming error and panics in tests' hands.
func (s *Set) Inc(name string, labelValues ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.counters[name]
	if !ok {
		panic("metrics: undeclared counter " + name)
	}
	var k [2]string
	copy(k[:], labelValues)
	m[k]++
}

func sortedKeys[K comparable, V any](m map[K]V, less func(a, b K) bool) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return less(keys[i], keys[j]) })
	return keys
}

func pairLess(a, b [2]string) bool { return a[0] < b[0] || a[0] == b[0] && a[1] < b[1] }

// ServeHTTP writes the exposition.
func (s *Set) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	p := s.prefix
	fmt.Fprintf(&b, "# HELP %s_http_requests_total HTTP requests by route and status code.\n# TYPE %s_http_requests_total counter\n", p, p)
	for _, k := range sortedKeys(s.requests, pairLess) {
		fmt.Fprintf(&b, "%s_http_requests_total{route=%q,code=%q} %d\n", p, k[0], k[1], s.requests[k])
	}
	fmt.Fprintf(&b, "# HELP %s_http_request_duration_seconds Request latency by route.\n# TYPE %s_http_request_duration_seconds summary\n", p, p)
	for _, k := range sortedKeys(s.latSum, func(a, b string) bool { return a < b }) {
		fmt.Fprintf(&b, "%s_http_request_duration_seconds_sum{route=%q} %g\n", p, k, s.latSum[k])
		fmt.Fprintf(&b, "%s_http_request_duration_seconds_count{route=%q} %d\n", p, k, s.latCount[k])
	}
	for _, c := range s.decl {
		name := p + "_" + c.Name + "_total"
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s counter\n", name, c.Help, name)
		vals := s.counters[c.Name]
		if len(c.Labels) == 0 {
			fmt.Fprintf(&b, "%s %d\n", name, vals[[2]string{}])
			continue
		}
		for _, k := range sortedKeys(vals, pairLess) {
			fmt.Fprintf(&b, "%s{%s=%q", name, c.Labels[0], k[0])
			if len(c.Labels) == 2 {
				fmt.Fprintf(&b, ",%s=%q", c.Labels[1], k[1])
			}
			fmt.Fprintf(&b, "} %d\n", vals[k])
		}
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

// Recorder wraps a ResponseWriter to learn the status code a handler
// wrote, for ObserveRequest and access logs.
type Recorder struct {
	http.ResponseWriter
	Status int
}

// WriteHeader records the first status written.
func (r *Recorder) WriteHeader(code int) {
	if r.Status == 0 {
		r.Status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200.
func (r *Recorder) Write(b []byte) (int, error) {
	if r.Status == 0 {
		r.Status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}
