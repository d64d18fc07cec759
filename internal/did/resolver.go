package did

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/httpx"
	"github.com/cairn-id/cairn/internal/jose"
)

// Resolver defaults.
const (
	DefaultTimeout     = 5 * time.Second
	DefaultMaxDocBytes = 64 << 10
)

// Resolver resolves did:jwk and did:key offline and did:web over HTTPS.
// The zero value is ready to use.
type Resolver struct {
	// HTTPClient fetches did:web documents. nil means
	// httpx.NewClient(httpx.Options{AllowPrivate: r.AllowPrivate, Timeout: r.Timeout}).
	// A client injected here must do its own SSRF guarding; the resolver
	// still refuses internal IP literals itself.
	HTTPClient *http.Client
	// AllowPrivate is for development only: it lets did:web reach loopback
	// and private hosts (and lets the default client follow http:// redirects).
	AllowPrivate bool
	// Timeout bounds one did:web resolution (DefaultTimeout when zero).
	Timeout time.Duration
	// MaxDocBytes bounds a did:web document (DefaultMaxDocBytes when zero).
	MaxDocBytes int64
}

// Resolve returns the DID document of did (a DID without fragment).
func (r *Resolver) Resolve(ctx context.Context, did string) (*Document, error) {
	d, frag, err := ParseDIDURL(did)
	if err != nil {
		return nil, err
	}
	if frag != "" {
		return nil, fmt.Errorf("%w: Resolve takes a DID, not a DID URL with a fragment", ErrInvalidDID)
	}
	switch Method(d) {
	case "jwk":
		return resolveJWK(d)
	case "key":
		return resolveKey(d)
	case "web":
		return r.resolveWeb(ctx, d)
	}
	return nil, fmt.Errorf("%w: %q", ErrUnsupportedMethod, Method(d))
}

// ResolveKey returns the public key a DID URL names, for verifying a
// signature. With a fragment it is that verification method; without one,
// the DID must have exactly one assertionMethod (or, failing that, exactly
// one authentication method). Only methods listed under assertionMethod
// or authentication are returned: a keyAgreement-only key never verifies
// signatures. did:jwk and did:key need no network.
func (r *Resolver) ResolveKey(ctx context.Context, didURL string) (*jose.JWK, error) {
	d, frag, err := ParseDIDURL(didURL)
	if err != nil {
		return nil, err
	}
	doc, err := r.Resolve(ctx, d)
	if err != nil {
		return nil, err
	}
	return doc.SigningKey(frag)
}

// SigningKey selects a signature-verification key of the document, by
// fragment or, when fragment is "", the single assertion (else
// authentication) method. See ResolveKey.
func (doc *Document) SigningKey(fragment string) (*jose.JWK, error) {
	var id string
	if fragment != "" {
		id = doc.ID + "#" + fragment
		if !slices.Contains(doc.AssertionMethod, id) && !slices.Contains(doc.Authentication, id) {
			if doc.method(id) != nil {
				return nil, fmt.Errorf("%w: %s is not authorized for signing (not an assertion or authentication method)", ErrNotFound, id)
			}
			return nil, fmt.Errorf("%w: no verification method %s", ErrNotFound, id)
		}
	} else {
		set := uniq(doc.AssertionMethod)
		if len(set) == 0 {
			set = uniq(doc.Authentication)
		}
		switch len(set) {
		case 0:
			return nil, fmt.Errorf("%w: %s has no signing key", ErrNotFound, doc.ID)
		case 1:
			id = set[0]
		default:
			return nil, fmt.Errorf("%w (%s has %d)", ErrAmbiguousKey, doc.ID, len(set))
		}
	}
	vm := doc.method(id)
	if vm == nil {
		return nil, fmt.Errorf("%w: no verification method %s", ErrNotFound, id)
	}
	if vm.PublicKeyJWK == nil {
		return nil, fmt.Errorf("%w: %s has no supported public key", ErrNotFound, id)
	}
	return vm.PublicKeyJWK, nil
}

func (doc *Document) method(id string) *VerificationMethod {
	for i := range doc.VerificationMethods {
		if doc.VerificationMethods[i].ID == id {
			return &doc.VerificationMethods[i]
		}
	}
	return nil
}

func uniq(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func (r *Resolver) resolveWeb(ctx context.Context, did string) (*Document, error) {
	u, err := WebURL(did)
	if err != nil {
		return nil, err
	}
	if ip := hostIP(u); ip != nil && !r.AllowPrivate && httpx.IsForbiddenIP(ip) {
		return nil, fmt.Errorf("%w: did:web host %s is an internal address", ErrForbiddenTarget, ip)
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	maxBytes := r.MaxDocBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxDocBytes
	}
	client := r.HTTPClient
	if client == nil {
		client = httpx.NewClient(httpx.Options{AllowPrivate: r.AllowPrivate, Timeout: timeout})
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// */* at the lowest weight: the content type is judged below, more
	// tolerantly than an Accept list can say (any +json, text/plain).
	body, ct, err := httpx.GetBounded(ctx, client, u.String(), "application/did+json, application/did+ld+json;q=0.9, application/json;q=0.8, */*;q=0.1", maxBytes)
	var se *httpx.StatusError
	switch {
	case errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusGone):
		return nil, fmt.Errorf("%w: %s (HTTP %d from %s)", ErrNotFound, did, se.Code, u)
	case errors.As(err, &se):
		return nil, fmt.Errorf("%w: %s: HTTP %d from %s", ErrResolution, did, se.Code, u)
	case errors.Is(err, httpx.ErrForbiddenTarget):
		return nil, fmt.Errorf("resolve %s: %w", did, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %s: %w", ErrResolution, did, err)
	}
	if !acceptableContentType(ct) {
		return nil, fmt.Errorf("%w: %s: content type %q is not JSON", ErrResolution, did, strings.TrimSpace(ct))
	}
	return ParseDocument(did, body)
}

// SupportedMethods are the DID methods a Resolver resolves, as the prefix
// an operator types.
var SupportedMethods = []string{"did:jwk", "did:key", "did:web"}

// CheckSupported reports whether did is a DID (no fragment) that a Resolver
// can resolve: its method is one of SupportedMethods and, for did:jwk and
// did:key, the key it carries decodes; a did:web must name a valid host.
// Nothing is fetched. The error wraps ErrUnsupportedMethod (and lists the
// supported methods) or ErrInvalidDID.
func CheckSupported(did string) error {
	d, frag, err := ParseDIDURL(did)
	if err != nil {
		return err
	}
	if frag != "" {
		return fmt.Errorf("%w: %q is a DID URL; give the DID without #%s", ErrInvalidDID, did, frag)
	}
	switch Method(d) {
	case "jwk":
		_, err = resolveJWK(d)
	case "key":
		_, err = resolveKey(d)
	case "web":
		_, err = WebURL(d)
	default:
		return fmt.Errorf("%w: did:%s cannot be resolved by Cairn; use one of %s", ErrUnsupportedMethod, Method(d), strings.Join(SupportedMethods, ", "))
	}
	return err
}
