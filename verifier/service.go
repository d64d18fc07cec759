package verifier

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/statuslist"
	"github.com/cairn-id/cairn/internal/store/sweep"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/schemas"
)

// Defaults of Config.
const (
	DefaultSessionTTL = 10 * time.Minute
	DefaultKBMaxAge   = 5 * time.Minute
	DefaultClockSkew  = time.Minute
	DefaultStatusTTL  = 5 * time.Minute
	// StatusFailTTL is how long a status list that could not be fetched
	// or verified is not asked again: long enough to spare the list's
	// host a burst of presentations, short enough for a desk to retry.
	StatusFailTTL = 5 * time.Second
	// ExpiredGrace is how long an expired, unanswered session is kept so
	// a late wallet hears "expired" rather than "not found".
	ExpiredGrace = time.Hour
	// MaxReasonLen bounds a review's reason.
	MaxReasonLen = 2000
	// MaxCaseworkerLen bounds a caseworker id.
	MaxCaseworkerLen = 128
)

// Error is a refusal with a stable code; Err is the internal cause (logged,
// never shown).
type Error struct {
	Code Code
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("verifier: %s: %v", e.Code, e.Err)
	}
	return "verifier: " + string(e.Code)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func refuse(c Code, err error) error { return &Error{Code: c, Err: err} }

// CodeOfError returns the code of an error from this package ("" for an
// error without one: a store failure).
func CodeOfError(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Assessor evaluates the verified facts of a presentation against an
// assurance policy (DESIGN.md §3; internal/assurance) and returns its
// explainable result as JSON. Config.Assess nil means Assess: the
// embedded policies.
type Assessor func(policy string, facts []Facts, now time.Time) (json.RawMessage, error)

// Config configures a Service. Store, Signer, DID (or X5C), BaseURL,
// Purposes, Sealer and Registry are required.
type Config struct {
	Store Store
	// Signer signs request objects; without X5C its key id must be a DID
	// URL of DID.
	Signer *jose.Signer
	// DID names the verifier in the trust registry and, without X5C, is
	// its client id (decentralized_identifier:DID).
	DID string
	// X5C makes the verifier an X.509 relying party (HAIP 1.0 §5): its
	// access certificate chain (DER, leaf first, without the anchor),
	// whose leaf certifies Signer's key, sent in every request object's
	// x5c header. The client id is x509_hash of the leaf, or
	// x509_san_dns:SanDNS when SanDNS is set (the leaf must carry it).
	X5C    [][]byte
	SanDNS string
	// Profile "haip" (ProfileHAIP) holds the verifier to HAIP 1.0: an X.509
	// client id, signed requests, direct_post.jwt only.
	Profile string
	// BaseURL is the public URL: request_uri is BaseURL/request/{id} and
	// response_uri BaseURL/response/{id}.
	BaseURL string
	// Dev allows http:// URLs (local development only).
	Dev      bool
	Purposes Purposes
	Sealer   *Sealer
	// Registry is the trust registry in use (see SetRegistry).
	Registry  *trust.Registry
	Catalogue *schemas.Catalogue
	// Resolver resolves issuer DIDs (internal/did's Resolver).
	Resolver sdjwtvc.DIDKeyResolver
	// FetchStatusList fetches a Status List Token (statuslist.Fetcher;
	// nil: status lists are not fetched). Each list is verified once per
	// issuer and kept (statuslist.Cache) as long as its token's ttl
	// claim allows, at most StatusTTL (DefaultStatusTTL), never past its
	// exp; a failure is remembered for StatusFailTTL.
	FetchStatusList func(ctx context.Context, uri string) (string, error)
	StatusTTL       time.Duration
	Assess          Assessor
	// ResponseMode is the default response mode (direct_post.jwt).
	ResponseMode string
	SessionTTL   time.Duration
	KBMaxAge     time.Duration
	ClockSkew    time.Duration
	Now          func() time.Time
	Rand         io.Reader
	// Logger gets codes and ids, never claim values.
	Logger *slog.Logger
	// Observe, when set, is told the code of every verification result.
	Observe func(Code)
}

// Service is the verifier.
type Service struct {
	cfg      Config
	clientID string
	registry atomic.Pointer[trust.Registry]
	status   *statuslist.Cache // nil: status lists are not fetched
	mu       sync.Mutex
	waiters  map[string][]chan struct{}
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Store == nil, cfg.Signer == nil, cfg.Sealer == nil:
		return nil, errors.New("verifier: Store, Signer and Sealer are required")
	case len(cfg.Purposes) == 0:
		return nil, errors.New("verifier: no purposes")
	case len(cfg.X5C) == 0 && !strings.HasPrefix(cfg.Signer.KeyID(), cfg.DID+"#"):
		return nil, fmt.Errorf("verifier: the signer's key id %q is not a DID URL of %s", cfg.Signer.KeyID(), cfg.DID)
	}
	clientID, err := clientIDOf(cfg)
	if err != nil {
		return nil, err
	}
	if _, err := CheckURL(cfg.BaseURL, cfg.Dev); err != nil {
		return nil, err
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ResponseMode == "" {
		cfg.ResponseMode = oid4vp.ResponseModeDirectPostJWT
	}
	if cfg.ResponseMode != oid4vp.ResponseModeDirectPost && cfg.ResponseMode != oid4vp.ResponseModeDirectPostJWT {
		return nil, fmt.Errorf("verifier: response mode %q: want direct_post or direct_post.jwt", cfg.ResponseMode)
	}
	if err := checkProfile(cfg, clientID); err != nil {
		return nil, err
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.KBMaxAge <= 0 {
		cfg.KBMaxAge = DefaultKBMaxAge
	}
	if cfg.ClockSkew <= 0 {
		cfg.ClockSkew = DefaultClockSkew
	}
	if cfg.StatusTTL <= 0 {
		cfg.StatusTTL = DefaultStatusTTL
	}
	if cfg.Catalogue == nil {
		c, err := defaultCatalogue()
		if err != nil {
			return nil, err
		}
		cfg.Catalogue = c
	}
	s := &Service{cfg: cfg, clientID: clientID, waiters: map[string][]chan struct{}{}}
	if cfg.FetchStatusList != nil {
		s.status = &statuslist.Cache{Fetch: cfg.FetchStatusList, Now: cfg.Now, DefaultTTL: cfg.StatusTTL, MaxTTL: cfg.StatusTTL, FailTTL: StatusFailTTL}
	}
	s.registry.Store(cfg.Registry)
	return s, nil
}

// Close closes the store.
func (s *Service) Close() error { return s.cfg.Store.Close() }

// Ready reports whether the store answers.
func (s *Service) Ready(ctx context.Context) error {
	return s.cfg.Store.View(ctx, func(tx Tx) error {
		_, err := tx.Session("readiness")
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	})
}

// ClientID is the full client_id: decentralized_identifier:<DID>, or
// x509_hash:… / x509_san_dns:… for an X.509 relying party.
func (s *Service) ClientID() string { return s.clientID }

// Profile is the profile the service holds to ("" or ProfileHAIP).
func (s *Service) Profile() string { return s.cfg.Profile }

// DID is the verifier's DID.
func (s *Service) DID() string { return s.cfg.DID }

// Purposes are the service's purposes.
func (s *Service) Purposes() Purposes { return s.cfg.Purposes }

// SetRegistry replaces the registry in use (a reload).
func (s *Service) SetRegistry(r *trust.Registry) { s.registry.Store(r) }

// Registry is the registry in use.
func (s *Service) Registry() *trust.Registry { return s.registry.Load() }

// CheckURL checks a verifier's public base URL: https (http too in dev),
// no query or fragment.
func CheckURL(u string, dev bool) (string, error) {
	switch {
	case strings.HasPrefix(u, "https://"):
	case dev && strings.HasPrefix(u, "http://"):
	default:
		return "", fmt.Errorf("verifier: the public URL %q must be https (http only in dev mode)", u)
	}
	if strings.ContainsAny(u, "?#") || len(u) > 512 {
		return "", fmt.Errorf("verifier: the public URL %q must have no query or fragment", u)
	}
	return strings.TrimRight(u, "/"), nil
}

// PurposeCheck is the registry's answer for one of the verifier's purposes.
type PurposeCheck struct {
	Purpose string
	// Authorized: the registry lets this verifier ask for the purpose's
	// claims now. Wallets warn their holder about (or refuse) requests
	// that are not.
	Authorized bool
	Reason     string
	// Outside lists the purpose's claims (normalized JSON pointers) the
	// registry does not let this verifier ask for.
	Outside []string
}

// OverAsking tells the caseworker that the desk's own request asks for
// more than the trust registry authorizes this verifier to ask for the
// purpose (DESIGN.md §4): the wallet shows its holder the same warning.
type OverAsking struct {
	// Code is CodeOutsidePurpose (Claims are beyond the purpose) or
	// CodePurposeNotAuthorized (no authorization for it in force: Reason
	// is the registry's reason).
	Code   Code   `json:"code"`
	Reason string `json:"reason"`
	// Claims are the requested claims beyond the purpose (JSON pointers).
	Claims  []string `json:"claims,omitempty"`
	Message string   `json:"message"`
}

// CheckPurpose asks the registry whether this verifier may ask for
// purpose's claims at at, with the rule the wallet applies to the same
// request (trust.FitPurpose, restricted to this purpose).
func (s *Service) CheckPurpose(purpose string, at time.Time) PurposeCheck {
	pc := PurposeCheck{Purpose: purpose}
	p := s.cfg.Purposes[purpose]
	reg := s.Registry()
	switch {
	case p == nil:
		pc.Reason = string(CodeUnknownPurpose)
	case reg == nil:
		pc.Reason = "no registry loaded"
	default:
		fit, err := reg.FitPurpose(s.cfg.DID, p.Claims(), at, purpose)
		if err != nil {
			pc.Reason = err.Error()
			break
		}
		pc.Authorized, pc.Reason = !fit.OverAsking(), fit.Reason
		if fit.Reason == trust.ReasonClaimsOutsidePurpose {
			pc.Outside = fit.Outside
		}
	}
	return pc
}

// overAsking is pc as the caseworker is told (nil when authorized).
func (pc PurposeCheck) overAsking(lang string) *OverAsking {
	if pc.Authorized {
		return nil
	}
	o := &OverAsking{Code: CodePurposeNotAuthorized, Reason: pc.Reason, Claims: pc.Outside}
	if pc.Reason == trust.ReasonClaimsOutsidePurpose {
		o.Code = CodeOutsidePurpose
	}
	o.Message = Message(o.Code, lang)
	return o
}

// CheckPurposes asks the registry, for each purpose, whether this verifier
// may request its claims now (DESIGN.md §4).
func (s *Service) CheckPurposes() []PurposeCheck {
	var out []PurposeCheck
	for _, id := range s.cfg.Purposes.IDs() {
		out = append(out, s.CheckPurpose(id, s.cfg.Now()))
	}
	return out
}

// Request is a created session as the console sees it.
type Request struct {
	SessionID    string    `json:"session_id"`
	Purpose      string    `json:"purpose"`
	URI          string    `json:"uri"` // openid4vp://…
	RequestURI   string    `json:"request_uri"`
	ResponseMode string    `json:"response_mode"`
	ExpiresAt    time.Time `json:"expires_at"`
	// OverAsking is set when the registry does not authorize what the
	// purpose's query asks for (the request is made all the same: the
	// wallet warns its holder, who decides).
	OverAsking *OverAsking `json:"over_asking,omitempty"`
}

// CreateOptions tune one session.
type CreateOptions struct {
	// ResponseMode overrides the service's default.
	ResponseMode string
	// PostRequestURI asks the wallet to POST to the request_uri with a
	// wallet_nonce (request_uri_method=post, §5.10).
	PostRequestURI bool
	// SameDevice: the wallet runs on the device that started the request;
	// its answer is followed by a redirect with a one-time response_code
	// that alone releases the result (ResultByCode).
	SameDevice bool
}

func (s *Service) random(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.cfg.Rand, b); err != nil {
		return "", err
	}
	return jose.B64.EncodeToString(b), nil
}

// CreateSession starts a presentation request for a purpose: a fresh
// session id, nonce and state, an ephemeral P-256 key for direct_post.jwt
// (kept sealed), and the openid4vp:// URI pointing at its request_uri.
func (s *Service) CreateSession(ctx context.Context, purpose string, o CreateOptions) (*Request, error) {
	p := s.cfg.Purposes[purpose]
	if p == nil {
		return nil, refuse(CodeUnknownPurpose, fmt.Errorf("purpose %q", purpose))
	}
	mode := o.ResponseMode
	if mode == "" {
		mode = s.cfg.ResponseMode
	}
	if mode != oid4vp.ResponseModeDirectPost && mode != oid4vp.ResponseModeDirectPostJWT {
		return nil, refuse(CodeInvalidResponse, fmt.Errorf("response mode %q", mode))
	}
	if s.cfg.Profile == ProfileHAIP && mode != oid4vp.ResponseModeDirectPostJWT {
		return nil, refuse(CodeProfileRefused, fmt.Errorf("response mode %q under the HAIP profile (direct_post.jwt only)", mode))
	}
	// The id is a command-line argument ('cairn verifier result ID'),
	// where a leading "-" reads as a flag: drawn again.
	id, err := s.random(16)
	for err == nil && strings.HasPrefix(id, "-") {
		id, err = s.random(16)
	}
	if err != nil {
		return nil, err
	}
	nonce, err := s.random(32)
	if err != nil {
		return nil, err
	}
	state, err := s.random(16)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC()
	sess := &Session{ID: id, Purpose: p.ID, Nonce: nonce, State: state, ResponseMode: mode, Status: SessionCreated,
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL), ResultExpiresAt: now.Add(time.Duration(p.Retention)), SameDevice: o.SameDevice}
	if mode == oid4vp.ResponseModeDirectPostJWT {
		k, err := ecdh.P256().GenerateKey(s.cfg.Rand)
		if err != nil {
			return nil, err
		}
		if sess.SealedKey, err = s.cfg.Sealer.Seal(k.Bytes(), "session-key:"+id); err != nil {
			return nil, err
		}
		j, err := jose.NewECDHJWK(k.PublicKey())
		if err != nil {
			return nil, err
		}
		sess.EncKid = j.Thumbprint()
	}
	method := oid4vp.RequestURIMethodGet
	if o.PostRequestURI {
		method = oid4vp.RequestURIMethodPost
	}
	reqURI := s.cfg.BaseURL + "/request/" + id
	uri, err := oid4vp.BuildRequestURI(s.clientID, reqURI, method)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Store.Update(ctx, func(tx Tx) error { return tx.PutSession(sess) }); err != nil {
		return nil, err
	}
	s.cfg.Logger.Info("session created", "session", id, "purpose", p.ID, "response_mode", mode)
	out := &Request{SessionID: id, Purpose: p.ID, URI: uri, RequestURI: reqURI, ResponseMode: mode, ExpiresAt: sess.ExpiresAt}
	if pc := s.CheckPurpose(p.ID, now); !pc.Authorized {
		out.OverAsking = pc.overAsking("en")
		s.cfg.Logger.Warn("the request asks for more than the registry authorizes", "session", id, "purpose", p.ID, "reason", pc.Reason, "claims", pc.Outside)
	}
	return out, nil
}

func (s *Service) sessionKey(sess *Session) (*ecdh.PrivateKey, error) {
	if len(sess.SealedKey) == 0 {
		return nil, nil
	}
	b, err := s.cfg.Sealer.Open(sess.SealedKey, "session-key:"+sess.ID)
	if err != nil {
		return nil, err
	}
	return ecdh.P256().NewPrivateKey(b)
}

// live checks that a session may still be used at now.
func live(sess *Session, now time.Time) error {
	if !now.Before(sess.ExpiresAt) {
		return refuse(CodeSessionExpired, nil)
	}
	return nil
}

func (s *Service) getSession(tx Tx, id string) (*Session, error) {
	sess, err := tx.Session(id)
	if errors.Is(err, ErrNotFound) {
		return nil, refuse(CodeSessionNotFound, err)
	}
	return sess, err
}

// RequestObject serves a session's signed request object, exactly once:
// the session is marked fetched in the same transaction that finds it
// unfetched, so of concurrent fetches one wins and the others get
// CodeRequestUsed. walletNonce, from a POST to the request_uri (§5.10), is
// echoed in the object.
func (s *Service) RequestObject(ctx context.Context, id, walletNonce string) (string, error) {
	now := s.cfg.Now()
	var sess *Session
	err := s.cfg.Store.Update(ctx, func(tx Tx) error {
		var err error
		if sess, err = s.getSession(tx, id); err != nil {
			return err
		}
		if err := live(sess, now); err != nil {
			return err
		}
		if sess.Status != SessionCreated {
			return refuse(CodeRequestUsed, nil)
		}
		sess.Status = SessionFetched
		return tx.PutSession(sess)
	})
	if err != nil {
		return "", err
	}
	p := s.cfg.Purposes[sess.Purpose]
	if p == nil {
		return "", refuse(CodeUnknownPurpose, fmt.Errorf("session %s names purpose %q, no longer configured", id, sess.Purpose))
	}
	if s.cfg.Profile == ProfileHAIP && sess.ResponseMode != oid4vp.ResponseModeDirectPostJWT {
		return "", refuse(CodeProfileRefused, fmt.Errorf("session %s asks for %s", id, sess.ResponseMode))
	}
	query, err := s.requestQuery(p, now)
	if err != nil {
		return "", err
	}
	req := &oid4vp.AuthorizationRequest{
		ClientID: s.clientID, ResponseType: oid4vp.ResponseTypeVPToken, ResponseMode: sess.ResponseMode,
		ResponseURI: s.cfg.BaseURL + "/response/" + id, Nonce: sess.Nonce, State: sess.State,
		DCQLQuery: query, WalletNonce: walletNonce,
		ClientMetadata: &oid4vp.ClientMetadata{VPFormatsSupported: vpFormats(query)},
	}
	if k, err := s.sessionKey(sess); err != nil {
		return "", err
	} else if k != nil {
		j, err := jose.NewECDHJWK(k.PublicKey())
		if err != nil {
			return "", err
		}
		kid := sess.EncKid
		if kid == "" { // a session stored before EncKid existed
			kid = "session-" + id[:8]
		}
		j.Kid, j.Use, j.Alg = kid, "enc", jose.ECDHES
		req.ClientMetadata.JWKS = &oid4vp.JWKS{Keys: []jose.JWK{*j}}
		req.ClientMetadata.EncryptedResponseEncValuesSupported = []string{jose.A128GCM, jose.A256GCM}
	}
	ttl := sess.ExpiresAt.Sub(now)
	if ttl < time.Minute {
		ttl = time.Minute
	}
	return oid4vp.SignRequestObject(s.cfg.Signer, req, oid4vp.SignOptions{Options: oid4vp.Options{Dev: s.cfg.Dev}, Now: s.cfg.Now, TTL: ttl, X5C: s.cfg.X5C})
}

// Respond takes an authorization response POSTed to a session's
// response_uri (direct_post or direct_post.jwt, as the session asked):
// it is parsed (and decrypted) and its state checked, then verified; then,
// in one transaction, the session is found unanswered and unexpired,
// marked answered and its sealed result stored. Of concurrent or repeated
// posts exactly one is accepted, the others get CodeResponseReplay; a
// garbled post changes nothing. One durable write per presentation, shared
// with concurrent ones (Store.Batch).
func (s *Service) Respond(ctx context.Context, id string, body []byte) (*Result, error) {
	now := s.cfg.Now()
	var sess *Session
	err := s.cfg.Store.View(ctx, func(tx Tx) error {
		var err error
		sess, err = s.getSession(tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if sess.Status == SessionAnswered {
		return nil, refuse(CodeResponseReplay, nil)
	}
	if err := live(sess, now); err != nil {
		return nil, err
	}
	key, err := s.sessionKey(sess)
	if err != nil {
		return nil, err
	}
	if err := s.checkResponseKid(ctx, sess, body); err != nil {
		return nil, err
	}
	resp, err := oid4vp.ParseResponse(body, oid4vp.ResponseOptions{Mode: sess.ResponseMode, Key: key})
	if err != nil {
		return nil, refuse(CodeInvalidResponse, err)
	}
	if resp.State != sess.State {
		return nil, refuse(CodeStateMismatch, nil)
	}
	var res *Result
	if resp.Error != "" {
		res = &Result{SessionID: id, Purpose: sess.Purpose, Code: CodeWalletDeclined, VerifiedAt: now.UTC(),
			WalletError: &WalletError{Error: resp.Error, Description: resp.ErrorDescription, Encrypted: resp.Encrypted}}
		if !resp.IsAccessDenied() {
			res.Code = CodeWalletError
		}
		res.Outcome = OutcomeOf(res.Code)
	} else {
		res = s.verify(ctx, sess, resp.VPToken)
	}
	// The desk's own over-asking, as the registry saw the request when it
	// was made (the wallet judged it then): told with every result, a
	// refusal included (it may be why).
	if pc := s.CheckPurpose(sess.Purpose, sess.CreatedAt); !pc.Authorized {
		res.OverAsking = pc.overAsking("en")
	}
	b, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	sealed, err := s.cfg.Sealer.Seal(b, "result:"+sess.ID)
	if err != nil {
		return nil, err
	}
	sr := &StoredResult{SessionID: sess.ID, Purpose: sess.Purpose, Code: res.Code, CreatedAt: res.VerifiedAt, ExpiresAt: sess.ResultExpiresAt, Sealed: sealed}
	var code string
	var codeHash []byte
	if sess.SameDevice {
		if code, err = s.random(32); err != nil {
			return nil, err
		}
		codeHash = hashCode(code)
	}
	err = s.cfg.Store.Batch(ctx, func(tx Tx) error {
		cur, err := s.getSession(tx, id)
		if err != nil {
			return err
		}
		if cur.Status == SessionAnswered {
			return refuse(CodeResponseReplay, nil)
		}
		if err := live(cur, now); err != nil {
			return err
		}
		cur.Status = SessionAnswered
		// Spent: the nonce and state, which the presentation's key
		// binding carries, are not kept beside its result.
		cur.Nonce, cur.State = "", ""
		cur.ResponseCodeHash = codeHash
		if err := tx.PutSession(cur); err != nil {
			return err
		}
		err = tx.PutResult(sr)
		if errors.Is(err, ErrExists) {
			return refuse(CodeResponseReplay, err)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if s.cfg.Observe != nil {
		s.cfg.Observe(res.Code)
	}
	s.cfg.Logger.Info("presentation verified", "session", sess.ID, "purpose", sess.Purpose, "code", string(res.Code), "credentials", len(res.Credentials), "dropped_claims", res.DroppedClaims)
	s.notify(sess.ID)
	if sess.SameDevice {
		res.RedirectURI = s.cfg.BaseURL + "/done/" + sess.ID + "#response_code=" + code
	}
	return res, nil
}

func (s *Service) notify(id string) {
	s.mu.Lock()
	ws := s.waiters[id]
	delete(s.waiters, id)
	s.mu.Unlock()
	for _, w := range ws {
		close(w)
	}
}

// Result returns a session's result with its review, if any:
// CodeResultPending while the session waits for its answer,
// CodeSessionExpired once it expired unanswered, CodeSessionNotFound when
// there is no such session (or its result's retention has passed).
func (s *Service) Result(ctx context.Context, id string) (*Result, error) {
	now := s.cfg.Now()
	var sr *StoredResult
	var rv *Review
	var sess *Session
	err := s.cfg.Store.View(ctx, func(tx Tx) error {
		var err error
		sr, err = tx.Result(id)
		if errors.Is(err, ErrNotFound) {
			sess, err = s.getSession(tx, id)
			return err
		}
		if err != nil {
			return err
		}
		rv, err = tx.Review(id)
		if errors.Is(err, ErrNotFound) {
			err = nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if sr == nil {
		if err := live(sess, now); err != nil {
			return nil, err
		}
		return nil, refuse(CodeResultPending, nil)
	}
	if !now.Before(sr.ExpiresAt) {
		return nil, refuse(CodeSessionNotFound, errors.New("retention passed"))
	}
	b, err := s.cfg.Sealer.Open(sr.Sealed, "result:"+id)
	if err != nil {
		return nil, err
	}
	var res Result
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, err
	}
	if rv != nil {
		reason, err := s.cfg.Sealer.Open(rv.SealedReason, "review:"+id)
		if err != nil {
			return nil, err
		}
		res.Review = &ReviewedDecision{Decision: rv.Decision, Reason: string(reason), Caseworker: rv.Caseworker, At: rv.At}
	}
	return &res, nil
}

// WaitResult is Result that waits, up to timeout, while the result is
// pending: woken at once by a result this instance stores, and checking
// the store every poll for one another instance stored.
func (s *Service) WaitResult(ctx context.Context, id string, timeout, poll time.Duration) (*Result, error) {
	if poll <= 0 {
		poll = time.Second
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		ch := make(chan struct{})
		s.mu.Lock()
		s.waiters[id] = append(s.waiters[id], ch)
		s.mu.Unlock()
		res, err := s.Result(ctx, id)
		if CodeOfError(err) != CodeResultPending {
			s.dropWaiter(id, ch)
			return res, err
		}
		t := time.NewTimer(poll)
		select {
		case <-ch:
		case <-t.C:
		case <-deadline.C:
			t.Stop()
			s.dropWaiter(id, ch)
			return nil, err
		case <-ctx.Done():
			t.Stop()
			s.dropWaiter(id, ch)
			return nil, ctx.Err()
		}
		t.Stop()
		s.dropWaiter(id, ch)
	}
}

func (s *Service) dropWaiter(id string, ch chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.waiters[id]
	for i, w := range ws {
		if w == ch {
			ws = append(ws[:i], ws[i+1:]...)
			break
		}
	}
	if len(ws) == 0 {
		delete(s.waiters, id)
	} else {
		s.waiters[id] = ws
	}
}

// ReviewedDecision is a caseworker's decision as shown beside the
// automated result.
type ReviewedDecision struct {
	Decision   string    `json:"decision"`
	Reason     string    `json:"reason"`
	Caseworker string    `json:"caseworker"`
	At         time.Time `json:"at"`
}

// ErrReview marks a review this package refuses (decision, reason or
// caseworker missing or too long).
var ErrReview = errors.New("verifier: invalid review")

// RecordReview stores a caseworker's reviewed decision on a session's
// result, beside it: the automated result is never changed. A later
// review replaces an earlier one. The reason is stored sealed.
func (s *Service) RecordReview(ctx context.Context, id string, d ReviewedDecision) (*ReviewedDecision, error) {
	switch {
	case d.Decision != DecisionAccept && d.Decision != DecisionReject:
		return nil, fmt.Errorf("%w: decision must be %q or %q", ErrReview, DecisionAccept, DecisionReject)
	case strings.TrimSpace(d.Reason) == "" || len(d.Reason) > MaxReasonLen:
		return nil, fmt.Errorf("%w: a reason of 1 to %d bytes is required", ErrReview, MaxReasonLen)
	case strings.TrimSpace(d.Caseworker) == "" || len(d.Caseworker) > MaxCaseworkerLen:
		return nil, fmt.Errorf("%w: a caseworker id of 1 to %d bytes is required", ErrReview, MaxCaseworkerLen)
	}
	now := s.cfg.Now().UTC()
	sealed, err := s.cfg.Sealer.Seal([]byte(d.Reason), "review:"+id)
	if err != nil {
		return nil, err
	}
	err = s.cfg.Store.Update(ctx, func(tx Tx) error {
		sr, err := tx.Result(id)
		if errors.Is(err, ErrNotFound) {
			if _, err := s.getSession(tx, id); err != nil {
				return err
			}
			return refuse(CodeResultPending, nil)
		}
		if err != nil {
			return err
		}
		if !now.Before(sr.ExpiresAt) {
			return refuse(CodeSessionNotFound, errors.New("retention passed"))
		}
		return tx.PutReview(&Review{SessionID: id, Decision: d.Decision, SealedReason: sealed, Caseworker: d.Caseworker, At: now})
	})
	if err != nil {
		return nil, err
	}
	s.cfg.Logger.Info("review recorded", "session", id, "decision", d.Decision)
	d.At = now
	return &d, nil
}

// SweepCounts says what Sweep deleted.
type SweepCounts struct{ Sessions, Results, SeenProofs int }

// sweepable reports whether Sweep deletes a session at now.
func sweepable(se *Session, now time.Time) bool {
	return now.After(se.ExpiresAt.Add(ExpiredGrace)) && (se.Status != SessionAnswered || !now.Before(se.ResultExpiresAt))
}

// Sweep deletes sessions expired (and unanswered) for longer than
// ExpiredGrace, answered sessions whose result is gone, and results (with
// their reviews) past their purpose's retention, and the keyed hashes of
// seen jpt proofs past their replay window. Several instances may
// sweep one store at once: the candidates are found on one read-only
// snapshot (View), which takes no write locks, then deleted by key, at
// most sweep.Batch per Update, each one's condition read again in that
// transaction; so a session answered since the scan is kept, and every
// deletion is counted once across sweepers.
func (s *Service) Sweep(ctx context.Context) (SweepCounts, error) {
	now := s.cfg.Now()
	var sessions, results, seen []string
	err := s.cfg.Store.View(ctx, func(tx Tx) error {
		sessions, results, seen = nil, nil, nil
		if err := tx.ForEachSeenProof(func(p *SeenProof) error {
			if !now.Before(p.ExpiresAt) {
				seen = append(seen, p.Digest)
			}
			return nil
		}); err != nil {
			return err
		}
		if err := tx.ForEachResult(func(r *StoredResult) error {
			if !now.Before(r.ExpiresAt) {
				results = append(results, r.SessionID)
			}
			return nil
		}); err != nil {
			return err
		}
		return tx.ForEachSession(func(se *Session) error {
			if sweepable(se, now) {
				sessions = append(sessions, se.ID)
			}
			return nil
		})
	})
	if err != nil {
		return SweepCounts{}, err
	}
	var c SweepCounts
	for _, step := range []struct {
		keys []string
		n    *int
		del  func(tx Tx, id string) (bool, error)
	}{
		{results, &c.Results, func(tx Tx, id string) (bool, error) {
			r, err := tx.Result(id)
			if errors.Is(err, ErrNotFound) || (err == nil && now.Before(r.ExpiresAt)) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			if err := tx.DeleteReview(id); err != nil && !errors.Is(err, ErrNotFound) {
				return false, err
			}
			return true, tx.DeleteResult(id)
		}},
		{sessions, &c.Sessions, func(tx Tx, id string) (bool, error) {
			se, err := tx.Session(id)
			if errors.Is(err, ErrNotFound) || (err == nil && !sweepable(se, now)) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			return true, tx.DeleteSession(id)
		}},
		{seen, &c.SeenProofs, func(tx Tx, d string) (bool, error) {
			p, err := tx.SeenProof(d)
			if errors.Is(err, ErrNotFound) || (err == nil && now.Before(p.ExpiresAt)) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			return true, tx.DeleteSeenProof(d)
		}},
	} {
		n, err := sweep.Delete(ctx, step.keys, s.cfg.Store.Update, step.del)
		*step.n += n
		if err != nil {
			return c, err
		}
	}
	return c, nil
}

// SessionState returns a session's state value (for tests and tools that
// play the wallet; a wallet reads it from the request object).
func (s *Service) SessionState(ctx context.Context, id string) (string, error) {
	var st string
	err := s.cfg.Store.View(ctx, func(tx Tx) error {
		sess, err := s.getSession(tx, id)
		if err == nil {
			st = sess.State
		}
		return err
	})
	return st, err
}

// Observe sets the function told the code of every stored result (the
// API's metrics).
func (s *Service) Observe(fn func(Code)) { s.cfg.Observe = fn }

// CheckProximity is the package's CheckProximity with this service's
// client id, catalogue and clock. A bundle past its registry's expiry is
// refused with CodeBundleStale unless acceptStale, and then reported stale.
func (s *Service) CheckProximity(ctx context.Context, text string, b *trust.Bundle, challenge string, acceptStale bool) (*Result, error) {
	o := ProximityOptions{Bundle: b, Challenge: challenge, Catalogue: s.cfg.Catalogue, Now: s.cfg.Now, KBMaxAge: s.cfg.KBMaxAge}
	if b != nil && b.Registry != nil && !s.cfg.Now().Before(b.Registry.Expires) {
		if !acceptStale {
			return nil, refuse(CodeBundleStale, fmt.Errorf("bundle expired %s", b.Registry.Expires.UTC().Format(time.RFC3339)))
		}
		o.Stale = true
	}
	res := CheckProximity(ctx, text, o)
	if s.cfg.Observe != nil {
		s.cfg.Observe(res.Code)
	}
	return res, nil
}
