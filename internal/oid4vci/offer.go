package oid4vci

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// OfferScheme is the custom URL scheme of a wallet's Credential Offer
// Endpoint when none was discovered (§12.1.1).
const OfferScheme = "openid-credential-offer"

// Size bounds of credential offers.
const (
	// MaxOfferURILen bounds an offer URI (by value, the offer is in it).
	MaxOfferURILen = 32 << 10
	// MaxOfferLen bounds the JSON of one credential offer object.
	MaxOfferLen = 16 << 10
	// MaxURLLen bounds an issuer identifier, endpoint or offer URL.
	MaxURLLen = 2048
	// MaxConfigurationIDs bounds credential_configuration_ids.
	MaxConfigurationIDs = 64
	// MaxIDLen bounds one credential configuration id (or identifier).
	MaxIDLen = 256
)

// Transaction code input modes (§4.1.1).
const (
	TxInputNumeric = "numeric"
	TxInputText    = "text"
)

// Options loosens checks for local development.
type Options struct {
	// AllowHTTP accepts http:// issuer identifiers, endpoints and offer
	// URLs. For a local issuer in development only, never in production
	// (§12.2.1 and §4.1 require https).
	AllowHTTP bool
}

// CredentialOffer is the Credential Offer object (§4.1.1). Unknown
// members are ignored on parsing, as the Wallet must (§4.1.1).
type CredentialOffer struct {
	CredentialIssuer           string   `json:"credential_issuer"`
	CredentialConfigurationIDs []string `json:"credential_configuration_ids"`
	Grants                     *Grants  `json:"grants,omitempty"`
}

// Grants holds the grant types an offer names; others are ignored.
type Grants struct {
	AuthorizationCode *AuthorizationCodeGrant `json:"authorization_code,omitempty"`
	PreAuthorizedCode *PreAuthorizedCodeGrant `json:"urn:ietf:params:oauth:grant-type:pre-authorized_code,omitempty"`
}

// AuthorizationCodeGrant is the authorization_code grant of an offer.
type AuthorizationCodeGrant struct {
	IssuerState         string `json:"issuer_state,omitempty"`
	AuthorizationServer string `json:"authorization_server,omitempty"`
}

// PreAuthorizedCodeGrant is the pre-authorized code grant of an offer.
type PreAuthorizedCodeGrant struct {
	PreAuthorizedCode string `json:"pre-authorized_code"`
	// TxCode, when not nil (even when empty), means the Token Request must
	// carry a tx_code.
	TxCode              *TxCode `json:"tx_code,omitempty"`
	AuthorizationServer string  `json:"authorization_server,omitempty"`
}

// TxCode describes the transaction code the holder must enter.
type TxCode struct {
	InputMode   string `json:"input_mode,omitempty"` // numeric (default) or text
	Length      int    `json:"length,omitempty"`
	Description string `json:"description,omitempty"` // at most 300 characters
}

// PreAuthorized returns the offer's pre-authorized code grant, or nil.
func (o *CredentialOffer) PreAuthorized() *PreAuthorizedCodeGrant {
	if o.Grants == nil {
		return nil
	}
	return o.Grants.PreAuthorizedCode
}

// ParseOffer strictly decodes and validates a credential offer object.
func ParseOffer(b []byte, opts Options) (*CredentialOffer, error) {
	if len(b) > MaxOfferLen {
		return nil, fmt.Errorf("%w: credential offer of %d bytes, limit %d", ErrTooLarge, len(b), MaxOfferLen)
	}
	var o CredentialOffer
	if err := unmarshalStrict(b, &o); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOffer, err)
	}
	if err := o.Validate(opts); err != nil {
		return nil, err
	}
	return &o, nil
}

// Validate checks the offer against §4.1.1: an https issuer identifier, a
// non-empty array of unique, bounded configuration ids, and well-formed
// grants (a non-empty pre-authorized code; tx_code with a known input
// mode, a length in 1..MaxTxCodeLen and a description of at most 300
// characters).
func (o *CredentialOffer) Validate(opts Options) error {
	if err := CheckIssuerIdentifier(o.CredentialIssuer, opts); err != nil {
		return fmt.Errorf("%w: credential_issuer: %w", ErrInvalidOffer, err)
	}
	n := len(o.CredentialConfigurationIDs)
	if n == 0 || n > MaxConfigurationIDs {
		return fmt.Errorf("%w: credential_configuration_ids must hold 1 to %d ids", ErrInvalidOffer, MaxConfigurationIDs)
	}
	seen := make(map[string]bool, n)
	for _, id := range o.CredentialConfigurationIDs {
		if id == "" || len(id) > MaxIDLen || hasControl(id) {
			return fmt.Errorf("%w: credential configuration id empty, longer than %d bytes or with control characters", ErrInvalidOffer, MaxIDLen)
		}
		if seen[id] {
			return fmt.Errorf("%w: credential configuration id %q repeated", ErrInvalidOffer, id)
		}
		seen[id] = true
	}
	if o.Grants == nil {
		return nil
	}
	if g := o.Grants.AuthorizationCode; g != nil {
		if len(g.IssuerState) > MaxCodeLen || hasControl(g.IssuerState) {
			return fmt.Errorf("%w: issuer_state too long or with control characters", ErrInvalidOffer)
		}
		if g.AuthorizationServer != "" {
			if _, err := checkURL(g.AuthorizationServer, opts, false); err != nil {
				return fmt.Errorf("%w: authorization_server: %w", ErrInvalidOffer, err)
			}
		}
	}
	g := o.Grants.PreAuthorizedCode
	if g == nil {
		return nil
	}
	if g.PreAuthorizedCode == "" || len(g.PreAuthorizedCode) > MaxCodeLen || hasControl(g.PreAuthorizedCode) {
		return fmt.Errorf("%w: pre-authorized_code missing, longer than %d bytes or with control characters", ErrInvalidOffer, MaxCodeLen)
	}
	if g.AuthorizationServer != "" {
		if _, err := checkURL(g.AuthorizationServer, opts, false); err != nil {
			return fmt.Errorf("%w: authorization_server: %w", ErrInvalidOffer, err)
		}
	}
	if t := g.TxCode; t != nil {
		switch t.InputMode {
		case "", TxInputNumeric, TxInputText:
		default:
			return fmt.Errorf("%w: tx_code.input_mode %q (numeric or text)", ErrInvalidOffer, t.InputMode)
		}
		if t.Length < 0 || t.Length > MaxTxCodeLen {
			return fmt.Errorf("%w: tx_code.length must be 1 to %d", ErrInvalidOffer, MaxTxCodeLen)
		}
		if utf8.RuneCountInString(t.Description) > MaxTxCodeDescription || hasControl(t.Description) {
			return fmt.Errorf("%w: tx_code.description longer than %d characters or with control characters", ErrInvalidOffer, MaxTxCodeDescription)
		}
	}
	return nil
}

// CheckTxCode checks a transaction code against the offer's description
// of it (§4.1.1): present when required, absent when not, its length
// when given, digits only when numeric.
func (g *PreAuthorizedCodeGrant) CheckTxCode(tx string) error {
	if g.TxCode == nil {
		if tx != "" {
			return fmt.Errorf("%w: the offer has no transaction code", ErrTxCode)
		}
		return nil
	}
	if tx == "" {
		return ErrTxCodeRequired
	}
	if len(tx) > MaxTxCodeLen || hasControl(tx) {
		return fmt.Errorf("%w: longer than %d bytes or with control characters", ErrTxCode, MaxTxCodeLen)
	}
	if g.TxCode.Length > 0 && utf8.RuneCountInString(tx) != g.TxCode.Length {
		return fmt.Errorf("%w: %d characters, the offer says %d", ErrTxCode, utf8.RuneCountInString(tx), g.TxCode.Length)
	}
	if g.TxCode.InputMode != TxInputText {
		for i := 0; i < len(tx); i++ {
			if tx[i] < '0' || tx[i] > '9' {
				return fmt.Errorf("%w: the offer asks for digits only", ErrTxCode)
			}
		}
	}
	return nil
}

// OfferURI is a parsed offer URI: exactly one of Offer (by value,
// validated) and URI (by reference, an https URL still to be fetched).
type OfferURI struct {
	Offer *CredentialOffer
	URI   string
}

// ParseOfferURI parses openid-credential-offer://?credential_offer=… (the
// offer by value, which is validated) or ?credential_offer_uri=… (an
// https URL, §4.1.3). Exactly one of the two parameters, once; other
// parameters are ignored. The URI must have no host, path other than "/",
// user info or fragment.
func ParseOfferURI(s string, opts Options) (*OfferURI, error) {
	if len(s) > MaxOfferURILen {
		return nil, fmt.Errorf("%w: offer URI of %d bytes, limit %d", ErrTooLarge, len(s), MaxOfferURILen)
	}
	if hasControl(s) || strings.ContainsAny(s, " ") {
		return nil, fmt.Errorf("%w: offer URI has spaces or control characters", ErrInvalidOffer)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidOffer, err)
	}
	if u.Scheme != OfferScheme || u.Opaque != "" || u.User != nil || u.Host != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" || strings.Contains(s, "#") {
		return nil, fmt.Errorf("%w: want %s://?credential_offer=… or ?credential_offer_uri=…", ErrInvalidOffer, OfferScheme)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("%w: query: %v", ErrInvalidOffer, err)
	}
	byValue, byRef := q["credential_offer"], q["credential_offer_uri"]
	switch {
	case len(byValue) == 1 && len(byRef) == 0:
		o, err := ParseOffer([]byte(byValue[0]), opts)
		if err != nil {
			return nil, err
		}
		return &OfferURI{Offer: o}, nil
	case len(byRef) == 1 && len(byValue) == 0:
		ref, err := checkURL(byRef[0], opts, true)
		if err != nil {
			return nil, fmt.Errorf("%w: credential_offer_uri: %w", ErrInvalidOffer, err)
		}
		return &OfferURI{URI: ref.String()}, nil
	}
	return nil, fmt.Errorf("%w: exactly one credential_offer or credential_offer_uri parameter is required", ErrInvalidOffer)
}

// BuildOfferURI returns the openid-credential-offer:// URI carrying o by
// value, after validating it.
func BuildOfferURI(o *CredentialOffer, opts Options) (string, error) {
	if err := o.Validate(opts); err != nil {
		return "", err
	}
	b, err := json.Marshal(o)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidOffer, err)
	}
	if len(b) > MaxOfferLen {
		return "", fmt.Errorf("%w: credential offer of %d bytes, limit %d", ErrTooLarge, len(b), MaxOfferLen)
	}
	s := OfferScheme + "://?credential_offer=" + url.QueryEscape(string(b))
	if len(s) > MaxOfferURILen {
		return "", fmt.Errorf("%w: offer URI of %d bytes, limit %d", ErrTooLarge, len(s), MaxOfferURILen)
	}
	return s, nil
}

// BuildOfferURIByReference returns the openid-credential-offer:// URI
// that points at offerURL (§4.1.3), after checking it is an https URL.
func BuildOfferURIByReference(offerURL string, opts Options) (string, error) {
	if _, err := checkURL(offerURL, opts, true); err != nil {
		return "", fmt.Errorf("%w: credential_offer_uri: %w", ErrInvalidOffer, err)
	}
	return OfferScheme + "://?credential_offer_uri=" + url.QueryEscape(offerURL), nil
}

// CheckIssuerIdentifier checks a Credential Issuer Identifier (§12.2.1):
// an https URL with a host, optionally a port and a path, and no query,
// fragment or user info.
func CheckIssuerIdentifier(id string, opts Options) error {
	_, err := checkURL(id, opts, false)
	return err
}

// checkURL parses an https (or, with AllowHTTP, http) URL with a host and
// no user info or fragment; query only when allowQuery.
func checkURL(raw string, opts Options, allowQuery bool) (*url.URL, error) {
	if raw == "" || len(raw) > MaxURLLen {
		return nil, fmt.Errorf("%w: empty or longer than %d bytes", ErrInvalidIssuer, MaxURLLen)
	}
	if hasControl(raw) || strings.ContainsAny(raw, " \\") {
		return nil, fmt.Errorf("%w: spaces, backslashes or control characters", ErrInvalidIssuer)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidIssuer, err)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && opts.AllowHTTP:
	default:
		return nil, fmt.Errorf("%w: scheme %q, https required", ErrInvalidIssuer, u.Scheme)
	}
	if u.Host == "" || u.Opaque != "" || u.User != nil {
		return nil, fmt.Errorf("%w: %q needs a host and no user info", ErrInvalidIssuer, raw)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return nil, fmt.Errorf("%w: fragment not allowed", ErrInvalidIssuer)
	}
	if !allowQuery && (u.RawQuery != "" || u.ForceQuery) {
		return nil, fmt.Errorf("%w: query not allowed", ErrInvalidIssuer)
	}
	if strings.HasSuffix(u.Host, ":") {
		return nil, fmt.Errorf("%w: empty port", ErrInvalidIssuer)
	}
	return u, nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return true
		}
	}
	return false
}
