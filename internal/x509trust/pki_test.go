package x509trust_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/x509trust"
)

// A small PKI minted per test: the shapes the EUDI vectors lack.

var t0 = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)

type node struct {
	cert *x509.Certificate
	der  []byte
	key  *ecdsa.PrivateKey
}

var serial int64

type certOpt func(*x509.Certificate)

func mint(t testing.TB, name string, parent *node, ca bool, opts ...certOpt) *node {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: t0.Add(-24 * time.Hour), NotAfter: t0.Add(365 * 24 * time.Hour),
		BasicConstraintsValid: true, IsCA: ca,
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	if ca {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	for _, o := range opts {
		o(tmpl)
	}
	signer, issuer := key, tmpl
	if parent != nil {
		signer, issuer = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &node{cert: c, der: der, key: key}
}

func anchorOf(t testing.TB, n *node, ctx x509trust.Context) *x509trust.AnchorSet {
	t.Helper()
	a, err := x509trust.NewAnchor(n.der, ctx)
	if err != nil {
		t.Fatal(err)
	}
	return x509trust.NewAnchorSet(a)
}

func parseCert(t testing.TB, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func derOf(t testing.TB, f string) []byte {
	t.Helper()
	b, _ := pem.Decode([]byte(mustRead(t, f)))
	if b == nil {
		t.Fatalf("%s: no PEM", f)
	}
	return b.Bytes
}

func anchorsLeaf(t testing.TB, f string) *x509.Certificate { return parseCert(t, derOf(t, f)) }
