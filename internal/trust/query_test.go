package trust

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

var (
	t0     = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	day    = 24 * time.Hour
	vctID  = "https://cairn.example/vct/identity-attestation"
	vctOth = "https://cairn.example/vct/school-enrolment"
)

// fixtureRegistry is a registry with one entity per story the questions
// must tell apart. Times are days after t0.
func fixtureRegistry() *Registry {
	at := func(d int) time.Time { return t0.Add(time.Duration(d) * day) }
	auth := IssuerAuthorization{VCT: vctID, MaxStrength: 3, MaxValidity: 2, MaxVerification: 2, Jurisdiction: "GR", From: at(0), Until: at(100)}
	return &Registry{
		ID: "urn:cairn:registry:test", Name: "Test", Authority: "did:example:authority", Version: 1,
		IssuedAt: at(0), Expires: at(365),
		Entities: []Entity{
			{DID: "did:example:ngo", Role: RoleIssuer, Status: StatusActive, Names: map[string]string{"en": "Helping Hands", "fr": "Mains Secourables"},
				StatusHistory: []StatusChange{{Status: StatusActive, At: at(0)}}, ValidFrom: at(0),
				IssuerAuthorizations: []IssuerAuthorization{auth}},
			// Active from day 0, suspended on day 20.
			{DID: "did:example:suspended", Role: RoleIssuer, Status: StatusSuspended, Names: map[string]string{"ar": "منظمة"},
				StatusHistory: []StatusChange{{Status: StatusActive, At: at(0)}, {Status: StatusSuspended, At: at(20), Reason: "audit"}},
				ValidFrom:     at(0), IssuerAuthorizations: []IssuerAuthorization{auth}},
			// Suspended on day 10, reinstated on day 15.
			{DID: "did:example:reinstated", Role: RoleIssuer, Status: StatusActive,
				StatusHistory: []StatusChange{{Status: StatusActive, At: at(0)}, {Status: StatusSuspended, At: at(10)}, {Status: StatusActive, At: at(15)}},
				ValidFrom:     at(0), IssuerAuthorizations: []IssuerAuthorization{auth}},
			// Revoked (ordinary, organisation closed) on day 30.
			{DID: "did:example:closed", Role: RoleIssuer, Status: StatusRevoked,
				StatusHistory: []StatusChange{{Status: StatusActive, At: at(0)}, {Status: StatusRevoked, At: at(30), Reason: "closed"}},
				ValidFrom:     at(0), IssuerAuthorizations: []IssuerAuthorization{auth}},
			// Revoked as compromised on day 30.
			{DID: "did:example:compromised", Role: RoleIssuer, Status: StatusRevoked,
				StatusHistory: []StatusChange{{Status: StatusActive, At: at(0)}, {Status: StatusRevoked, At: at(30), Compromised: true}},
				ValidFrom:     at(0), IssuerAuthorizations: []IssuerAuthorization{auth}},
			// Registered on day 5, validity ends day 50.
			{DID: "did:example:window", Role: RoleIssuer, Status: StatusActive,
				StatusHistory: []StatusChange{{Status: StatusActive, At: at(5)}},
				ValidFrom:     at(5), ValidUntil: at(50), IssuerAuthorizations: []IssuerAuthorization{auth}},
			{DID: "did:example:desk", Role: RoleVerifier, Status: StatusActive, Names: map[string]string{"en": "Desk"},
				StatusHistory: []StatusChange{{Status: StatusActive, At: at(0)}}, ValidFrom: at(0),
				VerifierAuthorizations: []VerifierAuthorization{
					{Purpose: "shelter-intake", Claims: []string{"/family_name", "/given_name", "/address"}, From: at(0)},
					{Purpose: "old-purpose", Claims: []string{"/birthdate"}, From: at(0), Until: at(10)},
				}},
		},
	}
}

func TestFixtureValid(t *testing.T) {
	if err := fixtureRegistry().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestIssuerAuthorized(t *testing.T) {
	r := fixtureRegistry()
	at := func(d int) time.Time { return t0.Add(time.Duration(d) * day) }
	tests := []struct {
		name, did, vct string
		at             time.Time
		ok             bool
		reason         string
		now            EntityStatus
	}{
		{"active issuer", "did:example:ngo", vctID, at(3), true, ReasonAuthorized, StatusActive},
		{"other vct", "did:example:ngo", vctOth, at(3), false, ReasonNoAuthorization, StatusActive},
		{"authorization ended", "did:example:ngo", vctID, at(100), false, ReasonAuthorizationTime, StatusActive},
		{"before anything", "did:example:ngo", vctID, at(-1), false, ReasonOutsideValidity, StatusActive},
		{"unknown", "did:example:nobody", vctID, at(3), false, ReasonUnknownEntity, ""},
		{"verifier is no issuer", "did:example:desk", vctID, at(3), false, ReasonWrongRole, StatusActive},
		{"issued before suspension", "did:example:suspended", vctID, at(19), true, ReasonAuthorized, StatusSuspended},
		{"issued at suspension", "did:example:suspended", vctID, at(20), false, ReasonSuspendedAtTime, StatusSuspended},
		{"issued after suspension", "did:example:suspended", vctID, at(25), false, ReasonSuspendedAtTime, StatusSuspended},
		{"issued while suspended, reinstated now", "did:example:reinstated", vctID, at(12), false, ReasonSuspendedAtTime, StatusActive},
		{"issued after reinstatement", "did:example:reinstated", vctID, at(15), true, ReasonAuthorized, StatusActive},
		{"issued before ordinary revocation", "did:example:closed", vctID, at(29), true, ReasonAuthorized, StatusRevoked},
		{"issued after ordinary revocation", "did:example:closed", vctID, at(31), false, ReasonRevokedAtTime, StatusRevoked},
		{"compromised taints the past", "did:example:compromised", vctID, at(1), false, ReasonCompromised, StatusRevoked},
		{"compromised after", "did:example:compromised", vctID, at(40), false, ReasonCompromised, StatusRevoked},
		{"before validity window", "did:example:window", vctID, at(4), false, ReasonOutsideValidity, StatusActive},
		{"inside validity window", "did:example:window", vctID, at(5), true, ReasonAuthorized, StatusActive},
		{"at end of validity window", "did:example:window", vctID, at(50), false, ReasonOutsideValidity, StatusActive},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := r.IssuerAuthorized(tc.did, tc.vct, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if d.Authorized != tc.ok || d.Reason != tc.reason || d.CurrentStatus != tc.now {
				t.Fatalf("got %v/%s/now %q, want %v/%s/now %q", d.Authorized, d.Reason, d.CurrentStatus, tc.ok, tc.reason, tc.now)
			}
			if tc.ok && (d.Authorization == nil || d.Authorization.VCT != tc.vct || d.Entity == nil || d.Entity.DID != tc.did) {
				t.Fatalf("authorized decision lacks its entity or authorization: %+v", d)
			}
		})
	}
}

func TestIssuerAuthorizedBadQuery(t *testing.T) {
	r := fixtureRegistry()
	for _, q := range []struct {
		did, vct string
		at       time.Time
	}{{"", vctID, t0}, {"did:example:ngo", "", t0}, {"did:example:ngo", vctID, time.Time{}}} {
		if _, err := r.IssuerAuthorized(q.did, q.vct, q.at); !errors.Is(err, ErrBadQuery) {
			t.Errorf("%+v: err %v, want ErrBadQuery", q, err)
		}
	}
}

func TestVerifierMayRequest(t *testing.T) {
	r := fixtureRegistry()
	at := func(d int) time.Time { return t0.Add(time.Duration(d) * day) }
	tests := []struct {
		name, did, purpose string
		claims             []string
		at                 time.Time
		ok                 bool
		reason             string
		outside            []string
	}{
		{"inside purpose", "did:example:desk", "shelter-intake", []string{"family_name", "/given_name"}, at(1), true, ReasonAuthorized, nil},
		{"nested under registered", "did:example:desk", "shelter-intake", []string{"/address/locality"}, at(1), true, ReasonAuthorized, nil},
		{"no claims at all", "did:example:desk", "shelter-intake", nil, at(1), true, ReasonAuthorized, nil},
		{"outside purpose", "did:example:desk", "shelter-intake", []string{"family_name", "birthdate", "/nationalities/0"}, at(1), false, ReasonClaimsOutsidePurpose, []string{"/birthdate", "/nationalities/0"}},
		{"prefix is not parent", "did:example:desk", "shelter-intake", []string{"/addressee"}, at(1), false, ReasonClaimsOutsidePurpose, []string{"/addressee"}},
		{"unknown purpose", "did:example:desk", "border-check", []string{"family_name"}, at(1), false, ReasonNoAuthorization, nil},
		{"purpose ended", "did:example:desk", "old-purpose", []string{"birthdate"}, at(10), false, ReasonAuthorizationTime, nil},
		{"purpose still running", "did:example:desk", "old-purpose", []string{"birthdate"}, at(9), true, ReasonAuthorized, nil},
		{"issuer is no verifier", "did:example:ngo", "shelter-intake", []string{"family_name"}, at(1), false, ReasonWrongRole, nil},
		{"unknown verifier", "did:example:x", "shelter-intake", []string{"family_name"}, at(1), false, ReasonUnknownEntity, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := r.VerifierMayRequest(tc.did, tc.purpose, tc.claims, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if d.Authorized != tc.ok || d.Reason != tc.reason || !reflect.DeepEqual(d.OutsidePurpose, tc.outside) {
				t.Fatalf("got %v/%s/%v, want %v/%s/%v", d.Authorized, d.Reason, d.OutsidePurpose, tc.ok, tc.reason, tc.outside)
			}
		})
	}
	if _, err := r.VerifierMayRequest("did:example:desk", "shelter-intake", []string{"/a//b"}, at(1)); !errors.Is(err, ErrBadQuery) {
		t.Errorf("malformed claim: err %v, want ErrBadQuery", err)
	}
}

func TestSuspendedVerifier(t *testing.T) {
	r := fixtureRegistry()
	e := r.Entity("did:example:desk")
	e.Status = StatusSuspended
	e.StatusHistory = append(e.StatusHistory, StatusChange{Status: StatusSuspended, At: t0.Add(5 * day)})
	d, _ := r.VerifierMayRequest("did:example:desk", "shelter-intake", []string{"family_name"}, t0.Add(6*day))
	if d.Authorized || d.Reason != ReasonSuspendedAtTime {
		t.Fatalf("suspended verifier: %+v", d)
	}
}

func TestCapEvidence(t *testing.T) {
	auth := IssuerAuthorization{VCT: vctID, MaxStrength: 3, MaxValidity: 2, MaxVerification: 0}
	tests := []struct{ s, v, ver, ws, wv, wver int }{
		{4, 4, 4, 3, 2, 0},
		{2, 1, 0, 2, 1, 0},
		{3, 2, 1, 3, 2, 0},
		{-1, 0, -5, 0, 0, 0},
	}
	for _, tc := range tests {
		s, v, ver := CapEvidence(auth, tc.s, tc.v, tc.ver)
		if s != tc.ws || v != tc.wv || ver != tc.wver {
			t.Errorf("CapEvidence(%d,%d,%d) = %d,%d,%d, want %d,%d,%d", tc.s, tc.v, tc.ver, s, v, ver, tc.ws, tc.wv, tc.wver)
		}
	}
}

func TestName(t *testing.T) {
	e := Entity{Names: map[string]string{"en": "Helping Hands", "fr": "Mains Secourables", "ar": "أيادي"}}
	for lang, want := range map[string]string{"fr": "Mains Secourables", "fr-CA": "Mains Secourables", "ar": "أيادي", "de": "Helping Hands", "": "Helping Hands"} {
		if got := e.Name(lang); got != want {
			t.Errorf("Name(%q) = %q, want %q", lang, got, want)
		}
	}
	noEn := Entity{Names: map[string]string{"uk": "Б", "ar": "أ"}}
	if got := noEn.Name("de"); got != "أ" {
		t.Errorf("fallback to first language: %q", got)
	}
	if got := (&Entity{}).Name("en"); got != "" {
		t.Errorf("no names: %q", got)
	}
}

func TestNormalizeClaim(t *testing.T) {
	good := map[string]string{"family_name": "/family_name", "/address/locality": "/address/locality", "a/b": "/a~1b", "x~y": "/x~0y", "/a~1b": "/a~1b"}
	for in, want := range good {
		if got, err := NormalizeClaim(in); err != nil || got != want {
			t.Errorf("NormalizeClaim(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "/", "/a/", "//a", "/a~2", "/a~"} {
		if _, err := NormalizeClaim(bad); err == nil {
			t.Errorf("NormalizeClaim(%q) accepted", bad)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	mutations := map[string]func(r *Registry){
		"no authority":           func(r *Registry) { r.Authority = "" },
		"duplicate DID":          func(r *Registry) { r.Entities = append(r.Entities, r.Entities[0]) },
		"bad role":               func(r *Registry) { r.Entities[0].Role = "admin" },
		"bad status":             func(r *Registry) { r.Entities[0].Status = "paused" },
		"history disagrees":      func(r *Registry) { r.Entities[0].Status = StatusSuspended },
		"history out of order":   func(r *Registry) { r.Entities[1].StatusHistory[1].At = t0.Add(-day) },
		"compromised non-revoke": func(r *Registry) { r.Entities[0].StatusHistory[0].Compromised = true },
		"cap above 4":            func(r *Registry) { r.Entities[0].IssuerAuthorizations[0].MaxStrength = 5 },
		"empty vct":              func(r *Registry) { r.Entities[0].IssuerAuthorizations[0].VCT = "" },
		"verifier auth on issuer": func(r *Registry) {
			r.Entities[0].VerifierAuthorizations = []VerifierAuthorization{{Purpose: "p", Claims: []string{"/a"}}}
		},
		"unnormalized claim": func(r *Registry) { r.Entities[6].VerifierAuthorizations[0].Claims[0] = "family_name" },
		"no claims":          func(r *Registry) { r.Entities[6].VerifierAuthorizations[0].Claims = nil },
		"window inverted":    func(r *Registry) { r.Entities[5].ValidUntil = r.Entities[5].ValidFrom },
		"not a DID":          func(r *Registry) { r.Entities[0].DID = "https://ngo.example" },
		"empty name":         func(r *Registry) { r.Entities[0].Names["de"] = "" },
	}
	for name, mutate := range mutations {
		r := fixtureRegistry()
		mutate(r)
		if err := r.Validate(); !errors.Is(err, ErrInvalidRegistry) {
			t.Errorf("%s: Validate = %v, want ErrInvalidRegistry", name, err)
		}
	}
}
