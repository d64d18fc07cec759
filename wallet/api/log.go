package api

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/wallet"
)

// Log answers GET /v1/log.
type Log struct {
	Entries []LogEntry `json:"entries"`
}

// LogEntry is a consent log entry as the holder's app shows it: the
// entry as stored (hash-chained; it keeps purpose ids) and, for a
// purpose, its name in the holder's language (wallet.PurposeNames).
type LogEntry struct {
	wallet.LogEntry
	PurposeName string `json:"purpose_name,omitempty"`
}

// LogVerification answers GET /v1/log/verify: a tampered log is an
// answer (Intact false, where and why), not an error.
type LogVerification struct {
	Intact   bool   `json:"intact"`
	Entries  int    `json:"entries"`
	BrokenAt uint64 `json:"broken_at,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

func (h *Handler) log(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	es, err := h.svc.Log(r.Context(), sess)
	if err != nil {
		h.fail(w, r, sess, err)
		return
	}
	lang := h.contentLang(r, sess)
	out := Log{Entries: make([]LogEntry, len(es))}
	for i, e := range es {
		out.Entries[i] = LogEntry{LogEntry: e, PurposeName: wallet.PurposeNames(e.Purpose, lang)}
	}
	server.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) verifyLog(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	n, err := h.svc.VerifyLog(r.Context(), sess)
	var te *wallet.LogTamperedError
	switch {
	case errors.As(err, &te):
		server.Logger(r.Context()).Warn("consent log tampered with", "holder", sess.HolderID, "seq", te.Seq)
		server.WriteJSON(w, http.StatusOK, LogVerification{BrokenAt: te.Seq, Reason: te.Reason})
	case err != nil:
		h.fail(w, r, sess, err)
	default:
		server.WriteJSON(w, http.StatusOK, LogVerification{Intact: true, Entries: n})
	}
}

func (h *Handler) exportLog(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	b, err := h.svc.ExportLogJSON(r.Context(), sess)
	if err != nil {
		h.fail(w, r, sess, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="consent-log.json"`)
	_, _ = w.Write(b)
}

// ExportRequest is the body of POST /v1/export.
type ExportRequest struct {
	Passphrase string `json:"passphrase"`
}

// ExportMediaType is the media type of a wallet export file.
const ExportMediaType = "application/vnd.cairn.wallet-export"

func (h *Handler) export(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	var req ExportRequest
	if err := h.decode(w, r, MaxBody, &req); err != nil {
		h.fail(w, r, sess, err)
		return
	}
	b, err := h.svc.Export(r.Context(), sess, req.Passphrase)
	if err != nil {
		h.fail(w, r, sess, err)
		return
	}
	w.Header().Set("Content-Type", ExportMediaType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Header().Set("Content-Disposition", `attachment; filename="cairn-wallet.export"`)
	_, _ = w.Write(b)
}

// ImportRequest is the body of POST /v1/import: the export file in
// base64 (standard, as JSON encodes bytes) and its passphrase.
type ImportRequest struct {
	Passphrase string `json:"passphrase"`
	File       string `json:"file"`
}

// Imported answers POST /v1/import.
type Imported struct {
	ExportedAt  time.Time `json:"exported_at"`
	Keys        int       `json:"keys"`
	Credentials int       `json:"credentials"`
	LogEntries  int       `json:"log_entries"`
}

func (h *Handler) importWallet(w http.ResponseWriter, r *http.Request, sess *wallet.Session) {
	var req ImportRequest
	if err := h.decode(w, r, MaxImportBody, &req); err != nil {
		h.fail(w, r, sess, err)
		return
	}
	file, err := base64.StdEncoding.DecodeString(req.File)
	if err != nil {
		h.fail(w, r, sess, &server.Error{Status: http.StatusBadRequest, Code: server.CodeInvalidRequest})
		return
	}
	s, err := h.svc.Import(r.Context(), sess, file, req.Passphrase)
	if err != nil {
		h.fail(w, r, sess, err)
		return
	}
	server.WriteJSON(w, http.StatusOK, Imported{ExportedAt: s.ExportedAt.UTC(), Keys: s.Keys, Credentials: s.Credentials, LogEntries: s.LogEntries})
}
