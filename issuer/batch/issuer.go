package batch

import (
	"context"

	"github.com/cairn-id/cairn/issuer"
)

// IssuerOffers is what a batch needs of the issuer: an *issuer.Service, or
// an issuer.Admin from issuerdir.OpenAdmin (which also works while the
// issuer's server runs).
type IssuerOffers interface {
	CreateOffer(ctx context.Context, r issuer.OfferRequest) (*issuer.Offer, error)
}

// issuerCreator adapts the issuer service to OfferCreator.
type issuerCreator struct{ s IssuerOffers }

// FromIssuer returns an OfferCreator that makes offers with s (evidence:
// the row's preset, else the type's defaults). Its errors are the service's: a claims mismatch is
// an *issuer.ValidationError naming claim paths only.
func FromIssuer(s IssuerOffers) OfferCreator { return issuerCreator{s} }

func (c issuerCreator) CreateOffer(ctx context.Context, r Request) (*Result, error) {
	off, err := c.s.CreateOffer(ctx, issuer.OfferRequest{VCT: r.VCT, Claims: r.Claims, TxCode: r.TxCode, Reference: r.Reference, TTL: r.TTL, Batch: r.Batch, Evidence: r.Evidence})
	if err != nil {
		return nil, err
	}
	return &Result{ID: off.ID, Handle: off.Handle, URI: off.URI, OfferURL: off.OfferURL, TxCode: off.TxCode, ExpiresAt: off.ExpiresAt}, nil
}
