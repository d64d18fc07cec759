package trustview

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/schemas"
	"github.com/cairn-id/cairn/web"
)

var t0 = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

// Sample is a registry with an issuer (one current, one ended
// authorization, a suspension and reinstatement) and a verifier.
func Sample() *trust.Registry {
	return &trust.Registry{ID: "urn:cairn:registry:demo", Name: "Demo board", Authority: "did:jwk:authority", Version: 7,
		IssuedAt: t0.Add(-3 * time.Hour), Expires: t0.Add(21 * time.Hour),
		Entities: []trust.Entity{
			{DID: "did:jwk:clinic", Names: map[string]string{"en": "Hope Clinic", "fr": "Clinique Espoir", "ar": "عيادة الأمل"}, Role: trust.RoleIssuer,
				Status: trust.StatusActive, ValidFrom: t0.AddDate(-1, 0, 0),
				StatusHistory: []trust.StatusChange{{Status: trust.StatusActive, At: t0.AddDate(-1, 0, 0)},
					{Status: trust.StatusSuspended, At: t0.AddDate(0, -2, 0), Reason: "audit"}, {Status: trust.StatusActive, At: t0.AddDate(0, -1, 0), Reason: "audit passed"}},
				IssuerAuthorizations: []trust.IssuerAuthorization{
					{ID: "a1", VCT: "urn:cairn:vct:health-attestation:1", MaxStrength: 2, MaxValidity: 2, From: t0.AddDate(-1, 0, 0), Until: t0.AddDate(0, -1, 0),
						Ended: &trust.AuthorizationEnd{At: t0.AddDate(0, -1, 0), Reason: "amended"}},
					{ID: "a2", Replaces: "a1", VCT: "urn:cairn:vct:health-attestation:1", MaxStrength: 3, MaxValidity: 2, MaxVerification: 2, Jurisdiction: "LB", From: t0.AddDate(0, -1, 0)},
				}},
			{DID: "did:jwk:desk", Names: map[string]string{"en": "City help desk"}, Role: trust.RoleVerifier, Status: trust.StatusRevoked, ValidFrom: t0.AddDate(-1, 0, 0),
				StatusHistory:          []trust.StatusChange{{Status: trust.StatusRevoked, At: t0.AddDate(0, 0, -1), Reason: "closed", Compromised: true}},
				VerifierAuthorizations: []trust.VerifierAuthorization{{ID: "v1", Purpose: "housing", Claims: []string{"/family_name", "/address"}, From: t0.AddDate(-1, 0, 0)}}},
		}}
}

func serve(t *testing.T, src Source, target, lang string) *httptest.ResponseRecorder {
	t.Helper()
	cat, _ := schemas.Load()
	h, err := New(Config{Source: src, Catalogue: cat, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	site, _ := web.New(web.Config{SessionKey: bytes.Repeat([]byte{5}, 32)})
	site.Mount("/trust/", NavLabel, NavDescription, h)
	r := httptest.NewRequest("GET", target, nil)
	r.Header.Set("Accept-Language", lang)
	rec := httptest.NewRecorder()
	site.Handler().ServeHTTP(rec, r)
	return rec
}

func TestRegistryPage(t *testing.T) {
	src := func(context.Context) (*trust.Registry, error) { return Sample(), nil }
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"en", []string{"Demo board", "Hope Clinic", "Clinique Espoir", "did:jwk:clinic", "Health attestation", "strength 3, validity 2, verification 2",
			"ended on", "amended", "replaces a1", "suspended", "audit passed", "City help desk", "revoked", "(key compromised)", "housing",
			"/family_name, /address", "3 hours ago", "not in force now", "Issuers (1)", "Verifiers (1)"}},
		{"fr", []string{"Clinique Espoir", "Émetteurs (1)", "il y a 3 heures", "suspendu"}},
		{"ar", []string{`dir="rtl"`, "عيادة الأمل", "سجل الثقة"}},
	} {
		rec := serve(t, src, "/trust/", tc.lang)
		page := rec.Body.String()
		if rec.Code != 200 {
			t.Fatalf("%s: %d", tc.lang, rec.Code)
		}
		for _, w := range tc.want {
			if !strings.Contains(page, w) {
				t.Errorf("%s: no %q", tc.lang, w)
			}
		}
		if strings.Contains(page, "<form") {
			t.Errorf("%s: the read-only page has a form", tc.lang)
		}
	}
}

func TestRegistryPageProblems(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
		want string
	}{
		{ErrNoSnapshot, 200, "has not published a snapshot"},
		{trust.ErrSnapshotExpired, 503, "has expired"},
		{errors.New("disk on fire"), 500, "could not be read"},
	} {
		rec := serve(t, func(context.Context) (*trust.Registry, error) { return nil, tc.err }, "/trust/", "en")
		if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.want) || strings.Contains(rec.Body.String(), "disk on fire") {
			t.Errorf("%v: %d %s", tc.err, rec.Code, rec.Body)
		}
	}
	r := httptest.NewRequest("POST", "/trust/", nil)
	h, _ := New(Config{Source: func(context.Context) (*trust.Registry, error) { return Sample(), nil }})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
}
