package issuer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/metrics"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/statuslist"
)

// Request body bounds.
const (
	MaxTokenBody        = 8 << 10
	MaxCredentialBody   = 64 << 10
	MaxNotificationBody = 8 << 10
	maxTxCodeLen        = 64
	maxSecretLen        = 512
)

// PreAuthorizedGrant is the grant type of the pre-authorized code flow.
const PreAuthorizedGrant = "urn:ietf:params:oauth:grant-type:pre-authorized_code"

// Handler returns the issuer's HTTP API:
//
//	GET  /.well-known/openid-credential-issuer   Credential Issuer Metadata
//	GET  /.well-known/oauth-authorization-server  RFC 8414 metadata
//	GET  /.well-known/jwt-vc-issuer               JWT VC Issuer Metadata (jwks)
//	GET  /offers/{id}                             Credential Offer (by reference)
//	POST /token                                   Token Endpoint (pre-authorized code)
//	POST /nonce                                   Nonce Endpoint
//	POST /credential                              Credential Endpoint
//	POST /notification                            Notification Endpoint
//	GET  /status/{list}                           Status List Token
//	GET  /healthz, /readyz, /metrics
//
// The offer, token and nonce endpoints are rate-limited per client
// address (RateLimit; 429 with Retry-After), and the nonce endpoint
// answers 503 while the store holds MaxLiveNonces nonces. Status List
// Tokens are signed once per list revision and served from memory.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern, name string, fn http.HandlerFunc) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			start := time.Now() // latency on the real clock
			sw := &metrics.Recorder{ResponseWriter: w}
			sw.Header().Set("Cache-Control", "no-store")
			fn(sw, r)
			if sw.Status == 0 {
				sw.Status = http.StatusOK
			}
			d := time.Since(start)
			s.metrics.ObserveRequest(name, sw.Status, d)
			s.log.Info("request", "method", r.Method, "route", name, "status", sw.Status, "duration_ms", float64(d.Microseconds())/1000)
		})
	}
	route("GET /.well-known/openid-credential-issuer", "issuer_metadata", s.serveIssuerMetadata)
	route("GET /.well-known/oauth-authorization-server", "as_metadata", s.serveASMetadata)
	route("GET /.well-known/jwt-vc-issuer", "jwt_vc_issuer", s.serveJWTVCIssuer)
	route("GET /offers/{id}", "offer", s.serveOffer)
	route("POST /token", "token", s.serveToken)
	route("POST /nonce", "nonce", s.serveNonce)
	route("POST /credential", "credential", s.serveCredential)
	route("POST /notification", "notification", s.serveNotification)
	route("GET /status/{list}", "status_list", s.serveStatusList)
	route("GET /healthz", "healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	route("GET /readyz", "readyz", s.serveReady)
	route("GET /metrics", "metrics", s.metrics.ServeHTTP)
	route("/", "unmatched", func(w http.ResponseWriter, r *http.Request) {
		oauthError(w, http.StatusNotFound, "not_found", "no such endpoint")
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// oauthError writes the error response of RFC 6749 §5.2 / OpenID4VCI
// §6.3, §8.3.1: {"error", "error_description"}.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// tokenError answers 401 with a Bearer challenge (RFC 6750 §3).
func tokenError(w http.ResponseWriter, desc string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer error=\"invalid_token\", error_description=%q", desc))
	oauthError(w, http.StatusUnauthorized, "invalid_token", desc)
}

// failToken is fail for a refused access token: counted, its cause (when
// given) logged, answered as RFC 6750 invalid_token.
func (s *Service) failToken(w http.ResponseWriter, route, desc string, cause error) {
	s.metrics.Inc("outcomes", route, "invalid_token")
	if cause != nil {
		s.log.Info("request refused", "route", route, "error", "invalid_token", "cause", cause.Error())
	}
	tokenError(w, desc)
}

// internal logs the cause and answers with a generic message.
func (s *Service) internal(w http.ResponseWriter, route string, err error) {
	s.metrics.Inc("store_errors")
	s.log.Error("internal error", "route", route, "err", err)
	oauthError(w, http.StatusInternalServerError, "server_error", "internal error")
}

// fail logs the cause of a client error (never a claim value: causes
// come from this package and name fields, not values) and answers code.
func (s *Service) fail(w http.ResponseWriter, route string, status int, code, desc string, cause error) {
	s.metrics.Inc("outcomes", route, code)
	if cause != nil {
		s.log.Info("request refused", "route", route, "error", code, "cause", cause.Error())
	}
	oauthError(w, status, code, desc)
}

// IssuerMetadata returns the Credential Issuer Metadata (§12.2).
func (s *Service) IssuerMetadata() map[string]any {
	display := []map[string]any{}
	locales := make([]string, 0, len(s.cfg.Names))
	for l := range s.cfg.Names {
		locales = append(locales, l)
	}
	sort.Strings(locales)
	for _, l := range locales {
		display = append(display, map[string]any{"name": s.cfg.Names[l], "locale": l})
	}
	confs := map[string]any{}
	for id, t := range s.types {
		var tdisp []map[string]any
		for _, d := range t.Metadata.Display {
			m := map[string]any{"name": d.Name, "locale": d.Locale}
			if d.Description != "" {
				m["description"] = d.Description
			}
			tdisp = append(tdisp, m)
		}
		var claims []map[string]any
		for _, c := range t.Metadata.Claims {
			m := map[string]any{"path": c.Path}
			if c.Mandatory {
				m["mandatory"] = true
			}
			var cd []map[string]any
			for _, d := range c.Display {
				cd = append(cd, map[string]any{"name": d.Label, "locale": d.Locale})
			}
			if len(cd) > 0 {
				m["display"] = cd
			}
			claims = append(claims, m)
		}
		meta := map[string]any{"display": tdisp}
		if len(claims) > 0 {
			meta["claims"] = claims
		}
		algs := make([]string, len(proofAlgs))
		for i, a := range proofAlgs {
			algs[i] = string(a)
		}
		confs[id] = map[string]any{
			"format": sdjwtvc.Typ,
			"vct":    t.VCT,
			"scope":  id,
			"cryptographic_binding_methods_supported": []string{"jwk", "did:jwk", "did:key"},
			"credential_signing_alg_values_supported": []string{string(s.signer.Alg())},
			"proof_types_supported":                   map[string]any{"jwt": map[string]any{"proof_signing_alg_values_supported": algs}},
			"credential_metadata":                     meta,
		}
	}
	return map[string]any{
		"credential_issuer":                   s.base,
		"authorization_servers":               []string{s.base},
		"credential_endpoint":                 s.base + "/credential",
		"nonce_endpoint":                      s.base + "/nonce",
		"notification_endpoint":               s.base + "/notification",
		"display":                             display,
		"credential_configurations_supported": confs,
	}
}

func (s *Service) serveIssuerMetadata(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, s.IssuerMetadata())
}

func (s *Service) serveASMetadata(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                          s.base,
		"token_endpoint":                                  s.base + "/token",
		"grant_types_supported":                           []string{PreAuthorizedGrant},
		"response_types_supported":                        []string{},
		"token_endpoint_auth_methods_supported":           []string{"none"},
		"pre-authorized_grant_anonymous_access_supported": true,
	})
}

func (s *Service) serveJWTVCIssuer(w http.ResponseWriter, r *http.Request) {
	jwk := s.cfg.Key.PublicJWK().Map()
	jwk["kid"] = s.kid
	jwk["alg"] = string(s.signer.Alg())
	jwk["use"] = "sig"
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, map[string]any{"issuer": s.base, "jwks": map[string]any{"keys": []any{jwk}}})
}

func (s *Service) serveReady(w http.ResponseWriter, r *http.Request) {
	if err := s.Ready(r.Context()); err != nil {
		s.metrics.Inc("store_errors")
		s.log.Error("readiness check failed", "err", err)
		oauthError(w, http.StatusServiceUnavailable, "not_ready", "store not ready")
		return
	}
	w.Write([]byte("ready\n"))
}

// offerJSON is the Credential Offer object (§4.1.1).
func (s *Service) offerJSON(o *StoredOffer) map[string]any {
	grant := map[string]any{"pre-authorized_code": s.preAuthCode(o.ID)}
	if o.TxCodeHash != "" {
		grant["tx_code"] = map[string]any{
			"input_mode":  "numeric",
			"length":      o.TxCodeLength,
			"description": "Type the code the issuing desk gave you",
		}
	}
	return map[string]any{
		"credential_issuer":            s.base,
		"credential_configuration_ids": []string{o.ConfigurationID},
		"grants":                       map[string]any{PreAuthorizedGrant: grant},
	}
}

func (s *Service) serveOffer(w http.ResponseWriter, r *http.Request) {
	if !s.limit(w, r, "offer", s.offerLimit) {
		return
	}
	id := r.PathValue("id")
	if len(id) > maxSecretLen {
		s.fail(w, "offer", http.StatusNotFound, "not_found", "no such offer", nil)
		return
	}
	o, err := s.GetOffer(r.Context(), id)
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrExpired):
		s.fail(w, "offer", http.StatusNotFound, "not_found", "no such offer, or it expired", err)
		return
	case err != nil:
		s.internal(w, "offer", err)
		return
	}
	if o.State != OfferPending {
		s.fail(w, "offer", http.StatusNotFound, "not_found", "this offer was already used", nil)
		return
	}
	writeJSON(w, http.StatusOK, s.offerJSON(o))
}

func mediaType(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return strings.ToLower(mt)
}

func (s *Service) serveToken(w http.ResponseWriter, r *http.Request) {
	if !s.limit(w, r, "token", s.tokenLimit) {
		return
	}
	if mediaType(r) != "application/x-www-form-urlencoded" {
		s.fail(w, "token", http.StatusBadRequest, "invalid_request", "send application/x-www-form-urlencoded", nil)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxTokenBody)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.fail(w, "token", http.StatusRequestEntityTooLarge, "invalid_request", fmt.Sprintf("body larger than %d bytes", MaxTokenBody), err)
			return
		}
		s.fail(w, "token", http.StatusBadRequest, "invalid_request", "malformed form body", err)
		return
	}
	f := r.PostForm
	if gt := f.Get("grant_type"); gt != PreAuthorizedGrant {
		s.fail(w, "token", http.StatusBadRequest, "unsupported_grant_type", "only the pre-authorized code grant is supported", nil)
		return
	}
	code, tx := f.Get("pre-authorized_code"), f.Get("tx_code")
	if code == "" || len(code) > maxSecretLen || len(tx) > maxTxCodeLen || len(f["pre-authorized_code"]) > 1 || len(f["tx_code"]) > 1 {
		s.fail(w, "token", http.StatusBadRequest, "invalid_request", "one pre-authorized_code (and at most one tx_code) is required", nil)
		return
	}
	now := s.cfg.Now()
	g, err := s.RedeemCode(r.Context(), code, tx)
	switch {
	case errors.Is(err, ErrTxRequired):
		s.fail(w, "token", http.StatusBadRequest, "invalid_request", "this offer requires a transaction code (tx_code)", err)
		return
	case errors.Is(err, ErrTxUnwanted):
		s.fail(w, "token", http.StatusBadRequest, "invalid_request", "this offer has no transaction code", err)
		return
	case errors.Is(err, ErrTxCode):
		s.metrics.Inc("tx_code_failures")
		s.fail(w, "token", http.StatusBadRequest, "invalid_grant", "wrong transaction code", err)
		return
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrExpired), errors.Is(err, ErrUsed), errors.Is(err, ErrLocked):
		s.fail(w, "token", http.StatusBadRequest, "invalid_grant", "the pre-authorized code is invalid, expired or already used", err)
		return
	case err != nil:
		s.internal(w, "token", err)
		return
	}
	s.metrics.Inc("outcomes", "token", "ok")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": g.AccessToken,
		"token_type":   "Bearer",
		"expires_in":   int(g.ExpiresAt.Sub(now).Seconds()),
	})
}

func (s *Service) serveNonce(w http.ResponseWriter, r *http.Request) {
	if !s.limit(w, r, "nonce", s.nonceLimit) {
		return
	}
	raw, err := s.NewNonce(r.Context())
	if errors.Is(err, ErrTooManyNonces) {
		// Many clients at once, or a flood from many addresses: refuse
		// rather than fill the disk; the sweep frees places each minute.
		s.metrics.Inc("nonces_refused")
		s.log.Warn("nonce refused: store at its cap of live nonces", "max", s.cfg.MaxLiveNonces)
		w.Header().Set("Retry-After", "60")
		oauthError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "too many requests in progress; retry in a minute")
		return
	}
	if err != nil {
		s.internal(w, "nonce", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"c_nonce": raw})
}

// bearer extracts a Bearer access token.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != "" && len(tok) <= maxSecretLen
}

// decodeBody reads one JSON object of at most max bytes into v.
func decodeBody(w http.ResponseWriter, r *http.Request, max int64, v any) (status int, err error) {
	if mediaType(r) != "application/json" {
		return http.StatusBadRequest, errors.New("send application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, max))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return http.StatusRequestEntityTooLarge, fmt.Errorf("body larger than %d bytes", max)
		}
		return http.StatusBadRequest, errors.New("body is not the expected JSON object")
	}
	if dec.More() {
		return http.StatusBadRequest, errors.New("trailing data after the JSON object")
	}
	return 0, nil
}

type credentialRequest struct {
	CredentialConfigurationID string              `json:"credential_configuration_id"`
	CredentialIdentifier      string              `json:"credential_identifier"`
	Proofs                    map[string][]string `json:"proofs"`
	Proof                     json.RawMessage     `json:"proof"`
	Encryption                json.RawMessage     `json:"credential_response_encryption"`
}

func (s *Service) serveCredential(w http.ResponseWriter, r *http.Request) {
	const route = "credential"
	tok, ok := bearer(r)
	if !ok {
		s.failToken(w, route, "a Bearer access token is required", nil)
		return
	}
	var req credentialRequest
	if status, err := decodeBody(w, r, MaxCredentialBody, &req); err != nil {
		s.fail(w, route, status, "invalid_credential_request", err.Error(), err)
		return
	}
	now := s.cfg.Now()
	offer, err := s.CheckAccessToken(r.Context(), tok)
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrExpired), errors.Is(err, ErrUsed):
		s.failToken(w, route, "the access token is invalid, expired or already used", err)
		return
	case err != nil:
		s.internal(w, route, err)
		return
	}
	if len(req.Encryption) > 0 {
		s.fail(w, route, http.StatusBadRequest, "invalid_encryption_parameters", "credential response encryption is not supported", nil)
		return
	}
	if len(req.Proof) > 0 {
		s.fail(w, route, http.StatusBadRequest, "invalid_credential_request", "use proofs, not proof (OpenID4VCI 1.0)", nil)
		return
	}
	if req.CredentialIdentifier != "" || req.CredentialConfigurationID == "" {
		s.fail(w, route, http.StatusBadRequest, "invalid_credential_request", "credential_configuration_id is required (no credential identifiers are issued)", nil)
		return
	}
	if _, known := s.types[req.CredentialConfigurationID]; !known {
		s.fail(w, route, http.StatusBadRequest, "unknown_credential_configuration", "unknown credential_configuration_id", nil)
		return
	}
	if req.CredentialConfigurationID != offer.ConfigurationID {
		s.fail(w, route, http.StatusBadRequest, "unknown_credential_configuration", "the access token was not granted for this credential configuration", nil)
		return
	}
	jwts := req.Proofs["jwt"]
	if len(req.Proofs) != 1 || len(jwts) != 1 {
		s.fail(w, route, http.StatusBadRequest, "invalid_proof", "exactly one jwt proof is required (proofs.jwt)", nil)
		return
	}
	hk, err := s.verifyProof(r.Context(), jwts[0], now)
	if errors.Is(err, ErrMissingNonce) {
		s.fail(w, route, http.StatusBadRequest, "invalid_nonce", "the proof needs a c_nonce from the nonce endpoint", err)
		return
	}
	if err != nil {
		s.fail(w, route, http.StatusBadRequest, "invalid_proof", "the key proof is invalid", err)
		return
	}
	issued, err := s.IssueCredential(r.Context(), CredentialRequest{AccessToken: tok, ConfigurationID: req.CredentialConfigurationID,
		HolderJWK: hk.JWK, HolderDID: hk.DID, Nonce: hk.Nonce})
	switch {
	case errors.Is(err, ErrNonce):
		s.fail(w, route, http.StatusBadRequest, "invalid_nonce", "the c_nonce is unknown, expired or already used; get a new one", err)
		return
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrExpired), errors.Is(err, ErrUsed):
		s.failToken(w, route, "the access token is invalid, expired or already used", nil)
		return
	case err != nil:
		s.internal(w, route, err)
		return
	}
	credential, rec := issued.Credential, issued.Record
	s.metrics.Inc("outcomes", route, "issued")
	s.log.Info("credential issued", "credential_id", rec.CredentialID, "vct", rec.VCT, "status_list", rec.StatusList)
	writeJSON(w, http.StatusOK, map[string]any{
		"credentials":     []map[string]string{{"credential": credential}},
		"notification_id": rec.NotificationID,
	})
}

type notificationRequest struct {
	NotificationID   string `json:"notification_id"`
	Event            string `json:"event"`
	EventDescription string `json:"event_description"`
}

var notificationEvents = map[string]bool{"credential_accepted": true, "credential_failure": true, "credential_deleted": true}

func (s *Service) serveNotification(w http.ResponseWriter, r *http.Request) {
	const route = "notification"
	tok, ok := bearer(r)
	if !ok {
		s.failToken(w, route, "a Bearer access token is required", nil)
		return
	}
	var req notificationRequest
	if status, err := decodeBody(w, r, MaxNotificationBody, &req); err != nil {
		s.fail(w, route, status, "invalid_notification_request", err.Error(), err)
		return
	}
	if !notificationEvents[req.Event] || req.NotificationID == "" || len(req.NotificationID) > maxSecretLen {
		s.fail(w, route, http.StatusBadRequest, "invalid_notification_request", "notification_id and a known event are required", nil)
		return
	}
	err := s.Notify(r.Context(), tok, req.NotificationID, req.Event)
	switch {
	case errors.Is(err, ErrBadToken):
		s.failToken(w, route, "the access token is invalid or expired", nil)
		return
	case errors.Is(err, ErrNotFound):
		s.fail(w, route, http.StatusBadRequest, "invalid_notification_id", "unknown notification_id for this access token", err)
		return
	case err != nil:
		s.internal(w, route, err)
		return
	}
	s.metrics.Inc("outcomes", route, req.Event)
	w.WriteHeader(http.StatusNoContent)
}

// StatusListURI is the uri of a status list of this issuer.
func (s *Service) StatusListURI(list string) string { return s.base + "/status/" + list }

// StatusListToken signs the current state of a status list (§5.1).
func (s *Service) StatusListToken(l *StatusList) (string, error) {
	e, err := s.signStatusList(l, s.cfg.Now())
	return e.token, err
}

func (s *Service) signStatusList(l *StatusList, now time.Time) (cachedStatusList, error) {
	lst, err := statuslist.New(2, l.Size)
	if err != nil {
		return cachedStatusList{}, err
	}
	for i, b := range l.Bits {
		if b == 0 {
			continue
		}
		for j := 0; j < 4; j++ {
			if v := (b >> (2 * j)) & 0x3; v != 0 && i*4+j < l.Size {
				if err := lst.Set(i*4+j, v); err != nil {
					return cachedStatusList{}, err
				}
			}
		}
	}
	tok, err := lst.SignToken(s.signer, statuslist.TokenOptions{
		Subject: s.StatusListURI(l.ID), Issuer: s.did, IssuedAt: now,
		ExpiresIn: StatusListTokenLifetime, TTL: StatusListTokenTTL,
	})
	if err != nil {
		return cachedStatusList{}, err
	}
	return cachedStatusList{revision: l.Revision, token: tok, iat: now, exp: now.Add(StatusListTokenLifetime)}, nil
}

// statusListToken returns the signed token of list id: the cached one
// when the store's revision is the cached one's, else a new signature.
func (s *Service) statusListToken(ctx context.Context, id string, now time.Time) (cachedStatusList, error) {
	rev, err := s.StatusListRevision(ctx, id)
	if err != nil {
		return cachedStatusList{}, err
	}
	if e, ok := s.statusCache.get(id, rev, now); ok {
		s.metrics.Inc("status_list_cache", "hit")
		return e, nil
	}
	s.metrics.Inc("status_list_cache", "miss")
	l, err := s.StatusList(ctx, id)
	if err != nil {
		return cachedStatusList{}, err
	}
	e, err := s.signStatusList(l, now)
	if err != nil {
		return cachedStatusList{}, err
	}
	s.statusCache.put(id, e)
	return e, nil
}

func (s *Service) serveStatusList(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("list")
	if _, err := strconv.Atoi(id); err != nil || len(id) > 10 {
		s.fail(w, "status_list", http.StatusNotFound, "not_found", "no such status list", nil)
		return
	}
	now := s.cfg.Now()
	e, err := s.statusListToken(r.Context(), id, now)
	if errors.Is(err, ErrNotFound) {
		s.fail(w, "status_list", http.StatusNotFound, "not_found", "no such status list", nil)
		return
	}
	if err != nil {
		s.internal(w, "status_list", err)
		return
	}
	// A cache may keep the token for its ttl, never past its exp.
	maxAge := StatusListTokenTTL
	if left := e.exp.Sub(now); left < maxAge {
		maxAge = max(left, 0)
	}
	w.Header().Set("Content-Type", "application/"+statuslist.TokenType)
	w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(maxAge.Seconds())))
	w.Write([]byte(e.token))
}

// newMetrics declares the issuer's counters; routes and outcome codes are
// fixed sets, so label cardinality stays bounded.
func newMetrics() *metrics.Set {
	return metrics.New("cairn_issuer",
		metrics.Counter{Name: "outcomes", Help: "Protocol outcomes by endpoint and OAuth error code (or ok/issued/event).", Labels: []string{"endpoint", "code"}},
		metrics.Counter{Name: "offers_created", Help: "Count of offers created."},
		metrics.Counter{Name: "tx_code_failures", Help: "Count of wrong transaction codes."},
		metrics.Counter{Name: "store_errors", Help: "Count of store errors."},
		metrics.Counter{Name: "rate_limited", Help: "Requests refused with 429 by the per-address rate limit, by endpoint.", Labels: []string{"endpoint"}},
		metrics.Counter{Name: "nonces_refused", Help: "Nonce requests refused because the store holds its maximum of live nonces."},
		metrics.Counter{Name: "status_list_cache", Help: "Status List Token requests served from the signed-token cache (hit) or signed anew (miss).", Labels: []string{"result"}},
		metrics.Counter{Name: "registry_reloads", Help: "Trust registry reloads by result (loaded, unchanged, refused).", Labels: []string{"result"}},
	)
}

// presentPaths keeps the JSON Pointers (with "*" for every array element)
// that lead to a value in claims: a type marks optional claims as always
// disclosable, and an offer need not carry them.
func presentPaths(claims map[string]any, paths []string) []string {
	var out []string
	for _, p := range paths {
		if pathPresent(claims, strings.Split(strings.TrimPrefix(p, "/"), "/")) {
			out = append(out, p)
		}
	}
	return out
}

func pathPresent(v any, segs []string) bool {
	if len(segs) == 0 {
		return true
	}
	seg := strings.ReplaceAll(strings.ReplaceAll(segs[0], "~1", "/"), "~0", "~")
	switch x := v.(type) {
	case map[string]any:
		next, ok := x[seg]
		return ok && pathPresent(next, segs[1:])
	case []any:
		if seg == "*" {
			if len(x) == 0 {
				return false
			}
			for _, e := range x {
				if !pathPresent(e, segs[1:]) {
					return false
				}
			}
			return true
		}
		i, err := strconv.Atoi(seg)
		return err == nil && i >= 0 && i < len(x) && pathPresent(x[i], segs[1:])
	}
	return false
}
