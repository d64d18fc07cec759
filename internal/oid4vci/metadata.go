package oid4vci

import (
	"fmt"
	"strings"
)

// Well-known path segments.
const (
	// WellKnownIssuer is where Credential Issuer Metadata lives (§12.2.2).
	WellKnownIssuer = "/.well-known/openid-credential-issuer"
	// WellKnownAuthServer is where RFC 8414 metadata lives (RFC 8414 §3).
	WellKnownAuthServer = "/.well-known/oauth-authorization-server"
)

// MaxMetadataLen bounds a metadata document the Client accepts.
const MaxMetadataLen = 256 << 10

// IssuerMetadataURL returns where the metadata of Credential Issuer id is
// published: WellKnownIssuer inserted between the host and the path
// (§12.2.2), so https://host/issuers/clinic has its metadata at
// https://host/.well-known/openid-credential-issuer/issuers/clinic and
// https://host at https://host/.well-known/openid-credential-issuer. A
// terminating "/" of the path is dropped first, as RFC 8414 §3.1 does.
// It does not enforce https (CheckIssuerIdentifier does); it refuses
// identifiers with a query, fragment or user info.
func IssuerMetadataURL(id string) (string, error) {
	return wellKnownURL(id, WellKnownIssuer)
}

// AuthServerMetadataURL returns the RFC 8414 §3.1 metadata URL of
// authorization server issuer as.
func AuthServerMetadataURL(as string) (string, error) {
	return wellKnownURL(as, WellKnownAuthServer)
}

func wellKnownURL(id, wellKnown string) (string, error) {
	u, err := checkURL(id, Options{AllowHTTP: true}, false)
	if err != nil {
		return "", err
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	return u.Scheme + "://" + u.Host + wellKnown + path, nil
}

// IssuerMetadata is the Credential Issuer Metadata (§12.2.4) as far as a
// wallet of Cairn's needs it; unknown parameters are ignored.
type IssuerMetadata struct {
	CredentialIssuer                  string                             `json:"credential_issuer"`
	AuthorizationServers              []string                           `json:"authorization_servers,omitempty"`
	CredentialEndpoint                string                             `json:"credential_endpoint"`
	NonceEndpoint                     string                             `json:"nonce_endpoint,omitempty"`
	DeferredCredentialEndpoint        string                             `json:"deferred_credential_endpoint,omitempty"`
	NotificationEndpoint              string                             `json:"notification_endpoint,omitempty"`
	BatchCredentialIssuance           *BatchCredentialIssuance           `json:"batch_credential_issuance,omitempty"`
	Display                           []Display                          `json:"display,omitempty"`
	CredentialConfigurationsSupported map[string]CredentialConfiguration `json:"credential_configurations_supported"`
}

// BatchCredentialIssuance says how many proofs one request may carry.
type BatchCredentialIssuance struct {
	BatchSize int `json:"batch_size"`
}

// Display is a display object for the issuer (name, locale, logo) or a
// credential (also description, colours, background image), §12.2.4.
type Display struct {
	Name            string `json:"name,omitempty"`
	Locale          string `json:"locale,omitempty"`
	Logo            *Image `json:"logo,omitempty"`
	Description     string `json:"description,omitempty"`
	BackgroundColor string `json:"background_color,omitempty"`
	BackgroundImage *Image `json:"background_image,omitempty"`
	TextColor       string `json:"text_color,omitempty"`
}

// Image is a logo or background image reference.
type Image struct {
	URI     string `json:"uri"`
	AltText string `json:"alt_text,omitempty"`
}

// CredentialConfiguration is one entry of credential_configurations_supported
// (§12.2.4; vct from Appendix A.3.2 for dc+sd-jwt).
type CredentialConfiguration struct {
	Format                               string                       `json:"format"`
	VCT                                  string                       `json:"vct,omitempty"`
	Scope                                string                       `json:"scope,omitempty"`
	CryptographicBindingMethodsSupported []string                     `json:"cryptographic_binding_methods_supported,omitempty"`
	CredentialSigningAlgValuesSupported  []string                     `json:"credential_signing_alg_values_supported,omitempty"`
	ProofTypesSupported                  map[string]ProofTypeMetadata `json:"proof_types_supported,omitempty"`
	CredentialMetadata                   *CredentialMetadata          `json:"credential_metadata,omitempty"`
}

// ProofTypeMetadata describes one supported proof type.
type ProofTypeMetadata struct {
	ProofSigningAlgValuesSupported []string `json:"proof_signing_alg_values_supported"`
}

// CredentialMetadata holds display data and claims descriptions.
type CredentialMetadata struct {
	Display []Display          `json:"display,omitempty"`
	Claims  []ClaimDescription `json:"claims,omitempty"`
}

// ClaimDescription is a claims description object for issuer metadata
// (Appendix B.2). Path is a claims path pointer (Appendix C): strings,
// non-negative integers and null.
type ClaimDescription struct {
	Path      []any          `json:"path"`
	Mandatory bool           `json:"mandatory,omitempty"`
	Display   []ClaimDisplay `json:"display,omitempty"`
}

// ClaimDisplay is the display name of a claim in one language.
type ClaimDisplay struct {
	Name   string `json:"name,omitempty"`
	Locale string `json:"locale,omitempty"`
}

// Validate checks the metadata a wallet is about to use: credential_issuer
// identical to the identifier it was fetched for (§12.2.4: simple string
// comparison), https endpoints, batch_size ≥ 2 when present, at least one
// configuration, each with a format, vct for dc+sd-jwt, non-empty
// proof_signing_alg_values_supported, and claim paths of strings,
// non-negative integers or null.
func (m *IssuerMetadata) Validate(issuer string, opts Options) error {
	if m.CredentialIssuer != issuer {
		return fmt.Errorf("%w: credential_issuer %q, fetched for %q", ErrInvalidMetadata, m.CredentialIssuer, issuer)
	}
	if err := CheckIssuerIdentifier(m.CredentialIssuer, opts); err != nil {
		return fmt.Errorf("%w: credential_issuer: %w", ErrInvalidMetadata, err)
	}
	if _, err := checkURL(m.CredentialEndpoint, opts, true); err != nil {
		return fmt.Errorf("%w: credential_endpoint: %w", ErrInvalidMetadata, err)
	}
	for name, ep := range map[string]string{"nonce_endpoint": m.NonceEndpoint, "notification_endpoint": m.NotificationEndpoint, "deferred_credential_endpoint": m.DeferredCredentialEndpoint} {
		if ep == "" {
			continue
		}
		if _, err := checkURL(ep, opts, true); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInvalidMetadata, name, err)
		}
	}
	if m.AuthorizationServers != nil && len(m.AuthorizationServers) == 0 {
		return fmt.Errorf("%w: authorization_servers is empty", ErrInvalidMetadata)
	}
	for _, as := range m.AuthorizationServers {
		if err := CheckIssuerIdentifier(as, opts); err != nil {
			return fmt.Errorf("%w: authorization_servers: %w", ErrInvalidMetadata, err)
		}
	}
	if b := m.BatchCredentialIssuance; b != nil && b.BatchSize < 2 {
		return fmt.Errorf("%w: batch_size must be 2 or greater", ErrInvalidMetadata)
	}
	if len(m.CredentialConfigurationsSupported) == 0 {
		return fmt.Errorf("%w: no credential_configurations_supported", ErrInvalidMetadata)
	}
	for id, c := range m.CredentialConfigurationsSupported {
		if err := c.validate(); err != nil {
			return fmt.Errorf("%w: configuration %q: %w", ErrInvalidMetadata, id, err)
		}
	}
	return nil
}

func (c *CredentialConfiguration) validate() error {
	if c.Format == "" {
		return fmt.Errorf("format missing")
	}
	if c.Format == FormatSDJWTVC && c.VCT == "" {
		return fmt.Errorf("vct missing")
	}
	for name, pt := range c.ProofTypesSupported {
		if len(pt.ProofSigningAlgValuesSupported) == 0 {
			return fmt.Errorf("proof type %q lists no algorithms", name)
		}
	}
	if c.CredentialMetadata != nil {
		for _, cd := range c.CredentialMetadata.Claims {
			if err := checkClaimPath(cd.Path); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkClaimPath checks a claims path pointer (Appendix C): a non-empty
// array of strings, non-negative integers and null. Numbers arrive as
// float64 from encoding/json or as Go ints when built in code.
func checkClaimPath(p []any) error {
	if len(p) == 0 {
		return fmt.Errorf("empty claim path")
	}
	for _, e := range p {
		switch v := e.(type) {
		case nil, string:
		case int:
			if v < 0 {
				return fmt.Errorf("negative index in claim path")
			}
		case float64:
			if v < 0 || v != float64(int64(v)) {
				return fmt.Errorf("claim path index must be a non-negative integer")
			}
		default:
			return fmt.Errorf("claim path element of type %T", e)
		}
	}
	return nil
}

// ProofAlgs returns the proof_signing_alg_values_supported of the jwt
// proof type of configuration id, and whether the configuration asks for
// proofs at all.
func (m *IssuerMetadata) ProofAlgs(id string) (algs []string, proofs bool) {
	c, ok := m.CredentialConfigurationsSupported[id]
	if !ok || len(c.ProofTypesSupported) == 0 {
		return nil, false
	}
	return c.ProofTypesSupported[ProofTypeJWT].ProofSigningAlgValuesSupported, true
}

// AuthServerMetadata is the part of RFC 8414 Authorization Server
// Metadata the pre-authorized flow needs, with §12.3's anonymous access
// flag.
type AuthServerMetadata struct {
	Issuer                                     string   `json:"issuer"`
	TokenEndpoint                              string   `json:"token_endpoint"`
	GrantTypesSupported                        []string `json:"grant_types_supported,omitempty"`
	ResponseTypesSupported                     []string `json:"response_types_supported,omitempty"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	PreAuthorizedGrantAnonymousAccessSupported bool     `json:"pre-authorized_grant_anonymous_access_supported,omitempty"`
}

// Validate checks issuer is identical to the one the metadata was fetched
// for (RFC 8414 §3.3) and token_endpoint is an https URL.
func (m *AuthServerMetadata) Validate(issuer string, opts Options) error {
	if m.Issuer != issuer {
		return fmt.Errorf("%w: issuer %q, fetched for %q", ErrInvalidMetadata, m.Issuer, issuer)
	}
	if _, err := checkURL(m.TokenEndpoint, opts, true); err != nil {
		return fmt.Errorf("%w: token_endpoint: %w", ErrInvalidMetadata, err)
	}
	return nil
}

// SupportsPreAuthorized reports whether the server declares the
// pre-authorized code grant. Absent grant_types_supported counts as yes:
// the offer itself says the server is prepared for the grant (§4.1.1).
func (m *AuthServerMetadata) SupportsPreAuthorized() bool {
	if m.GrantTypesSupported == nil {
		return true
	}
	for _, g := range m.GrantTypesSupported {
		if g == GrantPreAuthorizedCode {
			return true
		}
	}
	return false
}
