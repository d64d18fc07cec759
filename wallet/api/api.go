package api

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/schemas"
	"github.com/cairn-id/cairn/wallet"
)

// MetricsNamespace prefixes the agent's metric names.
const MetricsNamespace = "cairn_wallet"

// Request body bounds.
const (
	MaxBody = 8 << 10
	// MaxImportBody fits a wallet.MaxExportLen file in base64 and the
	// passphrase.
	MaxImportBody = wallet.MaxExportLen/3*4 + 8<<10
)

// Rate limit defaults per client address. A holder creates a wallet
// once and logs in a few times an hour, but a camp's phones may share
// one address; CreateHolder costs two Argon2id derivations, a login or
// a recovery one.
const (
	DefaultCreatePerMinute   = 20
	DefaultCreateBurst       = 10
	DefaultLoginPerMinute    = 60
	DefaultLoginBurst        = 20
	DefaultRecoverPerMinute  = 10
	DefaultRecoverBurst      = 5
	DefaultMaxTrackedClients = 10000
)

// Options configure New.
type Options struct {
	// Now is the rate limiters' clock and the one validity is judged on;
	// nil means time.Now.
	Now func() time.Time
	// Logger receives one line per request (route, status, duration,
	// request id) and refusal causes; never a body. nil discards.
	Logger *slog.Logger
	// Metrics is the process's registry (server.NewRegistry); nil means
	// a new one of the handler's own.
	Metrics *prometheus.Registry
	// MetricsElsewhere leaves /metrics off this handler.
	MetricsElsewhere bool
	// CreateLimit, LoginLimit (also PIN changes) and RecoverLimit limit
	// each client address (zero fields: the defaults; Off disables).
	CreateLimit, LoginLimit, RecoverLimit server.RateLimit
	// MaxTrackedClients bounds the addresses each limiter remembers.
	MaxTrackedClients int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed for the client address.
	TrustedProxies []netip.Prefix
	// Catalogue gives credential type names and claim labels; nil: the
	// embedded one (schemas.Load).
	Catalogue *schemas.Catalogue
	// Registry returns the trust registry in use (issuer names and
	// whether an issuer is authorized for a type); nil or returning nil:
	// none.
	Registry func() *trust.Registry
	// Ready is the /readyz check (nil: always ready).
	Ready func(ctx context.Context) error
}

// Route is one registered method and path.
type Route struct {
	Name, Method, Path string
}

// Handler serves a wallet Service's API.
type Handler struct {
	*server.Router
	svc     *wallet.Service
	now     func() time.Time
	proxies []netip.Prefix
	cat     *schemas.Catalogue
	reg     func() *trust.Registry
	routes  []Route
}

// New returns the wallet agent's API. It fails only on a metrics clash or
// a catalogue that does not load.
func New(svc *wallet.Service, opts Options) (*Handler, error) {
	reg := opts.Metrics
	if reg == nil {
		reg = server.NewRegistry()
	}
	rt, err := server.NewRouter(server.RouterConfig{Namespace: MetricsNamespace, Metrics: reg, Logger: opts.Logger, Now: opts.Now})
	if err != nil {
		return nil, err
	}
	cat := opts.Catalogue
	if cat == nil {
		if cat, err = schemas.Load(); err != nil {
			return nil, err
		}
	}
	h := &Handler{Router: rt, svc: svc, now: opts.Now, proxies: opts.TrustedProxies, cat: cat, reg: opts.Registry}
	if h.now == nil {
		h.now = time.Now
	}
	if h.reg == nil {
		h.reg = func() *trust.Registry { return nil }
	}
	maxClients := opts.MaxTrackedClients
	if maxClients <= 0 {
		maxClients = DefaultMaxTrackedClients
	}
	limited := func(r server.RateLimit, perMinute float64, burst int) server.RouteOption {
		l := server.NewLimiter(r.OrDefault(perMinute, burst), maxClients, server.WithTrustedProxies(h.proxies), server.WithLimiterClock(h.now))
		return server.RateLimited(l, h.refuse)
	}
	create := limited(opts.CreateLimit, DefaultCreatePerMinute, DefaultCreateBurst)
	login := limited(opts.LoginLimit, DefaultLoginPerMinute, DefaultLoginBurst)
	recov := limited(opts.RecoverLimit, DefaultRecoverPerMinute, DefaultRecoverBurst)

	h.handle("holder_create", http.MethodPost, "/v1/holders", h.createHolder, create)
	h.handle("login", http.MethodPost, "/v1/sessions", h.login, login)
	h.handle("logout", http.MethodDelete, "/v1/sessions/current", h.auth(h.logout))
	h.handle("recover", http.MethodPost, "/v1/recover", h.recover, recov)
	h.handle("change_pin", http.MethodPut, "/v1/holder/pin", h.auth(h.changePIN), login)
	h.handle("wipe", http.MethodDelete, "/v1/holder", h.auth(h.wipe))
	h.handle("settings", http.MethodGet, "/v1/holder/settings", h.auth(h.getSettings))
	h.handle("settings_put", http.MethodPut, "/v1/holder/settings", h.auth(h.putSettings))
	h.handle("keys", http.MethodGet, "/v1/holder/keys", h.auth(h.keyStatus))
	h.handle("keys_refresh", http.MethodPost, "/v1/holder/keys/refresh", h.auth(h.refreshKeys))
	h.handle("credentials", http.MethodGet, "/v1/credentials", h.auth(h.listCredentials))
	h.handle("credential", http.MethodGet, "/v1/credentials/{id}", h.auth(h.showCredential))
	h.handle("credential_delete", http.MethodDelete, "/v1/credentials/{id}", h.auth(h.deleteCredential))
	h.handle("timeline", http.MethodGet, "/v1/timeline", h.auth(h.timeline))
	h.handle("log", http.MethodGet, "/v1/log", h.auth(h.log))
	h.handle("log_verify", http.MethodGet, "/v1/log/verify", h.auth(h.verifyLog))
	h.handle("log_export", http.MethodGet, "/v1/log/export", h.auth(h.exportLog))
	h.handle("export", http.MethodPost, "/v1/export", h.auth(h.export))
	h.handle("import", http.MethodPost, "/v1/import", h.auth(h.importWallet))
	h.handle("offer_preview", http.MethodPost, "/v1/offers", h.auth(h.previewOffer))
	h.handle("offer_accept", http.MethodPost, "/v1/offers/{id}/accept", h.auth(h.acceptOffer))
	h.handle("offer_refuse", http.MethodPost, "/v1/offers/{id}/refuse", h.auth(h.refuseOffer))
	h.handle("request_preview", http.MethodPost, "/v1/requests", h.auth(h.previewRequest))
	h.handle("request_respond", http.MethodPost, "/v1/requests/{id}/respond", h.auth(h.respond))
	h.handle("request_refuse", http.MethodPost, "/v1/requests/{id}/refuse", h.auth(h.refuseRequest))
	h.handle("proximity", http.MethodPost, "/v1/proximity", h.auth(h.proximity))
	h.handle("openapi", http.MethodGet, "/openapi.json", h.openAPI)

	var checks []server.Check
	if opts.Ready != nil {
		checks = append(checks, server.Check{Name: "store", Fn: opts.Ready})
	}
	h.HandleHealth(checks...)
	h.routes = append(h.routes, Route{"healthz", http.MethodGet, "/healthz"}, Route{"readyz", http.MethodGet, "/readyz"})
	if !opts.MetricsElsewhere {
		h.HandleMetrics(reg)
		h.routes = append(h.routes, Route{"metrics", http.MethodGet, "/metrics"})
	}
	return h, nil
}

// SessionSweepEvery is how often SessionSweepHook runs.
const SessionSweepEvery = time.Minute

// SessionSweepHook deletes expired session records (of every holder, in
// the shared store) and expired cached session keys every
// SessionSweepEvery. Failures are logged, not fatal.
func SessionSweepHook(svc *wallet.Service, log *slog.Logger) server.Hook {
	return server.Hook{Name: "sessions", Every: SessionSweepEvery, Fn: func(ctx context.Context, _ server.Trigger) error {
		n, err := svc.SweepSessions(ctx)
		if err != nil {
			log.Error("wallet: session sweep failed", "err", err)
		} else if n > 0 {
			log.Info("wallet: swept expired sessions", "sessions", n)
		}
		return nil
	}}
}

// ServeHTTP sets Cache-Control: no-store on every answer, the router's
// own 404 and 405 included, then serves r.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	h.Router.ServeHTTP(w, r)
}

// Routes lists the registered routes (HEAD, implied by GET, aside).
func (h *Handler) Routes() []Route { return append([]Route(nil), h.routes...) }

func (h *Handler) handle(name, method, path string, fn http.HandlerFunc, opts ...server.RouteOption) {
	opts = append(opts, server.Methods(method), server.NoStore())
	h.HandleFunc(name, path, fn, opts...)
	h.routes = append(h.routes, Route{name, method, path})
}

// ---- sessions and languages ----

type sessionHandler func(w http.ResponseWriter, r *http.Request, sess *wallet.Session)

// auth resumes the bearer session of r, or answers 401.
func (h *Handler) auth(fn sessionHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cairn-wallet"`)
			h.fail(w, r, nil, &server.Error{Status: http.StatusUnauthorized, Code: CodeUnauthorized})
			return
		}
		sess, err := h.svc.Resume(r.Context(), tok)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cairn-wallet", error="invalid_token"`)
			h.fail(w, r, nil, err)
			return
		}
		fn(w, r, sess)
	}
}

func bearer(r *http.Request) (string, bool) {
	a := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(a, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	if tok == "" || len(tok) > 512 {
		return "", false
	}
	return tok, true
}

// messageLang is the language of the messages for r: Accept-Language,
// else the holder's setting (with a session), else English.
func (h *Handler) messageLang(r *http.Request, sess *wallet.Session) string {
	if l, ok := MatchLanguage(r.Header.Get("Accept-Language")); ok {
		return l
	}
	if sess != nil {
		if st, err := h.svc.GetSettings(r.Context(), sess); err == nil {
			l, _ := MatchLanguage(st.Lang)
			return l
		}
	}
	return "en"
}

// contentLang is the language of labels and names for r: ?lang, else
// Accept-Language, else the holder's setting, else English (the
// catalogue and registry fall back along their own chains).
func (h *Handler) contentLang(r *http.Request, sess *wallet.Session) string {
	if l := r.URL.Query().Get("lang"); l != "" && len(l) <= 64 {
		return l
	}
	if a := strings.TrimSpace(r.Header.Get("Accept-Language")); a != "" && len(a) <= 256 {
		return a
	}
	if sess != nil {
		if st, err := h.svc.GetSettings(r.Context(), sess); err == nil && st.Lang != "" {
			return st.Lang
		}
	}
	return "en"
}

func (h *Handler) clientAddr(r *http.Request) string {
	a, ok := server.ClientAddr(r, h.proxies)
	if !ok {
		return ""
	}
	return server.LimitKey(a).String()
}

// ---- errors ----

// refuse answers a request a route's limiter refused.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	lang := h.messageLang(r, nil)
	server.WriteJSON(w, http.StatusTooManyRequests, server.ErrorBody{Code: server.CodeRateLimited,
		Message: Message(server.CodeRateLimited, lang, server.RetryAfterSeconds(wait))})
}

// classify maps an error to its status, code and lock.
func classify(err error, now time.Time) (status int, code string, retry time.Duration) {
	var se *server.Error
	var le *wallet.LockedError
	switch {
	case errors.As(err, &le):
		retry = max(le.RetryAfter(now), time.Second)
		if le.Scope == "holder" {
			return http.StatusLocked, CodeLocked, retry
		}
		return http.StatusTooManyRequests, server.CodeRateLimited, retry
	case errors.As(err, &se):
		return se.Status, se.Code, 0
	case errors.Is(err, wallet.ErrInvalidPIN):
		code = CodeInvalidPIN
	case errors.Is(err, wallet.ErrUnlock):
		code = CodeUnlockFailed
	case errors.Is(err, wallet.ErrRecoveryCode):
		code = CodeRecoveryCode
	case errors.Is(err, wallet.ErrSession):
		code = CodeSessionExpired
	case errors.Is(err, wallet.ErrBusy):
		return http.StatusServiceUnavailable, CodeBusy, time.Minute
	case errors.Is(err, wallet.ErrNoCredential):
		code = CodeCredentialNotFound
	case errors.Is(err, wallet.ErrNoKey), errors.Is(err, wallet.ErrNotFound):
		code = server.CodeNotFound
	case errors.Is(err, wallet.ErrLogTampered):
		code = CodeLogTampered
	case errors.Is(err, wallet.ErrExportFormat):
		code = CodeExportInvalid
	case errors.Is(err, wallet.ErrPassphrase):
		code = CodePassphrase
	case errors.Is(err, wallet.ErrNotEmpty):
		code = CodeNotEmpty
	case errors.Is(err, wallet.ErrOffer):
		code = CodeOfferInvalid
	case errors.Is(err, wallet.ErrTxCode):
		code = CodeTxCode
	case errors.Is(err, wallet.ErrUntrustedIssuer):
		code = CodeIssuerUntrusted
	case errors.Is(err, wallet.ErrIssuance):
		code = CodeIssuance
	case errors.Is(err, wallet.ErrCredentialInvalid):
		code = CodeCredentialInvalid
	case errors.Is(err, wallet.ErrRequest):
		code = CodeRequestInvalid
	case errors.Is(err, wallet.ErrVerifierUnknown):
		code = CodeVerifierUnknown
	case errors.Is(err, wallet.ErrCannotAnswer):
		code = CodeCannotAnswer
	case errors.Is(err, wallet.ErrConsent):
		code = CodeConsent
	case errors.Is(err, wallet.ErrDelivery):
		code = CodeDelivery
	case errors.Is(err, wallet.ErrNoPreview):
		code = CodePreviewNotFound
	case errors.Is(err, wallet.ErrInvalidRequest), errors.Is(err, wallet.ErrKDFParams):
		code = server.CodeInvalidRequest
	default:
		code = server.CodeInternal
	}
	return statusOf[code], code, 0
}

// fail answers err as {code, message} in the holder's language, with
// Retry-After for lockouts; the cause is logged (it never holds a
// secret: package wallet's errors name no PIN, code or value), not sent.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, sess *wallet.Session, err error) {
	status, code, retry := classify(err, h.now())
	if retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(server.RetryAfterSeconds(retry)))
	}
	msg := Message(code, h.messageLang(r, sess), server.RetryAfterSeconds(retry))
	if msg == "" {
		var se *server.Error
		if errors.As(err, &se) {
			msg = se.Message
		}
	}
	var cause error
	if se := (*server.Error)(nil); !errors.As(err, &se) || se.Cause != nil {
		cause = err
	}
	server.WriteError(w, r, &server.Error{Status: status, Code: code, Message: msg, Cause: cause})
}

// ---- decoding ----

// decode is server.DecodeJSONStrict: media type, size, one JSON value, no
// duplicate members, and no member v does not have, so a misspelt field
// is an error rather than a silent default.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	return server.DecodeJSONStrict(w, r, max, v)
}

var errDeviceSecret = &server.Error{Status: http.StatusBadRequest, Code: server.CodeInvalidRequest, Message: "device_secret must be base64url"}

// deviceSecret decodes a base64url device secret ("" stays nil).
func deviceSecret(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, errDeviceSecret
	}
	return b, nil
}
