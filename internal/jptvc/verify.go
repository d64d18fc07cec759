package jptvc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jwp"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/schemas"
)

// Errors of the holder and verifier sides. Errors of internal/jwp
// (jwp.ErrAudience, jwp.ErrNonce, jwp.ErrInvalidProof…) are wrapped, not
// replaced.
var (
	// ErrUnregisteredKey: the key look-up knows no BBS key of iss with the
	// Issuer Header's kid (lookups wrap their own error with it).
	ErrUnregisteredKey = errors.New("jptvc: BBS issuer key not registered")
	// ErrUnknownType: the Issuer Header's cid is the claim list of no
	// catalogue type.
	ErrUnknownType = errors.New("jptvc: cid names no known credential type")
	// ErrMissingClaim: iss, iat or exp was not disclosed, or a stored
	// credential lacks one.
	ErrMissingClaim = errors.New("jptvc: registered claim missing")
	// ErrMismatch: a disclosed vct contradicts the cid's type.
	ErrMismatch = errors.New("jptvc: claim contradicts the issuer header")
	// ErrExpired and ErrNotYetValid: exp is past, iat in the future.
	ErrExpired     = errors.New("jptvc: credential expired")
	ErrNotYetValid = errors.New("jptvc: credential not yet valid")
	// ErrNotAuthorized: the registry did not authorize the issuer for the
	// type at iat.
	ErrNotAuthorized = errors.New("jptvc: issuer not authorized for the type at iat")
)

// KeyLookup finds the BBS key an Issuer Header's kid names for issuer
// iss (the iss claim): vccheck.BBSIssuerKey over the registry for a
// verifier, KeyOf for a holder re-opening what it verified on receipt.
type KeyLookup func(iss, kid string) (*jwp.PublicKey, error)

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
	// Issuer is the iss claim: the issuer entity's DID, whose registered
	// BBS key Key is.
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
// its issuer's key through key (for iss and the Issuer Header's kid),
// confirms the BBS signature and checks vct against the type, iat and exp,
// and the claims against the type's schema. Whether the issuer was
// authorized is the caller's question (vccheck.BBSKeyAuthorized).
func Open(cat *schemas.Catalogue, compact string, key KeyLookup) (*Stored, error) {
	j, err := jwp.ParseIssued(compact)
	if err != nil {
		return nil, err
	}
	t, cs, iss, pub, err := resolve(cat, j.Header, j.Payloads, key)
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

// resolve reads what checking a jpt needs before its proof: the Issuer
// Header (typ jpt), the type of its cid and its claim list, the iss payload
// and the key look-up's key for iss and the kid.
func resolve(cat *schemas.Catalogue, header []byte, payloads [][]byte, key KeyLookup) (*schemas.Type, *jwp.ClaimSet, string, *jwp.PublicKey, error) {
	h, err := jwp.ParseHeader(header)
	if err != nil {
		return nil, nil, "", nil, err
	}
	if h.Typ != Typ {
		return nil, nil, "", nil, fmt.Errorf("%w: typ %q, want %q", jwp.ErrHeader, h.Typ, Typ)
	}
	t, err := TypeByCID(cat, h.Cid)
	if err != nil {
		return nil, nil, "", nil, err
	}
	cs, err := ClaimSet(t)
	if err != nil {
		return nil, nil, "", nil, err
	}
	iss, err := peekIssuer(cs, payloads)
	if err != nil {
		return nil, nil, "", nil, err
	}
	pub, err := key(iss, h.Kid)
	if err != nil {
		return nil, nil, "", nil, err
	}
	return t, cs, iss, pub, nil
}

// peekIssuer reads the iss payload, before the proof is checked: it only
// chooses the key to check it with (the proof covers it).
func peekIssuer(cs *jwp.ClaimSet, payloads [][]byte) (string, error) {
	i, ok := cs.Slot("iss")
	if !ok || i >= len(payloads) || payloads[i] == nil {
		return "", fmt.Errorf("%w: iss", ErrMissingClaim)
	}
	v, err := jwp.DecodeClaim(payloads[i])
	if err != nil {
		return "", err
	}
	iss, ok := v.(string)
	if !ok || iss == "" {
		return "", fmt.Errorf("%w: iss is not a DID", jwp.ErrClaims)
	}
	return iss, nil
}

// registered checks the disclosed iss and vct against the issuer and type
// and reads iat and exp (both required).
func registered(claims map[string]any, iss string, t *schemas.Type) (iat, exp time.Time, err error) {
	if v, ok := claims["iss"]; !ok || v != iss {
		return iat, exp, fmt.Errorf("%w: iss", ErrMissingClaim)
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
// more than the Issuer Header already does (its kid names a key of one
// issuer, its cid one type), the verifier needs iss to find that key, and
// iat (the issuer's authority then) and exp (validity).
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
	// Key finds the issuer's registered BBS key (vccheck.BBSIssuerKey
	// over the registry in use).
	Key KeyLookup
	// Authorized answers "was pub the key of issuer iss, and iss
	// authorized for vct, at iat?" (vccheck.BBSKeyAuthorized); nil skips
	// the question.
	Authorized func(iss string, pub *jwp.PublicKey, vct string, iat time.Time) (trust.Decision, error)
	// Audience is the verifier's full client id, Nonce its session's.
	Audience, Nonce string
	Now             func() time.Time
	ClockSkew       time.Duration
}

// Verified is a verified jpt presentation: what was disclosed, nothing of
// the proof.
type Verified struct {
	Issuer    string
	Key       *jwp.PublicKey
	Type      *schemas.Type
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Claims are the disclosed non-null claims, registered ones included.
	Claims   map[string]any
	Decision *trust.Decision
}

// Verify verifies a presented jpt credential: the type from the cid, the
// issuer's registered BBS key from the disclosed iss and the kid, the
// proof with aud and nonce (jwp.VerifyToken), iat and exp disclosed and in
// force, vct (when disclosed) matching, and the issuer's authority for the
// type at iat with that key.
// Schema validation of the disclosed claims is the caller's (a required
// claim left undisclosed is no problem there).
func Verify(p *jwp.Presented, o VerifyOptions) (*Verified, error) {
	t, cs, iss, pub, err := resolve(o.Catalogue, p.IssuerHeader, p.Payloads, o.Key)
	if err != nil {
		return nil, err
	}
	tok, err := jwp.VerifyToken(pub, cs, p, jwp.VerifyOptions{Audience: o.Audience, Nonce: o.Nonce})
	if err != nil {
		return nil, err
	}
	v := &Verified{Issuer: iss, Key: pub, Type: t, Claims: tok.Claims}
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
		d, err := o.Authorized(iss, pub, t.VCT, v.IssuedAt)
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

// KeyOf is a key look-up that answers only with the BBS key of keyDID
// (its did:jwk, did.BBSKey) for issuer iss and the kid naming that key:
// for a holder re-opening a credential it verified against the registry
// when it received it.
func KeyOf(iss, keyDID string) KeyLookup {
	return func(gotIss, kid string) (*jwp.PublicKey, error) {
		k, err := did.BBSKey(keyDID)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnregisteredKey, err)
		}
		if gotIss != iss || kid != k.Kid {
			return nil, fmt.Errorf("%w: the credential names another issuer or key", ErrUnregisteredKey)
		}
		return k, nil
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
