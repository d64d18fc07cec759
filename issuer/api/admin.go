package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/issuer"
)

// NewAdmin returns the admin API of an issuer directory, for its admin
// socket only (issuer.ListenAdmin); never mount it on a public listener:
//
//	POST /admin/offers                                  create an offer (201)
//	POST /admin/credentials/{id}/revoke|suspend|reinstate
//	GET  /admin/records                                 issuance records
//	GET  /admin/offers[?pending=1]                      stored offers (issuer.OfferInfo, by handle)
//	POST /admin/offers/{handle}/cancel                  cancel one offer
//	POST /admin/batches/{batch}/cancel                  cancel a drive's offers
//	POST /admin/offers/offered {vct, references}        which references were offered
//	POST /admin/references/find|revoke {reference}      records of / revoke by reference
//
// Bodies are JSON, at most issuer.MaxAdminBody bytes. Errors are
// issuer.AdminErrorBody, {"code", "message"} with, for code
// invalid_claims, "vct" and "paths", and for evidence_above_cap, "fields"
// and "source". Codes: invalid_claims (422), evidence_above_cap,
// not_authorized (403), unknown_type, invalid_offer, bad_request (400),
// not_found, no_such_endpoint (404), revoked (409), too_large (413),
// registry_expired (503), internal (500). Requests are logged without
// bodies. The package issuer client (issuer.OpenAdmin) rebuilds the typed
// errors.
func NewAdmin(svc *issuer.Service, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &admin{svc: svc, log: logger}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /admin/offers", a.route("admin_offer", a.offer))
	mux.HandleFunc("POST /admin/credentials/{id}/{action}", a.route("admin_status", a.status))
	mux.HandleFunc("GET /admin/records", a.route("admin_records", a.records))
	mux.HandleFunc("GET /admin/offers", a.route("admin_offers", a.offers))
	mux.HandleFunc("POST /admin/offers/offered", a.route("admin_offered", a.offered))
	mux.HandleFunc("POST /admin/offers/{handle}/cancel", a.route("admin_cancel", a.cancel))
	mux.HandleFunc("POST /admin/batches/{batch}/cancel", a.route("admin_cancel_batch", a.cancelBatch))
	mux.HandleFunc("POST /admin/references/{action}", a.route("admin_reference", a.reference))
	mux.HandleFunc("/", a.route("admin_unmatched", func(*http.Request) (int, any, error) {
		return 0, nil, &adminBadRequest{status: http.StatusNotFound, code: "no_such_endpoint", msg: "no such admin endpoint"}
	}))
	return mux
}

type admin struct {
	svc *issuer.Service
	log *slog.Logger
}

// adminBadRequest is a refusal of the admin API itself (not of the
// Service).
type adminBadRequest struct {
	status    int
	code, msg string
}

func (e *adminBadRequest) Error() string { return e.msg }

func (a *admin) route(name string, fn func(r *http.Request) (int, any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, issuer.MaxAdminBody)
		w.Header().Set("Cache-Control", "no-store")
		status, v, err := fn(r)
		var code string
		if err != nil {
			var body issuer.AdminErrorBody
			var bad *adminBadRequest
			if errors.As(err, &bad) {
				status, body = bad.status, issuer.AdminErrorBody{Code: bad.code, Message: bad.msg}
			} else {
				status, body = issuer.EncodeAdminError(err)
			}
			if status == http.StatusInternalServerError {
				a.log.Error("admin request failed", "route", name, "err", err)
			}
			code, v = body.Code, body
		}
		a.log.Info("admin request", "method", r.Method, "route", name, "status", status, "code", code)
		server.WriteJSON(w, status, v)
	}
}

func (a *admin) offer(r *http.Request) (int, any, error) {
	var req issuer.AdminOfferRequest
	if mediaType(r) != "application/json" {
		return 0, nil, &adminBadRequest{status: http.StatusBadRequest, code: "bad_request", msg: "send application/json"}
	}
	if err := decodeStrict(r, &req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return 0, nil, &adminBadRequest{status: http.StatusRequestEntityTooLarge, code: "too_large", msg: fmt.Sprintf("body larger than %d bytes", issuer.MaxAdminBody)}
		}
		return 0, nil, &adminBadRequest{status: http.StatusBadRequest, code: "bad_request", msg: err.Error()}
	}
	var ttl time.Duration
	if req.TTL != "" {
		d, err := time.ParseDuration(req.TTL)
		if err != nil {
			return 0, nil, &adminBadRequest{status: http.StatusBadRequest, code: "bad_request", msg: "ttl is not a duration"}
		}
		ttl = d
	}
	o, err := a.svc.CreateOffer(r.Context(), issuer.OfferRequest{VCT: req.VCT, Claims: req.Claims, TxCode: req.TxCode,
		Evidence: req.Evidence, Reference: req.Reference, Batch: req.Batch, TTL: ttl, Format: req.Format})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, issuer.AdminOfferResponse{ID: o.ID, Handle: o.Handle, URI: o.URI, OfferURL: o.OfferURL, TxCode: o.TxCode, ExpiresAt: o.ExpiresAt}, nil
}

// maxAdminIDLen bounds a credential id in an admin path.
const maxAdminIDLen = 256

func (a *admin) status(r *http.Request) (int, any, error) {
	id := r.PathValue("id")
	if id == "" || len(id) > maxAdminIDLen {
		return 0, nil, fmt.Errorf("credential id: %w", issuer.ErrNotFound)
	}
	var err error
	var state string
	switch r.PathValue("action") {
	case "revoke":
		err, state = a.svc.Revoke(r.Context(), id), issuer.StateRevoked
	case "suspend":
		err, state = a.svc.Suspend(r.Context(), id), issuer.StateSuspended
	case "reinstate":
		err, state = a.svc.Reinstate(r.Context(), id), issuer.StateValid
	default:
		return 0, nil, &adminBadRequest{status: http.StatusNotFound, code: "no_such_endpoint", msg: "no such admin endpoint"}
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, issuer.AdminStatusResponse{CredentialID: id, State: state}, nil
}

func (a *admin) records(r *http.Request) (int, any, error) {
	recs, err := a.svc.Records(r.Context())
	if err != nil {
		return 0, nil, err
	}
	if recs == nil {
		recs = []issuer.Record{}
	}
	return http.StatusOK, recs, nil
}

func (a *admin) offers(r *http.Request) (int, any, error) {
	out, err := a.svc.Offers(r.Context(), r.URL.Query().Get("pending") != "")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func (a *admin) cancel(r *http.Request) (int, any, error) {
	h := r.PathValue("handle")
	if h == "" || len(h) > maxAdminIDLen {
		return 0, nil, fmt.Errorf("offer handle: %w", issuer.ErrNotFound)
	}
	if err := a.svc.CancelOffer(r.Context(), h); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, issuer.AdminCancelResponse{Cancelled: 1}, nil
}

func (a *admin) cancelBatch(r *http.Request) (int, any, error) {
	b := r.PathValue("batch")
	if b == "" || len(b) > maxAdminIDLen {
		return 0, nil, fmt.Errorf("batch: %w", issuer.ErrNotFound)
	}
	n, err := a.svc.CancelBatch(r.Context(), b)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, issuer.AdminCancelResponse{Cancelled: n}, nil
}

// jsonBody decodes a strict JSON admin body into v.
func jsonBody(r *http.Request, v any) error {
	if mediaType(r) != "application/json" {
		return &adminBadRequest{status: http.StatusBadRequest, code: "bad_request", msg: "send application/json"}
	}
	if err := decodeStrict(r, v); err != nil {
		return &adminBadRequest{status: http.StatusBadRequest, code: "bad_request", msg: err.Error()}
	}
	return nil
}

func (a *admin) reference(r *http.Request) (int, any, error) {
	var req issuer.AdminReferenceRequest
	if err := jsonBody(r, &req); err != nil {
		return 0, nil, err
	}
	switch r.PathValue("action") {
	case "find":
		recs, err := a.svc.FindByReference(r.Context(), req.Reference)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, recs, nil
	case "revoke":
		ids, err := a.svc.RevokeReference(r.Context(), req.Reference)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, ids, nil
	}
	return 0, nil, &adminBadRequest{status: http.StatusNotFound, code: "no_such_endpoint", msg: "no such admin endpoint"}
}

func (a *admin) offered(r *http.Request) (int, any, error) {
	var req issuer.AdminOfferedRequest
	if err := jsonBody(r, &req); err != nil {
		return 0, nil, err
	}
	out, err := a.svc.Offered(r.Context(), req.VCT, req.References)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

// decodeStrict reads one JSON object with only known members into v (the
// admin client and server are one program's two halves: an unknown
// member is a mistake, not an extension).
func decodeStrict(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return errors.New("body is not the expected JSON object")
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}
