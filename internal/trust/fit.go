package trust

import (
	"errors"
	"slices"
	"sort"
	"time"
)

// PurposeFit is how a verifier's registered purposes cover a request:
// the answer to "which purpose does this request serve, and what does it
// ask beyond it?" that both a wallet (warning its holder) and a verifier
// (warning its caseworker about its own request) ask.
type PurposeFit struct {
	// Purposes are the verifier's purposes, in force at the time asked,
	// that cover the request best (see FitPurpose); more than one only
	// when they tie on every rule; none when no candidate is in force.
	Purposes []string
	// Outside lists the requested claims (normalized) beyond the best
	// purposes: every requested claim when Purposes is empty.
	Outside []string
	// Reason is ReasonAuthorized when nothing is outside,
	// ReasonClaimsOutsidePurpose when the best purposes leave claims
	// outside, and otherwise the registry's reason for the first
	// candidate (by id): why no purpose is in force.
	Reason string
}

// OverAsking reports whether the request asks for anything the
// registry does not let the verifier ask for.
func (f PurposeFit) OverAsking() bool { return f.Reason != ReasonAuthorized }

// FitPurpose compares a request for claims (names or JSON pointers) by
// verifier did with its registered purposes in force at at (DESIGN.md
// §4, "may verifier Z ask for these claims?"). candidates restricts the
// purposes compared: a verifier passes the purpose its desk chose; a
// wallet passes none, since an OpenID4VP request names no purpose, and
// every purpose of the verifier is compared.
//
// The best purpose is the one that leaves the fewest requested claims
// outside; among those, the narrowest (the fewest registered claims the
// request does not ask for): a request most likely serves the purpose it
// fits most closely, not a wider one that merely contains it. Purposes
// still tied are all returned, sorted, rather than one picked by name.
func (r *Registry) FitPurpose(did string, claims []string, at time.Time, candidates ...string) (PurposeFit, error) {
	if len(candidates) == 0 {
		if e := r.Entity(did); e != nil {
			for _, a := range e.VerifierAuthorizations {
				candidates = append(candidates, a.Purpose)
			}
		}
	}
	candidates = slices.Clone(candidates)
	sort.Strings(candidates)
	candidates = slices.Compact(candidates)
	norm := make([]string, 0, len(claims))
	for _, c := range claims {
		n, err := NormalizeClaim(c)
		if err != nil {
			return PurposeFit{}, errors.Join(ErrBadQuery, err)
		}
		if !slices.Contains(norm, n) {
			norm = append(norm, n)
		}
	}
	fit := PurposeFit{Outside: norm, Reason: ReasonNoAuthorization}
	if e := r.Entity(did); e == nil {
		fit.Reason = ReasonUnknownEntity
	}
	bestUnused := 0
	found := false
	for i, pu := range candidates {
		d, err := r.VerifierMayRequest(did, pu, norm, at)
		if err != nil {
			return PurposeFit{}, err
		}
		if d.VerifierAuthorization == nil || (!d.Authorized && d.Reason != ReasonClaimsOutsidePurpose) {
			if i == 0 && !found {
				fit.Reason = d.Reason
			}
			continue
		}
		unused := unusedClaims(d.VerifierAuthorization.Claims, norm)
		switch {
		case !found || len(d.OutsidePurpose) < len(fit.Outside) ||
			len(d.OutsidePurpose) == len(fit.Outside) && unused < bestUnused:
			fit.Purposes, fit.Outside, fit.Reason, bestUnused, found = []string{pu}, d.OutsidePurpose, d.Reason, unused, true
		case len(d.OutsidePurpose) == len(fit.Outside) && unused == bestUnused:
			fit.Purposes = append(fit.Purposes, pu)
		}
	}
	return fit, nil
}

// unusedClaims counts the registered claims that cover none of the
// requested ones.
func unusedClaims(registered, requested []string) int {
	n := 0
	for _, reg := range registered {
		used := false
		for _, c := range requested {
			if claimCovered(reg, c) {
				used = true
				break
			}
		}
		if !used {
			n++
		}
	}
	return n
}
