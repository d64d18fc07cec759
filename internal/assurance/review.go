package assurance

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Decision is an accept or reject.
type Decision string

// Decisions.
const (
	Accept Decision = "accept"
	Reject Decision = "reject"
)

// Review is a caseworker's reviewed decision about an automated result.
type Review struct {
	Decision   Decision  `json:"decision"`
	Reason     string    `json:"reason"`
	Caseworker string    `json:"caseworker"`
	At         time.Time `json:"at"`
}

// Reviewed shows a caseworker's review beside the automated result it
// reviews (GDPR Art. 22): the automated result is kept unchanged, and
// Decision is the caseworker's.
type Reviewed struct {
	Automated *Result `json:"automated"`
	// AutomatedDecision is what the automated result alone says: accept
	// when a profile was met.
	AutomatedDecision Decision `json:"automated_decision"`
	Review            Review   `json:"review"`
	// Decision is the decision that stands: the caseworker's.
	Decision Decision `json:"decision"`
	// Differs is true when the caseworker decided otherwise than the
	// automated result.
	Differs bool `json:"differs"`
}

// ErrReview is wrapped by Combine's errors.
var ErrReview = errors.New("assurance: bad review")

// MaxReasonRunes bounds a review's reason.
const MaxReasonRunes = 2000

// Combine puts a caseworker's review beside an automated result. The
// review needs a decision, a reason, the caseworker's id and a time not
// before the evaluation.
func Combine(auto *Result, r Review) (Reviewed, error) {
	switch {
	case auto == nil:
		return Reviewed{}, fmt.Errorf("%w: no automated result", ErrReview)
	case r.Decision != Accept && r.Decision != Reject:
		return Reviewed{}, fmt.Errorf("%w: decision %q, want accept or reject", ErrReview, r.Decision)
	case r.Reason == "":
		return Reviewed{}, fmt.Errorf("%w: a reason is required", ErrReview)
	case utf8.RuneCountInString(r.Reason) > MaxReasonRunes:
		return Reviewed{}, fmt.Errorf("%w: reason longer than %d characters", ErrReview, MaxReasonRunes)
	case r.Caseworker == "":
		return Reviewed{}, fmt.Errorf("%w: the caseworker's id is required", ErrReview)
	case r.At.IsZero() || r.At.Before(auto.EvaluatedAt):
		return Reviewed{}, fmt.Errorf("%w: review time missing or before the evaluation", ErrReview)
	}
	ad := Reject
	if auto.Met != nil && auto.Refusal == nil {
		ad = Accept
	}
	return Reviewed{Automated: auto, AutomatedDecision: ad, Review: r, Decision: r.Decision, Differs: r.Decision != ad}, nil
}
