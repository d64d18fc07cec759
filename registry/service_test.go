package registry_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/jose"
	"github.com/cairn-id/cairn/internal/testkit"
	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/registry"
)

var t0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

func newKey(t testing.TB) crypto.Signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type fixture struct {
	svc   *registry.Service
	store registry.Store
	clk   *testkit.Clock
	key   crypto.Signer
	st    *registry.State
}

const (
	ngoDID  = "did:web:ngo.example"
	deskDID = "did:web:desk.example"
	vct     = "https://cairn.example/vct/identity-attestation"
)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{store: newBolt(t), clk: testkit.NewClock(t0), key: newKey(t)}
	t.Cleanup(func() { f.store.Close() })
	f.svc = &registry.Service{Store: f.store, Now: f.clk.Now}
	st, err := f.svc.Init(context.Background(), "", "Pilot Board", f.key)
	if err != nil {
		t.Fatal(err)
	}
	f.st = st
	return f
}

// admit adds the NGO issuer and the desk verifier with one authorization each.
func (f *fixture) admit(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if _, err := f.svc.AddEntity(ctx, registry.NewEntity{DID: ngoDID, Role: trust.RoleIssuer, Names: map[string]string{"en": "Helping Hands", "FR": " Mains "}}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AuthorizeIssuer(ctx, ngoDID, trust.IssuerAuthorization{VCT: vct, MaxStrength: 2, MaxValidity: 3, Jurisdiction: "GR"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AddEntity(ctx, registry.NewEntity{DID: deskDID, Role: trust.RoleVerifier, Names: map[string]string{"en": "Desk"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AuthorizeVerifier(ctx, deskDID, trust.VerifierAuthorization{Purpose: "intake", Claims: []string{"given_name", "family_name", "/family_name"}}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) pinned() []*jose.JWK { return []*jose.JWK{f.st.Authority.PublicJWK} }

func TestServiceLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.admit(t)
	st, _ := f.svc.Show(ctx)
	ngo := st.Registry.Entity(ngoDID)
	if ngo == nil || ngo.Names["fr"] != "Mains" || !ngo.ValidFrom.Equal(t0) || ngo.IssuerAuthorizations[0].From != t0 {
		t.Fatalf("ngo stored as %+v", ngo)
	}
	if got := st.Registry.Entity(deskDID).VerifierAuthorizations[0].Claims; !reflect.DeepEqual(got, []string{"/family_name", "/given_name"}) {
		t.Fatalf("claims stored as %v", got)
	}

	f.clk.Advance(time.Hour)
	v, compact, err := f.svc.Publish(ctx, f.key, 24*time.Hour)
	if err != nil || v != 1 {
		t.Fatalf("publish: %d %v", v, err)
	}
	issued := f.clk.Now().Add(time.Minute) // a credential issued after publishing
	f.clk.Advance(10 * 24 * time.Hour)
	if err := f.svc.Suspend(ctx, ngoDID, "audit"); err != nil {
		t.Fatal(err)
	}
	v2, compact2, err := f.svc.Publish(ctx, f.key, 24*time.Hour)
	if err != nil || v2 != 2 {
		t.Fatalf("second publish: %d %v", v2, err)
	}
	reg, err := trust.VerifySnapshot(compact2, f.pinned(), f.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	d, _ := reg.IssuerAuthorized(ngoDID, vct, issued)
	if !d.Authorized || d.CurrentStatus != trust.StatusSuspended {
		t.Fatalf("issued before suspension: %+v", d)
	}
	d, _ = reg.IssuerAuthorized(ngoDID, vct, f.clk.Now().Add(time.Minute))
	if d.Authorized || d.Reason != trust.ReasonSuspendedAtTime {
		t.Fatalf("issued after suspension: %+v", d)
	}
	// The first snapshot has expired by now but still verifies at its time.
	if _, err := trust.VerifySnapshot(compact, f.pinned(), f.clk.Now()); !errors.Is(err, trust.ErrSnapshotExpired) {
		t.Fatalf("old snapshot: %v", err)
	}
	if lv, lc, _ := f.store.Latest(ctx); lv != 2 || lc != compact2 {
		t.Fatalf("latest = %d", lv)
	}

	f.clk.Advance(time.Hour)
	if err := f.svc.Reinstate(ctx, ngoDID, "audit passed"); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(time.Hour)
	if err := f.svc.Revoke(ctx, ngoDID, "key leaked", true); err != nil {
		t.Fatal(err)
	}
	_, compact3, err := f.svc.Publish(ctx, f.key, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	reg, _ = trust.VerifySnapshot(compact3, f.pinned(), f.clk.Now())
	if d, _ := reg.IssuerAuthorized(ngoDID, vct, issued); d.Authorized || d.Reason != trust.ReasonCompromised {
		t.Fatalf("compromised revocation must taint the past: %+v", d)
	}
	hist := reg.Entity(ngoDID).StatusHistory
	if len(hist) != 4 || hist[1].Reason != "audit" || !hist[3].Compromised {
		t.Fatalf("history %+v", hist)
	}
}

func TestServiceRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.admit(t)
	before, _ := f.store.Get(ctx)
	cases := map[string]func() error{
		"second init": func() error { _, err := f.svc.Init(ctx, "", "Other", f.key); return err },
		"not a DID": func() error {
			_, err := f.svc.AddEntity(ctx, registry.NewEntity{DID: "ngo", Role: trust.RoleIssuer, Names: map[string]string{"en": "x"}})
			return err
		},
		"DID URL": func() error {
			_, err := f.svc.AddEntity(ctx, registry.NewEntity{DID: "did:web:x.example#0", Role: trust.RoleIssuer, Names: map[string]string{"en": "x"}})
			return err
		},
		"bad role": func() error {
			_, err := f.svc.AddEntity(ctx, registry.NewEntity{DID: "did:web:x.example", Role: "admin", Names: map[string]string{"en": "x"}})
			return err
		},
		"no names": func() error {
			_, err := f.svc.AddEntity(ctx, registry.NewEntity{DID: "did:web:x.example", Role: trust.RoleIssuer})
			return err
		},
		"empty name": func() error {
			_, err := f.svc.AddEntity(ctx, registry.NewEntity{DID: "did:web:x.example", Role: trust.RoleIssuer, Names: map[string]string{"en": " "}})
			return err
		},
		"duplicate": func() error {
			_, err := f.svc.AddEntity(ctx, registry.NewEntity{DID: ngoDID, Role: trust.RoleIssuer, Names: map[string]string{"en": "x"}})
			return err
		},
		"unknown entity": func() error {
			return f.svc.AuthorizeIssuer(ctx, "did:example:none", trust.IssuerAuthorization{VCT: vct, MaxStrength: 1, MaxValidity: 1})
		},
		"cap too high": func() error {
			return f.svc.AuthorizeIssuer(ctx, ngoDID, trust.IssuerAuthorization{VCT: vct, MaxStrength: 5, MaxValidity: 1})
		},
		"cap missing": func() error {
			return f.svc.AuthorizeIssuer(ctx, ngoDID, trust.IssuerAuthorization{VCT: vct, MaxValidity: 1})
		},
		"no vct": func() error {
			return f.svc.AuthorizeIssuer(ctx, ngoDID, trust.IssuerAuthorization{MaxStrength: 1, MaxValidity: 1})
		},
		"until before from": func() error {
			return f.svc.AuthorizeIssuer(ctx, ngoDID, trust.IssuerAuthorization{VCT: vct, MaxStrength: 1, MaxValidity: 1, Until: t0.Add(-time.Hour)})
		},
		"issuer as verifier": func() error {
			return f.svc.AuthorizeVerifier(ctx, ngoDID, trust.VerifierAuthorization{Purpose: "p", Claims: []string{"a"}})
		},
		"verifier as issuer": func() error {
			return f.svc.AuthorizeIssuer(ctx, deskDID, trust.IssuerAuthorization{VCT: vct, MaxStrength: 1, MaxValidity: 1})
		},
		"bad claim": func() error {
			return f.svc.AuthorizeVerifier(ctx, deskDID, trust.VerifierAuthorization{Purpose: "p", Claims: []string{"/a//b"}})
		},
		"no claims":         func() error { return f.svc.AuthorizeVerifier(ctx, deskDID, trust.VerifierAuthorization{Purpose: "p"}) },
		"reinstate active":  func() error { return f.svc.Reinstate(ctx, ngoDID, "") },
		"suspend unknown":   func() error { return f.svc.Suspend(ctx, "did:example:none", "") },
		"publish wrong key": func() error { _, _, err := f.svc.Publish(ctx, newKey(t), time.Hour); return err },
		"publish zero ttl":  func() error { _, _, err := f.svc.Publish(ctx, f.key, 0); return err },
	}
	wants := map[string]error{
		"second init": registry.ErrAlreadyInitialized, "duplicate": registry.ErrEntityExists,
		"unknown entity": registry.ErrUnknownEntity, "suspend unknown": registry.ErrUnknownEntity,
		"reinstate active": registry.ErrStatusTransition, "publish wrong key": registry.ErrWrongKey,
	}
	for name, call := range cases {
		err := call()
		want := wants[name]
		if want == nil {
			want = registry.ErrInvalidInput
		}
		if !errors.Is(err, want) {
			t.Errorf("%s: err %v, want %v", name, err, want)
		}
	}
	after, _ := f.store.Get(ctx)
	if after.Revision != before.Revision {
		t.Errorf("refused calls changed the store: revision %d -> %d", before.Revision, after.Revision)
	}
	if _, _, err := f.store.Latest(ctx); !errors.Is(err, registry.ErrNoSnapshot) {
		t.Errorf("refused publish stored a snapshot: %v", err)
	}
	// Revoked is final.
	if err := f.svc.Revoke(ctx, ngoDID, "closed", false); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Reinstate(ctx, ngoDID, ""); !errors.Is(err, registry.ErrStatusTransition) {
		t.Errorf("reinstate revoked: %v", err)
	}
	if err := f.svc.AuthorizeIssuer(ctx, ngoDID, trust.IssuerAuthorization{VCT: vct, MaxStrength: 1, MaxValidity: 1}); !errors.Is(err, registry.ErrStatusTransition) {
		t.Errorf("authorize revoked: %v", err)
	}
}

func TestServiceNotInitialized(t *testing.T) {
	svc := &registry.Service{Store: newBolt(t), Now: testkit.NewClock(t0).Now}
	defer svc.Store.Close()
	if _, err := svc.AddEntity(context.Background(), registry.NewEntity{DID: ngoDID, Role: trust.RoleIssuer, Names: map[string]string{"en": "x"}}); !errors.Is(err, registry.ErrNotInitialized) {
		t.Fatalf("AddEntity before Init: %v", err)
	}
	if _, err := svc.Init(context.Background(), "", "", newKey(t)); !errors.Is(err, registry.ErrInvalidInput) {
		t.Fatalf("Init without name: %v", err)
	}
}

func TestServiceTimesAreWholeSeconds(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.clk.Set(t0.Add(700 * time.Millisecond))
	f.admit(t)
	if _, _, err := f.svc.Publish(ctx, f.key, time.Hour); err != nil {
		t.Fatal(err)
	}
	_, compact, _ := f.store.Latest(ctx)
	reg, err := trust.VerifySnapshot(compact, f.pinned(), f.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	// A credential issued in the same second carries iat = t0 (NumericDate).
	if d, _ := reg.IssuerAuthorized(ngoDID, vct, t0); !d.Authorized {
		t.Fatalf("credential issued in the second of admission: %+v", d)
	}
}
