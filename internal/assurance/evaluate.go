package assurance

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cairn-id/cairn/internal/trust"
	"github.com/cairn-id/cairn/schemas"
)

// Scores are GPG 45-style evidence scores; zero means absent.
type Scores struct {
	Strength      int `json:"strength"`
	Validity      int `json:"validity"`
	Verification  int `json:"verification"`
	IdentityFraud int `json:"identity_fraud"`
}

// Caps are the highest scores an issuer may claim for a credential type
// at a credential's iat. A cap of 0 means the score may not be claimed.
type Caps Scores

// CapsFor combines the caps of the registry authorization that covered a
// credential's iat with the caps of its type in the catalogue (t may be
// nil). The registry caps strength, validity and verification (a zero cap
// there means "may not claim"); the type caps any score where its cap is
// set. Identity fraud, which the registry does not cap, is limited to the
// type's cap or the scale's maximum.
func CapsFor(auth trust.IssuerAuthorization, t *schemas.Type) Caps {
	c := Caps{
		Strength:      max(auth.MaxStrength, 0),
		Validity:      max(auth.MaxValidity, 0),
		Verification:  max(auth.MaxVerification, 0),
		IdentityFraud: MaxFraudScore,
	}
	if t != nil {
		lower := func(v *int, m int) {
			if m > 0 && *v > m {
				*v = m
			}
		}
		lower(&c.Strength, t.MaxEvidence.Strength)
		lower(&c.Validity, t.MaxEvidence.Validity)
		lower(&c.Verification, t.MaxEvidence.Verification)
		lower(&c.IdentityFraud, t.MaxEvidence.IdentityFraud)
	}
	return c
}

// Credential is one presented credential as already-verified facts.
type Credential struct {
	ID         string // unique within one evaluation, e.g. the DCQL credential id
	Issuer     string // issuer DID
	IssuerName string // display name, for the explanation
	VCT        string
	IssuedAt   time.Time
	// KnownSince is when the issuer first knew the person, if earlier than
	// IssuedAt. When zero, Evidence.KnownSince (YYYY-MM-DD) is used.
	KnownSince time.Time
	// HolderKey is the JWK thumbprint of the key the credential is bound to.
	HolderKey string
	// Evidence is the evidence claim as the issuer declared it.
	Evidence schemas.Evidence
	// Caps are the caps of the registry authorization that covered
	// IssuedAt (see CapsFor), or nil when no authorization covered it: the
	// credential then does not count.
	Caps     *Caps
	Identity Identity
	// Kind is KindPID for an EU PID (see IsPID): its evidence is what the
	// policy grants PIDs (Policy.PID), not an evidence claim.
	Kind string
}

// Reason codes of a Contribution.
const (
	ReasonSlot             = "slot"                    // fills an evidence slot
	ReasonSameIssuer       = "same_issuer"             // its issuer already fills a slot
	ReasonBelowSlots       = "below_slots"             // too weak for every slot, counts for the rest
	ReasonSlotsTaken       = "slots_taken"             // every slot it could fill is filled by another issuer
	ReasonNoAuthorization  = "no_authorization"        // no registry authorization covered iat
	ReasonIssuedAfterEval  = "issued_after_evaluation" // iat after the evaluation time
	ReasonHolderRefused    = "holder_refused"          // the presentation was refused as a whole
	RefusalHolderMismatch  = "holder_mismatch"
	RefusalHolderKeyAbsent = "holder_key_missing"
)

// Kinds of Missing.
const (
	MissingEvidence        = "evidence"
	MissingDistinctIssuers = "distinct_issuers"
	MissingActivity        = "activity_history"
	MissingIdentityFraud   = "identity_fraud"
	MissingVerification    = "verification"
	MissingConsistency     = "consistency"
)

// Contribution says what one credential did for the reported profile.
type Contribution struct {
	CredentialID string `json:"credential_id"`
	Issuer       string `json:"issuer"`
	IssuerName   string `json:"issuer_name,omitempty"`
	VCT          string `json:"vct"`
	Declared     Scores `json:"declared"`
	Capped       Scores `json:"capped"`
	// Lowered lists the scores the caps lowered (strength, validity,
	// verification, identity_fraud).
	Lowered []string `json:"lowered,omitempty"`
	// Kind is "pid" for an EU PID (not third-party evidence).
	Kind string `json:"kind,omitempty"`
	// Counted: the credential counts toward activity history, distinct
	// issuers, verification and fraud (whether or not it fills a slot).
	Counted bool `json:"counted"`
	// Slot is the 0-based evidence slot it fills, or -1.
	Slot    int    `json:"slot"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// SlotResult is one evidence slot of a profile and what fills it.
type SlotResult struct {
	MinStrength  int    `json:"strength"`
	MinValidity  int    `json:"validity"`
	CredentialID string `json:"credential_id,omitempty"`
	Issuer       string `json:"issuer,omitempty"`
}

// Missing is one part of a profile not reached. Need and Have are scores,
// days or counts depending on Kind; Slots are the 0-based unfilled slots.
type Missing struct {
	Kind    string `json:"kind"`
	Need    int    `json:"need"`
	Have    int    `json:"have"`
	Slots   []int  `json:"slots,omitempty"`
	Message string `json:"message"`
}

// ProfileResult is a profile evaluated.
type ProfileResult struct {
	Profile         string       `json:"profile"`
	Met             bool         `json:"met"`
	EIDAS           EIDAS        `json:"eidas"`
	Slots           []SlotResult `json:"slots"`
	DistinctIssuers int          `json:"distinct_issuers"`
	ActivityDays    int          `json:"activity_days"`
	ActivityScore   int          `json:"activity_score"`
	IdentityFraud   int          `json:"identity_fraud"`
	Verification    int          `json:"verification"`
	Missing         []Missing    `json:"missing,omitempty"`
}

// Refusal is set when the presentation is refused as a whole.
type Refusal struct {
	Code        string   `json:"code"`
	Message     string   `json:"message"`
	Credentials []string `json:"credentials"`
}

// Result is an explained evaluation.
type Result struct {
	Policy        string    `json:"policy"`
	PolicyVersion int       `json:"policy_version"`
	EvaluatedAt   time.Time `json:"evaluated_at"`
	Refusal       *Refusal  `json:"refusal,omitempty"`
	// Met is the first profile of the policy met, or nil.
	Met *ProfileResult `json:"met,omitempty"`
	// Nearest is, when none is met, the profile with the fewest missing
	// parts (the earlier one on ties).
	Nearest *ProfileResult `json:"nearest,omitempty"`
	// Profiles are all profiles, in policy order.
	Profiles []ProfileResult `json:"profiles"`
	// Credentials are the contributions to Met (or Nearest), in input order.
	Credentials []Contribution `json:"credentials"`
	Consistency []Finding      `json:"consistency,omitempty"`
	// EIDAS is the advisory level of Met; empty when none is met. It is
	// the profile's eidas_pid when an EU PID alone meets Met (PIDAlone).
	EIDAS    EIDAS  `json:"eidas"`
	PIDAlone string `json:"pid_alone,omitempty"` // id of that PID
	Summary  string `json:"summary"`
}

// ErrInput is wrapped by errors about the evaluation's input (not about
// the person: those are results).
var ErrInput = errors.New("assurance: bad input")

func inputErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInput, fmt.Sprintf(format, a...))
}

// cred is a credential's derived facts.
type cred struct {
	*Credential
	idx      int
	declared Scores
	capped   Scores
	lowered  []string
	start    time.Time // earliest attestation: KnownSince when earlier than iat
	note     string    // about known_since
	eligible bool
	reason   string
	message  string
}

func capScores(d Scores, c Caps) (Scores, []string) {
	var lowered []string
	capOne := func(v *int, limit int, name string) {
		if *v < 0 {
			*v = 0
		}
		if *v > limit {
			*v = limit
			lowered = append(lowered, name)
		}
	}
	out := d
	capOne(&out.Strength, c.Strength, "strength")
	capOne(&out.Validity, c.Validity, "validity")
	capOne(&out.Verification, c.Verification, "verification")
	capOne(&out.IdentityFraud, c.IdentityFraud, "identity_fraud")
	return out, lowered
}

const day = 24 * time.Hour

func ymd(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// Evaluate evaluates the presented credentials against p at now. Errors
// are about malformed input only; everything about the person is in the
// Result.
func Evaluate(p *Policy, creds []Credential, now time.Time) (*Result, error) {
	if p == nil {
		return nil, inputErr("no policy")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if now.IsZero() {
		return nil, inputErr("no evaluation time")
	}
	if len(creds) > MaxCredentials {
		return nil, inputErr("%d credentials, at most %d", len(creds), MaxCredentials)
	}
	ids := make(map[string]bool, len(creds))
	for i := range creds {
		c := &creds[i]
		switch {
		case c.ID == "":
			return nil, inputErr("credential %d has no id", i)
		case ids[c.ID]:
			return nil, inputErr("credential id %q given twice", c.ID)
		case c.Issuer == "":
			return nil, inputErr("credential %q has no issuer", c.ID)
		case c.IssuedAt.IsZero():
			return nil, inputErr("credential %q has no iat", c.ID)
		case len(c.Identity.NameVariants) > MaxNameVariants:
			return nil, inputErr("credential %q has %d name variants, at most %d", c.ID, len(c.Identity.NameVariants), MaxNameVariants)
		case !namesBounded(c.Identity):
			return nil, inputErr("credential %q has a name longer than %d bytes", c.ID, MaxNameBytes)
		}
		ids[c.ID] = true
	}

	res := &Result{Policy: p.Name, PolicyVersion: p.Version, EvaluatedAt: now}
	cs := make([]*cred, len(creds))
	for i := range creds {
		cs[i] = derive(p, &creds[i], i, now)
	}

	if ref := holderRefusal(cs); ref != nil {
		res.Refusal = ref
		for _, c := range cs {
			c.eligible, c.reason, c.message = false, ReasonHolderRefused, "the presentation was refused: "+ref.Message
			res.Credentials = append(res.Credentials, contribution(c, -1))
		}
		res.Summary = "Refused: " + ref.Message
		return res, nil
	}

	var elig []*cred
	var eligCreds []*Credential
	for _, c := range cs {
		if c.eligible {
			elig = append(elig, c)
			eligCreds = append(eligCreds, c.Credential)
		}
	}
	res.Consistency = consistency(eligCreds)
	var disagreements []Finding
	for _, f := range res.Consistency {
		if f.Outcome == Disagree {
			disagreements = append(disagreements, f)
		}
	}

	facts := gather(p, elig)
	var assignments [][]*cred
	for i := range p.Profiles {
		pr, assigned := evalProfile(p, &p.Profiles[i], elig, facts, disagreements)
		res.Profiles = append(res.Profiles, pr)
		assignments = append(assignments, assigned)
	}
	chosen := -1
	for i := range res.Profiles {
		if res.Profiles[i].Met {
			chosen = i
			res.Met = &res.Profiles[i]
			res.EIDAS = res.Met.EIDAS
			break
		}
	}
	if chosen < 0 {
		// A profile with a PID route (eidas_pid) is the nearest only when
		// a PID was presented: "needs a strength 4 piece" tells a person
		// without one nothing useful.
		hasPID := slices.ContainsFunc(elig, func(c *cred) bool { return c.Kind == KindPID })
		for _, skipPID := range []bool{!hasPID, false} {
			for i := range res.Profiles {
				if skipPID && p.Profiles[i].EIDASPID != EIDASNone {
					continue
				}
				if chosen < 0 || len(res.Profiles[i].Missing) < len(res.Profiles[chosen].Missing) {
					chosen = i
				}
			}
			if chosen >= 0 {
				break
			}
		}
		res.Nearest = &res.Profiles[chosen]
	}
	if res.Met != nil {
		if id := pidAlone(p, &p.Profiles[chosen], elig, disagreements); id != "" {
			res.EIDAS, res.PIDAlone = p.Profiles[chosen].EIDASPID, id
		}
	}
	res.Credentials = explainContributions(&p.Profiles[chosen], cs, assignments[chosen])
	res.Summary = summary(p, res)
	return res, nil
}

// pidAlone returns the id of a PID that meets pr on its own, when pr
// gives PIDs a level of their own (eidas_pid), or "".
func pidAlone(p *Policy, pr *Profile, elig []*cred, disagreements []Finding) string {
	if pr.EIDASPID == EIDASNone {
		return ""
	}
	for _, c := range elig {
		if c.Kind != KindPID {
			continue
		}
		one := []*cred{c}
		if r, _ := evalProfile(p, pr, one, gather(p, one), disagreements); r.Met {
			return c.ID
		}
	}
	return ""
}

func namesBounded(id Identity) bool {
	ok := func(s string) bool { return len(s) <= MaxNameBytes }
	if !ok(id.FamilyName) || !ok(id.GivenName) || !ok(id.Birthdate) {
		return false
	}
	for _, v := range id.NameVariants {
		if !ok(v.FamilyName) || !ok(v.GivenName) {
			return false
		}
	}
	return true
}

func derive(p *Policy, c *Credential, i int, now time.Time) *cred {
	d := &cred{Credential: c, idx: i, start: c.IssuedAt}
	d.declared = Scores{c.Evidence.Strength, c.Evidence.Validity, c.Evidence.Verification, c.Evidence.IdentityFraud}
	if c.Kind == KindPID {
		// What a PID is worth is the policy's to say, never the claim's.
		d.declared = Scores{}
		if p.PID != nil {
			d.declared = p.PID.Evidence
		}
	}
	ks := c.KnownSince
	if ks.IsZero() && c.Evidence.KnownSince != "" {
		t, err := time.Parse(time.DateOnly, c.Evidence.KnownSince)
		if err != nil {
			d.note = "its known_since is not a date and is ignored"
		} else {
			ks = t
		}
	}
	if !ks.IsZero() {
		if ks.After(c.IssuedAt) {
			d.note = "its known_since is after its iat and is ignored"
		} else {
			d.start = ks
		}
	}
	switch {
	case c.Caps == nil:
		d.reason = ReasonNoAuthorization
		d.message = fmt.Sprintf("issued on %s, when the issuer held no registry authorization for %s; it does not count", ymd(c.IssuedAt), c.VCT)
		d.capped = Scores{}
	case c.IssuedAt.After(now):
		d.reason = ReasonIssuedAfterEval
		d.message = fmt.Sprintf("its iat (%s) is after the evaluation time; it does not count", ymd(c.IssuedAt))
		d.capped, d.lowered = capScores(d.declared, *c.Caps)
	default:
		d.eligible = true
		d.capped, d.lowered = capScores(d.declared, *c.Caps)
	}
	return d
}

func holderRefusal(cs []*cred) *Refusal {
	keys := map[string][]string{}
	var missing []string
	for _, c := range cs {
		if c.HolderKey == "" {
			missing = append(missing, c.ID)
			continue
		}
		keys[c.HolderKey] = append(keys[c.HolderKey], c.ID)
	}
	if len(missing) > 0 {
		return &Refusal{Code: RefusalHolderKeyAbsent, Credentials: missing,
			Message: fmt.Sprintf("%s %s not bound to a holder key, so nothing shows the credentials belong to one person", plural(len(missing), "credential", "credentials"), strings.Join(missing, ", ")+plural(len(missing), " is", " are"))}
	}
	if len(keys) > 1 {
		var all []string
		for _, c := range cs {
			all = append(all, c.ID)
		}
		return &Refusal{Code: RefusalHolderMismatch, Credentials: all,
			Message: fmt.Sprintf("the credentials are bound to %s different holder keys; a person's wallet presents all its credentials with one key", numberWord(len(keys)))}
	}
	return nil
}

// facts are the parts of a profile that do not depend on slot assignment:
// every eligible credential counts toward them.
type facts struct {
	issuers      []string // distinct, sorted
	activityDays int
	fraud        int
	verification int
}

func gather(p *Policy, elig []*cred) facts {
	var f facts
	var earliest, latest time.Time
	for _, c := range elig {
		if !slices.Contains(f.issuers, c.Issuer) {
			f.issuers = append(f.issuers, c.Issuer)
		}
		if earliest.IsZero() || c.start.Before(earliest) {
			earliest = c.start
		}
		if latest.IsZero() || c.IssuedAt.After(latest) {
			latest = c.IssuedAt
		}
		f.fraud = max(f.fraud, c.capped.IdentityFraud)
		f.verification = max(f.verification, c.capped.Verification)
	}
	slices.Sort(f.issuers)
	if !earliest.IsZero() {
		f.activityDays = int(latest.Sub(earliest) / day)
	}
	return f
}

func meets(c *cred, s Slot) bool {
	return c.capped.Strength >= s.MinStrength && c.capped.Validity >= s.MinValidity
}

// match assigns issuers to slots, at most one slot per issuer, maximizing
// the slots filled (Kuhn's augmenting paths: slots × issuers steps per
// slot; deterministic, issuers in sorted order). It returns, per slot, the
// credential filling it or nil.
func match(slots []Slot, issuers []string, byIssuer map[string][]*cred) []*cred {
	can := func(s int, iss string) *cred {
		for _, c := range byIssuer[iss] {
			if meets(c, slots[s]) {
				return c
			}
		}
		return nil
	}
	owner := make(map[string]int, len(issuers)) // issuer → slot
	var try func(s int, seen map[string]bool) bool
	try = func(s int, seen map[string]bool) bool {
		// A free issuer first, so that slots keep the issuers they got
		// unless moving one is the only way to fill another slot.
		for _, iss := range issuers {
			if _, taken := owner[iss]; !taken && !seen[iss] && can(s, iss) != nil {
				seen[iss] = true
				owner[iss] = s
				return true
			}
		}
		for _, iss := range issuers {
			if seen[iss] || can(s, iss) == nil {
				continue
			}
			seen[iss] = true
			if try(owner[iss], seen) {
				owner[iss] = s
				return true
			}
		}
		return false
	}
	for s := range slots {
		try(s, map[string]bool{})
	}
	out := make([]*cred, len(slots))
	for iss, s := range owner {
		out[s] = can(s, iss)
	}
	return out
}

func evalProfile(p *Policy, pr *Profile, elig []*cred, f facts, disagreements []Finding) (ProfileResult, []*cred) {
	byIssuer := map[string][]*cred{}
	for _, c := range elig {
		byIssuer[c.Issuer] = append(byIssuer[c.Issuer], c)
	}
	for _, list := range byIssuer {
		// Strongest first; ties by earliest iat, then id: deterministic.
		slices.SortFunc(list, func(a, b *cred) int {
			return cmp.Or(
				cmp.Compare(b.capped.Strength, a.capped.Strength),
				cmp.Compare(b.capped.Validity, a.capped.Validity),
				a.IssuedAt.Compare(b.IssuedAt),
				cmp.Compare(a.ID, b.ID))
		})
	}
	assigned := match(pr.Evidence, f.issuers, byIssuer)

	r := ProfileResult{
		Profile:         pr.Name,
		EIDAS:           pr.EIDAS,
		DistinctIssuers: len(f.issuers),
		ActivityDays:    f.activityDays,
		ActivityScore:   p.ActivityScore(f.activityDays),
		IdentityFraud:   f.fraud,
		Verification:    f.verification,
	}
	// Unfilled slots, grouped by requirement in slot order.
	type need struct{ s, v int }
	var order []need
	groups := map[need][]int{}
	for i, s := range pr.Evidence {
		sr := SlotResult{MinStrength: s.MinStrength, MinValidity: s.MinValidity}
		if c := assigned[i]; c != nil {
			sr.CredentialID, sr.Issuer = c.ID, c.Issuer
		} else {
			k := need{s.MinStrength, s.MinValidity}
			if groups[k] == nil {
				order = append(order, k)
			}
			groups[k] = append(groups[k], i)
		}
		r.Slots = append(r.Slots, sr)
	}
	for _, k := range order {
		idx := groups[k]
		msg := fmt.Sprintf("%s more %s from %s", numberWord(len(idx)), plural(len(idx), "attestation", "attestations"), plural(len(idx), "a distinct issuer", "distinct issuers"))
		if k.s > 1 || k.v > 1 {
			msg += fmt.Sprintf(", %sof strength %d and validity %d or more", plural(len(idx), "", "each "), k.s, k.v)
		}
		r.Missing = append(r.Missing, Missing{Kind: MissingEvidence, Need: len(pr.Evidence), Have: len(pr.Evidence) - countFilled(assigned), Slots: idx, Message: msg})
	}
	if n := pr.DistinctIssuers - len(f.issuers); n > 0 {
		r.Missing = append(r.Missing, Missing{Kind: MissingDistinctIssuers, Need: pr.DistinctIssuers, Have: len(f.issuers),
			Message: fmt.Sprintf("attestations from %s distinct issuers, have %d", numberWord(pr.DistinctIssuers), len(f.issuers))})
	}
	if r.ActivityScore < pr.Activity {
		need := p.daysFor(pr.Activity)
		r.Missing = append(r.Missing, Missing{Kind: MissingActivity, Need: need, Have: f.activityDays,
			Message: fmt.Sprintf("activity history of %d days, have %d", need, f.activityDays)})
	}
	if f.fraud < pr.IdentityFraud {
		r.Missing = append(r.Missing, Missing{Kind: MissingIdentityFraud, Need: pr.IdentityFraud, Have: f.fraud,
			Message: fmt.Sprintf("an identity-fraud check scoring %d or more, have %d", pr.IdentityFraud, f.fraud)})
	}
	if f.verification < pr.Verification {
		r.Missing = append(r.Missing, Missing{Kind: MissingVerification, Need: pr.Verification, Have: f.verification,
			Message: fmt.Sprintf("a verification (linking the person to the identity) scoring %d or more, have %d", pr.Verification, f.verification)})
	}
	if len(disagreements) > 0 {
		r.Missing = append(r.Missing, Missing{Kind: MissingConsistency, Need: 0, Have: len(disagreements),
			Message: "credentials that agree on who they describe (a caseworker must resolve it: " + describeDisagreements(disagreements) + ")"})
	}
	r.Met = len(r.Missing) == 0
	return r, assigned
}

// describeDisagreements groups disagreements by field, e.g. "family_name
// differs between clinic and vouch, and between vouch and school".
func describeDisagreements(ds []Finding) string {
	var fields []string
	pairs := map[string][]string{}
	for _, d := range ds {
		if pairs[d.Field] == nil {
			fields = append(fields, d.Field)
		}
		pairs[d.Field] = append(pairs[d.Field], "between "+d.A+" and "+d.B)
	}
	var parts []string
	for _, f := range fields {
		parts = append(parts, f+" differs "+strings.Join(pairs[f], ", and "))
	}
	return strings.Join(parts, "; ")
}

func countFilled(a []*cred) int {
	n := 0
	for _, c := range a {
		if c != nil {
			n++
		}
	}
	return n
}

func contribution(c *cred, slot int) Contribution {
	msg := c.message
	if len(c.lowered) > 0 && c.Caps != nil {
		var parts []string
		for _, l := range c.lowered {
			parts = append(parts, fmt.Sprintf("%s %d to %d", strings.ReplaceAll(l, "_", " "), scoreOf(c.declared, l), scoreOf(c.capped, l)))
		}
		msg += "; the registry caps this issuer for this type, lowering " + strings.Join(parts, ", ")
	}
	if c.note != "" {
		msg += "; " + c.note
	}
	if c.Kind == KindPID {
		msg += "; an EU PID (the state's identification, not a third-party attestation): its evidence is what the policy grants PIDs"
	}
	return Contribution{
		CredentialID: c.ID, Issuer: c.Issuer, IssuerName: c.IssuerName, VCT: c.VCT, Kind: c.Kind,
		Declared: c.declared, Capped: c.capped, Lowered: c.lowered,
		Counted: c.eligible, Slot: slot, Reason: c.reason, Message: strings.TrimPrefix(msg, "; "),
	}
}

func scoreOf(s Scores, name string) int {
	switch name {
	case "strength":
		return s.Strength
	case "validity":
		return s.Validity
	case "verification":
		return s.Verification
	default:
		return s.IdentityFraud
	}
}

func explainContributions(pr *Profile, cs []*cred, assigned []*cred) []Contribution {
	slotOf := map[*cred]int{}
	issuerSlot := map[string]int{}
	for i, c := range assigned {
		if c != nil {
			slotOf[c] = i
			issuerSlot[c.Issuer] = i
		}
	}
	out := make([]Contribution, 0, len(cs))
	for _, c := range cs {
		if !c.eligible {
			out = append(out, contribution(c, -1))
			continue
		}
		if s, ok := slotOf[c]; ok {
			c.reason = ReasonSlot
			c.message = fmt.Sprintf("fills evidence slot %d (strength %d, validity %d or more)", s+1, pr.Evidence[s].MinStrength, pr.Evidence[s].MinValidity)
			out = append(out, contribution(c, s))
			continue
		}
		fits := false
		for _, s := range pr.Evidence {
			fits = fits || meets(c, s)
		}
		switch s, sameIssuer := issuerSlot[c.Issuer]; {
		case sameIssuer && fits:
			c.reason = ReasonSameIssuer
			c.message = fmt.Sprintf("another credential from the same issuer fills slot %d, and an issuer fills one slot at most; counts toward activity history and the other parts", s+1)
		case fits:
			c.reason = ReasonSlotsTaken
			c.message = "every slot it could fill is filled by another issuer; counts toward activity history and the other parts"
		default:
			c.reason = ReasonBelowSlots
			c.message = fmt.Sprintf("strength %d and validity %d are below every slot; counts toward activity history and the other parts", c.capped.Strength, c.capped.Validity)
		}
		out = append(out, contribution(c, -1))
	}
	return out
}

func summary(p *Policy, r *Result) string {
	if r.Met != nil {
		if r.PIDAlone != "" {
			return fmt.Sprintf("Meets profile %s of policy %s (version %d); the EU PID %s meets it alone, so the eIDAS level as advice is %s.", r.Met.Profile, p.Name, p.Version, r.PIDAlone, r.EIDAS)
		}
		return fmt.Sprintf("Meets profile %s of policy %s (version %d); eIDAS level as advice: %s.", r.Met.Profile, p.Name, p.Version, r.Met.EIDAS)
	}
	var needs []string
	for _, m := range r.Nearest.Missing {
		needs = append(needs, m.Message)
	}
	return fmt.Sprintf("Meets no profile of policy %s (version %d). The nearest, %s, still needs %s.", p.Name, p.Version, r.Nearest.Profile, joinAnd(needs))
}

func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return "nothing"
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], "; ") + "; and " + s[len(s)-1]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func numberWord(n int) string {
	words := []string{"no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}
	if n >= 0 && n < len(words) {
		return words[n]
	}
	return fmt.Sprint(n)
}
