package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Error is an HTTP error answer: Status and the body {code, message}.
// Cause is the internal reason; it is logged, never sent.
type Error struct {
	Status  int
	Code    string
	Message string
	Cause   error
}

// Error implements error.
func (e *Error) Error() string {
	s := fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Errorf returns an *Error without a cause.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorBody is the JSON body of every error answer.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Codes of the errors this package answers with itself.
const (
	CodeInternal         = "internal_error"
	CodeNotFound         = "not_found"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeRateLimited      = "rate_limited"
	CodeNotReady         = "not_ready"
	CodeInvalidRequest   = "invalid_request"
	CodeTooLarge         = "too_large"
	CodeMediaType        = "unsupported_media_type"
)

// WriteJSON answers status with v as JSON (HTML characters not escaped).
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// WriteError answers err as {code, message}. An *Error (found with
// errors.As) gives the status, code and message; any other error is a
// 500 internal_error with a generic message. The cause is logged on the
// request's logger (Logger): at error level for 5xx, at info level
// otherwise; it is never sent. A 429 or 503 without a cause is not
// logged here: the router counts refusals and logs them at most once
// per client per interval.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) || e.Status < 400 || e.Status > 599 {
		e = &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error", Cause: err}
	}
	log := Logger(r.Context())
	// A refusal without a cause is left to the router, which counts it
	// and logs it at most once per client per interval.
	refusal := e.Cause == nil && (e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable)
	if e.Status >= 500 && !refusal {
		log.Error("request failed", "status", e.Status, "code", e.Code, "err", errString(e.Cause))
	} else if e.Cause != nil {
		log.Info("request refused", "status", e.Status, "code", e.Code, "err", e.Cause.Error())
	}
	WriteJSON(w, e.Status, ErrorBody{Code: e.Code, Message: e.Message})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
