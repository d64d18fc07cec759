package assurance

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/cairn-id/cairn/internal/jsonx"
)

// Limits on policies and evaluations. They keep evaluation bounded: the
// matcher's work grows with slots × issuers × credentials.
const (
	MaxPolicyBytes  = 64 << 10
	MaxProfiles     = 16
	MaxSlots        = 6
	MaxCredentials  = 64
	MaxScore        = 4 // strength, validity, activity, verification
	MaxFraudScore   = 3
	MaxIssuersAsked = 10
	// MaxNameVariants and MaxNameBytes bound the identity claims compared
	// (the catalogue allows 20 variants and 150-character names).
	MaxNameVariants = 20
	MaxNameBytes    = 1024
)

// EIDAS is an eIDAS level of assurance given as advice. Third-party
// credentials never reach "high" on their own, so a policy cannot name it.
type EIDAS string

// The advisory levels a profile may map to.
const (
	EIDASNone        EIDAS = ""
	EIDASLow         EIDAS = "low"
	EIDASSubstantial EIDAS = "substantial"
	// EIDASHigh is reachable only through Profile.EIDASPID: when an EU PID
	// alone meets the profile (a PID is not third-party evidence).
	EIDASHigh EIDAS = "high"
)

// DefaultActivityDays are the day thresholds for GPG 45 activity-history
// scores 1 to 4: a span of at least DefaultActivityDays[i] days scores i+1.
// See docs/assurance.md for their source and which of them are confirmed.
var DefaultActivityDays = [4]int{180, 365, 730, 1095}

// Slot is one piece of evidence a profile needs.
type Slot struct {
	MinStrength int `json:"strength"`
	MinValidity int `json:"validity"`
}

// Profile is one way of meeting a policy: every part must reach its
// threshold.
type Profile struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// After names the GPG 45 profile this one follows, and how it differs.
	After string `json:"after,omitempty"`
	// Evidence lists the slots; one credential per slot, one issuer per slot.
	Evidence []Slot `json:"evidence"`
	// Activity is the minimum GPG 45 activity-history score (0–4).
	Activity int `json:"activity"`
	// IdentityFraud is the minimum identity-fraud score (0–3).
	IdentityFraud int `json:"identity_fraud"`
	// Verification is the minimum verification score (0–4).
	Verification int `json:"verification"`
	// DistinctIssuers is the minimum number of distinct issuers among the
	// credentials that count.
	DistinctIssuers int `json:"distinct_issuers"`
	// EIDAS is the advisory eIDAS level the profile maps to.
	EIDAS EIDAS `json:"eidas"`
	// EIDASPID, when set, is the advisory level instead when an EU PID
	// alone (without any other credential) meets the profile; it may be
	// "high". It needs the policy's PID section.
	EIDASPID EIDAS `json:"eidas_pid,omitempty"`
}

// PIDPolicy is what a policy grants an EU PID from a listed provider
// (Credential.Kind KindPID): the evidence scores it counts as declaring,
// which the registry caps of the provider's authorization then lower as
// for any credential. A PID carries no evidence claim of its own.
type PIDPolicy struct {
	Evidence Scores `json:"evidence"`
	// Note says why these scores (e.g. the eIDAS level PIDs are issued at).
	Note string `json:"note,omitempty"`
}

// Policy is a named, versioned list of profiles, most preferred first.
type Policy struct {
	Name        string `json:"name"`
	Version     int    `json:"version"`
	Description string `json:"description,omitempty"`
	// ActivityDays overrides DefaultActivityDays when set (4 ascending
	// day counts).
	ActivityDays []int `json:"activity_days,omitempty"`
	// PID, when set, makes an EU PID count (see PIDPolicy); without it a
	// PID declares no evidence and fills no slot.
	PID      *PIDPolicy `json:"pid,omitempty"`
	Profiles []Profile  `json:"profiles"`
}

// ErrPolicy is wrapped by every policy parsing and validation error.
var ErrPolicy = errors.New("assurance: bad policy")

// ErrUnknownPolicy is returned by Load for a name not shipped.
var ErrUnknownPolicy = errors.New("assurance: unknown policy")

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

func policyErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrPolicy, fmt.Sprintf(format, a...))
}

// ParsePolicy parses and validates one policy file. Unknown fields,
// trailing data, out-of-range scores and a "high" eIDAS level are refused.
func ParsePolicy(b []byte) (*Policy, error) {
	if len(b) > MaxPolicyBytes {
		return nil, policyErr("%d bytes, at most %d", len(b), MaxPolicyBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p Policy
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPolicy, err)
	}
	if !jsonx.AtEOF(dec) {
		return nil, policyErr("data after the policy object")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Validate checks a policy's fields and ranges.
func (p *Policy) Validate() error {
	if !namePattern.MatchString(p.Name) {
		return policyErr("name %q: lower-case letters, digits and '-', at most 63", p.Name)
	}
	if p.Version < 1 {
		return policyErr("%s: version must be 1 or more", p.Name)
	}
	if p.ActivityDays != nil {
		if len(p.ActivityDays) != 4 {
			return policyErr("%s: activity_days needs 4 day counts (scores 1 to 4), got %d", p.Name, len(p.ActivityDays))
		}
		prev := 0
		for i, d := range p.ActivityDays {
			if d <= prev || d > 36500 {
				return policyErr("%s: activity_days[%d] = %d: must be ascending, positive and at most 36500", p.Name, i, d)
			}
			prev = d
		}
	}
	if p.PID != nil {
		e := p.PID.Evidence
		if e.Strength < 1 || e.Strength > MaxScore || e.Validity < 1 || e.Validity > MaxScore ||
			e.Verification < 0 || e.Verification > MaxScore || e.IdentityFraud < 0 || e.IdentityFraud > MaxFraudScore {
			return policyErr("%s: pid.evidence: strength and validity 1 to %d, verification 0 to %d, identity_fraud 0 to %d", p.Name, MaxScore, MaxScore, MaxFraudScore)
		}
	}
	if len(p.Profiles) == 0 || len(p.Profiles) > MaxProfiles {
		return policyErr("%s: 1 to %d profiles, got %d", p.Name, MaxProfiles, len(p.Profiles))
	}
	seen := map[string]bool{}
	for i := range p.Profiles {
		pr := &p.Profiles[i]
		where := fmt.Sprintf("%s: profile %d", p.Name, i)
		if !namePattern.MatchString(strings.ToLower(pr.Name)) || pr.Name == "" {
			return policyErr("%s: name %q: letters, digits and '-', at most 63", where, pr.Name)
		}
		where = fmt.Sprintf("%s: profile %s", p.Name, pr.Name)
		if seen[pr.Name] {
			return policyErr("%s: listed twice", where)
		}
		seen[pr.Name] = true
		if len(pr.Evidence) == 0 || len(pr.Evidence) > MaxSlots {
			return policyErr("%s: 1 to %d evidence slots, got %d", where, MaxSlots, len(pr.Evidence))
		}
		for j, s := range pr.Evidence {
			if s.MinStrength < 1 || s.MinStrength > MaxScore || s.MinValidity < 1 || s.MinValidity > MaxScore {
				return policyErr("%s: evidence %d: strength and validity must be 1 to %d", where, j, MaxScore)
			}
		}
		switch {
		case pr.Activity < 0 || pr.Activity > MaxScore:
			return policyErr("%s: activity must be 0 to %d", where, MaxScore)
		case pr.IdentityFraud < 0 || pr.IdentityFraud > MaxFraudScore:
			return policyErr("%s: identity_fraud must be 0 to %d", where, MaxFraudScore)
		case pr.Verification < 0 || pr.Verification > MaxScore:
			return policyErr("%s: verification must be 0 to %d", where, MaxScore)
		case pr.DistinctIssuers < 0 || pr.DistinctIssuers > MaxIssuersAsked:
			return policyErr("%s: distinct_issuers must be 0 to %d", where, MaxIssuersAsked)
		}
		switch pr.EIDAS {
		case EIDASLow, EIDASSubstantial:
		case "high":
			return policyErr("%s: eidas \"high\" is never reached from third-party evidence alone; use low or substantial", where)
		default:
			return policyErr("%s: eidas %q: want low or substantial", where, pr.EIDAS)
		}
		switch pr.EIDASPID {
		case EIDASNone:
		case EIDASLow, EIDASSubstantial, EIDASHigh:
			if p.PID == nil {
				return policyErr("%s: eidas_pid needs the policy's pid section", where)
			}
		default:
			return policyErr("%s: eidas_pid %q: want low, substantial or high", where, pr.EIDASPID)
		}
	}
	return nil
}

// activityDays returns the thresholds in force for p.
func (p *Policy) activityDays() [4]int {
	if len(p.ActivityDays) == 4 {
		return [4]int(p.ActivityDays)
	}
	return DefaultActivityDays
}

// ActivityScore is the GPG 45 activity-history score of a span of days
// under p's thresholds.
func (p *Policy) ActivityScore(days int) int {
	score := 0
	for _, d := range p.activityDays() {
		if days >= d {
			score++
		}
	}
	return score
}

// daysFor is the span a score needs (0 for score 0).
func (p *Policy) daysFor(score int) int {
	if score <= 0 {
		return 0
	}
	return p.activityDays()[min(score, 4)-1]
}

//go:embed policies/*.json
var shippedFS embed.FS

// Shipped returns the names of the embedded policies, sorted.
func Shipped() []string {
	ents, err := shippedFS.ReadDir("policies")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	slices.Sort(names)
	return names
}

// Load parses the embedded policy called name.
func Load(name string) (*Policy, error) {
	if !namePattern.MatchString(name) {
		return nil, fmt.Errorf("%w: %q", ErrUnknownPolicy, name)
	}
	b, err := shippedFS.ReadFile(path.Join("policies", name+".json"))
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownPolicy, name)
	}
	p, err := ParsePolicy(b)
	if err != nil {
		return nil, err
	}
	if p.Name != name {
		return nil, policyErr("file %s.json names policy %q", name, p.Name)
	}
	return p, nil
}
