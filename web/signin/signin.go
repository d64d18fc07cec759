// Package signin owns the operator sign-in of the pages that act for an
// office (DESIGN.md §7, issue 12): the issuer desk (role "desk", for one
// issuer) and the caseworker console (role "caseworker", for one
// verifier desk). It keeps the operator accounts (File: names, roles,
// scopes and hashes, never a secret: Argon2id, RFC 9106, of a chosen
// password; HMAC-SHA-256 under a salt of a generated sign-in code, whose
// 100 random bits need no slow hash; see codeScheme), serves the
// sign-in page and the sign-out, and guards pages (Gate.Require) so only
// a signed-in operator of the right role reaches them; the pages then narrow what an operator
// may do to their scope (Operator.Scope).
//
// Sign-in attempts are limited per client address (internal/server's
// Limiter) and per account name (failures in a row lock the name for a
// growing delay, whether or not it exists); a success renews the session
// id (web/session.Manager.Renew, against session fixation) and ties the
// new id to the operator in this process's memory, so a restart signs
// everyone out and sign-out ends the session at once. Every sign-in,
// refusal and sign-out is one audit line in the log (name, role, scope,
// address; never a secret). The page is embedded, has no script, and
// sends its form with the session's CSRF token.
package signin

import (
	"context"
	"embed"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/web"
	"github.com/cairn-id/cairn/web/session"
)

//go:embed templates
var files embed.FS

// Path is where the sign-in is normally mounted; sign-out posts to
// Path+"out".
const Path = "/signin/"

// Defaults.
const (
	// DefaultLifetime is how long a sign-in lasts (also bounded by the
	// session's own lifetime).
	DefaultLifetime = 8 * time.Hour
	// FreeFailures wrong secrets in a row are allowed for a name; then
	// each further one locks it for LockBase, doubling up to LockMax.
	FreeFailures = 5
	LockBase     = 30 * time.Second
	LockMax      = time.Hour
	// maxSignedIn and maxTracked bound the memory of sign-ins and of
	// failure counters.
	maxSignedIn = 4096
	maxTracked  = 10000
	// maxHashing bounds the Argon2id computations running at once.
	maxHashing = 2
)

// DefaultAddressRate is the per-address limit of sign-in attempts.
var DefaultAddressRate = server.RateLimit{PerMinute: 10, Burst: 10}

// Operator is a signed-in operator.
type Operator struct {
	Name    string
	Role    Role
	Scope   string
	Expires time.Time
}

type ctxKey struct{}

// FromContext is the operator a guarded request was signed in as (nil
// outside Gate.Require).
func FromContext(ctx context.Context) *Operator {
	op, _ := ctx.Value(ctxKey{}).(*Operator)
	return op
}

// Config configures a Handler.
type Config struct {
	// Prefix is where the handler is mounted (Path when empty).
	Prefix string
	// Accounts is the accounts file.
	Accounts File
	// Sessions is the site's session manager (web.Site.Sessions).
	Sessions *session.Manager
	// Lifetime of a sign-in (DefaultLifetime when zero).
	Lifetime time.Duration
	// AddressRate limits attempts per client address
	// (DefaultAddressRate when zero); TrustedProxies as for
	// internal/server.
	AddressRate    server.RateLimit
	TrustedProxies []netip.Prefix
	Now            func() time.Time
	Logger         *slog.Logger
}

// Handler serves the sign-in page and sign-out, and keeps the sign-ins.
type Handler struct {
	prefix   string
	accounts File
	sessions *session.Manager
	lifetime time.Duration
	limiter  *server.Limiter
	proxies  []netip.Prefix
	now      func() time.Time
	log      *slog.Logger
	pages    web.Pages
	hashing  chan struct{}
	dummy    func() string // a hash checked for unknown names, so they take as long

	mu       sync.Mutex
	signedIn map[string]*Operator // by session id
	failures map[string]*failure  // by account name
}

type failure struct {
	count int
	until time.Time
	last  time.Time
}

// New returns a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Sessions == nil || cfg.Accounts.Path == "" {
		return nil, errors.New("signin: a session manager and an accounts file are needed")
	}
	h := &Handler{prefix: cfg.Prefix, accounts: cfg.Accounts, sessions: cfg.Sessions, lifetime: cfg.Lifetime,
		proxies: cfg.TrustedProxies, now: cfg.Now, log: cfg.Logger, hashing: make(chan struct{}, maxHashing),
		signedIn: map[string]*Operator{}, failures: map[string]*failure{}}
	if h.prefix == "" {
		h.prefix = Path
	}
	if h.lifetime <= 0 {
		h.lifetime = DefaultLifetime
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	rate := cfg.AddressRate
	if rate.PerMinute == 0 && !rate.Off {
		rate = DefaultAddressRate
	}
	h.limiter = server.NewLimiter(rate, maxTracked, server.WithTrustedProxies(cfg.TrustedProxies), server.WithLimiterClock(h.now))
	h.dummy = sync.OnceValue(func() string {
		d, _ := Hash("not a secret: equalizes the time of unknown names", DefaultKDF, nil)
		return d
	})
	var err error
	if h.pages, err = web.Templates(files, "templates/*.html"); err != nil {
		return nil, err
	}
	return h, nil
}

// SignOutPath is where the sign-out form posts.
func (h *Handler) SignOutPath() string { return h.prefix + "out" }

// Operator is the operator r's session is signed in as (nil: none).
func (h *Handler) Operator(r *http.Request) *Operator {
	s := h.sessions.Current(r)
	if s == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	op := h.signedIn[s.ID]
	if op == nil {
		return nil
	}
	if !h.now().Before(op.Expires) {
		delete(h.signedIn, s.ID)
		return nil
	}
	return op
}

// formData is the sign-in page's data.
type formData struct {
	Action, Next, Name, Error string
	Role                      Role
	Wait                      int // seconds, when limited
}

// ServeHTTP serves GET and POST on the prefix (the page, a sign-in) and
// POST on prefix+"out" (sign-out).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if op := h.Operator(r); op != nil { // shows who is signed in, and the sign-out
		r = r.WithContext(web.WithOperator(r.Context(), op.Name, h.SignOutPath()))
	}
	switch r.URL.Path {
	case h.prefix:
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			h.render(w, r, http.StatusOK, formData{Next: safeNext(r.URL.Query().Get("next")), Role: Role(r.URL.Query().Get("role"))})
		case http.MethodPost:
			h.signIn(w, r)
		default:
			w.Header().Set("Allow", "GET, HEAD, POST")
			web.ErrorPage(w, r, http.StatusMethodNotAllowed, "Not possible here", "This address does not take this kind of request.")
		}
	case h.SignOutPath():
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			web.ErrorPage(w, r, http.StatusMethodNotAllowed, "Not possible here", "This address does not take this kind of request.")
			return
		}
		h.signOut(w, r)
	default:
		web.NotFound(w, r)
	}
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, d formData) {
	d.Action = h.prefix
	if d.Wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(d.Wait))
	}
	web.Render(w, r, h.pages, "signin", web.Page{Title: "Sign in", Status: status, Data: d})
}

// safeNext keeps a return address only when it is a path of this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return u.RequestURI()
}

func (h *Handler) clientAddr(r *http.Request) string {
	if a, ok := server.ClientAddr(r, h.proxies); ok {
		return a.String()
	}
	return ""
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	// The session middleware has parsed the form (its CSRF token).
	r.Body = http.MaxBytesReader(w, r.Body, session.MaxFormBytes)
	name := strings.ToLower(strings.TrimSpace(r.PostFormValue("name")))
	secret := strings.TrimSpace(r.PostFormValue("secret"))
	d := formData{Next: safeNext(r.PostFormValue("next")), Name: name}
	addr := h.clientAddr(r)
	if ok, wait := h.limiter.Allow(r); !ok {
		h.log.Warn("operator sign-in refused", "reason", "address rate", "addr", addr)
		d.Error, d.Wait = web.T(web.Lang(r), "Too many attempts. Wait a little and try again."), server.RetryAfterSeconds(wait)
		h.render(w, r, http.StatusTooManyRequests, d)
		return
	}
	if CheckName(name) != nil || len(secret) > MaxSecretLen {
		d.Error = web.T(web.Lang(r), "Wrong name or password.")
		h.log.Warn("operator sign-in refused", "reason", "malformed", "addr", addr)
		h.render(w, r, http.StatusUnauthorized, d)
		return
	}
	now := h.now()
	if wait := h.locked(name, now); wait > 0 {
		h.log.Warn("operator sign-in refused", "reason", "account locked", "name", name, "addr", addr)
		d.Error, d.Wait = web.T(web.Lang(r), "Too many attempts. Wait a little and try again."), server.RetryAfterSeconds(wait)
		h.render(w, r, http.StatusTooManyRequests, d)
		return
	}
	acct, err := h.accounts.Find(name)
	if err != nil {
		h.log.Error("operator accounts unreadable", "err", err.Error())
		web.ErrorPage(w, r, http.StatusInternalServerError, "Something went wrong", "Try again in a moment.")
		return
	}
	var hash string
	if acct != nil {
		hash = acct.Hash
	} else {
		hash = h.dummy()
	}
	h.hashing <- struct{}{}
	ok, err := Verify(hash, secret)
	if !Slow(hash) {
		// A generated code's hash is fast to check (accounts.go): pay
		// for one Argon2id anyway, so an attempt on a code account takes
		// as long as one on a password account or an unknown name.
		_, _ = Verify(h.dummy(), secret)
	}
	<-h.hashing
	if err != nil || acct == nil || !ok {
		n := h.failed(name, now)
		h.log.Warn("operator sign-in refused", "reason", "wrong secret", "name", name, "known", acct != nil, "failures", n, "addr", addr)
		d.Error = web.T(web.Lang(r), "Wrong name or password.")
		h.render(w, r, http.StatusUnauthorized, d)
		return
	}
	s, old, err := h.sessions.Renew(w, r)
	if err != nil {
		server.WriteError(w, r, err)
		return
	}
	exp := now.Add(h.lifetime)
	if s.Expires.Before(exp) {
		exp = s.Expires
	}
	op := &Operator{Name: acct.Name, Role: acct.Role, Scope: acct.Scope, Expires: exp}
	h.mu.Lock()
	delete(h.failures, name)
	delete(h.signedIn, old)
	if len(h.signedIn) >= maxSignedIn {
		for id, o := range h.signedIn {
			if !now.Before(o.Expires) {
				delete(h.signedIn, id)
			}
		}
	}
	full := len(h.signedIn) >= maxSignedIn
	if !full {
		h.signedIn[s.ID] = op
	}
	h.mu.Unlock()
	if full {
		h.log.Error("operator sign-in refused", "reason", "too many signed in", "name", name)
		web.ErrorPage(w, r, http.StatusServiceUnavailable, "Something went wrong", "Try again in a moment.")
		return
	}
	h.log.Info("operator signed in", "name", op.Name, "role", string(op.Role), "scope", op.Scope, "addr", addr)
	next := d.Next
	if next == "" {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) {
	op := h.Operator(r)
	_, old, err := h.sessions.Renew(w, r)
	if err != nil {
		server.WriteError(w, r, err)
		return
	}
	h.mu.Lock()
	delete(h.signedIn, old)
	h.mu.Unlock()
	if op != nil {
		h.log.Info("operator signed out", "name", op.Name, "role", string(op.Role), "scope", op.Scope, "addr", h.clientAddr(r))
	}
	http.Redirect(w, r, h.prefix+"?lang="+url.QueryEscape(web.Lang(r)), http.StatusSeeOther)
}

// locked is how long name stays locked at now (0: not).
func (h *Handler) locked(name string, now time.Time) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if f := h.failures[name]; f != nil && now.Before(f.until) {
		return f.until.Sub(now)
	}
	return 0
}

// failed counts a wrong secret for name and returns the failures in a row.
func (h *Handler) failed(name string, now time.Time) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.failures[name]
	if f == nil {
		if len(h.failures) >= maxTracked {
			h.forgetOldest()
		}
		f = &failure{}
		h.failures[name] = f
	}
	f.count++
	f.last = now
	if over := f.count - FreeFailures; over > 0 {
		d := LockBase
		for i := 1; i < over && d < LockMax; i++ {
			d *= 2
		}
		f.until = now.Add(min(d, LockMax))
	}
	return f.count
}

func (h *Handler) forgetOldest() {
	var oldest string
	var at time.Time
	for n, f := range h.failures {
		if oldest == "" || f.last.Before(at) {
			oldest, at = n, f.last
		}
	}
	delete(h.failures, oldest)
}

// Gate guards pages behind the sign-in.
type Gate struct{ h *Handler }

// Gate returns the guard of pages signed in through h.
func (h *Handler) Gate() Gate { return Gate{h: h} }

// Require serves next only to an operator of role signed in; others
// are sent to the sign-in page (a page request, answered 303 with the
// page's address to come back to) or refused 401 {code: signin_required}
// (a request made by script). An operator of another role gets 403.
// next finds the operator with FromContext, and its pages show who is
// signed in with a sign-out button.
func (g Gate) Require(role Role, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := g.h.Operator(r)
		if op == nil {
			if byScript(r) {
				server.WriteError(w, r, &server.Error{Status: http.StatusUnauthorized, Code: CodeSignInRequired,
					Message: "sign in again: this page's session has ended"})
				return
			}
			back := ""
			if r.Method == http.MethodGet {
				back = r.URL.RequestURI()
			}
			q := url.Values{"role": {string(role)}}
			if back != "" {
				q.Set("next", back)
			}
			http.Redirect(w, r, g.h.prefix+"?"+q.Encode(), http.StatusSeeOther)
			return
		}
		if op.Role != role {
			// The page says to sign out: its layout shows who is
			// signed in and the sign-out button.
			r = r.WithContext(web.WithOperator(r.Context(), op.Name, g.h.SignOutPath()))
			web.ErrorPage(w, r, http.StatusForbidden, "Not for this account", "This page is for another kind of account. Sign out and sign in with the right one.")
			return
		}
		ctx := context.WithValue(r.Context(), ctxKey{}, op)
		ctx = web.WithOperator(ctx, op.Name, g.h.SignOutPath())
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// CodeSignInRequired is the error code of a script's request without a
// sign-in.
const CodeSignInRequired = "signin_required"

// NotYours answers a signed-in operator's request for another office.
func NotYours(w http.ResponseWriter, r *http.Request) {
	if byScript(r) {
		server.WriteError(w, r, &server.Error{Status: http.StatusForbidden, Code: "forbidden", Message: "this account does not act for this office"})
		return
	}
	web.ErrorPage(w, r, http.StatusForbidden, "Not for this account", "Your account does not act for this office.")
}

func byScript(r *http.Request) bool {
	return r.Header.Get(session.HeaderName) != "" || strings.Contains(r.Header.Get("Accept"), "application/json")
}
