package sdjwtvc

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/sdjwt"
	"github.com/cairn-id/cairn/internal/x509trust"
)

// Errors of X.509 issuer key resolution.
var (
	// ErrNoX5C: the issuer's key may only come from an x5c header (an
	// X.509-anchored issuer, or the x5c-only policy HAIP 1.0 §6.1.1 sets
	// for PIDs) and the JWS carries none. It comes wrapped in ErrIssuerKey.
	ErrNoX5C = errors.New("sdjwtvc: no x5c header, and this issuer's key can only come from one")
	// ErrUntrustedChain: the x5c chain verified the signature but does not
	// end at a trusted anchor (or breaks the path policy). It comes
	// wrapped in ErrUntrustedIssuer, with the x509trust error.
	ErrUntrustedChain = errors.New("sdjwtvc: the x5c certificate chain does not end at a trusted anchor")
)

// X509Trust trusts issuers by certificate: the key comes from x5c[0] of
// the JWS header once the chain validates (internal/x509trust) at the
// verification time, HAIP 1.0 §6.1.1 and SD-JWT VC §3.5.
type X509Trust struct {
	// Anchors are pinned anchors (cairn credential verify --x509-anchor):
	// a chain that closes on one of them (context pid for credentials,
	// pid-status for status list tokens) is trusted whatever iss says, as
	// a pinned key is. A credential of a non-DID issuer that carries x5c
	// is checked against them, even when there are none.
	Anchors *x509trust.AnchorSet
	// Issuers are X.509-anchored issuer entities by iss (e.g. from the
	// registry): for these the key comes only from x5c validated to that
	// entity's own anchors; no DID, pinned key or metadata is tried.
	Issuers map[string]*x509trust.AnchorSet
	// Only is the x5c-only policy: every issuer key must come from x5c; a
	// credential without one fails with ErrNoX5C.
	Only bool
}

// KeySource says how an issuer key was found, for a verifier to show.
type KeySource struct {
	// Chain is the validated x5c path (leaf … anchor) when the key came
	// from x5c and the chain validated; nil otherwise.
	Chain *x509trust.Path
	// X5C is true when the key came from x5c, validated or not.
	X5C bool
}

// x5cRoute decides whether the key of iss must come from x5c, and
// against which anchors.
func (tr Trust) x5cRoute(iss string, h jose.Header) (anchors *x509trust.AnchorSet, use bool) {
	if a, ok := tr.X509.Issuers[iss]; ok {
		return a, true
	}
	if tr.X509.Only {
		return tr.X509.Anchors, true
	}
	_, hasX5C := h.Params["x5c"]
	if hasX5C && !strings.HasPrefix(iss, "did:") && (tr.X509.Anchors.Len() > 0 || len(tr.PinnedKeys) == 0) {
		return tr.X509.Anchors, true
	}
	return nil, false
}

// x5cKey returns the key of x5c[0] and, separately, the chain's verdict:
// chainErr is non-nil when the chain does not validate to anchors of ctx
// at at, so that a caller can still check the signature first and report
// a bad signature as such.
func x5cKey(h jose.Header, anchors *x509trust.AnchorSet, at time.Time, ctx x509trust.Context) (jwk *jose.JWK, path *x509trust.Path, chainErr, err error) {
	raw, ok := h.Params["x5c"]
	if !ok {
		return nil, nil, nil, fmt.Errorf("%w: %w", ErrIssuerKey, ErrNoX5C)
	}
	chain, err := x509trust.DecodeX5C(raw)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %w", ErrIssuerKey, err)
	}
	leaf, err := x509trust.ParseLeaf(chain)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %w", ErrIssuerKey, err)
	}
	jwk, err = jose.NewJWK(leaf.PublicKey)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: x5c[0]: %v", ErrIssuerKey, err)
	}
	path, verr := x509trust.Validate(chain, anchors, at, ctx)
	if verr != nil {
		return jwk, nil, chainError(verr), nil
	}
	return jwk, path, nil, nil
}

// chainError keeps the x509trust cause and adds the outcome it means
// here: a certificate out of its validity makes the credential expired
// (or not yet valid), anything else leaves the issuer untrusted.
func chainError(err error) error {
	switch {
	case errors.Is(err, x509trust.ErrExpired):
		return fmt.Errorf("%w: %w", sdjwt.ErrExpired, err)
	case errors.Is(err, x509trust.ErrNotYetValid):
		return fmt.Errorf("%w: %w", sdjwt.ErrNotYetValid, err)
	}
	return fmt.Errorf("%w: %w: %w", ErrUntrustedIssuer, ErrUntrustedChain, err)
}
