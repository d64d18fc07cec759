package registry_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/registry"
)

func (f *fixture) entity(t *testing.T, did string) *trust.Entity {
	t.Helper()
	st, err := f.svc.Show(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e := st.Registry.Entity(did)
	if e == nil {
		t.Fatalf("%s not registered", did)
	}
	return e
}

func ip(v int) *int { return &v }

// TestServiceAmendAndEnd corrects a mistaken authorization and checks that
// the answers about the past stay what they were.
func TestServiceAmendAndEnd(t *testing.T) {
	f := newFixture(t)
	f.admit(t)
	ctx := context.Background()
	e := f.entity(t, ngoDID)
	if len(e.IssuerAuthorizations) != 1 || e.IssuerAuthorizations[0].ID != "a1" {
		t.Fatalf("first authorization: %+v", e.IssuerAuthorizations)
	}
	granted0 := f.clk.Now()

	// Authorizing the same type again for the same jurisdiction would make
	// two entries: refused, naming the one to amend.
	_, err := f.svc.GrantIssuer(ctx, ngoDID, trust.IssuerAuthorization{VCT: vct, MaxStrength: 2, MaxValidity: 3, MaxVerification: 2, Jurisdiction: "GR"})
	if !errors.Is(err, registry.ErrAuthorizationExists) || !strings.Contains(err.Error(), "a1") {
		t.Fatalf("second authorization for the same type: %v", err)
	}
	// Another jurisdiction is another authorization.
	cy, err := f.svc.GrantIssuer(ctx, ngoDID, trust.IssuerAuthorization{VCT: vct, MaxStrength: 1, MaxValidity: 1, Jurisdiction: "CY", Until: granted0.Add(time.Hour)})
	if err != nil || cy.ID != "a2" {
		t.Fatalf("CY: %+v %v", cy, err)
	}

	// A day later the board raises the verification cap of a1.
	f.clk.Advance(24 * time.Hour)
	amendedAt := f.clk.Now()
	a3, err := f.svc.AmendAuthorization(ctx, ngoDID, "a1", registry.Amendment{MaxVerification: ip(2), Reason: "verification cap forgotten"})
	if err != nil || a3 != "a3" {
		t.Fatalf("amend: %q %v", a3, err)
	}
	e = f.entity(t, ngoDID)
	old, amended := e.IssuerAuthorizations[0], e.IssuerAuthorizations[2]
	if !old.Until.Equal(amendedAt) || old.Ended == nil || old.Ended.Reason != "verification cap forgotten" || old.MaxVerification != 0 {
		t.Fatalf("old entry after amendment: %+v", old)
	}
	if amended.ID != "a3" || amended.Replaces != "a1" || !amended.From.Equal(amendedAt) || !amended.Until.IsZero() ||
		amended.MaxStrength != 2 || amended.MaxValidity != 3 || amended.MaxVerification != 2 || amended.Jurisdiction != "GR" {
		t.Fatalf("amendment: %+v", amended)
	}
	st, _ := f.svc.Show(ctx)
	for _, tc := range []struct {
		at  time.Time
		id  string
		ver int
	}{
		{granted0.Add(time.Hour), "a1", 0},
		{amendedAt.Add(-time.Second), "a1", 0},
		{amendedAt, "a3", 2},
	} {
		d, err := st.Registry.IssuerAuthorized(ngoDID, vct, tc.at)
		if err != nil || !d.Authorized || d.Authorization.ID != tc.id || d.Authorization.MaxVerification != tc.ver {
			t.Fatalf("at %s: %+v %v, want %s", tc.at, d.Authorization, err, tc.id)
		}
	}

	// Amending an ended entry, or ending it again, is refused.
	if _, err := f.svc.AmendAuthorization(ctx, ngoDID, "a1", registry.Amendment{MaxStrength: ip(1)}); !errors.Is(err, registry.ErrInvalidInput) {
		t.Fatalf("amend ended: %v", err)
	}
	if _, err := f.svc.EndAuthorization(ctx, ngoDID, "a1", time.Time{}, ""); !errors.Is(err, registry.ErrInvalidInput) {
		t.Fatalf("end ended: %v", err)
	}
	for name, err := range map[string]error{
		"unknown id": func() error { _, err := f.svc.EndAuthorization(ctx, ngoDID, "a9", time.Time{}, ""); return err }(),
		"other entity": func() error {
			_, err := f.svc.AmendAuthorization(ctx, deskDID, "a3", registry.Amendment{Reason: "x"})
			return err
		}(),
	} {
		if !errors.Is(err, registry.ErrUnknownAuthorization) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := f.svc.AmendAuthorization(ctx, ngoDID, "a3", registry.Amendment{Claims: []string{"given_name"}}); !errors.Is(err, registry.ErrInvalidInput) {
		t.Fatalf("claims on an issuer authorization: %v", err)
	}
	if _, err := f.svc.AmendAuthorization(ctx, ngoDID, "a3", registry.Amendment{MaxStrength: ip(5)}); !errors.Is(err, registry.ErrInvalidInput) {
		t.Fatalf("cap out of range: %v", err)
	}

	// Ended a week later: from then on nothing answers.
	f.clk.Advance(7 * 24 * time.Hour)
	endedAt := f.clk.Now()
	if withdrawn, err := f.svc.EndAuthorization(ctx, ngoDID, "a3", time.Time{}, "programme closed"); err != nil || withdrawn {
		t.Fatalf("end a3: %v %v", withdrawn, err)
	}
	st, _ = f.svc.Show(ctx)
	if d, _ := st.Registry.IssuerAuthorized(ngoDID, vct, endedAt); d.Authorized || d.Reason != trust.ReasonAuthorizationTime {
		t.Fatalf("after the end: %+v", d.Authorization)
	}
	if d, _ := st.Registry.IssuerAuthorized(ngoDID, vct, endedAt.Add(-time.Second)); !d.Authorized || d.Authorization.ID != "a3" {
		t.Fatalf("before the end: %+v", d.Authorization)
	}

	// An end in the past is allowed (the board learns late); an end after
	// the planned one is not an end.
	if _, err := f.svc.EndAuthorization(ctx, ngoDID, "a2", granted0.Add(2*time.Hour), ""); !errors.Is(err, registry.ErrInvalidInput) {
		t.Fatalf("end a2 after its end: %v", err)
	}
	if _, err := f.svc.EndAuthorization(ctx, ngoDID, "a2", granted0.Add(30*time.Minute), "learnt late"); err != nil {
		t.Fatalf("end a2 in the past: %v", err)
	}
	if a2 := f.entity(t, ngoDID).IssuerAuthorizations[1]; !a2.Until.Equal(granted0.Add(30*time.Minute)) || a2.Ended == nil || !a2.Ended.At.Equal(f.clk.Now()) {
		t.Fatalf("a2 ended in the past: %+v", a2)
	}

	// An authorization that has not started covers no time: ending it withdraws it.
	future, err := f.svc.GrantIssuer(ctx, ngoDID, trust.IssuerAuthorization{VCT: "urn:cairn:vct:language-skills:1", MaxStrength: 1, MaxValidity: 1, From: endedAt.Add(30 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if withdrawn, err := f.svc.EndAuthorization(ctx, ngoDID, future.ID, time.Time{}, "typo"); err != nil || !withdrawn {
		t.Fatalf("withdraw: %v %v", withdrawn, err)
	}
	for _, a := range f.entity(t, ngoDID).IssuerAuthorizations {
		if a.ID == future.ID {
			t.Fatal("withdrawn authorization still listed")
		}
	}

	// Verifiers: the claims of a purpose are amended the same way.
	if _, err := f.svc.AmendAuthorization(ctx, deskDID, "a1", registry.Amendment{Claims: []string{"given_name", "birthdate"}}); err != nil {
		t.Fatal(err)
	}
	st, _ = f.svc.Show(ctx)
	if d, _ := st.Registry.VerifierMayRequest(deskDID, "intake", []string{"birthdate"}, f.clk.Now()); !d.Authorized || d.VerifierAuthorization.Replaces != "a1" {
		t.Fatalf("amended purpose: %+v", d)
	}
	if d, _ := st.Registry.VerifierMayRequest(deskDID, "intake", []string{"birthdate"}, granted0.Add(time.Hour)); d.Authorized {
		t.Fatal("the amendment changed the past")
	}
	if _, err := f.svc.AmendAuthorization(ctx, deskDID, "a2", registry.Amendment{MaxStrength: ip(1)}); !errors.Is(err, registry.ErrInvalidInput) {
		t.Fatalf("caps on a verifier authorization: %v", err)
	}
}

// TestServiceLegacyAuthorizationsGetIDs: a registry written before ids
// existed gets them, by position, on the next change.
func TestServiceLegacyAuthorizationsGetIDs(t *testing.T) {
	f := newFixture(t)
	f.admit(t)
	ctx := context.Background()
	st, _ := f.svc.Show(ctx)
	e := st.Registry.Entity(ngoDID)
	e.IssuerAuthorizations[0].ID = ""
	e.IssuerAuthorizations = append(e.IssuerAuthorizations, trust.IssuerAuthorization{VCT: "urn:x", MaxStrength: 1, MaxValidity: 1, From: t0.Add(-time.Hour)})
	if _, err := f.store.Put(ctx, st); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.EndAuthorization(ctx, ngoDID, "a2", time.Time{}, ""); err != nil {
		t.Fatal(err)
	}
	got := f.entity(t, ngoDID).IssuerAuthorizations
	if got[0].ID != "a1" || got[1].ID != "a2" || got[1].Ended == nil {
		t.Fatalf("%+v", got)
	}
}

func TestServiceAddEntityRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		in    registry.NewEntity
		words []string
	}{
		{"did:example", registry.NewEntity{DID: "did:example:ngo", Role: trust.RoleIssuer, Names: map[string]string{"en": "NGO"}}, []string{"did:jwk, did:key, did:web"}},
		{"no English name", registry.NewEntity{DID: "did:web:ngo.example", Role: trust.RoleIssuer, Names: map[string]string{"fr": "ONG"}}, []string{"English"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.AddEntity(ctx, tc.in)
			if !errors.Is(err, registry.ErrInvalidInput) {
				t.Fatalf("accepted: %v", err)
			}
			for _, w := range tc.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v does not say %q", err, w)
				}
			}
		})
	}
}
