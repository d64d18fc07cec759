package x509trust

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cairn-id/cairn/internal/httpx"
)

// Revocation is the revocation status of a certificate or a path.
type Revocation string

// Revocation statuses. Unknown is neither valid nor revoked: the CRL could
// not be had or checked, and a caller decides what that means to it.
const (
	RevocationGood    Revocation = "good"
	RevocationRevoked Revocation = "revoked"
	RevocationUnknown Revocation = "unknown"
)

// Bounds of CRL fetching.
const (
	// MaxCRLSize is the largest CRL read, in bytes.
	MaxCRLSize = 1 << 20
	// DefaultCRLTimeout bounds one fetch when the client has no timeout of
	// its own.
	DefaultCRLTimeout = 10 * time.Second
	// maxCRLCache bounds the cache; beyond it the oldest entries go.
	maxCRLCache = 256
)

// CertRevocation is the revocation status of one certificate of a path.
type CertRevocation struct {
	Subject   string     `json:"subject"`
	Status    Revocation `json:"status"`
	URL       string     `json:"crl,omitempty"`
	RevokedAt time.Time  `json:"revoked_at,omitzero"`
	Reason    string     `json:"reason,omitempty"` // why unknown, or the CRL reason code
}

// RevocationReport is the status of a path: revoked when any certificate
// is, unknown when any is unknown, else good.
type RevocationReport struct {
	Status Revocation       `json:"status"`
	Certs  []CertRevocation `json:"certs"`
}

// CRLChecker checks the certificates of a Path (the leaf and any
// intermediates; the anchor is trusted as configured) against the CRLs
// named in their cRLDistributionPoints. Safe for concurrent use.
type CRLChecker struct {
	client *http.Client
	now    func() time.Time
	mu     sync.Mutex
	cache  map[string]*cachedCRL
}

type cachedCRL struct {
	rl      *x509.RevocationList
	fetched time.Time
}

// CRLClient is the guarded client for CRL fetches: plain http allowed as
// well as https, since a CRL is signed by its CA and distribution points
// are commonly http (RFC 5280 §4.2.1.13, §5), with the address guard
// unchanged (no loopback or private target unless dev), DefaultCRLTimeout
// and no more than two redirects. Bodies are bounded by MaxCRLSize when
// read.
func CRLClient(dev bool) *http.Client {
	return httpx.NewClient(httpx.Options{AllowPlainHTTP: true, AllowPrivate: dev, Timeout: DefaultCRLTimeout, MaxRedirects: 2})
}

// NewCRLChecker returns a checker fetching through client, which must be
// a guarded client (CRLClient, or httpx.NewClient), and reading the clock from now (for
// the cache's nextUpdate). A nil client means offline: every status is
// unknown unless cached.
func NewCRLChecker(client *http.Client, now func() time.Time) *CRLChecker {
	if now == nil {
		now = time.Now
	}
	return &CRLChecker{client: client, now: now, cache: map[string]*cachedCRL{}}
}

// Check returns the revocation status of p's certificates at p.At: a
// certificate is revoked when its issuer's CRL lists its serial with a
// revocation date not after p.At.
func (c *CRLChecker) Check(ctx context.Context, p *Path) RevocationReport {
	rep := RevocationReport{Status: RevocationGood}
	for i, cert := range p.Certs {
		issuer := p.Anchor.Cert
		if i+1 < len(p.Certs) {
			issuer = p.Certs[i+1]
		}
		cr := c.checkOne(ctx, cert, issuer, p.At)
		rep.Certs = append(rep.Certs, cr)
		switch {
		case cr.Status == RevocationRevoked:
			rep.Status = RevocationRevoked
		case cr.Status == RevocationUnknown && rep.Status == RevocationGood:
			rep.Status = RevocationUnknown
		}
	}
	return rep
}

func (c *CRLChecker) checkOne(ctx context.Context, cert, issuer *x509.Certificate, at time.Time) CertRevocation {
	out := CertRevocation{Subject: cert.Subject.String(), Status: RevocationUnknown}
	if len(cert.CRLDistributionPoints) == 0 {
		out.Reason = "the certificate names no CRL distribution point"
		return out
	}
	var reasons []string
	for _, u := range cert.CRLDistributionPoints {
		out.URL = u
		rl, err := c.crl(ctx, u, issuer)
		if err != nil {
			reasons = append(reasons, err.Error())
			continue
		}
		for _, e := range rl.RevokedCertificateEntries {
			if e.SerialNumber != nil && e.SerialNumber.Cmp(cert.SerialNumber) == 0 && !e.RevocationTime.After(at) {
				out.Status, out.RevokedAt = RevocationRevoked, e.RevocationTime.UTC()
				out.Reason = fmt.Sprintf("CRL reason code %d", e.ReasonCode)
				return out
			}
		}
		out.Status, out.Reason = RevocationGood, ""
		return out
	}
	out.Reason = strings.Join(reasons, "; ")
	return out
}

// errCRL reports a CRL that could not be used.
var errCRL = errors.New("CRL unusable")

// crl returns the CRL at u signed by issuer, from the cache while its
// nextUpdate has not passed (a CRL without one is not cached), else
// fetched. A fetch failure with a stale
// cached copy still fails: a CRL past nextUpdate is not evidence.
func (c *CRLChecker) crl(ctx context.Context, u string, issuer *x509.Certificate) (*x509.RevocationList, error) {
	now := c.now()
	c.mu.Lock()
	e := c.cache[u]
	c.mu.Unlock()
	if e != nil && now.Before(e.rl.NextUpdate) {
		if err := e.rl.CheckSignatureFrom(issuer); err == nil {
			return e.rl, nil
		}
	}
	if c.client == nil {
		return nil, fmt.Errorf("%w: %s: offline", errCRL, u)
	}
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return nil, fmt.Errorf("%w: %s: not an http(s) URL", errCRL, u)
	}
	if _, ok := ctx.Deadline(); !ok && c.client.Timeout == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultCRLTimeout)
		defer cancel()
	}
	body, _, err := httpx.GetBounded(ctx, c.client, u, "", MaxCRLSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errCRL, u, err)
	}
	rl, err := x509.ParseRevocationList(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errCRL, u, err)
	}
	if err := rl.CheckSignatureFrom(issuer); err != nil {
		return nil, fmt.Errorf("%w: %s is not signed by %q: %v", errCRL, u, issuer.Subject, err)
	}
	if !rl.NextUpdate.IsZero() && !now.Before(rl.NextUpdate) {
		return nil, fmt.Errorf("%w: %s is past its nextUpdate %s", errCRL, u, rl.NextUpdate.UTC().Format(time.RFC3339))
	}
	if rl.NextUpdate.IsZero() {
		return rl, nil // no nextUpdate: nothing says how long it holds, so not cached
	}
	c.mu.Lock()
	if len(c.cache) >= maxCRLCache {
		var oldest string
		for k, v := range c.cache {
			if oldest == "" || v.fetched.Before(c.cache[oldest].fetched) {
				oldest = k
			}
		}
		delete(c.cache, oldest)
	}
	c.cache[u] = &cachedCRL{rl: rl, fetched: now}
	c.mu.Unlock()
	return rl, nil
}
