// Package trustview is the registry page (issue 12): a read-only view of
// the current trust registry snapshot (DESIGN.md §4) for administrators
// and auditors: the registry's name, version, when it was signed and
// until when it holds; each issuer and verifier with its names, DID,
// status and status history, validity window, and authorizations (for
// issuers the credential types with their evidence caps, jurisdiction
// and window; for verifiers the purposes and the claims they may ask
// for), ended and replaced authorizations included. It changes nothing:
// the page only answers GET. Mounted at /trust/ by default.
package trustview

import (
	"context"
	"embed"
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/i18n"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/registry"
	"github.com/cairn-id/cairn/schemas"
	"github.com/cairn-id/cairn/web"
)

//go:embed templates
var files embed.FS

// Source returns the current verified snapshot; ErrNoSnapshot when none
// is published yet.
type Source func(ctx context.Context) (*trust.Registry, error)

// ErrNoSnapshot: the registry has published no snapshot.
var ErrNoSnapshot = errors.New("trustview: no snapshot published")

// StoreSource reads the newest published snapshot of a registry's store
// and verifies it against the authority's key, as the registry API does.
func StoreSource(st registry.Store, now func() time.Time) Source {
	if now == nil {
		now = time.Now
	}
	return func(ctx context.Context) (*trust.Registry, error) {
		_, compact, err := st.Latest(ctx)
		if errors.Is(err, registry.ErrNoSnapshot) {
			return nil, ErrNoSnapshot
		}
		if err != nil {
			return nil, err
		}
		state, err := st.Get(ctx)
		if err != nil {
			return nil, err
		}
		return trust.VerifySnapshot(compact, []*jose.JWK{state.Authority.PublicJWK}, now())
	}
}

// Config configures a Handler.
type Config struct {
	Source Source
	// Catalogue labels credential types (nil: the vct is shown).
	Catalogue *schemas.Catalogue
	Now       func() time.Time
	Location  *time.Location
}

// Handler serves the registry page.
type Handler struct {
	cfg   Config
	pages web.Pages
}

// New returns a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Source == nil {
		return nil, errors.New("trustview: a snapshot source is needed")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	p, err := web.Templates(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return &Handler{cfg: cfg, pages: p}, nil
}

type view struct {
	Name, ID, Authority, Issued, Expires, Age string
	Version                                   uint64
	Expired                                   bool
	Problem                                   string
	Issuers, Verifiers                        []entity
}

type entity struct {
	Name, DID, Role, Status, StatusText, Valid string
	OtherNames                                 []string
	History                                    []event
	IssuerAuths                                []issuerAuth
	VerifierAuths                              []verifierAuth
}

type event struct{ Status, StatusText, At, Reason string }

type issuerAuth struct {
	ID, Type, VCT, Caps, Jurisdiction, Window, Ended string
	Current                                          bool
}

type verifierAuth struct {
	ID, Purpose, Window, Ended string
	Claims                     []string
	Current                    bool
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		web.ErrorPage(w, r, http.StatusMethodNotAllowed, "Not possible here", "This page only shows the registry; it changes nothing.")
		return
	}
	lang := web.Lang(r)
	reg, err := h.cfg.Source(r.Context())
	switch {
	case errors.Is(err, ErrNoSnapshot):
		web.Render(w, r, h.pages, "registry", web.Page{Title: "Trust registry", Data: view{Problem: web.T(lang, "The registry has not published a snapshot yet.")}})
		return
	case errors.Is(err, trust.ErrSnapshotExpired):
		web.Render(w, r, h.pages, "registry", web.Page{Title: "Trust registry", Status: http.StatusServiceUnavailable,
			Data: view{Problem: web.T(lang, "The newest snapshot has expired: the authority must publish a fresh one.")}})
		return
	case err != nil:
		server.Logger(r.Context()).Error("trustview: reading the snapshot", "err", err)
		web.Render(w, r, h.pages, "registry", web.Page{Title: "Trust registry", Status: http.StatusInternalServerError,
			Data: view{Problem: web.T(lang, "The registry could not be read. Please try again.")}})
		return
	}
	web.Render(w, r, h.pages, "registry", web.Page{Title: "Trust registry", Data: h.view(reg, lang)})
}

func (h *Handler) date(lang string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return i18n.DateTime(lang, t.In(h.cfg.Location))
}

func (h *Handler) window(lang string, from, until time.Time) string {
	if until.IsZero() {
		return web.T(lang, "from %s, no end", h.date(lang, from))
	}
	return web.T(lang, "from %s until %s", h.date(lang, from), h.date(lang, until))
}

func (h *Handler) typeName(vct, lang string) string {
	if h.cfg.Catalogue != nil {
		if t, err := h.cfg.Catalogue.Lookup(vct); err == nil {
			return t.DisplayName(lang)
		}
	}
	return vct
}

func statusText(lang string, s trust.EntityStatus) string {
	switch s {
	case trust.StatusActive:
		return web.T(lang, "active")
	case trust.StatusSuspended:
		return web.T(lang, "suspended")
	case trust.StatusRevoked:
		return web.T(lang, "revoked")
	}
	return string(s)
}

func (h *Handler) view(reg *trust.Registry, lang string) view {
	now := h.cfg.Now()
	v := view{Name: reg.Name, ID: reg.ID, Authority: reg.Authority, Version: reg.Version,
		Issued: h.date(lang, reg.IssuedAt), Expires: h.date(lang, reg.Expires), Expired: !reg.Expires.IsZero() && !now.Before(reg.Expires)}
	if !reg.IssuedAt.IsZero() {
		v.Age = age(lang, now.Sub(reg.IssuedAt))
	}
	for _, e := range reg.Entities {
		ev := entity{Name: e.Name(lang), DID: e.DID, Role: string(e.Role), Status: string(e.Status), StatusText: statusText(lang, e.Status),
			Valid: h.window(lang, e.ValidFrom, e.ValidUntil)}
		langs := make([]string, 0, len(e.Names))
		for l := range e.Names {
			langs = append(langs, l)
		}
		sort.Strings(langs)
		for _, l := range langs {
			if e.Names[l] != ev.Name {
				ev.OtherNames = append(ev.OtherNames, e.Names[l])
			}
		}
		for _, c := range e.StatusHistory {
			reason := c.Reason
			if c.Compromised {
				reason = strings.TrimSpace(reason + " " + web.T(lang, "(key compromised)"))
			}
			ev.History = append(ev.History, event{Status: string(c.Status), StatusText: statusText(lang, c.Status), At: h.date(lang, c.At), Reason: reason})
		}
		for _, a := range e.IssuerAuthorizations {
			ia := issuerAuth{ID: a.ID, Type: h.typeName(a.VCT, lang), VCT: a.VCT, Jurisdiction: a.Jurisdiction,
				Window: h.window(lang, a.From, a.Until), Current: !now.Before(a.From) && (a.Until.IsZero() || now.Before(a.Until))}
			caps := []string{web.T(lang, "strength %d", a.MaxStrength), web.T(lang, "validity %d", a.MaxValidity)}
			if a.MaxVerification > 0 {
				caps = append(caps, web.T(lang, "verification %d", a.MaxVerification))
			}
			ia.Caps = strings.Join(caps, ", ")
			ia.Ended = h.ended(lang, a.Ended, a.Replaces)
			ev.IssuerAuths = append(ev.IssuerAuths, ia)
		}
		for _, a := range e.VerifierAuthorizations {
			va := verifierAuth{ID: a.ID, Purpose: a.Purpose, Claims: a.Claims, Window: h.window(lang, a.From, a.Until),
				Current: !now.Before(a.From) && (a.Until.IsZero() || now.Before(a.Until))}
			va.Ended = h.ended(lang, a.Ended, a.Replaces)
			ev.VerifierAuths = append(ev.VerifierAuths, va)
		}
		if e.Role == trust.RoleIssuer {
			v.Issuers = append(v.Issuers, ev)
		} else {
			v.Verifiers = append(v.Verifiers, ev)
		}
	}
	return v
}

func (h *Handler) ended(lang string, e *trust.AuthorizationEnd, replaces string) string {
	var parts []string
	if replaces != "" {
		parts = append(parts, web.T(lang, "replaces %s", replaces))
	}
	if e != nil {
		s := web.T(lang, "ended on %s", h.date(lang, e.At))
		if e.Reason != "" {
			s += ": " + e.Reason
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// age says how old the snapshot is in plain words.
func age(lang string, d time.Duration) string {
	switch {
	case d < time.Minute:
		return web.T(lang, "just now")
	case d < time.Hour:
		return web.T(lang, "%d minutes ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return web.T(lang, "%d hours ago", int(d/time.Hour))
	}
	return web.T(lang, "%d days ago", int(d/(24*time.Hour)))
}

// NavLabel and NavDescription are the page's entry in the site's
// navigation (keys of the page strings, for web.Site.Mount).
const (
	NavLabel       = "Trust registry"
	NavDescription = "See who may issue what and who may ask for what."
)
