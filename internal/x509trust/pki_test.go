package x509trust_test

import (
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/internal/x509trust"
)

// A small PKI minted per test: the shapes the EUDI vectors lack.

var t0 = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)

type node = testkit.TestCert

type certOpt = func(*x509.Certificate)

func mint(t testing.TB, name string, parent *node, ca bool, opts ...certOpt) *node {
	t.Helper()
	return testkit.MintCert(t, name, parent, ca, t0, func(c *x509.Certificate) {
		for _, o := range opts {
			o(c)
		}
	})
}

func anchorOf(t testing.TB, n *node, ctx x509trust.Context) *x509trust.AnchorSet {
	t.Helper()
	a, err := x509trust.NewAnchor(n.Cert.Raw, ctx)
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
