package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/claimpath"
	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/httpx"
	"github.com/cairn-id/cairn/internal/oid4vci"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/schemas"
)

// The receiving (OpenID4VCI 1.0) and presenting (OpenID4VP 1.0) flows of
// the wallet: PreviewOffer, AcceptOffer, RefuseOffer (receive.go);
// PreviewRequest, Respond, RefuseRequest (present.go); Proximity
// (proximity.go). Each is HTTP-agnostic: the caller (wallet/api, a phone
// embedding the core) hands over the scanned text and the holder's
// answers; every outbound request goes through FlowConfig.HTTPClient.

// Errors of the flows, at the package boundary (match with errors.Is;
// the wrapped cause says more and is for logs, not for the holder).
var (
	// ErrOffer: the offer text does not parse, or the offer, the issuer's
	// metadata or the issuer could not be reached or read.
	ErrOffer = errors.New("wallet: unusable credential offer")
	// ErrTxCode: a transaction code is required and missing, or does not
	// fit the offer's description, or the issuer refused it.
	ErrTxCode = errors.New("wallet: transaction code missing or wrong")
	// ErrUntrustedIssuer: the registry does not know the issuer (or not
	// for this type), and the holder has not confirmed the warning.
	ErrUntrustedIssuer = errors.New("wallet: the issuer is not trusted for this credential; confirmation needed")
	// ErrIssuance: the issuer refused or failed the issuance.
	ErrIssuance = errors.New("wallet: the issuer did not issue the credential")
	// ErrCredentialInvalid: an issued credential failed verification
	// (signature, registry authority at iat, status, schema or binding to
	// the holder key); nothing was stored.
	ErrCredentialInvalid = errors.New("wallet: the issued credential does not verify")
	// ErrRequest: the presentation request does not parse, its request
	// object cannot be fetched, or it does not verify.
	ErrRequest = errors.New("wallet: unusable presentation request")
	// ErrVerifierUnknown: the verifier is not registered, or not active.
	ErrVerifierUnknown = errors.New("wallet: the verifier is not registered and active")
	// ErrCannotAnswer: the stored credentials do not satisfy the request.
	ErrCannotAnswer = errors.New("wallet: no stored credential answers the request")
	// ErrConsent: the consent names claims the request does not ask for.
	ErrConsent = errors.New("wallet: consent names claims outside the request")
	// ErrDelivery: the verifier's response endpoint refused or failed.
	ErrDelivery = errors.New("wallet: the response could not be delivered to the verifier")
	// ErrNoPreview: no such preview (unknown, expired, already answered).
	ErrNoPreview = errors.New("wallet: no such preview (expired or already answered)")
)

// Defaults of FlowConfig.
const (
	DefaultPreviewTTL     = 10 * time.Minute
	DefaultOutboundTimout = 15 * time.Second
	// MaxRequestObjectLen bounds a fetched request object.
	MaxRequestObjectLen = 256 << 10
	// MaxStatusListLen bounds a fetched status list token.
	MaxStatusListLen = 2 << 20
	maxScanText      = 64 << 10
)

// FlowConfig is what the receiving and presenting flows need.
type FlowConfig struct {
	// HTTPClient makes every outbound request (offers, metadata, request
	// objects, status lists, did:web, response posts). nil:
	// httpx.NewClient with Dev as AllowPrivate (private, loopback and
	// plain-http targets refused unless Dev).
	HTTPClient *http.Client
	// Dev accepts http:// and private targets and, for presentation
	// requests, the redirect_uri client id prefix (unsigned requests).
	// Never in production: nothing then authenticates the verifier.
	Dev bool
	// Registry returns the trust registry in force (nil or returning nil:
	// every issuer is unknown, every verifier refused).
	Registry func() *trust.Registry
	// Catalogue gives type and claim labels (nil: only the issuer's
	// metadata labels).
	Catalogue *schemas.Catalogue
	// Resolver resolves issuer and verifier DIDs. nil: a did.Resolver over
	// HTTPClient.
	Resolver sdjwtvc.DIDKeyResolver
	// PreviewTTL bounds how long a preview can be answered
	// (DefaultPreviewTTL).
	PreviewTTL time.Duration
	// StatusMaxAge caps how long a fetched status list is reused, below
	// its token's ttl and exp (statuslist.DefaultCacheMaxTTL when zero).
	StatusMaxAge time.Duration
}

func (f FlowConfig) withDefaults() FlowConfig {
	if f.HTTPClient == nil {
		f.HTTPClient = httpx.NewClient(httpx.Options{AllowPrivate: f.Dev, Timeout: DefaultOutboundTimout})
	}
	if f.Resolver == nil {
		f.Resolver = &did.Resolver{HTTPClient: f.HTTPClient, AllowPrivate: f.Dev}
	}
	if f.PreviewTTL <= 0 {
		f.PreviewTTL = DefaultPreviewTTL
	}
	return f
}

func (s *Service) registry() *trust.Registry {
	if s.cfg.Flows.Registry == nil {
		return nil
	}
	return s.cfg.Flows.Registry()
}

func (s *Service) vciClient() *oid4vci.Client {
	return oid4vci.NewClient(oid4vci.ClientOptions{HTTPClient: s.cfg.Flows.HTTPClient, Now: s.cfg.Now, AllowHTTP: s.cfg.Flows.Dev})
}

// ClaimLabel is a claim as the holder sees it: its JSON Pointer and its
// label in the holder's language.
type ClaimLabel struct {
	Path  string `json:"path"`
	Label string `json:"label"`
}

// pending is what a preview keeps, sealed, to resume on the answer.
type pending struct {
	Kind    string        `json:"kind"` // "offer" or "request"
	Offer   *pendingOffer `json:"offer,omitempty"`
	Request *pendingReq   `json:"request,omitempty"`
	// RequestRevoked is Request's answer with revoked credentials
	// offered (RequestPreview.WithRevoked), when one was left out.
	RequestRevoked *pendingReq `json:"request_revoked,omitempty"`
}

const (
	pendingKindOffer   = "offer"
	pendingKindRequest = "request"
)

func (s *Service) putPending(ctx context.Context, sess *Session, p *pending) (string, time.Time, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("wallet: encode preview: %w", err)
	}
	exp := s.cfg.Now().Add(s.cfg.Flows.PreviewTTL)
	id, err := s.PutPendingOffer(ctx, sess, PendingOffer{Data: b, ExpiresAt: exp})
	return id, exp, err
}

// takePending takes the preview id of kind (single use). Another kind's
// preview is put back and reported as absent.
func (s *Service) takePending(ctx context.Context, sess *Session, id, kind string) (*pending, *PendingOffer, error) {
	po, err := s.TakePendingOffer(ctx, sess, id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, ErrNoPreview
	}
	if err != nil {
		return nil, nil, err
	}
	var p pending
	if err := json.Unmarshal(po.Data, &p); err != nil {
		return nil, nil, fmt.Errorf("%w: preview %s: %v", ErrCorrupt, id, err)
	}
	if p.Kind != kind {
		_, _ = s.PutPendingOffer(ctx, sess, *po)
		return nil, nil, ErrNoPreview
	}
	return &p, po, nil
}

// putBack restores a taken preview (the holder may answer again, e.g.
// with the missing transaction code).
func (s *Service) putBack(ctx context.Context, sess *Session, po *PendingOffer) {
	if _, err := s.PutPendingOffer(ctx, sess, *po); err != nil {
		s.log.Warn("wallet: could not restore a preview", "err", err)
	}
}

// typeLabels returns a type's label and claim labels in lang from the
// catalogue, or ok=false when the catalogue does not know vct.
func (s *Service) typeLabels(vct, lang string) (*schemas.Type, bool) {
	if s.cfg.Flows.Catalogue == nil {
		return nil, false
	}
	t, err := s.cfg.Flows.Catalogue.Lookup(vct)
	if err != nil {
		return nil, false
	}
	return t, true
}

// claimLabel labels the claim at JSON Pointer ptr of a credential of vct.
func (s *Service) claimLabel(vct, ptr, lang string) string {
	if t, ok := s.typeLabels(vct, lang); ok {
		var path []any
		for _, seg := range claimpath.Tokens(ptr) {
			if seg == claimpath.Wildcard || isDigits(seg) {
				path = append(path, nil)
			} else {
				path = append(path, seg)
			}
		}
		if l := t.Label(path, lang); l != "" {
			return l
		}
	}
	return ptr
}

// typeName is the label of credential type vct in lang.
func (s *Service) typeName(vct, lang string) string {
	if t, ok := s.typeLabels(vct, lang); ok {
		if n := t.DisplayName(lang); n != "" {
			return n
		}
	}
	return vct
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// pickLocale returns the entry of names (locale -> text) for lang: exact,
// then base language, then English, then any; "" when empty.
func pickLocale(names map[string]string, lang string) string {
	if v := names[lang]; v != "" {
		return v
	}
	if i := strings.IndexByte(lang, '-'); i > 0 {
		if v := names[lang[:i]]; v != "" {
			return v
		}
	}
	if v := names["en"]; v != "" {
		return v
	}
	best := ""
	for l, v := range names {
		if v != "" && (best == "" || l < best) {
			best = l
		}
	}
	return names[best]
}
