package issuer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/cairn-id/cairn/schemas"
)

// The admin channel. A bbolt store is locked by the one process that opens
// it, so while 'cairn issuer serve' runs, operators' commands (offer,
// revoke, list …) reach the running server through a Unix domain socket,
// dir/admin.sock, instead of opening the store.
//
// Access control is the file system's: the socket is created 0600 inside
// the issuer directory, which must be 0700 and owned by the server's user;
// connecting to a Unix socket needs write permission on it, so only that
// user (and root) can talk to it. The server never answers admin requests
// on its public listener. A client refuses a socket, or a directory, that
// another user owns or that group or others have any permission on: it
// would otherwise hand claims to whoever planted it.

// Admin is what an operator does to an issuer. *Service does it directly
// over its store; OpenAdmin returns a client of the running server's admin
// socket when there is one.
type Admin interface {
	CreateOffer(ctx context.Context, r OfferRequest) (*Offer, error)
	Revoke(ctx context.Context, credentialID string) error
	Suspend(ctx context.Context, credentialID string) error
	Reinstate(ctx context.Context, credentialID string) error
	Records(ctx context.Context) ([]Record, error)
	// Offer management (offers.go).
	Offers(ctx context.Context, pendingOnly bool) ([]OfferInfo, error)
	CancelOffer(ctx context.Context, handle string) error
	CancelBatch(ctx context.Context, batch string) (int, error)
	FindByReference(ctx context.Context, reference string) ([]Record, error)
	RevokeReference(ctx context.Context, reference string) ([]string, error)
	Offered(ctx context.Context, vct string, references []string) (map[string]bool, error)
	Close() error
}

var (
	_ Admin = (*Service)(nil)
	_ Admin = (*adminClient)(nil)
)

// Admin channel bounds.
const (
	// MaxAdminBody bounds an admin request body: the claims plus the
	// offer's other fields.
	MaxAdminBody = schemas.MaxClaimsSize + 8<<10
	// MaxAdminRecordsResponse bounds the records listing a client reads.
	MaxAdminRecordsResponse = 256 << 20
	maxAdminResponse        = 64 << 10
	maxAdminIDLen           = 256
	adminDialTimeout        = 2 * time.Second
	adminRequestTimeout     = 60 * time.Second
)

// Admin channel errors.
var (
	// ErrAdminSocketUnsafe: the socket or its directory is not private to
	// this user; nothing is sent to it and no server listens on it.
	ErrAdminSocketUnsafe = errors.New("issuer: admin socket is not private to this user")
	// ErrAdminInUse: another server already answers on the socket.
	ErrAdminInUse = errors.New("issuer: another server answers on the admin socket")
	// ErrAdminUnavailable: the admin socket could not be reached or
	// answered something that is not the admin API.
	ErrAdminUnavailable = errors.New("issuer: admin socket unavailable")
)

// AdminError is an error answered by the admin API, rebuilt by the client.
// It matches (errors.Is) the sentinel its code stands for, so callers
// handle it as they would the error of a local Service. Claim validation
// failures and evidence refusals come back as *ValidationError and
// *EvidenceError instead.
type AdminError struct {
	Code    string // stable: see issuer/api NewAdmin
	Message string
	err     error
}

func (e *AdminError) Error() string { return e.Message }

// Unwrap returns the sentinel of Code (nil for codes without one).
func (e *AdminError) Unwrap() error { return e.err }

// AdminErrorBody is the wire form of every admin error.
type AdminErrorBody struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	VCT     string   `json:"vct,omitempty"`
	Paths   []string `json:"paths,omitempty"`
	// Problems: a ValidationError's per-claim reasons.
	Problems []schemas.Problem `json:"problems,omitempty"`
	Fields   []string          `json:"fields,omitempty"`
	Source   string            `json:"source,omitempty"`
	// Asked, Caps, Issuer and AuthorizationID carry an EvidenceError's
	// values (VCT above too).
	Asked           []int  `json:"asked,omitempty"`
	Caps            []int  `json:"caps,omitempty"`
	Issuer          string `json:"issuer,omitempty"`
	AuthorizationID string `json:"authorization_id,omitempty"`
}

// adminSentinel maps the codes that stand for a sentinel error to that
// error and its HTTP status (0 when the code stands for none).
func adminSentinel(code string) (int, error) {
	switch code {
	case "unknown_type":
		return http.StatusBadRequest, ErrUnknownType
	case "invalid_offer":
		return http.StatusBadRequest, ErrInvalidOffer
	case "not_authorized":
		return http.StatusForbidden, ErrNotAuthorized
	case "registry_expired":
		return http.StatusServiceUnavailable, errRegistryExpired
	case "not_found":
		return http.StatusNotFound, ErrNotFound
	case "revoked":
		return http.StatusConflict, ErrRevoked
	case "no_status":
		return http.StatusConflict, ErrNoStatus
	}
	return 0, nil
}

// EncodeAdminError is the status and body of a Service error on the admin
// API (issuer/api serves it). Messages of this package's errors name
// claims and fields, never values.
func EncodeAdminError(err error) (int, AdminErrorBody) {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return http.StatusUnprocessableEntity, AdminErrorBody{Code: "invalid_claims", Message: ve.Error(), VCT: ve.VCT, Paths: ve.Paths, Problems: ve.Problems}
	}
	var ee *EvidenceError
	if errors.As(err, &ee) {
		return http.StatusForbidden, AdminErrorBody{Code: "evidence_above_cap", Message: ee.Error(), Fields: ee.Fields, Source: ee.Source,
			VCT: ee.VCT, Asked: ee.Asked, Caps: ee.Caps, Issuer: ee.Issuer, AuthorizationID: ee.AuthorizationID}
	}
	var code string
	switch {
	case errors.Is(err, ErrUnknownType):
		code = "unknown_type"
	case errors.Is(err, ErrInvalidOffer):
		code = "invalid_offer"
	case errors.Is(err, ErrRegistryExpired): // before ErrNotAuthorized, which it also matches
		code = "registry_expired"
	case errors.Is(err, ErrNotAuthorized):
		code = "not_authorized"
	case errors.Is(err, ErrNotFound):
		code = "not_found"
	case errors.Is(err, ErrRevoked):
		code = "revoked"
	case errors.Is(err, ErrNoStatus):
		code = "no_status"
	}
	if status, _ := adminSentinel(code); status != 0 {
		return status, AdminErrorBody{Code: code, Message: err.Error()}
	}
	return http.StatusInternalServerError, AdminErrorBody{Code: "internal", Message: "internal error (see the server log)"}
}

// decodeAdminError rebuilds the typed error of an answer.
func decodeAdminError(b AdminErrorBody) error {
	switch b.Code {
	case "invalid_claims":
		return &ValidationError{VCT: b.VCT, Paths: b.Paths, Problems: b.Problems, cause: schemas.ErrInvalidClaims}
	case "evidence_above_cap":
		return &EvidenceError{Fields: b.Fields, Source: b.Source, Asked: b.Asked, Caps: b.Caps, VCT: b.VCT, Issuer: b.Issuer, AuthorizationID: b.AuthorizationID}
	}
	_, s := adminSentinel(b.Code)
	return &AdminError{Code: b.Code, Message: b.Message, err: s}
}

// Close closes the Store.
func (s *Service) Close() error { return s.cfg.Store.Close() }

// AdminOfferRequest is the body of POST /admin/offers.
type AdminOfferRequest struct {
	VCT       string            `json:"vct"`
	Claims    map[string]any    `json:"claims"`
	TxCode    bool              `json:"tx_code,omitempty"`
	Evidence  *schemas.Evidence `json:"evidence,omitempty"`
	Reference string            `json:"reference,omitempty"`
	Batch     string            `json:"batch,omitempty"`
	TTL       string            `json:"ttl,omitempty"` // Go duration, e.g. "72h"
	Format    string            `json:"format,omitempty"`
}

// AdminReferenceRequest is the body of POST /admin/references/find and
// /admin/references/revoke (in a body, not a URL, so it stays out of
// access logs).
type AdminReferenceRequest struct {
	Reference string `json:"reference"`
}

// AdminOfferedRequest is the body of POST /admin/offers/offered.
type AdminOfferedRequest struct {
	VCT        string   `json:"vct"`
	References []string `json:"references"`
}

// AdminCancelResponse is the answer of the cancel routes.
type AdminCancelResponse struct {
	Cancelled int `json:"cancelled"`
}

// AdminOfferResponse is the answer of POST /admin/offers.
type AdminOfferResponse struct {
	ID        string    `json:"id"`
	Handle    string    `json:"handle"`
	URI       string    `json:"uri"`
	OfferURL  string    `json:"offer_url"`
	TxCode    string    `json:"tx_code,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
}

// AdminStatusResponse is the answer of POST /admin/credentials/{id}/{action}.
type AdminStatusResponse struct {
	CredentialID string `json:"credential_id"`
	State        string `json:"state"`
}

// ListenAdmin creates dir/admin.sock, 0600, for issuer/api NewAdmin. dir must be
// owned by this user with no group or other permission (0700), so nobody
// else can reach the socket in the moment between its creation and its
// chmod. A socket left by a server that crashed (nobody answers on it) is
// replaced; one a live server answers on is ErrAdminInUse; anything else
// at that path is refused. Closing the listener removes the socket.
func ListenAdmin(dir string) (net.Listener, error) {
	if err := checkPrivate(dir, true); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, AdminSocketFile)
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("issuer: %s exists and is not a socket; remove it", path)
		}
		conn, err := net.DialTimeout("unix", path, adminDialTimeout)
		if err == nil {
			conn.Close()
			return nil, fmt.Errorf("%w: %s", ErrAdminInUse, path)
		}
		// Stale: left by a server that did not shut down.
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("issuer: remove stale admin socket: %w", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("issuer: admin socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("issuer: admin socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("issuer: admin socket: %w", err)
	}
	return ln, nil
}

// checkPrivate refuses a path another user owns or that group or others
// have any permission on (for a directory when dir is set, else for a
// socket).
func checkPrivate(path string, dir bool) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	want, kind, mode := fs.ModeSocket, "socket", "600"
	if dir {
		want, kind, mode = fs.ModeDir, "directory", "700"
	}
	switch {
	case fi.Mode().Type() != want:
		return fmt.Errorf("%w: %s is not a %s", ErrAdminSocketUnsafe, path, kind)
	case fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("%w: %s has mode %04o; only its owner may have access (chmod %s)", ErrAdminSocketUnsafe, path, fi.Mode().Perm(), mode)
	case !ownedBySelf(fi):
		return fmt.Errorf("%w: %s belongs to another user", ErrAdminSocketUnsafe, path)
	}
	return nil
}

// errNoServer: no server listens on the admin socket.
var errNoServer = errors.New("issuer: no server on the admin socket")

// OpenAdmin opens the issuer directory dir for an operator: when a server
// answers on dir/admin.sock, a client of it; otherwise the Service over
// the store (OpenDir with open). A socket that is not private to this user is
// refused (ErrAdminSocketUnsafe) rather than used or bypassed; a stale one
// (nobody answers) is ignored.
func OpenAdmin(ctx context.Context, dir string, open StoreOpener, opts ...AdminOption) (Admin, error) {
	o, err := collectOptions(opts)
	if err != nil {
		return nil, err
	}
	c, err := dialAdmin(ctx, dir, o)
	if errors.Is(err, errNoServer) {
		return openDir(dir, open, o)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// adminClient is an Admin over the admin socket.
type adminClient struct {
	http *http.Client
	tr   *http.Transport
	cfg  *DirConfig
	o    *adminOptions
}

func dialAdmin(ctx context.Context, dir string, o *adminOptions) (*adminClient, error) {
	path := filepath.Join(dir, AdminSocketFile)
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, errNoServer
	}
	cfg, err := ReadDirConfig(dir)
	if err != nil {
		return nil, err
	}
	if err := checkPrivate(dir, true); err != nil {
		return nil, err
	}
	if err := checkPrivate(path, false); err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: adminDialTimeout}
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, fs.ErrNotExist) {
			return nil, errNoServer // stale socket of a server that crashed
		}
		return nil, fmt.Errorf("%w: %w", ErrAdminUnavailable, err)
	}
	conn.Close()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", path)
		},
		DisableCompression: true, MaxIdleConns: 2, IdleConnTimeout: 30 * time.Second,
		ResponseHeaderTimeout: adminRequestTimeout, MaxResponseHeaderBytes: 16 << 10,
	}
	if o.registry != nil && o.catalogue == nil {
		if o.catalogue, err = schemas.Load(); err != nil {
			return nil, err
		}
	}
	return &adminClient{http: &http.Client{Transport: tr, Timeout: adminRequestTimeout}, tr: tr, cfg: cfg, o: o}, nil
}

func (c *adminClient) Close() error {
	c.tr.CloseIdleConnections()
	return nil
}

// do sends one admin request; out receives a 2xx answer.
func (c *adminClient) do(ctx context.Context, method, path string, in, out any, maxResp int64) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://admin"+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrAdminUnavailable, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxResp+1))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrAdminUnavailable, err)
	}
	if int64(len(b)) > maxResp {
		return fmt.Errorf("%w: answer larger than %d bytes", ErrAdminUnavailable, maxResp)
	}
	if res.StatusCode >= 300 {
		var eb AdminErrorBody
		if err := json.Unmarshal(b, &eb); err != nil || eb.Code == "" {
			return fmt.Errorf("%w: answered %s", ErrAdminUnavailable, res.Status)
		}
		return decodeAdminError(eb)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%w: answer: %w", ErrAdminUnavailable, err)
	}
	return nil
}

// CreateOffer asks the server for an offer. With WithRegistry, the
// registry's refusal comes first, without a request.
func (c *adminClient) CreateOffer(ctx context.Context, r OfferRequest) (*Offer, error) {
	if c.o.registry != nil && slices.Contains(c.cfg.Types, r.VCT) {
		t, err := c.o.catalogue.Lookup(r.VCT)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnknownType, err)
		}
		ev := t.DefaultEvidence
		if r.Evidence != nil {
			ev = *r.Evidence
		}
		if err := checkEvidence(t, ev, c.o.registry, c.cfg.DID, c.o.now()); err != nil {
			return nil, err
		}
	}
	req := AdminOfferRequest{VCT: r.VCT, Claims: r.Claims, TxCode: r.TxCode, Evidence: r.Evidence, Reference: r.Reference, Batch: r.Batch, Format: r.Format}
	if r.TTL != 0 {
		req.TTL = r.TTL.String()
	}
	var out AdminOfferResponse
	if err := c.do(ctx, http.MethodPost, "/admin/offers", req, &out, maxAdminResponse); err != nil {
		return nil, err
	}
	return &Offer{ID: out.ID, Handle: out.Handle, URI: out.URI, OfferURL: out.OfferURL, TxCode: out.TxCode, ExpiresAt: out.ExpiresAt}, nil
}

func (c *adminClient) setStatus(ctx context.Context, id, action string) error {
	var out AdminStatusResponse
	return c.do(ctx, http.MethodPost, "/admin/credentials/"+url.PathEscape(id)+"/"+action, nil, &out, maxAdminResponse)
}

func (c *adminClient) Revoke(ctx context.Context, id string) error {
	return c.setStatus(ctx, id, "revoke")
}

func (c *adminClient) Suspend(ctx context.Context, id string) error {
	return c.setStatus(ctx, id, "suspend")
}

func (c *adminClient) Reinstate(ctx context.Context, id string) error {
	return c.setStatus(ctx, id, "reinstate")
}

func (c *adminClient) Records(ctx context.Context) ([]Record, error) {
	var out []Record
	if err := c.do(ctx, http.MethodGet, "/admin/records", nil, &out, MaxAdminRecordsResponse); err != nil {
		return nil, err
	}
	return out, nil
}

func (c *adminClient) Offers(ctx context.Context, pendingOnly bool) ([]OfferInfo, error) {
	path := "/admin/offers"
	if pendingOnly {
		path += "?pending=1"
	}
	var out []OfferInfo
	if err := c.do(ctx, http.MethodGet, path, nil, &out, MaxAdminRecordsResponse); err != nil {
		return nil, err
	}
	return out, nil
}

func (c *adminClient) CancelOffer(ctx context.Context, handle string) error {
	var out AdminCancelResponse
	return c.do(ctx, http.MethodPost, "/admin/offers/"+url.PathEscape(handle)+"/cancel", nil, &out, maxAdminResponse)
}

func (c *adminClient) CancelBatch(ctx context.Context, batch string) (int, error) {
	var out AdminCancelResponse
	err := c.do(ctx, http.MethodPost, "/admin/batches/"+url.PathEscape(batch)+"/cancel", nil, &out, maxAdminResponse)
	return out.Cancelled, err
}

func (c *adminClient) FindByReference(ctx context.Context, reference string) ([]Record, error) {
	var out []Record
	if err := c.do(ctx, http.MethodPost, "/admin/references/find", AdminReferenceRequest{Reference: reference}, &out, MaxAdminRecordsResponse); err != nil {
		return nil, err
	}
	return out, nil
}

func (c *adminClient) RevokeReference(ctx context.Context, reference string) ([]string, error) {
	var out []string
	if err := c.do(ctx, http.MethodPost, "/admin/references/revoke", AdminReferenceRequest{Reference: reference}, &out, MaxAdminRecordsResponse); err != nil {
		return nil, err
	}
	return out, nil
}

func (c *adminClient) Offered(ctx context.Context, vct string, references []string) (map[string]bool, error) {
	out := map[string]bool{}
	if err := c.do(ctx, http.MethodPost, "/admin/offers/offered", AdminOfferedRequest{VCT: vct, References: references}, &out, MaxAdminRecordsResponse); err != nil {
		return nil, err
	}
	return out, nil
}
