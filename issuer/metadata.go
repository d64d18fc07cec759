package issuer

import (
	"sort"
	"time"

	"github.com/cairn-id/cairn/internal/jptvc"
	"github.com/cairn-id/cairn/internal/oid4vci"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/schemas"
)

// What this issuer publishes about itself, as OpenID4VCI wire objects
// (package internal/oid4vci); issuer/api serves them.

// PreAuthorizedGrant is the grant type of the pre-authorized code flow.
const PreAuthorizedGrant = oid4vci.GrantPreAuthorizedCode

// Endpoint paths under the Credential Issuer Identifier.
const (
	PathToken        = "/token"
	PathNonce        = "/nonce"
	PathCredential   = "/credential"
	PathNotification = "/notification"
	PathOffers       = "/offers/"
	PathStatusLists  = "/status/"
)

// IssuerMetadata returns the Credential Issuer Metadata (§12.2), with
// credential_metadata per configuration (Appendix A.3 for dc+sd-jwt).
func (s *Service) IssuerMetadata() oid4vci.IssuerMetadata {
	locales := make([]string, 0, len(s.cfg.Names))
	for l := range s.cfg.Names {
		locales = append(locales, l)
	}
	sort.Strings(locales)
	display := make([]oid4vci.Display, 0, len(locales))
	for _, l := range locales {
		display = append(display, oid4vci.Display{Name: s.cfg.Names[l], Locale: l})
	}
	algs := make([]string, len(proofAlgs))
	for i, a := range proofAlgs {
		algs[i] = string(a)
	}
	confs := make(map[string]oid4vci.CredentialConfiguration, len(s.types))
	for id, t := range s.types {
		meta := CredentialMetadata(t)
		confs[id] = oid4vci.CredentialConfiguration{
			Format: sdjwtvc.Typ, VCT: t.VCT, Scope: id,
			CryptographicBindingMethodsSupported: []string{"jwk", "did:jwk", "did:key"},
			CredentialSigningAlgValuesSupported:  []string{string(s.signer.Alg())},
			ProofTypesSupported:                  map[string]oid4vci.ProofTypeMetadata{oid4vci.ProofTypeJWT: {ProofSigningAlgValuesSupported: algs}},
			CredentialMetadata:                   meta,
		}
	}
	for id, t := range s.jptTypes {
		confs[id] = jptvc.Configuration(t, id, CredentialMetadata(t))
	}
	var batch *oid4vci.BatchCredentialIssuance
	if s.cfg.BatchSize > 1 {
		batch = &oid4vci.BatchCredentialIssuance{BatchSize: s.cfg.BatchSize}
	}
	return oid4vci.IssuerMetadata{
		CredentialIssuer:                  s.base,
		BatchCredentialIssuance:           batch,
		AuthorizationServers:              []string{s.base},
		CredentialEndpoint:                s.base + PathCredential,
		NonceEndpoint:                     s.base + PathNonce,
		NotificationEndpoint:              s.base + PathNotification,
		Display:                           display,
		CredentialConfigurationsSupported: confs,
	}
}

// CredentialMetadata is the credential_metadata of a type's credential
// configurations (OpenID4VCI Appendix A.3): its display and its claims
// descriptions, the same whatever the format (dc+sd-jwt, or Cairn's jpt,
// internal/jptvc.Configuration).
func CredentialMetadata(t *schemas.Type) *oid4vci.CredentialMetadata {
	meta := &oid4vci.CredentialMetadata{}
	for _, d := range t.Metadata.Display {
		meta.Display = append(meta.Display, oid4vci.Display{Name: d.Name, Locale: d.Locale, Description: d.Description})
	}
	for _, c := range t.Metadata.Claims {
		cd := oid4vci.ClaimDescription{Path: c.Path, Mandatory: c.Mandatory}
		for _, d := range c.Display {
			cd.Display = append(cd.Display, oid4vci.ClaimDisplay{Name: d.Label, Locale: d.Locale})
		}
		meta.Claims = append(meta.Claims, cd)
	}
	return meta
}

// AuthServerMetadata returns the RFC 8414 metadata of the issuer as its
// own authorization server for the pre-authorized grant, with anonymous
// access (§12.3).
func (s *Service) AuthServerMetadata() oid4vci.AuthServerMetadata {
	return oid4vci.AuthServerMetadata{
		Issuer:                            s.base,
		TokenEndpoint:                     s.base + PathToken,
		GrantTypesSupported:               []string{PreAuthorizedGrant},
		ResponseTypesSupported:            []string{},
		TokenEndpointAuthMethodsSupported: []string{"none"},
		PreAuthorizedGrantAnonymousAccessSupported: true,
	}
}

// PublicJWK returns the signing key as a JWK with kid, alg and use, for
// the JWT VC Issuer Metadata's jwks (SD-JWT VC §5).
func (s *Service) PublicJWK() map[string]any {
	jwk := s.cfg.Key.PublicJWK().Map()
	jwk["kid"] = s.kid
	jwk["alg"] = string(s.signer.Alg())
	jwk["use"] = "sig"
	return jwk
}

// TxCodeDescription is the tx_code description of an offer (§4.1.1).
const TxCodeDescription = "Type the code the issuing desk gave you"

// CredentialOffer returns the Credential Offer object (§4.1.1) of o, with
// its pre-authorized code (derived from the offer id, never stored).
func (s *Service) CredentialOffer(o *StoredOffer) oid4vci.CredentialOffer {
	g := &oid4vci.PreAuthorizedCodeGrant{PreAuthorizedCode: s.preAuthCode(o.ID)}
	if o.TxCodeHash != "" {
		g.TxCode = &oid4vci.TxCode{InputMode: oid4vci.TxInputNumeric, Length: o.TxCodeLength, Description: TxCodeDescription}
	}
	return oid4vci.CredentialOffer{
		CredentialIssuer:           s.base,
		CredentialConfigurationIDs: []string{o.ConfigurationID},
		Grants:                     &oid4vci.Grants{PreAuthorizedCode: g},
	}
}

// OfferURL is where the offer id is fetched by reference (§4.1.3).
func (s *Service) OfferURL(id string) string { return s.base + PathOffers + id }

// StatusListURI is the uri of a status list of this issuer.
func (s *Service) StatusListURI(list string) string { return s.base + PathStatusLists + list }

// MaxLiveNonces is the cap on stored nonces (Config.MaxLiveNonces).
func (s *Service) MaxLiveNonces() int { return s.cfg.MaxLiveNonces }

// Now is the Service's clock.
func (s *Service) Now() time.Time { return s.cfg.Now() }

// HasConfiguration reports whether id is one of this issuer's
// credential_configuration_ids (jpt ones included).
func (s *Service) HasConfiguration(id string) bool {
	_, ok := s.types[id]
	return ok || s.IsJPT(id)
}
