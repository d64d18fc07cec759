// Package web owns Cairn's pages around the services (DESIGN.md §8,
// issue 12): the shared layout, stylesheet and script, the chrome's words
// in en, fr, ar (right to left) and uk, the language switcher, the
// security headers (a Content-Security-Policy that forbids inline script
// and any other origin), and Site, which mounts the page handlers of the
// sub-packages (web/desk, web/trustview, …) behind the cookie sessions
// and CSRF checks of web/session. Everything is embedded (go:embed): no
// build step, no CDN.
//
// Pages render on the server with html/template; script, where a page
// needs it, is in static files and only enhances (the desk and registry
// pages work without it). It implements no external specification
// beyond HTML, CSP Level 3 and the cookie rules of web/session.
package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"

	"github.com/cairn-id/cairn/internal/i18n"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/web/session"
)

//go:embed static templates
var files embed.FS

// Static is the embedded static files (cairn.css, cairn.js, page scripts).
func Static() fs.FS {
	sub, _ := fs.Sub(files, "static")
	return sub
}

// ContentSecurityPolicy is the policy of every page: everything from
// this origin only, no inline script or style, no plugins, no framing;
// images also from data: (QR codes) and blob: (a photo being scanned).
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"media-src 'self' blob:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; manifest-src 'self'"

// SecurityHeaders sets the headers every page and static file carries.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// LangCookie remembers the language chosen with the switcher.
const LangCookie = "cairn_lang"

// Lang is the language of a request: ?lang= (the switcher), else the
// cookie it set, else Accept-Language; one of i18n.Languages.
func Lang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		return i18n.Pick(l)
	}
	if c, err := r.Cookie(LangCookie); err == nil {
		return i18n.Pick(c.Value)
	}
	return i18n.Pick(r.Header.Get("Accept-Language"))
}

// langNames are the languages in their own words.
var langNames = map[string]string{"en": "English", "fr": "Français", "ar": "العربية", "uk": "Українська"}

// LangLink is one entry of the language switcher.
type LangLink struct {
	Code, Name, Href string
	Current          bool
}

// NavLink is one page of the site.
type NavLink struct {
	Href, Label, Description string
	Current                  bool
}

// View is what a page template gets: the chrome and the page's Data.
type View struct {
	Lang, Dir, Title, CSRF string
	// Operator is the name of the operator signed in on this page ("":
	// none); SignOut is where its sign-out form posts.
	Operator, SignOut string
	Langs             []LangLink
	Nav               []NavLink
	Scripts           []string
	// Strings is the JSON of the texts the page's script shows (nil: none).
	Strings string
	Data    any
}

// T is the text key (its English text, a fmt format) in the view's language.
func (v *View) T(key string, args ...any) string { return T(v.Lang, key, args...) }

// How a page isolates a value inserted into text (a name, an id, a
// handle, a DID, a free-text reference) from the text around it, so that
// a Latin name in an Arabic sentence (or an Arabic one in an English
// sentence) keeps its own direction and does not reorder its neighbours
// (Unicode bidi isolation, UAX #9): inside a sentence, <bdi> (TB); in an
// attribute, where markup cannot go, FSI…PDI (TI; the pages' script does
// the same with cairn.isolate); an element holding only the value,
// dir="auto" (or the .code and .did styles).

// TB is T with each argument but a number HTML-escaped and isolated in
// <bdi>…</bdi>.
func (v *View) TB(key string, args ...any) template.HTML {
	wrapped := make([]any, len(args))
	for i, a := range args {
		switch a.(type) {
		case int, int64, uint, uint64, float64:
			wrapped[i] = a
		default:
			wrapped[i] = "<bdi>" + template.HTMLEscapeString(fmt.Sprint(a)) + "</bdi>"
		}
	}
	format := template.HTMLEscapeString(T(v.Lang, key))
	if len(args) == 0 {
		return template.HTML(format)
	}
	return template.HTML(fmt.Sprintf(format, wrapped...))
}

// TI is T with each string argument between FIRST STRONG ISOLATE and
// POP DIRECTIONAL ISOLATE (U+2068, U+2069), for attributes.
func (v *View) TI(key string, args ...any) string {
	wrapped := make([]any, len(args))
	for i, a := range args {
		if s, ok := a.(string); ok {
			a = "\u2068" + s + "\u2069"
		}
		wrapped[i] = a
	}
	return T(v.Lang, key, wrapped...)
}

// Page is what a handler asks Render to show.
type Page struct {
	Title   string // a key of the strings, translated
	Scripts []string
	// Strings lists the keys the page's script needs, sent translated.
	Strings []string
	Status  int
	Data    any
}

var assetHashes = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	_ = fs.WalkDir(Static(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Static(), p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m[p] = hex.EncodeToString(sum[:6])
		return nil
	})
	return m
})

// Asset is the URL of a static file, versioned by its content.
func Asset(name string) string {
	return "/static/" + name + "?v=" + assetHashes()[name]
}

// Funcs are the functions every page template may call.
func Funcs() template.FuncMap {
	return template.FuncMap{"asset": Asset}
}

// Pages are a package's page templates by name: each is the shared
// layout, the package's partials (files named *.part.html) and one page file
// (which defines "main"), named after the file without ".html".
type Pages map[string]*template.Template

// Templates parses the page files of fsys matching pattern (a glob such
// as "templates/*.html") into Pages.
func Templates(fsys fs.FS, pattern string) (Pages, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, err
	}
	base, err := template.New("").Funcs(Funcs()).ParseFS(files, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	var partials []string
	for _, n := range names {
		if strings.HasSuffix(n, ".part.html") {
			partials = append(partials, n)
		}
	}
	if len(partials) > 0 {
		if base, err = base.ParseFS(fsys, partials...); err != nil {
			return nil, err
		}
	}
	pages := Pages{}
	for _, n := range names {
		if strings.HasSuffix(n, ".part.html") {
			continue
		}
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if t, err = t.ParseFS(fsys, n); err != nil {
			return nil, err
		}
		pages[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	return pages, nil
}

type navKey struct{}

type operatorKey struct{}

type operator struct{ name, signOut string }

// WithOperator marks ctx as a page shown to the signed-in operator name:
// the layout then shows who is signed in and a sign-out button posting
// (with the CSRF token) to signOut.
func WithOperator(ctx context.Context, name, signOut string) context.Context {
	return context.WithValue(ctx, operatorKey{}, operator{name: name, signOut: signOut})
}

// Render writes page p with the page template name of pages. Errors are
// logged; the answer is then a plain 500.
func Render(w http.ResponseWriter, r *http.Request, pages Pages, name string, p Page) {
	v := NewView(r, p)
	var buf bytes.Buffer
	tmpl := pages[name]
	if tmpl == nil {
		server.Logger(r.Context()).Error("rendering a page", "template", name, "err", "no such page")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if err := tmpl.ExecuteTemplate(&buf, "layout", v); err != nil {
		server.Logger(r.Context()).Error("rendering a page", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", v.Lang)
	status := p.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// NewView builds the chrome of a page for r.
func NewView(r *http.Request, p Page) *View {
	lang := Lang(r)
	v := &View{Lang: lang, Dir: i18n.Dir(lang), CSRF: session.Token(r), Scripts: p.Scripts, Data: p.Data}
	v.Title = v.T(p.Title)
	for _, l := range i18n.Languages {
		q := r.URL.Query()
		q.Set("lang", l)
		u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
		if r.Method != http.MethodGet {
			u.RawQuery = url.Values{"lang": {l}}.Encode()
		}
		v.Langs = append(v.Langs, LangLink{Code: l, Name: langNames[l], Href: u.String(), Current: l == lang})
	}
	if op, ok := r.Context().Value(operatorKey{}).(operator); ok {
		v.Operator, v.SignOut = op.name, op.signOut
	}
	if nav, ok := r.Context().Value(navKey{}).([]mounted); ok {
		for _, m := range nav {
			if m.label == "" {
				continue // not listed (the sign-in page)
			}
			v.Nav = append(v.Nav, NavLink{Href: m.prefix, Label: v.T(m.label), Description: v.T(m.description),
				Current: strings.HasPrefix(r.URL.Path, m.prefix)})
		}
	}
	if len(p.Strings) > 0 {
		m := make(map[string]string, len(p.Strings))
		for _, k := range p.Strings {
			m[k] = v.T(k)
		}
		b, _ := json.Marshal(m)
		v.Strings = string(b)
	}
	return v
}

// Config configures a Site.
type Config struct {
	// SessionKey authenticates session cookies and CSRF tokens (≥ 32
	// random bytes, the same on every instance).
	SessionKey []byte
	Logger     *slog.Logger
	// Sessions overrides the session manager built from SessionKey.
	Sessions *session.Manager
	// Secure: served over https behind a TLS-terminating proxy (see
	// session.Config.Secure).
	Secure bool
}

type mounted struct {
	prefix, label, description string
	h                          http.Handler
}

// Site serves the pages: / (the list of pages), /static/ and each
// mounted page, behind the security headers and the session middleware.
type Site struct {
	sessions *session.Manager
	pages    []mounted
	home     Pages
	static   http.Handler
	log      *slog.Logger
}

// New returns a Site with no pages.
func New(cfg Config) (*Site, error) {
	s := &Site{sessions: cfg.Sessions, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.sessions == nil {
		m, err := session.New(session.Config{Key: cfg.SessionKey, Refuse: refusePage, Secure: cfg.Secure})
		if err != nil {
			return nil, err
		}
		s.sessions = m
	}
	t, err := Templates(files, "templates/home.html")
	if err != nil {
		return nil, err
	}
	s.home = t
	s.static = staticHandler()
	return s, nil
}

// Mount serves h under prefix (ending in "/"), listed in the navigation
// with label and description (keys of the strings; an empty label keeps
// the page out of the navigation, as the sign-in page).
func (s *Site) Mount(prefix, label, description string, h http.Handler) {
	s.pages = append(s.pages, mounted{prefix: prefix, label: label, description: description, h: h})
}

// Sessions is the site's session manager (for the sign-in, which
// renews sessions).
func (s *Site) Sessions() *session.Manager { return s.sessions }

// Handler is the site's handler, for mounting at "/".
func (s *Site) Handler() http.Handler {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l := r.URL.Query().Get("lang"); l != "" {
			http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: i18n.Pick(l), Path: "/", MaxAge: 365 * 24 * 3600,
				SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, HttpOnly: true})
		}
		for _, m := range s.pages {
			if strings.HasPrefix(r.URL.Path, m.prefix) {
				m.h.ServeHTTP(w, r)
				return
			}
			if r.URL.Path+"/" == m.prefix {
				http.Redirect(w, r, m.prefix, http.StatusSeeOther)
				return
			}
		}
		if r.URL.Path != "/" {
			NotFound(w, r)
			return
		}
		if !session.Safe(r.Method) {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		Render(w, r, s.home, "home", Page{Title: "Cairn"})
	})
	sessioned := s.sessions.Middleware(inner)
	return SecurityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/static/") {
			s.static.ServeHTTP(w, r) // no session needed for files
			return
		}
		sessioned.ServeHTTP(w, r.WithContext(contextWithNav(r, s.pages)))
	}))
}

func contextWithNav(r *http.Request, pages []mounted) context.Context {
	return context.WithValue(r.Context(), navKey{}, pages)
}

// staticHandler serves the embedded files: GET only, cached for a day
// (URLs carry the content hash), nothing else.
func staticHandler() http.Handler {
	fsrv := http.FileServerFS(Static())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/static/")
		if _, ok := assetHashes()[name]; !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		fsrv.ServeHTTP(w, r2)
	})
}

var errorPage = sync.OnceValue(func() Pages {
	t, err := Templates(files, "templates/error.html")
	if err != nil {
		panic(err)
	}
	return t
})

// ErrorData is the data of the error page.
type ErrorData struct{ Heading, Message string }

// ErrorPage answers status with a page saying heading and message (keys
// of the strings).
func ErrorPage(w http.ResponseWriter, r *http.Request, status int, heading, message string) {
	Render(w, r, errorPage(), "error", Page{Title: heading, Status: status, Data: ErrorData{Heading: heading, Message: message}})
}

// NotFound answers 404 with a page.
func NotFound(w http.ResponseWriter, r *http.Request) {
	ErrorPage(w, r, http.StatusNotFound, "Page not found", "There is no page at this address.")
}

// refusePage answers a request refused by the CSRF check: JSON for
// script, a page for a form.
func refusePage(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(session.HeaderName) != "" || strings.Contains(r.Header.Get("Accept"), "application/json") {
		server.WriteError(w, r, &server.Error{Status: http.StatusForbidden, Code: session.CodeCSRF,
			Message: "this request did not come from this site's page: reload the page and try again"})
		return
	}
	ErrorPage(w, r, http.StatusForbidden, "This form has expired", "Go back, reload the page and send the form again.")
}

// Item pairs a value with the view, for templates that recurse
// ({{template "control" ($.With .)}}).
type Item struct {
	In any
	V  *View
}

// With pairs x with the view.
func (v *View) With(x any) Item { return Item{In: x, V: v} }
