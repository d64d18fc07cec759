// Package jptvc is Cairn's experimental unlinkable credential format "jpt":
// a credential of a catalogue type (schemas) carried as a JSON Proof Token
// (internal/jwp: draft-ietf-jose-json-web-proof-13, JSON Proof Algorithms
// -13/-14 alg BBS, JSON Proof Token -13), beside SD-JWT VC
// (internal/sdjwtvc), which stays Cairn's default format.
//
// "jpt" is a Cairn-defined credential format identifier: OpenID4VCI 1.0 and
// OpenID4VP 1.0 define none for JSON Web Proofs, so neither wallets nor
// verifiers outside Cairn know it.
//
// This package owns the format's rules on all three sides. Issuer (Issue,
// Configuration):
//   - the slot mapping: every top-level claim of the type (its metadata
//     claims, in their order) is one payload slot, after iss, vct, iat and
//     exp; the claim-name list is shared, referenced by its cid, so the
//     Issuer Header is the same octets for every credential of one issuer
//     key and type;
//   - correlation hygiene: iat is the start of the UTC day and exp a whole
//     number of days later (DefaultValidity 30 days, at most the type's
//     MaxTTL); no status-list index (short validity and re-issue instead),
//     no sub and no cnf: a jpt credential has no holder binding, it is a
//     bearer credential;
//   - the credential configuration entry of the issuer metadata (no proof
//     types: the issuer asks for no key proof).
//
// Holder (Open, Stored.Present): the type from the Issuer Header's cid
// (TypeByCID over the catalogue), the issuer's BBS key from its kid
// (IssuerKey: a BBS did:jwk registered as an issuer), the signature
// confirmed and the schema checked; a presentation discloses the asked
// claims plus iss, vct, iat and exp (which say no more than the header,
// and which the verifier needs) under a Presentation Header {aud, nonce}.
//
// Verifier (Verify): the same type and key look-ups, jwp.VerifyToken with
// the verifier's full client id and session nonce, iat and exp required
// and in force, iss and vct (when disclosed) consistent with the header,
// and the issuer's authority for the type at iat.
package jptvc

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cairn-id/cairn/internal/jwp"
	"github.com/cairn-id/cairn/internal/oid4vci"
	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/schemas"
)

// Format is the Cairn-defined credential format identifier of jpt
// credentials in issuer metadata, offers and DCQL queries.
const Format = oid4vp.FormatJPT

// Typ is the Issuer Header typ: the JPT media type application/jpt
// (JPT §10.1), shortened as JWP §5.1.3 recommends.
const Typ = "jpt"

// DefaultValidity is the lifetime of a jpt credential unless the issuer
// says otherwise.
const DefaultValidity = 30 * 24 * time.Hour

const day = 24 * time.Hour

// Registered are the claims this package sets, in slot order, before the
// type's own claims.
var Registered = []string{"iss", "vct", "iat", "exp"}

// refused claims: a holder identifier or a key would link every
// presentation, a status index would too.
var refused = []string{"sub", "cnf", "status", "jti", "nbf"}

// ErrInvalidInput: claims or options a jpt credential cannot carry.
var ErrInvalidInput = errors.New("jptvc: invalid credential input")

// ClaimNames returns the payload slot names of type t: Registered, then
// every top-level claim of the type's metadata in its order.
func ClaimNames(t *schemas.Type) []string {
	names := slices.Clone(Registered)
	for _, c := range t.Metadata.Claims {
		if len(c.Path) == 0 {
			continue
		}
		n, ok := c.Path[0].(string)
		if ok && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

// ClaimSet returns the shared claim-name list of type t; its cid is
// jwp.ClaimSetID of the names, so a verifier that knows the type checks it.
func ClaimSet(t *schemas.Type) (*jwp.ClaimSet, error) {
	return jwp.NewClaimSet("", ClaimNames(t))
}

// Credential is what the issuer puts in a jpt credential.
type Credential struct {
	Issuer   string // iss: the issuer's DID
	IssuedAt time.Time
	// Validity is rounded up to whole days; zero means DefaultValidity.
	Validity time.Duration
	// Claims are the type's claims (evidence included); Registered and
	// holder-linking claims (sub, cnf, status, jti, nbf) are refused.
	Claims map[string]any
}

// Times returns the rounded iat and exp of c for type t.
func (c Credential) Times(t *schemas.Type) (iat, exp time.Time, err error) {
	v := c.Validity
	if v == 0 {
		v = DefaultValidity
	}
	if v < 0 {
		return time.Time{}, time.Time{}, fmt.Errorf("%w: negative validity", ErrInvalidInput)
	}
	days := (v + day - 1) / day
	if t.MaxTTL > 0 && days*day > t.MaxTTL {
		days = t.MaxTTL / day
		if days == 0 {
			return time.Time{}, time.Time{}, fmt.Errorf("%w: type %s allows less than one day", ErrInvalidInput, t.VCT)
		}
	}
	iat = c.IssuedAt.UTC().Truncate(day)
	return iat, iat.Add(days * day), nil
}

// Issue issues c as a jpt credential of type t under key and returns its
// issued compact form. The claims are validated against the type's schema.
func Issue(key *jwp.PrivateKey, t *schemas.Type, c Credential) (string, error) {
	if c.Issuer == "" || c.IssuedAt.IsZero() {
		return "", fmt.Errorf("%w: iss and iat are required", ErrInvalidInput)
	}
	cs, err := ClaimSet(t)
	if err != nil {
		return "", err
	}
	iat, exp, err := c.Times(t)
	if err != nil {
		return "", err
	}
	claims := make(map[string]any, len(c.Claims)+len(Registered))
	for k, v := range c.Claims {
		if slices.Contains(Registered, k) || slices.Contains(refused, k) {
			return "", fmt.Errorf("%w: claim %q is not accepted in a jpt credential", ErrInvalidInput, k)
		}
		if _, ok := cs.Slot(k); !ok {
			return "", fmt.Errorf("%w: claim %q is not a top-level claim of %s", ErrInvalidInput, k, t.VCT)
		}
		claims[k] = v
	}
	claims["iss"], claims["vct"], claims["iat"], claims["exp"] = c.Issuer, t.VCT, iat.Unix(), exp.Unix()
	if err := t.Validate(claims); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	j, err := jwp.IssueToken(key, cs, Typ, claims)
	if err != nil {
		return "", err
	}
	return j.Compact(), nil
}

// Configuration is the credential configuration of type t in jpt format for
// the Credential Issuer Metadata (OpenID4VCI §12.2.4 shape, Cairn-defined
// format): no cryptographic binding and no proof types, since the issuer
// asks for no key proof; the signing alg is BBS. meta is the type's
// credential_metadata, shared with its SD-JWT VC configuration.
func Configuration(t *schemas.Type, scope string, meta *oid4vci.CredentialMetadata) oid4vci.CredentialConfiguration {
	return oid4vci.CredentialConfiguration{
		Format: Format, VCT: t.VCT, Scope: scope,
		CredentialSigningAlgValuesSupported: []string{jwp.AlgBBS},
		CredentialMetadata:                  meta,
	}
}
