package x509trust_test

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/httpx"
	"github.com/cairn-id/cairn/internal/x509trust"
)

// crlServer serves one CRL per path and counts fetches.
type crlServer struct {
	mu   sync.Mutex
	crls map[string][]byte
	hits map[string]int
	srv  *httptest.Server
}

func newCRLServer(t *testing.T) *crlServer {
	s := &crlServer{crls: map[string][]byte{}, hits: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.hits[r.URL.Path]++
		b, ok := s.crls[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *crlServer) put(path string, b []byte) {
	s.mu.Lock()
	s.crls[path] = b
	s.mu.Unlock()
}

func (s *crlServer) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func signCRL(t *testing.T, ca *node, number int64, this, next time.Time, revoked ...*node) []byte {
	t.Helper()
	var entries []x509.RevocationListEntry
	for _, r := range revoked {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: r.Cert.SerialNumber, RevocationTime: this.Add(-time.Hour), ReasonCode: 1})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(number), ThisUpdate: this, NextUpdate: next, RevokedCertificateEntries: entries}, ca.Cert, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestCRLChecker: good, revoked, unreachable (unknown, not revoked), a
// CRL signed by someone else (unknown), no distribution point (unknown),
// and the cache: no second fetch before nextUpdate, a fresh one after.
func TestCRLChecker(t *testing.T) {
	s := newCRLServer(t)
	root := mint(t, "Root", nil, true)
	dp := func(path string) certOpt {
		return func(c *x509.Certificate) { c.CRLDistributionPoints = []string{s.srv.URL + path} }
	}
	inter := mint(t, "Intermediate", root, true, dp("/root.crl"))
	good := mint(t, "Good", inter, false, dp("/inter.crl"))
	bad := mint(t, "Revoked", inter, false, dp("/inter.crl"))
	lost := mint(t, "Unreachable", inter, false, dp("/missing.crl"))
	forged := mint(t, "Forged CRL", inter, false, dp("/forged.crl"))
	nodp := mint(t, "No DP", inter, false)
	anchors := anchorOf(t, root, x509trust.ContextPID)
	s.put("/root.crl", signCRL(t, root, 1, t0.Add(-time.Hour), t0.Add(24*time.Hour)))
	s.put("/inter.crl", signCRL(t, inter, 1, t0.Add(-time.Hour), t0.Add(24*time.Hour), bad))
	s.put("/forged.crl", signCRL(t, root, 1, t0.Add(-time.Hour), t0.Add(24*time.Hour), forged))

	now := t0
	c := x509trust.NewCRLChecker(httpx.NewClient(httpx.Options{AllowPrivate: true}), func() time.Time { return now })
	check := func(n *node) x509trust.RevocationReport {
		t.Helper()
		p, err := x509trust.Validate([][]byte{n.Cert.Raw, inter.Cert.Raw}, anchors, t0, x509trust.ContextPID)
		if err != nil {
			t.Fatal(err)
		}
		return c.Check(context.Background(), p)
	}
	for _, tc := range []struct {
		n    *node
		want x509trust.Revocation
	}{
		{good, x509trust.RevocationGood},
		{bad, x509trust.RevocationRevoked},
		{lost, x509trust.RevocationUnknown},
		{forged, x509trust.RevocationUnknown},
		{nodp, x509trust.RevocationUnknown},
	} {
		r := check(tc.n)
		if r.Status != tc.want {
			t.Errorf("%s: %s, want %s (%+v)", tc.n.Cert.Subject.CommonName, r.Status, tc.want, r.Certs)
		}
		if len(r.Certs) != 2 || r.Certs[1].Status != x509trust.RevocationGood {
			t.Errorf("%s: the intermediate's status: %+v", tc.n.Cert.Subject.CommonName, r.Certs)
		}
		if tc.want == x509trust.RevocationUnknown && r.Certs[0].Reason == "" {
			t.Errorf("%s: unknown without a reason", tc.n.Cert.Subject.CommonName)
		}
	}
	before := s.count("/inter.crl")
	check(good)
	if s.count("/inter.crl") != before {
		t.Errorf("fetched again before nextUpdate")
	}
	now = t0.Add(25 * time.Hour) // past nextUpdate; the CRL served is stale too
	if r := check(good); r.Status != x509trust.RevocationUnknown {
		t.Errorf("stale CRL gave %s", r.Status)
	}
	if s.count("/inter.crl") != before+1 {
		t.Errorf("not fetched again after nextUpdate")
	}
	s.put("/inter.crl", signCRL(t, inter, 2, t0.Add(-time.Hour), t0.Add(48*time.Hour), bad, good))
	if r := check(good); r.Status != x509trust.RevocationRevoked {
		t.Errorf("fresh CRL revoking it gave %s", r.Status)
	}
	// Offline: unknown.
	off := x509trust.NewCRLChecker(nil, func() time.Time { return now })
	p, _ := x509trust.Validate([][]byte{good.Cert.Raw, inter.Cert.Raw}, anchors, t0, x509trust.ContextPID)
	if r := off.Check(context.Background(), p); r.Status != x509trust.RevocationUnknown {
		t.Errorf("offline: %s", r.Status)
	}
}

// TestCRLGuardedClient: the default guarded client refuses the loopback
// CRL server, and that is "unknown".
func TestCRLGuardedClient(t *testing.T) {
	s := newCRLServer(t)
	root := mint(t, "Root", nil, true)
	inter := mint(t, "Intermediate", root, true)
	leaf := mint(t, "Leaf", inter, false, func(c *x509.Certificate) { c.CRLDistributionPoints = []string{s.srv.URL + "/x.crl"} })
	s.put("/x.crl", signCRL(t, inter, 1, t0.Add(-time.Hour), t0.Add(time.Hour), leaf))
	p, err := x509trust.Validate([][]byte{leaf.Cert.Raw, inter.Cert.Raw}, anchorOf(t, root, x509trust.ContextPID), t0, x509trust.ContextPID)
	if err != nil {
		t.Fatal(err)
	}
	r := x509trust.NewCRLChecker(httpx.NewClient(httpx.Options{}), func() time.Time { return t0 }).Check(context.Background(), p)
	if r.Status != x509trust.RevocationUnknown || s.count("/x.crl") != 0 {
		t.Fatalf("guarded client: %s, %d fetches", r.Status, s.count("/x.crl"))
	}
	// The CRL client takes plain http, but outside dev mode the loopback
	// server stays out of reach: unknown, not fetched.
	r = x509trust.NewCRLChecker(x509trust.CRLClient(false), func() time.Time { return t0 }).Check(context.Background(), p)
	if r.Status != x509trust.RevocationUnknown || s.count("/x.crl") != 0 || !strings.Contains(fmt.Sprint(r.Certs), "forbidden target") {
		t.Fatalf("CRL client, not dev: %s %+v, %d fetches", r.Status, r.Certs, s.count("/x.crl"))
	}
	// Dev mode: the http CRL is fetched and the leaf found revoked.
	r = x509trust.NewCRLChecker(x509trust.CRLClient(true), func() time.Time { return t0 }).Check(context.Background(), p)
	if r.Status != x509trust.RevocationRevoked || s.count("/x.crl") != 1 || !strings.HasPrefix(s.srv.URL, "http://") {
		t.Fatalf("CRL client, dev: %s %+v, %d fetches", r.Status, r.Certs, s.count("/x.crl"))
	}
	// Bounded: a CRL larger than MaxCRLSize is not read, and is unknown.
	s.put("/big.crl", make([]byte, x509trust.MaxCRLSize+1))
	big := mint(t, "Leaf 2", inter, false, func(c *x509.Certificate) { c.CRLDistributionPoints = []string{s.srv.URL + "/big.crl"} })
	p2, err := x509trust.Validate([][]byte{big.Cert.Raw, inter.Cert.Raw}, anchorOf(t, root, x509trust.ContextPID), t0, x509trust.ContextPID)
	if err != nil {
		t.Fatal(err)
	}
	if r := x509trust.NewCRLChecker(x509trust.CRLClient(true), func() time.Time { return t0 }).Check(context.Background(), p2); r.Status != x509trust.RevocationUnknown {
		t.Fatalf("oversize CRL: %s %+v", r.Status, r.Certs)
	}
}
