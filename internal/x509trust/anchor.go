package x509trust

import (
	"bytes"
	"crypto/sha1" //nolint:gosec // RFC 5280 §4.2.1.2 method (1), only to name anchors lacking an SKI
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
)

// Context is what an anchor is trusted for.
type Context string

// Trust contexts.
const (
	// ContextPID: PID provider CAs, for the x5c of PIDs (HAIP 1.0 §6.1.1).
	ContextPID Context = "pid"
	// ContextPIDStatus: CAs of the signers of PID Status List Tokens.
	ContextPIDStatus Context = "pid-status"
	// ContextQEAA: qualified EAA provider CAs (from TS 119 612 lists).
	ContextQEAA Context = "qeaa"
	// ContextAccess: relying-party access certificate CAs (HAIP 1.0 §5).
	ContextAccess Context = "access"
)

// Valid reports whether c is one of the defined contexts.
func (c Context) Valid() bool {
	switch c {
	case ContextPID, ContextPIDStatus, ContextQEAA, ContextAccess:
		return true
	}
	return false
}

// ErrAnchor reports a certificate that cannot serve as a trust anchor.
var ErrAnchor = errors.New("x509trust: not a usable trust anchor")

// Anchor is one configured trust anchor: a CA certificate trusted in one
// context. It is never taken from a token: it comes from the verifier's
// configuration, a registry entity or an imported trusted list.
type Anchor struct {
	Cert    *x509.Certificate
	DER     []byte
	SKI     []byte // subjectKeyIdentifier (or the SHA-1 of the key when absent)
	Context Context
	// Name and Source are optional: who the anchor belongs to, and where
	// it was configured from (a file, a list URL and sequence number).
	Name   string
	Source string
}

// NewAnchor parses der as an anchor for ctx. The certificate must be a CA
// (basicConstraints cA and keyUsage keyCertSign), within MaxCertSize.
// Its validity is checked at validation time, not here.
func NewAnchor(der []byte, ctx Context) (*Anchor, error) {
	if !ctx.Valid() {
		return nil, fmt.Errorf("%w: unknown context %q", ErrAnchor, ctx)
	}
	if len(der) > MaxCertSize {
		return nil, fmt.Errorf("%w: certificate of %d bytes exceeds %d", ErrAnchor, len(der), MaxCertSize)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAnchor, err)
	}
	if err := checkCA(c); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrAnchor, c.Subject, err)
	}
	ski := c.SubjectKeyId
	if len(ski) == 0 {
		s := sha1.Sum(c.RawSubjectPublicKeyInfo) //nolint:gosec // naming only
		ski = s[:]
	}
	return &Anchor{Cert: c, DER: slices.Clone(der), SKI: slices.Clone(ski), Context: ctx, Name: c.Subject.CommonName}, nil
}

// ParseAnchorsPEM reads every CERTIFICATE block of pemData as an anchor
// for ctx, recording source. Other block types are an error, as is a
// file without a certificate.
func ParseAnchorsPEM(pemData []byte, ctx Context, source string) ([]*Anchor, error) {
	var out []*Anchor
	rest := pemData
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%w: %s: PEM block %q is not a CERTIFICATE", ErrAnchor, source, b.Type)
		}
		a, err := NewAnchor(b.Bytes, ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		a.Source = source
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s holds no PEM certificate", ErrAnchor, source)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, fmt.Errorf("%w: %s has trailing data after its last certificate", ErrAnchor, source)
	}
	return out, nil
}

// ErrNoCertificate: a PEM text holds no CERTIFICATE block.
var ErrNoCertificate = errors.New("x509trust: no PEM certificate")

// ParseCertificatesPEM parses every CERTIFICATE block of pemData, in
// order (a chain file: leaf first); other block types are skipped. None
// is ErrNoCertificate; a block that does not parse is an error naming it.
func ParseCertificatesPEM(pemData []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for rest := pemData; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(certs), err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, ErrNoCertificate
	}
	return certs, nil
}

// AnchorSet is a verifier's anchors across contexts. The zero value and a
// nil *AnchorSet are empty sets. It is not safe for concurrent Add and use.
type AnchorSet struct {
	anchors []*Anchor
}

// NewAnchorSet returns a set holding as.
func NewAnchorSet(as ...*Anchor) *AnchorSet {
	s := &AnchorSet{}
	s.Add(as...)
	return s
}

// Add adds anchors; an anchor already held for the same context (same DER)
// is not added twice.
func (s *AnchorSet) Add(as ...*Anchor) {
	for _, a := range as {
		if a == nil || s.find(a.DER, a.Context) != nil {
			continue
		}
		s.anchors = append(s.anchors, a)
	}
}

// Len is the number of anchors in every context.
func (s *AnchorSet) Len() int {
	if s == nil {
		return 0
	}
	return len(s.anchors)
}

// All returns the anchors, every context.
func (s *AnchorSet) All() []*Anchor {
	if s == nil {
		return nil
	}
	return slices.Clone(s.anchors)
}

// For returns the anchors trusted in ctx.
func (s *AnchorSet) For(ctx Context) []*Anchor {
	if s == nil {
		return nil
	}
	var out []*Anchor
	for _, a := range s.anchors {
		if a.Context == ctx {
			out = append(out, a)
		}
	}
	return out
}

// BySKI returns the anchor of ctx whose key identifier is ski, or nil
// (DCQL trusted_authorities of type aki name anchors this way).
func (s *AnchorSet) BySKI(ski []byte, ctx Context) *Anchor {
	for _, a := range s.For(ctx) {
		if bytes.Equal(a.SKI, ski) {
			return a
		}
	}
	return nil
}

func (s *AnchorSet) find(der []byte, ctx Context) *Anchor {
	for _, a := range s.For(ctx) {
		if bytes.Equal(a.DER, der) {
			return a
		}
	}
	return nil
}

// checkCA is the policy every CA of a path meets (the anchor included):
// basicConstraints with cA, and a keyUsage with keyCertSign.
func checkCA(c *x509.Certificate) error {
	if !c.BasicConstraintsValid || !c.IsCA {
		return errors.New("no basicConstraints with cA true")
	}
	if c.KeyUsage&x509.KeyUsageCertSign == 0 {
		return errors.New("keyUsage lacks keyCertSign")
	}
	return nil
}
