// Package sdjwtvc is the SD-JWT VC layer (draft-ietf-oauth-sd-jwt-vc-25)
// over internal/sdjwt: the dc+sd-jwt header type (§3.2.1), the registered
// claims vct, iss, iat, nbf, exp, cnf and status (§3.2.2), the rule that
// some of them are never selectively disclosable (§3.2.2.2), and issuer key
// resolution (§3.5) from a DID in iss, from pinned keys, or from the x5c
// header validated to X.509 trust anchors (OpenID4VC HAIP 1.0 §6.1.1,
// through internal/x509trust). JWT VC issuer metadata discovery is not
// used: an X.509-anchored issuer gets its key from x5c only, never by
// switching to another mechanism for the same iss.
//
// Trust is explicit: a credential whose issuer key is neither pinned nor
// named by a trusted DID verifies cryptographically but is reported as
// ErrUntrustedIssuer, never as valid.
package sdjwtvc

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/sdjwt"
	"github.com/cairn-id/cairn/internal/x509trust"
)

// Header types (§3.2.1). vc+sd-jwt is the pre-draft-06 name, accepted only
// when a verifier explicitly opts in.
const (
	Typ       = "dc+sd-jwt"
	LegacyTyp = "vc+sd-jwt"
)

// NeverDisclosable are the claims that must stay in the clear (§3.2.2.2 and
// DESIGN.md §2): a verifier needs them before it can trust anything else.
var neverDisclosable = []string{"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status"}

// NeverDisclosable returns the claim names that must not be selectively
// disclosable.
func NeverDisclosable() []string { return append([]string(nil), neverDisclosable...) }

// Errors of this layer. sdjwt errors pass through unchanged (errors.Is
// against the sdjwt sentinels keeps working).
var (
	ErrUntrustedIssuer = errors.New("sdjwtvc: issuer is neither pinned nor trusted")
	ErrIssuerKey       = errors.New("sdjwtvc: issuer key could not be resolved")
	ErrMissingClaim    = errors.New("sdjwtvc: required claim missing or malformed")
	ErrInvalidInput    = errors.New("sdjwtvc: invalid credential input")
)

// Credential is what an issuer puts in an SD-JWT VC.
type Credential struct {
	VCT       string
	Issuer    string // iss: a DID or an https URL
	IssuedAt  time.Time
	NotBefore time.Time      // optional
	ExpiresAt time.Time      // optional but recommended
	HolderJWK *jose.JWK      // cnf.jwk; required for key binding
	Status    map[string]any // optional status claim, e.g. {"status_list":{"idx":…,"uri":…}}
	// Claims are the user claims. Registered claims (iss, vct, …) must not
	// appear here: they come from the fields above.
	Claims map[string]any
	// Disclosable lists JSON Pointers of claims to make selectively
	// disclosable ("*" = every array element).
	Disclosable []string
	Decoys      int
}

// IssueOptions carry the issuer's signer and the injected randomness.
type IssueOptions struct {
	Signer *jose.Signer // its KeyID, when set, becomes the header kid
	Rand   io.Reader
	// LegacyTyp writes typ vc+sd-jwt for verifiers that predate dc+sd-jwt.
	LegacyTyp bool
	// X5C, when set, is the signer's certificate chain (DER, leaf first,
	// without the trust anchor: HAIP 1.0 §6.1.1) for the x5c header.
	X5C [][]byte
}

var registered = []string{"iss", "iat", "nbf", "exp", "cnf", "vct", "status", "_sd", "_sd_alg"}

// Issue signs c as an SD-JWT VC and returns its compact serialization
// (ending in "~").
func Issue(c Credential, o IssueOptions) (string, error) {
	if o.Signer == nil {
		return "", fmt.Errorf("%w: no signer", ErrInvalidInput)
	}
	if c.VCT == "" || c.Issuer == "" || c.IssuedAt.IsZero() {
		return "", fmt.Errorf("%w: vct, iss and iat are required", ErrInvalidInput)
	}
	if !c.ExpiresAt.IsZero() && !c.ExpiresAt.After(c.IssuedAt) {
		return "", fmt.Errorf("%w: exp must be after iat", ErrInvalidInput)
	}
	claims := make(map[string]any, len(c.Claims)+7)
	for k, v := range c.Claims {
		for _, r := range registered {
			if k == r {
				return "", fmt.Errorf("%w: claim %q is set by the credential layer, not the claims", ErrInvalidInput, k)
			}
		}
		claims[k] = v
	}
	claims["vct"] = c.VCT
	claims["iss"] = c.Issuer
	claims["iat"] = c.IssuedAt.Unix()
	if !c.NotBefore.IsZero() {
		claims["nbf"] = c.NotBefore.Unix()
	}
	if !c.ExpiresAt.IsZero() {
		claims["exp"] = c.ExpiresAt.Unix()
	}
	if c.HolderJWK != nil {
		claims["cnf"] = map[string]any{"jwk": c.HolderJWK.Map()}
	}
	if c.Status != nil {
		claims["status"] = c.Status
	}
	typ := Typ
	if o.LegacyTyp {
		typ = LegacyTyp
	}
	header := map[string]any{"typ": typ}
	if len(o.X5C) > 0 {
		header["x5c"] = jose.X5C(o.X5C)
	}
	t, err := sdjwt.Issue(claims, sdjwt.IssueOptions{
		Signer:           o.Signer,
		Header:           header,
		Disclosable:      c.Disclosable,
		Decoys:           c.Decoys,
		NeverDisclosable: neverDisclosable,
		Rand:             o.Rand,
	})
	if err != nil {
		return "", err
	}
	return t.String(), nil
}

// DIDKeyResolver resolves a DID URL (or a bare DID) to a public key.
// internal/did's Resolver satisfies it.
type DIDKeyResolver interface {
	ResolveKey(ctx context.Context, didURL string) (*jose.JWK, error)
}

// Trust says which issuers a verifier believes.
type Trust struct {
	// PinnedKeys are issuer keys trusted whatever iss says (an https iss
	// needs one). A key matches by kid, by RFC 7638 thumbprint as kid, or,
	// when the header has no kid, by trying each pinned key of the right
	// algorithm.
	PinnedKeys []*jose.JWK
	// TrustedDIDs are issuer DIDs whose keys are trusted once resolved.
	TrustedDIDs []string
	// Resolver resolves DIDs in iss (internal/did resolves did:jwk and
	// did:key offline, did:web over a guarded client). Without one, only
	// pinned keys and non-DID issuers can be checked.
	Resolver DIDKeyResolver
	// X509 trusts issuers by certificate chain (x5c).
	X509 X509Trust
	// Authorize, when set, is asked after all cryptographic checks pass,
	// e.g. to consult a trust registry (was iss authorized for vct at iat?).
	// Its error is returned as-is.
	Authorize func(ctx context.Context, r *Result) error
}

// VerifyOptions control Verify.
type VerifyOptions struct {
	Trust             Trust
	RequireKeyBinding bool
	Nonce             string
	Audience          string
	Now               func() time.Time
	KBMaxAge          time.Duration
	ClockSkew         time.Duration
	Algs              []jose.Alg
	AcceptLegacyTyp   bool
	Limits            sdjwt.Limits
	// HashAlgs narrows the accepted _sd_alg values (sdjwt.VerifyOptions);
	// nil accepts every one sdjwt supports.
	HashAlgs []string
}

// Result is a verified SD-JWT VC.
type Result struct {
	Issuer      string
	VCT         string
	IssuedAt    time.Time
	NotBefore   time.Time
	ExpiresAt   time.Time
	HolderJWK   *jose.JWK
	Status      map[string]any
	Claims      map[string]any // processed claims, registered ones included
	Disclosures []*sdjwt.Disclosure
	KeyBinding  *sdjwt.KeyBinding
	// Trusted is true when the issuer key was pinned, its DID trusted, or
	// its x5c chain validated to a trusted anchor.
	Trusted bool
	// Key says where the issuer key came from (the x5c path, if any).
	Key KeySource
	// Warnings are departures accepted in lenient mode (a legacy typ) or
	// noticed without failing (an anchor copy inside x5c).
	Warnings []string
}

// Verify checks an SD-JWT VC (with or without KB, per options).
// On ErrUntrustedIssuer the returned Result is non-nil and fully checked
// except for trust, so callers can say who the unknown issuer was.
func Verify(ctx context.Context, serialized string, o VerifyOptions) (*Result, error) {
	if o.Now == nil {
		return nil, fmt.Errorf("%w: Now is required", ErrInvalidInput)
	}
	typ := Typ
	if o.AcceptLegacyTyp {
		typ = ""
	}
	k := &issuerKeyCall{ctx: ctx, trust: o.Trust, acceptLegacyTyp: o.AcceptLegacyTyp, now: o.Now}
	v, err := sdjwt.Verify(serialized, sdjwt.VerifyOptions{
		IssuerKey:         k.key,
		Algs:              o.Algs,
		IssuerTyp:         typ,
		RequireKeyBinding: o.RequireKeyBinding,
		Nonce:             o.Nonce,
		Audience:          o.Audience,
		KBMaxAge:          o.KBMaxAge,
		ClockSkew:         o.ClockSkew,
		Now:               o.Now,
		Limits:            o.Limits,
		HashAlgs:          o.HashAlgs,
	})
	if err != nil {
		if k.err != nil {
			return nil, k.err
		}
		return nil, err
	}
	for _, d := range v.Disclosures {
		if strings.Count(d.Path, "/") == 1 && !d.IsArray {
			for _, n := range neverDisclosable {
				if d.Name == n {
					return nil, fmt.Errorf("%w: %q was selectively disclosable", sdjwt.ErrNeverDisclosable, n)
				}
			}
		}
	}
	r, err := resultFrom(v)
	if err != nil {
		return nil, err
	}
	r.Trusted = k.trusted
	r.Key = KeySource{X5C: k.x5c, Chain: k.path}
	if k.legacyTyp {
		r.Warnings = append(r.Warnings, "typ vc+sd-jwt is the pre-draft-06 name, accepted in lenient mode only: dc+sd-jwt is required")
	}
	if k.path != nil && k.path.AnchorInX5C {
		r.Warnings = append(r.Warnings, fmt.Sprintf("x5c carries a copy of the trust anchor %q; it was ignored (HAIP 1.0 §6.1.1: the anchor is not included)", k.path.Anchor.Name))
	}
	if k.chainErr != nil {
		return r, k.chainErr
	}
	if !k.trusted {
		return r, fmt.Errorf("%w: %s", ErrUntrustedIssuer, r.Issuer)
	}
	if o.Trust.Authorize != nil {
		if err := o.Trust.Authorize(ctx, r); err != nil {
			return r, err
		}
	}
	return r, nil
}

// issuerKeyCall is Verify's sdjwt.VerifyOptions.IssuerKey: it resolves
// the issuer key and remembers whether it is trusted and why it failed.
type issuerKeyCall struct {
	ctx             context.Context
	trust           Trust
	acceptLegacyTyp bool
	now             func() time.Time
	trusted         bool
	err             error
	// x5c route: whether taken, the validated path, and the chain's
	// verdict, reported only once the signature is known to be good.
	x5c       bool
	path      *x509trust.Path
	chainErr  error
	legacyTyp bool
}

func (k *issuerKeyCall) key(h jose.Header, payload map[string]any) (crypto.PublicKey, error) {
	if k.acceptLegacyTyp && !strings.EqualFold(h.Typ, Typ) && !strings.EqualFold(h.Typ, LegacyTyp) {
		return nil, fmt.Errorf("%w: typ %q", sdjwt.ErrType, h.Typ)
	}
	k.legacyTyp = strings.EqualFold(h.Typ, LegacyTyp)
	iss, _ := payload["iss"].(string)
	if iss == "" {
		k.err = fmt.Errorf("%w: iss", ErrMissingClaim)
		return nil, k.err
	}
	if anchors, ok := k.trust.x5cRoute(iss, h); ok {
		jwk, path, chainErr, err := x5cKey(h, anchors, k.now(), x509trust.ContextPID)
		if err != nil {
			k.err = err
			return nil, err
		}
		pub, err := jwk.PublicKey()
		if err != nil {
			k.err = fmt.Errorf("%w: %v", ErrIssuerKey, err)
			return nil, k.err
		}
		k.x5c, k.path, k.chainErr, k.trusted = true, path, chainErr, chainErr == nil
		return pub, nil
	}
	pub, trusted, err := issuerKey(k.ctx, k.trust, h, payload)
	k.trusted, k.err = trusted, err
	return pub, err
}

func resultFrom(v *sdjwt.Verified) (*Result, error) {
	r := &Result{Claims: v.Claims, Disclosures: v.Disclosures, HolderJWK: v.HolderKey, KeyBinding: v.KeyBinding}
	var ok bool
	if r.VCT, ok = v.Claims["vct"].(string); !ok || r.VCT == "" {
		return nil, fmt.Errorf("%w: vct", ErrMissingClaim)
	}
	if r.Issuer, ok = v.Claims["iss"].(string); !ok || r.Issuer == "" {
		return nil, fmt.Errorf("%w: iss", ErrMissingClaim)
	}
	var err error
	if r.IssuedAt, err = numericDate(v.Claims, "iat", true); err != nil {
		return nil, err
	}
	if r.NotBefore, err = numericDate(v.Claims, "nbf", false); err != nil {
		return nil, err
	}
	if r.ExpiresAt, err = numericDate(v.Claims, "exp", false); err != nil {
		return nil, err
	}
	if s, present := v.Claims["status"]; present {
		m, ok := s.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: status must be an object", ErrMissingClaim)
		}
		r.Status = m
	}
	return r, nil
}

func numericDate(claims map[string]any, name string, required bool) (time.Time, error) {
	t, present, err := sdjwt.NumericDate(claims, name)
	switch {
	case err != nil:
		return time.Time{}, fmt.Errorf("%w: %s must be a NumericDate", ErrMissingClaim, name)
	case !present && required:
		return time.Time{}, fmt.Errorf("%w: %s", ErrMissingClaim, name)
	case !present:
		return time.Time{}, nil
	}
	// Whole seconds, as issued: registry questions compare iat with
	// second-precision authorization times.
	return t.Truncate(time.Second).UTC(), nil
}

// issuerKey finds the key that must have signed the credential and whether
// it is trusted (see Trust.IssuerKey).
func issuerKey(ctx context.Context, tr Trust, h jose.Header, payload map[string]any) (crypto.PublicKey, bool, error) {
	iss, _ := payload["iss"].(string)
	if iss == "" {
		return nil, false, fmt.Errorf("%w: iss", ErrMissingClaim)
	}
	jwk, trusted, err := tr.IssuerKey(ctx, iss, h)
	if err != nil {
		return nil, false, err
	}
	pub, err := jwk.PublicKey()
	if err != nil {
		return nil, false, fmt.Errorf("%w: %v", ErrIssuerKey, err)
	}
	return pub, trusted, nil
}

// StatusListKey finds the key that must have signed a Status List Token
// of issuer iss with header h, validated at at. For an issuer whose keys
// come from x5c (see X509Trust), the token's own x5c must validate to the
// anchors of context pid-status (HAIP 1.0 §6.1): a chain that does not is
// an error here, not a key. Other issuers go through IssuerKey, whose
// trusted flag it returns.
func (tr Trust) StatusListKey(ctx context.Context, iss string, h jose.Header, at time.Time) (*jose.JWK, *x509trust.Path, bool, error) {
	if anchors, ok := tr.x5cRoute(iss, h); ok {
		jwk, path, chainErr, err := x5cKey(h, anchors, at, x509trust.ContextPIDStatus)
		if err != nil {
			return nil, nil, false, err
		}
		if chainErr != nil {
			return nil, nil, false, chainErr
		}
		return jwk, path, true, nil
	}
	jwk, trusted, err := tr.IssuerKey(ctx, iss, h)
	return jwk, nil, trusted, err
}

// IssuerKey finds the key of issuer iss that must have signed a JWS with
// header h (a credential, or a status list token of that issuer), and
// whether that key is trusted. A DID in iss is resolved (a header kid must
// be a DID URL of that same DID); an https iss needs a pinned key.
func (tr Trust) IssuerKey(ctx context.Context, iss string, h jose.Header) (*jose.JWK, bool, error) {
	if strings.HasPrefix(iss, "did:") {
		ref := iss
		if h.Kid != "" {
			if h.Kid != iss && !strings.HasPrefix(h.Kid, iss+"#") {
				return nil, false, fmt.Errorf("%w: kid %q is not a key of %s", ErrIssuerKey, h.Kid, iss)
			}
			ref = h.Kid
		}
		if tr.Resolver == nil {
			return nil, false, fmt.Errorf("%w: no DID resolver configured", ErrIssuerKey)
		}
		jwk, err := tr.Resolver.ResolveKey(ctx, ref)
		if err != nil {
			return nil, false, fmt.Errorf("%w: %v", ErrIssuerKey, err)
		}
		trusted := false
		for _, d := range tr.TrustedDIDs {
			if d == iss {
				trusted = true
			}
		}
		for _, p := range tr.PinnedKeys {
			if p.Equal(jwk) {
				trusted = true
			}
		}
		return jwk, trusted, nil
	}
	// Not a DID: only pinned keys can vouch for it.
	var candidates []*jose.JWK
	for _, p := range tr.PinnedKeys {
		if h.Kid != "" && (p.Kid == h.Kid || p.Thumbprint() == h.Kid) {
			candidates = []*jose.JWK{p}
			break
		}
		if pub, err := p.PublicKey(); err == nil {
			if alg, err := jose.AlgForPublicKey(pub); err == nil && alg == h.Alg {
				candidates = append(candidates, p)
			}
		}
	}
	if len(candidates) == 0 {
		return nil, false, fmt.Errorf("%w: %s (no pinned key fits)", ErrUntrustedIssuer, iss)
	}
	if len(candidates) > 1 {
		return nil, false, fmt.Errorf("%w: several pinned keys fit and the credential names no kid", ErrIssuerKey)
	}
	return candidates[0], true, nil
}
