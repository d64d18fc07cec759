// Package api is the trust registry's HTTP API (DESIGN.md §4 Trust
// registry, §5 …/api) on internal/server: the latest signed snapshot,
// entity look-ups, and TRQP v2-shaped authorization and recognition
// queries (Trust Registry Query Protocol v2: entity_id, authority_id,
// action, resource, context), with /healthz, /readyz and /metrics
// (DESIGN.md §7). It reads the registry's Store and never writes to it;
// publishing stays with registry.Service.
//
// With Options.Watch the handler serves the published snapshot, and the
// entity and TRQP answers computed from it, from memory: a read never
// opens the store, so no flood of readers can hold a file lock the
// authority needs to publish. It reloads when the watched signature
// changes (checked, without the store, on each request and by
// ReloadHook), or when asked (Reload, SIGHUP). The public routes are
// rate-limited per client (Options.ClientRate).
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/registry"
)

// MaxQueryBody bounds a TRQP query body.
const MaxQueryBody = 64 << 10

// MetricsNamespace prefixes the registry's metric names.
const MetricsNamespace = "cairn_registry"

// TRQP actions this registry answers (TRQP v2 query shape: entity_id,
// authority_id, action, resource, context).
const (
	// ActionIssue: may entity_id issue credentials of type resource (a
	// vct) at context.time (the credential's iat; default now)?
	ActionIssue = "issue"
	// ActionRequest: may entity_id request context.claims for purpose
	// resource at context.time (default now)?
	ActionRequest = "request"
)

// Options configure New.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives one line per request (route, status, duration; never
	// paths, bodies or claim values) and internal error causes. nil
	// discards.
	Logger *slog.Logger
	// Metrics is the process's registry (server.NewRegistry); nil means a
	// new one of the handler's own.
	Metrics *prometheus.Registry
	// MetricsElsewhere leaves /metrics off this handler: the caller serves
	// server.MetricsHandler(Metrics) on another listener.
	MetricsElsewhere bool
	// Watch, when set, makes the handler serve from memory (see the
	// package doc): it returns a signature of the store that changes
	// whenever a snapshot may have been published (FileSignature for a
	// database file), and must not open the store. Load the first
	// snapshot with Reload. Without Watch the store is read on every
	// request, which suits only stores whose readers never block a
	// writer.
	Watch func() (string, error)
	// ClientRate limits the requests of each client (its address, or its
	// IPv6 /64) to the public routes (snapshot, entities, TRQP) together.
	// Zero fields take DefaultClientPerMinute and DefaultClientBurst; Off
	// turns the limit off. TrustedProxies name the reverse proxies whose
	// X-Forwarded-For is believed.
	ClientRate     server.RateLimit
	TrustedProxies []netip.Prefix
	// QuietSuccess logs the public routes' successful answers at debug
	// level (server.Quiet): under load only errors and refusals remain.
	QuietSuccess bool
}

// Default per-client limit of the public routes: generous, since an
// office behind one NAT shares one address.
const (
	DefaultClientPerMinute = 1200
	DefaultClientBurst     = 200
	// MaxClients is how many clients the limiter remembers.
	MaxClients = 10000
)

// Handler serves a registry over HTTP from its Store.
type Handler struct {
	*server.Router
	store       registry.Store
	now         func() time.Time
	decisions   *prometheus.CounterVec
	storeErrors prometheus.Counter

	mu      sync.Mutex
	cached  *trust.Registry
	cachedV uint64

	// Memory mode (Options.Watch).
	watch    func() (string, error)
	log      *slog.Logger
	current  atomic.Pointer[loaded]
	reloadMu sync.Mutex // one reload at a time
	sig      atomic.Pointer[string]
	// The last failed reload: its signature and when to try again.
	failMu    sync.Mutex
	failedSig string
	retryAt   time.Time
}

// loaded is a snapshot held in memory: reg is nil when it had expired
// when it was loaded.
type loaded struct {
	version uint64
	compact string
	reg     *trust.Registry
}

// New returns the registry's HTTP API:
//
//	GET  /registry/snapshot        latest snapshot (application/jwt)
//	GET  /registry/entities/{did}  one entity of the latest snapshot
//	POST /trqp/authorization       TRQP v2 authorization query
//	POST /trqp/recognition         TRQP v2 recognition query
//	GET  /healthz, /readyz, /metrics (unless MetricsElsewhere)
//
// The first four are rate-limited per client (opts.ClientRate). With
// opts.Watch they answer from memory (call Reload first, and run
// ReloadHook), and /readyz fails while no snapshot is loaded; without
// it they read the store on every request and /readyz checks the store.
// It fails only if its metrics clash with others on opts.Metrics.
func New(store registry.Store, opts Options) (*Handler, error) {
	h := &Handler{store: store, now: opts.Now, watch: opts.Watch, log: opts.Logger}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	reg := opts.Metrics
	if reg == nil {
		reg = server.NewRegistry()
	}
	var err error
	if h.decisions, err = server.NewCounterVec(reg, MetricsNamespace+"_decisions_total", "TRQP answers by endpoint and reason code.", "endpoint", "reason"); err != nil {
		return nil, err
	}
	if h.storeErrors, err = server.NewCounter(reg, MetricsNamespace+"_store_errors_total", "Store errors seen while serving."); err != nil {
		return nil, err
	}
	if h.Router, err = server.NewRouter(server.RouterConfig{Namespace: MetricsNamespace, Metrics: reg, Logger: opts.Logger}); err != nil {
		return nil, err
	}
	rate := opts.ClientRate.OrDefault(DefaultClientPerMinute, DefaultClientBurst)
	limiter := server.NewLimiter(rate, MaxClients, server.WithTrustedProxies(opts.TrustedProxies), server.WithLimiterClock(h.now))
	public := []server.RouteOption{server.NoStore(), server.RateLimited(limiter, nil)}
	if opts.QuietSuccess {
		public = append(public, server.Quiet())
	}
	post := append([]server.RouteOption{server.Methods(http.MethodPost)}, public...)
	h.HandleFunc("snapshot", "/registry/snapshot", h.snapshot, public...)
	h.HandleFunc("entity", "/registry/entities/{did}", h.entity, public...)
	h.HandleFunc("trqp_authorization", "/trqp/authorization", h.authorization, post...)
	h.HandleFunc("trqp_recognition", "/trqp/recognition", h.recognition, post...)
	if h.watch != nil {
		h.HandleHealth(server.Check{Name: "snapshot", Fn: h.loadedReady})
	} else {
		// Ready when the store answers and holds a registry; an
		// uninitialized one is not a store error.
		h.HandleHealth(server.StoreCheck(h.ready, h.storeErrors, registry.ErrNotInitialized))
	}
	if !opts.MetricsElsewhere {
		h.HandleMetrics(reg)
	}
	return h, nil
}

var (
	errNotPublished   = &server.Error{Status: http.StatusServiceUnavailable, Code: "not_published", Message: "the registry has not published a snapshot yet"}
	errExpired        = &server.Error{Status: http.StatusServiceUnavailable, Code: "snapshot_expired", Message: "the latest snapshot has expired; the authority must publish again"}
	errUnknownEntity  = &server.Error{Status: http.StatusNotFound, Code: "unknown_entity", Message: "no entity with that DID in the latest snapshot"}
	errUnsupportedAct = func(a, b string) error {
		return &server.Error{Status: http.StatusBadRequest, Code: "unsupported_action", Message: fmt.Sprintf("action must be %q or %q", a, b)}
	}
)

func invalid(msg string) error {
	return &server.Error{Status: http.StatusBadRequest, Code: server.CodeInvalidRequest, Message: msg}
}

// internal counts a store error and answers 500 with a generic message;
// the cause is logged.
func (h *Handler) internal(w http.ResponseWriter, r *http.Request, err error) {
	h.storeErrors.Inc()
	server.WriteError(w, r, &server.Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error", Cause: err})
}

// published returns the latest snapshot, verified against the
// authority's key, decoded once per version.
func (h *Handler) published(w http.ResponseWriter, r *http.Request) (*trust.Registry, bool) {
	if h.watch != nil {
		l := h.inMemory(r.Context())
		switch {
		case l == nil:
			server.WriteError(w, r, errNotPublished)
			return nil, false
		case l.reg == nil || !h.now().Before(l.reg.Expires):
			server.WriteError(w, r, errExpired)
			return nil, false
		}
		return l.reg, true
	}
	v, compact, err := h.store.Latest(r.Context())
	if errors.Is(err, registry.ErrNoSnapshot) {
		server.WriteError(w, r, errNotPublished)
		return nil, false
	}
	if err != nil {
		h.internal(w, r, err)
		return nil, false
	}
	h.mu.Lock()
	if h.cached != nil && h.cachedV == v {
		reg := h.cached
		h.mu.Unlock()
		if !h.now().Before(reg.Expires) {
			server.WriteError(w, r, errExpired)
			return nil, false
		}
		return reg, true
	}
	h.mu.Unlock()
	st, err := h.store.Get(r.Context())
	if err != nil {
		h.internal(w, r, err)
		return nil, false
	}
	reg, err := trust.VerifySnapshot(compact, []*jose.JWK{st.Authority.PublicJWK}, h.now())
	if errors.Is(err, trust.ErrSnapshotExpired) {
		server.WriteError(w, r, errExpired)
		return nil, false
	}
	if err != nil {
		h.internal(w, r, fmt.Errorf("stored snapshot %d does not verify: %w", v, err))
		return nil, false
	}
	h.mu.Lock()
	h.cached, h.cachedV = reg, v
	h.mu.Unlock()
	return reg, true
}

func (h *Handler) snapshot(w http.ResponseWriter, r *http.Request) {
	var compact string
	var err error
	if h.watch != nil {
		if l := h.inMemory(r.Context()); l != nil {
			compact = l.compact
		} else {
			err = registry.ErrNoSnapshot
		}
	} else {
		_, compact, err = h.store.Latest(r.Context())
	}
	if errors.Is(err, registry.ErrNoSnapshot) {
		server.WriteError(w, r, &server.Error{Status: http.StatusNotFound, Code: errNotPublished.Code, Message: errNotPublished.Message})
		return
	}
	if err != nil {
		h.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/jwt")
	_, _ = w.Write([]byte(compact))
}

func (h *Handler) entity(w http.ResponseWriter, r *http.Request) {
	reg, ok := h.published(w, r)
	if !ok {
		return
	}
	e := reg.Entity(r.PathValue("did"))
	if e == nil {
		server.WriteError(w, r, errUnknownEntity)
		return
	}
	server.WriteJSON(w, http.StatusOK, map[string]any{"registry_version": reg.Version, "entity": e})
}

// ready reports whether the store answers and holds a registry.
func (h *Handler) ready(ctx context.Context) error {
	_, err := h.store.Get(ctx)
	return err
}

// trqpQuery is the TRQP v2 request shape. context.claims is Cairn's
// extension for verifier questions.
type trqpQuery struct {
	EntityID    string          `json:"entity_id"`
	AuthorityID string          `json:"authority_id"`
	Action      string          `json:"action"`
	Resource    string          `json:"resource"`
	Context     *trqpContext    `json:"context,omitempty"`
	Ext         json.RawMessage `json:"ext,omitempty"`
}

type trqpContext struct {
	Time   string   `json:"time,omitempty"`
	Claims []string `json:"claims,omitempty"`
}

// cairnExt is the detail Cairn adds under ext["id.cairn"].
type cairnExt struct {
	Reason          string   `json:"reason"`
	CurrentStatus   string   `json:"current_status,omitempty"`
	OutsidePurpose  []string `json:"outside_purpose,omitempty"`
	RegistryVersion uint64   `json:"registry_version"`
	MaxStrength     *int     `json:"max_strength,omitempty"`
	MaxValidity     *int     `json:"max_validity,omitempty"`
	MaxVerification *int     `json:"max_verification,omitempty"`
	Jurisdiction    string   `json:"jurisdiction,omitempty"`
}

type trqpAnswer struct {
	EntityID      string               `json:"entity_id"`
	AuthorityID   string               `json:"authority_id"`
	Action        string               `json:"action"`
	Resource      string               `json:"resource"`
	Authorized    *bool                `json:"authorized,omitempty"`
	Recognized    *bool                `json:"recognized,omitempty"`
	TimeRequested string               `json:"time_requested,omitempty"`
	TimeEvaluated string               `json:"time_evaluated"`
	Message       string               `json:"message,omitempty"`
	Context       *trqpContext         `json:"context,omitempty"`
	Ext           map[string]*cairnExt `json:"ext,omitempty"`
}

// readQuery decodes and checks a TRQP query strictly (server.DecodeJSON).
func (h *Handler) readQuery(w http.ResponseWriter, r *http.Request) (*trqpQuery, time.Time, error) {
	var q trqpQuery
	if err := server.DecodeJSON(w, r, MaxQueryBody, &q); err != nil {
		var se *server.Error
		if errors.As(err, &se) && se.Code == server.CodeInvalidRequest {
			se.Message = "body is not a TRQP query object"
		}
		return nil, time.Time{}, err
	}
	if q.EntityID == "" || q.AuthorityID == "" || q.Action == "" || q.Resource == "" {
		return nil, time.Time{}, invalid("entity_id, authority_id, action and resource are required")
	}
	at := h.now().UTC()
	if q.Context != nil && q.Context.Time != "" {
		t, err := time.Parse(time.RFC3339, q.Context.Time)
		if err != nil {
			return nil, time.Time{}, invalid("context.time must be an RFC 3339 date-time")
		}
		at = t.UTC()
	}
	return &q, at, nil
}

// query reads the query and the published snapshot and checks the
// authority; on failure it has answered.
func (h *Handler) query(w http.ResponseWriter, r *http.Request) (*trqpQuery, time.Time, *trust.Registry, bool) {
	q, at, err := h.readQuery(w, r)
	if err != nil {
		server.WriteError(w, r, err)
		return nil, time.Time{}, nil, false
	}
	reg, ok := h.published(w, r)
	if !ok {
		return nil, time.Time{}, nil, false
	}
	if q.AuthorityID != reg.Authority && q.AuthorityID != reg.ID {
		server.WriteError(w, r, &server.Error{Status: http.StatusNotFound, Code: "unknown_authority", Message: "this registry answers for " + reg.Authority})
		return nil, time.Time{}, nil, false
	}
	return q, at, reg, true
}

func (h *Handler) authorization(w http.ResponseWriter, r *http.Request) {
	q, at, reg, ok := h.query(w, r)
	if !ok {
		return
	}
	var d trust.Decision
	var err error
	switch q.Action {
	case ActionIssue:
		d, err = reg.IssuerAuthorized(q.EntityID, q.Resource, at)
		if err != nil {
			err = invalid("an issue query needs entity_id, resource (a vct) and a time")
		}
	case ActionRequest:
		var claims []string
		if q.Context != nil {
			claims = q.Context.Claims
		}
		d, err = reg.VerifierMayRequest(q.EntityID, q.Resource, claims, at)
		if err != nil {
			// The trust package's message names the claim; the answer
			// does not echo request data.
			err = invalid(fmt.Sprintf("context.claims must hold at most %d claim names or JSON pointers, each well formed", trust.MaxClaims))
		}
	default:
		err = errUnsupportedAct(ActionIssue, ActionRequest)
	}
	if err != nil {
		server.WriteError(w, r, err)
		return
	}
	h.decisions.WithLabelValues("authorization", d.Reason).Inc()
	ext := &cairnExt{Reason: d.Reason, CurrentStatus: string(d.CurrentStatus), OutsidePurpose: d.OutsidePurpose, RegistryVersion: reg.Version}
	if a := d.Authorization; a != nil && d.Authorized {
		ext.MaxStrength, ext.MaxValidity, ext.MaxVerification, ext.Jurisdiction = &a.MaxStrength, &a.MaxValidity, &a.MaxVerification, a.Jurisdiction
	}
	authorized := d.Authorized
	server.WriteJSON(w, http.StatusOK, h.answer(q, at, &trqpAnswer{Authorized: &authorized, Message: d.Reason, Ext: map[string]*cairnExt{"id.cairn": ext}}))
}

func (h *Handler) answer(q *trqpQuery, at time.Time, a *trqpAnswer) *trqpAnswer {
	a.EntityID, a.AuthorityID, a.Action, a.Resource, a.Context = q.EntityID, q.AuthorityID, q.Action, q.Resource, q.Context
	if q.Context != nil && q.Context.Time != "" {
		a.TimeRequested = at.Format(time.RFC3339)
	}
	a.TimeEvaluated = h.now().UTC().Format(time.RFC3339)
	return a
}

// recognition answers whether the authority recognizes entity_id as a
// member in good standing of the ecosystem resource (the registry ID) in
// the role named by action ("issuer" or "verifier") at context.time.
func (h *Handler) recognition(w http.ResponseWriter, r *http.Request) {
	q, at, reg, ok := h.query(w, r)
	if !ok {
		return
	}
	if a := trust.Role(q.Action); a != trust.RoleIssuer && a != trust.RoleVerifier {
		server.WriteError(w, r, errUnsupportedAct(string(trust.RoleIssuer), string(trust.RoleVerifier)))
		return
	}
	reason := trust.ReasonAuthorized
	e := reg.Entity(q.EntityID)
	switch {
	case q.Resource != reg.ID:
		reason = "unknown_resource"
	case e == nil:
		reason = trust.ReasonUnknownEntity
	case e.Role != trust.Role(q.Action):
		reason = trust.ReasonWrongRole
	case e.Compromised():
		reason = trust.ReasonCompromised
	default:
		switch e.StatusAt(at) {
		case trust.StatusActive:
			if !(at.Compare(e.ValidFrom) >= 0 && (e.ValidUntil.IsZero() || at.Before(e.ValidUntil))) {
				reason = trust.ReasonOutsideValidity
			}
		case trust.StatusSuspended:
			reason = trust.ReasonSuspendedAtTime
		case trust.StatusRevoked:
			reason = trust.ReasonRevokedAtTime
		default:
			reason = trust.ReasonNotRegisteredAtTime
		}
	}
	if reason == trust.ReasonAuthorized {
		reason = "recognized"
	}
	h.decisions.WithLabelValues("recognition", reason).Inc()
	recognized := reason == "recognized"
	ext := &cairnExt{Reason: reason, RegistryVersion: reg.Version}
	if e != nil {
		ext.CurrentStatus = string(e.Status)
	}
	server.WriteJSON(w, http.StatusOK, h.answer(q, at, &trqpAnswer{Recognized: &recognized, Message: reason, Ext: map[string]*cairnExt{"id.cairn": ext}}))
}
