package trust

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// amendedRegistry tells the story of one issuer whose authorization was
// corrected, and of one verifier whose purpose was widened, with an
// overlapping entry added later. Times are days after t0.
func amendedRegistry() *Registry {
	at := func(d int) time.Time { return t0.Add(time.Duration(d) * day) }
	return &Registry{
		ID: "urn:cairn:registry:test", Name: "Test", Authority: "did:web:authority.example", Version: 1,
		IssuedAt: at(0), Expires: at(365),
		Entities: []Entity{
			{DID: "did:web:ngo.example", Role: RoleIssuer, Status: StatusActive, Names: map[string]string{"en": "NGO"},
				StatusHistory: []StatusChange{{Status: StatusActive, At: at(0)}}, ValidFrom: at(0),
				IssuerAuthorizations: []IssuerAuthorization{
					// a1: the mistaken entry, ended on day 10 by the amendment a2.
					{ID: "a1", VCT: vctID, MaxStrength: 2, MaxValidity: 2, From: at(0), Until: at(10), Ended: &AuthorizationEnd{At: at(10), Reason: "verification cap forgotten"}},
					// a2: the correction, from day 10, open-ended.
					{ID: "a2", Replaces: "a1", VCT: vctID, MaxStrength: 2, MaxValidity: 2, MaxVerification: 2, From: at(10)},
					// a3: an overlapping entry (another jurisdiction) from day 20 to 30.
					{ID: "a3", VCT: vctID, MaxStrength: 3, MaxValidity: 3, MaxVerification: 3, Jurisdiction: "CY", From: at(20), Until: at(30)},
					// a4 and a5 start together on day 40 for another type: the later listed wins.
					{ID: "a4", VCT: vctOth, MaxStrength: 1, MaxValidity: 1, From: at(40)},
					{ID: "a5", VCT: vctOth, MaxStrength: 2, MaxValidity: 2, From: at(40)},
				}},
			{DID: "did:web:desk.example", Role: RoleVerifier, Status: StatusActive, Names: map[string]string{"en": "Desk"},
				StatusHistory: []StatusChange{{Status: StatusActive, At: at(0)}}, ValidFrom: at(0),
				VerifierAuthorizations: []VerifierAuthorization{
					{ID: "a1", Purpose: "intake", Claims: []string{"/given_name"}, From: at(0), Until: at(10), Ended: &AuthorizationEnd{At: at(10)}},
					{ID: "a2", Replaces: "a1", Purpose: "intake", Claims: []string{"/birthdate", "/given_name"}, From: at(10)},
					// Listed first elsewhere would not matter: the latest start wins.
					{ID: "a3", Purpose: "intake", Claims: []string{"/family_name"}, From: at(20), Until: at(30)},
				}},
		},
	}
}

func TestAmendedRegistryValid(t *testing.T) {
	if err := amendedRegistry().Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestIssuerAuthorizedOverlap travels through time: the entry that answers
// is the most recently started one covering the time asked about.
func TestIssuerAuthorizedOverlap(t *testing.T) {
	r := amendedRegistry()
	at := func(d int) time.Time { return t0.Add(time.Duration(d) * day) }
	tests := []struct {
		name   string
		vct    string
		at     time.Time
		ok     bool
		reason string
		id     string
	}{
		{"before the first entry", vctID, at(-1), false, ReasonOutsideValidity, ""},
		{"issued under the mistaken entry", vctID, at(5), true, ReasonAuthorized, "a1"},
		{"last second of the mistaken entry", vctID, at(10).Add(-time.Second), true, ReasonAuthorized, "a1"},
		{"the amendment takes over at its start", vctID, at(10), true, ReasonAuthorized, "a2"},
		{"overlap: the later start wins", vctID, at(25), true, ReasonAuthorized, "a3"},
		{"overlap ended: back to the amendment", vctID, at(30), true, ReasonAuthorized, "a2"},
		{"same start: the later listed wins", vctOth, at(41), true, ReasonAuthorized, "a5"},
		{"before the other type's entries", vctOth, at(39), false, ReasonAuthorizationTime, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := r.IssuerAuthorized("did:web:ngo.example", tc.vct, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if d.Authorized != tc.ok || d.Reason != tc.reason {
				t.Fatalf("authorized %v reason %s, want %v %s", d.Authorized, d.Reason, tc.ok, tc.reason)
			}
			if tc.id != "" && (d.Authorization == nil || d.Authorization.ID != tc.id) {
				t.Fatalf("answered by %+v, want %s", d.Authorization, tc.id)
			}
		})
	}
}

func TestVerifierMayRequestOverlap(t *testing.T) {
	r := amendedRegistry()
	at := func(d int) time.Time { return t0.Add(time.Duration(d) * day) }
	tests := []struct {
		name   string
		claims []string
		at     time.Time
		ok     bool
		id     string
	}{
		{"before the amendment", []string{"birthdate"}, at(5), false, "a1"},
		{"after the amendment", []string{"birthdate"}, at(12), true, "a2"},
		{"overlap: the later start wins", []string{"family_name"}, at(25), true, "a3"},
		{"overlap: not the union", []string{"birthdate"}, at(25), false, "a3"},
		{"overlap ended", []string{"birthdate"}, at(30), true, "a2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := r.VerifierMayRequest("did:web:desk.example", "intake", tc.claims, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if d.Authorized != tc.ok || d.VerifierAuthorization == nil || d.VerifierAuthorization.ID != tc.id {
				t.Fatalf("authorized %v by %+v, want %v by %s", d.Authorized, d.VerifierAuthorization, tc.ok, tc.id)
			}
		})
	}
}

func TestAuthorizationIDsValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *Registry)
	}{
		{"duplicate id", func(r *Registry) { r.Entities[0].IssuerAuthorizations[1].ID = "a1" }},
		{"id too long", func(r *Registry) {
			r.Entities[0].IssuerAuthorizations[2].ID = strings.Repeat("x", 65)
		}},
		{"ended without an end", func(r *Registry) { r.Entities[0].IssuerAuthorizations[1].Ended = &AuthorizationEnd{At: t0} }},
		{"end reason too long", func(r *Registry) {
			r.Entities[0].IssuerAuthorizations[0].Ended.Reason = strings.Repeat("x", MaxStringLen+1)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := amendedRegistry()
			tc.change(r)
			if err := r.Validate(); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// TestAuthorizationJSONAdditive: the new fields are additive, so a reader
// that knows only the old fields sees the same windows (an ended entry's
// Until is its end), and an old document still reads.
func TestAuthorizationJSONAdditive(t *testing.T) {
	b, err := json.Marshal(amendedRegistry().Entities[0].IssuerAuthorizations[0])
	if err != nil {
		t.Fatal(err)
	}
	var old struct {
		VCT   string    `json:"vct"`
		From  time.Time `json:"from"`
		Until time.Time `json:"until"`
	}
	if err := json.Unmarshal(b, &old); err != nil || !old.Until.Equal(t0.Add(10*day)) || old.VCT != vctID {
		t.Fatalf("old reader sees %+v (%v) in %s", old, err, b)
	}
	var a IssuerAuthorization
	if err := json.Unmarshal([]byte(`{"vct":"v","max_strength":1,"max_validity":1,"from":"2026-01-01T00:00:00Z"}`), &a); err != nil || a.ID != "" || a.Ended != nil {
		t.Fatalf("old document: %+v %v", a, err)
	}
}
