// Package sdjwt implements Selective Disclosure for JWTs, RFC 9901, in the
// compact serialization and the JWS JSON serialization (§8, flattened and
// general): issuance with a disclosure frame (§4: object
// properties, array elements, recursive disclosures, decoy digests,
// _sd_alg sha-256; sha-384/512 and sha3-256/384/512 accepted), parsing (§4.1, §5), holder presentation (§5.2, §7.2
// selection with ancestors), Key Binding JWTs (§4.3) and the full
// verification algorithm of §7.1 and §7.3.
//
// It knows nothing of verifiable credentials, DIDs or HTTP: the caller
// supplies the issuer's key, what the issuer JWT's typ must be, and whether
// key binding is required. Key binding is a verifier policy, never inferred
// from the presence of a KB-JWT.
package sdjwt

import (
	"crypto"
	"io"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
)

// Limits bound what Parse, ParseJSON, Verify and VerifyJSON accept. Zero fields take the defaults.
type Limits struct {
	MaxTokenLen      int // whole serialization, default 256 KiB
	MaxDisclosures   int // default 512
	MaxDisclosureLen int // one encoded disclosure, default 64 KiB
	MaxDepth         int // JSON nesting of the processed payload, default 32
	MaxSignatures    int // signatures of a general JSON serialization, default 8
}

// Disclosure is one decoded disclosure (§4.2).
type Disclosure struct {
	Encoded string // base64url as it appears in the serialization
	Salt    string
	Name    string // empty for an array element
	IsArray bool   // true for an array-element disclosure [salt, value]
	Value   any    // decoded JSON value
	Digest  string // base64url(H(Encoded)), H the payload's _sd_alg (sha-256 when unsupported)
	// Path is the JSON Pointer (RFC 6901) of the claim this disclosure
	// reveals in the processed payload; set by Process / Verify.
	Path string
}

// SDJWT is a parsed SD-JWT or SD-JWT+KB. The issuer-signed JWT is not
// verified by Parse.
type SDJWT struct {
	IssuerJWT   string         // compact JWS
	Header      jose.Header    // of the issuer-signed JWT
	Payload     map[string]any // the issuer-signed payload, with _sd etc.
	Disclosures []*Disclosure  // in serialization order
	KBJWT       string         // "" when there is none

	// Unprotected is the unprotected header of the issuer JWS in the JWS
	// JSON serialization (§8; the first signature's in the general form),
	// without disclosures and kb_jwt. It is not integrity protected and is
	// not covered by sd_hash. Nil for a compact SD-JWT; MarshalJSONSerialization
	// writes whatever the caller puts here (typically kid).
	Unprotected map[string]any
	// MoreSignatures are the second and later signatures of a general JWS
	// JSON serialization (§8.3), in order. IssuerJWT is always the first.
	MoreSignatures []JSONSignature
}

// JSONSignature is one further signature of a general JWS JSON
// serialization (RFC 7515 §7.2.1) over the same payload.
type JSONSignature struct {
	Protected string         // base64url protected header, as serialized
	Header    map[string]any // unprotected header; never disclosures or kb_jwt
	Signature string         // base64url signature
}

// IssueOptions control Issue.
type IssueOptions struct {
	Signer *jose.Signer
	// Header holds extra protected header parameters, typically typ.
	Header map[string]any
	// Disclosable lists JSON Pointers (RFC 6901) of claims to make
	// selectively disclosable; "*" as a segment means every array element.
	// A path below another disclosable path gives a recursive disclosure.
	Disclosable []string
	// Decoys is the minimum number of decoy digests added to every _sd
	// array and every array with disclosable elements; a random 0..Decoys
	// extra may be added. Zero adds none.
	Decoys int
	// NeverDisclosable lists top-level claim names that Issue refuses to
	// make disclosable (sdjwtvc passes iss, nbf, exp, cnf, vct, status …).
	NeverDisclosable []string
	Rand             io.Reader // salts and decoys; crypto/rand when nil
}

// KBOptions are the Key Binding JWT claims (§4.3).
type KBOptions struct {
	Audience string
	Nonce    string
	IssuedAt time.Time
}

// VerifyOptions control Verify. IssuerKey and Now are required.
type VerifyOptions struct {
	// IssuerKey returns the key that must have signed the issuer JWT, from
	// its header and (unverified) payload; an error from it is returned
	// wrapped as-is, so callers can use their own trust errors.
	IssuerKey func(h jose.Header, payload map[string]any) (crypto.PublicKey, error)
	Algs      []jose.Alg // allow-list; jose.DefaultAlgs when empty
	// IssuerTyp, when set, is the required typ of the issuer JWT; the
	// comparison is case-insensitive (RFC 7515 §4.1.9).
	IssuerTyp string
	// RequireKeyBinding demands a KB-JWT signed by the key in cnf.jwk with
	// these Nonce and Audience values. When false, a presentation that
	// carries a KB-JWT is refused (a verifier that did not ask for key
	// binding cannot check it). Key binding is never inferred.
	RequireKeyBinding bool
	Nonce             string
	Audience          string
	KBMaxAge          time.Duration // default 5 minutes
	ClockSkew         time.Duration // for iat/nbf/exp and KB iat, default 1 minute
	Now               func() time.Time
	Limits            Limits
	// HashAlgs, when set, are the _sd_alg values accepted (a profile
	// narrower than HashAlgs(), e.g. sha-256 only); nil accepts every
	// supported one.
	HashAlgs []string
}

// Verified is the result of a successful Verify.
type Verified struct {
	Header jose.Header
	// Claims is the processed payload (§7.1 step 5): disclosed claims put
	// in place, _sd, _sd_alg and "..." removed, undisclosed ones absent.
	Claims      map[string]any
	Disclosures []*Disclosure // each with Path set
	HolderKey   *jose.JWK     // cnf.jwk, when present
	KeyBinding  *KeyBinding   // when a KB-JWT was verified
}

// KeyBinding holds the verified KB-JWT claims.
type KeyBinding struct {
	IssuedAt time.Time
	Audience string
	Nonce    string
	SDHash   string
}
