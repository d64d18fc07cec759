package vccheck

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/httpx"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/statuslist"
	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/internal/x509trust"
)

type pkiNode = testkit.TestCert

func mintCert(t *testing.T, name string, parent *pkiNode, ca bool, edit func(*x509.Certificate)) *pkiNode {
	t.Helper()
	return testkit.MintCert(t, name, parent, ca, tNow, edit)
}

func signerOf(t *testing.T, n *pkiNode) *jose.Signer {
	t.Helper()
	s, err := jose.NewSigner(n.Key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func anchorFor(t *testing.T, n *pkiNode, ctxs ...x509trust.Context) *x509trust.AnchorSet {
	t.Helper()
	s := x509trust.NewAnchorSet()
	for _, c := range ctxs {
		a, err := x509trust.NewAnchor(n.Cert.Raw, c)
		if err != nil {
			t.Fatal(err)
		}
		s.Add(a)
	}
	return s
}

// TestX5CStatusListAndCRL: a PID-shaped credential issued under a minted
// CA, whose Status List Token is signed under x5c too. The token must
// chain to a pid-status anchor; the signing certificate's CRL is checked;
// the strict profile refuses a signing certificate without the
// TS 119 412-6 shape.
func TestX5CStatusListAndCRL(t *testing.T) {
	ctx := context.Background()
	root := mintCert(t, "PID CA", nil, true, nil)
	var crl []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(crl) }))
	defer srv.Close()
	ds := mintCert(t, "PID DS", root, false, func(c *x509.Certificate) { c.CRLDistributionPoints = []string{srv.URL + "/ca.crl"} })
	statusSigner := mintCert(t, "Status signer", root, false, nil)
	holder := gen(t)

	list, err := statuslist.New(1, 64)
	if err != nil {
		t.Fatal(err)
	}
	_ = list.Set(5, statuslist.StatusInvalid)
	tok, err := list.SignToken(signerOf(t, statusSigner), statuslist.TokenOptions{Subject: listURI, IssuedAt: tNow.Add(-time.Hour), X5C: [][]byte{statusSigner.Cert.Raw}})
	if err != nil {
		t.Fatal(err)
	}
	issue := func(idx int) string {
		t.Helper()
		s, err := sdjwtvc.Issue(sdjwtvc.Credential{VCT: "urn:eudi:pid:1", Issuer: "https://pid.example", IssuedAt: tNow.Add(-24 * time.Hour),
			ExpiresAt: tNow.Add(24 * time.Hour), HolderJWK: holder.PublicJWK(),
			Status: map[string]any{"status_list": map[string]any{"idx": idx, "uri": listURI}},
			Claims: map[string]any{"family_name": "Tester"}, Disclosable: []string{"/family_name"}},
			sdjwtvc.IssueOptions{Signer: signerOf(t, ds), Rand: rand.Reader, X5C: [][]byte{ds.Cert.Raw}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	signCRL := func(revoked ...*pkiNode) []byte {
		var es []x509.RevocationListEntry
		for _, r := range revoked {
			es = append(es, x509.RevocationListEntry{SerialNumber: r.Cert.SerialNumber, RevocationTime: tNow.Add(-2 * time.Hour)})
		}
		b, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(time.Now().UnixNano()), ThisUpdate: tNow.Add(-time.Hour), NextUpdate: tNow.Add(time.Hour), RevokedCertificateEntries: es}, root.Cert, root.Key)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	crl = signCRL()
	fetch := func(context.Context, string) (string, error) { return tok, nil }
	opts := func(anchors *x509trust.AnchorSet, crlc *x509trust.CRLChecker, p PIDProfile) Options {
		return Options{Credential: sdjwtvc.VerifyOptions{Trust: sdjwtvc.Trust{X509: sdjwtvc.X509Trust{Anchors: anchors}}, Now: func() time.Time { return tNow }},
			FetchStatusList: fetch, CRL: crlc, PIDProfile: p}
	}
	both := anchorFor(t, root, x509trust.ContextPID, x509trust.ContextPIDStatus)
	pidOnly := anchorFor(t, root, x509trust.ContextPID)
	newCRL := func() *x509trust.CRLChecker {
		return x509trust.NewCRLChecker(httpx.NewClient(httpx.Options{AllowPrivate: true}), func() time.Time { return tNow })
	}
	for _, tc := range []struct {
		name    string
		cred    string
		anchors *x509trust.AnchorSet
		crl     []byte
		profile PIDProfile
		want    Code
		revoc   x509trust.Revocation
	}{
		{"valid, status list by x5c", issue(3), both, signCRL(), PIDProfileOff, CodeValid, x509trust.RevocationGood},
		{"revoked in the status list", issue(5), both, signCRL(), PIDProfileOff, CodeRevoked, x509trust.RevocationGood},
		{"status signer under no pid-status anchor", issue(3), pidOnly, signCRL(), PIDProfileOff, CodeStatusUnavailable, x509trust.RevocationGood},
		{"signing certificate revoked", issue(3), both, signCRL(ds), PIDProfileOff, CodeCertificateRevoked, x509trust.RevocationRevoked},
		{"CRL unusable: unknown, not refused", issue(3), both, []byte("not a CRL"), PIDProfileOff, CodeValid, x509trust.RevocationUnknown},
		{"strict profile: no QC type", issue(3), both, signCRL(), PIDProfileStrict, CodeCertificateProfile, ""},
		{"lenient profile: reported only", issue(3), both, signCRL(), PIDProfileLenient, CodeValid, x509trust.RevocationGood},
	} {
		t.Run(tc.name, func(t *testing.T) {
			crl = tc.crl
			oc, err := Verify(ctx, tc.cred, opts(tc.anchors, newCRL(), tc.profile))
			if got := Classify(err); got != tc.want {
				t.Fatalf("code %q, want %q (%v)", got, tc.want, err)
			}
			if oc.Chain == nil || oc.Chain.Anchor.Name != "PID CA" {
				t.Fatalf("chain %+v", oc.Chain)
			}
			if tc.revoc != "" && (oc.Revocation == nil || oc.Revocation.Status != tc.revoc) {
				t.Errorf("revocation %+v, want %s", oc.Revocation, tc.revoc)
			}
			if oc.CertProfile == nil || oc.CertProfile.OK() != (tc.profile != PIDProfileStrict) {
				t.Errorf("profile report %+v", oc.CertProfile)
			}
		})
	}
	// Offline: no CRL fetched, no status list fetched.
	o := opts(both, newCRL(), PIDProfileOff)
	o.Offline = true
	oc, err := Verify(ctx, issue(3), o)
	if Classify(err) != CodeStatusUnavailable || oc.Revocation != nil {
		t.Errorf("offline: %q, revocation %+v", Classify(err), oc.Revocation)
	}
}
