// Package session owns the cookie sessions of Cairn's pages and their
// protection against cross-site request forgery (DESIGN.md §7, issue 12).
//
// A session is a random 16-byte id and an expiry, carried in one cookie
// (HttpOnly, SameSite=Strict, Path=/, and Secure with the __Host- name
// prefix when the request came over TLS) and authenticated with
// HMAC-SHA-256 under a server key, so the server keeps no session table
// and several instances sharing the key accept each other's sessions.
// Every state-changing request (any method but GET, HEAD and OPTIONS)
// must carry the session's CSRF token, an HMAC of the session id, in the
// X-CSRF-Token header or the "csrf" form field (the synchronizer-token
// pattern of the OWASP CSRF cheat sheet), and must not come from another
// site (Origin and Sec-Fetch-Site headers, when the browser sends them).
// A refused request changes nothing and is answered 403 {code: csrf}.
//
// It implements the cookie attributes of RFC 6265 and its
// draft-ietf-httpbis-rfc6265bis SameSite and __Host- prefix; it imports
// nothing from the role packages.
package session

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/server"
)

// Cookie names: the __Host- prefix is only valid with Secure, so plain
// HTTP (local demos) uses the bare name.
const (
	CookieName       = "cairn_session"
	SecureCookieName = "__Host-cairn_session"
	// HeaderName carries the CSRF token of requests made by script.
	HeaderName = "X-CSRF-Token"
	// FieldName carries it in forms.
	FieldName = "csrf"
)

// Defaults and bounds.
const (
	DefaultMaxAge = 12 * time.Hour
	// MaxFormBytes bounds an urlencoded form body read for its token.
	MaxFormBytes = 64 << 10
	// DefaultMaxUpload bounds a multipart body (a photo of a QR code).
	DefaultMaxUpload = 8 << 20
	idLen            = 16
	macLen           = 32
)

// CodeCSRF is the error code of a refused state-changing request.
const CodeCSRF = "csrf"

// ErrKey: the session key is missing or too short.
var ErrKey = errors.New("session: key must be at least 32 bytes")

// Config configures a Manager.
type Config struct {
	// Key authenticates cookies and derives CSRF tokens (≥ 32 random
	// bytes, kept out of any store; the same on every instance).
	Key []byte
	// MaxAge is a session's lifetime (0: DefaultMaxAge).
	MaxAge time.Duration
	// MaxUpload bounds multipart bodies (0: DefaultMaxUpload).
	MaxUpload int64
	// Now is the clock (nil: time.Now); Rand the source of ids (nil:
	// crypto/rand).
	Now  func() time.Time
	Rand io.Reader
	// Refuse answers a refused request (nil: 403 {code: csrf, message}).
	Refuse func(w http.ResponseWriter, r *http.Request)
	// Secure: the site is served over https even when the request does
	// not say so (behind a TLS-terminating proxy): cookies are always
	// Secure with the __Host- prefix, and an Origin must be https.
	Secure bool
}

// Manager issues and checks sessions.
type Manager struct {
	key       []byte
	maxAge    time.Duration
	maxUpload int64
	now       func() time.Time
	rand      io.Reader
	refuse    func(w http.ResponseWriter, r *http.Request)
	forceTLS  bool
}

// New checks cfg and returns a Manager.
func New(cfg Config) (*Manager, error) {
	if len(cfg.Key) < 32 {
		return nil, ErrKey
	}
	m := &Manager{key: append([]byte(nil), cfg.Key...), maxAge: cfg.MaxAge, maxUpload: cfg.MaxUpload,
		now: cfg.Now, rand: cfg.Rand, refuse: cfg.Refuse, forceTLS: cfg.Secure}
	if m.maxAge <= 0 {
		m.maxAge = DefaultMaxAge
	}
	if m.maxUpload <= 0 {
		m.maxUpload = DefaultMaxUpload
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.rand == nil {
		m.rand = rand.Reader
	}
	if m.refuse == nil {
		m.refuse = func(w http.ResponseWriter, r *http.Request) {
			server.WriteError(w, r, &server.Error{Status: http.StatusForbidden, Code: CodeCSRF,
				Message: "this request did not come from this site's page: reload the page and try again"})
		}
	}
	return m, nil
}

// Session is the session of a request.
type Session struct {
	// ID is the random session id (never shown in pages).
	ID      string
	Expires time.Time
	// New: the cookie was set by this request.
	New  bool
	csrf string
}

// CSRFToken is the token state-changing requests of this session carry.
func (s *Session) CSRFToken() string { return s.csrf }

type ctxKey struct{}

// FromContext returns the request's session (nil outside Middleware).
func FromContext(ctx context.Context) *Session {
	s, _ := ctx.Value(ctxKey{}).(*Session)
	return s
}

// Token is the CSRF token of r's session ("" outside Middleware).
func Token(r *http.Request) string {
	if s := FromContext(r.Context()); s != nil {
		return s.csrf
	}
	return ""
}

func (m *Manager) mac(kind string, b []byte) []byte {
	h := hmac.New(sha256.New, m.key)
	h.Write([]byte("cairn-session-v1/" + kind + "\x00"))
	h.Write(b)
	return h.Sum(nil)
}

var b64 = base64.RawURLEncoding

// encode is the cookie value of id expiring at exp.
func (m *Manager) encode(id []byte, exp time.Time) string {
	payload := make([]byte, idLen+8)
	copy(payload, id)
	binary.BigEndian.PutUint64(payload[idLen:], uint64(exp.Unix()))
	return b64.EncodeToString(payload) + "." + b64.EncodeToString(m.mac("cookie", payload))
}

// decode returns the id and expiry of a cookie value it issued.
func (m *Manager) decode(v string) (id []byte, exp time.Time, ok bool) {
	if len(v) > 128 {
		return nil, time.Time{}, false
	}
	p, s, found := strings.Cut(v, ".")
	if !found {
		return nil, time.Time{}, false
	}
	payload, err1 := b64.DecodeString(p)
	sig, err2 := b64.DecodeString(s)
	if err1 != nil || err2 != nil || len(payload) != idLen+8 || len(sig) != macLen {
		return nil, time.Time{}, false
	}
	if !hmac.Equal(sig, m.mac("cookie", payload)) {
		return nil, time.Time{}, false
	}
	exp = time.Unix(int64(binary.BigEndian.Uint64(payload[idLen:])), 0)
	return payload[:idLen], exp, true
}

func (m *Manager) secure(r *http.Request) bool { return m.forceTLS || r.TLS != nil }

func (m *Manager) cookieName(r *http.Request) string {
	if m.secure(r) {
		return SecureCookieName
	}
	return CookieName
}

// current returns r's valid session, or nil.
func (m *Manager) current(r *http.Request) *Session {
	c, err := r.Cookie(m.cookieName(r))
	if err != nil {
		return nil
	}
	id, exp, ok := m.decode(c.Value)
	if !ok || !m.now().Before(exp) {
		return nil
	}
	return m.session(id, exp, false)
}

func (m *Manager) session(id []byte, exp time.Time, isNew bool) *Session {
	return &Session{ID: b64.EncodeToString(id), Expires: exp, New: isNew, csrf: b64.EncodeToString(m.mac("csrf", id))}
}

// start creates a session and sets its cookie on w.
func (m *Manager) start(w http.ResponseWriter, r *http.Request) (*Session, error) {
	id := make([]byte, idLen)
	if _, err := io.ReadFull(m.rand, id); err != nil {
		return nil, err
	}
	exp := m.now().Add(m.maxAge).Truncate(time.Second)
	http.SetCookie(w, &http.Cookie{
		Name: m.cookieName(r), Value: m.encode(id, exp), Path: "/",
		Expires: exp, MaxAge: int(m.maxAge / time.Second),
		HttpOnly: true, Secure: m.secure(r), SameSite: http.SameSiteStrictMode,
	})
	return m.session(id, exp, true), nil
}

// Safe reports whether method changes nothing (RFC 9110 §9.2.1).
func Safe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// Middleware gives every request a session (starting one on a safe
// request that has none) and refuses a state-changing request without
// its session's CSRF token or from another site.
func (m *Manager) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.current(r)
		if Safe(r.Method) {
			if s == nil {
				var err error
				if s, err = m.start(w, r); err != nil {
					server.WriteError(w, r, &server.Error{Status: http.StatusInternalServerError, Code: server.CodeInternal, Message: "internal error", Cause: err})
					return
				}
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, s)))
			return
		}
		if s == nil || m.crossSite(r) || !m.tokenOK(w, r, s) {
			m.refuse(w, r)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, s)))
	})
}

// crossSite reports a request the browser says came from another
// origin: Sec-Fetch-Site (set by the browser, not by page script) when
// sent, else the Origin header when sent. An Origin of "null" (sent under
// some referrer policies) counts as cross-site unless Sec-Fetch-Site says
// same-origin.
func (m *Manager) crossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin":
		return false
	case "", "none":
	default:
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host != r.Host {
		return true
	}
	want := "http"
	if m.secure(r) {
		want = "https"
	}
	return u.Scheme != want
}

// tokenOK checks the request's token: the header, else the form field
// (reading an urlencoded or multipart body within bounds).
func (m *Manager) tokenOK(w http.ResponseWriter, r *http.Request, s *Session) bool {
	got := r.Header.Get(HeaderName)
	if got == "" {
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch ct {
		case "application/x-www-form-urlencoded":
			r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
			if err := r.ParseForm(); err != nil {
				return false
			}
		case "multipart/form-data":
			r.Body = http.MaxBytesReader(w, r.Body, m.maxUpload)
			if err := r.ParseMultipartForm(1 << 20); err != nil {
				return false
			}
		default:
			return false
		}
		got = r.PostFormValue(FieldName)
	}
	return got != "" && hmac.Equal([]byte(got), []byte(s.csrf))
}

// Renew replaces r's session with a new one (a new id, so a new CSRF
// token) and sets its cookie on w: on sign-in and sign-out, so a session
// id known before the change (planted or observed) is worth nothing after
// it (OWASP session fixation). The old id is returned for the caller to
// forget whatever it tied to it ("" when r had none).
func (m *Manager) Renew(w http.ResponseWriter, r *http.Request) (next *Session, old string, err error) {
	if s := FromContext(r.Context()); s != nil {
		old = s.ID
	} else if s := m.current(r); s != nil {
		old = s.ID
	}
	next, err = m.start(w, r)
	return next, old, err
}

// Current is r's valid session, from the middleware's context or else
// from its cookie (nil: none).
func (m *Manager) Current(r *http.Request) *Session {
	if s := FromContext(r.Context()); s != nil {
		return s
	}
	return m.current(r)
}
