package api

import (
	"errors"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/jptvc"
	"github.com/cairn-id/cairn/internal/sdjwt"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/schemas"
	"github.com/cairn-id/cairn/wallet"
)

// CredentialView is a credential as the holder's app lists it: one entry
// per credential (its copies, one per holder key, counted in Copies),
// with the type's name in the holder's language, the issuer's name from
// the registry and the validity judged now.
type CredentialView struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	TypeName string `json:"type_name"`
	Issuer   Issuer `json:"issuer"`
	// Validity: "valid", "expired" or "not_yet_valid".
	Validity string `json:"validity"`
	// Status is the credential's entry in its issuer's status list:
	// valid, revoked, suspended, unavailable (StatusReason says why;
	// StatusLastKnown is the last one read) or not_checked (no status
	// entry). StatusCheckedAt is when it was read (StatusAgeSeconds
	// before the answer), StatusSource from where (wallet.Source…).
	Status           string    `json:"status"`
	StatusReason     string    `json:"status_reason,omitempty"`
	StatusLastKnown  string    `json:"status_last_known,omitempty"`
	StatusCheckedAt  time.Time `json:"status_checked_at,omitzero"`
	StatusAgeSeconds *int64    `json:"status_age_seconds,omitempty"`
	StatusSource     string    `json:"status_source,omitempty"`
	IssuedAt         time.Time `json:"issued_at"`
	ExpiresAt        time.Time `json:"expires_at,omitzero"`
	ReceivedAt       time.Time `json:"received_at"`
	Copies           int       `json:"copies"`
	// Format is "dc+sd-jwt" or "jpt" (experimental: unlinkable proofs, no
	// holder binding); HolderBound says whether presentations prove the
	// holder's key.
	Format      string `json:"format"`
	HolderBound bool   `json:"holder_bound"`
}

// Issuer names a credential's issuer.
type Issuer struct {
	DID  string `json:"did"`
	Name string `json:"name,omitempty"`
	// Registered: the registry in use authorized the issuer for the
	// credential's type when it issued it (false without a registry).
	Registered bool `json:"registered"`
}

// Claim is one claim of a shown credential: its path, its label in the
// holder's language and its value (sent only to the holder's app, never
// logged).
type Claim struct {
	Path  string `json:"path"`
	Label string `json:"label"`
	Value any    `json:"value"`
}

// CredentialDetail answers GET /v1/credentials/{id}.
type CredentialDetail struct {
	CredentialView
	Claims []Claim `json:"claims"`
}

// Credentials answers GET /v1/credentials.
type Credentials struct {
	Lang        string           `json:"lang"`
	Credentials []CredentialView `json:"credentials"`
}

// Fact is one attested claim on the timeline.
type Fact struct {
	At           time.Time `json:"at"`
	Path         string    `json:"path"`
	Label        string    `json:"label"`
	CredentialID string    `json:"credential_id"`
	TypeName     string    `json:"type_name"`
	Issuer       Issuer    `json:"issuer"`
}

// Timeline answers GET /v1/timeline: when each fact was attested, oldest
// first.
type Timeline struct {
	Lang  string `json:"lang"`
	Facts []Fact `json:"facts"`
}

// namer names credentials for one answer in one language: the language
// is parsed once, and each type's and issuer's name is looked up once
// per answer however many credentials share it; the registry is the one
// in use when the answer began.
type namer struct {
	cat     *schemas.Catalogue
	reg     *trust.Registry
	lang    schemas.Lang
	langTag string
	types   map[string]*typeName
	issuers map[string]string
}

type typeName struct {
	t    *schemas.Type // nil: not in the catalogue
	name string
}

func (h *Handler) namer(lang string) *namer {
	return &namer{cat: h.cat, reg: h.reg(), lang: schemas.ParseLang(lang), langTag: lang,
		types: map[string]*typeName{}, issuers: map[string]string{}}
}

// typ returns the catalogue's type of vct (nil if none) and its name in
// the language (vct itself when unknown).
func (n *namer) typ(vct string) *typeName {
	if tn := n.types[vct]; tn != nil {
		return tn
	}
	tn := &typeName{name: vct}
	if t, err := n.cat.Lookup(vct); err == nil {
		tn.t, tn.name = t, t.DisplayNameIn(n.lang)
	}
	n.types[vct] = tn
	return tn
}

// issuer returns the registry's name of did in the language ("" when
// none).
func (n *namer) issuer(did string) string {
	name, ok := n.issuers[did]
	if !ok {
		if e := n.reg.Entity(did); e != nil {
			name = e.Name(n.langTag)
		}
		n.issuers[did] = name
	}
	return name
}

func (n *namer) view(c *wallet.Credential, st wallet.CredentialStatus, now time.Time) CredentialView {
	v := CredentialView{ID: c.ID, Type: c.VCT, TypeName: n.typ(c.VCT).name, IssuedAt: c.IssuedAt.UTC(), ExpiresAt: c.ExpiresAt.UTC(),
		ReceivedAt: c.ReceivedAt.UTC(), Copies: 1, Issuer: Issuer{DID: c.IssuerDID}, Validity: "valid",
		Status: st.State, StatusReason: st.Reason, StatusLastKnown: st.LastKnown, StatusCheckedAt: st.CheckedAt.UTC(), StatusSource: st.Source}
	v.Format, v.HolderBound = "dc+sd-jwt", true
	if c.Format == wallet.FormatJPT {
		v.Format, v.HolderBound = wallet.FormatJPT, false
	}
	if v.Status == "" {
		v.Status = wallet.StatusNotChecked
	}
	if !st.CheckedAt.IsZero() {
		age := max(int64(now.Sub(st.CheckedAt)/time.Second), 0)
		v.StatusAgeSeconds = &age
	}
	if n.reg != nil {
		v.Issuer.Name = n.issuer(c.IssuerDID)
		if d, err := n.reg.IssuerAuthorized(c.IssuerDID, c.VCT, c.IssuedAt); err == nil && d.Authorized {
			v.Issuer.Registered = true
		}
	}
	switch {
	case !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt):
		v.Validity = "expired"
	case !c.IssuedAt.IsZero() && now.Before(c.IssuedAt.Add(-5*time.Minute)):
		v.Validity = "not_yet_valid"
	}
	return v
}

// refresh says whether a credentials route reads status lists now
// (?refresh=false: only the last status read, for a holder offline or
// in a hurry).
func refresh(r *http.Request) bool { return r.URL.Query().Get("refresh") != "false" }

// groups keeps one copy of each credential group (the first in list
// order) and counts the copies.
func groups(cs []wallet.Credential) ([]*wallet.Credential, map[string]int) {
	count := map[string]int{}
	var out []*wallet.Credential
	for i := range cs {
		if count[cs[i].Group] == 0 {
			out = append(out, &cs[i])
		}
		count[cs[i].Group]++
	}
	return out, count
}

func (h *Handler) listCredentials(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	cs, err := h.svc.ListCredentials(r.Context(), sess)
	if err != nil {
		h.fail(w, r, sess, err)
		return
	}
	sts, err := h.svc.Statuses(r.Context(), sess, cs, refresh(r))
	if err != nil {
		h.fail(w, r, sess, err)
		return
	}
	lang, now := h.contentLang(r, sess), h.now()
	n := h.namer(lang)
	gs, count := groups(cs)
	out := Credentials{Lang: lang, Credentials: make([]CredentialView, 0, len(gs))}
	for _, c := range gs {
		v := n.view(c, sts[c.Group], now)
		v.Copies = count[c.Group]
		out.Credentials = append(out.Credentials, v)
	}
	server.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) showCredential(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	c, err := h.svc.GetCredential(r.Context(), sess, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, sess, err)
		return
	}
	cs, err := h.svc.ListCredentials(r.Context(), sess)
	if err != nil {
		h.fail(w, r, sess, err)
		return
	}
	var copies []wallet.Credential
	for _, o := range cs {
		if o.Group == c.Group {
			copies = append(copies, o)
		}
	}
	sts, err := h.svc.Statuses(r.Context(), sess, copies, refresh(r))
	if err != nil {
		h.fail(w, r, sess, err)
		return
	}
	lang := h.contentLang(r, sess)
	n := h.namer(lang)
	d := CredentialDetail{CredentialView: n.view(c, sts[c.Group], h.now())}
	_, count := groups(cs)
	d.Copies = count[c.Group]
	if d.Claims, err = n.claims(c); err != nil {
		h.fail(w, r, sess, err)
		return
	}
	server.WriteJSON(w, http.StatusOK, d)
}

func (h *Handler) deleteCredential(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	n, err := h.svc.DeleteCredential(r.Context(), sess, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, sess, err)
		return
	}
	server.WriteJSON(w, http.StatusOK, map[string]int{"deleted_copies": n})
}

func (h *Handler) timeline(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	cs, err := h.svc.ListCredentials(r.Context(), sess)
	if err != nil {
		h.fail(w, r, sess, err)
		return
	}
	lang, now := h.contentLang(r, sess), h.now()
	n := h.namer(lang)
	gs, _ := groups(cs)
	out := Timeline{Lang: lang, Facts: []Fact{}}
	for _, c := range gs {
		v := n.view(c, wallet.CredentialStatus{}, now)
		claims, err := n.claims(c)
		if err != nil {
			h.fail(w, r, sess, err)
			return
		}
		for _, cl := range claims {
			out.Facts = append(out.Facts, Fact{At: v.IssuedAt, Path: cl.Path, Label: cl.Label, CredentialID: c.ID, TypeName: v.TypeName, Issuer: v.Issuer})
		}
	}
	sort.SliceStable(out.Facts, func(i, j int) bool {
		a, b := out.Facts[i], out.Facts[j]
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		if a.CredentialID != b.CredentialID {
			return a.CredentialID < b.CredentialID
		}
		return a.Path < b.Path
	})
	server.WriteJSON(w, http.StatusOK, out)
}

// registered are the JWT and SD-JWT VC claims that are no fact about the
// holder.
var registered = []string{"iss", "iat", "nbf", "exp", "cnf", "vct", "vct#integrity", "status", "jti", "_sd_alg", "sub"}

var errUnreadable = errors.New("api: stored credential does not parse")

// claims returns the user claims of c (every disclosure included),
// flattened to leaves, in path order, labelled in the namer's language.
func (n *namer) claims(c *wallet.Credential) ([]Claim, error) {
	var m map[string]any
	if c.Format == wallet.FormatJPT {
		var err error
		if m, err = jptvc.Claims(n.cat, c.Compact); err != nil {
			return nil, errors.Join(errUnreadable, err)
		}
	} else {
		t, err := sdjwt.Parse(c.Compact, sdjwt.Limits{})
		if err != nil {
			return nil, errors.Join(errUnreadable, err)
		}
		if m, err = t.Process(); err != nil {
			return nil, errors.Join(errUnreadable, err)
		}
	}
	typ := n.typ(c.VCT).t
	out := []Claim{}
	var walk func(path []any, v any)
	walk = func(path []any, v any) {
		if o, ok := v.(map[string]any); ok && len(o) > 0 {
			for k, cv := range o {
				walk(append(slices.Clip(path), k), cv)
			}
			return
		}
		names := make([]string, len(path))
		for i, p := range path {
			names[i] = p.(string)
		}
		label := names[len(names)-1]
		if typ != nil {
			label = typ.LabelIn(path, n.lang)
		}
		out = append(out, Claim{Path: strings.Join(names, "/"), Label: label, Value: v})
	}
	for k, v := range m {
		if slices.Contains(registered, k) {
			continue
		}
		walk([]any{k}, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}
