package server

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Check is one readiness check: Fn returns nil when the dependency it
// names (a store, a loaded registry) can serve.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// StoreCheck is the readiness check "store": ready answers whether the
// store can serve, and each error it returns is counted on errs (when not
// nil), except those that are (errors.Is) one of expected: states of the
// store, such as a registry not yet initialized, that make it not ready
// without being store errors.
func StoreCheck(ready func(context.Context) error, errs prometheus.Counter, expected ...error) Check {
	return Check{Name: "store", Fn: func(ctx context.Context) error {
		err := ready(ctx)
		if err != nil && errs != nil && !slices.ContainsFunc(expected, func(e error) bool { return errors.Is(err, e) }) {
			errs.Inc()
		}
		return err
	}}
}

// HandleHealth registers GET /healthz (route "healthz": 200 "ok" while
// the process runs) and GET /readyz (route "readyz": 200 "ready" when
// every check passes, in order; else 503 {code: not_ready} naming the
// first failing check, whose error is logged when it starts failing,
// not on every probe, and never sent).
func (rt *Router) HandleHealth(checks ...Check) {
	rt.HandleFunc("healthz", "/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	}, NoStore())
	// A failing check is logged when it starts failing (or fails
	// otherwise), not on every probe: /readyz is unauthenticated.
	var mu sync.Mutex
	lastFailure := ""
	rt.HandleFunc("readyz", "/readyz", func(w http.ResponseWriter, r *http.Request) {
		for _, c := range checks {
			if err := c.Fn(r.Context()); err != nil {
				failure := c.Name + ": " + err.Error()
				mu.Lock()
				changed := failure != lastFailure
				lastFailure = failure
				mu.Unlock()
				if changed {
					Logger(r.Context()).Warn("readiness check failed", "check", c.Name, "err", err.Error())
				}
				WriteJSON(w, http.StatusServiceUnavailable, ErrorBody{Code: CodeNotReady, Message: "not ready: " + c.Name})
				return
			}
		}
		mu.Lock()
		lastFailure = ""
		mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ready\n"))
	}, NoStore())
}

// HandleMetrics registers GET /metrics (route "metrics") serving g.
func (rt *Router) HandleMetrics(g prometheus.Gatherer) {
	rt.Handle("metrics", "/metrics", MetricsHandler(g), NoStore())
}
