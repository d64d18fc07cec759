// Package did owns decentralized identifiers in Cairn: creating and
// resolving did:jwk (https://github.com/quartzjer/did-jwk, the default for
// holders and issuers), did:key (W3C CCG did:key v0.7: Ed25519, P-256 and
// P-384 keys as multibase base58btc multicodec values), and resolving did:web
// (W3C CCG did:web: §3.2 DID→HTTPS URL transformation, §3.3 read) through
// the SSRF-guarded client of internal/httpx. It implements the DID URL
// syntax of DID Core 1.0 §3.1–3.2 as far as Cairn uses it: a DID with an
// optional fragment naming a verification method. BBS issuer keys
// (BLS12381G2 JWKs, internal/jwp) have did:jwk identifiers too, read only
// through the separate BBSKey path: the resolver never returns them as
// signing keys.
//
// It depends on internal/jose for public JWKs and knows nothing of private
// keys (internal/keys imports this package, not the other way round).
package did

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cairn-id/cairn/internal/httpx"
	"github.com/cairn-id/cairn/internal/jose"
)

// MaxDIDLen bounds a DID or DID URL accepted by this package.
const MaxDIDLen = 2048

// Errors returned at the package boundary; match them with errors.Is.
var (
	ErrInvalidDID        = errors.New("did: invalid DID")
	ErrUnsupportedMethod = errors.New("did: unsupported DID method")
	ErrNotFound          = errors.New("did: not found")
	ErrResolution        = errors.New("did: resolution failed")
	ErrInvalidDocument   = errors.New("did: invalid DID document")
	ErrAmbiguousKey      = errors.New("did: DID has several keys; name one with a fragment")
	// ErrForbiddenTarget is httpx.ErrForbiddenTarget: a did:web host that
	// is (or resolves to) an internal address, or a non-https URL.
	ErrForbiddenTarget = httpx.ErrForbiddenTarget
)

// Document is the part of a DID document (DID Core §5) Cairn uses.
// Relationship lists hold absolute verification method ids.
type Document struct {
	ID                  string               `json:"id"`
	VerificationMethods []VerificationMethod `json:"verificationMethod"`
	AssertionMethod     []string             `json:"assertionMethod,omitempty"`
	Authentication      []string             `json:"authentication,omitempty"`
	KeyAgreement        []string             `json:"keyAgreement,omitempty"`
}

// VerificationMethod is one key of a DID document. ID is absolute
// ("did:…#frag"). PublicKeyJWK is nil when the method's key is in a format
// Cairn does not support; such a method is listed but never used.
type VerificationMethod struct {
	ID           string    `json:"id"`
	Type         string    `json:"type"`
	Controller   string    `json:"controller"`
	PublicKeyJWK *jose.JWK `json:"publicKeyJwk,omitempty"`
}

// Method returns the method name of a syntactically valid DID ("jwk",
// "key", "web"), or "".
func Method(did string) string {
	d, _, err := ParseDIDURL(did)
	if err != nil {
		return ""
	}
	rest := d[len("did:"):]
	return rest[:strings.IndexByte(rest, ':')]
}

// ParseDIDURL splits a DID URL into the DID and its fragment (without '#';
// "" when absent). It checks the DID syntax of DID Core §3.1 and refuses
// paths and queries, which Cairn never uses.
func ParseDIDURL(s string) (did, fragment string, err error) {
	if len(s) > MaxDIDLen {
		return "", "", fmt.Errorf("%w: longer than %d bytes", ErrInvalidDID, MaxDIDLen)
	}
	did = s
	if i := strings.IndexByte(s, '#'); i >= 0 {
		did, fragment = s[:i], s[i+1:]
		if fragment == "" {
			return "", "", fmt.Errorf("%w: empty fragment", ErrInvalidDID)
		}
		if !validFragment(fragment) {
			return "", "", fmt.Errorf("%w: bad character in fragment", ErrInvalidDID)
		}
	}
	if strings.ContainsAny(did, "/?") {
		return "", "", fmt.Errorf("%w: DID URL paths and queries are not supported", ErrInvalidDID)
	}
	if !strings.HasPrefix(did, "did:") {
		return "", "", fmt.Errorf("%w: must start with \"did:\"", ErrInvalidDID)
	}
	rest := did[4:]
	colon := strings.IndexByte(rest, ':')
	if colon <= 0 {
		return "", "", fmt.Errorf("%w: missing method name", ErrInvalidDID)
	}
	for i := 0; i < colon; i++ {
		c := rest[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return "", "", fmt.Errorf("%w: method name must be lower-case letters and digits", ErrInvalidDID)
		}
	}
	msi := rest[colon+1:]
	if msi == "" || msi[len(msi)-1] == ':' {
		return "", "", fmt.Errorf("%w: empty method-specific id", ErrInvalidDID)
	}
	for i := 0; i < len(msi); i++ {
		c := msi[i]
		switch {
		case isAlnum(c) || c == '.' || c == '-' || c == '_' || c == ':':
		case c == '%' && i+2 < len(msi) && isHex(msi[i+1]) && isHex(msi[i+2]):
			i += 2
		default:
			return "", "", fmt.Errorf("%w: bad character %q in method-specific id", ErrInvalidDID, c)
		}
	}
	return did, fragment, nil
}

// validFragment accepts RFC 3986 §3.5 fragment characters.
func validFragment(f string) bool {
	for i := 0; i < len(f); i++ {
		c := f[i]
		switch {
		case isAlnum(c) || strings.IndexByte("-._~!$&'()*+,;=:@/?", c) >= 0:
		case c == '%' && i+2 < len(f) && isHex(f[i+1]) && isHex(f[i+2]):
			i += 2
		default:
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// singleKeyDocument is the document of did:jwk and did:key: one method,
// used for every verification relationship (or only keyAgreement for a
// did:jwk whose JWK says "use":"enc").
func singleKeyDocument(did, fragment string, k *jose.JWK, encOnly bool) *Document {
	vmID := did + "#" + fragment
	doc := &Document{
		ID:                  did,
		VerificationMethods: []VerificationMethod{{ID: vmID, Type: "JsonWebKey2020", Controller: did, PublicKeyJWK: k}},
	}
	if encOnly {
		doc.KeyAgreement = []string{vmID}
	} else {
		doc.AssertionMethod = []string{vmID}
		doc.Authentication = []string{vmID}
	}
	return doc
}
