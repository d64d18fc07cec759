package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/metrics"
	"github.com/cairn-id/cairn/internal/trust"
)

// MaxQueryBody bounds a TRQP query body.
const MaxQueryBody = 64 << 10

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

// HandlerOptions configure NewHandler.
type HandlerOptions struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives one line per request (route, status, duration; never
	// bodies or claim values) and internal error causes. nil discards.
	Logger *slog.Logger
}

// Handler serves a registry over HTTP from its Store.
type Handler struct {
	store   Store
	now     func() time.Time
	log     *slog.Logger
	mux     *http.ServeMux
	metrics *metrics.Set

	mu      sync.Mutex
	cached  *trust.Registry
	cachedV uint64
}

// NewHandler returns the registry's HTTP API:
//
//	GET  /registry/snapshot        latest snapshot (application/jwt)
//	GET  /registry/entities/{did}  one entity of the latest snapshot
//	POST /trqp/authorization       TRQP v2 authorization query
//	POST /trqp/recognition         TRQP v2 recognition query
//	GET  /healthz, /readyz, /metrics
func NewHandler(store Store, opts HandlerOptions) *Handler {
	h := &Handler{store: store, now: opts.Now, log: opts.Logger, mux: http.NewServeMux(), metrics: newMetrics()}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.route("GET /registry/snapshot", "snapshot", h.snapshot)
	h.route("GET /registry/entities/{did}", "entity", h.entity)
	h.route("POST /trqp/authorization", "trqp_authorization", h.authorization)
	h.route("POST /trqp/recognition", "trqp_recognition", h.recognition)
	h.route("GET /healthz", "healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	h.route("GET /readyz", "readyz", h.readyz)
	h.route("GET /metrics", "metrics", h.metrics.ServeHTTP)
	h.route("/", "unmatched", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint")
	})
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) route(pattern, name string, fn http.HandlerFunc) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now() // latency is measured on the real clock
		sw := &metrics.Recorder{ResponseWriter: w}
		sw.Header().Set("Cache-Control", "no-store")
		fn(sw, r)
		if sw.Status == 0 {
			sw.Status = http.StatusOK
		}
		d := time.Since(start)
		h.metrics.ObserveRequest(name, sw.Status, d)
		h.log.Info("request", "method", r.Method, "route", name, "status", sw.Status, "duration_ms", float64(d.Microseconds())/1000)
	})
}

type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{Code: code, Message: msg})
}

// internal logs the cause and answers with a generic message.
func (h *Handler) internal(w http.ResponseWriter, route string, err error) {
	h.metrics.Inc("store_errors")
	h.log.Error("internal error", "route", route, "err", err)
	writeError(w, http.StatusInternalServerError, "internal", "internal error")
}

// published returns the latest snapshot, verified against the
// authority's key, decoded once per version.
func (h *Handler) published(w http.ResponseWriter, r *http.Request, route string) (*trust.Registry, bool) {
	v, compact, err := h.store.Latest(r.Context())
	if errors.Is(err, ErrNoSnapshot) {
		writeError(w, http.StatusServiceUnavailable, "not_published", "the registry has not published a snapshot yet")
		return nil, false
	}
	if err != nil {
		h.internal(w, route, err)
		return nil, false
	}
	h.mu.Lock()
	if h.cached != nil && h.cachedV == v {
		reg := h.cached
		h.mu.Unlock()
		if !h.now().Before(reg.Expires) {
			writeError(w, http.StatusServiceUnavailable, "snapshot_expired", "the latest snapshot has expired; the authority must publish again")
			return nil, false
		}
		return reg, true
	}
	h.mu.Unlock()
	st, err := h.store.Get(r.Context())
	if err != nil {
		h.internal(w, route, err)
		return nil, false
	}
	reg, err := trust.VerifySnapshot(compact, []*jose.JWK{st.Authority.PublicJWK}, h.now())
	if errors.Is(err, trust.ErrSnapshotExpired) {
		writeError(w, http.StatusServiceUnavailable, "snapshot_expired", "the latest snapshot has expired; the authority must publish again")
		return nil, false
	}
	if err != nil {
		h.internal(w, route, fmt.Errorf("stored snapshot %d does not verify: %w", v, err))
		return nil, false
	}
	h.mu.Lock()
	h.cached, h.cachedV = reg, v
	h.mu.Unlock()
	return reg, true
}

func (h *Handler) snapshot(w http.ResponseWriter, r *http.Request) {
	_, compact, err := h.store.Latest(r.Context())
	if errors.Is(err, ErrNoSnapshot) {
		writeError(w, http.StatusNotFound, "not_published", "the registry has not published a snapshot yet")
		return
	}
	if err != nil {
		h.internal(w, "snapshot", err)
		return
	}
	w.Header().Set("Content-Type", "application/jwt")
	w.Write([]byte(compact))
}

func (h *Handler) entity(w http.ResponseWriter, r *http.Request) {
	reg, ok := h.published(w, r, "entity")
	if !ok {
		return
	}
	e := reg.Entity(r.PathValue("did"))
	if e == nil {
		writeError(w, http.StatusNotFound, "unknown_entity", "no entity with that DID in the latest snapshot")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"registry_version": reg.Version, "entity": e})
}

func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) {
	if _, err := h.store.Get(r.Context()); err != nil {
		if !errors.Is(err, ErrNotInitialized) {
			h.log.Error("readiness check failed", "err", err)
			h.metrics.Inc("store_errors")
		}
		writeError(w, http.StatusServiceUnavailable, "not_ready", "store not ready or registry not initialized")
		return
	}
	w.Write([]byte("ready\n"))
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

// readQuery decodes and checks a TRQP query; on failure it has answered.
func (h *Handler) readQuery(w http.ResponseWriter, r *http.Request) (*trqpQuery, time.Time, bool) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "send application/json")
		return nil, time.Time{}, false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxQueryBody))
	var q trqpQuery
	if err := dec.Decode(&q); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body larger than %d bytes", MaxQueryBody))
		} else {
			writeError(w, http.StatusBadRequest, "invalid_request", "body is not a TRQP query object")
		}
		return nil, time.Time{}, false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "invalid_request", "trailing data after the query")
		return nil, time.Time{}, false
	}
	if q.EntityID == "" || q.AuthorityID == "" || q.Action == "" || q.Resource == "" {
		writeError(w, http.StatusBadRequest, "invalid_request", "entity_id, authority_id, action and resource are required")
		return nil, time.Time{}, false
	}
	at := h.now().UTC()
	if q.Context != nil && q.Context.Time != "" {
		t, err := time.Parse(time.RFC3339, q.Context.Time)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request", "context.time must be an RFC 3339 date-time")
			return nil, time.Time{}, false
		}
		at = t.UTC()
	}
	return &q, at, true
}

func (h *Handler) checkAuthority(w http.ResponseWriter, reg *trust.Registry, q *trqpQuery) bool {
	if q.AuthorityID != reg.Authority && q.AuthorityID != reg.ID {
		writeError(w, http.StatusNotFound, "unknown_authority", "this registry answers for "+reg.Authority)
		return false
	}
	return true
}

func (h *Handler) authorization(w http.ResponseWriter, r *http.Request) {
	q, at, ok := h.readQuery(w, r)
	if !ok {
		return
	}
	reg, ok := h.published(w, r, "trqp_authorization")
	if !ok || !h.checkAuthority(w, reg, q) {
		return
	}
	var d trust.Decision
	var err error
	switch q.Action {
	case ActionIssue:
		d, err = reg.IssuerAuthorized(q.EntityID, q.Resource, at)
	case ActionRequest:
		var claims []string
		if q.Context != nil {
			claims = q.Context.Claims
		}
		d, err = reg.VerifierMayRequest(q.EntityID, q.Resource, claims, at)
	default:
		writeError(w, http.StatusBadRequest, "unsupported_action", fmt.Sprintf("action must be %q or %q", ActionIssue, ActionRequest))
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	h.metrics.Inc("decisions", "authorization", d.Reason)
	ext := &cairnExt{Reason: d.Reason, CurrentStatus: d.CurrentStatus, OutsidePurpose: d.OutsidePurpose, RegistryVersion: reg.Version}
	if a := d.Authorization; a != nil && d.Authorized {
		ext.MaxStrength, ext.MaxValidity, ext.MaxVerification, ext.Jurisdiction = &a.MaxStrength, &a.MaxValidity, &a.MaxVerification, a.Jurisdiction
	}
	authorized := d.Authorized
	writeJSON(w, http.StatusOK, h.answer(q, at, &trqpAnswer{Authorized: &authorized, Message: d.Reason, Ext: map[string]*cairnExt{"id.cairn": ext}}))
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
	q, at, ok := h.readQuery(w, r)
	if !ok {
		return
	}
	reg, ok := h.published(w, r, "trqp_recognition")
	if !ok || !h.checkAuthority(w, reg, q) {
		return
	}
	if q.Action != trust.RoleIssuer && q.Action != trust.RoleVerifier {
		writeError(w, http.StatusBadRequest, "unsupported_action", fmt.Sprintf("action must be %q or %q", trust.RoleIssuer, trust.RoleVerifier))
		return
	}
	reason := trust.ReasonAuthorized
	e := reg.Entity(q.EntityID)
	switch {
	case q.Resource != reg.ID:
		reason = "unknown_resource"
	case e == nil:
		reason = trust.ReasonUnknownEntity
	case e.Role != q.Action:
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
	h.metrics.Inc("decisions", "recognition", reason)
	recognized := reason == "recognized"
	ext := &cairnExt{Reason: reason, RegistryVersion: reg.Version}
	if e != nil {
		ext.CurrentStatus = e.Status
	}
	writeJSON(w, http.StatusOK, h.answer(q, at, &trqpAnswer{Recognized: &recognized, Message: reason, Ext: map[string]*cairnExt{"id.cairn": ext}}))
}

// newMetrics declares the registry's counters; a handful of routes and
// reason codes keep the label sets small and bounded.
func newMetrics() *metrics.Set {
	return metrics.New("cairn_registry",
		metrics.Counter{Name: "decisions", Help: "TRQP answers by endpoint and reason code.", Labels: []string{"endpoint", "reason"}},
		metrics.Counter{Name: "store_errors", Help: "Store errors seen while serving."},
	)
}
