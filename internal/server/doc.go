// Package server is the one HTTP server kit every Cairn service is built
// on (DESIGN.md §5 internal/server, §7 Security): a Router over
// net/http's ServeMux whose routes carry a fixed name and allowed methods;
// middleware on every request for Prometheus metrics (requests and
// latency by route name and status code), structured log/slog lines
// carrying a request id, and panic recovery; the JSON error shape
// {code, message} (Error, WriteError, WriteJSON); a bounded, strict JSON
// body decoder (DecodeJSON: application/json only, RFC 8259 with no
// duplicate member names, no trailing data); the per-client token-bucket
// Limiter (429 with Retry-After, RFC 6585 §4 and RFC 9110 §10.2.3);
// /healthz, /readyz and /metrics (the Prometheus text exposition format);
// and Run, which serves one or more listeners with read, header, write
// and idle timeouts, shuts down gracefully on cancellation, SIGINT or
// SIGTERM, and calls reload hooks on SIGHUP or a ticker.
//
// Metrics live on one *prometheus.Registry per process, created by the
// caller with NewRegistry and handed to every service; each service names
// its metrics under its own prefix (cairn_registry_…, cairn_issuer_…) so
// several services in one process share one /metrics. The package keeps
// no global state and imports nothing from the role packages.
package server
