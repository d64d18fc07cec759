// Package api is the issuer's HTTP API (DESIGN.md §5 …/api, §7) on
// internal/server: the public OpenID4VCI 1.0 endpoints of package issuer's
// Service — Credential Issuer Metadata (§12.2), the Credential Offer by
// reference (§4.1.3), the Token Endpoint for the pre-authorized code
// grant (§6, errors §6.3), the Nonce Endpoint (§7), the Credential
// Endpoint (§8, errors §8.3.1.2; for a jpt configuration without key
// proof, proofs sent anyway are invalid_proof), the Notification Endpoint
// (§11) — with
// OAuth 2.0 Authorization Server Metadata (RFC 8414), JWT VC Issuer
// Metadata (SD-JWT VC §5), Token Status Lists
// (draft-ietf-oauth-status-list §5.1), /healthz, /readyz and /metrics;
// and the admin API of the issuer directory's Unix socket (NewAdmin).
//
// Wire objects are internal/oid4vci's; errors are the OAuth shape
// {"error", "error_description"} (RFC 6749 §5.2, RFC 6750 §3 with a
// Bearer challenge). The offer, token and nonce endpoints are rate-limited
// per client address (server.Limiter; 429 "slow_down" with Retry-After:
// OpenID4VCI defines no rate-limit error, and "slow_down" is the OAuth
// code for "ask less often", RFC 8628 §3.5). The rules stay in package
// issuer: this package decodes, calls one Service method, and answers.
package api

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cairn-id/cairn/internal/oid4vci"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/statuslist"
	"github.com/cairn-id/cairn/issuer"
)

// Request body bounds.
const (
	MaxTokenBody        = 8 << 10
	MaxCredentialBody   = 64 << 10
	MaxNotificationBody = 8 << 10
)

// Rate limit defaults, for a registration desk: a wallet needs one offer
// fetch, one token and one or two nonces per credential. In a camp or a
// distribution site hundreds of phones may share one NAT address, so the
// limits are generous: they exist to stop a flood. Nonces are stateless
// (issuer.Service.NewNonce), so a flood of nonce requests takes no disk.
const (
	DefaultNonceTokenPerMinute = 120
	DefaultNonceTokenBurst     = 40
	DefaultOfferPerMinute      = 240
	DefaultOfferBurst          = 60
	DefaultMaxTrackedClients   = 10000
)

// Options configure New.
type Options struct {
	// Now is the rate limiters' clock; nil means time.Now.
	Now func() time.Time
	// Logger receives one line per request (route, status, duration,
	// request id; never bodies or claim values) and refusal causes. nil
	// discards.
	Logger *slog.Logger
	// Metrics is the process's registry (server.NewRegistry); nil means a
	// new one of the handler's own.
	Metrics *prometheus.Registry
	// MetricsElsewhere leaves /metrics off this handler.
	MetricsElsewhere bool
	// Registerer, when set, is where the handler's metrics are
	// registered instead of Metrics, and /metrics is left off: several
	// issuers in one process register through
	// prometheus.WrapRegistererWith(prometheus.Labels{"issuer": name}, reg)
	// so their series stay apart (package stack).
	Registerer prometheus.Registerer
	// NonceLimit, TokenLimit and OfferLimit limit each client address on
	// POST /nonce, POST /token and GET /offers/{id} (zero fields:
	// DefaultNonceTokenPerMinute/Burst, DefaultOfferPerMinute/Burst; Off
	// disables).
	NonceLimit, TokenLimit, OfferLimit server.RateLimit
	// MaxTrackedClients bounds the addresses each limiter remembers
	// (DefaultMaxTrackedClients).
	MaxTrackedClients int
	// TrustedProxies are the reverse proxies (server.ParseTrustedProxies):
	// only when the direct peer is one is X-Forwarded-For read for the
	// client address.
	TrustedProxies []netip.Prefix
}

// ClientRate sets the token and nonce limits to r and the offer-fetch
// limit to twice r (a wallet may fetch an offer again after a failed
// attempt).
func (o *Options) ClientRate(r server.RateLimit) {
	o.NonceLimit, o.TokenLimit, o.OfferLimit = r, r, r
	if !r.Off && r.PerMinute > 0 {
		o.OfferLimit = server.RateLimit{PerMinute: 2 * r.PerMinute, Burst: 2 * r.Burst}
	}
}

// Handler serves a Service's public endpoints.
type Handler struct {
	*server.Router
	svc *issuer.Service
	m   *metrics
}

// WellKnownJWTVCIssuer is where JWT VC Issuer Metadata lives (SD-JWT VC
// §5: inserted between the host and the path of the issuer identifier).
const WellKnownJWTVCIssuer = "/.well-known/jwt-vc-issuer"

// BasePath is the path of a Credential Issuer Identifier ("" for an
// origin, "/issuers/clinic" for https://host/issuers/clinic): the
// handler's endpoints are under it, and the well-known documents at
// /.well-known/<name> followed by it (OpenID4VCI 1.0 §12.2.2, RFC 8414
// §3.1, SD-JWT VC §5).
func BasePath(issuerURL string) string {
	u, err := url.Parse(issuerURL)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(u.EscapedPath(), "/")
}

// New returns the issuer's public HTTP API. For an issuer whose URL has
// a path (BasePath, e.g. /issuers/clinic), every route below but the
// health and metrics ones is under that path, and the three well-known
// documents are at /.well-known/<name>/issuers/clinic:
//
//	GET  /.well-known/openid-credential-issuer   Credential Issuer Metadata
//	GET  /.well-known/oauth-authorization-server  RFC 8414 metadata
//	GET  /.well-known/jwt-vc-issuer               JWT VC Issuer Metadata (jwks)
//	GET  /offers/{id}                             Credential Offer (by reference)
//	POST /token                                   Token Endpoint (pre-authorized code)
//	POST /nonce                                   Nonce Endpoint
//	POST /credential                              Credential Endpoint (up to BatchSize proofs: one copy each)
//	POST /notification                            Notification Endpoint
//	GET  /status/{list}                           Status List Token
//	GET  /healthz, /readyz, /metrics
//
// Every answer carries Cache-Control: no-store except the metadata and
// status lists, which may be cached. It also makes the Service count its
// domain events on the handler's metrics. It fails only on a metrics
// clash. Run its RefusalLogHook beside it (server.Run) so aggregated
// refusal lines are written.
func New(svc *issuer.Service, opts Options) (*Handler, error) {
	proxies := opts.TrustedProxies
	reg := opts.Metrics
	if reg == nil {
		reg = server.NewRegistry()
	}
	var registerer prometheus.Registerer = reg
	if opts.Registerer != nil {
		registerer, opts.MetricsElsewhere = opts.Registerer, true
	}
	m, err := newMetrics(registerer)
	if err != nil {
		return nil, err
	}
	rt, err := server.NewRouter(server.RouterConfig{Namespace: MetricsNamespace, Metrics: registerer, Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	svc.SetCounters(m)
	h := &Handler{Router: rt, svc: svc, m: m}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	maxClients := opts.MaxTrackedClients
	if maxClients <= 0 {
		maxClients = DefaultMaxTrackedClients
	}
	limited := func(route string, r server.RateLimit, perMinute float64, burst int) server.RouteOption {
		l := server.NewLimiter(r.OrDefault(perMinute, burst), maxClients, server.WithTrustedProxies(proxies), server.WithLimiterClock(now))
		return server.RateLimited(l, h.slowDown(route))
	}
	post := server.Methods(http.MethodPost)
	ns := server.NoStore()
	base := BasePath(svc.URL())
	h.HandleFunc("issuer_metadata", oid4vci.WellKnownIssuer+base, h.issuerMetadata, ns)
	h.HandleFunc("as_metadata", oid4vci.WellKnownAuthServer+base, h.asMetadata, ns)
	h.HandleFunc("jwt_vc_issuer", WellKnownJWTVCIssuer+base, h.jwtVCIssuer, ns)
	h.HandleFunc("offer", base+"/offers/{id}", h.offer, ns, limited("offer", opts.OfferLimit, DefaultOfferPerMinute, DefaultOfferBurst))
	h.HandleFunc("token", base+issuer.PathToken, h.token, ns, post, limited("token", opts.TokenLimit, DefaultNonceTokenPerMinute, DefaultNonceTokenBurst))
	h.HandleFunc("nonce", base+issuer.PathNonce, h.nonce, ns, post, limited("nonce", opts.NonceLimit, DefaultNonceTokenPerMinute, DefaultNonceTokenBurst))
	h.HandleFunc("credential", base+issuer.PathCredential, h.credential, ns, post)
	h.HandleFunc("notification", base+issuer.PathNotification, h.notification, ns, post)
	h.HandleFunc("status_list", base+"/status/{list}", h.statusList, ns)
	h.HandleHealth(server.StoreCheck(svc.Ready, m.storeErrors))
	if !opts.MetricsElsewhere {
		h.HandleMetrics(reg)
	}
	return h, nil
}

// slowDown answers a request the route's limiter refused: 429 with the
// OAuth body {"error": "slow_down"} (Retry-After is set by the router).
func (h *Handler) slowDown(route string) server.Refuse {
	return func(w http.ResponseWriter, r *http.Request, wait time.Duration) {
		h.m.rateLimited.WithLabelValues(route).Inc()
		oauthError(w, http.StatusTooManyRequests, "slow_down",
			fmt.Sprintf("too many requests from this address; retry in %d s", server.RetryAfterSeconds(wait)))
	}
}

// oauthError writes the error response of RFC 6749 §5.2 / OpenID4VCI
// §6.3, §8.3.1: {"error", "error_description"}.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	server.WriteJSON(w, status, oid4vci.ErrorResponse{Code: code, Description: desc})
}

// fail counts a refusal, logs its cause when given (never a claim value:
// causes come from package issuer and name fields, not values) and
// answers code.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, route string, status int, code, desc string, cause error) {
	h.m.outcomes.WithLabelValues(route, code).Inc()
	if cause != nil {
		server.Logger(r.Context()).Info("request refused", "route", route, "error", code, "cause", cause.Error())
	}
	oauthError(w, status, code, desc)
}

// failToken is fail for a refused access token: 401 invalid_token with a
// Bearer challenge (RFC 6750 §3).
func (h *Handler) failToken(w http.ResponseWriter, r *http.Request, route, desc string, cause error) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer error=\"invalid_token\", error_description=%q", desc))
	h.fail(w, r, route, http.StatusUnauthorized, oid4vci.ErrorInvalidToken, desc, cause)
}

// internal counts a store error, logs the cause and answers with a
// generic message.
func (h *Handler) internal(w http.ResponseWriter, r *http.Request, route string, err error) {
	h.m.storeErrors.Inc()
	server.Logger(r.Context()).Error("internal error", "route", route, "err", err.Error())
	oauthError(w, http.StatusInternalServerError, oid4vci.ErrorServerError, "internal error")
}

func cacheable(w http.ResponseWriter) { w.Header().Set("Cache-Control", "public, max-age=300") }

func (h *Handler) issuerMetadata(w http.ResponseWriter, r *http.Request) {
	cacheable(w)
	server.WriteJSON(w, http.StatusOK, h.svc.IssuerMetadata())
}

// asMetadata keeps response_types_supported, which RFC 8414 §2 requires,
// even when empty (the oid4vci type omits an empty one).
type asMetadata struct {
	oid4vci.AuthServerMetadata
	ResponseTypesSupported []string `json:"response_types_supported"`
}

func (h *Handler) asMetadata(w http.ResponseWriter, r *http.Request) {
	cacheable(w)
	m := h.svc.AuthServerMetadata()
	rts := m.ResponseTypesSupported
	if rts == nil {
		rts = []string{}
	}
	server.WriteJSON(w, http.StatusOK, asMetadata{AuthServerMetadata: m, ResponseTypesSupported: rts})
}

func (h *Handler) jwtVCIssuer(w http.ResponseWriter, r *http.Request) {
	cacheable(w)
	server.WriteJSON(w, http.StatusOK, map[string]any{"issuer": h.svc.URL(), "jwks": map[string]any{"keys": []any{h.svc.PublicJWK()}}})
}

func (h *Handler) offer(w http.ResponseWriter, r *http.Request) {
	const route = "offer"
	id := r.PathValue("id")
	if len(id) > oid4vci.MaxCodeLen {
		h.fail(w, r, route, http.StatusNotFound, server.CodeNotFound, "no such offer", nil)
		return
	}
	o, err := h.svc.GetOffer(r.Context(), id)
	switch {
	case errors.Is(err, issuer.ErrNotFound), errors.Is(err, issuer.ErrExpired):
		h.fail(w, r, route, http.StatusNotFound, server.CodeNotFound, "no such offer, or it expired", err)
		return
	case err != nil:
		h.internal(w, r, route, err)
		return
	}
	if o.State != issuer.OfferPending {
		h.fail(w, r, route, http.StatusNotFound, server.CodeNotFound, "this offer was already used", nil)
		return
	}
	server.WriteJSON(w, http.StatusOK, h.svc.CredentialOffer(o))
}

func mediaType(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return strings.ToLower(mt)
}

func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	const route = "token"
	if mediaType(r) != "application/x-www-form-urlencoded" {
		h.fail(w, r, route, http.StatusBadRequest, oid4vci.ErrorInvalidRequest, "send application/x-www-form-urlencoded", nil)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxTokenBody)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.fail(w, r, route, http.StatusRequestEntityTooLarge, oid4vci.ErrorInvalidRequest, fmt.Sprintf("body larger than %d bytes", MaxTokenBody), err)
			return
		}
		h.fail(w, r, route, http.StatusBadRequest, oid4vci.ErrorInvalidRequest, "malformed form body", err)
		return
	}
	req, err := oid4vci.ParseTokenRequest(r.PostForm)
	var refused *oid4vci.ErrorResponse
	if errors.As(err, &refused) {
		h.fail(w, r, route, http.StatusBadRequest, refused.Code, refused.Description, nil)
		return
	}
	if err != nil {
		h.fail(w, r, route, http.StatusBadRequest, oid4vci.ErrorInvalidRequest, "malformed token request", err)
		return
	}
	now := h.svc.Now()
	g, err := h.svc.RedeemCode(r.Context(), req.PreAuthorizedCode, req.TxCode)
	switch {
	case errors.Is(err, issuer.ErrTxRequired):
		h.fail(w, r, route, http.StatusBadRequest, oid4vci.ErrorInvalidRequest, "this offer requires a transaction code (tx_code)", err)
		return
	case errors.Is(err, issuer.ErrTxUnwanted):
		h.fail(w, r, route, http.StatusBadRequest, oid4vci.ErrorInvalidRequest, "this offer has no transaction code", err)
		return
	case errors.Is(err, issuer.ErrTxCode):
		h.m.txCodeFailures.Inc()
		h.fail(w, r, route, http.StatusBadRequest, oid4vci.ErrorInvalidGrant, "wrong transaction code", err)
		return
	case errors.Is(err, issuer.ErrNotFound), errors.Is(err, issuer.ErrExpired), errors.Is(err, issuer.ErrUsed), errors.Is(err, issuer.ErrLocked):
		h.fail(w, r, route, http.StatusBadRequest, oid4vci.ErrorInvalidGrant, "the pre-authorized code is invalid, expired or already used", err)
		return
	case err != nil:
		h.internal(w, r, route, err)
		return
	}
	h.m.outcomes.WithLabelValues(route, "ok").Inc()
	server.WriteJSON(w, http.StatusOK, oid4vci.TokenResponse{AccessToken: g.AccessToken, TokenType: "Bearer", ExpiresIn: int64(g.ExpiresAt.Sub(now).Seconds())})
}

func (h *Handler) nonce(w http.ResponseWriter, r *http.Request) {
	// Stateless: answering costs no store access, so a flood from many
	// addresses exhausts nothing the wallets need.
	raw, err := h.svc.NewNonce(r.Context())
	if err != nil {
		h.internal(w, r, "nonce", err)
		return
	}
	server.WriteJSON(w, http.StatusOK, oid4vci.NonceResponse{CNonce: raw})
}

// bearer extracts a Bearer access token.
func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != "" && len(tok) <= oid4vci.MaxCodeLen
}

// readBody reads a JSON body of at most max bytes: 400 for another media
// type, 413 when larger.
func readBody(w http.ResponseWriter, r *http.Request, max int64) (int, []byte, error) {
	if mediaType(r) != "application/json" {
		return http.StatusBadRequest, nil, errors.New("send application/json")
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return http.StatusRequestEntityTooLarge, nil, fmt.Errorf("body larger than %d bytes", max)
		}
		return http.StatusBadRequest, nil, errors.New("could not read the body")
	}
	return 0, b, nil
}

// bearerBody reads a request authenticated by a Bearer access token: the
// token and the JSON body (at most limit bytes). When it returns !ok it
// has answered: invalid_token without a token, else code (the
// endpoint's request error) for a body of the wrong type or size.
func (h *Handler) bearerBody(w http.ResponseWriter, r *http.Request, route string, limit int64, code string) (string, []byte, bool) {
	tok, ok := bearer(r)
	if !ok {
		h.failToken(w, r, route, "a Bearer access token is required", nil)
		return "", nil, false
	}
	status, body, err := readBody(w, r, limit)
	if err != nil {
		h.fail(w, r, route, status, code, err.Error(), err)
		return "", nil, false
	}
	return tok, body, true
}

// tokenRefused reports whether err is the issuer's refusal of an access
// token at the credential endpoint: unknown, expired or already used.
func tokenRefused(err error) bool {
	return errors.Is(err, issuer.ErrNotFound) || errors.Is(err, issuer.ErrExpired) || errors.Is(err, issuer.ErrUsed)
}

// isObject reports whether b is one JSON object, whatever its members.
func isObject(b []byte) bool {
	var m map[string]any
	return server.DecodeJSONBytes(b, &m) == nil && m != nil
}

func (h *Handler) credential(w http.ResponseWriter, r *http.Request) {
	const route = "credential"
	tok, body, ok := h.bearerBody(w, r, route, MaxCredentialBody, oid4vci.ErrorInvalidCredentialRequest)
	if !ok {
		return
	}
	// A body that is not a JSON object is refused before the token is
	// looked at; the request's other faults after it.
	req, perr := oid4vci.ParseCredentialRequestBody(body)
	if perr != nil && !isObject(body) {
		h.fail(w, r, route, http.StatusBadRequest, oid4vci.ErrorInvalidCredentialRequest, "body is not the expected JSON object", perr)
		return
	}
	now := h.svc.Now()
	offer, err := h.svc.CheckAccessToken(r.Context(), tok)
	switch {
	case tokenRefused(err):
		h.failToken(w, r, route, "the access token is invalid, expired or already used", err)
		return
	case err != nil:
		h.internal(w, r, route, err)
		return
	}
	var refused *oid4vci.ErrorResponse
	if errors.As(perr, &refused) {
		h.fail(w, r, route, http.StatusBadRequest, refused.Code, refused.Description, nil)
		return
	}
	if perr != nil {
		h.fail(w, r, route, http.StatusBadRequest, oid4vci.ErrorInvalidCredentialRequest, "malformed credential request", perr)
		return
	}
	if req.CredentialIdentifier != "" {
		h.fail(w, r, route, http.StatusBadRequest, oid4vci.ErrorInvalidCredentialRequest, "credential_configuration_id is required (no credential identifiers are issued)", nil)
		return
	}
	if !h.svc.HasConfiguration(req.CredentialConfigurationID) {
		h.fail(w, r, route, http.StatusBadRequest, oid4vci.ErrorUnknownCredentialConfiguration, "unknown credential_configuration_id", nil)
		return
	}
	if req.CredentialConfigurationID != offer.ConfigurationID {
		h.fail(w, r, route, http.StatusBadRequest, oid4vci.ErrorUnknownCredentialConfiguration, "the access token was not granted for this credential configuration", nil)
		return
	}
	if h.svc.IsJPT(req.CredentialConfigurationID) {
		h.credentialJPT(w, r, tok, req)
		return
	}
	if err := req.CheckProofs(h.svc.BatchSize()); errors.As(err, &refused) {
		h.fail(w, r, route, http.StatusBadRequest, refused.Code, refused.Description, nil)
		return
	}
	hk, err := h.svc.VerifyProof(r.Context(), req.Proofs.JWT[0], now)
	if errors.Is(err, issuer.ErrMissingNonce) {
		h.fail(w, r, route, http.StatusBadRequest, oid4vci.ErrorInvalidNonce, "the proof needs a c_nonce from the nonce endpoint", err)
		return
	}
	if err != nil {
		h.fail(w, r, route, http.StatusBadRequest, oid4vci.ErrorInvalidProof, "the key proof is invalid", err)
		return
	}
	// A batch (batch_credential_issuance): one copy per further proof,
	// every proof over the same c_nonce.
	var more []issuer.BatchHolder
	for _, p := range req.Proofs.JWT[1:] {
		k, err := h.svc.VerifyProof(r.Context(), p, now)
		if err == nil && k.Nonce != hk.Nonce {
			err = errors.New("the proofs of a batch carry different nonces")
		}
		if err != nil {
			h.fail(w, r, route, http.StatusBadRequest, oid4vci.ErrorInvalidProof, "a key proof of the batch is invalid", err)
			return
		}
		more = append(more, issuer.BatchHolder{JWK: k.JWK, DID: k.DID})
	}
	issued, err := h.svc.IssueCredential(r.Context(), issuer.CredentialRequest{AccessToken: tok, ConfigurationID: req.CredentialConfigurationID,
		HolderJWK: hk.JWK, HolderDID: hk.DID, Nonce: hk.Nonce, More: more})
	switch {
	case errors.Is(err, issuer.ErrBatch):
		h.fail(w, r, route, http.StatusBadRequest, oid4vci.ErrorInvalidProof, "the proofs of a batch must be for different keys", err)
		return
	case errors.Is(err, issuer.ErrNonce):
		h.fail(w, r, route, http.StatusBadRequest, oid4vci.ErrorInvalidNonce, "the c_nonce is unknown, expired or already used; get a new one", err)
		return
	case tokenRefused(err):
		h.failToken(w, r, route, "the access token is invalid, expired or already used", nil)
		return
	case err != nil:
		h.internal(w, r, route, err)
		return
	}
	h.writeIssued(w, r, issued)
}

// writeIssued answers an issuance: the credential, its batch copies and
// the notification id; it logs ids, never claims.
func (h *Handler) writeIssued(w http.ResponseWriter, r *http.Request, issued *issuer.IssuedCredential) {
	rec := issued.Record
	h.m.outcomes.WithLabelValues("credential", "issued").Inc()
	server.Logger(r.Context()).Info("credential issued", "credential_id", rec.CredentialID, "vct", rec.VCT, "format", rec.Format, "status_list", rec.StatusList, "copies", 1+len(issued.More))
	creds := []oid4vci.IssuedCredential{oid4vci.NewIssuedCredential(issued.Credential)}
	for _, c := range issued.More {
		creds = append(creds, oid4vci.NewIssuedCredential(c.Credential))
	}
	server.WriteJSON(w, http.StatusOK, oid4vci.CredentialResponse{Credentials: creds, NotificationID: rec.NotificationID})
}

// credentialJPT answers a Credential Request for a jpt configuration
// (issuer/jpt.go): no key proof and no c_nonce. Proofs sent anyway are
// refused with invalid_proof (§8.3.1.2: the proofs parameter is invalid
// for a configuration without proof_types_supported) rather than
// ignored, so a wallet never takes an unbound credential for a bound one.
func (h *Handler) credentialJPT(w http.ResponseWriter, r *http.Request, tok string, req *oid4vci.CredentialRequest) {
	const route = "credential"
	if req.Proofs != nil {
		h.fail(w, r, route, http.StatusBadRequest, oid4vci.ErrorInvalidProof, "this credential configuration takes no key proof (jpt credentials are not bound to a key); send the request without proofs", issuer.ErrProofNotAccepted)
		return
	}
	issued, err := h.svc.IssueJPT(r.Context(), issuer.JPTRequest{AccessToken: tok, ConfigurationID: req.CredentialConfigurationID})
	switch {
	case tokenRefused(err):
		h.failToken(w, r, route, "the access token is invalid, expired or already used", nil)
		return
	case err != nil:
		h.internal(w, r, route, err)
		return
	}
	h.writeIssued(w, r, issued)
}

func (h *Handler) notification(w http.ResponseWriter, r *http.Request) {
	const route = "notification"
	tok, body, ok := h.bearerBody(w, r, route, MaxNotificationBody, oid4vci.ErrorInvalidNotificationRequest)
	if !ok {
		return
	}
	var req oid4vci.NotificationRequest
	if err := server.DecodeJSONBytes(body, &req); err != nil {
		h.fail(w, r, route, http.StatusBadRequest, oid4vci.ErrorInvalidNotificationRequest, "body is not the expected JSON object", err)
		return
	}
	if err := req.Validate(); err != nil {
		h.fail(w, r, route, http.StatusBadRequest, oid4vci.ErrorInvalidNotificationRequest, "notification_id and a known event are required", err)
		return
	}
	err := h.svc.Notify(r.Context(), tok, req.NotificationID, req.Event)
	switch {
	case errors.Is(err, issuer.ErrBadToken):
		h.failToken(w, r, route, "the access token is invalid or expired", nil)
		return
	case errors.Is(err, issuer.ErrNotFound):
		h.fail(w, r, route, http.StatusBadRequest, oid4vci.ErrorInvalidNotificationID, "unknown notification_id for this access token", err)
		return
	case err != nil:
		h.internal(w, r, route, err)
		return
	}
	h.m.outcomes.WithLabelValues(route, req.Event).Inc() // one of the oid4vci Event* constants: Validate checked
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) statusList(w http.ResponseWriter, r *http.Request) {
	const route = "status_list"
	id := r.PathValue("list")
	if _, err := strconv.Atoi(id); err != nil || len(id) > 10 {
		h.fail(w, r, route, http.StatusNotFound, server.CodeNotFound, "no such status list", nil)
		return
	}
	now := h.svc.Now()
	tok, exp, err := h.svc.SignedStatusList(r.Context(), id)
	if errors.Is(err, issuer.ErrNotFound) {
		h.fail(w, r, route, http.StatusNotFound, server.CodeNotFound, "no such status list", nil)
		return
	}
	if err != nil {
		h.internal(w, r, route, err)
		return
	}
	// A cache may keep the token for its ttl, never past its exp.
	maxAge := issuer.StatusListTokenTTL
	if left := exp.Sub(now); left < maxAge {
		maxAge = max(left, 0)
	}
	w.Header().Set("Content-Type", "application/"+statuslist.TokenType)
	w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(maxAge.Seconds())))
	_, _ = w.Write([]byte(tok))
}
