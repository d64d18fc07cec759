package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/qr"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/verifier"
)

// CreateSessionRequest is the body of POST /console/sessions.
type CreateSessionRequest struct {
	Purpose string `json:"purpose"`
	// ResponseMode is direct_post or direct_post.jwt ("" = the default).
	ResponseMode string `json:"response_mode,omitempty"`
	// RequestURIMethod "post" asks the wallet to POST with wallet_nonce.
	RequestURIMethod string `json:"request_uri_method,omitempty"`
	// SameDevice: the wallet's answer is followed by a redirect with a
	// one-time response_code, which alone releases the result on the
	// public POST /result/{id}.
	SameDevice bool `json:"same_device,omitempty"`
}

// CreateSessionResponse answers it: the request, and its QR as a PNG
// data URL.
type CreateSessionResponse struct {
	verifier.Request
	QRPNG string `json:"qr_png"`
}

// PurposeInfo is one purpose as GET /console/purposes lists it.
type PurposeInfo struct {
	ID     string            `json:"id"`
	Names  map[string]string `json:"names"`
	Policy string            `json:"assurance_policy"`
	// Retention is how long results are kept, e.g. "24h0m0s".
	Retention string `json:"retention"`
}

// Console serves the caseworker console API.
type Console struct {
	*server.Router
	h    *Handler
	opts Options
}

// NewConsole returns the caseworker console API:
//
//	GET  /console/purposes               the purposes
//	POST /console/sessions               create a session {purpose} → URI, QR PNG, id
//	GET  /console/sessions/{id}/result   the result (?wait=30s long-polls, ?lang=fr)
//	POST /console/sessions/{id}/review   record a reviewed decision
//	POST /console/check                  offline check of a proximity QR image (image/png, ?challenge=, ?accept_stale=1)
//	GET  /openapi.json                   docs/verifier-api.json (both APIs)
//	GET  /healthz, /readyz
//
// Serve it on a listener only caseworkers reach (loopback, the admin
// socket, or behind the operator's authentication): it creates sessions
// and shows results.
func NewConsole(svc *verifier.Service, opts Options) (*Console, error) {
	reg, now := defaults(&opts)
	opts.Metrics = reg
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	rt, err := server.NewRouter(server.RouterConfig{Namespace: MetricsNamespace + "_console", Metrics: reg, Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	h := &Handler{Router: rt, svc: svc, m: m}
	c := &Console{Router: rt, h: h, opts: opts}
	ns := server.NoStore()
	lim := h.limited("console", opts.ConsoleLimit, DefaultConsolePerMinute, DefaultConsoleBurst, opts, now)
	post := server.Methods(http.MethodPost)
	rt.HandleFunc("console_purposes", "/console/purposes", c.purposes, ns, lim)
	rt.HandleFunc("console_create", "/console/sessions", c.create, ns, post, lim)
	rt.HandleFunc("console_result", "/console/sessions/{id}/result", c.result, ns, lim)
	rt.HandleFunc("console_review", "/console/sessions/{id}/review", c.review, ns, post, lim)
	rt.HandleFunc("console_check", "/console/check", c.check, ns, post, lim)
	rt.HandleFunc("openapi", "/openapi.json", serveOpenAPI, ns)
	rt.HandleHealth(server.Check{Name: "store", Fn: svc.Ready})
	return c, nil
}

func (c *Console) purposes(w http.ResponseWriter, r *http.Request) {
	ps := c.h.svc.Purposes()
	out := []PurposeInfo{}
	for _, id := range ps.IDs() {
		p := ps[id]
		out = append(out, PurposeInfo{ID: p.ID, Names: p.Names, Policy: p.Policy, Retention: time.Duration(p.Retention).String()})
	}
	server.WriteJSON(w, http.StatusOK, out)
}

func (c *Console) create(w http.ResponseWriter, r *http.Request) {
	var req CreateSessionRequest
	if err := server.DecodeJSON(w, r, MaxConsoleBody, &req); err != nil {
		server.WriteError(w, r, err)
		return
	}
	if req.RequestURIMethod != "" && req.RequestURIMethod != "get" && req.RequestURIMethod != "post" {
		server.WriteError(w, r, server.Errorf(http.StatusBadRequest, server.CodeInvalidRequest, "request_uri_method must be get or post"))
		return
	}
	out, err := c.h.svc.CreateSession(r.Context(), req.Purpose, verifier.CreateOptions{ResponseMode: req.ResponseMode, PostRequestURI: req.RequestURIMethod == "post", SameDevice: req.SameDevice})
	if err != nil {
		c.h.fail(w, r, err)
		return
	}
	c.h.m.sessions.Inc()
	if out.OverAsking != nil {
		out.OverAsking.Message = verifier.Message(out.OverAsking.Code, lang(r))
	}
	png, err := qr.Encode(out.URI, qr.LevelMedium)
	if err != nil {
		c.h.fail(w, r, err)
		return
	}
	server.WriteJSON(w, http.StatusCreated, CreateSessionResponse{Request: *out, QRPNG: pngDataURL(png)})
}

func (c *Console) result(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validID(id) {
		c.h.fail(w, r, &verifier.Error{Code: verifier.CodeSessionNotFound})
		return
	}
	var wait time.Duration
	if s := r.URL.Query().Get("wait"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			server.WriteError(w, r, server.Errorf(http.StatusBadRequest, server.CodeInvalidRequest, "wait must be a duration such as 30s"))
			return
		}
		wait = min(d, MaxWait)
	}
	var res *verifier.Result
	var err error
	if wait > 0 {
		res, err = c.h.svc.WaitResult(r.Context(), id, wait, time.Second)
	} else {
		res, err = c.h.svc.Result(r.Context(), id)
	}
	if errors.Is(err, context.Canceled) {
		return
	}
	if err != nil {
		c.h.fail(w, r, err)
		return
	}
	res.Localize(lang(r))
	server.WriteJSON(w, http.StatusOK, res)
}

func (c *Console) review(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validID(id) {
		c.h.fail(w, r, &verifier.Error{Code: verifier.CodeSessionNotFound})
		return
	}
	var d verifier.ReviewedDecision
	if err := server.DecodeJSON(w, r, MaxConsoleBody, &d); err != nil {
		server.WriteError(w, r, err)
		return
	}
	out, err := c.h.svc.RecordReview(r.Context(), id, d)
	if errors.Is(err, verifier.ErrReview) {
		server.WriteError(w, r, &server.Error{Status: http.StatusBadRequest, Code: "invalid_review", Message: strings.TrimPrefix(err.Error(), "verifier: invalid review: "), Cause: err})
		return
	}
	if err != nil {
		c.h.fail(w, r, err)
		return
	}
	server.WriteJSON(w, http.StatusOK, out)
}

// check verifies the proximity QR in an uploaded PNG against the server's
// offline bundle, with no network.
func (c *Console) check(w http.ResponseWriter, r *http.Request) {
	if mt := mediaType(r); mt != "image/png" && mt != "application/octet-stream" {
		server.WriteError(w, r, server.Errorf(http.StatusUnsupportedMediaType, server.CodeMediaType, "send the image as image/png"))
		return
	}
	body, err := readAllMax(w, r, MaxImageBody)
	if err != nil {
		server.WriteError(w, r, err)
		return
	}
	l := lang(r)
	bundle := c.opts.Bundle
	if bundle == nil || bundle() == nil {
		c.h.fail(w, r, &verifier.Error{Code: verifier.CodeBundleInvalid})
		return
	}
	text, derr := qr.Decode(body)
	if derr != nil {
		c.h.fail(w, r, &verifier.Error{Code: verifier.CodeNoQR, Err: derr})
		return
	}
	res, err := c.h.svc.CheckProximity(r.Context(), text, bundle(), r.URL.Query().Get("challenge"), r.URL.Query().Get("accept_stale") == "1")
	if err != nil {
		c.h.fail(w, r, err)
		return
	}
	res.Localize(l)
	server.WriteJSON(w, http.StatusOK, res)
}

func readAllMax(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	b, e := readBodyAny(w, r, max)
	if e != nil {
		return nil, e
	}
	return b, nil
}
