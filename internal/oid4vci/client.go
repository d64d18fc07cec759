package oid4vci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/cairn-id/cairn/internal/httpx"
	"github.com/cairn-id/cairn/internal/jose"
)

// Client errors; a failed step is a *StepError wrapping one of these, the
// server's *ErrorResponse or a transport error.
var (
	// ErrTxCodeRequired: the offer asks for a transaction code and none was given.
	ErrTxCodeRequired = errors.New("oid4vci: the offer requires a transaction code")
	// ErrTxCode: the transaction code does not fit the offer's description.
	ErrTxCode = errors.New("oid4vci: transaction code does not fit the offer")
	// ErrNoPreAuthorizedGrant: the offer has no pre-authorized code grant.
	ErrNoPreAuthorizedGrant = errors.New("oid4vci: the offer has no pre-authorized code grant")
	// ErrUnknownConfiguration: the configuration is not offered, or not in
	// the issuer's metadata.
	ErrUnknownConfiguration = errors.New("oid4vci: credential configuration not offered or unknown to the issuer")
	// ErrUnexpectedStatus: an HTTP status the step does not expect, with
	// no OAuth error body.
	ErrUnexpectedStatus = errors.New("oid4vci: unexpected HTTP status")
)

// Step names a step of the flow, for errors and logs.
type Step string

// The steps of the pre-authorized code flow.
const (
	StepOffer          Step = "offer"
	StepIssuerMetadata Step = "issuer_metadata"
	StepASMetadata     Step = "as_metadata"
	StepToken          Step = "token"
	StepNonce          Step = "nonce"
	StepProof          Step = "proof"
	StepCredential     Step = "credential"
	StepNotification   Step = "notification"
)

// StepError is a failed step. Code and Description are the server's
// error and error_description (Description made safe to log: printable
// ASCII, bounded); both are empty when the failure was local, in
// transport or without an OAuth error body.
type StepError struct {
	Step        Step
	Status      int // HTTP status; 0 when there was no response
	Code        string
	Description string
	Err         error
}

func (e *StepError) Error() string {
	s := "oid4vci: " + string(e.Step)
	if e.Status != 0 {
		s += ": HTTP " + strconv.Itoa(e.Status)
	}
	if e.Code != "" {
		s += ": " + e.Code
		if e.Description != "" {
			s += " (" + e.Description + ")"
		}
		return s
	}
	return s + ": " + e.Err.Error()
}

func (e *StepError) Unwrap() error { return e.Err }

// ErrorCode returns the server's error code carried by err, or "".
func ErrorCode(err error) string {
	var se *StepError
	if errors.As(err, &se) {
		return se.Code
	}
	return ""
}

// Default response bounds of the Client.
const (
	DefaultMaxResponseBytes   = 64 << 10 // offers, tokens, nonces, errors
	DefaultMaxCredentialBytes = 1 << 20  // credential responses
)

// ClientOptions configure NewClient. Zero values are the defaults.
type ClientOptions struct {
	// HTTPClient makes every request. nil means httpx.NewClient (https
	// only, SSRF-guarded, time-bounded; AllowHTTP also lets it reach
	// private addresses).
	HTTPClient *http.Client
	// Now is the clock for proofs' iat; nil means time.Now.
	Now func() time.Time
	// AllowHTTP accepts http:// issuers and endpoints (development only).
	AllowHTTP bool
	// ClientID, when set, is sent in the Token Request and as the proofs'
	// iss; leave it empty for anonymous pre-authorized access.
	ClientID string
	// MaxResponseBytes bounds offer, token, nonce, notification and error
	// bodies; MaxMetadataBytes metadata; MaxCredentialBytes credential
	// responses.
	MaxResponseBytes, MaxMetadataBytes, MaxCredentialBytes int64
}

// Client is the wallet side of the pre-authorized code flow. It keeps no
// state between calls and is safe for concurrent use.
type Client struct {
	hc       *http.Client
	now      func() time.Time
	opts     Options
	clientID string
	maxResp  int64
	maxMeta  int64
	maxCred  int64
}

// NewClient returns a Client.
func NewClient(o ClientOptions) *Client {
	c := &Client{hc: o.HTTPClient, now: o.Now, opts: Options{AllowHTTP: o.AllowHTTP}, clientID: o.ClientID,
		maxResp: o.MaxResponseBytes, maxMeta: o.MaxMetadataBytes, maxCred: o.MaxCredentialBytes}
	if c.hc == nil {
		c.hc = httpx.NewClient(httpx.Options{AllowPrivate: o.AllowHTTP})
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.maxResp <= 0 {
		c.maxResp = DefaultMaxResponseBytes
	}
	if c.maxMeta <= 0 {
		c.maxMeta = MaxMetadataLen
	}
	if c.maxCred <= 0 {
		c.maxCred = DefaultMaxCredentialBytes
	}
	return c
}

// ResolveOffer parses an offer URI and, when it is by reference, fetches
// the offer (§4.1.3). The offer is validated either way.
func (c *Client) ResolveOffer(ctx context.Context, uri string) (*CredentialOffer, error) {
	ou, err := ParseOfferURI(uri, c.opts)
	if err != nil {
		return nil, &StepError{Step: StepOffer, Err: err}
	}
	if ou.Offer != nil {
		return ou.Offer, nil
	}
	return c.FetchOffer(ctx, ou.URI)
}

// FetchOffer GETs a credential offer by reference (§4.1.3): an
// application/json body of at most MaxOfferLen bytes, strictly decoded
// and validated.
func (c *Client) FetchOffer(ctx context.Context, offerURL string) (*CredentialOffer, error) {
	if _, err := checkURL(offerURL, c.opts, true); err != nil {
		return nil, &StepError{Step: StepOffer, Err: fmt.Errorf("%w: credential_offer_uri: %w", ErrInvalidOffer, err)}
	}
	b, err := c.do(ctx, StepOffer, http.MethodGet, offerURL, "", nil, "", min(c.maxResp, MaxOfferLen))
	if err != nil {
		return nil, err
	}
	o, err := ParseOffer(b, c.opts)
	if err != nil {
		return nil, &StepError{Step: StepOffer, Status: http.StatusOK, Err: err}
	}
	return o, nil
}

// IssuerMetadata fetches and validates the metadata of Credential Issuer
// issuer (§12.2.2, §12.2.4).
func (c *Client) IssuerMetadata(ctx context.Context, issuer string) (*IssuerMetadata, error) {
	if err := CheckIssuerIdentifier(issuer, c.opts); err != nil {
		return nil, &StepError{Step: StepIssuerMetadata, Err: err}
	}
	u, err := IssuerMetadataURL(issuer)
	if err != nil {
		return nil, &StepError{Step: StepIssuerMetadata, Err: err}
	}
	var m IssuerMetadata
	if err := c.getJSON(ctx, StepIssuerMetadata, u, c.maxMeta, &m); err != nil {
		return nil, err
	}
	if err := m.Validate(issuer, c.opts); err != nil {
		return nil, &StepError{Step: StepIssuerMetadata, Status: http.StatusOK, Err: err}
	}
	return &m, nil
}

// AuthServerMetadata fetches and validates RFC 8414 metadata of
// authorization server as.
func (c *Client) AuthServerMetadata(ctx context.Context, as string) (*AuthServerMetadata, error) {
	if err := CheckIssuerIdentifier(as, c.opts); err != nil {
		return nil, &StepError{Step: StepASMetadata, Err: err}
	}
	u, err := AuthServerMetadataURL(as)
	if err != nil {
		return nil, &StepError{Step: StepASMetadata, Err: err}
	}
	var m AuthServerMetadata
	if err := c.getJSON(ctx, StepASMetadata, u, c.maxMeta, &m); err != nil {
		return nil, err
	}
	if err := m.Validate(as, c.opts); err != nil {
		return nil, &StepError{Step: StepASMetadata, Status: http.StatusOK, Err: err}
	}
	return &m, nil
}

// Token POSTs a form-encoded Token Request (§6.1) and validates the
// response (§6.2).
func (c *Client) Token(ctx context.Context, endpoint string, r TokenRequest) (*TokenResponse, error) {
	b, err := c.do(ctx, StepToken, http.MethodPost, endpoint, "application/x-www-form-urlencoded", []byte(r.Form().Encode()), "", c.maxResp)
	if err != nil {
		return nil, err
	}
	var t TokenResponse
	if err := decodeResponse(StepToken, b, &t); err != nil {
		return nil, err
	}
	if err := t.Validate(); err != nil {
		return nil, &StepError{Step: StepToken, Status: http.StatusOK, Err: err}
	}
	return &t, nil
}

// Nonce POSTs to the Nonce Endpoint (§7.1) and returns the c_nonce.
func (c *Client) Nonce(ctx context.Context, endpoint string) (string, error) {
	b, err := c.do(ctx, StepNonce, http.MethodPost, endpoint, "", nil, "", c.maxResp)
	if err != nil {
		return "", err
	}
	var n NonceResponse
	if err := decodeResponse(StepNonce, b, &n); err != nil {
		return "", err
	}
	if err := n.Validate(); err != nil {
		return "", &StepError{Step: StepNonce, Status: http.StatusOK, Err: err}
	}
	return n.CNonce, nil
}

// Credential POSTs a Credential Request (§8.2) with the access token and
// validates the immediate response (§8.3).
func (c *Client) Credential(ctx context.Context, endpoint, accessToken string, r CredentialRequest) (*CredentialResponse, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return nil, &StepError{Step: StepCredential, Err: err}
	}
	b, err := c.do(ctx, StepCredential, http.MethodPost, endpoint, "application/json", body, accessToken, c.maxCred)
	if err != nil {
		return nil, err
	}
	var cr CredentialResponse
	if err := decodeResponse(StepCredential, b, &cr); err != nil {
		return nil, err
	}
	if err := cr.Validate(); err != nil {
		return nil, &StepError{Step: StepCredential, Status: http.StatusOK, Err: err}
	}
	return &cr, nil
}

// SendNotification POSTs a Notification Request (§11.1); any 2xx is
// success (§11.2).
func (c *Client) SendNotification(ctx context.Context, endpoint, accessToken string, r NotificationRequest) error {
	if err := r.Validate(); err != nil {
		return &StepError{Step: StepNotification, Err: err}
	}
	body, err := json.Marshal(r)
	if err != nil {
		return &StepError{Step: StepNotification, Err: err}
	}
	_, err = c.do(ctx, StepNotification, http.MethodPost, endpoint, "application/json", body, accessToken, c.maxResp)
	return err
}

// PreAuthorizedRequest is the input of RunPreAuthorized.
type PreAuthorizedRequest struct {
	// OfferURI is the scanned openid-credential-offer:// URI; or give the
	// resolved Offer instead.
	OfferURI string
	Offer    *CredentialOffer
	// TxCode is the transaction code the holder typed, when the offer
	// asks for one.
	TxCode string
	// ConfigurationID picks one of the offered configurations; "" is the
	// first.
	ConfigurationID string
	// Holder signs the key proof; the credential is bound to its key.
	Holder *jose.Signer
	// KeyID, when set, is the did:jwk or did:key URL of Holder's key, sent
	// as kid instead of the key itself.
	KeyID string
	// More are further holder keys for batch issuance (§8.2 proofs,
	// §12.2.4 batch_credential_issuance): with them the Credential
	// Request carries one proof per key (Holder's first, all over the same
	// c_nonce), which the issuer's batch_size must allow; the issuer
	// answers with one credential per proof. Their kids are not sent.
	More []*jose.Signer
}

// Issuance is the outcome of RunPreAuthorized.
type Issuance struct {
	Offer           *CredentialOffer
	Metadata        *IssuerMetadata
	ConfigurationID string
	// Credentials are the issued credentials (SD-JWT VCs: strings).
	Credentials []string
	// NotificationID is "" when the issuer sent none.
	NotificationID string
	// AccessToken is kept for Notify; treat it as a secret.
	AccessToken string
}

// RunPreAuthorized runs the pre-authorized code flow: resolve the offer,
// check the transaction code against it, fetch issuer and authorization
// server metadata, POST the Token Request, get a c_nonce when the issuer
// has a Nonce Endpoint, sign a key proof with r.Holder, POST the
// Credential Request and return the credentials. A failed step is a
// *StepError carrying the server's error code. It does not retry (after
// invalid_nonce a caller may run Nonce and Credential again).
func (c *Client) RunPreAuthorized(ctx context.Context, r PreAuthorizedRequest) (*Issuance, error) {
	offer := r.Offer
	if offer == nil {
		var err error
		if offer, err = c.ResolveOffer(ctx, r.OfferURI); err != nil {
			return nil, err
		}
	} else if err := offer.Validate(c.opts); err != nil {
		return nil, &StepError{Step: StepOffer, Err: err}
	}
	grant := offer.PreAuthorized()
	if grant == nil {
		return nil, &StepError{Step: StepOffer, Err: ErrNoPreAuthorizedGrant}
	}
	if err := grant.CheckTxCode(r.TxCode); err != nil {
		return nil, &StepError{Step: StepOffer, Err: err}
	}
	configID := r.ConfigurationID
	if configID == "" {
		configID = offer.CredentialConfigurationIDs[0]
	}
	if !slices.Contains(offer.CredentialConfigurationIDs, configID) {
		return nil, &StepError{Step: StepOffer, Err: fmt.Errorf("%w: %q", ErrUnknownConfiguration, configID)}
	}
	md, err := c.IssuerMetadata(ctx, offer.CredentialIssuer)
	if err != nil {
		return nil, err
	}
	if _, ok := md.CredentialConfigurationsSupported[configID]; !ok {
		return nil, &StepError{Step: StepIssuerMetadata, Err: fmt.Errorf("%w: %q", ErrUnknownConfiguration, configID)}
	}
	as, err := pickAuthServer(md, grant)
	if err != nil {
		return nil, &StepError{Step: StepASMetadata, Err: err}
	}
	asm, err := c.AuthServerMetadata(ctx, as)
	if err != nil {
		return nil, err
	}
	if !asm.SupportsPreAuthorized() {
		return nil, &StepError{Step: StepASMetadata, Err: fmt.Errorf("%w: the authorization server does not list the pre-authorized code grant", ErrUnsupported)}
	}
	tok, err := c.Token(ctx, asm.TokenEndpoint, TokenRequest{GrantType: GrantPreAuthorizedCode, PreAuthorizedCode: grant.PreAuthorizedCode, TxCode: r.TxCode, ClientID: c.clientID})
	if err != nil {
		return nil, err
	}
	req := CredentialRequest{CredentialConfigurationID: configID}
	for _, d := range tok.AuthorizationDetails {
		if d.Type == "openid_credential" && d.CredentialConfigurationID == configID && len(d.CredentialIdentifiers) > 0 {
			req = CredentialRequest{CredentialIdentifier: d.CredentialIdentifiers[0]}
		}
	}
	if algs, wantsProof := md.ProofAlgs(configID); wantsProof {
		if r.Holder == nil {
			return nil, &StepError{Step: StepProof, Err: fmt.Errorf("%w: the configuration needs a key proof and no holder key was given", ErrInvalidProof)}
		}
		if !slices.Contains(algs, string(r.Holder.Alg())) {
			return nil, &StepError{Step: StepProof, Err: fmt.Errorf("%w: the issuer takes jwt proofs with %v, the holder key signs %s", ErrUnsupported, algs, r.Holder.Alg())}
		}
		var nonce string
		if md.NonceEndpoint != "" {
			if nonce, err = c.Nonce(ctx, md.NonceEndpoint); err != nil {
				return nil, err
			}
		}
		if n := 1 + len(r.More); n > 1 && (md.BatchCredentialIssuance == nil || md.BatchCredentialIssuance.BatchSize < n) {
			return nil, &StepError{Step: StepProof, Err: fmt.Errorf("%w: %d proofs and the issuer's batch_size is below that", ErrUnsupported, n)}
		}
		proof, err := NewProof(r.Holder, ProofParams{Audience: md.CredentialIssuer, Nonce: nonce, IssuedAt: c.now(), ClientID: c.clientID, KeyID: r.KeyID})
		if err != nil {
			return nil, &StepError{Step: StepProof, Err: err}
		}
		req.Proofs = &Proofs{JWT: []string{proof}}
		for _, h := range r.More {
			if h == nil || !slices.Contains(algs, string(h.Alg())) {
				return nil, &StepError{Step: StepProof, Err: fmt.Errorf("%w: a further holder key is missing or signs an algorithm the issuer does not take", ErrUnsupported)}
			}
			p, err := NewProof(h, ProofParams{Audience: md.CredentialIssuer, Nonce: nonce, IssuedAt: c.now(), ClientID: c.clientID})
			if err != nil {
				return nil, &StepError{Step: StepProof, Err: err}
			}
			req.Proofs.JWT = append(req.Proofs.JWT, p)
		}
	}
	cr, err := c.Credential(ctx, md.CredentialEndpoint, tok.AccessToken, req)
	if err != nil {
		return nil, err
	}
	out := &Issuance{Offer: offer, Metadata: md, ConfigurationID: configID, NotificationID: cr.NotificationID, AccessToken: tok.AccessToken}
	for i, ic := range cr.Credentials {
		s := ic.String()
		if s == "" {
			return nil, &StepError{Step: StepCredential, Status: http.StatusOK, Err: fmt.Errorf("%w: credentials[%d] is not a string credential", ErrUnsupported, i)}
		}
		out.Credentials = append(out.Credentials, s)
	}
	return out, nil
}

// Notify sends event (EventCredentialAccepted, …) for an issuance to the
// issuer's Notification Endpoint. It does nothing when the issuer has no
// endpoint or sent no notification_id.
func (c *Client) Notify(ctx context.Context, is *Issuance, event, description string) error {
	if is == nil || is.Metadata == nil || is.Metadata.NotificationEndpoint == "" || is.NotificationID == "" {
		return nil
	}
	return c.SendNotification(ctx, is.Metadata.NotificationEndpoint, is.AccessToken,
		NotificationRequest{NotificationID: is.NotificationID, Event: event, EventDescription: description})
}

// pickAuthServer chooses the authorization server: the offer's hint,
// which must be listed (§4.1.1), else the first listed, else the issuer.
func pickAuthServer(md *IssuerMetadata, g *PreAuthorizedCodeGrant) (string, error) {
	if g.AuthorizationServer != "" {
		if !slices.Contains(md.AuthorizationServers, g.AuthorizationServer) {
			return "", fmt.Errorf("%w: the offer's authorization_server is not in the issuer's authorization_servers", ErrInvalidOffer)
		}
		return g.AuthorizationServer, nil
	}
	if len(md.AuthorizationServers) > 0 {
		return md.AuthorizationServers[0], nil
	}
	return md.CredentialIssuer, nil
}

func (c *Client) getJSON(ctx context.Context, step Step, u string, limit int64, out any) error {
	b, err := c.do(ctx, step, http.MethodGet, u, "", nil, "", limit)
	if err != nil {
		return err
	}
	return decodeResponse(step, b, out)
}

func decodeResponse(step Step, b []byte, out any) error {
	if err := unmarshalStrict(b, out); err != nil {
		return &StepError{Step: step, Status: http.StatusOK, Err: err}
	}
	return nil
}

// do sends one request and returns the body of a 2xx answer, which must
// be application/json when it is not empty. Any other answer becomes a
// *StepError, with the server's error code when its body is an OAuth
// error object. Every body is read through httpx.ReadLimited.
func (c *Client) do(ctx context.Context, step Step, method, u, ctype string, body []byte, bearer string, limit int64) ([]byte, error) {
	fail := func(status int, err error) ([]byte, error) {
		return nil, &StepError{Step: step, Status: status, Err: err}
	}
	if _, err := checkURL(u, c.opts, true); err != nil {
		return fail(0, err)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return fail(0, err)
	}
	req.Header.Set("Accept", "application/json")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return fail(0, err)
	}
	defer res.Body.Close()
	b, err := httpx.ReadLimited(res.Body, limit)
	if errors.Is(err, httpx.ErrTooLarge) {
		return fail(res.StatusCode, fmt.Errorf("%w: %w", ErrTooLarge, err))
	}
	if err != nil {
		return fail(res.StatusCode, err)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		var er ErrorResponse
		if isJSON(res.Header.Get("Content-Type")) && unmarshalStrict(b, &er) == nil && er.Code != "" {
			er.Code = sanitize(er.Code, 64)
			er.Description = sanitize(er.Description, 300)
			return nil, &StepError{Step: step, Status: res.StatusCode, Code: er.Code, Description: er.Description, Err: &er}
		}
		return fail(res.StatusCode, ErrUnexpectedStatus)
	}
	if len(b) > 0 && !isJSON(res.Header.Get("Content-Type")) {
		return fail(res.StatusCode, fmt.Errorf("%w: content type %q, want application/json", ErrMalformed, sanitize(res.Header.Get("Content-Type"), 64)))
	}
	return b, nil
}

func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}
