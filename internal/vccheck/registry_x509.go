package vccheck

import (
	"strings"

	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/internal/x509trust"
)

// registrySourcePrefix marks anchors taken from the registry: their
// Source is this prefix and the DID of the entity holding them.
const registrySourcePrefix = "registry:"

// withRegistryAnchors returns pinned plus every X.509 anchor the
// registry's entities hold for pid and pid-status, whatever their status
// now: a chain may close on an anchor that has since left its list, and
// AnchorTrustedAt then says whether it was trusted at the credential's
// iat. nil when the registry holds none.
func withRegistryAnchors(pinned *x509trust.AnchorSet, reg *trust.Registry) *x509trust.AnchorSet {
	var found []*x509trust.Anchor
	for i := range reg.Entities {
		e := &reg.Entities[i]
		if e.Role != trust.RoleIssuer {
			continue
		}
		for _, a := range e.X509Anchors {
			ctx := x509trust.Context(a.Context)
			if ctx != x509trust.ContextPID && ctx != x509trust.ContextPIDStatus {
				continue
			}
			xa, err := x509trust.NewAnchor(a.DER, ctx)
			if err != nil {
				continue // validated on import; a bad one simply anchors nothing
			}
			xa.Name, xa.Source = e.Name("en"), registrySourcePrefix+e.DID
			found = append(found, xa)
		}
	}
	if len(found) == 0 {
		return nil
	}
	out := x509trust.NewAnchorSet(pinned.All()...)
	out.Add(found...)
	return out
}

// registryAnchorEntity is the DID of the registry entity holding the
// anchor a chain closed on, or "" for a pinned anchor.
func registryAnchorEntity(p *x509trust.Path) string {
	if p == nil {
		return ""
	}
	did, ok := strings.CutPrefix(p.Anchor.Source, registrySourcePrefix)
	if !ok {
		return ""
	}
	return did
}
