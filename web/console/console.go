// Package console is the caseworker console page (issue 12, DESIGN.md §1
// flows 2 and 3, §8), served next to the verifier: the caseworker
// chooses a purpose and shows its QR code; the result appears by itself
// (the page long-polls): a verdict at a glance (valid, could not check,
// untrusted, revoked, expired, needs review, not valid), the assurance
// profile met or what is missing, each credential with its issuer, date
// and disclosed claims with their labels from the catalogue, and a
// timeline of the presented attestations; an offline check of a
// proximity QR code by camera or image upload; and a reviewed decision
// with a reason.
//
// The page's script calls only this origin: its calls under
// /caseworker/api/console/… are forwarded in process to the verifier's
// console API (verifier/api.NewConsole; docs in that package) after the
// CSRF check, and results gain "claim_labels" (claim name → label in the
// page's language). Mount it only where caseworkers are, as the console
// API itself.
package console

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/cairn-id/cairn/internal/claimpath"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/schemas"
	"github.com/cairn-id/cairn/web"
)

//go:embed templates
var files embed.FS

// NavLabel and NavDescription are the page's entry in the site's
// navigation (keys of the page strings).
const (
	NavLabel       = "Caseworker console"
	NavDescription = "Ask a person to show credentials and see the result."
)

// MaxUpload bounds an uploaded image of a proximity QR code.
const MaxUpload = 4 << 20

// Config configures a Handler.
type Config struct {
	// Prefix is where the page is mounted ("/caseworker/" when empty).
	Prefix string
	// API is the verifier's console API handler.
	API http.Handler
	// Catalogue labels disclosed claims (nil: names are shown).
	Catalogue *schemas.Catalogue
}

// Handler serves the console page.
type Handler struct {
	prefix string
	api    http.Handler
	cat    *schemas.Catalogue
	pages  web.Pages
}

// New returns a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.API == nil {
		return nil, errors.New("console: the verifier's console API handler is needed")
	}
	h := &Handler{prefix: cfg.Prefix, api: cfg.API, cat: cfg.Catalogue}
	if h.prefix == "" {
		h.prefix = "/caseworker/"
	}
	p, err := web.Templates(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	h.pages = p
	return h, nil
}

// scriptStrings are the texts console.js shows.
var scriptStrings = []string{
	"Something went wrong. Please try again.", "Waiting for the person to answer…", "Ask the person to scan this code with their wallet.",
	"Valid", "Could not check", "Untrusted", "Revoked", "Expired", "Needs review", "Not valid", "The person declined.",
	"Profile met: %s", "No profile met. Closest: %s", "Missing", "Issued on %s", "by %s", "Timeline", "Credentials",
	"Decision recorded.", "Choose a purpose.", "Offline check", "Bundle of %s", "This code is not the one asked for.",
	"accepted", "rejected", "Advice (eIDAS): %s", "Distinct issuers: %d", "Identity", "Start again",
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, h.prefix)
	if !ok {
		web.NotFound(w, r)
		return
	}
	if api, ok := strings.CutPrefix(rest, "api/"); ok {
		h.forward(w, r, "/"+api)
		return
	}
	if rest != "" {
		web.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		web.ErrorPage(w, r, http.StatusMethodNotAllowed, "Not possible here", "This address does not take this kind of request.")
		return
	}
	web.Render(w, r, h.pages, "console", web.Page{Title: "Caseworker console", Scripts: []string{"console.js"}, Strings: scriptStrings})
}

// routes the page may call: method and path shape.
func allowed(method, path string) bool {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	switch {
	case method == "GET" && path == "/console/purposes":
		return true
	case method == "POST" && path == "/console/sessions":
		return true
	case method == "POST" && path == "/console/check":
		return true
	case len(parts) == 4 && parts[0] == "console" && parts[1] == "sessions" && parts[2] != "" && !strings.ContainsAny(parts[2], ".%"):
		return method == "GET" && parts[3] == "result" || method == "POST" && parts[3] == "review"
	}
	return false
}

func (h *Handler) forward(w http.ResponseWriter, r *http.Request, path string) {
	if !allowed(r.Method, path) {
		server.WriteError(w, r, &server.Error{Status: http.StatusNotFound, Code: server.CodeNotFound, Message: "no such endpoint"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxUpload))
	if err != nil {
		server.WriteError(w, r, &server.Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "the image is too large"})
		return
	}
	lang := web.Lang(r)
	q := r.URL.Query()
	q.Set("lang", lang)
	req, err := http.NewRequestWithContext(r.Context(), r.Method, path+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		server.WriteError(w, r, &server.Error{Status: http.StatusNotFound, Code: server.CodeNotFound, Message: "no such endpoint"})
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	ans := web.Ask(h.api, r, req)
	if ans.Code == http.StatusCreated && path == "/console/sessions" || ans.Code == http.StatusOK && (strings.HasSuffix(path, "/result") || path == "/console/check") {
		if b, err := h.withLabels(ans.Body.Bytes(), lang); err == nil {
			ans.Body.Reset()
			ans.Body.Write(b)
		}
	}
	ans.Relay(w)
}

// anyLabel is the label of the claim at JSON pointer ptr in the first
// catalogue type that has one (the desk's over-asking names claims, not
// a type); the pointer's last name when none has.
func (h *Handler) anyLabel(ptr, lang string) string {
	var path []any
	for _, s := range claimpath.Tokens(ptr) {
		path = append(path, s)
	}
	bare := ""
	if len(path) > 0 {
		bare, _ = path[len(path)-1].(string)
	}
	for _, t := range h.cat.Types() {
		if l := t.Label(path, lang); l != bare {
			return l
		}
	}
	return bare
}

// withLabels adds claim_labels to each credential of a result, and to
// its over_asking (claim pointer → label).
func (h *Handler) withLabels(b []byte, lang string) ([]byte, error) {
	if h.cat == nil {
		return b, nil
	}
	var res map[string]any
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, err
	}
	if o, _ := res["over_asking"].(map[string]any); o != nil {
		labels := map[string]string{}
		claims, _ := o["claims"].([]any)
		for _, c := range claims {
			if ptr, ok := c.(string); ok {
				labels[ptr] = h.anyLabel(ptr, lang)
			}
		}
		o["claim_labels"] = labels
	}
	creds, _ := res["credentials"].([]any)
	for _, c := range creds {
		cm, _ := c.(map[string]any)
		vct, _ := cm["vct"].(string)
		claims, _ := cm["claims"].(map[string]any)
		t, err := h.cat.Resolve(vct)
		if err != nil || claims == nil {
			continue
		}
		labels := map[string]string{}
		for name := range claims {
			labels[name] = t.Label([]any{name}, lang)
		}
		cm["claim_labels"] = labels
	}
	return json.Marshal(res)
}
