package x509trust

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// Bounds on what a token may carry.
const (
	// MaxChainLen is the most certificates an x5c may hold.
	MaxChainLen = 5
	// MaxCertSize is the largest certificate accepted, in DER bytes.
	MaxCertSize = 8 << 10
)

// Errors of Validate. Each comes wrapped with detail; test with errors.Is.
var (
	// ErrMalformed: the chain is empty, too long, holds a certificate that
	// is too large or does not parse.
	ErrMalformed = errors.New("x509trust: malformed certificate chain")
	// ErrSelfSigned: the signing certificate is self-signed, or is itself
	// a trust anchor (HAIP 1.0 §6.1.1).
	ErrSelfSigned = errors.New("x509trust: signing certificate is self-signed")
	// ErrUntrusted: no path from the leaf to a configured anchor of the
	// context (a root carried in x5c never counts).
	ErrUntrusted = errors.New("x509trust: certificate chain does not end at a configured trust anchor")
	// ErrExpired: a certificate of the path (or its anchor) is past its
	// notAfter at the validation time.
	ErrExpired = errors.New("x509trust: certificate expired")
	// ErrNotYetValid: a certificate of the path is before its notBefore.
	ErrNotYetValid = errors.New("x509trust: certificate not yet valid")
	// ErrPolicy: the path verifies but breaks this package's policy (a CA
	// without cA or keyCertSign, a leaf that is a CA or may not sign).
	ErrPolicy = errors.New("x509trust: certificate chain breaks the path policy")
)

// Link is one certificate of a validated path, as shown to a person.
type Link struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	Serial    string    `json:"serial"`
}

// Path is a validated chain: the leaf first, then the intermediates that
// were used, then the anchor it closed on.
type Path struct {
	// Certs are leaf and intermediates (not the anchor), in path order.
	Certs  []*x509.Certificate
	Anchor *Anchor
	// AnchorInX5C is true when x5c carried a copy of an anchor, which was
	// ignored (HAIP 1.0 §6.1.1 says the anchor is not included).
	AnchorInX5C bool
	// Ignored counts x5c certificates not used in the path (anchor copies,
	// self-issued certificates, certificates off the path).
	Ignored int
	At      time.Time
}

// Leaf is the signing certificate.
func (p *Path) Leaf() *x509.Certificate { return p.Certs[0] }

// Links describes the path for display: leaf first, the anchor last.
func (p *Path) Links() []Link {
	out := make([]Link, 0, len(p.Certs)+1)
	for _, c := range append(append([]*x509.Certificate(nil), p.Certs...), p.Anchor.Cert) {
		out = append(out, Link{Subject: c.Subject.String(), Issuer: c.Issuer.String(),
			NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(), Serial: c.SerialNumber.Text(16)})
	}
	return out
}

// Validate validates chain (x5c order: leaf first, each DER) at time at
// against the anchors of ctx and returns the path it found. The rules:
// the chain is 1..MaxChainLen certificates of at most MaxCertSize bytes;
// the leaf is neither self-signed nor an anchor; copies of anchors and
// self-issued certificates in the chain are ignored, so only configured
// anchors can close a path; every certificate of the path is within its
// validity at at; crypto/x509 Verify (ExtKeyUsageAny, CurrentTime at)
// finds the path; then every CA on it (the anchor too) has cA and
// keyCertSign, and the leaf is an end entity whose keyUsage, when
// present, allows digitalSignature.
func Validate(chain [][]byte, anchors *AnchorSet, at time.Time, ctx Context) (*Path, error) {
	if at.IsZero() {
		return nil, fmt.Errorf("%w: no validation time", ErrMalformed)
	}
	certs, err := parseChain(chain)
	if err != nil {
		return nil, err
	}
	pool := anchors.For(ctx)
	leaf := certs[0]
	if isAnchor(pool, leaf.Raw) || anchorsAnywhere(anchors, leaf.Raw) {
		return nil, fmt.Errorf("%w: x5c[0] %q is a trust anchor, not a signing certificate", ErrSelfSigned, leaf.Subject)
	}
	if selfIssued(leaf) {
		return nil, fmt.Errorf("%w: %q", ErrSelfSigned, leaf.Subject)
	}
	p := &Path{At: at}
	inter := x509.NewCertPool()
	var kept []*x509.Certificate
	for _, c := range certs[1:] {
		switch {
		case isAnchor(pool, c.Raw):
			p.AnchorInX5C = true
			p.Ignored++
		case selfIssued(c):
			// A root that is not a configured anchor: never a step.
			p.Ignored++
		default:
			inter.AddCert(c)
			kept = append(kept, c)
		}
	}
	if len(pool) == 0 {
		return nil, fmt.Errorf("%w: no anchor is configured for %s (x5c[0] %q, issued by %q)", ErrUntrusted, ctx, leaf.Subject, leaf.Issuer)
	}
	roots := x509.NewCertPool()
	for _, a := range pool {
		roots.AddCert(a.Cert)
	}
	chains, verr := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if verr != nil {
		// Say "expired" only of a certificate that a path could use: the
		// leaf, a kept intermediate, or an anchor of this context.
		if err := validityError(leaf, kept, pool, at); err != nil {
			return nil, err
		}
		// crypto/x509 reports an issuer that may not sign certificates as
		// an unknown authority; name the broken rule instead.
		for _, c := range kept {
			if bytes.Equal(c.RawSubject, leaf.RawIssuer) && c.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature) == nil {
				if err := checkCA(c); err != nil {
					return nil, fmt.Errorf("%w: CA %q: %v", ErrPolicy, c.Subject, err)
				}
			}
		}
		var inv x509.CertificateInvalidError
		if errors.As(verr, &inv) && inv.Reason == x509.NotAuthorizedToSign {
			return nil, fmt.Errorf("%w: %v", ErrPolicy, verr)
		}
		return nil, fmt.Errorf("%w: x5c[0] %q, issued by %q: %v", ErrUntrusted, leaf.Subject, leaf.Issuer, verr)
	}
	var policyErr error
	for _, ch := range chains {
		if len(ch) > MaxChainLen+1 {
			continue
		}
		a := anchorOf(pool, ch[len(ch)-1].Raw)
		if a == nil {
			continue
		}
		if err := pathPolicy(ch); err != nil {
			policyErr = err
			continue
		}
		p.Certs = ch[:len(ch)-1]
		p.Anchor = a
		p.Ignored += len(kept) - (len(ch) - 2)
		return p, nil
	}
	if policyErr != nil {
		return nil, policyErr
	}
	return nil, fmt.Errorf("%w: no acceptable path from %q", ErrUntrusted, leaf.Subject)
}

// DecodeX5C reads a JWS header's x5c value (RFC 7515 §4.1.6: an array of
// standard-base64 DER certificates) within the bounds of Validate. It
// does not parse the certificates.
func DecodeX5C(v any) ([][]byte, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: x5c is not an array", ErrMalformed)
	}
	if len(arr) == 0 || len(arr) > MaxChainLen {
		return nil, fmt.Errorf("%w: x5c holds %d certificates, want 1 to %d", ErrMalformed, len(arr), MaxChainLen)
	}
	out := make([][]byte, 0, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("%w: x5c[%d] is not a string", ErrMalformed, i)
		}
		if base64.StdEncoding.DecodedLen(len(s)) > MaxCertSize+3 {
			return nil, fmt.Errorf("%w: x5c[%d] exceeds %d bytes", ErrMalformed, i, MaxCertSize)
		}
		der, err := base64.StdEncoding.Strict().DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("%w: x5c[%d] is not standard base64: %v", ErrMalformed, i, err)
		}
		if len(der) == 0 || len(der) > MaxCertSize {
			return nil, fmt.Errorf("%w: x5c[%d] is %d bytes", ErrMalformed, i, len(der))
		}
		out = append(out, der)
	}
	return out, nil
}

func parseChain(chain [][]byte) ([]*x509.Certificate, error) {
	if len(chain) == 0 || len(chain) > MaxChainLen {
		return nil, fmt.Errorf("%w: %d certificates, want 1 to %d", ErrMalformed, len(chain), MaxChainLen)
	}
	certs := make([]*x509.Certificate, len(chain))
	for i, der := range chain {
		if len(der) == 0 || len(der) > MaxCertSize {
			return nil, fmt.Errorf("%w: certificate %d is %d bytes (at most %d)", ErrMalformed, i, len(der), MaxCertSize)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("%w: certificate %d: %v", ErrMalformed, i, err)
		}
		certs[i] = c
	}
	return certs, nil
}

// selfIssued: subject equals issuer. Such a certificate is refused as a
// leaf whether or not its own key verifies it, and never used as a step.
func selfIssued(c *x509.Certificate) bool { return bytes.Equal(c.RawSubject, c.RawIssuer) }

func isAnchor(pool []*Anchor, der []byte) bool { return anchorOf(pool, der) != nil }

func anchorOf(pool []*Anchor, der []byte) *Anchor {
	for _, a := range pool {
		if bytes.Equal(a.DER, der) {
			return a
		}
	}
	return nil
}

func anchorsAnywhere(s *AnchorSet, der []byte) bool {
	for _, a := range s.All() {
		if bytes.Equal(a.DER, der) {
			return true
		}
	}
	return false
}

func validityError(leaf *x509.Certificate, kept []*x509.Certificate, pool []*Anchor, at time.Time) error {
	check := func(c *x509.Certificate, role string) error {
		switch {
		case at.After(c.NotAfter):
			return fmt.Errorf("%w: %s %q was valid until %s (checked at %s)", ErrExpired, role, c.Subject, c.NotAfter.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
		case at.Before(c.NotBefore):
			return fmt.Errorf("%w: %s %q is valid from %s (checked at %s)", ErrNotYetValid, role, c.Subject, c.NotBefore.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
		}
		return nil
	}
	if err := check(leaf, "signing certificate"); err != nil {
		return err
	}
	// An intermediate or anchor only counts when it could be the leaf's
	// issuer: otherwise an unrelated expired certificate would mask
	// "untrusted".
	for _, c := range kept {
		if bytes.Equal(c.RawSubject, leaf.RawIssuer) {
			if err := check(c, "intermediate"); err != nil {
				return err
			}
		}
	}
	issuers := [][]byte{leaf.RawIssuer}
	for _, c := range kept {
		issuers = append(issuers, c.RawIssuer)
	}
	for _, a := range pool {
		for _, is := range issuers {
			if bytes.Equal(a.Cert.RawSubject, is) {
				if err := check(a.Cert, "trust anchor"); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// pathPolicy checks a chain from crypto/x509 (leaf … anchor).
func pathPolicy(ch []*x509.Certificate) error {
	leaf := ch[0]
	if leaf.BasicConstraintsValid && leaf.IsCA {
		return fmt.Errorf("%w: signing certificate %q is a CA", ErrPolicy, leaf.Subject)
	}
	if leaf.KeyUsage != 0 && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return fmt.Errorf("%w: signing certificate %q has no digitalSignature key usage", ErrPolicy, leaf.Subject)
	}
	for _, c := range ch[1:] {
		if err := checkCA(c); err != nil {
			return fmt.Errorf("%w: CA %q: %v", ErrPolicy, c.Subject, err)
		}
	}
	return nil
}

// ParseLeaf parses the first certificate of chain within the bounds of
// Validate, for a caller that needs the signing key before (or whether
// or not) the chain validates.
func ParseLeaf(chain [][]byte) (*x509.Certificate, error) {
	if len(chain) == 0 || len(chain) > MaxChainLen {
		return nil, fmt.Errorf("%w: %d certificates, want 1 to %d", ErrMalformed, len(chain), MaxChainLen)
	}
	if len(chain[0]) == 0 || len(chain[0]) > MaxCertSize {
		return nil, fmt.Errorf("%w: certificate 0 is %d bytes (at most %d)", ErrMalformed, len(chain[0]), MaxCertSize)
	}
	c, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return nil, fmt.Errorf("%w: certificate 0: %v", ErrMalformed, err)
	}
	return c, nil
}
