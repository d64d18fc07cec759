package vccheck

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/internal/statuslist"
	"github.com/cairn-id/cairn/internal/trust"
)

const (
	vctReg  = "urn:cairn:vct:humanitarian-registration:1"
	vctID   = "urn:cairn:vct:identity-attestation:1"
	listURI = "https://ngo.example/status/1"
)

var (
	tAdmit   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tSuspend = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	tNow     = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
)

type world struct {
	authority, ngo, clinic, thief, holder *keys.PrivateKey
	reg                                   *trust.Registry
	snapshot                              string
	list                                  *statuslist.List
}

func gen(t *testing.T) *keys.PrivateKey {
	t.Helper()
	k, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newWorld: an authority admits an NGO (registration credentials) and a
// clinic that is suspended on tSuspend; a third issuer was revoked as
// compromised. The NGO's status list has index 7 revoked and 9 suspended.
func newWorld(t *testing.T) *world {
	w := &world{authority: gen(t), ngo: gen(t), clinic: gen(t), thief: gen(t), holder: gen(t)}
	entity := func(k *keys.PrivateKey, name string) trust.Entity {
		return trust.Entity{
			DID: k.DIDJWK(), Names: map[string]string{"en": name}, Role: trust.RoleIssuer, Status: trust.StatusActive,
			StatusHistory: []trust.StatusChange{{Status: trust.StatusActive, At: tAdmit}}, ValidFrom: tAdmit,
			IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: vctReg, MaxStrength: 2, MaxValidity: 2, From: tAdmit}},
		}
	}
	ngo, clinic, thief := entity(w.ngo, "NGO"), entity(w.clinic, "Clinic"), entity(w.thief, "Stolen")
	clinic.Status = "suspended"
	clinic.StatusHistory = append(clinic.StatusHistory, trust.StatusChange{Status: trust.StatusSuspended, At: tSuspend})
	thief.Status = "revoked"
	thief.StatusHistory = append(thief.StatusHistory, trust.StatusChange{Status: trust.StatusRevoked, At: tSuspend, Compromised: true})
	w.reg = &trust.Registry{
		ID: "pilot", Name: "Pilot", Authority: w.authority.DIDJWK(), Version: 3,
		IssuedAt: tAdmit, Expires: tNow.Add(30 * 24 * time.Hour),
		Entities: []trust.Entity{ngo, clinic, thief},
	}
	var err error
	w.snapshot, err = trust.SignSnapshot(w.reg, w.authority.JoseSigner().WithKeyID(w.authority.DIDJWK()+"#0"))
	if err != nil {
		t.Fatal(err)
	}
	w.list, _ = statuslist.New(2, 1024)
	_ = w.list.Set(7, statuslist.StatusInvalid)
	_ = w.list.Set(9, statuslist.StatusSuspended)
	return w
}

func (w *world) token(t *testing.T, signer *keys.PrivateKey) string {
	t.Helper()
	tok, err := w.list.SignToken(signer.JoseSigner().WithKeyID(signer.DIDJWK()+"#0"), statuslist.TokenOptions{
		Subject: listURI, Issuer: signer.DIDJWK(), IssuedAt: tNow.Add(-time.Hour), ExpiresIn: 24 * time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (w *world) issue(t *testing.T, by *keys.PrivateKey, vct string, iat time.Time, idx int) string {
	t.Helper()
	c := sdjwtvc.Credential{
		VCT: vct, Issuer: by.DIDJWK(), IssuedAt: iat, ExpiresAt: iat.Add(2 * 365 * 24 * time.Hour),
		HolderJWK: w.holder.PublicJWK(), Claims: map[string]any{"given_name": "Amina"},
		Disclosable: []string{"/given_name"},
	}
	if idx >= 0 {
		c.Status = statuslist.Reference{Index: idx, URI: listURI}.Claim()
	}
	s, err := sdjwtvc.Issue(c, sdjwtvc.IssueOptions{Signer: by.JoseSigner().WithKeyID(by.DIDJWK() + "#0")})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (w *world) bundle(t *testing.T, lists map[string]string) *trust.Bundle {
	t.Helper()
	b, err := trust.MakeBundle(w.snapshot, lists, tNow.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	r := &did.Resolver{}
	bun, err := trust.LoadBundle(context.Background(), b, []*jose.JWK{w.authority.PublicJWK()}, tNow, trust.BundleOptions{Resolve: r.ResolveKey})
	if err != nil {
		t.Fatal(err)
	}
	return bun
}

func baseOptions() Options {
	return Options{Credential: sdjwtvc.VerifyOptions{
		Trust: sdjwtvc.Trust{Resolver: &did.Resolver{}},
		Now:   func() time.Time { return tNow },
	}}
}

func TestVerifyAgainstRegistry(t *testing.T) {
	w := newWorld(t)
	fullBundle := w.bundle(t, map[string]string{listURI: w.token(t, w.ngo)})
	emptyBundle := w.bundle(t, nil)
	stranger := gen(t)
	cases := []struct {
		name       string
		cred       string
		opts       func(*Options)
		want       error
		wantStatus string
	}{
		{"authorized, status valid from bundle", w.issue(t, w.ngo, vctReg, tAdmit.Add(time.Hour), 3), func(o *Options) { o.Bundle = fullBundle }, nil, "valid"},
		{"authorized, no status claim, snapshot only", w.issue(t, w.ngo, vctReg, tAdmit.Add(time.Hour), -1), func(o *Options) { o.Registry = w.reg }, nil, ""},
		{"revoked credential", w.issue(t, w.ngo, vctReg, tAdmit.Add(time.Hour), 7), func(o *Options) { o.Bundle = fullBundle }, ErrRevoked, "revoked"},
		{"suspended credential", w.issue(t, w.ngo, vctReg, tAdmit.Add(time.Hour), 9), func(o *Options) { o.Bundle = fullBundle }, ErrSuspended, "suspended"},
		{"vct not authorized", w.issue(t, w.ngo, vctID, tAdmit.Add(time.Hour), -1), func(o *Options) { o.Registry = w.reg }, ErrNotAuthorized, ""},
		{"issued before admission", w.issue(t, w.ngo, vctReg, tAdmit.Add(-time.Hour), -1), func(o *Options) { o.Registry = w.reg }, ErrNotAuthorized, ""},
		{"issued before issuer's suspension", w.issue(t, w.clinic, vctReg, tSuspend.Add(-time.Hour), -1), func(o *Options) { o.Registry = w.reg }, nil, ""},
		{"issued after issuer's suspension", w.issue(t, w.clinic, vctReg, tSuspend.Add(time.Hour), -1), func(o *Options) { o.Registry = w.reg }, ErrNotAuthorized, ""},
		{"issuer revoked as compromised", w.issue(t, w.thief, vctReg, tAdmit.Add(time.Hour), -1), func(o *Options) { o.Registry = w.reg }, sdjwtvc.ErrUntrustedIssuer, ""},
		{"issuer not in registry", w.issue(t, stranger, vctReg, tAdmit.Add(time.Hour), -1), func(o *Options) { o.Registry = w.reg }, sdjwtvc.ErrUntrustedIssuer, ""},
		{"status list missing offline", w.issue(t, w.ngo, vctReg, tAdmit.Add(time.Hour), 3), func(o *Options) { o.Bundle = emptyBundle }, ErrStatusUnavailable, ""},
		{"status fetched online", w.issue(t, w.ngo, vctReg, tAdmit.Add(time.Hour), 7), func(o *Options) {
			o.Registry = w.reg
			o.FetchStatusList = func(_ context.Context, uri string) (string, error) { return w.token(t, w.ngo), nil }
		}, ErrRevoked, "revoked"},
		{"fetched list signed by another issuer", w.issue(t, w.ngo, vctReg, tAdmit.Add(time.Hour), 3), func(o *Options) {
			o.Registry = w.reg
			o.FetchStatusList = func(_ context.Context, uri string) (string, error) { return w.token(t, w.clinic), nil }
		}, ErrStatusUnavailable, ""},
		{"fetch fails", w.issue(t, w.ngo, vctReg, tAdmit.Add(time.Hour), 3), func(o *Options) {
			o.Registry = w.reg
			o.FetchStatusList = func(context.Context, string) (string, error) { return "", errors.New("offline") }
		}, ErrStatusUnavailable, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := baseOptions()
			tc.opts(&o)
			out, err := Verify(context.Background(), tc.cred, o)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if out == nil {
				t.Fatal("no outcome")
			}
			if out.Status != tc.wantStatus {
				t.Fatalf("status = %q, want %q", out.Status, tc.wantStatus)
			}
			if tc.want == nil && (out.Result == nil || out.Result.Claims["vct"] == nil) {
				t.Fatal("valid outcome without result")
			}
		})
	}
}

func TestDecisionExplains(t *testing.T) {
	w := newWorld(t)
	o := baseOptions()
	o.Registry = w.reg
	out, err := Verify(context.Background(), w.issue(t, w.clinic, vctReg, tSuspend.Add(-time.Hour), -1), o)
	if err != nil {
		t.Fatal(err)
	}
	if out.Decision == nil || !out.Decision.Authorized || out.Decision.CurrentStatus != trust.StatusSuspended {
		t.Fatalf("decision %+v: want authorized at iat and current status suspended", out.Decision)
	}
	if !strings.Contains(out.Decision.Entity.Name("en"), "Clinic") {
		t.Fatalf("entity %+v", out.Decision.Entity)
	}
}

// TestSkipUndisclosed: the count of undisclosed digests is made unless
// the caller skips it; nothing else changes.
func TestSkipUndisclosed(t *testing.T) {
	w := newWorld(t)
	cred := w.issue(t, w.ngo, vctReg, tAdmit.Add(time.Hour), -1)
	for _, skip := range []bool{false, true} {
		o := baseOptions()
		o.Registry, o.SkipUndisclosed = w.reg, skip
		out, err := Verify(context.Background(), cred, o)
		if err != nil {
			t.Fatal(err)
		}
		if (out.Undisclosed == nil) != skip || out.Result == nil {
			t.Errorf("skip %v: undisclosed %v", skip, out.Undisclosed)
		}
	}
}

// TestVerifyThroughStatusCache: with Options.StatusLists, the credentials
// on one list cost one fetch (the list is verified once, for its
// issuer); a list signed by another issuer is refused and never serves
// the credential; a failed fetch is ErrStatusUnavailable.
func TestVerifyThroughStatusCache(t *testing.T) {
	w := newWorld(t)
	fetches := 0
	signer := w.ngo
	cache := &statuslist.Cache{Now: func() time.Time { return tNow }, Fetch: func(context.Context, string) (string, error) {
		fetches++
		if signer == nil {
			return "", errors.New("offline")
		}
		return w.token(t, signer), nil
	}}
	o := baseOptions()
	o.Registry = w.reg
	o.StatusLists = cache
	for i, tc := range []struct {
		idx    int
		want   error
		status string
	}{{3, nil, "valid"}, {7, ErrRevoked, "revoked"}, {9, ErrSuspended, "suspended"}, {3, nil, "valid"}} {
		out, err := Verify(context.Background(), w.issue(t, w.ngo, vctReg, tAdmit.Add(time.Hour), tc.idx), o)
		if !errors.Is(err, tc.want) || out.Status != tc.status || out.StatusFrom != listURI || !out.StatusFetchedAt.Equal(tNow) {
			t.Fatalf("%d: %v, %+v", i, err, out)
		}
	}
	if fetches != 1 {
		t.Fatalf("%d fetches for four credentials on one list, want 1", fetches)
	}
	// Another list copy, signed by the wrong issuer, for a fresh cache.
	signer = w.clinic
	o.StatusLists = &statuslist.Cache{Now: cache.Now, Fetch: cache.Fetch}
	if _, err := Verify(context.Background(), w.issue(t, w.ngo, vctReg, tAdmit.Add(time.Hour), 3), o); !errors.Is(err, ErrStatusUnavailable) {
		t.Fatalf("list signed by another issuer: %v", err)
	}
	signer = nil
	o.StatusLists = &statuslist.Cache{Now: cache.Now, Fetch: cache.Fetch}
	if _, err := Verify(context.Background(), w.issue(t, w.ngo, vctReg, tAdmit.Add(time.Hour), 3), o); !errors.Is(err, ErrStatusUnavailable) {
		t.Fatalf("fetch fails: %v", err)
	}
}
