package vccheck

import (
	"context"
	"fmt"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/sdjwt"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
)

// ResolvesLocally reports whether a DID (or DID URL) carries its key in
// itself (did:jwk, did:key), so resolving it never needs the network.
func ResolvesLocally(didURL string) bool {
	d, _, err := did.ParseDIDURL(didURL)
	if err != nil {
		return false
	}
	switch did.Method(d) {
	case "jwk", "key":
		return true
	}
	return false
}

// OfflineResolver wraps next so that it only resolves DIDs that need no
// network (ResolvesLocally); any other DID is refused with ErrNeedsNetwork
// before next is asked. Use it wherever "offline" must mean no network
// contact at all, e.g. for the status list issuers of a bundle.
func OfflineResolver(next sdjwtvc.DIDKeyResolver) sdjwtvc.DIDKeyResolver {
	return offlineResolver{next}
}

type offlineResolver struct{ next sdjwtvc.DIDKeyResolver }

func (r offlineResolver) ResolveKey(ctx context.Context, didURL string) (*jose.JWK, error) {
	if !ResolvesLocally(didURL) {
		return nil, needsNetwork(didURL)
	}
	return r.next.ResolveKey(ctx, didURL)
}

func needsNetwork(didURL string) error {
	d, _, _ := did.ParseDIDURL(didURL)
	return fmt.Errorf("%w: %s would have to be fetched over the network (did:%s) and verification is offline; the registry carries no issuer keys, so verify online or pin the issuer's key with its DID URL as kid", ErrNeedsNetwork, d, did.Method(d))
}

// guard is the resolver Verify hands to sdjwtvc: trust is decided before
// any resolution, so a DID that would need the network is resolved only
// when it is trusted (named, or registered in the registry), and never
// when offline. A DID that resolves locally is resolved as before (its key
// may match a pinned key). A pinned key whose kid is exactly the DID URL
// asked for is returned without resolving anything.
type guard struct {
	next    sdjwtvc.DIDKeyResolver
	trusted map[string]bool
	pinned  []*jose.JWK
	offline bool
	// refused is the last refusal, so Verify can report it as what it is
	// (sdjwtvc wraps resolver errors as ErrIssuerKey, losing their type).
	refused    error
	refusedDID string
}

func (g *guard) ResolveKey(ctx context.Context, didURL string) (*jose.JWK, error) {
	if ResolvesLocally(didURL) {
		return g.next.ResolveKey(ctx, didURL)
	}
	for _, p := range g.pinned {
		if p != nil && p.Kid != "" && p.Kid == didURL {
			return p, nil
		}
	}
	d, _, err := did.ParseDIDURL(didURL)
	if err != nil {
		return nil, err
	}
	g.refusedDID = d
	switch {
	case !g.trusted[d]:
		g.refused = fmt.Errorf("%w: %s (not trusted, so not resolved: no network contact was made)", sdjwtvc.ErrUntrustedIssuer, d)
	case g.offline:
		g.refused = fmt.Errorf("%w: %w", sdjwtvc.ErrIssuerKey, needsNetwork(didURL))
	default:
		return g.next.ResolveKey(ctx, didURL)
	}
	return nil, g.refused
}

// checkHolder refuses a credential whose cnf cannot be read as a holder
// key (e.g. a cnf.jwk point off the curve): sdjwt.Verify only needs it for
// key binding, but a verifier that shows "holder: key …" must never show
// a credential as valid with its holder silently dropped.
func checkHolder(r *sdjwtvc.Result) error {
	if _, present := r.Claims["cnf"]; !present {
		return nil
	}
	if _, err := sdjwt.HolderKey(r.Claims); err != nil {
		return fmt.Errorf("vccheck: the credential's cnf names no usable holder key: %w", err)
	}
	return nil
}
