package api

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/issuer"
)

// MetricsNamespace prefixes the issuer's metric names.
const MetricsNamespace = "cairn_issuer"

// metrics are the issuer's domain counters (the router adds the request
// counter and latency histogram). Every label value comes from a fixed
// set: route names, OAuth error codes, notification events, results.
type metrics struct {
	outcomes        *prometheus.CounterVec // endpoint, code
	offersCreated   prometheus.Counter
	txCodeFailures  prometheus.Counter
	storeErrors     prometheus.Counter
	rateLimited     *prometheus.CounterVec // endpoint
	noncesRefused   prometheus.Counter
	statusListCache *prometheus.CounterVec // result
	registryReloads *prometheus.CounterVec // result
}

// newMetrics creates (or finds, for a second handler on one registry) the
// issuer's counters on reg.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{}
	var err error
	vec := func(dst **prometheus.CounterVec, name, help string, labels ...string) {
		if err == nil {
			*dst, err = server.NewCounterVec(reg, MetricsNamespace+"_"+name+"_total", help, labels...)
		}
	}
	one := func(dst *prometheus.Counter, name, help string) {
		if err == nil {
			*dst, err = server.NewCounter(reg, MetricsNamespace+"_"+name+"_total", help)
		}
	}
	vec(&m.outcomes, "outcomes", "Protocol outcomes by endpoint and OAuth error code (or ok/issued/event).", "endpoint", "code")
	one(&m.offersCreated, "offers_created", "Count of offers created.")
	one(&m.txCodeFailures, "tx_code_failures", "Count of wrong transaction codes.")
	one(&m.storeErrors, "store_errors", "Count of store errors.")
	vec(&m.rateLimited, "rate_limited", "Requests refused with 429 by the per-address rate limit, by endpoint.", "endpoint")
	one(&m.noncesRefused, "nonces_refused", "Nonce requests refused (always 0 since nonces are stateless; kept for dashboards).")
	vec(&m.statusListCache, "status_list_cache", "Status List Token requests served from the signed-token cache (hit) or signed anew (miss).", "result")
	vec(&m.registryReloads, "registry_reloads", "Trust registry reloads by result (loaded, unchanged, refused).", "result")
	if err != nil {
		return nil, err
	}
	return m, nil
}

// The core's domain events (issuer.Counters).
var _ issuer.Counters = (*metrics)(nil)

func (m *metrics) OfferCreated()                { m.offersCreated.Inc() }
func (m *metrics) RegistryReload(result string) { m.registryReloads.WithLabelValues(result).Inc() }
func (m *metrics) StatusListCache(hit bool) {
	if hit {
		m.statusListCache.WithLabelValues("hit").Inc()
	} else {
		m.statusListCache.WithLabelValues("miss").Inc()
	}
}
