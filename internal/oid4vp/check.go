package oid4vp

import (
	"fmt"
	"slices"
)

// ResponseCheck is the verifier-side outcome of CheckResponse.
type ResponseCheck struct {
	// Answered lists, per credential query id present in the vp_token,
	// what each presentation satisfied; in query order.
	Answered []AnsweredQuery
	// Sets has, per credential_sets entry, the first option fully
	// answered (-1 when none; an error for a required set).
	Sets []SetResult
	// Extra counts the selectively disclosed claims beyond the query, in
	// all presentations: the verifier drops them from its result.
	Extra []ExtraClaim
}

// AnsweredQuery is one credential query answered by the vp_token.
type AnsweredQuery struct {
	ID            string
	Presentations []AnsweredPresentation
}

// AnsweredPresentation is one presentation answering a query.
type AnsweredPresentation struct {
	// ClaimSet is the claim_sets option satisfied (first in order), -1
	// without claim_sets.
	ClaimSet int
	// Claims are the requested claims found in the presentation, the ones
	// the verifier keeps.
	Claims []DisclosedClaim
}

// ExtraClaim is a selectively disclosed claim the query did not ask for.
type ExtraClaim struct {
	QueryID string
	Index   int // presentation index within the query's array
	Path    ClaimPath
}

// CheckResponse decides, for the verifier, whether the presentations in a
// vp_token (already verified, keyed by credential query id as in the
// vp_token, §8.1) answer q: every key names a credential query; a query
// without multiple has one presentation; every presentation fits its query
// (format, vct, holder binding, trusted authorities through e, the claims
// of some claim set with their values); and every required credential set
// (or, without credential_sets, every credential query) is answered. The
// claims disclosed beyond the claim set satisfied are reported in Extra,
// not refused. Errors match ErrResponseMismatch.
func (e Evaluator) CheckResponse(q *Query, presented map[string][]Credential) (*ResponseCheck, error) {
	mismatch := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrResponseMismatch, fmt.Sprintf(format, a...))
	}
	for id := range presented {
		if q.credential(id) == nil {
			return nil, mismatch("the vp_token answers %q, which the query does not ask", id)
		}
	}
	rc := &ResponseCheck{}
	for i := range q.Credentials {
		cq := &q.Credentials[i]
		list, ok := presented[cq.ID]
		if !ok {
			continue
		}
		if len(list) == 0 {
			return nil, mismatch("credential query %q: an empty array of presentations", cq.ID)
		}
		if len(list) > 1 && !cq.Multiple {
			return nil, mismatch("credential query %q: %d presentations, the query allows one", cq.ID, len(list))
		}
		if !Evaluated(cq.Format) {
			return nil, mismatch("credential query %q: format %q is not supported", cq.ID, cq.Format)
		}
		aq := AnsweredQuery{ID: cq.ID}
		for j, c := range list {
			m, reason := e.matchCredential(cq, c)
			if reason != "" {
				return nil, mismatch("credential query %q, presentation %d: %s", cq.ID, j, reason)
			}
			aq.Presentations = append(aq.Presentations, AnsweredPresentation{ClaimSet: m.ClaimSet, Claims: m.Claims})
			for _, d := range c.Disclosable() {
				if !slices.ContainsFunc(m.Claims, func(dc DisclosedClaim) bool { return related(dc.Path, d) }) {
					rc.Extra = append(rc.Extra, ExtraClaim{QueryID: cq.ID, Index: j, Path: d})
				}
			}
		}
		rc.Answered = append(rc.Answered, aq)
	}
	answered := func(id string) bool { _, ok := presented[id]; return ok }
	if len(q.CredentialSets) == 0 {
		for _, cq := range q.Credentials {
			if !answered(cq.ID) {
				return nil, mismatch("credential query %q is not answered", cq.ID)
			}
		}
		return rc, nil
	}
	for i, s := range q.CredentialSets {
		sr := SetResult{Required: s.IsRequired(), Option: -1}
		for j, opt := range s.Options {
			if !slices.ContainsFunc(opt, func(id string) bool { return !answered(id) }) {
				sr.Option = j
				break
			}
		}
		if sr.Option < 0 {
			sr.Reason = fmt.Sprintf("no option of credential set %d is answered", i)
			if sr.Required {
				return nil, mismatch("%s", sr.Reason)
			}
		}
		rc.Sets = append(rc.Sets, sr)
	}
	return rc, nil
}

// CheckResponse is CheckResponse of the zero Evaluator.
func CheckResponse(q *Query, presented map[string][]Credential) (*ResponseCheck, error) {
	return Evaluator{}.CheckResponse(q, presented)
}

// related reports whether one of two concrete paths is a prefix of the
// other: a disclosure at an ancestor of a requested claim is needed to
// reach it, one below it is part of it.
func related(a, b ClaimPath) bool {
	return a.hasPrefix(b) || b.hasPrefix(a)
}
