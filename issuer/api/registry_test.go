package api

import (
	"bytes"
	"context"
	"errors"
	"github.com/cairn-id/cairn/issuer"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/did"
	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/keys"
	"github.com/cairn-id/cairn/internal/trust"
)

// regAuthority signs registry snapshots for the reload tests.
type regAuthority struct {
	did    string
	jwk    *jose.JWK
	signer *jose.Signer
}

func newRegAuthority(t *testing.T) *regAuthority {
	t.Helper()
	k, err := keys.Generate(jose.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := did.FromJWK(k.PublicJWK())
	return &regAuthority{did: d, jwk: k.PublicJWK(), signer: k.JoseSigner().WithKeyID(d + "#0")}
}

// snapshot signs version v of registry urn:test authorizing issuerDID for
// testVCT, valid from iat for ttl.
func (a *regAuthority) snapshot(t *testing.T, id string, v uint64, issuerDID string, iat time.Time, ttl time.Duration) string {
	t.Helper()
	from := iat.AddDate(-1, 0, 0)
	r := &trust.Registry{ID: id, Name: "Test", Authority: a.did, Version: v, IssuedAt: iat, Expires: iat.Add(ttl),
		Entities: []trust.Entity{{
			DID: issuerDID, Role: trust.RoleIssuer, Status: trust.StatusActive, Names: map[string]string{"en": "NGO"},
			StatusHistory: []trust.StatusChange{{Status: trust.StatusActive, At: from}}, ValidFrom: from,
			IssuerAuthorizations: []trust.IssuerAuthorization{{VCT: testVCT, MaxStrength: 4, MaxValidity: 4, MaxVerification: 4, From: from}},
		}}}
	s, err := trust.SignSnapshot(r, a.signer)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestReloadRegistry(t *testing.T) {
	ctx := context.Background()
	auth, impostor := newRegAuthority(t), newRegAuthority(t)
	var logs bytes.Buffer
	f := newFixture(t, func(c *fixtureConfig) { c.Logger = slog.New(slog.NewJSONHandler(&logs, nil)) })
	t0 := f.clk.Now()
	// file is what the loader reads, as a server reads its --registry file.
	var file string
	load := func(ctx context.Context, now time.Time) (*trust.Registry, error) {
		return trust.VerifySnapshot(file, []*jose.JWK{auth.jwk}, now)
	}
	file = auth.snapshot(t, "urn:test", 1, f.svc.DID(), t0, 48*time.Hour)
	if r, err := f.svc.ReloadRegistry(ctx, load); err != nil || r.Version != 1 {
		t.Fatalf("first load: %v %v", r, err)
	}
	if _, err := f.svc.CreateOffer(ctx, issuer.OfferRequest{VCT: testVCT, Claims: testClaims()}); err != nil {
		t.Fatalf("offer under v1: %v", err)
	}

	steps := []struct {
		name        string
		file        func() string
		wantErr     error
		wantVersion uint64
	}{
		{"newer version is used", func() string { return auth.snapshot(t, "urn:test", 3, f.svc.DID(), t0, 48*time.Hour) }, nil, 3},
		{"same version again changes nothing", func() string { return auth.snapshot(t, "urn:test", 3, f.svc.DID(), t0, 48*time.Hour) }, nil, 3},
		{"bad signature keeps the previous", func() string { return impostor.snapshot(t, "urn:test", 9, f.svc.DID(), t0, 48*time.Hour) }, trust.ErrSnapshotSignature, 3},
		{"truncated file keeps the previous", func() string { return file[:len(file)/2] }, trust.ErrSnapshotMalformed, 3},
		{"rollback keeps the previous", func() string { return auth.snapshot(t, "urn:test", 2, f.svc.DID(), t0, 48*time.Hour) }, trust.ErrSnapshotRollback, 3},
		{"another registry keeps the previous", func() string { return auth.snapshot(t, "urn:other", 4, f.svc.DID(), t0, 48*time.Hour) }, issuer.ErrRegistryReload, 3},
		{"expired file keeps the previous", func() string {
			return auth.snapshot(t, "urn:test", 5, f.svc.DID(), t0.Add(-72*time.Hour), 48*time.Hour)
		}, trust.ErrSnapshotExpired, 3},
		{"then a good newer one", func() string { return auth.snapshot(t, "urn:test", 6, f.svc.DID(), t0, 2*time.Hour) }, nil, 6},
	}
	for _, st := range steps {
		file = st.file()
		logs.Reset()
		r, err := f.svc.ReloadRegistry(ctx, load)
		if !errors.Is(err, st.wantErr) || (st.wantErr == nil) != (err == nil) {
			t.Errorf("%s: err %v, want %v", st.name, err, st.wantErr)
		}
		if r == nil || r.Version != st.wantVersion || f.svc.Registry().Version != st.wantVersion {
			t.Errorf("%s: in use %v, want version %d", st.name, r, st.wantVersion)
		}
		if st.wantErr != nil && !strings.Contains(logs.String(), `"level":"WARN"`) {
			t.Errorf("%s: no warning logged: %s", st.name, logs.String())
		}
	}

	// v6 expires two hours after t0: offers then fail closed, locally and
	// through the admin API, and a reload of the same stale file does not
	// revive them.
	f.clk.Advance(2 * time.Hour)
	_, err := f.svc.CreateOffer(ctx, issuer.OfferRequest{VCT: testVCT, Claims: testClaims()})
	if !errors.Is(err, issuer.ErrRegistryExpired) || !errors.Is(err, issuer.ErrNotAuthorized) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("offer under an expired registry: %v", err)
	}
	if _, err := f.svc.ReloadRegistry(ctx, load); !errors.Is(err, trust.ErrSnapshotExpired) {
		t.Errorf("reload of the expired file: %v", err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/admin/offers", strings.NewReader(`{"vct":"`+testVCT+`","claims":{"given_name":"A"}}`))
	req.Header.Set("Content-Type", "application/json")
	NewAdmin(f.svc, nil).ServeHTTP(rec, req)
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), `"code":"registry_expired"`) {
		t.Errorf("admin offer under an expired registry: %d %s", rec.Code, rec.Body)
	}
	// A fresh snapshot makes offers possible again.
	file = auth.snapshot(t, "urn:test", 7, f.svc.DID(), f.clk.Now(), 48*time.Hour)
	if _, err := f.svc.ReloadRegistry(ctx, load); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateOffer(ctx, issuer.OfferRequest{VCT: testVCT, Claims: testClaims()}); err != nil {
		t.Errorf("offer after a fresh snapshot: %v", err)
	}
}
