package lote

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
)

// VerifyOptions are what Verify needs besides the list.
type VerifyOptions struct {
	// SealAnchors are the certificates the operator pinned for the list's
	// scheme operator: the signer in x5c must chain to one of them.
	SealAnchors []*x509.Certificate
	// Now is the time the signer's chain must be valid at.
	Now time.Time
}

// Signed is a verified list.
type Signed struct {
	List    *List
	Payload []byte
	// Chain runs from the signer to the seal anchor it closed on.
	Chain []*x509.Certificate
}

// Signer returns the list's signing certificate.
func (s *Signed) Signer() *x509.Certificate { return s.Chain[0] }

// Anchor returns the seal anchor the signer chained to.
func (s *Signed) Anchor() *x509.Certificate { return s.Chain[len(s.Chain)-1] }

// Verify checks a LoTE published as a compact JWS (TS 119 602 clause 6.8:
// a JAdES signature whose signing certificate travels in x5c). The
// signature must verify with x5c[0] under the JOSE allow-list
// (jose.DefaultAlgs), x5c[0] must chain, through the other x5c entries,
// to one of o.SealAnchors at o.Now (crypto/x509; the seal anchors are the
// only roots, a copy of one inside x5c adds nothing), and the payload
// must be a LoTE valid against the schema (Parse). It does not check the
// Annex D profile: see CheckPIDProfile.
func Verify(compact string, o VerifyOptions) (*Signed, error) {
	if len(o.SealAnchors) == 0 {
		return nil, fmt.Errorf("%w: no seal anchors pinned", ErrUntrustedSigner)
	}
	if o.Now.IsZero() {
		return nil, errors.New("lote: Verify needs a time")
	}
	j, err := jose.ParseLimited(compact, MaxListLen*4/3+64<<10)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	chain, err := x5c(j.Header.Params)
	if err != nil {
		return nil, err
	}
	if err := j.Verify(chain[0].PublicKey, nil); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSignature, err)
	}
	roots := x509.NewCertPool()
	for _, a := range o.SealAnchors {
		roots.AddCert(a)
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	paths, err := chain[0].Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: o.Now,
		// A seal certificate carries the TSL-signing EKU, if any: the
		// chain is checked here, the usage is the scheme's business.
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUntrustedSigner, err)
	}
	l, err := Parse(j.Payload)
	if err != nil {
		return nil, err
	}
	return &Signed{List: l, Payload: j.Payload, Chain: paths[0]}, nil
}

// x5c decodes the x5c header (RFC 7515 §4.1.6: standard base64 DER).
func x5c(params map[string]any) ([]*x509.Certificate, error) {
	raw, ok := params["x5c"].([]any)
	if !ok || len(raw) == 0 || len(raw) > MaxX5C {
		return nil, fmt.Errorf("%w: the JWS header needs an x5c of 1–%d certificates", ErrMalformed, MaxX5C)
	}
	var certs []*x509.Certificate
	for i, v := range raw {
		s, ok := v.(string)
		if !ok || len(s) > MaxCertLen*4/3+4 {
			return nil, fmt.Errorf("%w: x5c[%d] is not a base64 certificate", ErrMalformed, i)
		}
		der, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("%w: x5c[%d]: %v", ErrMalformed, i, err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("%w: x5c[%d]: %v", ErrMalformed, i, err)
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// Sign signs a LoTE payload as a compact JWS with key, whose certificate
// is chain[0]; chain (without the seal anchor) goes into x5c. It is what
// a scheme operator does; Cairn uses it in tests and examples.
func Sign(payload []byte, key crypto.Signer, chain []*x509.Certificate, rnd io.Reader) (string, error) {
	if len(chain) == 0 {
		return "", errors.New("lote: Sign needs the signer's certificate")
	}
	s, err := jose.NewSigner(key, rnd)
	if err != nil {
		return "", err
	}
	x := make([]string, len(chain))
	for i, c := range chain {
		x[i] = base64.StdEncoding.EncodeToString(c.Raw)
	}
	return s.Sign(map[string]any{"x5c": x}, payload)
}
