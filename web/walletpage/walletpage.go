// Package walletpage is the wallet page (issue 12), served next to the
// wallet agent: a holder creates a wallet with a PIN (the recovery code
// is shown once, with a printable card), unlocks it, scans a QR code
// with the camera where the browser has BarcodeDetector, uploads a photo
// of one (decoded here, on the server) or pastes its text, reviews and
// accepts an offer, sees the credential list and the timeline of the
// accreting identity, answers a verifier on a consent screen that shows
// exactly which claims leave and flags over-asking, reads the consent
// log, exports the wallet, changes the PIN and wipes the wallet.
//
// The page talks only to its own origin. The wallet agent's API
// (docs/wallet-api.md) wants a bearer token and a device secret the
// holder's app keeps; in a browser, this package keeps both out of page
// script: the device secret (with the holder id) and the session's
// bearer token live in cookies sealed with AES-256-GCM (HttpOnly,
// SameSite=Strict, Path=/wallet/, Secure over TLS), and the page's JSON
// calls under /wallet/api/ are forwarded in process to the agent's
// handler with the token added. Every call that changes something
// carries the CSRF token (web/session). Routes, under the prefix
// (/wallet/ by default):
//
//	GET  /wallet/                the page
//	POST /wallet/create          {pin, lang} → {recovery_code}; creates, logs in
//	POST /wallet/login           {pin}
//	POST /wallet/logout
//	POST /wallet/recover         {recovery_code, new_pin}
//	POST /wallet/pin             {pin, new_pin}
//	POST /wallet/wipe            ends the wallet and forgets this browser
//	POST /wallet/scan            multipart "photo" (PNG or JPEG) → {text}
//	*    /wallet/api/v1/…        the agent's holder routes, forwarded
package walletpage

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/qr"
	"github.com/cairn-id/cairn/internal/seal"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/web"
)

//go:embed templates
var files embed.FS

// NavLabel and NavDescription are the page's entry in the site's
// navigation (keys of the page strings).
const (
	NavLabel       = "Wallet"
	NavDescription = "Keep your credentials and choose what you share."
)

// Cookie names and bounds.
const (
	DeviceCookie = "cairn_wallet_device"
	TokenCookie  = "cairn_wallet_token"
	// MaxPhoto bounds an uploaded photo of a QR code.
	MaxPhoto = 8 << 20
	// MaxForward bounds a forwarded request body (the agent's own
	// bounds are lower, but for an import).
	MaxForward = 4 << 20
)

// Config configures a Handler.
type Config struct {
	// Prefix is where the page is mounted ("/wallet/" when empty).
	Prefix string
	// API is the wallet agent's handler (wallet/api.Handler).
	API http.Handler
	// Key seals the cookies (≥ 32 random bytes, out of any store).
	Key []byte
	// Rand makes device secrets (nil: crypto/rand).
	Rand io.Reader
	// Now is the clock of the cookies' lifetimes (nil: time.Now).
	Now func() time.Time
}

// Handler serves the wallet page.
type Handler struct {
	prefix string
	api    http.Handler
	box    *seal.Box
	rand   io.Reader
	now    func() time.Time
	pages  web.Pages
}

// New checks cfg and returns a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.API == nil || len(cfg.Key) < 32 {
		return nil, errors.New("walletpage: the agent's handler and a key of at least 32 bytes are needed")
	}
	h := &Handler{prefix: cfg.Prefix, api: cfg.API, rand: cfg.Rand, now: cfg.Now}
	if h.prefix == "" {
		h.prefix = "/wallet/"
	}
	if h.rand == nil {
		h.rand = rand.Reader
	}
	if h.now == nil {
		h.now = time.Now
	}
	mac := hmac.New(sha256.New, cfg.Key)
	mac.Write([]byte("cairn wallet page cookies v1"))
	var err error
	if h.box, err = seal.New(mac.Sum(nil), nil); err != nil {
		return nil, err
	}
	if h.pages, err = web.Templates(files, "templates/*.html"); err != nil {
		return nil, err
	}
	return h, nil
}

// ---- sealed cookies ----

var b64 = base64.RawURLEncoding

func (h *Handler) seal(name string, v any) (string, error) {
	pt, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	sealed, err := h.box.Seal(pt, []byte(name))
	if err != nil {
		return "", err
	}
	return b64.EncodeToString(sealed), nil
}

func (h *Handler) open(r *http.Request, name string, v any) bool {
	c, err := r.Cookie(name)
	if err != nil || len(c.Value) > 4096 {
		return false
	}
	b, err := b64.DecodeString(c.Value)
	if err != nil {
		return false
	}
	pt, err := h.box.Open(b, []byte(name))
	if err != nil {
		return false
	}
	return json.Unmarshal(pt, v) == nil
}

func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, name string, v any, expires time.Time) error {
	val, err := h.seal(name, v)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: val, Path: h.prefix, Expires: expires, MaxAge: int(expires.Sub(h.now()) / time.Second),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	return nil
}

func (h *Handler) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: h.prefix, MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// device is what the browser keeps in place of the app.
type device struct {
	HolderID string `json:"h"`
	Secret   string `json:"s"`
}

type token struct {
	Token string    `json:"t"`
	Exp   time.Time `json:"e"`
}

// ---- routes ----

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
	if rest == "" {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			web.ErrorPage(w, r, http.StatusMethodNotAllowed, "Not possible here", "This address does not take this kind of request.")
			return
		}
		h.page(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeErr(w, r, http.StatusMethodNotAllowed, server.CodeMethodNotAllowed, "use POST")
		return
	}
	switch rest {
	case "create":
		h.create(w, r)
	case "login":
		h.login(w, r)
	case "logout":
		h.logout(w, r)
	case "recover":
		h.recover(w, r)
	case "pin":
		h.changePIN(w, r)
	case "wipe":
		h.wipe(w, r)
	case "scan":
		h.scan(w, r)
	default:
		writeErr(w, r, http.StatusNotFound, server.CodeNotFound, "no such endpoint")
	}
}

func writeErr(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	server.WriteError(w, r, &server.Error{Status: status, Code: code, Message: msg})
}

type pageData struct {
	State string // new, locked or open
}

// Strings the page's script shows.
var scriptStrings = []string{
	"Something went wrong. Please try again.",
	"The PIN must be 4 to 8 digits.", "The two PINs are not the same.",
	"Scanning…", "No QR code was found in this photo. Try again closer, with more light.",
	"The camera could not be opened. Upload a photo or paste the text instead.",
	"This is not a code Cairn can read.",
	"From", "You will receive", "The information in it", "Registered issuer", "This issuer is not in the trust registry.",
	"I understand: accept anyway", "Received: %s", "Nothing shared yet.", "Nothing received yet.",
	"%s asks for", "Purpose: %s",
	"Sent to %s.", "Refused: nothing was sent.", "Registered verifier", "Not registered", "More than its purpose needs", "You cannot answer: these are missing: %s",
	"Received", "Shared", "Refused", "issued by %s", "valid", "expired", "not valid yet", "unknown",
	"revoked", "suspended", "just now", "%d minutes ago", "%d hours ago", "%d days ago", "Checked with the issuer %s.",
	"Could not check with the issuer now.", "Could not check with the issuer now. Last known: %s, %s.",
	"What your credentials say, and since when", "The consent log is intact (%s entries).", "The consent log was changed at entry %s.",
	"PIN changed.", "Your wallet file is ready.", "Enter the passphrase to protect the file (at least 12 characters).",
	"Wipe this wallet? All credentials are deleted. This cannot be undone.",
	"unlinkable, not bound to you",
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	state := "new"
	var d device
	if h.open(r, DeviceCookie, &d) {
		state = "locked"
		var t token
		if h.open(r, TokenCookie, &t) && h.now().Before(t.Exp) {
			state = "open"
		}
	}
	web.Render(w, r, h.pages, "wallet", web.Page{Title: "Wallet", Scripts: []string{"wallet.js"}, Strings: scriptStrings, Data: pageData{State: state}})
}

// call sends one request to the agent and returns its answer.
func (h *Handler) call(r *http.Request, method, path, bearer string, body any) *web.Answer {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(r.Context(), method, path, rd)
	if err != nil {
		return &web.Answer{Code: http.StatusInternalServerError}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return web.Ask(h.api, r, req)
}

func relay(w http.ResponseWriter, rec *web.Answer) { rec.Relay(w) }

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := server.DecodeJSON(w, r, 8<<10, v); err != nil {
		server.WriteError(w, r, err)
		return false
	}
	return true
}

func (h *Handler) newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(h.rand, b); err != nil {
		return "", err
	}
	return b64.EncodeToString(b), nil
}

// keepDevice keeps the holder id and the device secret in this browser's
// device cookie, for five years.
func (h *Handler) keepDevice(w http.ResponseWriter, r *http.Request, holderID, secret string) error {
	return h.setCookie(w, r, DeviceCookie, device{HolderID: holderID, Secret: secret}, h.now().AddDate(5, 0, 0))
}

// session keeps the bearer token of a login answer in its cookie.
func (h *Handler) session(w http.ResponseWriter, r *http.Request, rec *web.Answer) (holderID string, ok bool) {
	var s struct {
		Token     string    `json:"token"`
		HolderID  string    `json:"holder_id"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil || s.Token == "" {
		return "", false
	}
	if err := h.setCookie(w, r, TokenCookie, token{Token: s.Token, Exp: s.ExpiresAt}, s.ExpiresAt); err != nil {
		return "", false
	}
	return s.HolderID, true
}

func internalErr(w http.ResponseWriter, r *http.Request, err error) {
	server.WriteError(w, r, &server.Error{Status: http.StatusInternalServerError, Code: server.CodeInternal, Message: "internal error", Cause: err})
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) {
	var req struct {
		PIN  string `json:"pin"`
		Lang string `json:"lang"`
	}
	if !decode(w, r, &req) {
		return
	}
	secret, err := h.newSecret()
	if err != nil {
		internalErr(w, r, err)
		return
	}
	rec := h.call(r, "POST", "/v1/holders", "", map[string]string{"pin": req.PIN, "device_secret": secret, "lang": req.Lang})
	if rec.Code != http.StatusCreated {
		relay(w, rec)
		return
	}
	var c struct {
		HolderID     string `json:"holder_id"`
		RecoveryCode string `json:"recovery_code"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil {
		internalErr(w, r, err)
		return
	}
	if err := h.keepDevice(w, r, c.HolderID, secret); err != nil {
		internalErr(w, r, err)
		return
	}
	login := h.call(r, "POST", "/v1/sessions", "", map[string]string{"holder_id": c.HolderID, "pin": req.PIN, "device_secret": secret})
	if login.Code == http.StatusCreated {
		h.session(w, r, login)
	}
	w.Header().Set("Cache-Control", "no-store")
	server.WriteJSON(w, http.StatusCreated, map[string]string{"recovery_code": c.RecoveryCode})
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	var req struct {
		PIN string `json:"pin"`
	}
	if !decode(w, r, &req) {
		return
	}
	var d device
	if !h.open(r, DeviceCookie, &d) {
		writeErr(w, r, http.StatusConflict, "no_wallet", "this browser holds no wallet: create one or recover yours")
		return
	}
	rec := h.call(r, "POST", "/v1/sessions", "", map[string]string{"holder_id": d.HolderID, "pin": req.PIN, "device_secret": d.Secret})
	if rec.Code != http.StatusCreated {
		relay(w, rec)
		return
	}
	h.session(w, r, rec)
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) bearer(r *http.Request) string {
	var t token
	if h.open(r, TokenCookie, &t) {
		return t.Token
	}
	return ""
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if b := h.bearer(r); b != "" {
		h.call(r, "DELETE", "/v1/sessions/current", b, nil)
	}
	h.clearCookie(w, r, TokenCookie)
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) recover(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RecoveryCode string `json:"recovery_code"`
		NewPIN       string `json:"new_pin"`
	}
	if !decode(w, r, &req) {
		return
	}
	secret, err := h.newSecret()
	if err != nil {
		internalErr(w, r, err)
		return
	}
	rec := h.call(r, "POST", "/v1/recover", "", map[string]string{"recovery_code": req.RecoveryCode, "new_pin": req.NewPIN, "new_device_secret": secret})
	if rec.Code != http.StatusOK {
		relay(w, rec)
		return
	}
	holder, ok := h.session(w, r, rec)
	if !ok {
		internalErr(w, r, errors.New("walletpage: recovery answer without a session"))
		return
	}
	if err := h.keepDevice(w, r, holder, secret); err != nil {
		internalErr(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) changePIN(w http.ResponseWriter, r *http.Request) {
	var req struct {
		PIN    string `json:"pin"`
		NewPIN string `json:"new_pin"`
	}
	if !decode(w, r, &req) {
		return
	}
	var d device
	if !h.open(r, DeviceCookie, &d) {
		writeErr(w, r, http.StatusConflict, "no_wallet", "this browser holds no wallet")
		return
	}
	rec := h.call(r, "PUT", "/v1/holder/pin", h.bearer(r), map[string]string{"pin": req.PIN, "device_secret": d.Secret, "new_pin": req.NewPIN})
	if rec.Code/100 != 2 {
		relay(w, rec)
		return
	}
	h.session(w, r, rec)
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) wipe(w http.ResponseWriter, r *http.Request) {
	rec := h.call(r, "DELETE", "/v1/holder", h.bearer(r), nil)
	if rec.Code/100 != 2 {
		relay(w, rec)
		return
	}
	h.clearCookie(w, r, TokenCookie)
	h.clearCookie(w, r, DeviceCookie)
	w.WriteHeader(http.StatusNoContent)
}

// scan decodes the QR code in an uploaded photo (PNG or JPEG).
func (h *Handler) scan(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxPhoto)
	f, _, err := r.FormFile("photo")
	if err != nil {
		writeErr(w, r, http.StatusBadRequest, "invalid_request", "send the photo as the form field \"photo\"")
		return
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxPhoto))
	if err != nil {
		writeErr(w, r, http.StatusRequestEntityTooLarge, "too_large", "the photo is too large")
		return
	}
	text, err := decodePhoto(b)
	if err != nil {
		server.Logger(r.Context()).Info("walletpage: no QR code in an uploaded photo", "err", err)
		writeErr(w, r, http.StatusUnprocessableEntity, "no_code", "no QR code was found in this photo")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	server.WriteJSON(w, http.StatusOK, map[string]string{"text": text})
}

// decodePhoto reads a PNG as is; a JPEG (a phone's photo) is bounded,
// scaled down to fit qr.MaxImageSide and handed over as PNG.
func decodePhoto(b []byte) (string, error) {
	if bytes.HasPrefix(b, []byte("\x89PNG")) {
		return qr.Decode(b)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > 12000 || cfg.Height > 12000 || cfg.Width*cfg.Height > 50_000_000 {
		return "", qr.ErrImageTooLarge
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	img = shrink(img, 1600)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", err
	}
	return qr.Decode(buf.Bytes())
}

// shrink scales img down (nearest neighbour) so its longer side is at
// most side pixels.
func shrink(img image.Image, side int) image.Image {
	b := img.Bounds()
	long := max(b.Dx(), b.Dy())
	if long <= side {
		return img
	}
	w, hgt := b.Dx()*side/long, b.Dy()*side/long
	out := image.NewGray(image.Rect(0, 0, w, hgt))
	for y := 0; y < hgt; y++ {
		for x := 0; x < w; x++ {
			out.Set(x, y, img.At(b.Min.X+x*long/side, b.Min.Y+y*long/side))
		}
	}
	return out
}

// forwarded lists the agent's routes the page may call, by method.
var forwarded = []struct{ method, prefix string }{
	{"GET", "/v1/credentials"}, {"DELETE", "/v1/credentials/"}, {"GET", "/v1/timeline"},
	{"GET", "/v1/log"}, {"POST", "/v1/export"}, {"POST", "/v1/offers"}, {"POST", "/v1/requests"},
	{"POST", "/v1/proximity"}, {"GET", "/v1/holder/settings"}, {"PUT", "/v1/holder/settings"},
	{"GET", "/v1/holder/keys"}, {"POST", "/v1/holder/keys/refresh"},
}

// forward sends the page's call to the agent with the session's token.
func (h *Handler) forward(w http.ResponseWriter, r *http.Request, path string) {
	allowed := false
	for _, f := range forwarded {
		if r.Method == f.method && (path == f.prefix || strings.HasPrefix(path, f.prefix+"/") || strings.HasSuffix(f.prefix, "/") && strings.HasPrefix(path, f.prefix)) {
			allowed = true
		}
	}
	if !allowed || strings.Contains(path, "..") {
		writeErr(w, r, http.StatusNotFound, server.CodeNotFound, "no such endpoint")
		return
	}
	bearer := h.bearer(r)
	if bearer == "" {
		writeErr(w, r, http.StatusUnauthorized, "session_expired", "enter your PIN again")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxForward))
	if err != nil {
		writeErr(w, r, http.StatusRequestEntityTooLarge, "too_large", "too large")
		return
	}
	target := path
	if q := r.URL.Query().Get("lang"); q != "" {
		target += "?lang=" + web.Lang(r)
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, target, bytes.NewReader(body))
	if err != nil {
		writeErr(w, r, http.StatusNotFound, server.CodeNotFound, "no such endpoint")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	rec := web.Ask(h.api, r, req)
	if rec.Code == http.StatusUnauthorized {
		h.clearCookie(w, r, TokenCookie)
	}
	relay(w, rec)
}
