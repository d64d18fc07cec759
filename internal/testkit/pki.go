package testkit

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"sync/atomic"
	"testing"
	"time"
)

// TestCert is a certificate with its private key, made by NewTestCA and
// (*TestCert).Issue for tests that need a small X.509 PKI (list seals,
// document signers).
type TestCert struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

var serial atomic.Int64

// NewTestCA makes a self-signed P-256 CA certificate valid from notBefore
// for ten years.
func NewTestCA(tb testing.TB, cn string, notBefore time.Time) *TestCert {
	tb.Helper()
	return makeCert(tb, &x509.Certificate{
		Subject: pkix.Name{CommonName: cn, Organization: []string{cn + " Org"}, Country: []string{"EU"}},
		IsCA:    true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		NotBefore: notBefore, NotAfter: notBefore.AddDate(10, 0, 0),
	}, nil)
}

// Issue makes an end-entity P-256 certificate signed by c, valid from
// notBefore for the given duration.
func (c *TestCert) Issue(tb testing.TB, cn string, notBefore time.Time, validity time.Duration) *TestCert {
	tb.Helper()
	return makeCert(tb, &x509.Certificate{
		Subject:   pkix.Name{CommonName: cn, Country: []string{"EU"}},
		KeyUsage:  x509.KeyUsageDigitalSignature,
		NotBefore: notBefore, NotAfter: notBefore.Add(validity),
	}, c)
}

// PEM returns the certificate PEM-encoded.
func (c *TestCert) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Cert.Raw})
}

func makeCert(tb testing.TB, tmpl *x509.Certificate, parent *TestCert) *TestCert {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl.SerialNumber = big.NewInt(serial.Add(1) + 1000)
	issuer, signer := tmpl, crypto.Signer(k)
	if parent != nil {
		issuer, signer = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, k.Public(), signer)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return &TestCert{Cert: c, Key: k}
}

// MintCert makes a P-256 certificate named cn, valid from a day before at
// to a year after, signed by parent (self-signed when nil): a CA (cA,
// keyCertSign and cRLSign) or an end entity (digitalSignature). edit, when
// set, changes the template before signing, for the shapes NewTestCA and
// Issue do not make (a CA without keyCertSign, a CRL distribution point,
// an expired intermediate …).
func MintCert(tb testing.TB, cn string, parent *TestCert, ca bool, at time.Time, edit func(*x509.Certificate)) *TestCert {
	tb.Helper()
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: cn},
		NotBefore: at.Add(-24 * time.Hour), NotAfter: at.Add(365 * 24 * time.Hour),
		BasicConstraintsValid: true, IsCA: ca, KeyUsage: x509.KeyUsageDigitalSignature}
	if ca {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	if edit != nil {
		edit(tmpl)
	}
	return makeCert(tb, tmpl, parent)
}
