package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/cairn-id/cairn/wallet"
	"github.com/cairn-id/cairn/wallet/api"
)

// More sentinels an *APIError matches, for the receiving and presenting
// routes.
var (
	// ErrUntrusted: the issuer is not trusted for the type (confirm the
	// warning to accept anyway), or the verifier is not registered and
	// active.
	ErrUntrusted = errors.New("client: untrusted issuer or verifier")
	// ErrInvalid: the offer, the request or the issued credential does
	// not verify or cannot be read.
	ErrInvalid = errors.New("client: invalid offer, request or credential")
)

func (e *APIError) isFlow(target error) bool {
	switch target {
	case ErrWrongSecret:
		return e.Code == api.CodeTxCode
	case ErrUntrusted:
		return e.Code == api.CodeIssuerUntrusted || e.Code == api.CodeVerifierUnknown
	case ErrInvalid:
		return e.Code == api.CodeOfferInvalid || e.Code == api.CodeRequestInvalid || e.Code == api.CodeCredentialInvalid
	}
	return false
}

// PreviewOffer previews the scanned text of a credential offer.
func (c *Client) PreviewOffer(ctx context.Context, token, offer, lang string) (*wallet.OfferPreview, error) {
	var out wallet.OfferPreview
	err := c.do(ctx, http.MethodPost, "/v1/offers"+langQuery(lang), token, api.OfferRequest{Offer: offer}, &out, nil)
	return &out, err
}

// AcceptOffer accepts a previewed offer.
func (c *Client) AcceptOffer(ctx context.Context, token, previewID, txCode string, confirmUntrusted bool) (*wallet.Accepted, error) {
	var out wallet.Accepted
	err := c.do(ctx, http.MethodPost, "/v1/offers/"+url.PathEscape(previewID)+"/accept", token, api.AcceptRequest{TxCode: txCode, ConfirmUntrusted: confirmUntrusted}, &out, nil)
	return &out, err
}

// RefuseOffer refuses a previewed offer.
func (c *Client) RefuseOffer(ctx context.Context, token, previewID string) error {
	return c.do(ctx, http.MethodPost, "/v1/offers/"+url.PathEscape(previewID)+"/refuse", token, nil, nil, nil)
}

// PreviewRequest returns the consent view of a scanned OpenID4VP request.
func (c *Client) PreviewRequest(ctx context.Context, token, request, lang string) (*wallet.RequestPreview, error) {
	return c.PreviewRequestWith(ctx, token, lang, api.PresentationRequest{Request: request})
}

// PreviewRequestWith is PreviewRequest with the request's options (e.g.
// OfferRevoked).
func (c *Client) PreviewRequestWith(ctx context.Context, token, lang string, req api.PresentationRequest) (*wallet.RequestPreview, error) {
	var out wallet.RequestPreview
	err := c.do(ctx, http.MethodPost, "/v1/requests"+langQuery(lang), token, req, &out, nil)
	return &out, err
}

// Respond consents to a previewed request (only nil: every claim the
// preview lists).
func (c *Client) Respond(ctx context.Context, token, previewID string, only []string) (*wallet.Presented, error) {
	return c.RespondWith(ctx, token, previewID, wallet.Consent{Only: only})
}

// RespondWith consents to a previewed request with a full Consent (e.g.
// OfferRevoked: the preview's WithRevoked answer).
func (c *Client) RespondWith(ctx context.Context, token, previewID string, consent wallet.Consent) (*wallet.Presented, error) {
	var out wallet.Presented
	err := c.do(ctx, http.MethodPost, "/v1/requests/"+url.PathEscape(previewID)+"/respond", token, consent, &out, nil)
	return &out, err
}

// RefuseRequest refuses a previewed request (the verifier gets
// access_denied).
func (c *Client) RefuseRequest(ctx context.Context, token, previewID string) error {
	return c.do(ctx, http.MethodPost, "/v1/requests/"+url.PathEscape(previewID)+"/refuse", token, nil, nil, nil)
}

// Proximity makes an offline presentation for a verifier's challenge.
func (c *Client) Proximity(ctx context.Context, token, challenge string, r wallet.ProximityRequest) (*wallet.ProximityCode, error) {
	var out wallet.ProximityCode
	err := c.do(ctx, http.MethodPost, "/v1/proximity", token, api.ProximityRequest{Challenge: challenge, ProximityRequest: r}, &out, nil)
	return &out, err
}

// ErrChoose: the wallet holds several credentials (or none): name one.
var ErrChoose = errors.New("client: choose a credential")

// Pointers turns claim names or JSON Pointers into JSON Pointers
// ("given_name" → "/given_name").
func Pointers(claims []string) []string {
	var out []string
	for _, c := range claims {
		if !strings.HasPrefix(c, "/") {
			c = "/" + c
		}
		out = append(out, c)
	}
	return out
}

// ProximityRequest fills what an offline presentation shows: credential
// ("" : the only one the holder has, else ErrChoose) and its claims (none
// given: all of the credential's).
func (c *Client) ProximityRequest(ctx context.Context, token, credential string, claims []string) (*wallet.ProximityRequest, error) {
	if credential == "" {
		list, err := c.Credentials(ctx, token, "")
		if err != nil {
			return nil, err
		}
		if len(list.Credentials) != 1 {
			return nil, fmt.Errorf("%w: the wallet holds %d credentials", ErrChoose, len(list.Credentials))
		}
		credential = list.Credentials[0].ID
	}
	if len(claims) == 0 {
		d, err := c.Credential(ctx, token, credential, "")
		if err != nil {
			return nil, err
		}
		for _, cl := range d.Claims {
			claims = append(claims, cl.Path)
		}
	}
	return &wallet.ProximityRequest{CredentialID: credential, Paths: Pointers(claims)}, nil
}
