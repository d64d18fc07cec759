package oid4vci

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// GrantPreAuthorizedCode is the grant type of the pre-authorized code flow
// (§4.1.1, §6.1).
const GrantPreAuthorizedCode = "urn:ietf:params:oauth:grant-type:pre-authorized_code"

// GrantAuthorizationCode is the authorization code grant (RFC 6749 §4.1).
const GrantAuthorizationCode = "authorization_code"

// FormatSDJWTVC is the Credential Format Identifier of IETF SD-JWT VC
// (Appendix A.3.1).
const FormatSDJWTVC = "dc+sd-jwt"

// ProofTypeJWT is the only proof type Cairn uses (Appendix F.1).
const ProofTypeJWT = "jwt"

// Error codes of the OAuth and OpenID4VCI error responses.
const (
	// Token Endpoint, RFC 6749 §5.2 as clarified by §6.3.
	ErrorInvalidRequest       = "invalid_request"
	ErrorInvalidClient        = "invalid_client"
	ErrorInvalidGrant         = "invalid_grant"
	ErrorUnauthorizedClient   = "unauthorized_client"
	ErrorUnsupportedGrantType = "unsupported_grant_type"
	ErrorInvalidScope         = "invalid_scope"
	// Bearer token errors (RFC 6750 §3.1) at the Credential and
	// Notification Endpoints.
	ErrorInvalidToken      = "invalid_token"
	ErrorInsufficientScope = "insufficient_scope"
	// Credential Endpoint, §8.3.1.2.
	ErrorInvalidCredentialRequest       = "invalid_credential_request"
	ErrorUnknownCredentialConfiguration = "unknown_credential_configuration"
	ErrorUnknownCredentialIdentifier    = "unknown_credential_identifier"
	ErrorInvalidProof                   = "invalid_proof"
	ErrorInvalidNonce                   = "invalid_nonce"
	ErrorInvalidEncryptionParameters    = "invalid_encryption_parameters"
	ErrorCredentialRequestDenied        = "credential_request_denied"
	// Notification Endpoint, §11.3.
	ErrorInvalidNotificationID      = "invalid_notification_id"
	ErrorInvalidNotificationRequest = "invalid_notification_request"
	// Generic server conditions (RFC 6749 §4.1.2.1).
	ErrorServerError            = "server_error"
	ErrorTemporarilyUnavailable = "temporarily_unavailable"
)

// Notification events (§11.1).
const (
	EventCredentialAccepted = "credential_accepted"
	EventCredentialFailure  = "credential_failure"
	EventCredentialDeleted  = "credential_deleted"
)

// Bounds on values this package accepts or produces.
const (
	// MaxCodeLen bounds a pre-authorized code, access token, c_nonce or
	// notification_id.
	MaxCodeLen = 512
	// MaxTxCodeLen bounds a transaction code value and tx_code.length.
	MaxTxCodeLen = 64
	// MaxTxCodeDescription is the §4.1.1 limit on tx_code.description,
	// in characters.
	MaxTxCodeDescription = 300
	// MaxDescriptionLen bounds error_description and event_description.
	MaxDescriptionLen = 1024
)

// ErrorResponse is the error body of RFC 6749 §5.2, RFC 6750 §3 and
// OpenID4VCI §6.3, §8.3.1.2, §11.3: {"error", "error_description"}. It is
// also an error, so request parsers can return the answer they imply.
type ErrorResponse struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func (e *ErrorResponse) Error() string {
	if e.Description == "" {
		return "oid4vci: " + e.Code
	}
	return "oid4vci: " + e.Code + ": " + e.Description
}

// Is makes errors.Is(err, &ErrorResponse{Code: c}) match on the code.
func (e *ErrorResponse) Is(target error) bool {
	t, ok := target.(*ErrorResponse)
	return ok && t.Code == e.Code && (t.Description == "" || t.Description == e.Description)
}

func errorResponse(code, format string, a ...any) *ErrorResponse {
	return &ErrorResponse{Code: code, Description: fmt.Sprintf(format, a...)}
}

// TokenRequest is a Token Request of the pre-authorized code flow (§6.1),
// sent form-encoded.
type TokenRequest struct {
	GrantType         string // GrantPreAuthorizedCode
	PreAuthorizedCode string
	TxCode            string // required when the offer had a tx_code object
	ClientID          string // only when the client identifies itself
}

// Form encodes the request as application/x-www-form-urlencoded values.
func (r TokenRequest) Form() url.Values {
	f := url.Values{"grant_type": {r.GrantType}, "pre-authorized_code": {r.PreAuthorizedCode}}
	if r.TxCode != "" {
		f.Set("tx_code", r.TxCode)
	}
	if r.ClientID != "" {
		f.Set("client_id", r.ClientID)
	}
	return f
}

// ParseTokenRequest reads a pre-authorized code Token Request from parsed
// form values. Refusals are *ErrorResponse values with the code to answer:
// unsupported_grant_type for another grant, invalid_request for a missing,
// empty, repeated or oversized parameter (grant_type included: RFC 6749
// §5.2). Unknown parameters are ignored (§6.1).
func ParseTokenRequest(form url.Values) (*TokenRequest, error) {
	switch gt := form["grant_type"]; {
	case len(gt) == 0 || (len(gt) == 1 && gt[0] == ""):
		return nil, errorResponse(ErrorInvalidRequest, "grant_type is required")
	case len(gt) > 1:
		return nil, errorResponse(ErrorInvalidRequest, "grant_type is repeated")
	case gt[0] != GrantPreAuthorizedCode:
		return nil, errorResponse(ErrorUnsupportedGrantType, "only the pre-authorized code grant is supported")
	}
	for _, name := range []string{"pre-authorized_code", "tx_code", "client_id"} {
		if len(form[name]) > 1 {
			return nil, errorResponse(ErrorInvalidRequest, "%s is repeated", name)
		}
	}
	r := &TokenRequest{GrantType: GrantPreAuthorizedCode, PreAuthorizedCode: form.Get("pre-authorized_code"), TxCode: form.Get("tx_code"), ClientID: form.Get("client_id")}
	if r.PreAuthorizedCode == "" || len(r.PreAuthorizedCode) > MaxCodeLen {
		return nil, errorResponse(ErrorInvalidRequest, "one pre-authorized_code of at most %d bytes is required", MaxCodeLen)
	}
	if len(r.TxCode) > MaxTxCodeLen || len(r.ClientID) > MaxCodeLen {
		return nil, errorResponse(ErrorInvalidRequest, "tx_code or client_id too long")
	}
	return r, nil
}

// TokenResponse is a successful Token Response (§6.2, RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken          string                `json:"access_token"`
	TokenType            string                `json:"token_type"`
	ExpiresIn            int64                 `json:"expires_in,omitempty"`
	AuthorizationDetails []AuthorizationDetail `json:"authorization_details,omitempty"`
}

// AuthorizationDetail is an openid_credential authorization details object
// as returned in a Token Response (§6.2, §5.1.1).
type AuthorizationDetail struct {
	Type                      string   `json:"type"`
	CredentialConfigurationID string   `json:"credential_configuration_id,omitempty"`
	CredentialIdentifiers     []string `json:"credential_identifiers,omitempty"`
}

// Validate checks what a client needs of a Token Response.
func (r *TokenResponse) Validate() error {
	if r.AccessToken == "" || len(r.AccessToken) > MaxCodeLen || !printableASCII(r.AccessToken) {
		return fmt.Errorf("%w: access_token missing, too long or not printable ASCII", ErrMalformed)
	}
	if !strings.EqualFold(r.TokenType, "Bearer") {
		return fmt.Errorf("%w: token_type %q, only Bearer is supported", ErrMalformed, r.TokenType)
	}
	if r.ExpiresIn < 0 {
		return fmt.Errorf("%w: negative expires_in", ErrMalformed)
	}
	for _, d := range r.AuthorizationDetails {
		if d.Type == "openid_credential" && len(d.CredentialIdentifiers) == 0 {
			return fmt.Errorf("%w: authorization_details without credential_identifiers", ErrMalformed)
		}
	}
	return nil
}

// NonceResponse is the Nonce Endpoint's answer (§7.2).
type NonceResponse struct {
	CNonce string `json:"c_nonce"`
}

// Validate checks the c_nonce is present and bounded.
func (r *NonceResponse) Validate() error {
	if r.CNonce == "" || len(r.CNonce) > MaxCodeLen {
		return fmt.Errorf("%w: c_nonce missing or longer than %d bytes", ErrMalformed, MaxCodeLen)
	}
	return nil
}

// CredentialRequest is a Credential Request (§8.2). Exactly one of
// CredentialConfigurationID and CredentialIdentifier is set.
type CredentialRequest struct {
	CredentialIdentifier      string          `json:"credential_identifier,omitempty"`
	CredentialConfigurationID string          `json:"credential_configuration_id,omitempty"`
	Proofs                    *Proofs         `json:"proofs,omitempty"`
	Encryption                json.RawMessage `json:"credential_response_encryption,omitempty"`
	// Proof is the singular proof of pre-1.0 drafts; present only to be refused.
	Proof json.RawMessage `json:"proof,omitempty"`
}

// Proofs is the proofs parameter (§8.2): exactly one proof type. Cairn
// uses jwt; other types are kept by name in Other so a server can refuse
// them.
type Proofs struct {
	JWT   []string
	Other map[string]json.RawMessage
}

// MarshalJSON writes {"jwt": [...]} plus any other types.
func (p Proofs) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, 1+len(p.Other))
	for k, v := range p.Other {
		m[k] = v
	}
	if p.JWT != nil {
		m[ProofTypeJWT] = p.JWT
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads the proofs object; jwt must be an array of strings.
func (p *Proofs) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*p = Proofs{}
	for k, v := range m {
		if k != ProofTypeJWT {
			if p.Other == nil {
				p.Other = map[string]json.RawMessage{}
			}
			p.Other[k] = v
			continue
		}
		if err := json.Unmarshal(v, &p.JWT); err != nil {
			return fmt.Errorf("proofs.jwt: %w", err)
		}
		if p.JWT == nil {
			p.JWT = []string{}
		}
	}
	return nil
}

// ParseCredentialRequest strictly decodes a Credential Request body and
// checks its shape (§8.2): ParseCredentialRequestBody, then CheckProofs
// with maxProofs. Refusals are *ErrorResponse values
// (invalid_credential_request, invalid_proof,
// invalid_encryption_parameters). It does not check the proofs themselves
// (CheckProof does).
func ParseCredentialRequest(b []byte, maxProofs int) (*CredentialRequest, error) {
	r, err := ParseCredentialRequestBody(b)
	if err != nil {
		return nil, err
	}
	if err := r.CheckProofs(maxProofs); err != nil {
		return nil, err
	}
	return r, nil
}

// ParseCredentialRequestBody strictly decodes a Credential Request body
// and checks its shape but the proofs (§8.2): one of
// credential_configuration_id and credential_identifier, no singular
// proof, no response encryption. Unknown members are ignored (§8.2). An
// issuer with configurations that take no proof (no
// proof_types_supported: proofs is then not required, §8.2) parses with
// it, and calls CheckProofs once it knows the configuration asks for
// proofs.
func ParseCredentialRequestBody(b []byte) (*CredentialRequest, error) {
	var r CredentialRequest
	if err := unmarshalStrict(b, &r); err != nil {
		return nil, errorResponse(ErrorInvalidCredentialRequest, "body is not a valid credential request object")
	}
	if len(r.Encryption) > 0 {
		return nil, errorResponse(ErrorInvalidEncryptionParameters, "credential response encryption is not supported")
	}
	if len(r.Proof) > 0 {
		return nil, errorResponse(ErrorInvalidCredentialRequest, "use proofs, not proof (OpenID4VCI 1.0)")
	}
	if (r.CredentialConfigurationID == "") == (r.CredentialIdentifier == "") {
		return nil, errorResponse(ErrorInvalidCredentialRequest, "exactly one of credential_configuration_id and credential_identifier is required")
	}
	return &r, nil
}

// CheckProofs checks the proofs of a request for a configuration that
// asks for them: present, exactly one proof type, jwt, a non-empty array
// of at most maxProofs (at least 1). Refusals are *ErrorResponse values
// with invalid_proof.
func (r *CredentialRequest) CheckProofs(maxProofs int) error {
	if r.Proofs == nil || len(r.Proofs.Other) > 0 || len(r.Proofs.JWT) == 0 {
		return errorResponse(ErrorInvalidProof, "proofs with a non-empty jwt array is required (only jwt proofs are supported)")
	}
	if maxProofs < 1 {
		maxProofs = 1
	}
	if len(r.Proofs.JWT) > maxProofs {
		return errorResponse(ErrorInvalidProof, "at most %d jwt proofs", maxProofs)
	}
	return nil
}

// CredentialResponse is an immediate Credential Response (§8.3).
type CredentialResponse struct {
	Credentials    []IssuedCredential `json:"credentials,omitempty"`
	TransactionID  string             `json:"transaction_id,omitempty"`
	Interval       int64              `json:"interval,omitempty"`
	NotificationID string             `json:"notification_id,omitempty"`
}

// IssuedCredential is one element of credentials. For dc+sd-jwt the
// credential is a string (Appendix A.3.4); other formats may use objects,
// so it is kept raw.
type IssuedCredential struct {
	Credential json.RawMessage `json:"credential"`
}

// String returns the credential when it is a JSON string, else "".
func (c IssuedCredential) String() string {
	var s string
	if json.Unmarshal(c.Credential, &s) != nil {
		return ""
	}
	return s
}

// NewIssuedCredential wraps a string credential (SD-JWT VC).
func NewIssuedCredential(s string) IssuedCredential {
	b, _ := json.Marshal(s)
	return IssuedCredential{Credential: b}
}

// Validate checks an immediate response: credentials present and not
// mixed with transaction_id or interval (§8.3), each credential present,
// notification_id bounded.
func (r *CredentialResponse) Validate() error {
	if r.TransactionID != "" {
		return fmt.Errorf("%w: deferred issuance (transaction_id) is not supported", ErrUnsupported)
	}
	if len(r.Credentials) == 0 || r.Interval != 0 {
		return fmt.Errorf("%w: credentials missing", ErrMalformed)
	}
	for i, c := range r.Credentials {
		if len(c.Credential) == 0 || string(c.Credential) == "null" {
			return fmt.Errorf("%w: credentials[%d].credential missing", ErrMalformed, i)
		}
	}
	if len(r.NotificationID) > MaxCodeLen {
		return fmt.Errorf("%w: notification_id longer than %d bytes", ErrMalformed, MaxCodeLen)
	}
	return nil
}

// NotificationRequest is a Notification Request (§11.1).
type NotificationRequest struct {
	NotificationID   string `json:"notification_id"`
	Event            string `json:"event"`
	EventDescription string `json:"event_description,omitempty"`
}

// Validate checks the request as an issuer must (§11.1); refusals are
// *ErrorResponse values with invalid_notification_request.
func (r *NotificationRequest) Validate() error {
	switch r.Event {
	case EventCredentialAccepted, EventCredentialFailure, EventCredentialDeleted:
	default:
		return errorResponse(ErrorInvalidNotificationRequest, "event must be credential_accepted, credential_failure or credential_deleted")
	}
	if r.NotificationID == "" || len(r.NotificationID) > MaxCodeLen {
		return errorResponse(ErrorInvalidNotificationRequest, "notification_id is required")
	}
	if len(r.EventDescription) > MaxDescriptionLen || !descriptionChars(r.EventDescription) {
		return errorResponse(ErrorInvalidNotificationRequest, "event_description must be printable ASCII without '\"' or '\\'")
	}
	return nil
}

// descriptionChars reports whether s uses only %x20-21 / %x23-5B /
// %x5D-7E, the set §8.3.1.2 and §11.1 allow in descriptions.
func descriptionChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// sanitize makes a peer-supplied string safe to show or log: at most max
// bytes, characters outside the description set replaced by '?'.
func sanitize(s string, max int) string {
	if len(s) > max {
		s = s[:max]
	}
	if descriptionChars(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r >= 0x20 && r <= 0x7e && r != '"' && r != '\\' {
			b.WriteRune(r)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}
