package api

import (
	"net/http"
	"time"

	"golang.org/x/text/language"

	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/wallet"
)

// CreateRequest is the body of POST /v1/holders.
type CreateRequest struct {
	PIN string `json:"pin"`
	// DeviceSecret is base64url (at least 32 bytes), generated and kept
	// by the holder's app.
	DeviceSecret string `json:"device_secret"`
	Lang         string `json:"lang,omitempty"`
}

// Created answers POST /v1/holders: the recovery code is shown once.
type Created struct {
	HolderID     string `json:"holder_id"`
	RecoveryCode string `json:"recovery_code"`
}

// LoginRequest is the body of POST /v1/sessions.
type LoginRequest struct {
	HolderID     string `json:"holder_id"`
	PIN          string `json:"pin"`
	DeviceSecret string `json:"device_secret"`
}

// Session answers a login, a PIN change and a recovery.
type Session struct {
	Token     string    `json:"token"`
	HolderID  string    `json:"holder_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

func sessionOf(s *wallet.Session) Session {
	return Session{Token: s.Token, HolderID: s.HolderID, ExpiresAt: s.ExpiresAt.UTC()}
}

// ChangePINRequest is the body of PUT /v1/holder/pin.
type ChangePINRequest struct {
	PIN          string `json:"pin"`
	DeviceSecret string `json:"device_secret"`
	NewPIN       string `json:"new_pin"`
	// NewDeviceSecret: "" keeps the current one.
	NewDeviceSecret string `json:"new_device_secret,omitempty"`
}

// RecoverRequest is the body of POST /v1/recover.
type RecoverRequest struct {
	RecoveryCode    string `json:"recovery_code"`
	NewPIN          string `json:"new_pin"`
	NewDeviceSecret string `json:"new_device_secret"`
}

// Settings is the body of GET and PUT /v1/holder/settings.
type Settings struct {
	Lang string `json:"lang"`
}

func checkLang(l string) error {
	if l == "" {
		return nil
	}
	if _, err := language.Parse(l); err != nil || len(l) > 35 {
		return &server.Error{Status: http.StatusBadRequest, Code: CodeInvalidLanguage}
	}
	return nil
}

func (h *Handler) createHolder(w http.ResponseWriter, r *http.Request) {
	var req CreateRequest
	if err := h.decode(w, r, MaxBody, &req); err != nil {
		h.fail(w, r, nil, err)
		return
	}
	dev, err := deviceSecret(req.DeviceSecret)
	if err == nil {
		err = checkLang(req.Lang)
	}
	if err != nil {
		h.fail(w, r, nil, err)
		return
	}
	defer clear(dev)
	c, err := h.svc.CreateHolder(r.Context(), wallet.CreateRequest{PIN: req.PIN, DeviceSecret: dev, Lang: req.Lang})
	if err != nil {
		h.fail(w, r, nil, err)
		return
	}
	server.WriteJSON(w, http.StatusCreated, Created{HolderID: c.HolderID, RecoveryCode: c.RecoveryCode})
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	var req LoginRequest
	if err := h.decode(w, r, MaxBody, &req); err != nil {
		h.fail(w, r, nil, err)
		return
	}
	dev, err := deviceSecret(req.DeviceSecret)
	if err != nil {
		h.fail(w, r, nil, err)
		return
	}
	defer clear(dev)
	sess, err := h.svc.Login(r.Context(), wallet.LoginRequest{HolderID: req.HolderID, PIN: req.PIN, DeviceSecret: dev, ClientAddr: h.clientAddr(r)})
	if err != nil {
		h.fail(w, r, nil, err)
		return
	}
	server.WriteJSON(w, http.StatusCreated, sessionOf(sess))
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	if err := h.svc.Logout(r.Context(), sess); err != nil {
		h.fail(w, r, sess, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) changePIN(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	var req ChangePINRequest
	if err := h.decode(w, r, MaxBody, &req); err != nil {
		h.fail(w, r, sess, err)
		return
	}
	dev, err := deviceSecret(req.DeviceSecret)
	if err != nil {
		h.fail(w, r, sess, err)
		return
	}
	defer clear(dev)
	newDev, err := deviceSecret(req.NewDeviceSecret)
	if err != nil {
		h.fail(w, r, sess, err)
		return
	}
	defer clear(newDev)
	ns, err := h.svc.ChangePIN(r.Context(), wallet.ChangePINRequest{
		LoginRequest: wallet.LoginRequest{HolderID: sess.HolderID, PIN: req.PIN, DeviceSecret: dev, ClientAddr: h.clientAddr(r)},
		NewPIN:       req.NewPIN, NewDeviceSecret: newDev,
	})
	if err != nil {
		h.fail(w, r, sess, err)
		return
	}
	server.WriteJSON(w, http.StatusOK, sessionOf(ns))
}

func (h *Handler) recover(w http.ResponseWriter, r *http.Request) {
	var req RecoverRequest
	if err := h.decode(w, r, MaxBody, &req); err != nil {
		h.fail(w, r, nil, err)
		return
	}
	dev, err := deviceSecret(req.NewDeviceSecret)
	if err != nil {
		h.fail(w, r, nil, err)
		return
	}
	defer clear(dev)
	sess, err := h.svc.Recover(r.Context(), wallet.RecoverRequest{RecoveryCode: req.RecoveryCode, NewPIN: req.NewPIN, NewDeviceSecret: dev, ClientAddr: h.clientAddr(r)})
	if err != nil {
		h.fail(w, r, nil, err)
		return
	}
	server.WriteJSON(w, http.StatusOK, sessionOf(sess))
}

func (h *Handler) wipe(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	if err := h.svc.Wipe(r.Context(), sess); err != nil {
		h.fail(w, r, sess, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) getSettings(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	st, err := h.svc.GetSettings(r.Context(), sess)
	if err != nil {
		h.fail(w, r, sess, err)
		return
	}
	server.WriteJSON(w, http.StatusOK, Settings{Lang: st.Lang})
}

func (h *Handler) putSettings(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	var req Settings
	err := h.decode(w, r, MaxBody, &req)
	if err == nil {
		err = checkLang(req.Lang)
	}
	if err == nil {
		err = h.svc.PutSettings(r.Context(), sess, wallet.Settings{Lang: req.Lang})
	}
	if err != nil {
		h.fail(w, r, sess, err)
		return
	}
	server.WriteJSON(w, http.StatusOK, req)
}

// KeysRefreshed answers POST /v1/holder/keys/refresh.
type KeysRefreshed struct {
	Keys []wallet.PublicKey `json:"keys"`
}

func (h *Handler) keyStatus(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	ks, err := h.svc.KeyStatus(r.Context(), sess)
	if err != nil {
		h.fail(w, r, sess, err)
		return
	}
	server.WriteJSON(w, http.StatusOK, ks)
}

func (h *Handler) refreshKeys(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	ks, err := h.svc.RefreshKeys(r.Context(), sess)
	if err != nil {
		h.fail(w, r, sess, err)
		return
	}
	server.WriteJSON(w, http.StatusOK, KeysRefreshed{Keys: ks})
}
