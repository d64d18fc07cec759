package assurance

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/schemas"
)

var evalTime = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// monthsAgo is a time n months before evalTime.
func monthsAgo(n int) time.Time { return evalTime.AddDate(0, -n, 0) }

const (
	vctRegistration = "urn:cairn:vct:humanitarian-registration:1"
	vctHealth       = "urn:cairn:vct:health-attestation:1"
	vctVouching     = "urn:cairn:vct:community-vouching:1"
	vctEducation    = "urn:cairn:vct:education-qualification:1"
	vctIdentity     = "urn:cairn:vct:identity-attestation:1"
	holder          = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
)

func caps(s, v, ver, fraud int) *Caps { return &Caps{s, v, ver, fraud} }

func amina() Identity {
	return Identity{FamilyName: "Yusuf", GivenName: "Amina", Birthdate: "1990-05-01"}
}

// credential builds a credential with sensible defaults.
func credential(id, issuer, vct string, iat time.Time, ev schemas.Evidence, c *Caps) Credential {
	return Credential{ID: id, Issuer: issuer, IssuerName: strings.TrimPrefix(issuer, "did:web:"), VCT: vct,
		IssuedAt: iat, HolderKey: holder, Evidence: ev, Caps: c, Identity: amina()}
}

func registration() Credential {
	return credential("reg", "did:web:unhcr.example", vctRegistration, monthsAgo(1),
		schemas.Evidence{Strength: 2, Validity: 2, Verification: 2, Method: "in_person"}, caps(2, 2, 2, 3))
}

// threeWeak are three weak attestations from three issuers, the first
// eight months before the last.
func threeWeak() []Credential {
	return []Credential{
		credential("clinic", "did:web:clinic.example", vctHealth, monthsAgo(9),
			schemas.Evidence{Strength: 1, Validity: 1, Method: "in_person"}, caps(1, 1, 0, 3)),
		credential("vouch", "did:web:ngo.example", vctVouching, monthsAgo(5),
			schemas.Evidence{Strength: 1, Validity: 1, Verification: 1, Method: "vouching"}, caps(1, 1, 1, 1)),
		credential("school", "did:web:school.example", vctEducation, monthsAgo(1),
			schemas.Evidence{Strength: 1, Validity: 1, Method: "records_check"}, caps(1, 1, 0, 3)),
	}
}

func sameIssuer(cs []Credential) []Credential {
	out := slices.Clone(cs)
	for i := range out {
		out[i].Issuer = "did:web:ngo.example"
		out[i].Caps = caps(1, 1, 1, 1)
	}
	return out
}

func mustLoad(t testing.TB, name string) *Policy {
	t.Helper()
	p, err := Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func missingKinds(pr *ProfileResult) []string {
	var k []string
	for _, m := range pr.Missing {
		k = append(k, m.Kind)
	}
	return k
}

func contributionOf(r *Result, id string) Contribution {
	for _, c := range r.Credentials {
		if c.CredentialID == id {
			return c
		}
	}
	return Contribution{}
}

// TestAccretionStories evaluates the accretion stories of issue 11 (and a
// few more) against the shipped policies.
func TestAccretionStories(t *testing.T) {
	tests := []struct {
		name    string
		policy  string
		creds   func() []Credential
		met     string   // profile met, "" for none
		nearest string   // when none met
		missing []string // Missing kinds of the reported profile
		check   func(t *testing.T, r *Result)
	}{
		{
			name: "one strong registration alone", policy: "basic-services",
			creds: func() []Credential { return []Credential{registration()} },
			met:   "one-registration",
			check: func(t *testing.T, r *Result) {
				if r.EIDAS != EIDASLow {
					t.Errorf("eidas %q", r.EIDAS)
				}
				if c := contributionOf(r, "reg"); c.Reason != ReasonSlot || c.Slot != 0 {
					t.Errorf("contribution %+v", c)
				}
			},
		},
		{
			name: "one strong registration alone, cash assistance", policy: "cash-assistance",
			creds: func() []Credential { return []Credential{registration()} },
			met:   "registration-verified",
		},
		{
			name: "one strong registration alone, bank account", policy: "bank-account",
			creds:   func() []Credential { return []Credential{registration()} },
			nearest: "M1B", missing: []string{MissingEvidence, MissingActivity, MissingIdentityFraud},
			check: func(t *testing.T, r *Result) {
				if r.EIDAS != EIDASNone {
					t.Errorf("eidas %q with nothing met", r.EIDAS)
				}
				if !strings.Contains(r.Summary, "activity history of 180 days, have 0") {
					t.Errorf("summary %q", r.Summary)
				}
			},
		},
		{
			name: "three weak attestations from distinct issuers over eight months", policy: "basic-services",
			creds: threeWeak,
			met:   "accreted",
			check: func(t *testing.T, r *Result) {
				if r.Met.ActivityDays < 240 || r.Met.ActivityScore != 1 || r.Met.DistinctIssuers != 3 {
					t.Errorf("met %+v", r.Met)
				}
				for i, id := range []string{"clinic", "vouch", "school"} {
					c := contributionOf(r, id)
					if c.Reason != ReasonSlot || !c.Counted {
						t.Errorf("slot %d: %+v", i, c)
					}
				}
			},
		},
		{
			name: "the same three from one issuer", policy: "basic-services",
			creds:   func() []Credential { return sameIssuer(threeWeak()) },
			nearest: "one-registration", missing: []string{MissingEvidence},
			check: func(t *testing.T, r *Result) {
				acc := r.Profiles[1]
				if acc.Met || !slices.Equal(missingKinds(&acc), []string{MissingEvidence, MissingDistinctIssuers}) {
					t.Fatalf("accreted %+v", acc)
				}
				if m := acc.Missing[0]; m.Message != "two more attestations from distinct issuers" || !slices.Equal(m.Slots, []int{1, 2}) {
					t.Errorf("evidence missing %+v", m)
				}
				if c := contributionOf(r, "vouch"); c.Reason != ReasonSameIssuer && c.Reason != ReasonBelowSlots {
					t.Errorf("vouch %+v", c)
				}
			},
		},
		{
			name: "a vouching credential alone", policy: "basic-services",
			creds:   func() []Credential { return threeWeak()[1:2] },
			nearest: "one-registration", missing: []string{MissingEvidence},
			check: func(t *testing.T, r *Result) {
				if m := r.Nearest.Missing[0].Message; m != "one more attestation from a distinct issuer, of strength 2 and validity 2 or more" {
					t.Errorf("message %q", m)
				}
				if c := contributionOf(r, "vouch"); c.Reason != ReasonBelowSlots || !c.Counted {
					t.Errorf("vouch %+v", c)
				}
			},
		},
		{
			name: "names that differ without a declared variant", policy: "basic-services",
			creds: func() []Credential {
				cs := append(threeWeak(), registration())
				cs[1].Identity.FamilyName = "Youssef"
				return cs
			},
			nearest: "one-registration", missing: []string{MissingConsistency},
			check: func(t *testing.T, r *Result) {
				var dis []Finding
				for _, f := range r.Consistency {
					if f.Outcome == Disagree {
						dis = append(dis, f)
					}
				}
				if len(dis) != 3 || dis[0].Field != FieldFamilyName {
					t.Errorf("findings %+v", r.Consistency)
				}
				if want := "family_name differs between clinic and vouch, and between vouch and school, and between vouch and reg"; !strings.Contains(r.Summary, want) {
					t.Errorf("summary %q, want it to contain %q", r.Summary, want)
				}
				if strings.Contains(r.Summary, "Youssef") || strings.Contains(r.Summary, "Yusuf") {
					t.Errorf("summary shows claim values: %q", r.Summary)
				}
			},
		},
		{
			name: "an issuer claiming scores above its cap", policy: "basic-services",
			creds: func() []Credential {
				c := threeWeak()[1]
				c.Evidence = schemas.Evidence{Strength: 3, Validity: 3, Verification: 3, IdentityFraud: 2, Method: "vouching"}
				return []Credential{c}
			},
			nearest: "one-registration", missing: []string{MissingEvidence},
			check: func(t *testing.T, r *Result) {
				c := contributionOf(r, "vouch")
				if c.Declared != (Scores{3, 3, 3, 2}) || c.Capped != (Scores{1, 1, 1, 1}) ||
					!slices.Equal(c.Lowered, []string{"strength", "validity", "verification", "identity_fraud"}) {
					t.Errorf("contribution %+v", c)
				}
				if !strings.Contains(c.Message, "strength 3 to 1") {
					t.Errorf("message %q", c.Message)
				}
			},
		},
		{
			name: "evidence issued before the issuer's authorization began", policy: "basic-services",
			creds: func() []Credential {
				cs := threeWeak()
				cs[0].Caps = nil // the clinic was authorized only after its iat
				return cs
			},
			nearest: "one-registration", missing: []string{MissingEvidence},
			check: func(t *testing.T, r *Result) {
				c := contributionOf(r, "clinic")
				if c.Counted || c.Reason != ReasonNoAuthorization || c.Slot != -1 {
					t.Errorf("clinic %+v", c)
				}
				acc := r.Profiles[1]
				if acc.Met || acc.ActivityDays != int(monthsAgo(1).Sub(monthsAgo(5))/day) || acc.DistinctIssuers != 2 {
					t.Errorf("accreted %+v", acc)
				}
				if m := acc.Missing[0].Message; m != "one more attestation from a distinct issuer" {
					t.Errorf("message %q", m)
				}
			},
		},
		{
			name: "credentials bound to different holder keys", policy: "basic-services",
			creds: func() []Credential {
				cs := threeWeak()
				cs[2].HolderKey = "other-thumbprint"
				return cs
			},
			check: func(t *testing.T, r *Result) {
				if r.Refusal == nil || r.Refusal.Code != RefusalHolderMismatch || len(r.Refusal.Credentials) != 3 {
					t.Fatalf("refusal %+v", r.Refusal)
				}
				if r.Profiles != nil {
					t.Error("profiles evaluated for a refused presentation")
				}
				for _, c := range r.Credentials {
					if c.Counted || c.Reason != ReasonHolderRefused {
						t.Errorf("contribution %+v", c)
					}
				}
			},
		},
		{
			name: "a credential without a holder key", policy: "basic-services",
			creds: func() []Credential {
				cs := []Credential{registration()}
				cs[0].HolderKey = ""
				return cs
			},
			check: func(t *testing.T, r *Result) {
				if r.Refusal == nil || r.Refusal.Code != RefusalHolderKeyAbsent {
					t.Fatalf("refusal %+v", r.Refusal)
				}
			},
		},
		{
			name: "transliteration declared", policy: "basic-services",
			creds: func() []Credential {
				cs := threeWeak()
				cs[0].Identity = Identity{FamilyName: "يوسف", GivenName: "أمينة", Birthdate: "1990-05-01",
					NameVariants: []NameVariant{{FamilyName: "YUSUF", GivenName: "Amina", Script: "Latn", Source: "transliteration"}}}
				cs[2].Identity.GivenName = "  AMINA "
				return cs
			},
			met: "accreted",
			check: func(t *testing.T, r *Result) {
				for _, f := range r.Consistency {
					if f.Outcome != AgreeVariant || f.A != "clinic" {
						t.Errorf("finding %+v", f)
					}
				}
				if len(r.Consistency) != 4 {
					t.Errorf("findings %+v", r.Consistency)
				}
			},
		},
		{
			name: "year-only birthdate", policy: "basic-services",
			creds: func() []Credential {
				cs := threeWeak()
				cs[1].Identity.Birthdate = "1990"
				cs[2].Identity.Birthdate, cs[2].Identity.BirthdatePrecision = "1990-01-01", "year"
				return cs
			},
			met: "accreted",
			check: func(t *testing.T, r *Result) {
				if len(r.Consistency) != 2 || r.Consistency[0].Outcome != AgreePrecision {
					t.Errorf("findings %+v", r.Consistency)
				}
			},
		},
		{
			name: "year-only birthdate in another year", policy: "basic-services",
			creds: func() []Credential {
				cs := threeWeak()
				cs[1].Identity.Birthdate = "1991"
				return cs
			},
			// Only the disagreement keeps "accreted" from being met.
			nearest: "accreted", missing: []string{MissingConsistency},
		},
		{
			name: "one issuer fills one slot however strong", policy: "bank-account",
			creds: func() []Credential {
				a := credential("id1", "did:web:ministry.example", vctIdentity, monthsAgo(30),
					schemas.Evidence{Strength: 3, Validity: 3, Verification: 3, IdentityFraud: 2}, caps(3, 3, 3, 3))
				b := a
				b.ID, b.IssuedAt = "id2", monthsAgo(2)
				return []Credential{a, b}
			},
			met: "M1B",
			check: func(t *testing.T, r *Result) {
				if r.EIDAS != EIDASSubstantial {
					t.Errorf("eidas %q", r.EIDAS)
				}
				m2b := profileNamed(t, r, "M2B")
				if m2b.Met || m2b.Slots[1].CredentialID != "" {
					t.Errorf("M2B %+v", m2b)
				}
				if c := contributionOf(r, "id2"); c.Reason != ReasonSameIssuer || !c.Counted {
					t.Errorf("id2 %+v", c)
				}
			},
		},
		{
			name: "known_since extends the activity history", policy: "bank-account",
			creds: func() []Credential {
				a := credential("id", "did:web:ministry.example", vctIdentity, monthsAgo(1),
					schemas.Evidence{Strength: 3, Validity: 2, Verification: 2, IdentityFraud: 2, KnownSince: "2025-01-10"}, caps(3, 3, 3, 3))
				return []Credential{a}
			},
			met: "M1B",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Evaluate(mustLoad(t, tt.policy), tt.creds(), evalTime)
			if err != nil {
				t.Fatal(err)
			}
			var reported *ProfileResult
			switch {
			case r.Refusal != nil:
				if tt.met != "" || tt.nearest != "" {
					t.Fatalf("refused: %+v", r.Refusal)
				}
			case tt.met != "":
				if r.Met == nil || r.Met.Profile != tt.met {
					t.Fatalf("met %v, want %s; %s", r.Met, tt.met, r.Summary)
				}
				reported = r.Met
			default:
				if r.Met != nil {
					t.Fatalf("met %s, want none; %s", r.Met.Profile, r.Summary)
				}
				if tt.nearest != "" && (r.Nearest == nil || r.Nearest.Profile != tt.nearest) {
					t.Fatalf("nearest %+v, want %s", r.Nearest, tt.nearest)
				}
				reported = r.Nearest
			}
			if reported != nil && !slices.Equal(missingKinds(reported), tt.missing) {
				t.Errorf("missing %v, want %v (%s)", missingKinds(reported), tt.missing, r.Summary)
			}
			if r.Summary == "" {
				t.Error("no summary")
			}
			if tt.check != nil {
				tt.check(t, r)
			}
			if testing.Verbose() {
				b, _ := json.MarshalIndent(r, "", "  ")
				t.Logf("%s", b)
			}
		})
	}
}

// TestAccretionNoneAlone checks the accretion claim itself: the three weak
// attestations meet "accreted" together, and no one of them meets any
// profile of the policy alone.
func TestAccretionNoneAlone(t *testing.T) {
	p := mustLoad(t, "basic-services")
	for _, c := range threeWeak() {
		r, err := Evaluate(p, []Credential{c}, evalTime)
		if err != nil {
			t.Fatal(err)
		}
		if r.Met != nil {
			t.Errorf("%s alone meets %s", c.ID, r.Met.Profile)
		}
	}
}

// TestMatcherBacktracks needs the matcher to move a credential to another
// slot: assigning slots in order to the first issuer that fits (greedy)
// puts the strong credential in the weak slot and leaves the strong slot
// empty.
func TestMatcherBacktracks(t *testing.T) {
	p := &Policy{Name: "backtrack", Version: 1, Profiles: []Profile{{
		Name: "two", Evidence: []Slot{{1, 1}, {3, 3}}, EIDAS: EIDASLow,
	}}}
	strong := credential("strong", "did:web:a.example", vctIdentity, monthsAgo(3),
		schemas.Evidence{Strength: 3, Validity: 3}, caps(4, 4, 4, 3))
	weak := credential("weak", "did:web:b.example", vctHealth, monthsAgo(2),
		schemas.Evidence{Strength: 1, Validity: 1}, caps(1, 1, 0, 3))

	// The greedy assignment fails on this input: show it, so the test
	// cannot pass by accident.
	if greedy(p.Profiles[0].Evidence, []Credential{strong, weak}) {
		t.Fatal("greedy assignment succeeds; the input does not need backtracking")
	}
	r, err := Evaluate(p, []Credential{strong, weak}, evalTime)
	if err != nil {
		t.Fatal(err)
	}
	if r.Met == nil {
		t.Fatalf("not met: %s", r.Summary)
	}
	if s := r.Met.Slots; s[0].CredentialID != "weak" || s[1].CredentialID != "strong" {
		t.Errorf("slots %+v", s)
	}
}

// greedy fills slots in order with the first unused credential (in
// issuer order) that fits.
func greedy(slots []Slot, cs []Credential) bool {
	used := map[string]bool{}
	for _, s := range slots {
		ok := false
		for _, c := range cs {
			if !used[c.ID] && c.Evidence.Strength >= s.MinStrength && c.Evidence.Validity >= s.MinValidity {
				used[c.ID], ok = true, true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func TestEvaluateDeterministic(t *testing.T) {
	p := mustLoad(t, "bank-account")
	cs := benchCredentials(20)
	a, err := Evaluate(p, cs, evalTime)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	for range 5 {
		b, _ := Evaluate(p, cs, evalTime)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Fatal("two evaluations of one input differ")
		}
	}
}

func TestEvaluateInputErrors(t *testing.T) {
	p := mustLoad(t, "basic-services")
	reg := registration()
	noIssuer := reg
	noIssuer.Issuer = ""
	noIat := reg
	noIat.IssuedAt = time.Time{}
	manyVariants := reg
	manyVariants.Identity.NameVariants = make([]NameVariant, MaxNameVariants+1)
	longName := reg
	longName.Identity.GivenName = strings.Repeat("a", MaxNameBytes+1)
	tests := []struct {
		name  string
		p     *Policy
		creds []Credential
		now   time.Time
	}{
		{"no policy", nil, nil, evalTime},
		{"no time", p, nil, time.Time{}},
		{"duplicate id", p, []Credential{reg, reg}, evalTime},
		{"no id", p, []Credential{{Issuer: "did:web:x", IssuedAt: evalTime}}, evalTime},
		{"no issuer", p, []Credential{noIssuer}, evalTime},
		{"no iat", p, []Credential{noIat}, evalTime},
		{"too many name variants", p, []Credential{manyVariants}, evalTime},
		{"name too long", p, []Credential{longName}, evalTime},
		{"too many", p, benchCredentials(MaxCredentials + 1), evalTime},
		{"invalid policy", &Policy{Name: "x", Version: 1}, nil, evalTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Evaluate(tt.p, tt.creds, tt.now)
			if !errors.Is(err, ErrInput) && !errors.Is(err, ErrPolicy) {
				t.Errorf("err = %v, want ErrInput or ErrPolicy", err)
			}
		})
	}
}

func TestIssuedAfterEvaluation(t *testing.T) {
	c := registration()
	c.IssuedAt = evalTime.Add(time.Hour)
	r, err := Evaluate(mustLoad(t, "basic-services"), []Credential{c}, evalTime)
	if err != nil {
		t.Fatal(err)
	}
	if r.Met != nil || contributionOf(r, "reg").Reason != ReasonIssuedAfterEval {
		t.Errorf("%+v", r)
	}
}

func TestNoCredentials(t *testing.T) {
	r, err := Evaluate(mustLoad(t, "basic-services"), nil, evalTime)
	if err != nil {
		t.Fatal(err)
	}
	if r.Met != nil || r.Nearest == nil || r.Nearest.Profile != "one-registration" {
		t.Errorf("%+v", r)
	}
}

func TestCapsFor(t *testing.T) {
	cat, err := schemas.Load()
	if err != nil {
		t.Fatal(err)
	}
	vouch, err := cat.Lookup(vctVouching)
	if err != nil {
		t.Fatal(err)
	}
	auth := trust.IssuerAuthorization{VCT: vctVouching, MaxStrength: 3, MaxValidity: 2, MaxVerification: 0}
	if got, want := CapsFor(auth, vouch), (Caps{1, 1, 0, 1}); got != want {
		t.Errorf("CapsFor(vouching) = %+v, want %+v", got, want)
	}
	if got, want := CapsFor(auth, nil), (Caps{3, 2, 0, MaxFraudScore}); got != want {
		t.Errorf("CapsFor(nil type) = %+v, want %+v", got, want)
	}
}

func TestCombine(t *testing.T) {
	r, err := Evaluate(mustLoad(t, "basic-services"), threeWeak()[1:2], evalTime)
	if err != nil {
		t.Fatal(err)
	}
	rev := Review{Decision: Accept, Reason: "known to the clinic for years; documents lost in transit", Caseworker: "cw-17", At: evalTime.Add(time.Minute)}
	got, err := Combine(r, rev)
	if err != nil {
		t.Fatal(err)
	}
	if got.Automated != r || got.AutomatedDecision != Reject || got.Decision != Accept || !got.Differs || r.Met != nil {
		t.Errorf("combined %+v", got)
	}
	bad := []Review{
		{Decision: "maybe", Reason: "x", Caseworker: "cw", At: rev.At},
		{Decision: Accept, Caseworker: "cw", At: rev.At},
		{Decision: Accept, Reason: "x", At: rev.At},
		{Decision: Accept, Reason: "x", Caseworker: "cw"},
		{Decision: Accept, Reason: "x", Caseworker: "cw", At: evalTime.Add(-time.Second)},
		{Decision: Accept, Reason: strings.Repeat("x", MaxReasonRunes+1), Caseworker: "cw", At: rev.At},
	}
	for i, b := range bad {
		if _, err := Combine(r, b); err == nil {
			t.Errorf("review %d accepted", i)
		}
	}
	if _, err := Combine(nil, rev); err == nil {
		t.Error("nil result accepted")
	}
}

// TestEvaluateConcurrent: one policy evaluated from several goroutines
// (run with -race).
func TestEvaluateConcurrent(t *testing.T) {
	p := mustLoad(t, "basic-services")
	cs := benchCredentials(10)
	done := make(chan error)
	for range 4 {
		go func() {
			_, err := Evaluate(p, cs, evalTime)
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func profileNamed(t *testing.T, r *Result, name string) ProfileResult {
	t.Helper()
	for _, p := range r.Profiles {
		if p.Profile == name {
			return p
		}
	}
	t.Fatalf("no profile %s", name)
	return ProfileResult{}
}
