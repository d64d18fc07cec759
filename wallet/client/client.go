// Package client is a client of the wallet agent's API (wallet/api), for
// scripts, examples and support staff (issue 10): one method per route,
// and a Profile that keeps a holder's session and device secret in 0600
// files, so that the cairn CLI only wires flags to it. Errors of the
// agent are *APIError values (code, message, Retry-After); the sentinels
// below classify them.
package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/bounded"
	"github.com/cairn-id/cairn/internal/server"
	"github.com/cairn-id/cairn/wallet"
	"github.com/cairn-id/cairn/wallet/api"
)

// Sentinels an *APIError matches (errors.Is).
var (
	// ErrLocked: a lockout or a rate limit (423 or 429); RetryAfter says
	// how long.
	ErrLocked = errors.New("client: locked out; try later")
	// ErrNoSession: no session, or it ended (401 unauthorized or
	// session_expired): log in again.
	ErrNoSession = errors.New("client: not logged in")
	// ErrWrongSecret: a wrong PIN, device secret, recovery code or
	// passphrase.
	ErrWrongSecret = errors.New("client: wrong PIN, recovery code or passphrase")
	// ErrRefused: any other refusal (4xx).
	ErrRefused = errors.New("client: refused by the agent")
	// ErrAgent: the agent failed (5xx) or answered something unreadable.
	ErrAgent = errors.New("client: the agent failed")
)

// MaxResponse bounds a response body (an export is at most
// wallet.MaxExportLen).
const MaxResponse = wallet.MaxExportLen + 1<<20

// APIError is an error answer of the agent.
type APIError struct {
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("%s (%s, HTTP %d)", e.Message, e.Code, e.Status)
	if e.RetryAfter > 0 {
		s += fmt.Sprintf("; retry in %s", e.RetryAfter)
	}
	return s
}

// Is classifies the error under the package's sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrLocked:
		return e.Status == http.StatusLocked || e.Status == http.StatusTooManyRequests
	case ErrNoSession:
		return e.Code == api.CodeUnauthorized || e.Code == api.CodeSessionExpired
	case ErrWrongSecret:
		if e.Code == api.CodeUnlockFailed || e.Code == api.CodeRecoveryCode || e.Code == api.CodePassphrase {
			return true
		}
	case ErrAgent:
		return e.Status >= 500 && e.Status != http.StatusServiceUnavailable || e.Status == 0
	case ErrRefused:
		return e.Status >= 400 && e.Status < 500
	}
	return e.isFlow(target)
}

// Client calls one agent.
type Client struct {
	// BaseURL is the agent's URL (https://wallet.example or
	// http://127.0.0.1:8082).
	BaseURL string
	// HTTP is the HTTP client (nil: one with a 2-minute timeout).
	HTTP *http.Client
	// Lang is sent as Accept-Language ("" sends none).
	Lang string
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 2 * time.Minute}
}

// CheckAgentURL accepts an absolute http or https URL without query,
// fragment or credentials.
func CheckAgentURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%w: the agent URL must be http(s)://HOST[:PORT][/PATH]", ErrRefused)
	}
	return nil
}

// do sends a request with a JSON body (nil: none) and decodes a JSON
// answer into out (nil: none); raw, when not nil, receives the body as is.
func (c *Client) do(ctx context.Context, method, path, token string, in, out any, raw *[]byte) error {
	if err := CheckAgentURL(c.BaseURL); err != nil {
		return err
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if c.Lang != "" {
		req.Header.Set("Accept-Language", c.Lang)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrAgent, err)
	}
	defer resp.Body.Close()
	b, err := bounded.ReadAll(resp.Body, MaxResponse)
	if errors.Is(err, bounded.ErrTooLarge) {
		return fmt.Errorf("%w: the answer is larger than %d bytes", ErrAgent, MaxResponse)
	}
	if err != nil {
		return fmt.Errorf("%w: reading the answer: %w", ErrAgent, err)
	}
	if resp.StatusCode >= 400 {
		e := &APIError{Status: resp.StatusCode, Code: "unknown", Message: http.StatusText(resp.StatusCode)}
		var eb server.ErrorBody
		if json.Unmarshal(b, &eb) == nil && eb.Code != "" {
			e.Code, e.Message = eb.Code, eb.Message
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		return e
	}
	if raw != nil {
		*raw = b
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%w: unreadable answer: %w", ErrAgent, err)
		}
	}
	return nil
}

func b64(b []byte) string {
	if b == nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// CreateHolder creates a holder.
func (c *Client) CreateHolder(ctx context.Context, pin string, device []byte, lang string) (*api.Created, error) {
	var out api.Created
	err := c.do(ctx, http.MethodPost, "/v1/holders", "", api.CreateRequest{PIN: pin, DeviceSecret: b64(device), Lang: lang}, &out, nil)
	return &out, err
}

// Login opens a session.
func (c *Client) Login(ctx context.Context, holderID, pin string, device []byte) (*api.Session, error) {
	var out api.Session
	err := c.do(ctx, http.MethodPost, "/v1/sessions", "", api.LoginRequest{HolderID: holderID, PIN: pin, DeviceSecret: b64(device)}, &out, nil)
	return &out, err
}

// Logout ends a session.
func (c *Client) Logout(ctx context.Context, token string) error {
	return c.do(ctx, http.MethodDelete, "/v1/sessions/current", token, nil, nil, nil)
}

// ChangePIN changes the PIN (newDevice nil: keep the device secret) and
// returns the new session; every other session ends.
func (c *Client) ChangePIN(ctx context.Context, token, pin string, device []byte, newPIN string, newDevice []byte) (*api.Session, error) {
	var out api.Session
	err := c.do(ctx, http.MethodPut, "/v1/holder/pin", token, api.ChangePINRequest{PIN: pin, DeviceSecret: b64(device), NewPIN: newPIN, NewDeviceSecret: b64(newDevice)}, &out, nil)
	return &out, err
}

// Recover sets a new PIN and device secret with the recovery code.
func (c *Client) Recover(ctx context.Context, code, newPIN string, newDevice []byte) (*api.Session, error) {
	var out api.Session
	err := c.do(ctx, http.MethodPost, "/v1/recover", "", api.RecoverRequest{RecoveryCode: code, NewPIN: newPIN, NewDeviceSecret: b64(newDevice)}, &out, nil)
	return &out, err
}

// Wipe deletes the holder and everything of theirs.
func (c *Client) Wipe(ctx context.Context, token string) error {
	return c.do(ctx, http.MethodDelete, "/v1/holder", token, nil, nil, nil)
}

// Settings returns the holder's settings.
func (c *Client) Settings(ctx context.Context, token string) (*api.Settings, error) {
	var out api.Settings
	err := c.do(ctx, http.MethodGet, "/v1/holder/settings", token, nil, &out, nil)
	return &out, err
}

// PutSettings replaces the holder's settings.
func (c *Client) PutSettings(ctx context.Context, token string, s api.Settings) error {
	return c.do(ctx, http.MethodPut, "/v1/holder/settings", token, s, nil, nil)
}

// Keys returns the holder keys' status.
func (c *Client) Keys(ctx context.Context, token string) (*wallet.KeyStatus, error) {
	var out wallet.KeyStatus
	err := c.do(ctx, http.MethodGet, "/v1/holder/keys", token, nil, &out, nil)
	return &out, err
}

// RefreshKeys adds a fresh set of holder keys.
func (c *Client) RefreshKeys(ctx context.Context, token string) (*api.KeysRefreshed, error) {
	var out api.KeysRefreshed
	err := c.do(ctx, http.MethodPost, "/v1/holder/keys/refresh", token, nil, &out, nil)
	return &out, err
}

func langQuery(lang string) string {
	if lang == "" {
		return ""
	}
	return "?lang=" + url.QueryEscape(lang)
}

// Credentials lists the credentials (lang "": the agent chooses).
func (c *Client) Credentials(ctx context.Context, token, lang string) (*api.Credentials, error) {
	var out api.Credentials
	err := c.do(ctx, http.MethodGet, "/v1/credentials"+langQuery(lang), token, nil, &out, nil)
	return &out, err
}

// CredentialsStored lists the credentials without reading any status
// list: each shows the last status read, with its age (refresh=false).
func (c *Client) CredentialsStored(ctx context.Context, token, lang string) (*api.Credentials, error) {
	q := "?refresh=false"
	if lang != "" {
		q += "&lang=" + url.QueryEscape(lang)
	}
	var out api.Credentials
	err := c.do(ctx, http.MethodGet, "/v1/credentials"+q, token, nil, &out, nil)
	return &out, err
}

// Credential shows one credential with its claims.
func (c *Client) Credential(ctx context.Context, token, id, lang string) (*api.CredentialDetail, error) {
	var out api.CredentialDetail
	err := c.do(ctx, http.MethodGet, "/v1/credentials/"+url.PathEscape(id)+langQuery(lang), token, nil, &out, nil)
	return &out, err
}

// DeleteCredential deletes a credential and its copies.
func (c *Client) DeleteCredential(ctx context.Context, token, id string) (int, error) {
	var out struct {
		N int `json:"deleted_copies"`
	}
	err := c.do(ctx, http.MethodDelete, "/v1/credentials/"+url.PathEscape(id), token, nil, &out, nil)
	return out.N, err
}

// Timeline returns when each fact was attested.
func (c *Client) Timeline(ctx context.Context, token, lang string) (*api.Timeline, error) {
	var out api.Timeline
	err := c.do(ctx, http.MethodGet, "/v1/timeline"+langQuery(lang), token, nil, &out, nil)
	return &out, err
}

// Log returns the consent log.
func (c *Client) Log(ctx context.Context, token string) ([]api.LogEntry, error) {
	var out api.Log
	err := c.do(ctx, http.MethodGet, "/v1/log", token, nil, &out, nil)
	return out.Entries, err
}

// VerifyLog checks the consent log's chain.
func (c *Client) VerifyLog(ctx context.Context, token string) (*api.LogVerification, error) {
	var out api.LogVerification
	err := c.do(ctx, http.MethodGet, "/v1/log/verify", token, nil, &out, nil)
	return &out, err
}

// ExportLog returns the consent log export (JSON, cairn-consent-log-v1).
func (c *Client) ExportLog(ctx context.Context, token string) ([]byte, error) {
	var raw []byte
	err := c.do(ctx, http.MethodGet, "/v1/log/export", token, nil, nil, &raw)
	return raw, err
}

// Export returns the wallet export file, encrypted with passphrase.
func (c *Client) Export(ctx context.Context, token, passphrase string) ([]byte, error) {
	var raw []byte
	err := c.do(ctx, http.MethodPost, "/v1/export", token, api.ExportRequest{Passphrase: passphrase}, nil, &raw)
	return raw, err
}

// Import imports an export file into the (fresh) holder.
func (c *Client) Import(ctx context.Context, token string, file []byte, passphrase string) (*api.Imported, error) {
	var out api.Imported
	err := c.do(ctx, http.MethodPost, "/v1/import", token, api.ImportRequest{Passphrase: passphrase, File: base64.StdEncoding.EncodeToString(file)}, &out, nil)
	return &out, err
}

// StatusSummary is a credential's status in one short English phrase,
// for a table: "valid (checked 5m ago)", "revoked (as of 2d ago, not
// refreshed)", "unavailable: unreachable (last known valid, 3h ago)",
// "not_checked".
func StatusSummary(v api.CredentialView) string {
	age := ""
	if v.StatusAgeSeconds != nil {
		age = shortAge(time.Duration(*v.StatusAgeSeconds) * time.Second)
	}
	switch {
	case v.Status == wallet.StatusUnavailable && v.StatusLastKnown != "":
		return fmt.Sprintf("unavailable: %s (last known %s, %s ago)", v.StatusReason, v.StatusLastKnown, age)
	case v.Status == wallet.StatusUnavailable:
		return "unavailable: " + v.StatusReason
	case age != "" && v.StatusSource == wallet.SourceStored:
		return fmt.Sprintf("%s (as of %s ago, not refreshed)", v.Status, age)
	case age != "":
		return fmt.Sprintf("%s (checked %s ago)", v.Status, age)
	}
	return v.Status
}

// shortAge is d in its largest whole unit: 40s, 5m, 3h, 2d.
func shortAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}
