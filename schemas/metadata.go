package schemas

// TypeMetadata is an SD-JWT VC Type Metadata document
// (draft-ietf-oauth-sd-jwt-vc-25, section "Type Metadata Format"), reduced to
// the members Cairn uses. It is what MetadataJSON serves.
type TypeMetadata struct {
	VCT         string          `json:"vct"`
	Name        string          `json:"name,omitempty"`
	Description string          `json:"description,omitempty"`
	Display     []TypeDisplay   `json:"display,omitempty"`
	Claims      []ClaimMetadata `json:"claims,omitempty"`
}

// TypeDisplay is the display information of a type for one locale.
type TypeDisplay struct {
	Locale      string `json:"locale"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// ClaimMetadata describes one claim (draft-ietf-oauth-sd-jwt-vc-25,
// "Claim Metadata"). Path elements are a string (object key), nil (every
// array element) or a non-negative int (one array element).
type ClaimMetadata struct {
	Path      []any          `json:"path"`
	Display   []ClaimDisplay `json:"display,omitempty"`
	Mandatory bool           `json:"mandatory,omitempty"`
	SD        string         `json:"sd,omitempty"`
}

// ClaimDisplay is the label of a claim in one locale.
type ClaimDisplay struct {
	Locale      string `json:"locale"`
	Label       string `json:"label"`
	Description string `json:"description,omitempty"`
}

// Selective disclosure policies of claim metadata.
const (
	SDAlways  = "always"
	SDAllowed = "allowed"
	SDNever   = "never"
)

// RequiredLocales returns the locales the catalogue promises every type
// name and claim label in. Arabic is right-to-left: pages set dir from the
// locale.
func RequiredLocales() []string { return []string{"en", "fr", "ar", "uk"} }

// isRegisteredClaim reports whether name is one of the SD-JWT VC claims that
// the credential layer adds and that must never be selectively disclosable
// (draft-ietf-oauth-sd-jwt-vc-25, "Registered JWT Claims"). Type schemas
// accept them but do not describe them.
func isRegisteredClaim(name string) bool {
	switch name {
	case "iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status":
		return true
	}
	return false
}

// isLayerClaim reports whether a top-level claim name belongs to the JWT and
// SD-JWT VC layer (the registered claims plus sub, iat and jti) rather than
// to a credential type.
func isLayerClaim(name string) bool {
	switch name {
	case "sub", "iat", "jti":
		return true
	}
	return isRegisteredClaim(name)
}
