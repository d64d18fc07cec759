package oid4vp

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jsonx"
)

// Protocol constants (§5, §8).
const (
	Scheme                    = "openid4vp"
	ResponseTypeVPToken       = "vp_token"
	ResponseModeDirectPost    = "direct_post"
	ResponseModeDirectPostJWT = "direct_post.jwt"
	// RequestObjectTyp is the typ of a signed request object (RFC 9101
	// §10.8, §5.8 of OpenID4VP) and the media type
	// application/oauth-authz-req+jwt of the request_uri response.
	RequestObjectTyp = "oauth-authz-req+jwt"
	// SelfIssuedAudience is the aud of a request object when the wallet
	// has no issuer identifier of its own (§5.8, static discovery).
	SelfIssuedAudience = "https://self-issued.me/v2"
	// RequestObjectMediaType is the Content-Type of a request_uri
	// response (RFC 9101 §10.2).
	RequestObjectMediaType = "application/oauth-authz-req+jwt"
	RequestURIMethodGet    = "get"
	RequestURIMethodPost   = "post"
)

// Client identifier prefixes (§5.9.3).
const (
	PrefixDecentralizedIdentifier = "decentralized_identifier"
	PrefixRedirectURI             = "redirect_uri"
	PrefixOpenIDFederation        = "openid_federation"
	PrefixVerifierAttestation     = "verifier_attestation"
	PrefixX509SanDNS              = "x509_san_dns"
	PrefixX509Hash                = "x509_hash"
	PrefixOrigin                  = "origin"
)

var knownPrefixes = []string{PrefixDecentralizedIdentifier, PrefixRedirectURI, PrefixOpenIDFederation, PrefixVerifierAttestation, PrefixX509SanDNS, PrefixX509Hash, PrefixOrigin}

// Size bounds.
const (
	MaxRequestURILen    = 32 << 10 // an openid4vp:// URI (by value it carries the query)
	MaxRequestObjectLen = 64 << 10 // a request object JWS
	MaxURLLen           = 2048     // client_id, request_uri, response_uri
	MaxNonceLen         = 256
	MaxStateLen         = 512
	MaxJWKSKeys         = 8
)

// Options loosens checks for local development.
type Options struct {
	// Dev accepts the redirect_uri client id prefix (unsigned requests
	// only) and http:// request_uri and response_uri URLs. Never in
	// production: nothing then authenticates the verifier.
	Dev bool
}

// ClientID is a parsed client_id (§5.9).
type ClientID struct {
	Raw    string // the full client_id, prefix included
	Prefix string // one of the Prefix constants, "" for a pre-registered client
	Value  string // the part after "prefix:" (Raw when Prefix is "")
}

// ParseClientID splits a client_id into its prefix and value (§5.9.1): a
// known prefix followed by ':' is a prefix; anything else (an https URL,
// a bare name) is a pre-registered client id. decentralized_identifier
// values must be DIDs, redirect_uri values absolute URLs.
func ParseClientID(s string) (ClientID, error) {
	if s == "" || len(s) > MaxURLLen || !utf8.ValidString(s) || hasControl(s) {
		return ClientID{}, fmt.Errorf("%w: client_id must be 1 to %d printable characters", ErrInvalidClient, MaxURLLen)
	}
	c := ClientID{Raw: s, Value: s}
	if i := strings.IndexByte(s, ':'); i > 0 && slices.Contains(knownPrefixes, s[:i]) {
		c.Prefix, c.Value = s[:i], s[i+1:]
	}
	switch c.Prefix {
	case PrefixDecentralizedIdentifier:
		d, frag, err := did.ParseDIDURL(c.Value)
		if err != nil || frag != "" || d != c.Value {
			return ClientID{}, fmt.Errorf("%w: decentralized_identifier needs a DID, got %q", ErrInvalidClient, c.Value)
		}
	case PrefixRedirectURI:
		u, err := url.Parse(c.Value)
		if err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" {
			return ClientID{}, fmt.Errorf("%w: redirect_uri needs an absolute URL, got %q", ErrInvalidClient, c.Value)
		}
	}
	return c, nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// AuthorizationRequest holds the request parameters Cairn uses (§5.1),
// whether they came in a signed request object or (dev only) unsigned.
type AuthorizationRequest struct {
	ClientID       string          `json:"client_id"`
	ResponseType   string          `json:"response_type"`
	ResponseMode   string          `json:"response_mode"`
	ResponseURI    string          `json:"response_uri"`
	Nonce          string          `json:"nonce"`
	State          string          `json:"state,omitempty"`
	DCQLQuery      *Query          `json:"dcql_query"`
	ClientMetadata *ClientMetadata `json:"client_metadata,omitempty"`
	// WalletNonce echoes the wallet's nonce of a POSTed request_uri (§5.10).
	WalletNonce string `json:"wallet_nonce,omitempty"`
}

// ClientMetadata is the client_metadata parameter (§5.1, §11.1).
type ClientMetadata struct {
	// JWKS holds the verifier's public keys; for direct_post.jwt the
	// ECDH-ES P-256 key to encrypt the response to.
	JWKS *JWKS `json:"jwks,omitempty"`
	// EncryptedResponseEncValuesSupported lists the enc values the
	// verifier accepts, preferred first (A128GCM when absent, §8.3).
	EncryptedResponseEncValuesSupported []string `json:"encrypted_response_enc_values_supported,omitempty"`
	// VPFormatsSupported is kept as given (B.3.4: sd-jwt_alg_values,
	// kb-jwt_alg_values for dc+sd-jwt).
	VPFormatsSupported map[string]any `json:"vp_formats_supported,omitempty"`
}

// JWKS is a JWK Set of public keys.
type JWKS struct {
	Keys []jose.JWK `json:"keys"`
}

// Validate checks the parameters against §5 and what Cairn supports:
// response_type vp_token, response_mode direct_post or direct_post.jwt
// with an https response_uri, a nonce, a valid dcql_query, a supported
// client id prefix and, for direct_post.jwt, a usable encryption key.
func (r *AuthorizationRequest) Validate(o Options) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidRequest, fmt.Sprintf(format, a...))
	}
	cid, err := ParseClientID(r.ClientID)
	if err != nil {
		return err
	}
	switch cid.Prefix {
	case PrefixDecentralizedIdentifier, PrefixX509Hash:
	case PrefixX509SanDNS:
		// §5.9.3: without other trust in the client id, the host of the
		// response_uri must be the DNS name.
		if u, err := url.Parse(r.ResponseURI); err != nil || u.Hostname() != cid.Value {
			return fmt.Errorf("%w: with x509_san_dns the response_uri's host must be %q", ErrInvalidClient, cid.Value)
		}
	case PrefixRedirectURI:
		if !o.Dev {
			return fmt.Errorf("%w: the redirect_uri client id prefix is accepted only in development mode", ErrInvalidClient)
		}
		if r.ResponseURI != cid.Value {
			return fmt.Errorf("%w: with redirect_uri the response_uri must be the client id's URL", ErrInvalidClient)
		}
	case "":
		return fmt.Errorf("%w: client_id %q has no client id prefix and pre-registered clients are not supported", ErrUnsupported, r.ClientID)
	default:
		return fmt.Errorf("%w: client id prefix %q", ErrUnsupported, cid.Prefix)
	}
	if r.ResponseType != ResponseTypeVPToken {
		return bad("response_type must be %q, got %q", ResponseTypeVPToken, r.ResponseType)
	}
	switch r.ResponseMode {
	case ResponseModeDirectPost, ResponseModeDirectPostJWT:
	case "":
		return fmt.Errorf("%w: response_mode is missing (only direct_post and direct_post.jwt are supported)", ErrUnsupported)
	default:
		return fmt.Errorf("%w: response_mode %q", ErrUnsupported, r.ResponseMode)
	}
	if err := checkURL(r.ResponseURI, o); err != nil {
		return bad("response_uri: %v", err)
	}
	if r.Nonce == "" || len(r.Nonce) > MaxNonceLen || !printableASCII(r.Nonce) {
		return bad("nonce must be 1 to %d printable ASCII characters", MaxNonceLen)
	}
	if len(r.State) > MaxStateLen || !printableASCII(r.State) {
		return bad("state must be at most %d printable ASCII characters", MaxStateLen)
	}
	if len(r.WalletNonce) > MaxNonceLen || !printableASCII(r.WalletNonce) {
		return bad("wallet_nonce must be at most %d printable ASCII characters", MaxNonceLen)
	}
	if r.DCQLQuery == nil {
		return bad("dcql_query is required (presentation_definition and scope are not supported)")
	}
	if err := r.DCQLQuery.Validate(); err != nil {
		return err
	}
	if md := r.ClientMetadata; md != nil {
		if md.JWKS != nil && len(md.JWKS.Keys) > MaxJWKSKeys {
			return bad("client_metadata.jwks has more than %d keys", MaxJWKSKeys)
		}
		for _, e := range md.EncryptedResponseEncValuesSupported {
			if e == "" || len(e) > 64 {
				return bad("client_metadata.encrypted_response_enc_values_supported has an invalid entry")
			}
		}
	}
	if r.ResponseMode == ResponseModeDirectPostJWT {
		if _, err := r.EncryptionKey(); err != nil {
			return err
		}
		if _, err := r.ResponseEnc(); err != nil {
			return err
		}
	}
	return nil
}

// EncryptionKey returns the first key of client_metadata.jwks usable for
// ECDH-ES on P-256 (use absent or "enc", alg absent or "ECDH-ES").
func (r *AuthorizationRequest) EncryptionKey() (*jose.JWK, error) {
	if r.ClientMetadata == nil || r.ClientMetadata.JWKS == nil {
		return nil, fmt.Errorf("%w: direct_post.jwt needs client_metadata.jwks", ErrInvalidRequest)
	}
	for i := range r.ClientMetadata.JWKS.Keys {
		k := &r.ClientMetadata.JWKS.Keys[i]
		if k.Kty == "EC" && k.Crv == "P-256" && (k.Use == "" || k.Use == "enc") && (k.Alg == "" || k.Alg == jose.ECDHES) {
			return k, nil
		}
	}
	return nil, fmt.Errorf("%w: client_metadata.jwks has no ECDH-ES P-256 key", ErrUnsupported)
}

// ResponseEnc returns the content encryption for direct_post.jwt: the
// first of encrypted_response_enc_values_supported Cairn supports, A128GCM
// when the verifier names none (§8.3).
func (r *AuthorizationRequest) ResponseEnc() (string, error) {
	if r.ClientMetadata == nil || len(r.ClientMetadata.EncryptedResponseEncValuesSupported) == 0 {
		return jose.A128GCM, nil
	}
	for _, e := range r.ClientMetadata.EncryptedResponseEncValuesSupported {
		if slices.Contains(jose.DefaultEncs, e) {
			return e, nil
		}
	}
	return "", fmt.Errorf("%w: none of the verifier's enc values %q is supported", ErrUnsupported, r.ClientMetadata.EncryptedResponseEncValuesSupported)
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// checkURL accepts an absolute https URL (http too with o.Dev) without
// fragment or user info, at most MaxURLLen long.
func checkURL(s string, o Options) error {
	if s == "" || len(s) > MaxURLLen {
		return fmt.Errorf("must be a URL of 1 to %d bytes", MaxURLLen)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL")
	}
	if u.Scheme != "https" && !(o.Dev && u.Scheme == "http") {
		return fmt.Errorf("must be an https URL")
	}
	if u.Host == "" || u.User != nil || u.Fragment != "" || strings.ContainsAny(s, " \t\r\n") {
		return fmt.Errorf("must have a host and no user info or fragment")
	}
	return nil
}

// RequestURI is a parsed openid4vp:// authorization request URI: by
// reference (RequestURI, with RequestURIMethod), by value (Request, a
// request object) or, in development only, unsigned parameters (Params).
type RequestURI struct {
	ClientID         string
	RequestURI       string
	RequestURIMethod string // "get" or "post"; "get" when absent
	Request          string
	Params           *AuthorizationRequest
}

// BuildRequestURI returns openid4vp://?client_id=…&request_uri=…, with
// &request_uri_method=post when method is "post".
func BuildRequestURI(clientID, requestURI, method string) (string, error) {
	if _, err := ParseClientID(clientID); err != nil {
		return "", err
	}
	if method != "" && method != RequestURIMethodGet && method != RequestURIMethodPost {
		return "", fmt.Errorf("%w: request_uri_method %q", ErrInvalidRequest, method)
	}
	if len(requestURI) > MaxURLLen || requestURI == "" {
		return "", fmt.Errorf("%w: request_uri", ErrInvalidRequest)
	}
	s := Scheme + "://?client_id=" + url.QueryEscape(clientID) + "&request_uri=" + url.QueryEscape(requestURI)
	if method == RequestURIMethodPost {
		s += "&request_uri_method=post"
	}
	return s, nil
}

// ParseRequestURI parses the text of a scanned openid4vp:// request
// strictly: the scheme, no repeated or empty parameters, a client_id with
// a supported prefix, exactly one of request_uri (https, with an optional
// request_uri_method of get or post), request (a request object) or, with
// o.Dev and the redirect_uri prefix only, the unsigned parameters.
func ParseRequestURI(s string, o Options) (*RequestURI, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidRequest, fmt.Sprintf(format, a...))
	}
	if len(s) > MaxRequestURILen {
		return nil, fmt.Errorf("%w: request URI of %d bytes, limit %d", ErrTooLarge, len(s), MaxRequestURILen)
	}
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, bad("not a URI: %v", err)
	}
	if !strings.EqualFold(u.Scheme, Scheme) {
		return nil, bad("scheme %q, want %s", u.Scheme, Scheme)
	}
	if u.Fragment != "" || u.User != nil {
		return nil, bad("unexpected fragment or user info")
	}
	vals, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, bad("query: %v", err)
	}
	one := make(map[string]string, len(vals))
	for k, v := range vals {
		if len(v) != 1 || v[0] == "" {
			return nil, bad("parameter %q must appear once, not empty", k)
		}
		one[k] = v[0]
	}
	ru := &RequestURI{ClientID: one["client_id"]}
	cid, err := ParseClientID(ru.ClientID)
	if err != nil {
		return nil, err
	}
	if cid.Prefix != PrefixDecentralizedIdentifier && cid.Prefix != PrefixRedirectURI && !IsX509Prefix(cid.Prefix) {
		if cid.Prefix == "" {
			return nil, fmt.Errorf("%w: client_id %q has no client id prefix and pre-registered clients are not supported", ErrUnsupported, ru.ClientID)
		}
		return nil, fmt.Errorf("%w: client id prefix %q", ErrUnsupported, cid.Prefix)
	}
	_, hasURI := one["request_uri"]
	_, hasReq := one["request"]
	if hasURI && hasReq {
		return nil, bad("both request and request_uri")
	}
	if m, ok := one["request_uri_method"]; ok {
		if !hasURI {
			return nil, bad("request_uri_method without request_uri")
		}
		if m != RequestURIMethodGet && m != RequestURIMethodPost {
			return nil, bad("request_uri_method %q, want get or post", m)
		}
		ru.RequestURIMethod = m
	}
	switch {
	case hasURI:
		ru.RequestURI = one["request_uri"]
		if err := checkURL(ru.RequestURI, o); err != nil {
			return nil, bad("request_uri: %v", err)
		}
		if ru.RequestURIMethod == "" {
			ru.RequestURIMethod = RequestURIMethodGet
		}
		// Other parameters are ignored: only the request object counts
		// (RFC 9101 §5).
	case hasReq:
		ru.Request = one["request"]
		if len(ru.Request) > MaxRequestObjectLen {
			return nil, fmt.Errorf("%w: request object", ErrTooLarge)
		}
	default:
		if cid.Prefix != PrefixRedirectURI {
			return nil, fmt.Errorf("%w: an unsigned request is accepted only with the redirect_uri prefix; %q must sign its request", ErrInvalidClient, cid.Prefix)
		}
		req, err := unsignedRequest(one)
		if err != nil {
			return nil, err
		}
		if err := req.Validate(o); err != nil {
			return nil, err
		}
		ru.Params = req
	}
	if cid.Prefix == PrefixRedirectURI && !o.Dev {
		return nil, fmt.Errorf("%w: the redirect_uri client id prefix is accepted only in development mode", ErrInvalidClient)
	}
	if cid.Prefix == PrefixRedirectURI && ru.Params == nil {
		return nil, fmt.Errorf("%w: requests with the redirect_uri prefix must not be signed", ErrInvalidClient)
	}
	return ru, nil
}

// unsignedRequest reads the request parameters of an unsigned request
// (§5.1, JSON-valued parameters as JSON strings).
func unsignedRequest(p map[string]string) (*AuthorizationRequest, error) {
	m := make(map[string]any, len(p))
	for k, v := range p {
		switch k {
		case "dcql_query", "client_metadata":
			tree, err := jsonx.Decode([]byte(v))
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrInvalidRequest, k, err)
			}
			m[k] = tree
		default:
			m[k] = v
		}
	}
	return requestFromMap(m)
}

// requestFromMap reads request parameters from a decoded JSON object
// (a request object payload), member names matched exactly.
func requestFromMap(m map[string]any) (*AuthorizationRequest, error) {
	r := &AuthorizationRequest{}
	var bad error
	str := func(name string, dst *string) {
		v, ok := m[name]
		if !ok || bad != nil {
			return
		}
		s, isStr := v.(string)
		if !isStr {
			bad = fmt.Errorf("%w: %s must be a string", ErrInvalidRequest, name)
			return
		}
		*dst = s
	}
	str("client_id", &r.ClientID)
	str("response_type", &r.ResponseType)
	str("response_mode", &r.ResponseMode)
	str("response_uri", &r.ResponseURI)
	str("nonce", &r.Nonce)
	str("state", &r.State)
	str("wallet_nonce", &r.WalletNonce)
	if bad != nil {
		return nil, bad
	}
	if _, ok := m["presentation_definition"]; ok {
		return nil, fmt.Errorf("%w: presentation_definition", ErrUnsupported)
	}
	if _, ok := m["redirect_uri"]; ok {
		return nil, fmt.Errorf("%w: redirect_uri must not be present with response mode direct_post", ErrInvalidRequest)
	}
	if q, ok := m["dcql_query"]; ok {
		query, err := QueryFromJSON(q)
		if err != nil {
			return nil, err
		}
		r.DCQLQuery = query
	}
	if md, ok := m["client_metadata"]; ok {
		mm, isObj := md.(map[string]any)
		if !isObj {
			return nil, fmt.Errorf("%w: client_metadata must be an object", ErrInvalidRequest)
		}
		cm, err := clientMetadataFromMap(mm)
		if err != nil {
			return nil, err
		}
		r.ClientMetadata = cm
	}
	return r, nil
}

func clientMetadataFromMap(m map[string]any) (*ClientMetadata, error) {
	cm := &ClientMetadata{}
	bad := func(what string) error {
		return fmt.Errorf("%w: client_metadata.%s", ErrInvalidRequest, what)
	}
	if v, ok := m["jwks"]; ok {
		jm, isObj := v.(map[string]any)
		keys, isArr := jm["keys"].([]any)
		if !isObj || !isArr {
			return nil, bad("jwks must be an object with a keys array")
		}
		if len(keys) > MaxJWKSKeys {
			return nil, bad("jwks has too many keys")
		}
		cm.JWKS = &JWKS{Keys: []jose.JWK{}}
		for _, k := range keys {
			km, isObj := k.(map[string]any)
			if !isObj {
				return nil, bad("jwks.keys entries must be objects")
			}
			jwk, err := jose.JWKFromMap(km)
			if errors.Is(err, jose.ErrUnsupportedKey) {
				continue // a key type Cairn does not use (RSA, X25519, …)
			}
			if err != nil {
				return nil, fmt.Errorf("%w: client_metadata.jwks: %v", ErrInvalidRequest, err)
			}
			cm.JWKS.Keys = append(cm.JWKS.Keys, *jwk)
		}
	}
	if v, ok := m["encrypted_response_enc_values_supported"]; ok {
		arr, isArr := v.([]any)
		if !isArr || len(arr) == 0 || len(arr) > 16 {
			return nil, bad("encrypted_response_enc_values_supported must be a non-empty array")
		}
		for _, e := range arr {
			s, isStr := e.(string)
			if !isStr {
				return nil, bad("encrypted_response_enc_values_supported must hold strings")
			}
			cm.EncryptedResponseEncValuesSupported = append(cm.EncryptedResponseEncValuesSupported, s)
		}
	}
	if v, ok := m["vp_formats_supported"]; ok {
		f, isObj := v.(map[string]any)
		if !isObj {
			return nil, bad("vp_formats_supported must be an object")
		}
		cm.VPFormatsSupported = f
	}
	return cm, nil
}

// SignOptions control SignRequestObject.
type SignOptions struct {
	Options
	Now func() time.Time // time.Now when nil
	TTL time.Duration    // exp - iat; 5 minutes when zero
	// X5C is the certificate chain of an x509_hash or x509_san_dns client
	// (DER, leaf first, without the trust anchor: HAIP 1.0 §5): its leaf
	// must be named by the client id and certify the signer's key.
	X5C [][]byte
}

// SignRequestObject signs req as a request object (§5.8, RFC 9101): typ
// oauth-authz-req+jwt, kid = the signer's key id, which must be a DID URL
// of the DID in the decentralized_identifier client id, iss = client_id,
// aud https://self-issued.me/v2, iat and exp. req is validated first.
func SignRequestObject(s *jose.Signer, req *AuthorizationRequest, o SignOptions) (string, error) {
	if err := req.Validate(o.Options); err != nil {
		return "", err
	}
	cid, err := ParseClientID(req.ClientID)
	if err != nil {
		return "", err
	}
	if s == nil {
		return "", fmt.Errorf("%w: no signer", ErrInvalidClient)
	}
	header := map[string]any{"typ": RequestObjectTyp}
	switch {
	case cid.Prefix == PrefixDecentralizedIdentifier:
		d, frag, err := did.ParseDIDURL(s.KeyID())
		if err != nil || frag == "" || d != cid.Value {
			return "", fmt.Errorf("%w: the signer's kid %q must be a DID URL (with fragment) of %s", ErrInvalidClient, s.KeyID(), cid.Value)
		}
	case IsX509Prefix(cid.Prefix):
		if err := CheckSigningChain(req.ClientID, o.X5C, s.Public()); err != nil {
			return "", err
		}
		header["x5c"] = EncodeX5C(o.X5C)
	default:
		return "", fmt.Errorf("%w: only decentralized_identifier, x509_hash and x509_san_dns client ids sign request objects", ErrUnsupported)
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	ttl := o.TTL
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	b, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("oid4vp: encode request: %w", err)
	}
	var payload map[string]any
	jd := json.NewDecoder(bytes.NewReader(b))
	jd.UseNumber() // integer values in dcql_query stay exact
	if err := jd.Decode(&payload); err != nil {
		return "", fmt.Errorf("oid4vp: encode request: %w", err)
	}
	t := now()
	// No iss: the client id carries the prefix, which JWT-minded peers
	// (e.g. @openid4vc/openid4vp) refuse as an issuer, and the wallet
	// identifies the verifier by client_id anyway.
	payload["aud"] = SelfIssuedAudience
	payload["iat"] = t.Unix()
	payload["exp"] = t.Add(ttl).Unix()
	pb, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("oid4vp: encode request: %w", err)
	}
	return s.Sign(header, pb)
}

// CheckSigningChain checks the chain a verifier signs under: 1 to MaxX5C
// certificates, none self-signed (the anchor stays out of x5c, and a
// self-signed leaf is nobody's access certificate), each certified by the
// next, the leaf named by clientID and certifying pub.
func CheckSigningChain(clientID string, chain [][]byte, pub any) error {
	if len(chain) == 0 || len(chain) > MaxX5C {
		return fmt.Errorf("%w: an X.509 client signs with a chain of 1 to %d certificates", ErrInvalidClient, MaxX5C)
	}
	certs := make([]*x509.Certificate, len(chain))
	for i, der := range chain {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return fmt.Errorf("%w: certificate %d: %v", ErrInvalidClient, i, err)
		}
		if selfSigned(c) {
			return fmt.Errorf("%w: certificate %d (%s) is self-signed: the trust anchor must not be in x5c and the leaf must be issued by a CA", ErrInvalidClient, i, c.Subject)
		}
		if i > 0 {
			if err := certs[i-1].CheckSignatureFrom(c); err != nil {
				return fmt.Errorf("%w: certificate %d is not issued by certificate %d: %v", ErrInvalidClient, i-1, i, err)
			}
		}
		certs[i] = c
	}
	if err := CheckX509ClientID(clientID, certs[0]); err != nil {
		return err
	}
	if !sameKey(certs[0], pub) {
		return fmt.Errorf("%w: the signing key is not the key of the certificate %s", ErrInvalidClient, certs[0].Subject)
	}
	return nil
}

// KeyResolver returns the public key a DID URL names, for verifying a
// signature; *did.Resolver is one (the wallet wraps it to consult the
// registry and its outbound guard).
type KeyResolver interface {
	ResolveKey(ctx context.Context, didURL string) (*jose.JWK, error)
}

// VerifyOptions control VerifyRequestObject.
type VerifyOptions struct {
	Options
	// ClientID is the client_id of the request URI; required.
	ClientID string
	// Resolver resolves the kid (a DID URL); required.
	Resolver KeyResolver
	// Algs is the signature allow-list (jose.DefaultAlgs when empty).
	Algs []jose.Alg
	// X509Chain decides whether the x5c chain of a request object signed
	// under an x509_hash or x509_san_dns client id ends at one of the
	// wallet's access-certificate anchors (chain is DER, leaf first, as
	// sent). Nil refuses those prefixes as unsupported.
	X509Chain func(chain [][]byte, leaf *x509.Certificate) error
	// WalletNonce, when set, is the wallet_nonce the wallet POSTed to the
	// request_uri (§5.10); the request object must echo it.
	WalletNonce string
	Now         func() time.Time // time.Now when nil
	MaxAge      time.Duration    // oldest acceptable iat; 10 minutes when zero
	Skew        time.Duration    // clock skew; 1 minute when zero
}

// VerifyRequestObject checks a request object (a compact JWS, as fetched
// from request_uri or given in request) and returns its validated
// parameters: typ exactly oauth-authz-req+jwt; alg in the allow-list; the
// client_id of the URI with the decentralized_identifier prefix; kid a DID
// URL of that DID, resolved through o.Resolver, whose key verifies the
// signature; the payload's client_id equal to the URI's; aud, when present,
// https://self-issued.me/v2; exp (when present) not passed, iat (when
// present) neither in the future nor older than MaxAge; wallet_nonce
// echoed when one was POSTed; then AuthorizationRequest.Validate.
func VerifyRequestObject(ctx context.Context, compact string, o VerifyOptions) (*AuthorizationRequest, error) {
	if len(compact) > MaxRequestObjectLen {
		return nil, fmt.Errorf("%w: request object of %d bytes", ErrTooLarge, len(compact))
	}
	cid, err := ParseClientID(o.ClientID)
	if err != nil {
		return nil, err
	}
	switch {
	case cid.Prefix == PrefixDecentralizedIdentifier:
	case IsX509Prefix(cid.Prefix) && o.X509Chain != nil:
	case cid.Prefix == PrefixRedirectURI:
		return nil, fmt.Errorf("%w: requests with the redirect_uri prefix must not be signed", ErrInvalidClient)
	default:
		return nil, fmt.Errorf("%w: client id prefix %q", ErrUnsupported, cid.Prefix)
	}
	j, err := jose.ParseLimited(compact, MaxRequestObjectLen)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRequestSignature, err)
	}
	if j.Header.Typ != RequestObjectTyp {
		return nil, fmt.Errorf("%w: typ %q, want %q", ErrRequestSignature, j.Header.Typ, RequestObjectTyp)
	}
	if IsX509Prefix(cid.Prefix) {
		return verifyX509RequestObject(j, cid, o)
	}
	d, frag, err := did.ParseDIDURL(j.Header.Kid)
	if err != nil || frag == "" {
		return nil, fmt.Errorf("%w: kid %q is not a DID URL with a fragment", ErrInvalidClient, j.Header.Kid)
	}
	if d != cid.Value {
		return nil, fmt.Errorf("%w: kid %q is not a key of the client %s", ErrInvalidClient, j.Header.Kid, cid.Value)
	}
	if o.Resolver == nil {
		return nil, fmt.Errorf("%w: no key resolver", ErrInvalidClient)
	}
	jwk, err := o.Resolver.ResolveKey(ctx, j.Header.Kid)
	if err != nil {
		return nil, fmt.Errorf("%w: resolve %s: %w", ErrInvalidClient, j.Header.Kid, err)
	}
	pub, err := jwk.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidClient, err)
	}
	if err := j.Verify(pub, o.Algs); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRequestSignature, err)
	}
	return requestFromVerified(j, o)
}

// verifyX509RequestObject checks a request object of an x509_hash or
// x509_san_dns client: an x5c header whose leaf the client id names and
// whose key verifies the signature, the chain accepted by o.X509Chain.
func verifyX509RequestObject(j *jose.JWS, cid ClientID, o VerifyOptions) (*AuthorizationRequest, error) {
	chain, leaf, err := DecodeX5C(j.Header.Params["x5c"])
	if err != nil {
		return nil, err
	}
	if err := CheckX509ClientID(cid.Raw, leaf); err != nil {
		return nil, err
	}
	if err := j.Verify(leaf.PublicKey, o.Algs); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRequestSignature, err)
	}
	if err := o.X509Chain(chain, leaf); err != nil {
		return nil, fmt.Errorf("%w: the certificate chain: %w", ErrInvalidClient, err)
	}
	return requestFromVerified(j, o)
}

// requestFromVerified reads and checks the parameters of a request object
// whose signature verified.
func requestFromVerified(j *jose.JWS, o VerifyOptions) (*AuthorizationRequest, error) {
	tree, err := jsonx.Decode(j.Payload)
	payload, ok := tree.(map[string]any)
	if err != nil || !ok {
		return nil, fmt.Errorf("%w: payload is not a JSON object", ErrInvalidRequest)
	}
	if err := checkRequestClaims(payload, o); err != nil {
		return nil, err
	}
	req, err := requestFromMap(payload)
	if err != nil {
		return nil, err
	}
	if req.ClientID != o.ClientID {
		return nil, fmt.Errorf("%w: the request object's client_id %q differs from the URI's %q", ErrInvalidClient, req.ClientID, o.ClientID)
	}
	if o.WalletNonce != "" && req.WalletNonce != o.WalletNonce {
		return nil, ErrWalletNonce
	}
	if err := req.Validate(o.Options); err != nil {
		return nil, err
	}
	return req, nil
}

func checkRequestClaims(p map[string]any, o VerifyOptions) error {
	if aud, ok := p["aud"]; ok {
		if s, isStr := aud.(string); !isStr || s != SelfIssuedAudience {
			return fmt.Errorf("%w: aud must be %q", ErrInvalidRequest, SelfIssuedAudience)
		}
	}
	// iss, when present, is ignored: the verifier is identified by
	// client_id and the key its prefix resolves to, never by iss.
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	skew, maxAge := o.Skew, o.MaxAge
	if skew <= 0 {
		skew = time.Minute
	}
	if maxAge <= 0 {
		maxAge = 10 * time.Minute
	}
	t := now()
	num := func(name string) (time.Time, bool, error) {
		v, ok := p[name]
		if !ok {
			return time.Time{}, false, nil
		}
		n, isNum := v.(json.Number)
		if !isNum {
			return time.Time{}, true, fmt.Errorf("%w: %s must be a number", ErrInvalidRequest, name)
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil || i < 0 || i > 1<<40 {
			return time.Time{}, true, fmt.Errorf("%w: %s must be an integer NumericDate", ErrInvalidRequest, name)
		}
		return time.Unix(i, 0), true, nil
	}
	exp, hasExp, err := num("exp")
	if err != nil {
		return err
	}
	if hasExp && !t.Before(exp.Add(skew)) {
		return fmt.Errorf("%w: expired at %s", ErrExpired, exp.UTC().Format(time.RFC3339))
	}
	iat, hasIat, err := num("iat")
	if err != nil {
		return err
	}
	if hasIat && (iat.After(t.Add(skew)) || iat.Before(t.Add(-maxAge-skew))) {
		return fmt.Errorf("%w: issued at %s", ErrExpired, iat.UTC().Format(time.RFC3339))
	}
	return nil
}

// RequestURIPost is the form a wallet POSTs to a request_uri with
// request_uri_method=post (§5.10): its nonce and, optionally, metadata.
type RequestURIPost struct {
	WalletNonce    string
	WalletMetadata json.RawMessage // a JSON object, or nil
}

// Form encodes p as application/x-www-form-urlencoded.
func (p *RequestURIPost) Form() url.Values {
	v := url.Values{}
	if p.WalletNonce != "" {
		v.Set("wallet_nonce", p.WalletNonce)
	}
	if len(p.WalletMetadata) > 0 {
		v.Set("wallet_metadata", string(p.WalletMetadata))
	}
	return v
}

// MaxRequestURIPostLen bounds the body of a POST to a request_uri.
const MaxRequestURIPostLen = 16 << 10

// ParseRequestURIPost parses the body a wallet POSTed to a request_uri
// (the verifier side): parameters once each, a printable wallet_nonce and
// a JSON object wallet_metadata; others are ignored.
func ParseRequestURIPost(body []byte) (*RequestURIPost, error) {
	if len(body) > MaxRequestURIPostLen {
		return nil, fmt.Errorf("%w: request_uri POST body", ErrTooLarge)
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	p := &RequestURIPost{}
	for k, v := range vals {
		if len(v) != 1 {
			return nil, fmt.Errorf("%w: parameter %q repeated", ErrInvalidRequest, k)
		}
	}
	p.WalletNonce = vals.Get("wallet_nonce")
	if len(p.WalletNonce) > MaxNonceLen || !printableASCII(p.WalletNonce) {
		return nil, fmt.Errorf("%w: wallet_nonce", ErrInvalidRequest)
	}
	if md := vals.Get("wallet_metadata"); md != "" {
		tree, err := jsonx.Decode([]byte(md))
		if _, ok := tree.(map[string]any); err != nil || !ok {
			return nil, fmt.Errorf("%w: wallet_metadata must be a JSON object", ErrInvalidRequest)
		}
		p.WalletMetadata = json.RawMessage(md)
	}
	return p, nil
}
