package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/wallet"
)

// MaxFlowBody bounds the bodies of the receiving and presenting routes (a
// scanned offer or request text is at most 64 KiB).
const MaxFlowBody = 80 << 10

// OfferRequest is the body of POST /v1/offers: the scanned text of a
// credential offer (openid-credential-offer://…, by value or by
// reference).
type OfferRequest struct {
	Offer string `json:"offer"`
}

// AcceptRequest is the body of POST /v1/offers/{id}/accept.
type AcceptRequest struct {
	// TxCode is the transaction code the issuer gave the holder apart
	// from the offer, when the preview says one is needed.
	TxCode string `json:"tx_code,omitempty"`
	// ConfirmUntrusted: the holder read the preview's warning about an
	// issuer the registry does not know and accepts anyway.
	ConfirmUntrusted bool `json:"confirm_untrusted,omitempty"`
}

// PresentationRequest is the body of POST /v1/requests: the scanned
// text of an OpenID4VP request (openid4vp://…).
type PresentationRequest struct {
	Request string `json:"request"`
	// OfferRevoked lets a credential known to be revoked answer (it is
	// left out by default; the preview warns either way).
	OfferRevoked bool `json:"offer_revoked,omitempty"`
}

// ProximityRequest is the body of POST /v1/proximity.
type ProximityRequest struct {
	Challenge string `json:"challenge"`
	wallet.ProximityRequest
}

func (h *Handler) previewOffer(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	var req OfferRequest
	if err := h.decode(w, r, MaxFlowBody, &req); err != nil {
		h.fail(w, r, sess, err)
		return
	}
	p, err := h.svc.PreviewOffer(r.Context(), sess, req.Offer, h.contentLang(r, sess))
	if err != nil {
		h.fail(w, r, sess, scrub(err, offerSecrets(req.Offer)...))
		return
	}
	server.WriteJSON(w, http.StatusOK, p)
}

func (h *Handler) acceptOffer(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	var req AcceptRequest
	if err := h.decode(w, r, MaxBody, &req); err != nil {
		h.fail(w, r, sess, err)
		return
	}
	a, err := h.svc.AcceptOffer(r.Context(), sess, r.PathValue("id"), req.TxCode, req.ConfirmUntrusted)
	if err != nil {
		h.fail(w, r, sess, scrub(err, req.TxCode))
		return
	}
	server.WriteJSON(w, http.StatusOK, a)
}

func (h *Handler) refuseOffer(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	if err := h.svc.RefuseOffer(r.Context(), sess, r.PathValue("id")); err != nil {
		h.fail(w, r, sess, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) previewRequest(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	var req PresentationRequest
	if err := h.decode(w, r, MaxFlowBody, &req); err != nil {
		h.fail(w, r, sess, err)
		return
	}
	p, err := h.svc.PreviewRequestWith(r.Context(), sess, req.Request, h.contentLang(r, sess), wallet.PreviewOptions{OfferRevoked: req.OfferRevoked})
	if err != nil {
		h.fail(w, r, sess, scrub(err, offerSecrets(req.Request)...))
		return
	}
	server.WriteJSON(w, http.StatusOK, p)
}

func (h *Handler) respond(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	var c wallet.Consent
	if err := h.decode(w, r, MaxFlowBody, &c); err != nil {
		h.fail(w, r, sess, err)
		return
	}
	p, err := h.svc.Respond(r.Context(), sess, r.PathValue("id"), c)
	if err != nil {
		h.fail(w, r, sess, err)
		return
	}
	server.WriteJSON(w, http.StatusOK, p)
}

func (h *Handler) refuseRequest(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	if err := h.svc.RefuseRequest(r.Context(), sess, r.PathValue("id")); err != nil {
		h.fail(w, r, sess, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) proximity(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	var req ProximityRequest
	if err := h.decode(w, r, MaxFlowBody, &req); err != nil {
		h.fail(w, r, sess, err)
		return
	}
	p, err := h.svc.Proximity(r.Context(), sess, req.Challenge, req.ProximityRequest)
	if err != nil {
		h.fail(w, r, sess, scrub(err, req.Challenge))
		return
	}
	server.WriteJSON(w, http.StatusOK, p)
}

// scrubbed is an error whose text had the secrets of its request taken
// out; it still matches what the original matched.
type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// scrub hides each secret (at least 4 characters) in err's text, which is
// logged: a flow's cause may quote what the holder scanned or typed.
func scrub(err error, secrets ...string) error {
	msg := err.Error()
	for _, s := range secrets {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	var le *wallet.LockedError
	if msg == err.Error() || errors.As(err, &le) {
		return err
	}
	return &scrubbed{msg: msg, err: err}
}

// offerSecrets are the forms in which a scanned offer or request, or the
// pre-authorized code inside an offer by value, may show in an error.
func offerSecrets(text string) []string {
	out := []string{text}
	if u, err := url.Parse(text); err == nil {
		q := u.Query()
		out = append(out, u.RawQuery)
		for _, vs := range q {
			out = append(out, vs...)
			for _, v := range vs {
				var offer struct {
					Grants map[string]map[string]any `json:"grants"`
				}
				if json.Unmarshal([]byte(v), &offer) == nil {
					for _, g := range offer.Grants {
						if c, ok := g["pre-authorized_code"].(string); ok {
							out = append(out, c)
						}
					}
				}
			}
		}
	}
	return out
}
