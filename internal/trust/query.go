package trust

import (
	"errors"
	"time"
)

// Reason codes carried in Decision.Reason. They are stable: verifiers map
// them to messages and exit codes.
const (
	ReasonAuthorized           = "authorized"
	ReasonUnknownEntity        = "unknown_entity"
	ReasonWrongRole            = "wrong_role"
	ReasonCompromised          = "compromised"
	ReasonOutsideValidity      = "outside_validity"
	ReasonNotRegisteredAtTime  = "not_registered_at_time"
	ReasonSuspendedAtTime      = "suspended_at_time"
	ReasonRevokedAtTime        = "revoked_at_time"
	ReasonNoAuthorization      = "no_authorization"
	ReasonAuthorizationTime    = "authorization_not_valid_at_time"
	ReasonClaimsOutsidePurpose = "claims_outside_purpose"
)

// ErrBadQuery reports a question that cannot be asked (empty DID, zero
// time, malformed claim). Not being authorized is not an error.
var ErrBadQuery = errors.New("trust: bad query")

// Decision is the answer to a registry question. Entity and the matching
// authorization are set whenever they were found, even when the answer is
// no, so a verifier can explain it. CurrentStatus is the entity's status
// now, which may differ from its status at the time asked about ("issued
// while authorized, issuer now suspended").
type Decision struct {
	Authorized            bool
	Reason                string
	Entity                *Entity
	Authorization         *IssuerAuthorization
	VerifierAuthorization *VerifierAuthorization
	// OutsidePurpose lists the requested claims (normalized) that the
	// purpose does not cover.
	OutsidePurpose []string
	CurrentStatus  EntityStatus
	// Key is the entity's further key asked about (IssuerKeyAuthorized).
	Key *EntityKey
}

// checkEntityAt applies the rules shared by both questions: the entity
// exists, has the role, has no compromised revocation, was inside its
// validity window and active at at. It returns a partial decision and
// whether the checks passed.
func (r *Registry) checkEntityAt(did string, role Role, at time.Time) (Decision, bool) {
	e := r.Entity(did)
	if e == nil {
		return Decision{Reason: ReasonUnknownEntity}, false
	}
	d := Decision{Entity: e, CurrentStatus: e.Status}
	switch {
	case e.Role != role:
		d.Reason = ReasonWrongRole
	case e.Compromised():
		// A compromised key taints everything it ever signed.
		d.Reason = ReasonCompromised
	case !within(at, e.ValidFrom, e.ValidUntil):
		d.Reason = ReasonOutsideValidity
	default:
		switch e.StatusAt(at) {
		case StatusActive:
			return d, true
		case StatusSuspended:
			d.Reason = ReasonSuspendedAtTime
		case StatusRevoked:
			d.Reason = ReasonRevokedAtTime
		default:
			d.Reason = ReasonNotRegisteredAtTime
		}
	}
	return d, false
}

// IssuerAuthorized answers "was issuer did authorized to issue vct at
// at?". at is the credential's iat. The issuer must have been active and
// inside its validity window at at, hold an authorization for vct valid
// at at, and never have been revoked as compromised. A suspension or an
// ordinary revocation after at does not erase the authority it had.
//
// When several authorizations for vct cover at (an amendment ends the old
// entry where the new one starts, so only entries added on purpose, e.g.
// for another jurisdiction, overlap), the most recently started one
// answers, and its caps apply; on equal starts, the one listed last (added
// last) answers. Entries are never merged.
func (r *Registry) IssuerAuthorized(did, vct string, at time.Time) (Decision, error) {
	if did == "" || vct == "" || at.IsZero() {
		return Decision{}, errors.Join(ErrBadQuery, errors.New("trust: issuer question needs did, vct and time"))
	}
	d, ok := r.checkEntityAt(did, RoleIssuer, at)
	if !ok {
		return d, nil
	}
	d.Reason = ReasonNoAuthorization
	auths := d.Entity.IssuerAuthorizations
	best := -1
	for i := range auths {
		a := &auths[i]
		if !vctMatches(a.VCT, vct) {
			continue
		}
		if best < 0 {
			// Until one covers at, explain with the last entry for vct.
			d.Authorization, d.Reason = a, ReasonAuthorizationTime
		}
		if within(at, a.From, a.Until) && (best < 0 || !a.From.Before(auths[best].From)) {
			best = i
		}
	}
	if best >= 0 {
		d.Authorization, d.Authorized, d.Reason = &auths[best], true, ReasonAuthorized
	}
	return d, nil
}

// VerifierMayRequest answers "may verifier did request claims for
// purpose at at?". Every requested claim (a name or JSON pointer) must be
// covered by the purpose's registered claims; the ones that are not are
// listed in OutsidePurpose. Overlapping authorizations for purpose are
// resolved as in IssuerAuthorized: the most recently started one covering
// at decides alone (claims are never the union of several entries).
func (r *Registry) VerifierMayRequest(did, purpose string, claims []string, at time.Time) (Decision, error) {
	if did == "" || purpose == "" || at.IsZero() || len(claims) > MaxClaims {
		return Decision{}, errors.Join(ErrBadQuery, errors.New("trust: verifier question needs did, purpose, time and at most MaxClaims claims"))
	}
	requested := make([]string, 0, len(claims))
	for _, c := range claims {
		n, err := NormalizeClaim(c)
		if err != nil {
			return Decision{}, errors.Join(ErrBadQuery, err)
		}
		requested = append(requested, n)
	}
	d, ok := r.checkEntityAt(did, RoleVerifier, at)
	if !ok {
		return d, nil
	}
	d.Reason = ReasonNoAuthorization
	auths := d.Entity.VerifierAuthorizations
	best := -1
	for i := range auths {
		a := &auths[i]
		if a.Purpose != purpose {
			continue
		}
		if best < 0 {
			d.VerifierAuthorization, d.Reason = a, ReasonAuthorizationTime
		}
		if within(at, a.From, a.Until) && (best < 0 || !a.From.Before(auths[best].From)) {
			best = i
		}
	}
	if best >= 0 {
		a := &auths[best]
		d.VerifierAuthorization = a
		for _, c := range requested {
			covered := false
			for _, reg := range a.Claims {
				if claimCovered(reg, c) {
					covered = true
					break
				}
			}
			if !covered {
				d.OutsidePurpose = append(d.OutsidePurpose, c)
			}
		}
		if len(d.OutsidePurpose) > 0 {
			d.Reason = ReasonClaimsOutsidePurpose
			return d, nil
		}
		d.Authorized, d.Reason = true, ReasonAuthorized
		return d, nil
	}
	return d, nil
}

// CapEvidence lowers the GPG 45-style scores an issuer claimed to the caps
// of its authorization (DESIGN.md §3). A cap of 0 means the issuer may not
// claim that score, so the score becomes 0. Negative scores become 0.
func CapEvidence(auth IssuerAuthorization, strength, validity, verification int) (int, int, int) {
	return capScore(strength, auth.MaxStrength), capScore(validity, auth.MaxValidity), capScore(verification, auth.MaxVerification)
}

func capScore(v, limit int) int {
	if v < 0 {
		return 0
	}
	return min(v, max(limit, 0))
}
