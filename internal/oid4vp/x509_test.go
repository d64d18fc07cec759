package oid4vp

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/internal/x509trust"
)

// eudiDir holds the EUDI vectors (testdata/eudi, copied from the shared
// test data; see testdata/README.md).
var eudiDir = filepath.Join("..", "..", "testdata", "eudi")

func readPEMCert(t testing.TB, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The x509_hash of the reference verifier's access certificate is the
// client id it used (a published vector); its SAN is a URI only, so no
// x509_san_dns client id names it.
func TestX509ClientIDVector(t *testing.T) {
	leaf := readPEMCert(t, filepath.Join(eudiDir, "certs", "verifier-backend-eudiw-2026.pem"))
	want, err := os.ReadFile(filepath.Join(eudiDir, "certs", "verifier-backend-eudiw-2026.client-id.txt"))
	if err != nil {
		t.Fatal(err)
	}
	got := X509HashClientID(leaf.Raw)
	if got != strings.TrimSpace(string(want)) {
		t.Fatalf("x509_hash %s, recorded %s", got, want)
	}
	if err := CheckX509ClientID(got, leaf); err != nil {
		t.Fatal(err)
	}
	if len(leaf.URIs) == 0 {
		t.Fatal("the vector has a URI SAN")
	}
	for _, name := range []string{"verifier-backend.eudiw.dev", leaf.URIs[0].Host, leaf.URIs[0].String()} {
		if _, err := X509SanDNSClientID(leaf, name); !errors.Is(err, ErrInvalidClient) {
			t.Errorf("x509_san_dns:%s accepted for a certificate without dNSName: %v", name, err)
		}
		if err := CheckX509ClientID(PrefixX509SanDNS+":"+name, leaf); !errors.Is(err, ErrInvalidClient) {
			t.Errorf("CheckX509ClientID x509_san_dns:%s: %v", name, err)
		}
	}
	other := readPEMCert(t, filepath.Join(eudiDir, "certs", "verifier-signer-dev-2026.pem"))
	if err := CheckX509ClientID(got, other); !errors.Is(err, ErrInvalidClient) {
		t.Errorf("the hash of one certificate names another: %v", err)
	}
}

// accessPKI is a test access CA and a verifier leaf under it with a
// dNSName.
type accessPKI struct {
	ca, leaf *testkit.TestCert
	signer   *jose.Signer
}

func newAccessPKI(t testing.TB, dns string) *accessPKI {
	ca := testkit.MintCert(t, "Test Access CA", nil, true, testNow, nil)
	leaf := testkit.MintCert(t, "Verifier", ca, false, testNow, func(c *x509.Certificate) { c.DNSNames = []string{dns} })
	s, err := jose.NewSigner(leaf.Key, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &accessPKI{ca: ca, leaf: leaf, signer: s}
}

// chainTo is the wallet's check of a request's x5c: internal/x509trust
// path validation to anchor as an access-certificate anchor.
func chainTo(anchor *x509.Certificate) func([][]byte, *x509.Certificate) error {
	a, _ := x509trust.NewAnchor(anchor.Raw, x509trust.ContextAccess)
	return func(chain [][]byte, _ *x509.Certificate) error {
		_, err := x509trust.Validate(chain, x509trust.NewAnchorSet(a), testNow, x509trust.ContextAccess)
		return err
	}
}

func TestX509RequestObject(t *testing.T) {
	pki := newAccessPKI(t, "verifier.example")
	now := func() time.Time { return testNow }
	v := newVerifier(t, ResponseModeDirectPostJWT)
	hashID := X509HashClientID(pki.leaf.Cert.Raw)
	sanID := PrefixX509SanDNS + ":verifier.example"
	chain := [][]byte{pki.leaf.Cert.Raw}
	for _, cid := range []string{hashID, sanID} {
		t.Run(cid[:strings.IndexByte(cid, ':')], func(t *testing.T) {
			req := *v.req
			req.ClientID = cid
			tok, err := SignRequestObject(pki.signer, &req, SignOptions{Now: now, X5C: chain})
			if err != nil {
				t.Fatal(err)
			}
			j, _ := jose.Parse(tok)
			if j.Header.Typ != RequestObjectTyp || j.Header.Kid != "" {
				t.Errorf("header %+v", j.Header)
			}
			uri, err := BuildRequestURI(cid, "https://verifier.example/request/1", RequestURIMethodGet)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ParseRequestURI(uri, Options{}); err != nil {
				t.Fatalf("by reference: %v", err)
			}
			got, err := VerifyRequestObject(context.Background(), tok, VerifyOptions{ClientID: cid, Now: now, X509Chain: chainTo(pki.ca.Cert)})
			if err != nil {
				t.Fatal(err)
			}
			if got.ClientID != cid || got.Nonce != req.Nonce {
				t.Errorf("got %+v", got)
			}
			// No validator: the prefix is not supported.
			if _, err := VerifyRequestObject(context.Background(), tok, VerifyOptions{ClientID: cid, Now: now}); !errors.Is(err, ErrUnsupported) {
				t.Errorf("without X509Chain: %v", err)
			}
			// Another anchor: refused.
			stranger := testkit.MintCert(t, "Other CA", nil, true, testNow, nil)
			if _, err := VerifyRequestObject(context.Background(), tok, VerifyOptions{ClientID: cid, Now: now, X509Chain: chainTo(stranger.Cert)}); !errors.Is(err, ErrInvalidClient) {
				t.Errorf("other anchor: %v", err)
			}
		})
	}
}

func TestX509SignRefusals(t *testing.T) {
	pki := newAccessPKI(t, "verifier.example")
	v := newVerifier(t, ResponseModeDirectPostJWT)
	self := testkit.MintCert(t, "Self", nil, false, testNow, func(c *x509.Certificate) { c.DNSNames = []string{"verifier.example"} })
	selfSigner, _ := jose.NewSigner(self.Key, nil)
	hashID := X509HashClientID(pki.leaf.Cert.Raw)
	cases := []struct {
		name   string
		cid    string
		signer *jose.Signer
		chain  [][]byte
		mut    func(*AuthorizationRequest)
	}{
		{"anchor in x5c", hashID, pki.signer, [][]byte{pki.leaf.Cert.Raw, pki.ca.Cert.Raw}, nil},
		{"self-signed leaf", X509HashClientID(self.Cert.Raw), selfSigner, [][]byte{self.Cert.Raw}, nil},
		{"no chain", hashID, pki.signer, nil, nil},
		{"key not the leaf's", hashID, v.signer, [][]byte{pki.leaf.Cert.Raw}, nil},
		{"hash of another certificate", X509HashClientID(pki.ca.Cert.Raw), pki.signer, [][]byte{pki.leaf.Cert.Raw}, nil},
		{"san_dns not in the certificate", PrefixX509SanDNS + ":other.example", pki.signer, [][]byte{pki.leaf.Cert.Raw}, func(r *AuthorizationRequest) {
			r.ResponseURI = "https://other.example/response/1"
		}},
		{"san_dns host differs from response_uri", PrefixX509SanDNS + ":verifier.example", pki.signer, [][]byte{pki.leaf.Cert.Raw}, func(r *AuthorizationRequest) {
			r.ResponseURI = "https://elsewhere.example/response/1"
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := *v.req
			req.ClientID = c.cid
			if c.mut != nil {
				c.mut(&req)
			}
			if _, err := SignRequestObject(c.signer, &req, SignOptions{X5C: c.chain}); !errors.Is(err, ErrInvalidClient) {
				t.Fatalf("got %v, want ErrInvalidClient", err)
			}
		})
	}
}

// A request object whose x5c does not match its client id, or whose
// signature was made by another key, is refused by the wallet side.
func TestX509VerifyRefusals(t *testing.T) {
	pki := newAccessPKI(t, "verifier.example")
	other := newAccessPKI(t, "verifier.example")
	v := newVerifier(t, ResponseModeDirectPostJWT)
	now := func() time.Time { return testNow }
	cid := X509HashClientID(pki.leaf.Cert.Raw)
	req := *v.req
	req.ClientID = cid
	good, err := SignRequestObject(pki.signer, &req, SignOptions{Now: now, X5C: [][]byte{pki.leaf.Cert.Raw}})
	if err != nil {
		t.Fatal(err)
	}
	// The same payload signed by another certified key, its own x5c kept.
	otherReq := req
	otherReq.ClientID = X509HashClientID(other.leaf.Cert.Raw)
	swapped, err := SignRequestObject(other.signer, &otherReq, SignOptions{Now: now, X5C: [][]byte{other.leaf.Cert.Raw}})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	sig := []byte(parts[2])
	sig[5] ^= 1
	flipped := parts[0] + "." + parts[1] + "." + string(sig)
	cases := map[string]struct {
		tok  string
		want error
	}{
		"another verifier's request": {swapped, ErrInvalidClient},
		"flipped signature":          {flipped, ErrRequestSignature},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := VerifyRequestObject(context.Background(), c.tok, VerifyOptions{ClientID: cid, Now: now, X509Chain: chainTo(pki.ca.Cert)})
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	if _, err := ParseRequestURI("openid4vp://?client_id="+url.QueryEscape(cid)+"&response_type=vp_token&nonce=n", Options{Dev: true}); !errors.Is(err, ErrInvalidClient) {
		t.Errorf("an unsigned x509_hash request: %v", err)
	}
}
