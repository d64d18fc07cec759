package vccheck

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/sdjwtvc"
	"github.com/cairn-id/cairn/schemas"
)

func catalogue(t *testing.T) *schemas.Catalogue {
	t.Helper()
	c, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// issueID issues an identity attestation by the NGO, with claimed evidence
// 3/3/3, every claim disclosable and each nationality on its own.
func (w *world) issueID(t *testing.T) string {
	t.Helper()
	c := sdjwtvc.Credential{
		VCT: vctID, Issuer: w.ngo.DIDJWK(), IssuedAt: tAdmit.Add(time.Hour), HolderJWK: w.holder.PublicJWK(),
		Claims: map[string]any{"given_name": "Amina", "family_name": "Yusuf", "birthdate": "1994-07-02", "sex": 2,
			"nationalities": []any{"SY", "LB"}, "evidence": map[string]any{"strength": 3, "validity": 3, "verification": 3}},
		Disclosable: []string{"/given_name", "/family_name", "/birthdate", "/sex", "/nationalities/*"},
	}
	s, err := sdjwtvc.Issue(c, sdjwtvc.IssueOptions{Signer: w.ngo.JoseSigner().WithKeyID(w.ngo.DIDJWK() + "#0")})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// present discloses paths to nonce n-1 and audience desk (kbOptions).
func (w *world) present(t *testing.T, cred string, paths ...string) string {
	t.Helper()
	p, err := sdjwtvc.Present(cred, w.holder.JoseSigner(), sdjwtvc.PresentOptions{Paths: paths, Nonce: "n-1", Audience: "desk", Now: func() time.Time { return tNow }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// kbOptions verify a presentation made by present.
func kbOptions() Options {
	o := baseOptions()
	o.Credential.RequireKeyBinding, o.Credential.Nonce, o.Credential.Audience = true, "n-1", "desk"
	return o
}

func TestReportClaimsWithheldAndEvidence(t *testing.T) {
	w := newWorld(t)
	w.reg.Entities[0].IssuerAuthorizations = append(w.reg.Entities[0].IssuerAuthorizations,
		w.reg.Entities[0].IssuerAuthorizations[0])
	w.reg.Entities[0].IssuerAuthorizations[1].VCT = vctID
	cred := w.issueID(t)
	cat := catalogue(t)
	tests := []struct {
		name                    string
		paths                   []string
		lang                    string
		wantDisplay             map[string]string // label -> display
		wantNoneShown, wantMore []string
		wantWithheld            []string // paths of kind claim
	}{
		{"none of the nationalities", []string{"/given_name", "/sex"}, "fr",
			map[string]string{"Prénoms": "Amina", "Sexe": "2 (Féminin)"}, []string{"/nationalities"}, nil,
			[]string{"/family_name", "/birthdate"}},
		{"one nationality", []string{"/given_name", "/nationalities/1"}, "en",
			map[string]string{"Given names": "Amina", "Nationalities": "LB"}, nil, []string{"/nationalities"},
			[]string{"/family_name", "/birthdate", "/sex"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := kbOptions()
			o.Registry = w.reg
			oc, err := Verify(context.Background(), w.present(t, cred, tc.paths...), o)
			if err != nil {
				t.Fatal(err)
			}
			r := NewReport(oc, nil, ReportOptions{Lang: tc.lang, Catalogue: cat, Now: tNow, WithheldClaims: true})
			got := map[string]Claim{}
			for _, c := range r.Claims {
				got[c.Label] = c
				got[c.Path] = c
			}
			for label, d := range tc.wantDisplay {
				if got[label].Display != d {
					t.Errorf("%s displays %q, want %q", label, got[label].Display, d)
				}
			}
			for _, p := range tc.wantNoneShown {
				if !got[p].NoneShown || !got[p].MoreWithheld {
					t.Errorf("%s: %+v, want none shown", p, got[p])
				}
			}
			for _, p := range tc.wantMore {
				if got[p].NoneShown || !got[p].MoreWithheld {
					t.Errorf("%s: %+v, want more withheld", p, got[p])
				}
			}
			withheld := map[string]bool{}
			for _, h := range r.Withheld {
				if h.Kind == "claim" {
					withheld[h.Path] = true
				}
			}
			for _, p := range tc.wantWithheld {
				if !withheld[p] {
					t.Errorf("%s not reported withheld: %+v", p, r.Withheld)
				}
			}
			for _, p := range tc.paths {
				if withheld[p] {
					t.Errorf("disclosed %s reported withheld", p)
				}
			}
			if r.Evidence == nil || r.Evidence.Capped == nil {
				t.Fatalf("evidence %+v, want claimed and capped", r.Evidence)
			}
			if c, k := r.Evidence.Claimed, *r.Evidence.Capped; c != (Scores{3, 3, 3}) || k != (Scores{2, 2, 0}) {
				t.Errorf("evidence claimed %+v capped %+v, want 3/3/3 and 2/2/0", c, k)
			}
			if r.Issuer == nil || r.Issuer.Name != "NGO" || r.Registry == nil || r.Registry.Name != "Pilot" {
				t.Errorf("issuer %+v registry %+v: want names from the registry", r.Issuer, r.Registry)
			}
		})
	}
	// Without WithheldClaims the report names only what was disclosed.
	o := kbOptions()
	o.Registry = w.reg
	oc, err := Verify(context.Background(), w.present(t, cred, "/given_name"), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range NewReport(oc, nil, ReportOptions{Catalogue: cat, Now: tNow}).Withheld {
		if h.Kind == "claim" {
			t.Errorf("claim %s listed without WithheldClaims", h.Path)
		}
	}
}

func TestReportMessages(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tests := []struct {
		name         string
		cred         string
		opts         func(*Options)
		wantCode     Code
		wantMessage  []string
		wantExpected string
	}{
		{"compromised issuer, with the date", w.issue(t, w.thief, vctReg, tAdmit.Add(time.Hour), -1), func(o *Options) { o.Registry = w.reg },
			CodeIssuerCompromised, []string{"reported compromised on 2026-06-01"}, ""},
		{"status fetch fails", w.issue(t, w.ngo, vctReg, tAdmit.Add(time.Hour), 3), func(o *Options) {
			o.Registry = w.reg
			o.FetchStatusList = func(context.Context, string) (string, error) { return "", errors.New("connection refused") }
		}, CodeStatusUnavailable, []string{"could not check revocation", "connection refused", "no copy of the status list"}, ""},
		{"status list in the bundle expired is not held", w.issue(t, w.ngo, vctReg, tAdmit.Add(time.Hour), 3), func(o *Options) {
			o.Bundle = w.bundle(t, nil)
		}, CodeStatusUnavailable, []string{"could not check revocation", "not in the bundle"}, ""},
		{"nonce of another request", w.present(t, w.issue(t, w.ngo, vctReg, tAdmit.Add(time.Hour), -1), "/given_name"), func(o *Options) {
			o.Registry = w.reg
			o.Credential.RequireKeyBinding, o.Credential.Nonce, o.Credential.Audience = true, "n-2", "desk"
		}, "nonce_mismatch", []string{"another request"}, `nonce "n-2" / nonce "n-1"`},
		{"audience of another desk", w.present(t, w.issue(t, w.ngo, vctReg, tAdmit.Add(time.Hour), -1), "/given_name"), func(o *Options) {
			o.Registry = w.reg
			o.Credential.RequireKeyBinding, o.Credential.Nonce, o.Credential.Audience = true, "n-1", "other-desk"
		}, "audience_mismatch", []string{"another desk"}, `audience "other-desk" / audience "desk"`},
		{"key binding missing", w.issue(t, w.ngo, vctReg, tAdmit.Add(time.Hour), -1), func(o *Options) {
			o.Registry = w.reg
			o.Credential.RequireKeyBinding, o.Credential.Nonce, o.Credential.Audience = true, "n-2", "https://desk.example"
		}, "key_binding_missing", []string{"without proof"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := baseOptions()
			tc.opts(&o)
			oc, err := Verify(ctx, tc.cred, o)
			r := NewReport(oc, err, ReportOptions{Now: tNow, Nonce: o.Credential.Nonce, Audience: o.Credential.Audience})
			if r.Code != tc.wantCode || r.Valid {
				t.Fatalf("code %q (err %v), want %q", r.Code, err, tc.wantCode)
			}
			for _, m := range tc.wantMessage {
				if !strings.Contains(r.Message, m) {
					t.Errorf("message %q lacks %q", r.Message, m)
				}
			}
			if r.Advice == "" {
				t.Error("no advice")
			}
			if got := r.Expected + " / " + r.Presented; tc.wantExpected != "" && got != tc.wantExpected {
				t.Errorf("expected / presented = %s, want %s", got, tc.wantExpected)
			}
		})
	}
}

func TestShortID(t *testing.T) {
	long := "did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6IlVaeWZfVy1lZWNZV2dNa0s4NHQ4MDJmOFI3V3RHRW9jdFpaOHpwU1E2c2MiLCJ5IjoiajFwdmFGVVdxU2RDQXFPcjNCMUlMN0dhZU41eFZZSVI5U0NYTnRPQm9yMCJ9"
	for in, want := range map[string]string{
		long:                  "did:jwk:eyJjcnYi…" + long[len(long)-6:],
		"did:web:ngo.example": "did:web:ngo.example",
		"urn:cairn:registry:4GutrM_DgL8KYGgK8IDNxU-L3D1OEsHbIFwJusDwIsE": "urn:cairn:registry:4GutrM_D…sDwIsE",
	} {
		if got := ShortID(in); got != want {
			t.Errorf("ShortID(%s) = %q, want %q", in, got, want)
		}
	}
}
