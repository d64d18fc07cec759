package jptvc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/jwp"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/schemas"
)

// Errors of the holder and verifier sides. Errors of internal/jwp
// (jwp.ErrAudience, jwp.ErrNonce, jwp.ErrInvalidProof…) are wrapped, not
// replaced.
var (
	// ErrUnregisteredKey: the Issuer Header's kid names no BBS key of an
	// issuer entity of the registry.
	ErrUnregisteredKey = errors.New("jptvc: BBS issuer key not in the registry")
	// ErrUnknownType: the Issuer Header's cid is the claim list of no
	// catalogue type.
	ErrUnknownType = errors.New("jptvc: cid names no known credential type")
	// ErrMissingClaim: iat or exp was not disclosed, or a stored
	// credential lacks a registered claim.
	ErrMissingClaim = errors.New("jptvc: registered claim missing")
	// ErrMismatch: a disclosed iss or vct contradicts the key's issuer or
	// the cid's type.
	ErrMismatch = errors.New("jptvc: claim contradicts the issuer header")
	// ErrExpired and ErrNotYetValid: exp is past, iat in the future.
	ErrExpired     = errors.New("jptvc: credential expired")
	ErrNotYetValid = errors.New("jptvc: credential not yet valid")
	// ErrNotAuthorized: the registry did not authorize the issuer for the
	// type at iat.
	ErrNotAuthorized = errors.New("jptvc: issuer not authorized for the type at iat")
)

// KeyFromDID returns the BBS public key carried by a did:jwk (or a DID URL
// of one) whose JWK is kty OKP, crv BLS12381G2; the key's kid is the DID
// URL "#0".
func KeyFromDID(d string) (*jwp.PublicKey, error) {
	base, _, err := did.ParseDIDURL(d)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnregisteredKey, err)
	}
	enc, ok := strings.CutPrefix(base, "did:jwk:")
	if !ok || len(enc) > jose.B64.EncodedLen(jwp.MaxJWKLen) {
		return nil, fmt.Errorf("%w: %s is not a did:jwk", ErrUnregisteredKey, shortDID(base))
	}
	b, err := jose.DecodeSegment(enc)
	if err != nil {
		return nil, fmt.Errorf("%w: did:jwk is not base64url", ErrUnregisteredKey)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: did:jwk is not a JWK", ErrUnregisteredKey)
	}
	if m["kty"] != jwp.KtyOKP || m["crv"] != jwp.CrvBLS12381G2 {
		return nil, fmt.Errorf("%w: did:jwk is not a BLS12381G2 key", ErrUnregisteredKey)
	}
	// did:jwk carries kty, crv and x only; the proof_alg Cairn requires
	// is the one alg JPA defines for BLS12381G2 keys.
	m["proof_alg"] = jwp.AlgBBS
	delete(m, "kid")
	jb, _ := json.Marshal(m)
	k, err := jwp.ParsePublicJWK(jb)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnregisteredKey, err)
	}
	k.Kid = base + "#0"
	return k, nil
}

// IssuerKey finds the issuer and the BBS key an Issuer Header's kid names:
// a DID URL of a BBS did:jwk, or the RFC 7638 thumbprint of the key of
// such a did:jwk. Either way that DID must be an issuer entity of reg
// (whether it was authorized for a type at some time is IssuerAuthorized's
// question). The key comes from the DID itself.
func IssuerKey(reg *trust.Registry, kid string) (string, *jwp.PublicKey, error) {
	if reg == nil {
		return "", nil, fmt.Errorf("%w: no registry", ErrUnregisteredKey)
	}
	if strings.HasPrefix(kid, "did:") {
		k, err := KeyFromDID(kid)
		if err != nil {
			return "", nil, err
		}
		d, _, _ := strings.Cut(kid, "#")
		if e := reg.Entity(d); e == nil || e.Role != trust.RoleIssuer {
			return "", nil, fmt.Errorf("%w: %s", ErrUnregisteredKey, shortDID(d))
		}
		return d, k, nil
	}
	for i := range reg.Entities {
		e := &reg.Entities[i]
		if e.Role != trust.RoleIssuer || !strings.HasPrefix(e.DID, "did:jwk:") {
			continue
		}
		k, err := KeyFromDID(e.DID)
		if err == nil && k.Thumbprint() == kid {
			return e.DID, k, nil
		}
	}
	return "", nil, fmt.Errorf("%w: kid %.16s…", ErrUnregisteredKey, kid)
}

func shortDID(d string) string {
	if len(d) > 32 {
		return d[:32] + "…"
	}
	return d
}

// typeIndex caches, per catalogue, its types by cid.
var typeIndex sync.Map // *schemas.Catalogue -> map[string]*schemas.Type

// TypeByCID returns the catalogue type whose claim list (ClaimNames) has
// the cid, or ErrUnknownType.
func TypeByCID(cat *schemas.Catalogue, cid string) (*schemas.Type, error) {
	v, ok := typeIndex.Load(cat)
	if !ok {
		m := map[string]*schemas.Type{}
		for _, t := range cat.Types() {
			m[jwp.ClaimSetID(ClaimNames(t))] = t
		}
		v, _ = typeIndex.LoadOrStore(cat, m)
	}
	t, ok := v.(map[string]*schemas.Type)[cid]
	if !ok {
		return nil, fmt.Errorf("%w: cid %.16s…", ErrUnknownType, cid)
	}
	return t, nil
}

// Stored is an issued jpt credential as its holder's wallet keeps it,
// confirmed against its issuer's key.
type Stored struct {
	Issuer    string
	Type      *schemas.Type
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Claims are every non-null claim, the registered ones included.
	Claims map[string]any
	Key    *jwp.PublicKey
	Issued *jwp.Issued
}

// Open parses an issued jpt credential, finds its type from the cid and
// its issuer's key through key (IssuerKey over the registry, for
// instance), confirms the BBS signature and checks iss and vct against
// them, iat and exp, and the claims against the type's schema.
func Open(cat *schemas.Catalogue, compact string, key func(kid string) (string, *jwp.PublicKey, error)) (*Stored, error) {
	j, err := jwp.ParseIssued(compact)
	if err != nil {
		return nil, err
	}
	h, err := jwp.ParseHeader(j.Header)
	if err != nil {
		return nil, err
	}
	if h.Typ != Typ {
		return nil, fmt.Errorf("%w: typ %q, want %q", jwp.ErrHeader, h.Typ, Typ)
	}
	t, err := TypeByCID(cat, h.Cid)
	if err != nil {
		return nil, err
	}
	iss, pub, err := key(h.Kid)
	if err != nil {
		return nil, err
	}
	cs, err := ClaimSet(t)
	if err != nil {
		return nil, err
	}
	tok, err := jwp.ConfirmToken(pub, cs, j)
	if err != nil {
		return nil, err
	}
	st := &Stored{Issuer: iss, Type: t, Claims: tok.Claims, Key: pub, Issued: j}
	if st.IssuedAt, st.ExpiresAt, err = registered(tok.Claims, iss, t); err != nil {
		return nil, err
	}
	if err := t.ValidateDecoded(UserClaims(tok.Claims)); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	return st, nil
}

// registered checks the disclosed iss and vct against the issuer and type
// and reads iat and exp (both required).
func registered(claims map[string]any, iss string, t *schemas.Type) (iat, exp time.Time, err error) {
	if v, ok := claims["iss"]; ok && v != iss {
		return iat, exp, fmt.Errorf("%w: iss is not the DID of the signing key", ErrMismatch)
	}
	if v, ok := claims["vct"]; ok && v != t.VCT {
		return iat, exp, fmt.Errorf("%w: vct is not the type of the cid", ErrMismatch)
	}
	if iat, err = unixClaim(claims, "iat"); err != nil {
		return iat, exp, err
	}
	if exp, err = unixClaim(claims, "exp"); err != nil {
		return iat, exp, err
	}
	return iat, exp, nil
}

func unixClaim(claims map[string]any, name string) (time.Time, error) {
	var n int64
	var err error
	switch v := claims[name].(type) {
	case json.Number:
		n, err = strconv.ParseInt(string(v), 10, 64)
	case nil:
		return time.Time{}, fmt.Errorf("%w: %s", ErrMissingClaim, name)
	default:
		err = errors.New("not an integer")
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s: %v", jwp.ErrClaims, name, err)
	}
	return time.Unix(n, 0).UTC(), nil
}

// UserClaims returns claims without the registered ones.
func UserClaims(claims map[string]any) map[string]any {
	out := make(map[string]any, len(claims))
	for k, v := range claims {
		switch k {
		case "iss", "vct", "iat", "exp":
		default:
			out[k] = v
		}
	}
	return out
}

// Always are the claims a holder always discloses: iss and vct say no
// more than the Issuer Header already does (its kid and cid), and a
// verifier needs iat (the issuer's authority then) and exp (validity).
var Always = Registered

// Present presents a stored credential for a verifier: the claims named
// (top-level names) and Always, under a Presentation Header {aud, nonce}.
// The proof is fresh (rnd: crypto/rand.Reader when nil), so two
// presentations of one credential share no proof bytes.
func (st *Stored) Present(rnd io.Reader, aud, nonce string, claims []string) (string, error) {
	cs, err := ClaimSet(st.Type)
	if err != nil {
		return "", err
	}
	names := append([]string(nil), Always...)
	for _, c := range claims {
		if _, ok := cs.Slot(c); !ok {
			return "", fmt.Errorf("%w: %q is not a claim of %s", jwp.ErrClaims, c, st.Type.VCT)
		}
		if !contains(names, c) {
			names = append(names, c)
		}
	}
	p, err := jwp.PresentToken(rnd, st.Key, cs, st.Issued, jwp.PresentationHeader{Aud: aud, Nonce: nonce}, names)
	if err != nil {
		return "", err
	}
	return p.Compact(), nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// VerifyOptions are the verifier's expectations.
type VerifyOptions struct {
	Catalogue *schemas.Catalogue
	// Key finds the issuer and its BBS key from a kid (IssuerKey over the
	// registry in use).
	Key func(kid string) (string, *jwp.PublicKey, error)
	// Authorized answers "was issuer authorized for vct at iat?"
	// (trust.Registry.IssuerAuthorized); nil skips the question.
	Authorized func(issuer, vct string, iat time.Time) (trust.Decision, error)
	// Audience is the verifier's full client id, Nonce its session's.
	Audience, Nonce string
	Now             func() time.Time
	ClockSkew       time.Duration
}

// Verified is a verified jpt presentation: what was disclosed, nothing of
// the proof.
type Verified struct {
	Issuer    string
	Type      *schemas.Type
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Claims are the disclosed non-null claims, registered ones included.
	Claims   map[string]any
	Decision *trust.Decision
}

// Verify verifies a presented jpt credential: the type from the cid, the
// issuer's registered BBS key from the kid, the proof with aud and nonce
// (jwp.VerifyToken), iat and exp disclosed and in force, iss and vct (when
// disclosed) matching, and the issuer's authority for the type at iat.
// Schema validation of the disclosed claims is the caller's (a required
// claim left undisclosed is no problem there).
func Verify(p *jwp.Presented, o VerifyOptions) (*Verified, error) {
	h, err := jwp.ParseHeader(p.IssuerHeader)
	if err != nil {
		return nil, err
	}
	if h.Typ != Typ {
		return nil, fmt.Errorf("%w: typ %q, want %q", jwp.ErrHeader, h.Typ, Typ)
	}
	t, err := TypeByCID(o.Catalogue, h.Cid)
	if err != nil {
		return nil, err
	}
	iss, pub, err := o.Key(h.Kid)
	if err != nil {
		return nil, err
	}
	cs, err := ClaimSet(t)
	if err != nil {
		return nil, err
	}
	tok, err := jwp.VerifyToken(pub, cs, p, jwp.VerifyOptions{Audience: o.Audience, Nonce: o.Nonce})
	if err != nil {
		return nil, err
	}
	v := &Verified{Issuer: iss, Type: t, Claims: tok.Claims}
	if v.IssuedAt, v.ExpiresAt, err = registered(tok.Claims, iss, t); err != nil {
		return nil, err
	}
	now := time.Now()
	if o.Now != nil {
		now = o.Now()
	}
	if !now.Before(v.ExpiresAt.Add(o.ClockSkew)) {
		return nil, ErrExpired
	}
	if v.IssuedAt.After(now.Add(o.ClockSkew)) {
		return nil, ErrNotYetValid
	}
	if o.Authorized != nil {
		d, err := o.Authorized(iss, t.VCT, v.IssuedAt)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotAuthorized, err)
		}
		v.Decision = &d
		if !d.Authorized {
			return nil, fmt.Errorf("%w: %s", ErrNotAuthorized, d.Reason)
		}
	}
	return v, nil
}

// KeyOf is a key look-up that answers only for one did:jwk issuer and the
// kids naming its key (DID URL or thumbprint): for a holder re-opening a
// credential it verified when it received it, with no registry needed.
func KeyOf(issuerDID string) func(kid string) (string, *jwp.PublicKey, error) {
	return func(kid string) (string, *jwp.PublicKey, error) {
		k, err := KeyFromDID(issuerDID)
		if err != nil {
			return "", nil, err
		}
		if kid != k.Kid && kid != k.Thumbprint() {
			return "", nil, fmt.Errorf("%w: kid does not name the key of %s", ErrUnregisteredKey, shortDID(issuerDID))
		}
		return issuerDID, k, nil
	}
}

// Claims decodes every non-null claim of an issued jpt credential without
// verifying it (for showing a credential the wallet verified on receipt);
// the claim names come from the type of its cid.
func Claims(cat *schemas.Catalogue, compact string) (map[string]any, error) {
	j, err := jwp.ParseIssued(compact)
	if err != nil {
		return nil, err
	}
	h, err := jwp.ParseHeader(j.Header)
	if err != nil {
		return nil, err
	}
	t, err := TypeByCID(cat, h.Cid)
	if err != nil {
		return nil, err
	}
	names := ClaimNames(t)
	if len(names) != len(j.Payloads) {
		return nil, fmt.Errorf("%w: %d payload slots for %d claim names", jwp.ErrClaims, len(j.Payloads), len(names))
	}
	out := map[string]any{}
	for i, p := range j.Payloads {
		v, err := jwp.DecodeClaim(p)
		if err != nil {
			return nil, err
		}
		if v != nil {
			out[names[i]] = v
		}
	}
	return out, nil
}
