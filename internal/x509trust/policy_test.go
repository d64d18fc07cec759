package x509trust_test

import (
	"bytes"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/x509trust"
)

// TestValidatePolicy: the rules Validate adds to crypto/x509, each shown
// failing on a chain built to break it, next to a chain that passes.
func TestValidatePolicy(t *testing.T) {
	root := mint(t, "Root", nil, true)
	inter := mint(t, "Intermediate", root, true)
	leaf := mint(t, "Signer", inter, false)
	anchors := anchorOf(t, root, x509trust.ContextPID)

	noCertSign := mint(t, "CA without keyCertSign", root, true, func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageCRLSign })
	leafUnderNoCertSign := mint(t, "Signer 2", noCertSign, false)
	notCA := mint(t, "Not a CA", root, false)
	leafUnderNotCA := mint(t, "Signer 3", notCA, false)
	caLeaf := mint(t, "CA as signer", root, true)
	noSig := mint(t, "Key agreement only", inter, false, func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageKeyAgreement })
	selfSigned := mint(t, "Self", nil, false)
	otherRoot := mint(t, "Other root", nil, true)
	leafOfOther := mint(t, "Signer of other", otherRoot, false)
	expiredInter := mint(t, "Old intermediate", root, true, func(c *x509.Certificate) { c.NotAfter = t0.Add(-time.Hour) })
	leafUnderExpired := mint(t, "Signer 4", expiredInter, false)
	future := mint(t, "Future signer", inter, false, func(c *x509.Certificate) { c.NotBefore = t0.Add(time.Hour) })

	big := bytes.Repeat([]byte{0x30}, x509trust.MaxCertSize+1)
	for _, tc := range []struct {
		name  string
		chain [][]byte
		want  error
	}{
		{"leaf, intermediate", [][]byte{leaf.Cert.Raw, inter.Cert.Raw}, nil},
		{"anchor copy ignored", [][]byte{leaf.Cert.Raw, inter.Cert.Raw, root.Cert.Raw}, nil},
		{"empty", nil, x509trust.ErrMalformed},
		{"too long", [][]byte{leaf.Cert.Raw, inter.Cert.Raw, inter.Cert.Raw, inter.Cert.Raw, inter.Cert.Raw, inter.Cert.Raw}, x509trust.ErrMalformed},
		{"oversize certificate", [][]byte{leaf.Cert.Raw, big}, x509trust.ErrMalformed},
		{"garbage", [][]byte{[]byte("not a certificate")}, x509trust.ErrMalformed},
		{"missing intermediate", [][]byte{leaf.Cert.Raw}, x509trust.ErrUntrusted},
		{"self-signed leaf", [][]byte{selfSigned.Cert.Raw}, x509trust.ErrSelfSigned},
		{"anchor as leaf", [][]byte{root.Cert.Raw}, x509trust.ErrSelfSigned},
		{"foreign root in x5c", [][]byte{leafOfOther.Cert.Raw, otherRoot.Cert.Raw}, x509trust.ErrUntrusted},
		{"CA without keyCertSign", [][]byte{leafUnderNoCertSign.Cert.Raw, noCertSign.Cert.Raw}, x509trust.ErrPolicy},
		{"intermediate not a CA", [][]byte{leafUnderNotCA.Cert.Raw, notCA.Cert.Raw}, x509trust.ErrPolicy},
		{"CA as signing certificate", [][]byte{caLeaf.Cert.Raw}, x509trust.ErrPolicy},
		{"leaf may not sign", [][]byte{noSig.Cert.Raw, inter.Cert.Raw}, x509trust.ErrPolicy},
		{"expired intermediate", [][]byte{leafUnderExpired.Cert.Raw, expiredInter.Cert.Raw}, x509trust.ErrExpired},
		{"not yet valid", [][]byte{future.Cert.Raw, inter.Cert.Raw}, x509trust.ErrNotYetValid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := x509trust.Validate(tc.chain, anchors, t0, x509trust.ContextPID)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if p.Anchor.Cert.Subject.CommonName != "Root" || len(p.Certs) != 2 {
					t.Fatalf("path %v to %v", p.Links(), p.Anchor.Name)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := x509trust.Validate([][]byte{leaf.Cert.Raw, inter.Cert.Raw}, anchors, time.Time{}, x509trust.ContextPID); !errors.Is(err, x509trust.ErrMalformed) {
		t.Errorf("zero time: %v", err)
	}
}

func TestDecodeX5C(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   any
		ok   bool
	}{
		{"one", []any{"MAo="}, true},
		{"not array", "MAo=", false},
		{"empty", []any{}, false},
		{"number", []any{1.0}, false},
		{"base64url", []any{"-_8="}, false},
		{"unpadded", []any{"MAo"}, false},
		{"six", []any{"MAo=", "MAo=", "MAo=", "MAo=", "MAo=", "MAo="}, false},
		{"empty string", []any{""}, false},
	} {
		_, err := x509trust.DecodeX5C(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v", tc.name, err)
		}
		if err != nil && !errors.Is(err, x509trust.ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", tc.name, err)
		}
	}
}
