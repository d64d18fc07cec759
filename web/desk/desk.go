// Package desk is the issuer desk page (issue 12): for offices without a
// terminal, an operator makes an offer of a credential type with a form
// generated from the catalogue (schemas.Type.ClaimFields), typed exactly
// as 'cairn issuer offer --prompt' types answers
// (schemas.Type.ClaimsFromText, with per-field errors in the page's
// language), sees the offer's QR code and transaction code, and lists and
// cancels pending offers. It calls the issuer core directly
// (issuer.Admin: a *issuer.Service or the admin socket's client); it has
// no API of its own.
//
// The page works without script. Its routes are under the prefix it is
// mounted at (web.Site.Mount), normally /desk/:
//
//	GET  /desk/                          the offices (a single office redirects)
//	GET  /desk/{office}/                 its types and pending offers
//	GET  /desk/{office}/offer?type=VCT   the form of one type
//	POST /desk/{office}/offer            make the offer (or add a list entry)
//	POST /desk/{office}/cancel           cancel a pending offer (handle)
//
// The desk makes offers for whoever reaches it: mount it only where
// operators are (an office network, behind the operator's sign-in).
package desk

import (
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/claimpath"
	"github.com/cairn-id/cairn/internal/i18n"
	"github.com/cairn-id/cairn/internal/qr"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/issuer"
	"github.com/cairn-id/cairn/schemas"
	"github.com/cairn-id/cairn/web"
)

//go:embed templates
var files embed.FS

// Office is one issuer the desk makes offers for.
type Office struct {
	// Slug names the office in the page's addresses: lower-case letters,
	// digits and '-'.
	Slug string
	// Names are its display names per language (at least "en").
	Names map[string]string
	// Admin is the issuer core: a *issuer.Service, or issuer.OpenAdmin's
	// client of a running server.
	Admin issuer.Admin
	// Types are the vcts it offers (each in the catalogue).
	Types []string
	// JPT are the vcts (each one of Types) the issuer also offers in the
	// experimental jpt format (issuer.Config.JPT): their form lets the
	// operator choose it; SD-JWT VC stays the default.
	JPT []string
}

// Config configures a Handler.
type Config struct {
	// Prefix is where the handler is mounted ("/desk/" when empty).
	Prefix    string
	Offices   []Office
	Catalogue *schemas.Catalogue
	// Now is the clock of "expires in" (nil: time.Now).
	Now func() time.Time
	// Location is the time zone dates are shown in (nil: UTC).
	Location *time.Location
	// Allowed says whether r's operator acts for the office slug (nil:
	// every office, for whoever reaches the desk). Behind web/signin it
	// is the signed-in desk operator's issuer: the other offices are
	// neither listed nor reachable.
	Allowed func(r *http.Request, slug string) bool
	// Refuse answers a request for an office not Allowed (nil: 403 page).
	Refuse http.HandlerFunc
}

// Handler serves the desk.
type Handler struct {
	allowed func(r *http.Request, slug string) bool
	refuse  http.HandlerFunc
	prefix  string
	offices []office
	now     func() time.Time
	loc     *time.Location
	tmpl    web.Pages
}

type office struct {
	Office
	types []*schemas.Type
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// New checks cfg and returns a Handler.
func New(cfg Config) (*Handler, error) {
	h := &Handler{prefix: cfg.Prefix, now: cfg.Now, loc: cfg.Location, allowed: cfg.Allowed, refuse: cfg.Refuse}
	if h.allowed == nil {
		h.allowed = func(*http.Request, string) bool { return true }
	}
	if h.refuse == nil {
		h.refuse = func(w http.ResponseWriter, r *http.Request) {
			web.ErrorPage(w, r, http.StatusForbidden, "Not for this account", "Your account does not act for this office.")
		}
	}
	if h.prefix == "" {
		h.prefix = "/desk/"
	}
	if !strings.HasPrefix(h.prefix, "/") || !strings.HasSuffix(h.prefix, "/") {
		return nil, fmt.Errorf("desk: prefix %q must start and end with /", h.prefix)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.loc == nil {
		h.loc = time.UTC
	}
	if cfg.Catalogue == nil || len(cfg.Offices) == 0 {
		return nil, errors.New("desk: a catalogue and at least one office are needed")
	}
	seen := map[string]bool{}
	for _, o := range cfg.Offices {
		if !slugRE.MatchString(o.Slug) || seen[o.Slug] {
			return nil, fmt.Errorf("desk: office slug %q is not a unique lower-case word", o.Slug)
		}
		seen[o.Slug] = true
		if o.Admin == nil || len(o.Names) == 0 {
			return nil, fmt.Errorf("desk: office %q needs an issuer and a name", o.Slug)
		}
		of := office{Office: o}
		for _, vct := range o.Types {
			t, err := cfg.Catalogue.Lookup(vct)
			if err != nil {
				return nil, fmt.Errorf("desk: office %q: %w", o.Slug, err)
			}
			of.types = append(of.types, t)
		}
		for _, vct := range o.JPT {
			if !slices.Contains(o.Types, vct) {
				return nil, fmt.Errorf("desk: office %q: jpt for %s, which is not one of its types", o.Slug, vct)
			}
		}
		h.offices = append(h.offices, of)
	}
	t, err := web.Templates(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	h.tmpl = t
	return h, nil
}

func (h *Handler) office(slug string) *office {
	for i := range h.offices {
		if h.offices[i].Slug == slug {
			return &h.offices[i]
		}
	}
	return nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, h.prefix)
	if rest == r.URL.Path {
		web.NotFound(w, r)
		return
	}
	if rest == "" {
		if !allow(w, r, http.MethodGet) {
			return
		}
		links := h.officeLinks(r)
		if len(links) == 1 {
			http.Redirect(w, r, links[0].Href, http.StatusSeeOther)
			return
		}
		h.render(w, r, "offices", "Issuer desk", http.StatusOK, officesData{Offices: links})
		return
	}
	slug, action, _ := strings.Cut(rest, "/")
	o := h.office(slug)
	if o == nil {
		web.NotFound(w, r)
		return
	}
	if !h.allowed(r, o.Slug) {
		h.refuse(w, r)
		return
	}
	switch action {
	case "":
		if allow(w, r, http.MethodGet) {
			h.home(w, r, o, "")
		}
	case "offer":
		if r.Method == http.MethodPost {
			h.makeOffer(w, r, o)
			return
		}
		if allow(w, r, http.MethodGet) {
			h.form(w, r, o)
		}
	case "cancel":
		if allow(w, r, http.MethodPost) {
			h.cancel(w, r, o)
		}
	default:
		web.NotFound(w, r)
	}
}

func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method || (method == http.MethodGet && r.Method == http.MethodHead) {
		return true
	}
	w.Header().Set("Allow", method)
	web.ErrorPage(w, r, http.StatusMethodNotAllowed, "Not possible here", "This address does not take this kind of request.")
	return false
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, name, title string, status int, data any) {
	web.Render(w, r, h.tmpl, name, web.Page{Title: title, Status: status, Data: data})
}

// ---- offices and the office page ----

type link struct{ Href, Label, Hint string }

type officesData struct{ Offices []link }

func (h *Handler) officeLinks(r *http.Request) []link {
	lang := web.Lang(r)
	var out []link
	for _, o := range h.offices {
		if !h.allowed(r, o.Slug) {
			continue
		}
		out = append(out, link{Href: h.prefix + o.Slug + "/", Label: name(o.Names, lang)})
	}
	return out
}

func name(names map[string]string, lang string) string {
	if n, ok := names[lang]; ok {
		return n
	}
	if n, ok := names["en"]; ok {
		return n
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return ""
	}
	return names[keys[0]]
}

type pendingOffer struct {
	Handle, Type, Reference, Expires string
	TxCode                           bool
}

type homeData struct {
	Office, Notice, Problem string
	Types                   []link
	Pending                 []pendingOffer
	CancelURL               string
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request, o *office, problem string) {
	lang := web.Lang(r)
	d := homeData{Office: name(o.Names, lang), Problem: problem, CancelURL: h.prefix + o.Slug + "/cancel"}
	if c := r.URL.Query().Get("cancelled"); c != "" && len(c) < 100 {
		d.Notice = web.T(lang, "Offer %s was cancelled: its code no longer works.", c)
	}
	for _, t := range o.types {
		d.Types = append(d.Types, link{Href: h.prefix + o.Slug + "/offer?type=" + url.QueryEscape(t.VCT), Label: t.DisplayName(lang), Hint: t.Description(lang)})
	}
	offers, err := o.Admin.Offers(r.Context(), true)
	if err != nil {
		server.Logger(r.Context()).Error("desk: listing offers", "office", o.Slug, "err", err)
		d.Problem = web.T(lang, "The list of pending offers could not be read. Please try again.")
	}
	for _, of := range offers {
		d.Pending = append(d.Pending, pendingOffer{Handle: of.Handle, Type: h.typeName(o, of.VCT, lang), Reference: of.Reference,
			Expires: i18n.DateTime(lang, of.ExpiresAt.In(h.loc)), TxCode: of.TxCode})
	}
	h.render(w, r, "home", "Issuer desk", http.StatusOK, d)
}

func (h *Handler) typeName(o *office, vct, lang string) string {
	for _, t := range o.types {
		if t.VCT == vct {
			return t.DisplayName(lang)
		}
	}
	return vct
}

func (h *Handler) cancel(w http.ResponseWriter, r *http.Request, o *office) {
	handle := r.PostFormValue("handle")
	lang := web.Lang(r)
	if handle == "" || len(handle) > 100 {
		h.home(w, r, o, web.T(lang, "Choose an offer to cancel."))
		return
	}
	err := o.Admin.CancelOffer(r.Context(), handle)
	switch {
	case errors.Is(err, issuer.ErrNotFound):
		h.home(w, r, o, web.T(lang, "Offer %s is no longer pending: it was used, cancelled or has expired.", handle))
	case err != nil:
		server.Logger(r.Context()).Error("desk: cancelling an offer", "office", o.Slug, "err", err)
		h.home(w, r, o, web.T(lang, "The offer could not be cancelled. Please try again."))
	default:
		http.Redirect(w, r, h.prefix+o.Slug+"/?cancelled="+url.QueryEscape(handle), http.StatusSeeOther)
	}
}

// ---- the offer form ----

// input is one control of the form, or a group of them.
type input struct {
	Name, ID, Label, Hint, Error, Value string
	// Control: text, date, number, select, group, list.
	Control  string
	Required bool
	Options  []option
	// Children of a group (an object) or of each entry of a list.
	Children []input
	// Entries of a list of objects; AddName is the button's value.
	Entries [][]input
	CanAdd  bool
	// HintID and ErrorID are the ids aria-describedby names.
	HintID, ErrorID string
}

type option struct {
	Value, Label string
	Selected     bool
}

type formData struct {
	Office, Type, TypeDesc, VCT, Action, Back string
	Inputs                                    []input
	Problems                                  []problemLink
	Problem                                   string
	Presets                                   []option
	Reference                                 string
	TxCode                                    bool
	Counts                                    []countField
	// Formats are the credential formats to choose from: none when the
	// type is offered as SD-JWT VC only.
	Formats []option
}

type problemLink struct{ ID, Label, Message string }

type countField struct{ Name, Value string }

func (h *Handler) lookupType(o *office, vct string) *schemas.Type {
	for _, t := range o.types {
		if t.VCT == vct {
			return t
		}
	}
	return nil
}

func (h *Handler) form(w http.ResponseWriter, r *http.Request, o *office) {
	t := h.lookupType(o, r.URL.Query().Get("type"))
	if t == nil {
		h.home(w, r, o, web.T(web.Lang(r), "Choose one of the credential types below."))
		return
	}
	f := h.newForm(r, o, t, url.Values{}, nil)
	f.TxCode = true
	h.render(w, r, "form", "Make an offer", http.StatusOK, f)
}

// builder makes the form's inputs from the type's fields.
type builder struct {
	t      *schemas.Type
	lang   string
	values url.Values
	errs   map[string]string
	counts map[string]int
	used   map[string]string // error pointer → id of the input showing it
}

// newForm builds the form with values typed so far and their errors (by
// claim pointer).
func (h *Handler) newForm(r *http.Request, o *office, t *schemas.Type, values url.Values, errs map[string]string) *formData {
	lang := web.Lang(r)
	b := &builder{t: t, lang: lang, values: values, errs: errs, counts: map[string]int{}, used: map[string]string{}}
	for k, v := range values {
		if p, ok := strings.CutPrefix(k, "n:"); ok && len(v) == 1 {
			if n, err := strconv.Atoi(v[0]); err == nil && n > 0 && n <= 20 {
				b.counts[p] = n
			}
		}
	}
	if add := values.Get("add"); add != "" {
		b.counts[add] = b.count(add) + 1
	}
	d := &formData{Office: name(o.Names, lang), Type: t.DisplayName(lang), TypeDesc: t.Description(lang), VCT: t.VCT,
		Action: h.prefix + o.Slug + "/offer", Back: h.prefix + o.Slug + "/", Reference: values.Get("reference"),
		TxCode: values.Get("tx_code") == "yes"}
	for _, f := range t.ClaimFields(lang) {
		if in, ok := b.input(f, "", f.Required); ok {
			d.Inputs = append(d.Inputs, in)
		}
	}
	for p, n := range b.counts {
		d.Counts = append(d.Counts, countField{Name: "n:" + p, Value: strconv.Itoa(n)})
	}
	sort.Slice(d.Counts, func(i, j int) bool { return d.Counts[i].Name < d.Counts[j].Name })
	if slices.Contains(o.JPT, t.VCT) {
		f := values.Get("format")
		d.Formats = []option{{Value: issuer.FormatSDJWTVC, Label: web.T(lang, "SD-JWT VC (the usual)"), Selected: f != issuer.FormatJPT},
			{Value: issuer.FormatJPT, Label: web.T(lang, "jpt: unlinkable, experimental"), Selected: f == issuer.FormatJPT}}
	}
	chosen := values.Get("evidence")
	for _, p := range t.EvidencePresetNames() {
		d.Presets = append(d.Presets, option{Value: p, Label: p, Selected: p == chosen})
	}
	// the summary: every error, linked to its input when it has one
	var ptrs []string
	for p := range errs {
		ptrs = append(ptrs, p)
	}
	sort.Strings(ptrs)
	for _, p := range ptrs {
		pl := problemLink{Label: b.labelOf(p), Message: errs[p]}
		pl.ID = b.used[p]
		d.Problems = append(d.Problems, pl)
	}
	return d
}

func (b *builder) count(ptr string) int {
	if n, ok := b.counts[ptr]; ok {
		return n
	}
	return 1
}

func inputID(ptr string) string {
	var sb strings.Builder
	sb.WriteString("c")
	for _, c := range ptr {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			sb.WriteRune(c)
		default:
			sb.WriteString("-")
		}
	}
	return sb.String()
}

// input makes the control of field f at the concrete pointer ptr
// (indices instead of "*"); ok is false for fields the form does not ask.
func (b *builder) input(f schemas.Field, parent string, required bool) (input, bool) {
	if f.Derived || len(f.Path) == 0 {
		return input{}, false
	}
	mname, _ := f.Path[len(f.Path)-1].(string)
	ptr := parent + "/" + claimpath.Escape(mname)
	in := input{Name: ptr, ID: inputID(ptr), Label: f.Label, Required: required, Value: b.values.Get(ptr)}
	switch f.Kind {
	case schemas.KindObject:
		in.Control = "group"
		for _, m := range f.Fields {
			if c, ok := b.input(m, ptr, required && m.Required); ok {
				in.Children = append(in.Children, c)
			}
		}
	case schemas.KindObjectArray:
		in.Control = "list"
		n := b.count(ptr)
		if f.MaxItems > 0 && n > f.MaxItems {
			n = f.MaxItems
		}
		for i := 0; i < n; i++ {
			var entry []input
			for _, m := range f.Fields {
				if c, ok := b.input(m, ptr+"/"+strconv.Itoa(i), m.Required && required && i == 0); ok {
					c.Label = fmt.Sprintf("%s %d › %s", f.Label, i+1, c.Label)
					entry = append(entry, c)
				}
			}
			in.Entries = append(in.Entries, entry)
		}
		in.CanAdd = f.MaxItems == 0 || n < f.MaxItems
	case schemas.KindBoolean:
		in.Control = "select"
		in.Options = []option{{Value: "", Label: web.T(b.lang, "(not given)")},
			{Value: "yes", Label: i18n.T(b.lang, "yes")}, {Value: "no", Label: i18n.T(b.lang, "no")}}
	case schemas.KindDate:
		if f.Precision != "" {
			in.Control = "text"
			in.Hint = i18n.T(b.lang, "[YYYY-MM-DD, or YYYY-MM or YYYY if not known]")
		} else {
			in.Control = "date"
		}
	case schemas.KindInteger, schemas.KindNumber, schemas.KindString:
		switch {
		case len(f.Enum) > 0:
			in.Control = "select"
			in.Options = append(in.Options, option{Value: "", Label: web.T(b.lang, "(not given)")})
			var opts []option
			for _, e := range f.Enum {
				label := e
				if v, err := f.ParseText(e, schemas.InputOptions{}); err == nil {
					if l, ok := b.t.AllowedValueLabel(f.Path, v, b.lang); ok && l != e {
						label = l + " (" + e + ")"
					}
				}
				opts = append(opts, option{Value: e, Label: label})
			}
			if len(f.Enum) > schemas.MaxNumberedChoices { // countries: by name
				sort.SliceStable(opts, func(i, j int) bool { return opts[i].Label < opts[j].Label })
			}
			in.Options = append(in.Options, opts...)
		case f.Kind == schemas.KindString:
			in.Control = "text"
		default:
			in.Control = "number"
			if f.Kind == schemas.KindInteger {
				in.Hint = i18n.T(b.lang, "[whole number]")
			} else {
				in.Hint = i18n.T(b.lang, "[number]")
			}
		}
	case schemas.KindStringArray:
		in.Control = "text"
		if len(f.Enum) > schemas.MaxNumberedChoices {
			in.Hint = i18n.T(b.lang, "[codes such as %s, separated by ;]", strings.Join(f.Enum[:3], ", "))
		} else {
			in.Hint = i18n.T(b.lang, "[several: separate with ;]")
		}
	default:
		return input{}, false
	}
	for i := range in.Options {
		in.Options[i].Selected = in.Options[i].Value == in.Value
	}
	if in.Hint != "" {
		in.HintID = in.ID + "-hint"
	}
	var msgs []string
	if msg, ok := b.errs[ptr]; ok && in.Control != "list" {
		msgs = append(msgs, msg)
		b.used[ptr] = in.ID
	}
	if f.Kind == schemas.KindStringArray { // an entry of the list typed in one text
		for p, msg := range b.errs {
			if rest, ok := strings.CutPrefix(p, ptr+"/"); ok {
				if n, err := strconv.Atoi(rest); err == nil {
					msgs = append(msgs, i18n.T(b.lang, "entry %d: %s", n+1, msg))
					b.used[p] = in.ID
				}
			}
		}
		sort.Strings(msgs)
	}
	if len(msgs) > 0 {
		in.Error, in.ErrorID = strings.Join(msgs, "; "), in.ID+"-error"
	}
	return in, true
}

// labelOf names a failing pointer with the labels of its fields.
func (b *builder) labelOf(ptr string) string {
	fields := b.t.ClaimFields(b.lang)
	toks := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	if ptr == "" {
		return i18n.T(b.lang, "(all claims)")
	}
	var parts []string
	for i := 0; i < len(toks); i++ {
		var f *schemas.Field
		for j := range fields {
			if n, _ := fields[j].Path[len(fields[j].Path)-1].(string); len(fields[j].Path) > 0 && n == toks[i] {
				f = &fields[j]
			}
		}
		if f == nil {
			if n, err := strconv.Atoi(toks[i]); err == nil && len(parts) > 0 {
				parts[len(parts)-1] += " " + strconv.Itoa(n+1)
				continue
			}
			parts = append(parts, toks[i])
			continue
		}
		parts = append(parts, f.Label)
		fields = f.Fields
	}
	return strings.Join(parts, " › ")
}

// ---- making the offer ----

type offerData struct {
	Office, Type, Handle, TxCode, Expires, URI, Back, Again string
	QR                                                      template.URL
	// JPT: the offer is of the experimental jpt format.
	JPT bool
}

func (h *Handler) makeOffer(w http.ResponseWriter, r *http.Request, o *office) {
	if err := r.ParseForm(); err != nil {
		h.home(w, r, o, web.T(web.Lang(r), "The form could not be read. Please try again."))
		return
	}
	lang := web.Lang(r)
	t := h.lookupType(o, r.PostForm.Get("vct"))
	if t == nil {
		h.home(w, r, o, web.T(lang, "Choose one of the credential types below."))
		return
	}
	values := r.PostForm
	if values.Get("add") != "" { // another entry of a list: show the form again
		h.render(w, r, "form", "Make an offer", http.StatusOK, h.newForm(r, o, t, values, nil))
		return
	}
	var texts []schemas.ClaimText
	for k, vs := range values {
		if !strings.HasPrefix(k, "/") || len(vs) != 1 || strings.TrimSpace(vs[0]) == "" {
			continue
		}
		texts = append(texts, schemas.ClaimText{Path: claimPath(k), Text: vs[0]})
	}
	sort.Slice(texts, func(i, j int) bool { return fmt.Sprint(texts[i].Path) < fmt.Sprint(texts[j].Path) })
	fail := func(errs map[string]string, problem string) {
		f := h.newForm(r, o, t, values, errs)
		f.Problem = problem
		h.render(w, r, "form", "Make an offer", http.StatusUnprocessableEntity, f)
	}
	var format string // the issuer's default, SD-JWT VC
	switch f := values.Get("format"); {
	case f == "" || f == issuer.FormatSDJWTVC:
	case f == issuer.FormatJPT && slices.Contains(o.JPT, t.VCT):
		format = issuer.FormatJPT
	default:
		fail(nil, web.T(lang, "Choose one of the listed formats."))
		return
	}
	claims, err := t.ClaimsFromText(texts, schemas.InputOptions{})
	var ve *schemas.ValidationError
	if errors.As(err, &ve) {
		// typing stops before the schema's check: say also which
		// required answers are missing, so one round fixes all
		ps := ve.Problems
		for _, f := range t.ClaimFields(lang) {
			if f.Required && !f.Derived && f.Kind != schemas.KindObject && f.Kind != schemas.KindObjectArray &&
				strings.TrimSpace(values.Get(f.Pointer)) == "" {
				ps = append(ps, schemas.Problem{Pointer: f.Pointer, Message: "is required"})
			}
		}
		fail(problemsByPointer(lang, ps), web.T(lang, "Some answers need fixing: see the list below."))
		return
	}
	if err != nil {
		server.Logger(r.Context()).Error("desk: typing claims", "err", err)
		fail(nil, web.T(lang, "The answers could not be read. Please try again."))
		return
	}
	req := issuer.OfferRequest{VCT: t.VCT, Claims: claims, TxCode: values.Get("tx_code") == "yes",
		Reference: strings.TrimSpace(values.Get("reference")), Format: format}
	if p := values.Get("evidence"); p != "" {
		ev, err := t.EvidencePreset(p)
		if err != nil {
			fail(nil, web.T(lang, "Choose one of the listed kinds of evidence."))
			return
		}
		req.Evidence = &ev
	}
	offer, err := o.Admin.CreateOffer(r.Context(), req)
	var ive *issuer.ValidationError
	switch {
	case errors.As(err, &ive):
		fail(problemsByPointer(lang, ive.Problems), web.T(lang, "Some answers need fixing: see the list below."))
		return
	case errors.Is(err, issuer.ErrEvidenceAboveCap):
		fail(nil, web.T(lang, "The registry does not allow this office to claim this much evidence for this type: choose another kind of evidence."))
		return
	case errors.Is(err, issuer.ErrRegistryExpired):
		fail(nil, web.T(lang, "The trust registry this office uses is out of date, so no offer can be made. Ask the administrator to publish a fresh one."))
		return
	case errors.Is(err, issuer.ErrNotAuthorized):
		fail(nil, web.T(lang, "The registry does not authorize this office to issue this type."))
		return
	case errors.Is(err, issuer.ErrInvalidOffer):
		fail(nil, web.T(lang, "The offer was refused: check the reference and the answers."))
		return
	case err != nil:
		server.Logger(r.Context()).Error("desk: creating an offer", "office", o.Slug, "err", err)
		fail(nil, web.T(lang, "The offer could not be made. Please try again."))
		return
	}
	png, err := qr.Encode(offer.URI, qr.LevelMedium)
	if err != nil {
		server.Logger(r.Context()).Error("desk: QR code", "err", err)
	}
	d := offerData{Office: name(o.Names, lang), Type: t.DisplayName(lang), Handle: offer.Handle, TxCode: offer.TxCode,
		Expires: i18n.DateTime(lang, offer.ExpiresAt.In(h.loc)), URI: offer.URI, Back: h.prefix + o.Slug + "/",
		Again: h.prefix + o.Slug + "/offer?type=" + url.QueryEscape(t.VCT), JPT: req.Format == issuer.FormatJPT}
	if png != nil {
		// a data: URL of a PNG the server just made, not of input
		d.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)) //nolint:gosec
	}
	h.render(w, r, "offer", "Offer ready", http.StatusCreated, d)
}

// claimPath turns an input's pointer into a ClaimText path: array
// indexes as ints.
func claimPath(ptr string) []any {
	var p []any
	for _, tok := range claimpath.Tokens(ptr) {
		if n, ok := claimpath.Index(tok); ok {
			p = append(p, n)
			continue
		}
		p = append(p, tok)
	}
	return p
}

// problemsByPointer keys the problems by the pointer of their input: an
// entry of a list typed in one text belongs to the list's input.
func problemsByPointer(lang string, ps []schemas.Problem) map[string]string {
	out := map[string]string{}
	for _, p := range ps {
		ptr, msg := p.Pointer, i18n.Problem(lang, p.Message)
		add := func(k, m string) {
			if prev, ok := out[k]; ok && !slices.Contains(strings.Split(prev, "; "), m) {
				m = prev + "; " + m
			}
			out[k] = m
		}
		add(ptr, msg)
	}
	return out
}

// NavLabel and NavDescription are the desk's entry in the site's
// navigation (keys of the page strings, for web.Site.Mount).
const (
	NavLabel       = "Issuer desk"
	NavDescription = "Make offers of credentials and cancel pending ones."
)
