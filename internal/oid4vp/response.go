package oid4vp

import (
	"bytes"
	"crypto/ecdh"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jsonx"
)

// Response bounds.
const (
	// MaxResponseLen bounds an authorization response body (form).
	MaxResponseLen = 512 << 10
	// MaxPresentations bounds the presentations of one credential query.
	MaxPresentations = 16
	// MaxPresentationLen bounds one presentation string.
	MaxPresentationLen = 256 << 10
	// MaxErrorDescriptionLen bounds error_description.
	MaxErrorDescriptionLen = 1024
)

// Error codes of an authorization error response (§8.5, RFC 6749 §4.1.2.1).
const (
	ErrorAccessDenied   = "access_denied"
	ErrorInvalidRequest = "invalid_request"
	ErrorInvalidClient  = "invalid_client"
	// ErrorVPFormatsNotSupported and the others of §8.5 are accepted on
	// parsing as any other code.
	ErrorVPFormatsNotSupported = "vp_formats_not_supported"
)

// VPToken is the vp_token of a DCQL response (§8.1): per credential query
// id, the presentations (for dc+sd-jwt, SD-JWT+KB compact strings).
type VPToken map[string][]string

// Marshal returns the JSON object, keys sorted.
func (v VPToken) Marshal() ([]byte, error) {
	if err := v.validate(); err != nil {
		return nil, err
	}
	return json.Marshal(map[string][]string(v))
}

// IDs returns the credential query ids, sorted.
func (v VPToken) IDs() []string {
	out := make([]string, 0, len(v))
	for k := range v {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (v VPToken) validate() error {
	if len(v) == 0 || len(v) > MaxCredentialQueries {
		return fmt.Errorf("%w: vp_token must answer 1 to %d credential queries", ErrInvalidResponse, MaxCredentialQueries)
	}
	for id, list := range v {
		if !validID(id) {
			return fmt.Errorf("%w: vp_token key %q is not a credential query id", ErrInvalidResponse, id)
		}
		if len(list) == 0 || len(list) > MaxPresentations {
			return fmt.Errorf("%w: vp_token %q must hold 1 to %d presentations", ErrInvalidResponse, id, MaxPresentations)
		}
		for _, p := range list {
			if p == "" || len(p) > MaxPresentationLen {
				return fmt.Errorf("%w: vp_token %q has an empty or oversize presentation", ErrInvalidResponse, id)
			}
		}
	}
	return nil
}

// ParseVPToken decodes a vp_token (§8.1) strictly: a JSON object without
// duplicate members, each key a credential query id, each value a
// non-empty array of non-empty strings (object presentations, used by W3C
// formats, are refused: Cairn handles dc+sd-jwt only), all bounded.
func ParseVPToken(b []byte) (VPToken, error) {
	if len(b) > MaxResponseLen {
		return nil, fmt.Errorf("%w: vp_token", ErrTooLarge)
	}
	tree, err := jsonx.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%w: vp_token: %v", ErrInvalidResponse, err)
	}
	return vpTokenFromJSON(tree)
}

func vpTokenFromJSON(tree any) (VPToken, error) {
	m, ok := tree.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: vp_token must be a JSON object keyed by credential query id", ErrInvalidResponse)
	}
	v := make(VPToken, len(m))
	for id, e := range m {
		arr, ok := e.([]any)
		if !ok {
			return nil, fmt.Errorf("%w: vp_token %q must be an array of presentations", ErrInvalidResponse, id)
		}
		list := make([]string, 0, len(arr))
		for _, p := range arr {
			s, ok := p.(string)
			if !ok {
				return nil, fmt.Errorf("%w: vp_token %q: presentations must be strings", ErrInvalidResponse, id)
			}
			list = append(list, s)
		}
		v[id] = list
	}
	if err := v.validate(); err != nil {
		return nil, err
	}
	return v, nil
}

// Response is an authorization response: a vp_token and state, or an
// error (§8.5).
type Response struct {
	VPToken          VPToken
	State            string
	Error            string
	ErrorDescription string
	// Encrypted reports that the response came as direct_post.jwt.
	Encrypted bool
}

// ErrorResponse is the refusal a wallet sends when the holder declines:
// error=access_denied with the request's state and nothing else.
func ErrorResponse(state string) *Response {
	return &Response{Error: ErrorAccessDenied, State: state}
}

func (r *Response) check() error {
	if (r.Error == "") == (len(r.VPToken) == 0) {
		return fmt.Errorf("%w: a response has exactly one of vp_token and error", ErrInvalidResponse)
	}
	if len(r.State) > MaxStateLen || !printableASCII(r.State) {
		return fmt.Errorf("%w: state", ErrInvalidResponse)
	}
	if r.Error != "" {
		if len(r.Error) > 64 || !errorCode(r.Error) {
			return fmt.Errorf("%w: error code", ErrInvalidResponse)
		}
		if len(r.ErrorDescription) > MaxErrorDescriptionLen || !printableASCII(r.ErrorDescription) {
			return fmt.Errorf("%w: error_description", ErrInvalidResponse)
		}
		return nil
	}
	return r.VPToken.validate()
}

func errorCode(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Form is the direct_post body (§8.2): vp_token as a JSON string and
// state, or error, error_description and state.
func (r *Response) Form() (url.Values, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	v := url.Values{}
	if r.Error != "" {
		v.Set("error", r.Error)
		if r.ErrorDescription != "" {
			v.Set("error_description", r.ErrorDescription)
		}
	} else {
		b, err := r.VPToken.Marshal()
		if err != nil {
			return nil, err
		}
		v.Set("vp_token", string(b))
	}
	if r.State != "" {
		v.Set("state", r.State)
	}
	return v, nil
}

// EncryptedForm is the direct_post.jwt body (§8.3.1): response=<JWE>
// whose plaintext is the JSON object of the response parameters (vp_token
// and state, or error, error_description and state: an error response is
// encrypted too; §8.3.1 allows the direct_post form only to a wallet
// unable to encrypt), encrypted with ECDH-ES to req's client_metadata key
// (its kid in the header) with the first supported enc the verifier
// lists. rnd may be nil.
func (r *Response) EncryptedForm(req *AuthorizationRequest, rnd io.Reader) (url.Values, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	jwk, err := req.EncryptionKey()
	if err != nil {
		return nil, err
	}
	enc, err := req.ResponseEnc()
	if err != nil {
		return nil, err
	}
	pub, err := jwk.ECDHPublicKey()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	payload := map[string]any{}
	if r.Error != "" {
		payload["error"] = r.Error
		if r.ErrorDescription != "" {
			payload["error_description"] = r.ErrorDescription
		}
	} else {
		payload["vp_token"] = map[string][]string(r.VPToken)
	}
	if r.State != "" {
		payload["state"] = r.State
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("oid4vp: encode response: %w", err)
	}
	jwe, err := jose.EncryptECDHES(b, pub, jose.EncryptOptions{Enc: enc, Kid: jwk.Kid, Rand: rnd})
	if err != nil {
		return nil, err
	}
	return url.Values{"response": {jwe}}, nil
}

// ResponseOptions control ParseResponse (the verifier side).
type ResponseOptions struct {
	// Mode is the response_mode of the request; a vp_token in the other
	// mode is refused (an unencrypted vp_token where encryption was asked).
	Mode string
	// Key decrypts direct_post.jwt responses (the session's ephemeral key).
	Key *ecdh.PrivateKey
	// Encs is the enc allow-list (jose.DefaultEncs when empty).
	Encs []string
}

// ParseResponse parses an authorization response body as POSTed to the
// response_uri: parameters once each, either response (a JWE, only when
// Mode is direct_post.jwt, decrypted with Key and its plaintext a JSON
// object with vp_token and state, or with error, error_description and
// state) or vp_token (only when Mode is direct_post), or an unencrypted
// error (in either mode: §8.3.1 lets a wallet unable to encrypt send it). Errors match ErrInvalidResponse,
// ErrTooLarge or a jose JWE error.
func ParseResponse(body []byte, o ResponseOptions) (*Response, error) {
	if len(body) > MaxResponseLen {
		return nil, fmt.Errorf("%w: response body of %d bytes", ErrTooLarge, len(body))
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidResponse, err)
	}
	for k, v := range vals {
		if len(v) != 1 {
			return nil, fmt.Errorf("%w: parameter %q repeated", ErrInvalidResponse, k)
		}
	}
	r := &Response{State: vals.Get("state"), Error: vals.Get("error"), ErrorDescription: vals.Get("error_description")}
	_, hasVP := vals["vp_token"]
	_, hasJWE := vals["response"]
	switch {
	case r.Error != "":
		if hasVP || hasJWE {
			return nil, fmt.Errorf("%w: both an error and a response", ErrInvalidResponse)
		}
	case hasJWE:
		if hasVP {
			return nil, fmt.Errorf("%w: both response and vp_token", ErrInvalidResponse)
		}
		if o.Mode != ResponseModeDirectPostJWT {
			return nil, fmt.Errorf("%w: an encrypted response where %s was requested", ErrInvalidResponse, o.Mode)
		}
		if err := r.decrypt(vals.Get("response"), o); err != nil {
			return nil, err
		}
	case hasVP:
		if o.Mode != ResponseModeDirectPost {
			return nil, fmt.Errorf("%w: an unencrypted vp_token where %s was requested", ErrInvalidResponse, o.Mode)
		}
		if r.VPToken, err = ParseVPToken([]byte(vals.Get("vp_token"))); err != nil {
			return nil, err
		}
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Response) decrypt(jwe string, o ResponseOptions) error {
	if o.Key == nil {
		return fmt.Errorf("%w: no decryption key", ErrInvalidResponse)
	}
	dec, err := jose.DecryptECDHES(jwe, o.Key, jose.DecryptOptions{Encs: o.Encs, MaxLen: MaxResponseLen})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidResponse, err)
	}
	tree, err := jsonx.Decode(dec.Plaintext)
	m, ok := tree.(map[string]any)
	if err != nil || !ok {
		return fmt.Errorf("%w: the decrypted response is not a JSON object", ErrInvalidResponse)
	}
	if st, ok := m["state"]; ok {
		s, isStr := st.(string)
		if !isStr {
			return fmt.Errorf("%w: state must be a string", ErrInvalidResponse)
		}
		if r.State != "" && r.State != s {
			return fmt.Errorf("%w: state differs inside and outside the JWE", ErrInvalidResponse)
		}
		r.State = s
	}
	r.Encrypted = true
	if e, ok := m["error"]; ok {
		// An encrypted error response (§8.3.1): error, error_description
		// and state, checked as an unencrypted one.
		if _, both := m["vp_token"]; both {
			return fmt.Errorf("%w: both an error and a vp_token", ErrInvalidResponse)
		}
		code, isStr := e.(string)
		if !isStr || code == "" {
			return fmt.Errorf("%w: error must be a non-empty string", ErrInvalidResponse)
		}
		r.Error = code
		if d, ok := m["error_description"]; ok {
			desc, isStr := d.(string)
			if !isStr {
				return fmt.Errorf("%w: error_description must be a string", ErrInvalidResponse)
			}
			r.ErrorDescription = desc
		}
		return nil
	}
	vp, ok := m["vp_token"]
	if !ok {
		return fmt.Errorf("%w: the decrypted response has no vp_token", ErrInvalidResponse)
	}
	if r.VPToken, err = vpTokenFromJSON(vp); err != nil {
		return err
	}
	return nil
}

// ResponseKid reads, without decrypting, the kid of the JWE header of a
// direct_post.jwt body ("" when there is none or the body is not one):
// the verifier tells a response encrypted to another request's key apart
// before it tries its own.
func ResponseKid(body []byte) string {
	if len(body) > MaxResponseLen {
		return ""
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	jwe := vals.Get("response")
	i := strings.IndexByte(jwe, '.')
	if i <= 0 || i > 8<<10 {
		return ""
	}
	hb, err := jose.DecodeSegment(jwe[:i])
	if err != nil {
		return ""
	}
	tree, err := jsonx.Decode(hb)
	m, ok := tree.(map[string]any)
	if err != nil || !ok {
		return ""
	}
	kid, _ := m["kid"].(string)
	return kid
}

// KBAudience is the aud a KB-JWT must carry for a verifier (B.3.6): the
// full client_id, prefix included ("decentralized_identifier:did:…").
func KBAudience(clientID string) string { return clientID }

// CheckKBAudience checks a verified KB-JWT's aud against the request's
// client_id: equal as strings. An aud equal to the client id without its
// prefix gets its own message (a common wallet bug).
func CheckKBAudience(aud, clientID string) error {
	if aud == clientID && aud != "" {
		return nil
	}
	if cid, err := ParseClientID(clientID); err == nil && cid.Prefix != "" && aud == cid.Value {
		return fmt.Errorf("%w: aud %q lacks the client id prefix %q", ErrKBAudience, aud, cid.Prefix+":")
	}
	return fmt.Errorf("%w: aud %q, want %q", ErrKBAudience, aud, clientID)
}

// IsAccessDenied reports whether r is the holder's refusal.
func (r *Response) IsAccessDenied() bool { return r.Error == ErrorAccessDenied }

// MaxDirectPostResultLen bounds the verifier's answer to a direct_post.
const MaxDirectPostResultLen = 8 << 10

// ParseDirectPostResult reads the verifier's HTTP 200 answer to a
// direct_post or direct_post.jwt (§8.2): an empty body or a JSON object
// with an optional redirect_uri, which the wallet then follows. The
// redirect_uri must be https (http too with o.Dev), a fragment allowed;
// other members are ignored.
func ParseDirectPostResult(body []byte, o Options) (redirectURI string, err error) {
	if len(body) > MaxDirectPostResultLen {
		return "", fmt.Errorf("%w: direct_post result", ErrTooLarge)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return "", nil
	}
	tree, err := jsonx.Decode(body)
	m, ok := tree.(map[string]any)
	if err != nil || !ok {
		return "", fmt.Errorf("%w: the direct_post result is not a JSON object", ErrInvalidResponse)
	}
	v, present := m["redirect_uri"]
	if !present {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%w: redirect_uri must be a string", ErrInvalidResponse)
	}
	// A fragment is allowed here: the spec's same-device redirect carries
	// its response_code in one (§8.2), out of server logs and Referer.
	base, _, _ := strings.Cut(s, "#")
	if err := checkURL(base, o); err != nil {
		return "", fmt.Errorf("%w: redirect_uri: %v", ErrInvalidResponse, err)
	}
	return s, nil
}
