package batch

import (
	"context"

	"github.com/cairn-id/cairn/issuer"
)

// issuerCreator adapts the issuer service to OfferCreator.
type issuerCreator struct{ s *issuer.Service }

// FromIssuer returns an OfferCreator that makes offers with s (evidence:
// the type's defaults). Its errors are the service's: a claims mismatch is
// an *issuer.ValidationError naming claim paths only.
func FromIssuer(s *issuer.Service) OfferCreator { return issuerCreator{s} }

func (c issuerCreator) CreateOffer(ctx context.Context, r Request) (*Result, error) {
	off, err := c.s.CreateOffer(ctx, issuer.OfferRequest{VCT: r.VCT, Claims: r.Claims, TxCode: r.TxCode, Reference: r.Reference, TTL: r.TTL})
	if err != nil {
		return nil, err
	}
	return &Result{ID: off.ID, URI: off.URI, OfferURL: off.OfferURL, TxCode: off.TxCode, ExpiresAt: off.ExpiresAt}, nil
}
