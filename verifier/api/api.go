// Package api is the verifier's HTTP API (DESIGN.md §5 …/api, §7) on
// internal/server: the wallet-facing OpenID4VP 1.0 endpoints of package
// verifier's Service — the request_uri (GET, and POST with wallet_nonce,
// §5.10; answered application/oauth-authz-req+jwt, RFC 9101 §10.2) and the
// response_uri (direct_post §8.2, direct_post.jwt §8.3) — with /healthz,
// /readyz and /metrics; and the caseworker console API (NewConsole): create
// a session for a purpose (its openid4vp:// URI and QR PNG), poll a result
// (long-poll), record a reviewed decision, check an offline proximity QR
// from an uploaded image. Errors are {code, message} with the verifier's
// stable codes; messages are in the language asked for (lang=en|fr|ar|uk).
// The rules stay in package verifier: this package decodes, calls one
// Service method, and answers.
package api

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cairn-id/cairn/internal/i18n"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/verifier"
)

// MetricsNamespace prefixes the verifier's metric names.
const MetricsNamespace = "cairn_verifier"

// Bounds.
const (
	MaxConsoleBody = 16 << 10
	MaxImageBody   = 4 << 20
	MaxWait        = 60 * time.Second
	MaxIDLen       = 64
)

// Rate limit defaults per client address.
const (
	DefaultWalletPerMinute  = 120
	DefaultWalletBurst      = 40
	DefaultConsolePerMinute = 600
	DefaultConsoleBurst     = 100
	DefaultMaxTracked       = 10000
	// SweepEvery is how often SweepHook runs.
	SweepEvery = time.Minute
)

// Options configure New and NewConsole.
type Options struct {
	Now    func() time.Time
	Logger *slog.Logger
	// Metrics is the process's registry; nil means one of the handler's own.
	Metrics *prometheus.Registry
	// MetricsElsewhere leaves /metrics off this handler.
	MetricsElsewhere bool
	// WalletLimit limits each client address on /request and /response;
	// ConsoleLimit on the console routes (zero: defaults; Off disables).
	WalletLimit, ConsoleLimit server.RateLimit
	TrustedProxies            []netip.Prefix
	// Bundle returns the offline bundle the console's image check uses
	// (nil: the check is refused with bundle_invalid).
	Bundle func() *trust.Bundle
}

type metrics struct {
	outcomes    *prometheus.CounterVec // code
	requests    *prometheus.CounterVec // outcome code of request_uri fetches
	responses   *prometheus.CounterVec // code of refused posts
	sessions    prometheus.Counter
	storeErrors prometheus.Counter
	rateLimited *prometheus.CounterVec
}

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
	vec(&m.outcomes, "verifications", "Presentations verified, by result code (valid, revoked, holder_mismatch, …).", "code")
	vec(&m.requests, "request_objects", "request_uri fetches by outcome (served or a refusal code).", "code")
	vec(&m.responses, "responses_refused", "Authorization responses refused before verification, by code.", "code")
	one(&m.sessions, "sessions_created", "Sessions created.")
	one(&m.storeErrors, "store_errors", "Count of store errors.")
	vec(&m.rateLimited, "rate_limited", "Requests refused with 429 by the per-address rate limit, by route.", "route")
	return m, err
}

// Handler serves a Service's wallet-facing endpoints.
type Handler struct {
	*server.Router
	svc *verifier.Service
	m   *metrics
}

func defaults(opts *Options) (*prometheus.Registry, func() time.Time) {
	reg := opts.Metrics
	if reg == nil {
		reg = server.NewRegistry()
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return reg, now
}

func (h *Handler) limited(route string, r server.RateLimit, perMinute float64, burst int, opts Options, now func() time.Time) server.RouteOption {
	l := server.NewLimiter(r.OrDefault(perMinute, burst), DefaultMaxTracked, server.WithTrustedProxies(opts.TrustedProxies), server.WithLimiterClock(now))
	return server.RateLimited(l, func(w http.ResponseWriter, req *http.Request, wait time.Duration) {
		h.m.rateLimited.WithLabelValues(route).Inc()
		server.WriteError(w, req, server.Errorf(http.StatusTooManyRequests, server.CodeRateLimited,
			"too many requests from this address; retry in %d s", server.RetryAfterSeconds(wait)))
	})
}

// New returns the verifier's wallet-facing HTTP API:
//
//	GET  /request/{id}    the signed request object, once
//	POST /request/{id}    the same, with wallet_nonce (form)
//	POST /response/{id}   the authorization response (direct_post, direct_post.jwt)
//	POST /result/{id}     a same-device session's result, against its response_code (form)
//	GET  /openapi.json    docs/verifier-api.json (both APIs)
//	GET  /healthz, /readyz, /metrics
//
// It makes the Service count verification outcomes on its metrics.
func New(svc *verifier.Service, opts Options) (*Handler, error) {
	reg, now := defaults(&opts)
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	rt, err := server.NewRouter(server.RouterConfig{Namespace: MetricsNamespace, Metrics: reg, Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	h := &Handler{Router: rt, svc: svc, m: m}
	svc.Observe(func(c verifier.Code) { m.outcomes.WithLabelValues(string(c)).Inc() })
	ns := server.NoStore()
	wallet := h.limited("wallet", opts.WalletLimit, DefaultWalletPerMinute, DefaultWalletBurst, opts, now)
	h.HandleFunc("request_object", "/request/{id}", h.requestObject, ns, server.Methods(http.MethodGet, http.MethodPost), wallet)
	h.HandleFunc("response", "/response/{id}", h.response, ns, server.Methods(http.MethodPost), wallet)
	h.HandleFunc("result_by_code", "/result/{id}", h.resultByCode, ns, server.Methods(http.MethodPost), wallet)
	h.HandleFunc("openapi", "/openapi.json", serveOpenAPI, ns)
	h.HandleHealth(server.StoreCheck(svc.Ready, m.storeErrors))
	if !opts.MetricsElsewhere {
		h.HandleMetrics(reg)
	}
	return h, nil
}

// status is the HTTP status of a refusal code.
func status(c verifier.Code) int {
	switch c {
	case verifier.CodeSessionNotFound:
		return http.StatusNotFound
	case verifier.CodeSessionExpired:
		return http.StatusGone
	case verifier.CodeRequestUsed, verifier.CodeResponseReplay, verifier.CodeBundleStale:
		return http.StatusConflict
	case verifier.CodeResultPending:
		return http.StatusAccepted
	case verifier.CodeResultOtherSession, verifier.CodeResponseCodeInvalid:
		return http.StatusForbidden
	}
	return http.StatusBadRequest
}

// lang is the language of a request's messages: ?lang=, else
// Accept-Language, picked as everywhere (i18n.Pick; English when none).
func lang(r *http.Request) string {
	l := r.URL.Query().Get("lang")
	if l == "" {
		l = r.Header.Get("Accept-Language")
	}
	return i18n.Pick(l)
}

// fail answers a Service error: a coded refusal as {code, message} in the
// request's language, anything else as a 500 with the cause logged.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	c := verifier.CodeOfError(err)
	if c == "" {
		h.m.storeErrors.Inc()
		server.WriteError(w, r, &server.Error{Status: http.StatusInternalServerError, Code: server.CodeInternal, Message: "internal error", Cause: err})
		return
	}
	if st := status(c); st < 400 { // result_pending: 202, not an error
		server.WriteJSON(w, st, server.ErrorBody{Code: string(c), Message: verifier.Message(c, lang(r))})
		return
	}
	server.WriteError(w, r, &server.Error{Status: status(c), Code: string(c), Message: verifier.Message(c, lang(r)), Cause: err})
}

func validID(id string) bool {
	if id == "" || len(id) > MaxIDLen {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func mediaType(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return strings.ToLower(mt)
}

// readBody reads at most max bytes of a form body.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, *server.Error) {
	if mediaType(r) != "application/x-www-form-urlencoded" {
		return nil, server.Errorf(http.StatusUnsupportedMediaType, server.CodeMediaType, "send application/x-www-form-urlencoded")
	}
	return readBodyAny(w, r, max)
}

// readBodyAny reads at most max bytes of a body.
func readBodyAny(w http.ResponseWriter, r *http.Request, max int64) ([]byte, *server.Error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &server.Error{Status: http.StatusRequestEntityTooLarge, Code: server.CodeTooLarge, Message: fmt.Sprintf("body larger than %d bytes", max), Cause: err}
		}
		return nil, &server.Error{Status: http.StatusBadRequest, Code: server.CodeInvalidRequest, Message: "unreadable body", Cause: err}
	}
	return b, nil
}

func (h *Handler) requestObject(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validID(id) {
		h.m.requests.WithLabelValues(string(verifier.CodeSessionNotFound)).Inc()
		h.fail(w, r, &verifier.Error{Code: verifier.CodeSessionNotFound})
		return
	}
	walletNonce := ""
	if r.Method == http.MethodPost {
		b, e := readBody(w, r, oid4vp.MaxRequestURIPostLen)
		if e != nil {
			server.WriteError(w, r, e)
			return
		}
		p, err := oid4vp.ParseRequestURIPost(b)
		if err != nil {
			h.m.requests.WithLabelValues(string(verifier.CodeWalletNonce)).Inc()
			h.fail(w, r, &verifier.Error{Code: verifier.CodeWalletNonce, Err: err})
			return
		}
		walletNonce = p.WalletNonce
	}
	jws, err := h.svc.RequestObject(r.Context(), id, walletNonce)
	if err != nil {
		if c := verifier.CodeOfError(err); c != "" {
			h.m.requests.WithLabelValues(string(c)).Inc()
		}
		h.fail(w, r, err)
		return
	}
	h.m.requests.WithLabelValues("served").Inc()
	w.Header().Set("Content-Type", oid4vp.RequestObjectMediaType)
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, jws)
}

// DirectPostAnswer is the verifier's 200 answer to a response (§8.2).
type DirectPostAnswer struct {
	RedirectURI string `json:"redirect_uri,omitempty"`
}

func (h *Handler) response(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validID(id) {
		h.fail(w, r, &verifier.Error{Code: verifier.CodeSessionNotFound})
		return
	}
	b, e := readBody(w, r, oid4vp.MaxResponseLen)
	if e != nil {
		server.WriteError(w, r, e)
		return
	}
	res, err := h.svc.Respond(r.Context(), id, b)
	if err != nil {
		if c := verifier.CodeOfError(err); c != "" {
			h.m.responses.WithLabelValues(string(c)).Inc()
		}
		h.fail(w, r, err)
		return
	}
	// The result goes to the console (or, same-device, to whoever holds
	// the response_code), not to the wallet: the wallet learns only that
	// its answer was taken, and where to send its user.
	server.WriteJSON(w, http.StatusOK, DirectPostAnswer{RedirectURI: res.RedirectURI})
}

// MaxResultByCodeBody bounds the form of POST /result/{id}.
const MaxResultByCodeBody = 1 << 10

// resultByCode releases a same-device session's result against the
// response_code its redirect carried (form response_code), once.
func (h *Handler) resultByCode(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validID(id) {
		h.fail(w, r, &verifier.Error{Code: verifier.CodeSessionNotFound})
		return
	}
	b, e := readBody(w, r, MaxResultByCodeBody)
	if e != nil {
		server.WriteError(w, r, e)
		return
	}
	vals, err := url.ParseQuery(string(b))
	if err != nil || len(vals["response_code"]) != 1 {
		h.fail(w, r, &verifier.Error{Code: verifier.CodeResponseCodeInvalid, Err: errors.New("response_code once in a form")})
		return
	}
	res, err := h.svc.ResultByCode(r.Context(), id, vals.Get("response_code"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res.Localize(lang(r))
	server.WriteJSON(w, http.StatusOK, res)
}

// SweepHook is the server.Run hook deleting expired sessions and results
// past their retention every SweepEvery.
func SweepHook(svc *verifier.Service, log *slog.Logger) server.Hook {
	return server.Hook{Name: "sweep", Every: SweepEvery, Fn: func(ctx context.Context, _ server.Trigger) error {
		c, err := svc.Sweep(ctx)
		if err != nil {
			log.Error("sweep failed", "err", err)
		} else if c.Sessions+c.Results > 0 {
			log.Info("swept expired state", "sessions", c.Sessions, "results", c.Results)
		}
		return nil
	}}
}

func pngDataURL(b []byte) string {
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b)
}

// RegistryHook is the server.Run hook reloading the trust registry with
// load on SIGHUP and every every (0: only on SIGHUP): a registry that loads
// replaces the one in use; a refusal is logged and the previous one stays.
func RegistryHook(svc *verifier.Service, log *slog.Logger, every time.Duration, load func(ctx context.Context) (*trust.Registry, error)) server.Hook {
	return server.Hook{Name: "registry", OnHangup: true, Every: every, Fn: func(ctx context.Context, why server.Trigger) error {
		r, err := load(ctx)
		if err != nil {
			log.Warn("trust registry not reloaded; the one in use stays", "err", err.Error())
			return nil
		}
		if cur := svc.Registry(); cur != nil && r.Version < cur.Version {
			log.Warn("trust registry older than the one in use refused", "version", r.Version, "in_use", cur.Version)
			return nil
		}
		svc.SetRegistry(r)
		log.Info("trust registry loaded", "registry", r.ID, "version", r.Version, "trigger", string(why))
		return nil
	}}
}
